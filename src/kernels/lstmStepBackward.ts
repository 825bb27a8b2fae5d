// Kernel: the fused LSTM backward step (shaders/lstm_step_backward.wgsl), one dispatch a step.
import activations from '../../shaders/activations.wgsl?raw';
import source from '../../shaders/lstm_step_backward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationId, type Activation } from './activations.js';
import { ceilDiv, dispatch } from './dispatch.js';
import { rowsPerInvocation, STEP_SLOT, stepUniforms } from './steps.js';

const WG = 64;

export interface LstmStepBackwardArgs {
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
  T: number;
  B: number;
  H: number;
  /** [B, T] f32 1/0 batch-major, as in the forward. */
  mask?: GPUBuffer;
  /** [B, H]: the forward's recurrent-dropout multipliers of h[t-1] (Keras recurrentDropout). */
  recurrentMask?: GPUBuffer;
  backwards?: boolean;
}

export function lstmStepBackwardKernel(options: {
  activation: Activation;
  recurrentActivation: Activation;
  dySeq: boolean;
  rows: number;
  masked?: boolean;
  recurrentDropout?: boolean;
}): KernelSource {
  const act = activationId(options.activation, 'activation');
  const rec = activationId(options.recurrentActivation, 'recurrentActivation');
  return {
    name: 'lstm_step_backward',
    cacheKey: `lstm_step_backward:wg${WG}:tb${options.rows}:a${act}:r${rec}:seq${+options.dySeq}:m${+!!options.masked}:rd${+!!options.recurrentDropout}`,
    getShaderSource: () => `${activations}\n${source}`,
    constants: {
      WG,
      TB: options.rows,
      ACTIVATION: act,
      RECURRENT_ACTIVATION: rec,
      DY_SEQ: +options.dySeq,
      MASKED: +!!options.masked,
      REC_DROPOUT: +!!options.recurrentDropout,
    },
    bindings: ['storage', 'read', 'read', 'read', 'read', 'storage', 'read', 'uniform-dynamic', 'read'],
  };
}

/** Encodes steps t = T-1 … 0 into `pass`: T dispatches, no CPU round trip between them. */
export function encodeLstmStepsBackward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: LstmStepBackwardArgs): void {
  const { T, B, H } = args;
  const rows = rowsPerInvocation(B);
  const compiled = gpu.kernel(lstmStepBackwardKernel({ ...args, rows, masked: !!args.mask, recurrentDropout: !!args.recurrentMask }));
  const stepParams = stepUniforms(run, T, (t) => [t, B, H, T, args.backwards ? T - 1 - t : t]);
  const mask = args.mask ?? run.scratch(16, 'no mask');
  const bindGroup = gpu.bindGroup(compiled, [
    args.dG,
    args.whT,
    args.dY,
    args.acts,
    args.cseq,
    args.dc,
    mask,
    { buffer: stepParams, size: 32 },
    args.recurrentMask ?? run.scratch(16, 'no recurrent mask'),
  ]);
  pass.setPipeline(compiled.pipeline);
  const groupsX = ceilDiv(H, WG);
  const groupsY = ceilDiv(B, rows);
  for (let t = T - 1; t >= 0; t--) {
    pass.setBindGroup(0, bindGroup, [t * STEP_SLOT]);
    dispatch(gpu, pass, `LSTM backward step (B=${B}, H=${H})`, groupsX, groupsY);
  }
}
