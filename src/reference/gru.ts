// The GRU layer on the CPU in Float64 (Keras 2 gate order z, r, h): the spec of
// kernels/gruStep* and lstm/gru. Layouts follow the GPU: time-major inside.
//   a = x[t]·W + b_in                      (b_in = bias, or its input row with resetAfter)
//   resetAfter:  m = h[t-1]·U + b_rec;  z = σ(a_z + m_z), r = σ(a_r + m_r), n = act(a_h + r⊙m_h)
//   otherwise:   z = σ(a_z + h[t-1]·U_z), r = σ(a_r + h[t-1]·U_r), n = act(a_h + (r⊙h[t-1])·U_h)
//   h[t] = z⊙h[t-1] + (1 − z)⊙n
import { gruWeightShapes, resolveGruConfig, type GruConfig, type ResolvedGruConfig } from '../spec/recurrentConfig.js';
import { backThroughTime, fromKept, inputProjectionGrads, recurrentKernelGrad } from './backward.js';
import { activate, columnSums, gemm, keptActivation, type Activation } from './math.js';
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

export interface GruCellOptions {
  activation: Activation;
  recurrentActivation: Activation;
  resetAfter: boolean;
}

export interface GruWeights {
  /** [D, 3H] */
  kernel: ArrayLike<number>;
  /** [H, 3H] */
  recurrentKernel: ArrayLike<number>;
  /** resetAfter: [2, 3H] (input row, recurrent row); otherwise [3H]; undefined without bias */
  bias?: ArrayLike<number>;
}

export interface GruStepResult {
  /** [B, H] */
  h: Float64Array;
  /** [B, 3H] activated gates z, r and the candidate n */
  acts: Float64Array;
  /** [B, H] resetAfter: m_h = h[t-1]·U_h + b_rec,h; otherwise q = r⊙h[t-1] */
  aux: Float64Array;
}

/** The input and recurrent biases of `weights` ([3H] each, or undefined). */
export function splitGruBias(weights: GruWeights, H: number, resetAfter: boolean): { input?: ArrayLike<number>; recurrent?: ArrayLike<number> } {
  const bias = weights.bias;
  if (!bias) return {};
  if (!resetAfter) return { input: bias };
  return { input: Array.prototype.slice.call(bias, 0, 3 * H), recurrent: Array.prototype.slice.call(bias, 3 * H, 6 * H) };
}

/**
 * One GRU step: the twin of kernels/gruStepForward (both phases of resetAfter = false).
 * @param a [B, 3H] x[t]·W + b_in; hPrev [B, H]; u [H, 3H]; recurrentBias [3H] (resetAfter only)
 */
export function gruStep(
  a: ArrayLike<number>,
  hPrev: ArrayLike<number>,
  u: ArrayLike<number>,
  recurrentBias: ArrayLike<number> | undefined,
  B: number,
  H: number,
  options: GruCellOptions,
): GruStepResult {
  const H3 = 3 * H;
  const { activation, recurrentActivation } = options;
  const h = new Float64Array(B * H);
  const acts = new Float64Array(B * H3);
  const aux = new Float64Array(B * H);
  const m = gemm(hPrev, u, options.resetAfter ? recurrentBias : undefined, { M: B, N: H3, K: H });
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const row = b * H3;
      // As the GPU keeps them: activated, or (gelu, swish) the pre-activations.
      const [zPre, rPre] = [a[row + j] + m[row + j], a[row + H + j] + m[row + H + j]];
      const r = activate(recurrentActivation, rPre);
      acts[row + j] = keptActivation(recurrentActivation, zPre, activate(recurrentActivation, zPre));
      acts[row + H + j] = keptActivation(recurrentActivation, rPre, r);
      if (options.resetAfter) aux[b * H + j] = m[row + 2 * H + j];
      else aux[b * H + j] = r * hPrev[b * H + j];
    }
  }
  // Reset before: the candidate's matmul takes q = r⊙h[t-1] of every unit.
  const mh = options.resetAfter ? undefined : gemm(aux, u, undefined, { M: B, N: H3, K: H });
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const row = b * H3;
      const [z] = fromKept(recurrentActivation, acts[row + j]);
      const [r] = fromKept(recurrentActivation, acts[row + H + j]);
      const pre = options.resetAfter ? a[row + 2 * H + j] + r * aux[b * H + j] : a[row + 2 * H + j] + mh![row + 2 * H + j];
      const n = activate(activation, pre);
      acts[row + 2 * H + j] = keptActivation(activation, pre, n);
      h[b * H + j] = z * hPrev[b * H + j] + (1 - z) * n;
    }
  }
  return { h, acts, aux };
}

