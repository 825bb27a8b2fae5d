// The CPU twins of the layout kernels: transpose, the batch gather of training, and Keras's step
// mask (kernels/transpose.ts, gatherRows.ts, masking.ts). Copies and comparisons: their GPU
// results equal these exactly.

/** y [C, R] = xᵀ for x [R, C]: the twin of kernels/transpose. */
export function transpose(x: ArrayLike<number>, R: number, C: number): Float64Array {
  const y = new Float64Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) y[c * R + r] = x[r * C + c];
  return y;
}

/**
 * The twin of kernels/gatherRows: rows order[start … start+B) of src [N, srcT, F], steps
 * t0 … t0+T−1 of each, as [B, T, F] (or time-major [T, B, F]).
 */
export function gatherRows(
  src: ArrayLike<number>,
  order: ArrayLike<number>,
  a: { start: number; B: number; T: number; F: number; srcT: number; t0: number; timeMajor: boolean },
): Float64Array {
  const { start, B, T, F, srcT, t0, timeMajor } = a;
  const out = new Float64Array(B * T * F);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const from = (order[start + b] * srcT + t0 + t) * F;
      const to = (timeMajor ? t * B + b : b * T + t) * F;
      for (let f = 0; f < F; f++) out[to + f] = src[from + f];
    }
  return out;
}

/**
 * The twin of kernels/masking (Keras's Masking, Embedding maskZero): mask [B, T] batch-major,
 * 1 where any x[b, t, :] ≠ maskValue, else 0; x [B, T, F] (or time-major [T, B, F]) from `offset`.
 */
export function stepMask(x: ArrayLike<number>, B: number, T: number, F: number, maskValue: number, timeMajor = false, offset = 0): Float64Array {
  const mask = new Float64Array(B * T);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const row = offset + (timeMajor ? t * B + b : b * T + t) * F;
      for (let f = 0; f < F; f++) {
        if (x[row + f] !== maskValue) {
          mask[b * T + t] = 1;
          break;
        }
      }
    }
  return mask;
}
