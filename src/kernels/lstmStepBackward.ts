// Kernel: the fused LSTM backward step (shaders/lstm_step_backward.wgsl), one dispatch a step.
import source from '../../shaders/lstm_step_backward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationId, type Activation } from './activations.js';
import { encodeSequenceSteps, rowsPerInvocation, type StepSequence, stepKernel } from './steps.js';

export interface LstmStepBackwardArgs extends StepSequence {
  activation: Activation;
  recurrentActivation: Activation;
  /** [T, B, 4H], written: the gate pre-activation gradients. */
  dG: GPUBuffer;
  /** [4H, H]: the recurrent kernel transposed. */
  whT: GPUBuffer;
  /** dySeq: [T, B, H] time-major gradient of every h[t]; otherwise [B, H], of the last h. */
  dY: GPUBuffer;
  dySeq: boolean;
  /** [T, B, 4H] and [T+1, B, H], kept by the forward. */
  acts: GPUBuffer;
  cseq: GPUBuffer;
  /** [B, H]: dc_T in (zeros, or the gradient of a returned c), dc_0 out. With a mask, [2, B, H]: dc, then the dh carried through masked steps (zeros in; out: the part of dh0 not in dG[0]·Whᵀ). */
  dc: GPUBuffer;
}

export function lstmStepBackwardKernel(options: {
  activation: Activation;
  recurrentActivation: Activation;
  dySeq: boolean;
  rows: number;
  masked?: boolean;
  recurrentDropout?: boolean;
}): KernelSource {
  return stepKernel(
    'lstm_step_backward',
    source,
    options,
    { RECURRENT_ACTIVATION: activationId(options.recurrentActivation, 'recurrentActivation'), DY_SEQ: +options.dySeq },
    ['storage', 'read', 'read', 'read', 'read', 'storage', 'read', 'uniform-dynamic', 'read'],
  );
}

/** Encodes steps t = T-1 … 0 into `pass`: T dispatches, no CPU round trip between them. */
export function encodeLstmStepsBackward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: LstmStepBackwardArgs): void {
  const kernel = lstmStepBackwardKernel({ ...args, rows: rowsPerInvocation(args.B), masked: !!args.mask, recurrentDropout: !!args.recurrentMask });
  encodeSequenceSteps(gpu, pass, run, args, {
    phases: [kernel],
    bindings: (step) => [
      args.dG,
      args.whT,
      args.dY,
      args.acts,
      args.cseq,
      args.dc,
      args.mask ?? run.scratch(16, 'no mask'),
      step,
      args.recurrentMask ?? run.scratch(16, 'no recurrent mask'),
    ],
    backward: true,
    what: `LSTM backward step (B=${args.B}, H=${args.H})`,
  });
}
