// Kernel: the fused GRU backward step (shaders/gru_step_backward.wgsl): one dispatch a step
// with resetAfter, two without; one more for the initial state's gradient when asked.
import source from '../../shaders/gru_step_backward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationId, type Activation } from './activations.js';
import { encodeSequenceSteps, rowsPerInvocation, stepKernel } from './steps.js';

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
  const constants = {
    RECURRENT_ACTIVATION: activationId(options.recurrentActivation, 'recurrentActivation'),
    DY_SEQ: +options.dySeq,
    RESET_AFTER: +options.resetAfter,
    PHASE: options.phase,
  };
  return stepKernel('gru_step_backward', source, options, constants, [
    'storage',
    'storage',
    'read',
    'read',
    'read',
    'read',
    'read',
    'storage',
    'uniform-dynamic',
  ]);
}

/**
 * Encodes steps t = T-1 … 0 into `pass` (T dispatches with resetAfter, 2T without), then with
 * `initialStateGrad` one more that leaves dh0 in `carry`. No CPU round trip between them.
 */
export function encodeGruStepsBackward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: GruStepBackwardArgs): void {
  const rows = rowsPerInvocation(args.B);
  const phases: (0 | 1)[] = args.resetAfter ? [0] : [0, 1];
  encodeSequenceSteps(gpu, pass, run, args, {
    phases: phases.map((phase) => gruStepBackwardKernel({ ...args, rows, phase })),
    bindings: (step) => [args.dG, args.dGm, args.uT, args.dY, args.hseq, args.acts, args.aux, args.carry, step],
    backward: true,
    // Reads slice 0 and writes only carry: dh0.
    finalPass: args.initialStateGrad,
    what: `GRU backward step (B=${args.B}, H=${args.H})`,
  });
}
