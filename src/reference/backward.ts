// Backpropagation through time and the Dense layer's backward pass on the CPU, in Float64:
// the spec of the GPU's backward kernels. Layouts follow the GPU: time-major inside.
import { activate, gemm, lstmStep, type Activation, type LstmCellOptions } from './math.js';
import { softmax } from './losses.js';
import { maskStates } from './dropout.js';

/** An LSTM layer's weights, Keras layout and gate order (i, f, c, o). */
export interface LstmWeights {
  /** [D, 4H] */
  kernel: ArrayLike<number>;
  /** [H, 4H] */
  recurrentKernel: ArrayLike<number>;
  /** [4H], or undefined without bias */
  bias?: ArrayLike<number>;
}

/** What the forward keeps for the backward, time-major. */
export interface LstmCache {
  /** [T+1, B, H], slot 0 = h0 */
  hseq: Float64Array;
  /** [T+1, B, H], slot 0 = c0 */
  cseq: Float64Array;
  /** [T, B, 4H] activated gates i, f, g, o */
  acts: Float64Array;
}

export interface LstmDims {
  B: number;
  T: number;
  D: number;
  H: number;
}

/** The layer forward keeping its activations. x: [B, T, D] batch-major. */
export function lstmForwardTrain(
  x: ArrayLike<number>,
  dims: LstmDims,
  weights: LstmWeights,
  options: LstmCellOptions & { initialState?: { h: ArrayLike<number>; c: ArrayLike<number> }; mask?: ArrayLike<number>; recurrentMask?: ArrayLike<number> },
): LstmCache {
  const { B, T, D, H } = dims;
  const H4 = 4 * H;
  const g = gemm(x, weights.kernel, weights.bias, { M: T * B, N: H4, K: D, aRowsBatchMajor: { steps: T, batch: B } });
  const hseq = new Float64Array((T + 1) * B * H);
  const cseq = new Float64Array((T + 1) * B * H);
  const acts = new Float64Array(T * B * H4);
  if (options.initialState) {
    hseq.set(Array.from(options.initialState.h));
    cseq.set(Array.from(options.initialState.c));
  }
  for (let t = 0; t < T; t++) {
    const slot = (s: number) => [s * B * H, (s + 1) * B * H] as const;
    // recurrentDropout: the recurrent matmul takes h[t-1]⊙m.
    const hPrev = options.recurrentMask ? maskStates(hseq.subarray(...slot(t)), options.recurrentMask) : hseq.subarray(...slot(t));
    const step = lstmStep(g.subarray(t * B * H4, (t + 1) * B * H4), hPrev, cseq.subarray(...slot(t)), weights.recurrentKernel, B, H, options);
    hseq.set(step.h, (t + 1) * B * H);
    cseq.set(step.c, (t + 1) * B * H);
    acts.set(step.acts, t * B * H4);
    // Keras masking: a masked step (mask[b, t] = 0) keeps h and c; its acts are zeros.
    if (options.mask) {
      for (let b = 0; b < B; b++) {
        if (options.mask[b * T + t] !== 0) continue;
        hseq.copyWithin((t + 1) * B * H + b * H, t * B * H + b * H, t * B * H + (b + 1) * H);
        cseq.copyWithin((t + 1) * B * H + b * H, t * B * H + b * H, t * B * H + (b + 1) * H);
        acts.fill(0, (t * B + b) * H4, (t * B + b + 1) * H4);
      }
    }
  }
  return { hseq, cseq, acts };
}

/** Derivative of `name` at its input, from its output y. */
export function activationGradFromOutput(name: Activation, y: number): number {
  switch (name) {
    case 'tanh':
      return 1 - y * y;
    case 'sigmoid':
      return y * (1 - y);
    case 'hardSigmoid':
      return y > 0 && y < 1 ? 0.2 : 0;
    case 'relu':
      return y > 0 ? 1 : 0;
    case 'linear':
      return 1;
  }
}

export interface LstmGradients {
  /** [D, 4H], [H, 4H], [4H] */
  dKernel: Float64Array;
  dRecurrentKernel: Float64Array;
  dBias: Float64Array;
  /** [B, T, D] batch-major */
  dX: Float64Array;
  /** [B, H] */
  dh0: Float64Array;
  dc0: Float64Array;
  /** [T, B, 4H] gate pre-activation gradients (the GPU's dG) */
  dG: Float64Array;
}

/**
 * BPTT over all steps. dY is the gradient of the layer's output: `sequence` [B, T, H]
 * (returnSequences) or `last` [B, H]; dhT / dcT are gradients of returned final states.
 */
