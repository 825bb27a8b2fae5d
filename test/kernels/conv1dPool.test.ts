// im2col, col2im and 1-D max pooling against their CPU twins over a table of shapes: batch 1, one
// step, sizes that are not multiples of the workgroup (64), both paddings, strides 1 and 2,
// batch- and time-major inputs, an input at an element offset.
import { describe, expect, test } from 'vitest';
import { tensor } from '../../src/index.js';
import { encodeCol2im, encodeIm2col, type Conv1dGeometry } from '../../src/kernels/conv1d.js';
import { encodeMaxPool1d, encodeMaxPool1dBackward } from '../../src/kernels/maxPool1d.js';
import { window1d, type Padding } from '../../src/spec/convConfig.js';
import { maxPool1dBackward, maxPool1dForward } from '../../src/reference/maxPooling1d.js';
import { col2im, im2col } from '../../src/reference/conv1d.js';
import { Random } from '../../src/init/random.js';
import { expectClose, runPass, useGpu } from '../helpers/gpu.js';

const env = useGpu();
// Outputs start at 1e30 (tensors refuse NaN): a value the kernel fails to write shows.

interface Case {
  name: string;
  B: number;
  T: number;
  C: number;
  K: number;
  S: number;
  padding: Padding;
  timeMajor?: boolean;
  offset?: number;
}

const cases: Case[] = [
  { name: 'batch 1, one step, same', B: 1, T: 1, C: 1, K: 3, S: 1, padding: 'same' },
  { name: 'batch 1, one step, K=1 valid', B: 1, T: 1, C: 2, K: 1, S: 1, padding: 'valid' },
  { name: 'valid, stride 1', B: 3, T: 11, C: 5, K: 3, S: 1, padding: 'valid' },
  { name: 'valid, stride 2', B: 2, T: 12, C: 7, K: 4, S: 2, padding: 'valid' },
  { name: 'same, stride 2, odd T', B: 2, T: 13, C: 3, K: 5, S: 2, padding: 'same' },
  { name: 'same, stride 1, even K', B: 4, T: 9, C: 33, K: 2, S: 1, padding: 'same' },
  { name: 'time-major, offset, same stride 2', B: 3, T: 10, C: 6, K: 3, S: 2, padding: 'same', timeMajor: true, offset: 7 },
];

/** Index of (b, t, c) in the layout. */
const at = (c: Case, b: number, t: number, ch: number) => (c.timeMajor ? (t * c.B + b) * c.C + ch : (b * c.T + t) * c.C + ch);

function geometry(c: Case): Conv1dGeometry {
  const { outSteps, padBefore } = window1d(c.T, c.K, c.S, c.padding, 'test');
  return { B: c.B, T: c.T, C: c.C, To: outSteps, K: c.K, S: c.S, pad: padBefore };
}

describe('im2col / col2im', () => {
  test.each(cases)('$name (B=$B T=$T C=$C K=$K S=$S)', async (c) => {
    const { gpu } = env;
    const g = geometry(c);
    const random = new Random(c.B * 1000 + c.T * 10 + c.K);
    const off = c.offset ?? 0;
    const x = random.uniformArray(off + c.B * c.T * c.C);
    const width = c.K * c.C;
    const rows = c.B * g.To;
    const dcols = random.uniformArray(rows * width);
    const tx = tensor(gpu, x, [x.length]);
    const tcols = tensor(gpu, new Float32Array(rows * width).fill(1e30), [rows * width]);
    const tdcols = tensor(gpu, dcols, [rows * width]);
    const tdx = tensor(gpu, new Float32Array(c.B * c.T * c.C).fill(1e30), [c.B * c.T * c.C]);
    await runPass(gpu, (pass, run) => {
      encodeIm2col(gpu, pass, run, { ...g, x: tx.buffer, xOffset: off, timeMajor: c.timeMajor, cols: tcols.buffer });
      encodeCol2im(gpu, pass, run, { ...g, dcols: tdcols.buffer, dx: tdx.buffer, timeMajor: c.timeMajor });
    });
    const cols = Float32Array.from(im2col(x, g, c.timeMajor, off));
    const dx = col2im(dcols, g, c.timeMajor);
    expect(await tcols.data()).toEqual(cols); // a copy with zeros: exact
    // Sums of ≤ K = 5 f32 values of magnitude ≤ 1, in another order: ≤ 5·2⁻²⁴·5 ≈ 1.5e-6.
    expectClose(await tdx.data(), dx, 2e-6, 0, 'col2im');
    for (const t of [tx, tcols, tdcols, tdx]) t.dispose();
  });
});

