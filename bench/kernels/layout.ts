// Host-side inputs the kernels need (layout changes, step masks), so that a bench times its kernel alone.
import type { Random } from '../../src/init/random.js';
import { transpose } from '../../src/reference/layout.js';

/** y [C, R] = xᵀ for x [R, C], as f32 (reference transpose). */
export function transposed(x: ArrayLike<number>, R: number, C: number): Float32Array {
  return Float32Array.from(transpose(x, R, C));
}

/** A batch-major [B, T, F] array as time-major [T, B, F]. */
export function timeMajor(x: ArrayLike<number>, B: number, T: number, F: number): Float32Array {
  const y = new Float32Array(B * T * F);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) y[(t * B + b) * F + f] = x[(b * T + t) * F + f];
  return y;
}

/** f32 values as a Float64Array (exact), the twins' input type. */
export function f64(values: Float32Array): Float64Array {
  return Float64Array.from(values);
}

/** A Keras step mask [B, T] of 1 / 0 for post-padded sequences: sample b keeps its first len_b ∈ [1, T] steps. */
export function postPaddedMask(random: Random, B: number, T: number): Float32Array {
  const mask = new Float32Array(B * T);
  for (let b = 0; b < B; b++) mask.fill(1, b * T, b * T + 1 + random.int(T));
  return mask;
}
