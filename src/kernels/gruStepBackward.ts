// Kernel: the fused GRU backward step (shaders/gru_step_backward.wgsl): one dispatch a step
// with resetAfter, two without; one more for the initial state's gradient when asked.
import activations from '../../shaders/activations.wgsl?raw';
import source from '../../shaders/gru_step_backward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationId, type Activation } from './activations.js';
import { ceilDiv, dispatch } from './dispatch.js';
import { rowsPerInvocation, STEP_SLOT, stepUniforms } from './steps.js';

const WG = 64;

export interface GruStepBackwardArgs {
  activation: Activation;
  recurrentActivation: Activation;
  resetAfter: boolean;
  /** [T, B, 3H], written: the gradient of the input projection a (and of the matmuls without resetAfter). */
  dG: GPUBuffer;
  /** Written. resetAfter: [T, B, 3H], the gradient of m = h[t-1]·U + b_rec; otherwise [T, B, H], dG's h block again. */
  dGm: GPUBuffer;
  /** [3H, H]: the recurrent kernel transposed. */
  uT: GPUBuffer;
  /** dySeq: [T, B, H] time-major gradient of every h[t]; otherwise [B, H], of the last h. */
  dY: GPUBuffer;
  dySeq: boolean;
  /** Kept by the forward: [T+1, B, H], [T, B, 3H] z, r, n, and [T, B, H] m_h or q. */
  hseq: GPUBuffer;
  acts: GPUBuffer;
  aux: GPUBuffer;
  /** [B, H]: zeros (or the gradient of a returned h) in; with initialStateGrad, dh0 out. */
  carry: GPUBuffer;
  /** Encode the last dispatch, which leaves dh0 in `carry`. */
  initialStateGrad?: boolean;
  T: number;
  B: number;
  H: number;
  /** Masking: `carry` is [B·H + B·T], the mask [B, T] (f32 1/0) packed after the carry. */
  masked?: boolean;
  /** recurrentDropout: the forward's multipliers [B, H] of h[t-1], packed after those (and the mask). */
  recurrentDropout?: boolean;
  backwards?: boolean;
}

/** Dispatches a step takes. */
export function gruBackwardDispatchesPerStep(resetAfter: boolean): number {
  return resetAfter ? 1 : 2;
}

export function gruStepBackwardKernel(options: {
  activation: Activation;
  recurrentActivation: Activation;
  resetAfter: boolean;
  dySeq: boolean;
  rows: number;
  phase: 0 | 1;
  masked?: boolean;
  recurrentDropout?: boolean;
}): KernelSource {
  const act = activationId(options.activation, 'activation');
  const rec = activationId(options.recurrentActivation, 'recurrentActivation');
  return {
    name: 'gru_step_backward',
    cacheKey: `gru_step_backward:wg${WG}:tb${options.rows}:a${act}:r${rec}:seq${+options.dySeq}:ra${+options.resetAfter}:p${options.phase}:m${+!!options.masked}:rd${+!!options.recurrentDropout}`,
    getShaderSource: () => `${activations}\n${source}`,
    constants: {
      WG,
      TB: options.rows,
      ACTIVATION: act,
      RECURRENT_ACTIVATION: rec,
      DY_SEQ: +options.dySeq,
      RESET_AFTER: +options.resetAfter,
      PHASE: options.phase,
      MASKED: +!!options.masked,
      REC_DROPOUT: +!!options.recurrentDropout,
    },
    bindings: ['storage', 'storage', 'read', 'read', 'read', 'read', 'read', 'storage', 'uniform-dynamic'],
  };
}

/**
 * Encodes steps t = T-1 … 0 into `pass` (T dispatches with resetAfter, 2T without), then with
 * `initialStateGrad` one more that leaves dh0 in `carry`. No CPU round trip between them.
 */
export function encodeGruStepsBackward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: GruStepBackwardArgs): void {
  const { T, B, H, resetAfter } = args;
  const rows = rowsPerInvocation(B);
  // Slots 0 … T-1: the steps; slot T: the final dispatch (reads slice 0, writes only carry).
  const stepParams = stepUniforms(run, T + 1, (t) => (t < T ? [t, B, H, T, 0, args.backwards ? T - 1 - t : t] : [0, B, H, T, 1, 0]));
  const phases: (0 | 1)[] = resetAfter ? [0] : [0, 1];
  const pipelines = phases.map((phase) => {
    const compiled = gpu.kernel(gruStepBackwardKernel({ ...args, rows, phase }));
    const bindGroup = gpu.bindGroup(compiled, [
      args.dG,
      args.dGm,
      args.uT,
      args.dY,
      args.hseq,
      args.acts,
      args.aux,
      args.carry,
      { buffer: stepParams, size: 32 },
    ]);
    return { pipeline: compiled.pipeline, bindGroup };
  });
  const groupsX = ceilDiv(H, WG);
  const groupsY = ceilDiv(B, rows);
  const what = `GRU backward step (B=${B}, H=${H})`;
  if (pipelines.length === 1) pass.setPipeline(pipelines[0].pipeline);
  for (let t = T - 1; t >= 0; t--) {
    for (const p of pipelines) {
      if (pipelines.length > 1) pass.setPipeline(p.pipeline);
      pass.setBindGroup(0, p.bindGroup, [t * STEP_SLOT]);
      dispatch(gpu, pass, what, groupsX, groupsY);
    }
  }
  if (args.initialStateGrad) {
    pass.setPipeline(pipelines[0].pipeline);
    pass.setBindGroup(0, pipelines[0].bindGroup, [T * STEP_SLOT]);
    dispatch(gpu, pass, what, groupsX, groupsY);
  }
}