/** What the forward keeps for the backward, time-major. */
export interface GruCache {
  /** [T+1, B, H], slot 0 = h0 */
  hseq: Float64Array;
  /** [T, B, 3H] z, r, n */
  acts: Float64Array;
  /** [T, B, H] m_h (resetAfter) or q = r⊙h[t-1] */
  aux: Float64Array;
}

/** The layer forward keeping its activations. x: [B, T, D] batch-major. */
export function gruForwardTrain(
  x: ArrayLike<number>,
  dims: RecurrentDims,
  weights: GruWeights,
  options: GruCellOptions & { initialState?: ArrayLike<number>; mask?: ArrayLike<number>; recurrentMask?: ArrayLike<number> },
): GruCache {
  const { B, T, D, H } = dims;
  const H3 = 3 * H;
  const bias = splitGruBias(weights, H, options.resetAfter);
  const a = gemm(x, weights.kernel, bias.input, { M: T * B, N: H3, K: D, aRowsBatchMajor: { steps: T, batch: B } });
  const hseq = new Float64Array((T + 1) * B * H);
  const acts = new Float64Array(T * B * H3);
  const aux = new Float64Array(T * B * H);
  if (options.initialState) hseq.set(Array.from(options.initialState));
  for (let t = 0; t < T; t++) {
    // recurrentDropout (TF.js): the cell reads h' = h[t-1]⊙m wherever it reads h[t-1]; a masked
    // step still carries the raw h.
    const prev = hseq.subarray(t * B * H, (t + 1) * B * H);
    const hPrev = options.recurrentMask ? maskStates(prev, options.recurrentMask) : prev;
    const step = gruStep(a.subarray(t * B * H3, (t + 1) * B * H3), hPrev, weights.recurrentKernel, bias.recurrent, B, H, options);
    hseq.set(step.h, (t + 1) * B * H);
    acts.set(step.acts, t * B * H3);
    aux.set(step.aux, t * B * H);
    carryMaskedStep(hseq, options.mask, t, B, T, H);
  }
  return { hseq, acts, aux };
}

export interface GruGradients {
  /** [D, 3H], [H, 3H], and [3H] or [2, 3H] (flat) */
  dKernel: Float64Array;
  dRecurrentKernel: Float64Array;
  dBias: Float64Array;
  /** [B, T, D] batch-major */
  dX: Float64Array;
  /** [B, H] */
  dh0: Float64Array;
  /** [T, B, 3H] gradient of a = x·W + b_in (the GPU's dG) */
  dGx: Float64Array;
  /**
   * [T, B, 3H] gradient of the recurrent matmul's output: resetAfter, of m = h[t-1]·U + b_rec
   * (its h block is dGx's times r); otherwise the same array as dGx.
   */
  dGm: Float64Array;
}

/**
 * BPTT over all steps. dY is the gradient of the output: `sequence` [B, T, H] or `last` [B, H];
 * dhT that of a returned final state.
 */
