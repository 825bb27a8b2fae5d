// Central finite differences in Float64, for checking the reference's gradients.
import type { Random } from '../../src/init/random.js';

// With step 1e-5 on O(1) losses: truncation error ~ step²·|f'''| ≈ 1e-10 and rounding
// ~ 1e-16/step ≈ 1e-11; tests compare with 1e-7 absolute plus 1e-6 relative, a wide margin,
// while a wrong or missing term in a gradient is off by ≥ 1e-3.
export const FD_STEP = 1e-5;
export const FD_ATOL = 1e-7;
export const FD_RTOL = 1e-6;

/** d(loss)/d(values[i]) for every i by central differences; `values` is restored. */
export function numericGradient(values: Float64Array, loss: () => number, step = FD_STEP): Float64Array {
  const grad = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const keep = values[i];
    values[i] = keep + step;
    const up = loss();
    values[i] = keep - step;
    const down = loss();
    values[i] = keep;
    grad[i] = (up - down) / (2 * step);
  }
  return grad;
}

export function randomArray(random: Random, n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => random.uniform(-scale, scale));
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
