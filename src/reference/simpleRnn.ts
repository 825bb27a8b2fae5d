// The SimpleRNN layer on the CPU in Float64: the spec of kernels/simpleRnnStep* and
// lstm/simpleRnn. Layouts follow the GPU: time-major inside, batch-major at the boundary.
//   h[t] = act(x[t]·W + h[t-1]·U + b)
import { resolveSimpleRnnConfig, simpleRnnWeightShapes, type ResolvedSimpleRnnConfig, type SimpleRnnConfig } from '../spec/recurrentConfig.js';
import { activationGrad, activationGradFromOutput, backThroughTime, inputProjectionGrads, recurrentKernelGrad, recurrentStateGrad } from './backward.js';
import { activate, gemm, type Activation } from './math.js';
import { gradientNeedsInput } from '../spec/names.js';
import {
  ReferenceRecurrent,
  type HiddenState,
  type RecurrentDims,
  type RecurrentOutputGrad,
  type RecurrentRun,
  type ReferenceRecurrentSaved,
} from './recurrent.js';
import { carryMaskedStep } from './sequenceOptions.js';
import { maskStates } from './dropout.js';

export { toBatchMajor } from './math.js';
export type { RecurrentDims };

export interface SimpleRnnWeights {
  /** [D, H] */
  kernel: ArrayLike<number>;
  /** [H, H] */
  recurrentKernel: ArrayLike<number>;
  /** [H], or undefined without bias */
  bias?: ArrayLike<number>;
}

/**
 * One step: the twin of kernels/simpleRnnStepForward.
 * @param g [B, H] x[t]·W + b; hPrev [B, H]; u [H, H]. Returns h [B, H].
 */
export function simpleRnnStep(
  g: ArrayLike<number>,
  hPrev: ArrayLike<number>,
  u: ArrayLike<number>,
  B: number,
  H: number,
  activation: Activation,
): Float64Array {
  return simpleRnnPreActivation(g, hPrev, u, B, H).map((v) => activate(activation, v));
}

/** z [B, H] = g + hPrev·u: a step's pre-activation. */
function simpleRnnPreActivation(g: ArrayLike<number>, hPrev: ArrayLike<number>, u: ArrayLike<number>, B: number, H: number): Float64Array {
  return gemm(hPrev, u, undefined, { M: B, N: H, K: H }, g);
}

/**
 * The layer forward; the kept state sequence is all the backward needs, and for gelu and swish
 * (gradientNeedsInput) the pre-activations `pre` [T, B, H] too. x: [B, T, D].
 */
export function simpleRnnForwardTrain(
  x: ArrayLike<number>,
  dims: RecurrentDims,
  weights: SimpleRnnWeights,
  options: { activation: Activation; initialState?: ArrayLike<number>; mask?: ArrayLike<number>; recurrentMask?: ArrayLike<number> },
): { hseq: Float64Array; pre?: Float64Array } {
  const { B, T, D, H } = dims;
  const g = gemm(x, weights.kernel, weights.bias, { M: T * B, N: H, K: D, aRowsBatchMajor: { steps: T, batch: B } });
  // [T+1, B, H], slot 0 = h0
  const hseq = new Float64Array((T + 1) * B * H);
  const pre = gradientNeedsInput(options.activation) ? new Float64Array(T * B * H) : undefined;
  if (options.initialState) hseq.set(Array.from(options.initialState));
  for (let t = 0; t < T; t++) {
    // recurrentDropout: the recurrent matmul takes h[t-1]⊙m.
    const prev = hseq.subarray(t * B * H, (t + 1) * B * H);
    const hPrev = options.recurrentMask ? maskStates(prev, options.recurrentMask) : prev;
    const z = simpleRnnPreActivation(g.subarray(t * B * H, (t + 1) * B * H), hPrev, weights.recurrentKernel, B, H);
    if (pre) pre.set(z, t * B * H);
    hseq.set(
      z.map((v) => activate(options.activation, v)),
      (t + 1) * B * H,
    );
    carryMaskedStep(hseq, options.mask, t, B, T, H);
  }
  return pre ? { hseq, pre } : { hseq };
}

export interface SimpleRnnGradients {
  /** [D, H], [H, H], [H] */
  dKernel: Float64Array;
  dRecurrentKernel: Float64Array;
  dBias: Float64Array;
  /** [B, T, D] batch-major */
  dX: Float64Array;
  /** [B, H] */
  dh0: Float64Array;
  /** [T, B, H] pre-activation gradients (the GPU's dG) */
  dG: Float64Array;
}

/**
 * BPTT. dY is the gradient of the output: `sequence` [B, T, H] or `last` [B, H]; dhT that of a
 * returned final state.
 */
export function simpleRnnBackward(
  x: ArrayLike<number>,
  dims: RecurrentDims,
  weights: SimpleRnnWeights,
  options: { activation: Activation },
  cache: { hseq: Float64Array; pre?: Float64Array },
  dY: RecurrentOutputGrad,
  finalStateGrads: { dhT?: ArrayLike<number> } = {},
  mask?: ArrayLike<number>,
  recurrentMask?: ArrayLike<number>,
): SimpleRnnGradients {
  const { B, T, H } = dims;
  const dG = new Float64Array(T * B * H);
  // A masked step passes dh through unchanged; its pre-activation gradient is zero.
  const dh0 = backThroughTime(
    dims,
    dY,
    finalStateGrads.dhT,
    mask,
    (t, b, j, dh) => {
      const e = (t * B + b) * H + j;
      dG[e] = dh * (cache.pre ? activationGrad(options.activation, cache.pre[e]) : activationGradFromOutput(options.activation, cache.hseq[e + B * H]));
      return 0;
    },
    (t, carried) => recurrentStateGrad(dG.subarray(t * B * H, (t + 1) * B * H), weights.recurrentKernel, H, B, H, recurrentMask, carried),
  );
  const { dKernel, dBias, dX } = inputProjectionGrads(x, dG, weights.kernel, dims, H);
  const dRecurrentKernel = recurrentKernelGrad(cache.hseq, dG, recurrentMask, dims, H);
  return { dKernel, dRecurrentKernel, dBias, dX, dh0, dG };
}

/** What ReferenceSimpleRnn.backward needs from its forwardTrain. */
export type SimpleRnnSaved = ReferenceRecurrentSaved<{ hseq: Float64Array; pre?: Float64Array }>;

/** The SimpleRNN layer on the CPU, with the configuration and weights of the GPU layer. */
export class ReferenceSimpleRnn extends ReferenceRecurrent<ResolvedSimpleRnnConfig, { hseq: Float64Array; pre?: Float64Array }> {
  constructor(config: SimpleRnnConfig) {
    super(resolveSimpleRnnConfig(config), { gates: 1, withCell: false, weightShapes: simpleRnnWeightShapes });
  }

  protected forwardSequence(
    { x, dims, weights, mask, recurrentMask }: RecurrentRun,
    start: HiddenState | undefined,
  ): { hseq: Float64Array; pre?: Float64Array } {
    return simpleRnnForwardTrain(x, dims, weights, { activation: this.config.activation, initialState: start?.h, mask, recurrentMask });
  }

  protected backwardSequence(
    { x, dims, weights, mask, recurrentMask }: RecurrentRun,
    cache: { hseq: Float64Array; pre?: Float64Array },
    dY: RecurrentOutputGrad,
  ) {
    return simpleRnnBackward(x, dims, weights, this.config, cache, dY, {}, mask, recurrentMask);
  }
}