export function gruBackward(
  x: ArrayLike<number>,
  dims: RecurrentDims,
  weights: GruWeights,
  options: GruCellOptions,
  cache: GruCache,
  dY: RecurrentOutputGrad,
  finalStateGrads: { dhT?: ArrayLike<number> } = {},
  mask?: ArrayLike<number>,
  recurrentMask?: ArrayLike<number>,
): GruGradients {
  const { B, T, H } = dims;
  const H3 = 3 * H;
  const { activation: act, recurrentActivation: rec, resetAfter } = options;
  const u = weights.recurrentKernel;
  const dGx = new Float64Array(T * B * H3);
  const dGm = resetAfter ? new Float64Array(T * B * H3) : dGx;
  // The previous states as the cell read them: h' = h⊙m with recurrent dropout.
  const hseq = recurrentMask ? maskStates(cache.hseq, recurrentMask) : cache.hseq;
  const dn = new Float64Array(B * H); // step t's dG_h [B, H]; zeros at masked rows
  // A masked step passes dh through unchanged; its gate gradients (and dn) stay zero.
  const dh0 = backThroughTime(
    dims,
    dY,
    finalStateGrads.dhT,
    mask,
    (t, b, j, dh) => {
      const g = (t * B + b) * H3 + j;
      const [[z, zGrad], [r, rGrad], [n, nGrad]] = [fromKept(rec, cache.acts[g]), fromKept(rec, cache.acts[g + H]), fromKept(act, cache.acts[g + 2 * H])];
      const hPrev = hseq[(t * B + b) * H + j];
      const dz = dh * (hPrev - n) * zGrad;
      dn[b * H + j] = dh * (1 - z) * nGrad;
      dGx[g] = dz;
      dGx[g + 2 * H] = dn[b * H + j];
      if (resetAfter) {
        const mh = cache.aux[(t * B + b) * H + j];
        dGx[g + H] = dn[b * H + j] * mh * rGrad;
        dGm[g] = dz;
        dGm[g + H] = dGx[g + H];
        dGm[g + 2 * H] = dn[b * H + j] * r;
      }
      return dh * z;
    },
    (t, dhPrev) => {
      const dGmT = dGm.subarray(t * B * H3, (t + 1) * B * H3);
      if (resetAfter) {
        // dh[t-1] += dm·Uᵀ
        const back = gemm(dGmT, u, undefined, { M: B, N: H, K: H3, transB: true });
        for (let i = 0; i < B * H; i++) dhPrev[i] += back[i];
      } else {
        // dq = dn·U_hᵀ; dr = dq⊙h[t-1]; dh[t-1] += dq⊙r + (dz, dr)·U_{z,r}ᵀ
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < H; j++) {
            let dq = 0;
            for (let k = 0; k < H; k++) dq += dn[b * H + k] * u[j * H3 + 2 * H + k];
            const g = (t * B + b) * H3 + j;
            if (mask !== undefined && mask[b * T + t] === 0) continue;
            const [r, rGrad] = fromKept(rec, cache.acts[g + H]);
            dGx[g + H] = dq * hseq[(t * B + b) * H + j] * rGrad;
            dhPrev[b * H + j] += dq * r;
          }
        }
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < H; j++) {
            let sum = 0;
            for (let k = 0; k < 2 * H; k++) sum += dGmT[b * H3 + k] * u[j * H3 + k];
            dhPrev[b * H + j] += sum;
          }
        }
      }
      // dhPrev of a step the cell ran is that of h' = h⊙m: times m; a masked step's is h's own.
      if (recurrentMask) {
        for (let b = 0; b < B; b++) {
          if (mask !== undefined && mask[b * T + t] === 0) continue;
          for (let j = 0; j < H; j++) dhPrev[b * H + j] *= recurrentMask[b * H + j];
        }
      }
      dn.fill(0);
      return dhPrev;
    },
  );
  const rows = T * B;
  const input = inputProjectionGrads(x, dGx, weights.kernel, dims, H3);
  let dRecurrentKernel: Float64Array;
  if (resetAfter) dRecurrentKernel = recurrentKernelGrad(cache.hseq, dGm, recurrentMask, dims, H3);
  else {
    // Columns z, r multiply h[t-1]; columns h multiply q = r⊙h[t-1].
    const fromH = recurrentKernelGrad(cache.hseq, dGx, recurrentMask, dims, H3);
    const fromQ = gemm(cache.aux, dGx, undefined, { M: H, N: H3, K: rows, transA: true });
    dRecurrentKernel = fromH;
    for (let k = 0; k < H; k++) dRecurrentKernel.set(fromQ.subarray(k * H3 + 2 * H, (k + 1) * H3), k * H3 + 2 * H);
  }
  // resetAfter: [2, 3H], the input row (of dGx) then the recurrent row (of dGm).
  const dBias = resetAfter ? Float64Array.from([...input.dBias, ...columnSums(dGm, rows, H3)]) : input.dBias;
  return { dKernel: input.dKernel, dRecurrentKernel, dBias, dX: input.dX, dh0, dGx, dGm };
}

/** What ReferenceGru.backward needs from its forwardTrain. */
export type GruSaved = ReferenceRecurrentSaved<GruCache>;

/** The GRU layer on the CPU, with the configuration and weights of the GPU layer. */
export class ReferenceGru extends ReferenceRecurrent<ResolvedGruConfig, GruCache> {
  constructor(config: GruConfig) {
    super(resolveGruConfig(config), { gates: 3, withCell: false, weightShapes: gruWeightShapes });
  }

  protected forwardSequence({ x, dims, weights, mask, recurrentMask }: RecurrentRun, start: HiddenState | undefined): GruCache {
    return gruForwardTrain(x, dims, weights, { ...this.config, initialState: start?.h, mask, recurrentMask });
  }

  protected backwardSequence({ x, dims, weights, mask, recurrentMask }: RecurrentRun, cache: GruCache, dY: RecurrentOutputGrad) {
    return gruBackward(x, dims, weights, this.config, cache, dY, {}, mask, recurrentMask);
  }
}
