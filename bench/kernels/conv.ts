// The 1-D convolution's layout kernels: im2col (the forward's taps as cols [B·To, K·C], which
// one GEMM with the kernel turns into the convolution) and col2im (the input gradient: dcols
// summed back onto dx), against their twins in src/reference/conv1d.ts.
import { type Conv1dGeometry, encodeCol2im, encodeIm2col } from '../../src/kernels/conv1d.js';
import { type Padding, window1d } from '../../src/spec/convConfig.js';
import { col2im, im2col } from '../../src/reference/conv1d.js';
import { defineBench, unwritten, upload } from './harness.js';

/** x [B, T, C] (batch-major), K taps, stride S. */
interface ConvCase {
  B: number;
  T: number;
  C: number;
  K: number;
  S: number;
  padding: Padding;
}

const label = ({ B, T, C, K, S, padding }: ConvCase) => `[${B}×${T}×${C}] K=${K} S=${S} ${padding}`;
// A Conv1D front end before an LSTM ('same', stride 1) and a downsampling one ('valid', stride
// 2). K ≤ 5 throughout: col2im's bound below.
const cases = (quick: boolean): ConvCase[] =>
  quick
    ? [
        { B: 8, T: 100, C: 32, K: 3, S: 1, padding: 'same' },
        { B: 8, T: 100, C: 32, K: 5, S: 2, padding: 'valid' },
      ]
    : [
        { B: 32, T: 400, C: 128, K: 5, S: 1, padding: 'same' },
        { B: 64, T: 200, C: 64, K: 4, S: 2, padding: 'valid' },
      ];

function geometry(c: ConvCase): Conv1dGeometry {
  const { outSteps, padBefore } = window1d(c.T, c.K, c.S, c.padding, 'bench');
  return { B: c.B, T: c.T, C: c.C, To: outSteps, K: c.K, S: c.S, pad: padBefore };
}

export const im2colBench = defineBench<ConvCase>({
  name: 'im2col',
  what: 'encodeIm2col vs reference im2col',
  cases,
  label,
  prepare(gpu, c, random) {
    const g = geometry(c);
    const n = g.B * g.To * g.K * g.C;
    const x = random.uniformArray(c.B * c.T * c.C);
    const buffers = { x: upload(gpu, x), cols: unwritten(gpu, n) };
    return {
      encode: (pass, run) => encodeIm2col(gpu, pass, run, { ...g, ...buffers }),
      dispatches: 1,
      // A copy (zeros outside [0, T)): reads x (each value ≈ K/S times, counted once), writes cols.
      flops: 0,
      bytes: 4 * (c.B * c.T * c.C + n),
      expected() {
        const cols = im2col(x, g);
        // A copy with zeros: exact.
        return [{ name: 'cols', buffer: buffers.cols, expected: cols, atol: 0, rtol: 0 }];
      },
      buffers: Object.values(buffers),
    };
  },
});

export const col2imBench = defineBench<ConvCase>({
  name: 'col2im',
  what: 'encodeCol2im vs reference col2im',
  cases,
  label,
  prepare(gpu, c, random) {
    const g = geometry(c);
    const n = g.B * g.To * g.K * g.C;
    const dcols = random.uniformArray(n);
    const buffers = { dcols: upload(gpu, dcols), dx: unwritten(gpu, c.B * c.T * c.C) };
    return {
      encode: (pass, run) => encodeCol2im(gpu, pass, run, { ...g, ...buffers }),
      dispatches: 1,
      // One add a dcols value; reads dcols, writes dx.
      flops: n,
      bytes: 4 * (n + c.B * c.T * c.C),
      expected() {
        const dx = col2im(dcols, g);
        // The kernel test's bound: each dx sums ≤ K ≤ 5 values in ±1 in another order,
        // ≤ 5·2⁻²⁴·5 ≈ 1.5e-6; a wrong tap is off by O(1).
        return [{ name: 'dx', buffer: buffers.dx, expected: dx, atol: 2e-6, rtol: 0 }];
      },
      buffers: Object.values(buffers),
    };
  },
});