describe('max pooling 1d', () => {
  const poolCases: Case[] = [
    { name: 'batch 1, one step, same', B: 1, T: 1, C: 1, K: 2, S: 2, padding: 'same' },
    { name: 'valid, pool 2 stride 2, odd T', B: 2, T: 9, C: 70, K: 2, S: 2, padding: 'valid' },
    { name: 'valid, pool 3 stride 1 (overlap)', B: 3, T: 8, C: 5, K: 3, S: 1, padding: 'valid' },
    { name: 'same, pool 3 stride 2', B: 2, T: 11, C: 3, K: 3, S: 2, padding: 'same' },
    { name: 'same, pool 4 stride 1', B: 1, T: 6, C: 65, K: 4, S: 1, padding: 'same' },
    { name: 'time-major, offset, same pool 3 stride 2', B: 3, T: 7, C: 4, K: 3, S: 2, padding: 'same', timeMajor: true, offset: 5 },
  ];
  test.each(poolCases)('$name (B=$B T=$T C=$C P=$K S=$S)', async (c) => {
    const { gpu } = env;
    const g = geometry(c);
    const off = c.offset ?? 0;
    const random = new Random(c.B * 77 + c.T * 3 + c.K);
    // Values on a coarse grid of 5 levels: ties within a window are frequent, which tests the
    // first-max rule of the backward.
    const xl = Float32Array.from({ length: c.B * c.T * c.C }, () => random.int(5) - 2);
    const x = new Float32Array(off + xl.length);
    x.set(xl, off);
    const n = c.B * g.To * c.C;
    const dy = random.uniformArray(n);
    const tx = tensor(gpu, x, [x.length]);
    const ty = tensor(gpu, new Float32Array(n).fill(1e30), [n]);
    const tdy = tensor(gpu, dy, [n]);
    const tdx = tensor(gpu, new Float32Array(xl.length).fill(1e30), [xl.length]);
    await runPass(gpu, (pass, run) => {
      encodeMaxPool1d(gpu, pass, run, { ...g, P: c.K, x: tx.buffer, xOffset: off, y: ty.buffer, timeMajor: c.timeMajor });
      encodeMaxPool1dBackward(gpu, pass, run, { ...g, P: c.K, x: tx.buffer, xOffset: off, dy: tdy.buffer, dx: tdx.buffer, timeMajor: c.timeMajor });
    });
    // The twin works batch-major: convert the layouts around it.
    const xb = new Float64Array(xl.length);
    for (let b = 0; b < c.B; b++) for (let t = 0; t < c.T; t++) for (let ch = 0; ch < c.C; ch++) xb[(b * c.T + t) * c.C + ch] = xl[at(c, b, t, ch)];
    const atOut = (b: number, o: number, ch: number) => (c.timeMajor ? (o * c.B + b) * c.C + ch : (b * g.To + o) * c.C + ch);
    const dyb = new Float64Array(n);
    for (let b = 0; b < c.B; b++) for (let o = 0; o < g.To; o++) for (let ch = 0; ch < c.C; ch++) dyb[(b * g.To + o) * c.C + ch] = dy[atOut(b, o, ch)];
    const dims = { B: c.B, T: c.T, C: c.C, poolSize: c.K, strides: c.S, padding: c.padding };
    const ref = maxPool1dForward(xb, dims);
    const dxb = maxPool1dBackward(ref.argmax, dyb, dims);
    const y = new Float32Array(n);
    const dx = new Float64Array(xl.length);
    for (let b = 0; b < c.B; b++) {
      for (let o = 0; o < g.To; o++) for (let ch = 0; ch < c.C; ch++) y[atOut(b, o, ch)] = ref.y[(b * g.To + o) * c.C + ch];
      for (let t = 0; t < c.T; t++) for (let ch = 0; ch < c.C; ch++) dx[at(c, b, t, ch)] = dxb[(b * c.T + t) * c.C + ch];
    }
    expect(await ty.data()).toEqual(y); // a selection: exact
    // Each dx sums ≤ ⌈P/S⌉ = 4 dy values of magnitude ≤ 1: ≤ 4·2⁻²⁴·4 ≈ 1e-6.
    expectClose(await tdx.data(), dx, 1e-6, 0, 'max pool backward');
    for (const t of [tx, ty, tdy, tdx]) t.dispose();
  });
});
