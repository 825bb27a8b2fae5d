// Kernel: the fused SimpleRNN backward step (shaders/simple_rnn_step_backward.wgsl), one
// dispatch a step.
import source from '../../shaders/simple_rnn_step_backward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import type { Activation } from './activations.js';
import { encodeSequenceSteps, rowsPerInvocation, type StepSequence, stepKernel } from './steps.js';

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
    what: `SimpleRNN backward step (B=${args.B}, H=${args.H})`,
  });
}
