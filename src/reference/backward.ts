// Backpropagation through time and the Dense layer's backward pass on the CPU, in Float64:
// the spec of the GPU's backward kernels. Layouts follow the GPU: time-major inside.
import { activate, columnSums, gemm, lstmStep, normalCdf, SELU_ALPHA, SELU_SCALE, toBatchMajor, type Activation, type LstmCellOptions } from './math.js';
import { softmax } from './losses.js';
import { gradientNeedsInput } from '../spec/names.js';
import { maskStates } from './dropout.js';
import type { RecurrentDims, RecurrentOutputGrad } from './recurrent.js';
import { carryMaskedStep } from './sequenceOptions.js';

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

export type LstmDims = RecurrentDims;

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
    carryMaskedStep(hseq, options.mask, t, B, T, H);
    carryMaskedStep(cseq, options.mask, t, B, T, H);
    for (let b = 0; b < B; b++) if (options.mask?.[b * T + t] === 0) acts.fill(0, (t * B + b) * H4, (t * B + b + 1) * H4);
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
    case 'elu':
      return y > 0 ? 1 : y + 1;
    case 'selu':
      return y > 0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA;
    case 'softplus':
      return -Math.expm1(-y);
    case 'softsign':
      return (1 - Math.abs(y)) ** 2;
    case 'gelu':
    case 'swish':
      throw new Error(`activationGradFromOutput: ${name}'s derivative needs its input: use activationGrad(name, x).`);
  }
}

/** An activation's [output, derivative] from what a recurrent cell kept (keptActivation: y, or z for gelu and swish). */
export function fromKept(name: Activation, kept: number): [number, number] {
  return gradientNeedsInput(name) ? [activate(name, kept), activationGrad(name, kept)] : [kept, activationGradFromOutput(name, kept)];
}

/** Derivative of `name` at its input x (gelu: Φ(x) + x·φ(x); swish: σ(x)·(1 + x·(1 − σ(x)))). */
export function activationGrad(name: Activation, x: number): number {
  if (name === 'gelu') return normalCdf(x) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
  if (name === 'swish') {
    const s = 1 / (1 + Math.exp(-x));
    return s * (1 + x * (1 - s));
  }
  return activationGradFromOutput(name, activate(name, x));
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
  dY: RecurrentOutputGrad,
  finalStateGrads: { dhT?: ArrayLike<number>; dcT?: ArrayLike<number> } = {},
  mask?: ArrayLike<number>,
  recurrentMask?: ArrayLike<number>,
): LstmGradients {
  const { B, T, H } = dims;
  const H4 = 4 * H;
  const dG = new Float64Array(T * B * H4);
  const dc: Float64Array = Float64Array.from(finalStateGrads.dcT ?? new Float64Array(B * H));
  // A masked step passes dh and dc through unchanged; its gate gradients are zero.
  const dh0 = backThroughTime(
    dims,
    dY,
    finalStateGrads.dhT,
    mask,
    (t, b, j, dh) => {
      const a = (t * B + b) * H4 + j;
      const { activation: act, recurrentActivation: rec } = options;
      const [[i, di], [f, df], [g, dg], [o, dO]] = [
        fromKept(rec, cache.acts[a]),
        fromKept(rec, cache.acts[a + H]),
        fromKept(act, cache.acts[a + 2 * H]),
        fromKept(rec, cache.acts[a + 3 * H]),
      ];
      const c = cache.cseq[((t + 1) * B + b) * H + j];
      const cPrev = cache.cseq[(t * B + b) * H + j];
      const tc = activate(act, c);
      const dcr = dc[b * H + j] + dh * o * activationGrad(act, c);
      dG[a] = dcr * g * di;
      dG[a + H] = dcr * cPrev * df;
      dG[a + 2 * H] = dcr * i * dg;
      dG[a + 3 * H] = dh * tc * dO;
      dc[b * H + j] = dcr * f;
      return 0;
    },
    (t, carried) => recurrentStateGrad(dG.subarray(t * B * H4, (t + 1) * B * H4), weights.recurrentKernel, H4, B, H, recurrentMask, carried),
  );
  const { dKernel, dBias, dX } = inputProjectionGrads(x, dG, weights.kernel, dims, H4);
  const dRecurrentKernel = recurrentKernelGrad(cache.hseq, dG, recurrentMask, dims, H4);
  return { dKernel, dRecurrentKernel, dBias, dX, dh0, dc0: dc, dG };
}

/**
 * BPTT's loop over t = T−1 … 0 from dh_T = dhT (zeros without it): dh of step t [B, H]
 * (stepStateGrad), `cell(t, b, j, dh)` for every (b, j) of a row the mask keeps at t (it writes
 * the step's gate gradients and returns the part of dh[t-1] that bypasses the recurrent matmul),
 * then dh[t-1] = `previous(t, carried)`, where carried [B, H] holds those parts and, at masked
 * rows, dh itself (a masked step passes dh through unchanged). Returns dh0.
 */
export function backThroughTime(
  dims: { B: number; T: number; H: number },
  dY: RecurrentOutputGrad,
  dhT: ArrayLike<number> | undefined,
  mask: ArrayLike<number> | undefined,
  cell: (t: number, b: number, j: number, dh: number) => number,
  previous: (t: number, carried: Float64Array) => Float64Array,
): Float64Array {
  const { B, T, H } = dims;
  let dhNext: Float64Array = Float64Array.from(dhT ?? new Float64Array(B * H));
  for (let t = T - 1; t >= 0; t--) {
    const dhs = stepStateGrad(dhNext, dY, t, B, T, H);
    const carried = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      const masked = mask !== undefined && mask[b * T + t] === 0;
      for (let j = 0; j < H; j++) {
        const e = b * H + j;
        carried[e] = masked ? dhs[e] : cell(t, b, j, dhs[e]);
      }
    }
    dhNext = previous(t, carried);
  }
  return dhNext;
}

