// Kernel: the fused SimpleRNN backward step (shaders/simple_rnn_step_backward.wgsl), one
// dispatch a step.
import source from '../../shaders/simple_rnn_step_backward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationFlops, f32Work, type Work } from '../runtime/dispatchRecord.js';
import type { Activation } from './activations.js';
import { type BackwardStepShape, backwardStepTerms, encodeSequenceSteps, rowsPerInvocation, type StepSequence, stepKernel } from './steps.js';

export interface SimpleRnnStepBackwardArgs extends StepSequence {
  activation: Activation;
  /** [T, B, H], written: the pre-activation gradients. */
  dG: GPUBuffer;
  /** [H, H]: the recurrent kernel transposed. */
  uT: GPUBuffer;
  /** dySeq: [T, B, H] time-major gradient of every h[t]; otherwise [B, H], of the last h. */
  dY: GPUBuffer;
  dySeq: boolean;
  /** [T+1, B, H], kept by the forward. */
  hseq: GPUBuffer;
  /** With `mask`: [B, H], zeros in; out, the dh carried through masked first steps (add to dG[0]·Uᵀ for dh0). */
  carry?: GPUBuffer;
}

export function simpleRnnStepBackwardKernel(options: {
  activation: Activation;
  dySeq: boolean;
  rows: number;
  masked?: boolean;
  recurrentDropout?: boolean;
}): KernelSource {
  return stepKernel('simple_rnn_step_backward', source, options, { DY_SEQ: +options.dySeq }, [
    'storage',
    'read',
    'read',
    'read',
    'read',
    'storage',
    'uniform-dynamic',
    'read',
  ]);
}

/**
 * Work of the dispatch of step t, per (b, j) of [B, H]:
 *   dh = (dG[t+1]·Uᵀ)⊙m + dY[t] (+ carried)   2H when t + 1 < T (→ 2·B·H²), ⊙m 1, + dY 1 (dySeq
 *                                              or t = T−1), + carried 1 (masked)
 *   dG[t] = dh⊙act'(h[t])                     act + 1
 * Reads [t+1<T]: UT [H, H], dG[t+1] [B, H]; h[t] [B, H]; [dY]: dY[t] [B, H]; masked: mask
 * column [B], carry [B, H]; m [B, H]. Writes dG[t] [B, H] (+ masked: carry [B, H]).
 */
export function simpleRnnStepBackwardWork(a: BackwardStepShape & { activation: Activation }): Work {
  const { B, H } = a;
  const BH = B * H;
  const { next, dy, m, k } = backwardStepTerms(a);
  const flops = next * 2 * BH * H + BH * (1 + activationFlops(a.activation) + m + dy + k);
  const read = next * (H * H + BH) + BH + dy * BH + k * (B + BH) + m * BH;
  return f32Work(flops, read, BH + k * BH);
}

/** Encodes steps t = T-1 … 0 into `pass`: T dispatches, no CPU round trip between them. */
export function encodeSimpleRnnStepsBackward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: SimpleRnnStepBackwardArgs): void {
  if (args.mask && !args.carry) throw new Error('encodeSimpleRnnStepsBackward: a mask needs the carry buffer.');
  const rows = rowsPerInvocation(args.B);
  const kernel = simpleRnnStepBackwardKernel({
    activation: args.activation,
    dySeq: args.dySeq,
    rows,
    masked: !!args.mask,
    recurrentDropout: !!args.recurrentMask,
  });
  encodeSequenceSteps(gpu, pass, run, args, {
    phases: [kernel],
    bindings: (step) => [
      args.dG,
      args.uT,
      args.dY,
      args.hseq,
      args.mask ?? run.scratch(16, 'no mask'),
      args.carry ?? run.scratch(16, 'no carry'),
      step,
      args.recurrentMask ?? run.scratch(16, 'no recurrent mask'),
    ],
    backward: true,
    work: ({ t }) => simpleRnnStepBackwardWork({ ...args, t, masked: !!args.mask, recurrentDropout: !!args.recurrentMask }),
    what: `SimpleRNN backward step (B=${args.B}, H=${args.H})`,
  });
}
