// Kernel: the fused GRU forward step (shaders/gru_step_forward.wgsl): one dispatch a step with
// resetAfter, two (gates, then candidate) without.
import activations from '../../shaders/activations.wgsl?raw';
import source from '../../shaders/gru_step_forward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationId, type Activation } from './activations.js';
import { ceilDiv, dispatch } from './dispatch.js';
import { rowsPerInvocation, STEP_SLOT, stepUniforms } from './steps.js';

const WG = 64;

export interface GruStepOptions {
  activation: Activation;
  recurrentActivation: Activation;
  resetAfter: boolean;
  /** Keep z, r, n and aux of every step for the backward pass. */
  keep: boolean;
}

export interface GruStepArgs extends GruStepOptions {
  /** [T, B, 3H] the input projection X·W + b_in. */
  g: GPUBuffer;
  /** [H, 3H]. */
  u: GPUBuffer;
  /** The layer's [2, 3H] bias (resetAfter; its row 1 is b_rec); undefined without bias. */
  bias?: GPUBuffer;
  /** [T+1, B, H], slot 0 holding h0. */
  hseq: GPUBuffer;
  /** keep: [T, B, 3H] z, r, n (otherwise scratch is taken from `run` where needed). */
  acts?: GPUBuffer;
  /** keep: [T, B, H] m_h (resetAfter) or q = r⊙h[t-1]. */
  aux?: GPUBuffer;
  T: number;
  B: number;
  H: number;
  /** [B, T] f32 1/0 batch-major: steps with 0 carry h through (Keras masking). */
  mask?: GPUBuffer;
  /** goBackwards: processing step t reads input step T−1−t (the mask column). */
  backwards?: boolean;
  /** [B, H]: multipliers of h[t-1] wherever the cell reads it (Keras / TF.js recurrentDropout, in training). */
  recurrentMask?: GPUBuffer;
}

/** Dispatches a step takes. */
export function gruForwardDispatchesPerStep(resetAfter: boolean): number {
  return resetAfter ? 1 : 2;
}

export function gruStepForwardKernel(
  options: GruStepOptions & { hasBias: boolean; rows: number; phase: 0 | 1; masked?: boolean; recurrentDropout?: boolean },
): KernelSource {
  const act = activationId(options.activation, 'activation');
  const rec = activationId(options.recurrentActivation, 'recurrentActivation');
  const hasBias = options.resetAfter && options.hasBias;
  return {
    name: 'gru_step_forward',
    cacheKey: `gru_step_forward:wg${WG}:tb${options.rows}:a${act}:r${rec}:keep${+options.keep}:ra${+options.resetAfter}:bias${+hasBias}:p${options.phase}:m${+!!options.masked}:rd${+!!options.recurrentDropout}`,
    getShaderSource: () => `${activations}\n${source}`,
    constants: {
      MASKED: +!!options.masked,
      REC_DROPOUT: +!!options.recurrentDropout,
      WG,
      TB: options.rows,
      ACTIVATION: act,
      RECURRENT_ACTIVATION: rec,
      KEEP: +options.keep,
      RESET_AFTER: +options.resetAfter,
      HAS_BIAS: +hasBias,
      PHASE: options.phase,
    },
    bindings: ['read', 'read', 'read', 'storage', 'storage', 'storage', 'read', 'uniform-dynamic', 'read'],
  };
}

/**
 * Encodes steps t = 0 … T-1 into `pass`: T dispatches with resetAfter, 2T without; no CPU
 * round trip between them.
 */
export function encodeGruStepsForward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: GruStepArgs): void {
  const { T, B, H, keep, resetAfter } = args;
  if (keep && !(args.acts && args.aux)) throw new Error('encodeGruStepsForward: keep needs the acts and aux buffers.');
  const rows = rowsPerInvocation(B);
  const stepParams = stepUniforms(run, T, (t) => [t, B, H, args.backwards ? T - 1 - t : t, T]);
  const mask = args.mask ?? run.scratch(16, 'no mask');
  // Reset before hands z and q from phase 0 to phase 1 through one [B, ·] slot.
  const acts = args.acts ?? run.scratch(resetAfter ? 16 : B * 3 * H * 4, 'gru acts');
  const aux = args.aux ?? run.scratch(resetAfter ? 16 : B * H * 4, 'gru aux');
  const bias = args.bias ?? run.scratch(16, 'no bias');
  const recurrentMask = args.recurrentMask ?? run.scratch(16, 'no recurrent mask');
  const phases: (0 | 1)[] = resetAfter ? [0] : [0, 1];
  const pipelines = phases.map((phase) => {
    const compiled = gpu.kernel(
      gruStepForwardKernel({ ...args, hasBias: !!args.bias, rows, phase, masked: !!args.mask, recurrentDropout: !!args.recurrentMask }),
    );
    return {
      pipeline: compiled.pipeline,
      bindGroup: gpu.bindGroup(compiled, [args.g, args.u, bias, args.hseq, acts, aux, mask, { buffer: stepParams, size: 32 }, recurrentMask]),
    };
  });
  const groupsX = ceilDiv(H, WG);
  const groupsY = ceilDiv(B, rows);
  if (pipelines.length === 1) pass.setPipeline(pipelines[0].pipeline);
  for (let t = 0; t < T; t++) {
    for (const p of pipelines) {
      if (pipelines.length > 1) pass.setPipeline(p.pipeline);
      pass.setBindGroup(0, p.bindGroup, [t * STEP_SLOT]);
      dispatch(gpu, pass, `GRU step (B=${B}, H=${H})`, groupsX, groupsY);
    }
  }
}
