// Per-step uniforms of the step kernels: one 256-byte slot a step in one buffer, bound with a
// dynamic offset, so a whole sequence needs one uniform write and one bind group.
import type { RunScope } from '../runtime/device.js';

/** Bytes of one step's slot: a multiple of every adapter's uniform offset alignment (≤ 256). */
export const STEP_SLOT = 256;

/** A uniform buffer holding `slot(t)` (u32 words) for t = 0 … T-1, each at t·STEP_SLOT. */
export function stepUniforms(run: RunScope, T: number, slot: (t: number) => number[]): GPUBuffer {
  const words = STEP_SLOT / 4;
  const data = new Uint32Array(T * words);
  for (let t = 0; t < T; t++) data.set(slot(t), t * words);
  return run.uniform(data);
}

/** Batch rows per invocation: enough to reuse each weight load, no more than the batch has. */
export function rowsPerInvocation(B: number): number {
  return Math.min(B, 4);
}