export function lstmBackward(
  x: ArrayLike<number>,
  dims: LstmDims,
  weights: LstmWeights,
  options: LstmCellOptions,
  cache: LstmCache,
  dY: { sequence: ArrayLike<number> } | { last: ArrayLike<number> },
  finalStateGrads: { dhT?: ArrayLike<number>; dcT?: ArrayLike<number> } = {},
  mask?: ArrayLike<number>,
  recurrentMask?: ArrayLike<number>,
): LstmGradients {
  const { B, T, D, H } = dims;
  const H4 = 4 * H;
  const dG = new Float64Array(T * B * H4);
  let dhNext: Float64Array = Float64Array.from(finalStateGrads.dhT ?? new Float64Array(B * H));
  const dc: Float64Array = Float64Array.from(finalStateGrads.dcT ?? new Float64Array(B * H));
  for (let t = T - 1; t >= 0; t--) {
    // A masked step passes dh and dc through unchanged; its gate gradients are zero.
    const carried = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      const masked = mask !== undefined && mask[b * T + t] === 0;
      for (let j = 0; j < H; j++) {
        let dh = dhNext[b * H + j];
        if ('sequence' in dY) dh += dY.sequence[(b * T + t) * H + j];
        else if (t === T - 1) dh += dY.last[b * H + j];
        const a = (t * B + b) * H4 + j;
        if (masked) {
          carried[b * H + j] = dh;
          continue;
        }
        const [i, f, g, o] = [cache.acts[a], cache.acts[a + H], cache.acts[a + 2 * H], cache.acts[a + 3 * H]];
        const c = cache.cseq[((t + 1) * B + b) * H + j];
        const cPrev = cache.cseq[(t * B + b) * H + j];
        const tc = activate(options.activation, c);
        const dcr = dc[b * H + j] + dh * o * activationGradFromOutput(options.activation, tc);
        dG[a] = dcr * g * activationGradFromOutput(options.recurrentActivation, i);
        dG[a + H] = dcr * cPrev * activationGradFromOutput(options.recurrentActivation, f);
        dG[a + 2 * H] = dcr * i * activationGradFromOutput(options.activation, g);
        dG[a + 3 * H] = dh * tc * activationGradFromOutput(options.recurrentActivation, o);
        dc[b * H + j] = dcr * f;
      }
    }
    // dh[t-1] = (dG[t]·Whᵀ)⊙m
    dhNext = gemm(dG.subarray(t * B * H4, (t + 1) * B * H4), weights.recurrentKernel, undefined, { M: B, N: H, K: H4, transB: true });
    if (recurrentMask) dhNext = maskStates(dhNext, recurrentMask);
    for (let e = 0; e < B * H; e++) dhNext[e] += carried[e];
  }
  const rows = T * B;
  const dKernel = gemm(x, dG, undefined, { M: D, N: H4, K: rows, transA: true, aRowsBatchMajor: { steps: T, batch: B } });
  const hPrev = recurrentMask ? maskStates(cache.hseq.subarray(0, rows * H), recurrentMask) : cache.hseq;
  const dRecurrentKernel = gemm(hPrev, dG, undefined, { M: H, N: H4, K: rows, transA: true });
  const dBias = new Float64Array(H4);
  for (let r = 0; r < rows; r++) for (let n = 0; n < H4; n++) dBias[n] += dG[r * H4 + n];
  const dXTimeMajor = gemm(dG, weights.kernel, undefined, { M: rows, N: D, K: H4, transB: true });
  const dX = new Float64Array(B * T * D);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) dX.set(dXTimeMajor.subarray((t * B + b) * D, (t * B + b + 1) * D), (b * T + t) * D);
  return { dKernel, dRecurrentKernel, dBias, dX, dh0: dhNext, dc0: dc, dG };
}

export type DenseActivation = Activation | 'softmax';

/** y = act(x·W + b) for x [R, F], W [F, K]. */
export function denseForward(
  x: ArrayLike<number>,
  kernel: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  R: number,
  F: number,
  K: number,
  activation: DenseActivation,
): Float64Array {
  if (activation !== 'softmax') return gemm(x, kernel, bias, { M: R, N: K, K: F, activation });
  return softmax(gemm(x, kernel, bias, { M: R, N: K, K: F }), R, K);
}

/**
 * The Dense backward. `dOut` is d(loss)/d(y), or d(loss)/d(z) with `gradIsPreActivation`
 * (a fused loss). Returns dKernel [F, K], dBias [K], dX [R, F].
 */
export function denseBackward(
  x: ArrayLike<number>,
  kernel: ArrayLike<number>,
  y: ArrayLike<number>,
  dOut: ArrayLike<number>,
  R: number,
  F: number,
  K: number,
  activation: DenseActivation,
  gradIsPreActivation = false,
): { dKernel: Float64Array; dBias: Float64Array; dX: Float64Array } {
  const dz = new Float64Array(R * K);
  for (let r = 0; r < R; r++) {
    let dot = 0;
    if (activation === 'softmax') for (let k = 0; k < K; k++) dot += dOut[r * K + k] * y[r * K + k];
    for (let k = 0; k < K; k++) {
      const e = r * K + k;
      if (gradIsPreActivation) dz[e] = dOut[e];
      else if (activation === 'softmax') dz[e] = y[e] * (dOut[e] - dot);
      else dz[e] = dOut[e] * activationGradFromOutput(activation, y[e]);
    }
  }
  const dKernel = gemm(x, dz, undefined, { M: F, N: K, K: R, transA: true });
  const dBias = new Float64Array(K);
  for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) dBias[k] += dz[r * K + k];
  const dX = gemm(dz, kernel, undefined, { M: R, N: F, K, transB: true });
  return { dKernel, dBias, dX };
}
