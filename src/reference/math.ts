// The CPU oracle's kernels: plain loops in Float64, one function per GPU kernel, same
// arguments. Nothing here knows about the GPU.

import { type Activation, gradientNeedsInput } from '../spec/names.js';

export type { Activation };

export function activate(name: Activation, x: number): number {
  switch (name) {
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'hardSigmoid':
      return Math.min(1, Math.max(0, 0.2 * x + 0.5));
    case 'relu':
      return Math.max(0, x);
    case 'linear':
      return x;
    case 'elu':
      return x > 0 ? x : Math.expm1(x);
    case 'selu':
      return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
    case 'softplus':
      return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    case 'softsign':
      return x / (1 + Math.abs(x));
    case 'gelu':
      return x * normalCdf(x);
    case 'swish':
      return x / (1 + Math.exp(-x));
  }
}

/** Φ(x) = (1 + erf(x/√2)) / 2, from erfc on |x| (no cancellation for x < 0). */
export function normalCdf(x: number): number {
  const tail = erfc(Math.abs(x) / Math.SQRT2) / 2;
  return x < 0 ? tail : 1 - tail;
}

/**
 * erfc(z) for z ≥ 0 in Float64: 1 − the Maclaurin series of erf below 2 (≤ 1.1e-15 absolute
 * against Python's math.erfc on a 0.01 grid), above it the continued fraction
 * erfc(z) = e^−z²/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))) from 80 terms down (≤ 3.3e-13
 * relative, 2 ≤ z ≤ 27).
 */
export function erfc(z: number): number {
  if (z < 2) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 60; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  let fraction = z;
  for (let k = 80; k >= 1; k--) fraction = z + k / 2 / fraction;
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / fraction;
}

/** What a recurrent cell keeps of an activation for its backward: y, or (gelu, swish) its input z. */
export function keptActivation(name: Activation, z: number, y: number): number {
  return gradientNeedsInput(name) ? z : y;
}

/** Keras's selu constants. */
export const SELU_ALPHA = 1.6732632423543772;
export const SELU_SCALE = 1.0507009873554805;

export interface GemmShape {
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  /** The stored A's rows (m, or k with transA) are time-major (t·batch + b) over batch-major storage. */
  aRowsBatchMajor?: { steps: number; batch: number };
  /** The stored A's rows (m, or k with transA) t·batch + b read step steps−1−t (goBackwards). */
  aRowsReversed?: { steps: number; batch: number };
  aOffset?: number;
  /** Applied to every output element; linear by default. */
  activation?: Activation;
}

/** Y[M,N] = op(A)·op(B) + bias (+ y0 when given): the twin of kernels/gemm. */
export function gemm(a: ArrayLike<number>, b: ArrayLike<number>, bias: ArrayLike<number> | undefined, shape: GemmShape, y0?: ArrayLike<number>): Float64Array {
  const { M, N, K } = shape;
  const off = shape.aOffset ?? 0;
  const y = new Float64Array(M * N);
  const seq = shape.aRowsBatchMajor ?? shape.aRowsReversed;
  const physicalRow = (r: number) => {
    if (!seq) return r;
    const b = r % seq.batch;
    const t = shape.aRowsReversed ? seq.steps - 1 - Math.floor(r / seq.batch) : Math.floor(r / seq.batch);
    return shape.aRowsBatchMajor ? b * seq.steps + t : t * seq.batch + b;
  };
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = bias ? bias[n] : 0;
      for (let k = 0; k < K; k++) {
        const av = shape.transA ? a[off + physicalRow(k) * M + m] : a[off + physicalRow(m) * K + k];
        const bv = shape.transB ? b[n * K + k] : b[k * N + n];
        sum += av * bv;
      }
      y[m * N + n] = activate(shape.activation ?? 'linear', sum + (y0 ? y0[m * N + n] : 0));
    }
  }
  return y;
}

/** Σ over the rows of x [rows, cols]: [cols] (a bias's gradient). */
export function columnSums(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let n = 0; n < cols; n++) out[n] += x[r * cols + n];
  return out;
}

/** A time-major [T, B, F] array as batch-major [B, T, F]. */
export function toBatchMajor(timeMajor: ArrayLike<number>, B: number, T: number, F: number): Float64Array {
  const out = new Float64Array(B * T * F);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let f = 0; f < F; f++) out[(b * T + t) * F + f] = timeMajor[(t * B + b) * F + f];
  return out;
}

export interface LstmCellOptions {
  activation: Activation;
  recurrentActivation: Activation;
}

export interface LstmStepResult {
  /** [B, H] */
  h: Float64Array;
  /** [B, H] */
  c: Float64Array;
  /** [B, 4H] activated gates i, f, g, o */
  acts: Float64Array;
}

/**
 * One LSTM step (Keras gate order i, f, c, o): the twin of kernels/lstmStepForward.
 * @param g     [B, 4H] gate pre-activations from the input projection for this step
 * @param hPrev [B, H], cPrev [B, H], wh [H, 4H]
 */
export function lstmStep(
  g: ArrayLike<number>,
  hPrev: ArrayLike<number>,
  cPrev: ArrayLike<number>,
  wh: ArrayLike<number>,
  B: number,
  H: number,
  options: LstmCellOptions,
): LstmStepResult {
  const H4 = 4 * H;
  const z = gemm(hPrev, wh, undefined, { M: B, N: H4, K: H }, g);
  const h = new Float64Array(B * H);
  const c = new Float64Array(B * H);
  const acts = new Float64Array(B * H4);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const row = b * H4;
      const i = activate(options.recurrentActivation, z[row + j]);
      const f = activate(options.recurrentActivation, z[row + H + j]);
      const gg = activate(options.activation, z[row + 2 * H + j]);
      const o = activate(options.recurrentActivation, z[row + 3 * H + j]);
      const cell = f * cPrev[b * H + j] + i * gg;
      c[b * H + j] = cell;
      h[b * H + j] = o * activate(options.activation, cell);
      // As the GPU keeps them: activated, or (gelu, swish) the pre-activation.
      acts[row + j] = keptActivation(options.recurrentActivation, z[row + j], i);
      acts[row + H + j] = keptActivation(options.recurrentActivation, z[row + H + j], f);
      acts[row + 2 * H + j] = keptActivation(options.activation, z[row + 2 * H + j], gg);
      acts[row + 3 * H + j] = keptActivation(options.recurrentActivation, z[row + 3 * H + j], o);
    }
  }
  return { h, c, acts };
}
