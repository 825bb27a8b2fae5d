// Test helpers: one device per test file, and the llm.c-style closeness check.
import { afterAll, beforeAll } from 'vitest';
import { createDevice, Tensor, type Gpu } from '../../src/index.js';
import type { RunScope } from '../../src/runtime/device.js';

/** A device created before the file's tests and destroyed after them. */
export function useGpu(): { readonly gpu: Gpu } {
  const holder = {} as { gpu: Gpu };
  beforeAll(async () => {
    holder.gpu = await createDevice({ quiet: true });
  });
  afterAll(() => holder.gpu?.destroy());
  return holder;
}

/**
 * Throws unless |actual − expected| ≤ atol + |expected|·rtol everywhere, listing the first
 * mismatches with their flat index.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number, what = 'values'): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} ≠ expected ${expected.length}`);
  const bad: string[] = [];
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    worst = Math.max(worst, err);
    if (process.env.SHOW_ERR && i === expected.length - 1) console.log(`${what}: max |err| ${Math.max(worst, err).toExponential(2)}`);
    if (!(err <= atol + Math.abs(expected[i]) * rtol)) {
      if (bad.length < 5) bad.push(`[${i}] got ${actual[i]}, expected ${expected[i]} (|err| ${err.toExponential(2)})`);
      else if (bad.length === 5) bad.push('…');
    }
  }
  if (bad.length) throw new Error(`${what}: mismatches (atol ${atol}, rtol ${rtol}, max |err| ${worst.toExponential(2)}):\n  ${bad.join('\n  ')}`);
}

export function maxAbsError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Encodes `encode` in one compute pass, submits it and waits for its validation. */
export async function runPass(gpu: Gpu, encode: (pass: GPUComputePassEncoder, run: RunScope) => void): Promise<void> {
  await gpu.submit('test', (encoder, run) => {
    const pass = encoder.beginComputePass();
    encode(pass, run);
    pass.end();
  });
}

/** Reads `count` floats of `buffer` from element `offset` (copies through a tensor). */
export async function readBuffer(gpu: Gpu, buffer: GPUBuffer, count: number, offset = 0): Promise<Float32Array> {
  const out = new Tensor(gpu, gpu.pool.acquire(count * 4, 0x80 | 0x4 | 0x8), [count]);
  await gpu.submit('test readback', (encoder) => encoder.copyBufferToBuffer(buffer, offset * 4, out.buffer, 0, count * 4));
  const values = await out.data();
  out.dispose();
  return values;
}

/** Values rounded to f32, as the GPU sees them, in a Float64Array for the reference. */
export function asF64(values: Float32Array): Float64Array {
  return Float64Array.from(values);
}