/** dh of step t [B, H]: what step t+1 passes back (dhNext [B, H]) plus the output's gradient at step t. */
export function stepStateGrad(dhNext: ArrayLike<number>, dY: RecurrentOutputGrad, t: number, B: number, T: number, H: number): Float64Array {
  const dh = Float64Array.from(dhNext);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      if ('sequence' in dY) dh[b * H + j] += dY.sequence[(b * T + t) * H + j];
      else if (t === T - 1) dh[b * H + j] += dY.last[b * H + j];
    }
  }
  return dh;
}

/**
 * dh[t-1] [B, H] = (dG[t]·Uᵀ)⊙m + carried: the gradient through the recurrent matmul (dG[t]
 * [B, N], U [H, N]), times the recurrent-dropout mask m [B, H] the forward read h[t-1] with,
 * plus what masked steps pass on unchanged (`carried` [B, H]).
 */
export function recurrentStateGrad(
  dGt: ArrayLike<number>,
  u: ArrayLike<number>,
  N: number,
  B: number,
  H: number,
  recurrentMask: ArrayLike<number> | undefined,
  carried: ArrayLike<number>,
): Float64Array {
  let dh = gemm(dGt, u, undefined, { M: B, N: H, K: N, transB: true });
  if (recurrentMask) dh = maskStates(dh, recurrentMask);
  for (let e = 0; e < B * H; e++) dh[e] += carried[e];
  return dh;
}

/**
 * dU = h'ᵀ·dG [H, N] over all T·B rows: h' [T, B, H] = h[t-1]⊙m, the states the cell read
 * (slots 0 … T−1 of hseq, times the recurrent-dropout mask [B, H] when given); dG [T, B, N].
 */
export function recurrentKernelGrad(
  hseq: Float64Array,
  dG: ArrayLike<number>,
  recurrentMask: ArrayLike<number> | undefined,
  dims: RecurrentDims,
  N: number,
): Float64Array {
  const { B, T, H } = dims;
  const rows = T * B;
  const hPrev = recurrentMask ? maskStates(hseq.subarray(0, rows * H), recurrentMask) : hseq;
  return gemm(hPrev, dG, undefined, { M: H, N, K: rows, transA: true });
}

/**
 * The backward of the input projection G = X·W + b over all steps, from dG [T, B, N]
 * (time-major): dW = Xᵀ·dG [D, N], db = Σ_rows dG [N], dX = dG·Wᵀ [B, T, D] batch-major.
 * x [B, T, D] batch-major.
 */
export function inputProjectionGrads(
  x: ArrayLike<number>,
  dG: Float64Array,
  kernel: ArrayLike<number>,
  dims: RecurrentDims,
  N: number,
): { dKernel: Float64Array; dBias: Float64Array; dX: Float64Array } {
  const { B, T, D } = dims;
  const rows = T * B;
  const dKernel = gemm(x, dG, undefined, { M: D, N, K: rows, transA: true, aRowsBatchMajor: { steps: T, batch: B } });
  const dBias = columnSums(dG, rows, N);
  const dX = toBatchMajor(gemm(dG, kernel, undefined, { M: rows, N: D, K: N, transB: true }), B, T, D);
  return { dKernel, dBias, dX };
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
 * (a fused loss); `z` the pre-activation, for gelu and swish. Returns dKernel [F, K], dBias [K], dX [R, F].
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
  z?: ArrayLike<number>,
): { dKernel: Float64Array; dBias: Float64Array; dX: Float64Array } {
  const dz = preActivationGrad(y, dOut, R, K, activation, gradIsPreActivation, z);
  const dKernel = gemm(x, dz, undefined, { M: F, N: K, K: R, transA: true });
  const dBias = columnSums(dz, R, K);
  const dX = gemm(dz, kernel, undefined, { M: R, N: F, K, transB: true });
  return { dKernel, dBias, dX };
}

/**
 * dZ [R, K] of y = act(z) (rows of K) from y and dY: dY·act'(z), softmax y⊙(dY − Σ_k dY⊙y) per
 * row; with `gradIsPreActivation` dY already is dZ (a fused loss) and is copied. gelu and swish
 * take act' from `z` (gradientNeedsInput).
 */
export function preActivationGrad(
  y: ArrayLike<number>,
  dY: ArrayLike<number>,
  R: number,
  K: number,
  activation: DenseActivation,
  gradIsPreActivation: boolean,
  z?: ArrayLike<number>,
): Float64Array {
  const dz = new Float64Array(R * K);
  if (!gradIsPreActivation && activation !== 'softmax' && gradientNeedsInput(activation)) {
    if (!z) throw new Error(`preActivationGrad: ${activation}'s derivative needs the pre-activation z.`);
    for (let e = 0; e < R * K; e++) dz[e] = dY[e] * activationGrad(activation, z[e]);
    return dz;
  }
  for (let r = 0; r < R; r++) {
    let dot = 0;
    if (activation === 'softmax') for (let k = 0; k < K; k++) dot += dY[r * K + k] * y[r * K + k];
    for (let k = 0; k < K; k++) {
      const e = r * K + k;
      if (gradIsPreActivation) dz[e] = dY[e];
      else if (activation === 'softmax') dz[e] = y[e] * (dY[e] - dot);
      else dz[e] = dY[e] * activationGradFromOutput(activation, y[e]);
    }
  }
  return dz;
}
