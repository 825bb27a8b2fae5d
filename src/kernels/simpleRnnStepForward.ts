// Kernel: the fused SimpleRNN forward step (shaders/simple_rnn_step_forward.wgsl), one
// dispatch a step. Training uses the same pipeline: hseq is all the backward needs.
import activations from '../../shaders/activations.wgsl?raw';
import source from '../../shaders/simple_rnn_step_forward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationId, type Activation } from './activations.js';
import { ceilDiv, dispatch } from './dispatch.js';
import { rowsPerInvocation, STEP_SLOT, stepUniforms } from './steps.js';

const WG = 64;

export interface SimpleRnnStepArgs {
  activation: Activation;
  /** [T, B, H] pre-activations of the input projection X·W + b. */
  g: GPUBuffer;
  /** [H, H]. */
  u: GPUBuffer;
  /** [T+1, B, H], slot 0 holding h0; step t writes slot t+1. */
  hseq: GPUBuffer;
  T: number;
  B: number;
  H: number;
  /** [B, T] f32 1/0 batch-major: steps with 0 carry h through (Keras masking). */
  mask?: GPUBuffer;
  /** goBackwards: processing step t reads input step T−1−t (the mask column). */
  backwards?: boolean;
  /** [B, H]: multipliers of h[t-1] in the recurrent matmul (Keras recurrentDropout, in training). */
  recurrentMask?: GPUBuffer;
}

export function simpleRnnStepForwardKernel(options: { activation: Activation; rows: number; masked?: boolean; recurrentDropout?: boolean }): KernelSource {
  const act = activationId(options.activation, 'activation');
  return {
    name: 'simple_rnn_step_forward',
    cacheKey: `simple_rnn_step_forward:wg${WG}:tb${options.rows}:a${act}:m${+!!options.masked}:rd${+!!options.recurrentDropout}`,
    getShaderSource: () => `${activations}\n${source}`,
    constants: { WG, TB: options.rows, ACTIVATION: act, MASKED: +!!options.masked, REC_DROPOUT: +!!options.recurrentDropout },
    bindings: ['read', 'read', 'storage', 'read', 'uniform-dynamic', 'read'],
  };
}

/** Encodes steps t = 0 … T-1 into `pass`: T dispatches, no CPU round trip between them. */
export function encodeSimpleRnnStepsForward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: SimpleRnnStepArgs): void {
  const { T, B, H } = args;
  const rows = rowsPerInvocation(B);
  const compiled = gpu.kernel(simpleRnnStepForwardKernel({ activation: args.activation, rows, masked: !!args.mask, recurrentDropout: !!args.recurrentMask }));
  const stepParams = stepUniforms(run, T, (t) => [t, B, H, args.backwards ? T - 1 - t : t, T]);
  const mask = args.mask ?? run.scratch(16, 'no mask');
  const bindGroup = gpu.bindGroup(compiled, [
    args.g,
    args.u,
    args.hseq,
    mask,
    { buffer: stepParams, size: 32 },
    args.recurrentMask ?? run.scratch(16, 'no recurrent mask'),
  ]);
  pass.setPipeline(compiled.pipeline);
  const groupsX = ceilDiv(H, WG);
  const groupsY = ceilDiv(B, rows);
  for (let t = 0; t < T; t++) {
    pass.setBindGroup(0, bindGroup, [t * STEP_SLOT]);
    dispatch(gpu, pass, `SimpleRNN step (B=${B}, H=${H})`, groupsX, groupsY);
  }
}
