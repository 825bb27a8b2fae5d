// Kernel: the fused LSTM forward step (shaders/lstm_step_forward.wgsl), one dispatch a step.
import activations from '../../shaders/activations.wgsl?raw';
import source from '../../shaders/lstm_step_forward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationId, type Activation } from './activations.js';
import { ceilDiv, dispatch } from './dispatch.js';
import { rowsPerInvocation, STEP_SLOT, stepUniforms } from './steps.js';

const WG = 64;
/** main_split_k: units a workgroup (WG / SPLIT_UNITS lanes split each unit's sum over k). */
const SPLIT_UNITS = 8;

/**
 * Whether a step of B rows runs `main_split_k`: when the whole batch fits one row block
 * (rowsPerInvocation), `main` would run only ceil(H / WG) workgroups (2 at H = 128), far too
 * few for a GPU; the split form runs ceil(H / SPLIT_UNITS) (16 there) for the same reads.
 */
export function lstmStepSplitsK(B: number): boolean {
  return B <= 4;
}

export interface LstmStepOptions {
  activation: Activation;
  recurrentActivation: Activation;
  /** Keep the activated gates and every cell state for the backward pass. */
  keep: boolean;
}

export interface LstmStepArgs extends LstmStepOptions {
  /** [T, B, 4H] gate pre-activations from the input projection. */
  g: GPUBuffer;
  /** [H, 4H]. */
  wh: GPUBuffer;
  /** [T+1, B, H], slot 0 holding h0. */
  hseq: GPUBuffer;
  /** keep: [T+1, B, H] with slot 0 holding c0; otherwise [B, H] holding c0, updated in place. */
  cseq: GPUBuffer;
  /** keep: [T, B, 4H]. */
  acts?: GPUBuffer;
  T: number;
  B: number;
  H: number;
  /** [B, T] f32 1/0 batch-major: steps with 0 carry the state through (Keras masking). */
  mask?: GPUBuffer;
  /** goBackwards: processing step t reads input step T−1−t (the mask column). */
  backwards?: boolean;
  /** [B, H]: multipliers of h[t-1] in the recurrent matmul (Keras recurrentDropout, in training). */
  recurrentMask?: GPUBuffer;
}

export function lstmStepForwardKernel(
  options: LstmStepOptions & { rows: number; masked?: boolean; recurrentDropout?: boolean; splitK?: boolean },
): KernelSource {
  const act = activationId(options.activation, 'activation');
  const rec = activationId(options.recurrentActivation, 'recurrentActivation');
  const split: Record<string, number> = options.splitK ? { SPLIT_UNITS } : {};
  return {
    name: 'lstm_step_forward',
    cacheKey: `lstm_step_forward:wg${WG}:tb${options.rows}:a${act}:r${rec}:keep${+options.keep}:m${+!!options.masked}:rd${+!!options.recurrentDropout}:split${+!!options.splitK}`,
    getShaderSource: () => `${activations}\n${source}`,
    entryPoint: options.splitK ? 'main_split_k' : 'main',
    constants: {
      WG,
      TB: options.rows,
      ACTIVATION: act,
      RECURRENT_ACTIVATION: rec,
      KEEP: +options.keep,
      MASKED: +!!options.masked,
      REC_DROPOUT: +!!options.recurrentDropout,
      ...split,
    },
    bindings: ['read', 'read', 'storage', 'storage', 'storage', 'read', 'uniform-dynamic', 'read'],
  };
}

/**
 * Encodes steps t = 0 … T-1 into `pass`: T dispatches, no CPU round trip between them.
 * `splitK` overrides the choice of lstmStepSplitsK (tests run both forms).
 */
export function encodeLstmStepsForward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: LstmStepArgs & { splitK?: boolean }): void {
  const { T, B, H } = args;
  const rows = rowsPerInvocation(B);
  const splitK = args.splitK ?? lstmStepSplitsK(B);
  const compiled = gpu.kernel(lstmStepForwardKernel({ ...args, rows, masked: !!args.mask, recurrentDropout: !!args.recurrentMask, splitK }));
  const stepParams = stepUniforms(run, T, (t) => [t, B, H, args.backwards ? T - 1 - t : t, T]);
  const acts = args.acts ?? run.scratch(16, 'no acts');
  const mask = args.mask ?? run.scratch(16, 'no mask');
  const bindGroup = gpu.bindGroup(compiled, [
    args.g,
    args.wh,
    args.hseq,
    args.cseq,
    acts,
    mask,
    { buffer: stepParams, size: 32 },
    args.recurrentMask ?? run.scratch(16, 'no recurrent mask'),
  ]);
  pass.setPipeline(compiled.pipeline);
  const groupsX = ceilDiv(H, splitK ? SPLIT_UNITS : WG);
  const groupsY = ceilDiv(B, rows);
  for (let t = 0; t < T; t++) {
    pass.setBindGroup(0, bindGroup, [t * STEP_SLOT]);
    dispatch(gpu, pass, `LSTM step (B=${B}, H=${H})`, groupsX, groupsY);
  }
}
