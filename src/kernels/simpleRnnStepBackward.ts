// Kernel: the fused SimpleRNN backward step (shaders/simple_rnn_step_backward.wgsl), one
// dispatch a step.
import activations from '../../shaders/activations.wgsl?raw';
import source from '../../shaders/simple_rnn_step_backward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationId, type Activation } from './activations.js';
import { ceilDiv, dispatch } from './dispatch.js';
import { rowsPerInvocation, STEP_SLOT, stepUniforms } from './steps.js';

const WG = 64;

export interface SimpleRnnStepBackwardArgs {
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
  T: number;
  B: number;
  H: number;
  /** [B, T] f32 1/0 batch-major, as in the forward. */
  mask?: GPUBuffer;
  /** [B, H]: the forward's recurrent-dropout multipliers of h[t-1] (Keras recurrentDropout). */
  recurrentMask?: GPUBuffer;
  /** With `mask`: [B, H], zeros in; out, the dh carried through masked first steps (add to dG[0]·Uᵀ for dh0). */
  carry?: GPUBuffer;
  backwards?: boolean;
}

export function simpleRnnStepBackwardKernel(options: {
  activation: Activation;
  dySeq: boolean;
  rows: number;
  masked?: boolean;
  recurrentDropout?: boolean;
}): KernelSource {
  const act = activationId(options.activation, 'activation');
  return {
    name: 'simple_rnn_step_backward',
    cacheKey: `simple_rnn_step_backward:wg${WG}:tb${options.rows}:a${act}:seq${+options.dySeq}:m${+!!options.masked}:rd${+!!options.recurrentDropout}`,
    getShaderSource: () => `${activations}\n${source}`,
    constants: { WG, TB: options.rows, ACTIVATION: act, DY_SEQ: +options.dySeq, MASKED: +!!options.masked, REC_DROPOUT: +!!options.recurrentDropout },
    bindings: ['storage', 'read', 'read', 'read', 'read', 'storage', 'uniform-dynamic', 'read'],
  };
}

/** Encodes steps t = T-1 … 0 into `pass`: T dispatches, no CPU round trip between them. */
export function encodeSimpleRnnStepsBackward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: SimpleRnnStepBackwardArgs): void {
  const { T, B, H } = args;
  const rows = rowsPerInvocation(B);
  const compiled = gpu.kernel(
    simpleRnnStepBackwardKernel({ activation: args.activation, dySeq: args.dySeq, rows, masked: !!args.mask, recurrentDropout: !!args.recurrentMask }),
  );
  if (args.mask && !args.carry) throw new Error('encodeSimpleRnnStepsBackward: a mask needs the carry buffer.');
  const stepParams = stepUniforms(run, T, (t) => [t, B, H, T, args.backwards ? T - 1 - t : t]);
  const mask = args.mask ?? run.scratch(16, 'no mask');
  const carry = args.carry ?? run.scratch(16, 'no carry');
  const bindGroup = gpu.bindGroup(compiled, [
    args.dG,
    args.uT,
    args.dY,
    args.hseq,
    mask,
    carry,
    { buffer: stepParams, size: 32 },
    args.recurrentMask ?? run.scratch(16, 'no recurrent mask'),
  ]);
  pass.setPipeline(compiled.pipeline);
  const groupsX = ceilDiv(H, WG);
  const groupsY = ceilDiv(B, rows);
  for (let t = T - 1; t >= 0; t--) {
    pass.setBindGroup(0, bindGroup, [t * STEP_SLOT]);
    dispatch(gpu, pass, `SimpleRNN backward step (B=${B}, H=${H})`, groupsX, groupsY);
  }
}
