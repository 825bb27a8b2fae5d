// The small kernels of training: reduce_rows (bias gradients), transpose, softmax. One dispatch each.
import { encodeReduceRows } from '../../src/kernels/reduceRows.js';
import { encodeSoftmax } from '../../src/kernels/softmax.js';
import { encodeTranspose } from '../../src/kernels/transpose.js';
import { softmax } from '../../src/reference/losses.js';
import { columnSums } from '../../src/reference/math.js';
import { defineBench, upload } from './harness.js';
import { transposed } from './layout.js';

/** A matrix [R, C]. */
interface Matrix {
  R: number;
  C: number;
}

const label = ({ R, C }: Matrix) => `[${R}×${C}]`;
// Training shapes: [T·B, 4H] for the bias gradient and the recurrent kernel's transpose.
const cases = (quick: boolean): Matrix[] =>
  quick
    ? [
        { R: 64, C: 512 },
        { R: 1000, C: 37 },
      ]
    : [
        { R: 3200, C: 1024 },
        { R: 6400, C: 2048 },
      ];

export const reduceRows = defineBench<Matrix>({
  name: 'reduce_rows',
  what: 'encodeReduceRows (column sums) vs reference columnSums',
  cases,
  label,
  prepare(gpu, { R, C }, random) {
    const x = random.uniformArray(R * C);
    const buffers = { x: upload(gpu, x), y: upload(gpu, C) };
    return {
      encode: (pass, run) => encodeReduceRows(gpu, pass, run, { ...buffers, R, N: C }),
      dispatches: 1,
      // R·C additions; reads x, writes y.
      flops: R * C,
      bytes: 4 * (R * C + C),
      expected() {
        // f32 sums of R terms in ±1: rounding ≤ R·2⁻²⁴·|partial sums| ≤ R^1.5·2⁻²⁴ (the kernel
        // test's bound, 1e-4 at R = 300); a wrong index changes a sum by ~√R.
        return [{ name: 'y', buffer: buffers.y, expected: columnSums(x, R, C), atol: Math.max(1e-4, R ** 1.5 * 2 ** -24), rtol: 1e-5 }];
      },
      buffers: Object.values(buffers),
    };
  },
});

export const transpose = defineBench<Matrix>({
  name: 'transpose',
  what: 'encodeTranspose vs reference transpose',
  cases,
  label,
  prepare(gpu, { R, C }, random) {
    const x = random.uniformArray(R * C);
    const buffers = { x: upload(gpu, x), y: upload(gpu, R * C) };
    return {
      encode: (pass, run) => encodeTranspose(gpu, pass, run, { ...buffers, R, C }),
      dispatches: 1,
      // No FLOPs; reads x, writes y once.
      flops: 0,
      bytes: 8 * R * C,
      // A copy: exact.
      expected: () => [{ name: 'y', buffer: buffers.y, expected: transposed(x, R, C), atol: 0, rtol: 0 }],
      buffers: Object.values(buffers),
    };
  },
});

export const softmaxBench = defineBench<Matrix>({
  name: 'softmax',
  what: 'encodeSoftmax (rows, in place) vs reference softmax',
  cases,
  label,
  prepare(gpu, { R, C }, random) {
    // Logits in ±4.
    const x = random.uniformArray(R * C, -4, 4);
    const buffers = { x: upload(gpu, x) };
    return {
      encode: (pass, run) => encodeSoftmax(gpu, pass, run, { x: buffers.x, rows: R, cols: C }),
      dispatches: 1,
      // A row: max, subtract, exp, sum, divide (~5 FLOPs an element); reads and writes x.
      flops: 5 * R * C,
      bytes: 8 * R * C,
      expected() {
        // The kernel test's bound: WGSL's exp (≤ 23 ULP for x − max ≥ −10), the row sum's
        // roundings and a division, ≤ 33 ULP ≈ 2e-6 relative; 4e-6 gives 2×.
        return [{ name: 'p', buffer: buffers.x, expected: softmax(x, R, C), atol: 1e-9, rtol: 4e-6 }];
      },
      buffers: Object.values(buffers),
    };
  },
});
