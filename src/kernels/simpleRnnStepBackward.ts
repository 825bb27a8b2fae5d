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
}

export function simpleRnnStepBackwardKernel(options: { activation: Activation; dySeq: boolean; rows: number }): KernelSource {
  const act = activationId(options.activation, 'activation');
  return {
    name: 'simple_rnn_step_backward',
    cacheKey: `simple_rnn_step_backward:wg${WG}:tb${options.rows}:a${act}:seq${+options.dySeq}`,
    getShaderSource: () => `${activations}\n${source}`,
    constants: { WG, TB: options.rows, ACTIVATION: act, DY_SEQ: +options.dySeq },
    bindings: ['storage', 'read', 'read', 'read', 'uniform-dynamic'],
  };
}

/** Encodes steps t = T-1 … 0 into `pass`: T dispatches, no CPU round trip between them. */
export function encodeSimpleRnnStepsBackward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: SimpleRnnStepBackwardArgs): void {
  const { T, B, H } = args;
  const rows = rowsPerInvocation(B);
  const compiled = gpu.kernel(simpleRnnStepBackwardKernel({ activation: args.activation, dySeq: args.dySeq, rows }));
  const stepParams = stepUniforms(run, T, (t) => [t, B, H, T]);
  const bindGroup = gpu.bindGroup(compiled, [args.dG, args.uT, args.dY, args.hseq, { buffer: stepParams, size: 16 }]);
  pass.setPipeline(compiled.pipeline);
  const groupsX = ceilDiv(H, WG);
  const groupsY = ceilDiv(B, rows);
  for (let t = T - 1; t >= 0; t--) {
    pass.setBindGroup(0, bindGroup, [t * STEP_SLOT]);
    dispatch(gpu, pass, `SimpleRNN backward step (B=${B}, H=${H})`, groupsX, groupsY);
  }
}
