// The pooling kernels over steps, forward and backward (each shader holds both, timed apart):
// global_pool1d (GlobalAveragePooling1D, masked or not, and GlobalMaxPooling1D: [B, T, C] →
// [B, C]) and max_pool1d (MaxPooling1D's windows), each against its CPU twin.
import { encodeGlobalPool1d, encodeGlobalPool1dBackward, type GlobalPoolKind } from '../../src/kernels/globalPool1d.js';
import { encodeMaxPool1d, encodeMaxPool1dBackward, type Pool1dGeometry } from '../../src/kernels/maxPool1d.js';
import { maxPool1dBackward, maxPool1dForward, type Pool1dDims } from '../../src/reference/maxPooling1d.js';
import { ReferenceGlobalAveragePooling1d, ReferenceGlobalMaxPooling1d } from '../../src/reference/shapeLayers.js';
import { cpuTensor } from '../../src/reference/tensor.js';
import { type Padding, window1d } from '../../src/spec/convConfig.js';
import { bothDirections, type Direction, defineBench, type Expected, unwritten, upload } from './harness.js';
import { f64, postPaddedMask } from './layout.js';

/** x [B, T, C], batch-major. */
interface Steps {
  B: number;
  T: number;
  C: number;
}

const shape = ({ B, T, C }: Steps) => `[${B}×${T}×${C}]`;

interface GlobalCase extends Steps {
  direction: Direction;
  kind: GlobalPoolKind;
  /** A post-padded step mask (average only: the max ignores masks, as Keras's). */
  masked: boolean;
}

export const globalPool1d = defineBench<GlobalCase>({
  name: 'global_pool1d',
  what: 'encodeGlobalPool1d / encodeGlobalPool1dBackward vs ReferenceGlobalAveragePooling1d, ReferenceGlobalMaxPooling1d',
  // After an LSTM(64 or 256) with returnSequences: the mean, the masked mean, the max.
  cases: (quick) =>
    bothDirections(
      (quick ? [{ B: 16, T: 50, C: 64 }] : [{ B: 64, T: 200, C: 256 }]).flatMap((s) =>
        (
          [
            ['average', false],
            ['average', true],
            ['max', false],
          ] as const
        ).map(([kind, masked]) => ({ ...s, kind, masked })),
      ),
    ),
  label: (c) => `${c.direction} ${c.kind}${c.masked ? ' masked' : ''} ${shape(c)}`,
  prepare(gpu, { B, T, C, direction, kind, masked }, random) {
    const n = B * T * C;
    const x = random.uniformArray(n);
    const dy = random.uniformArray(B * C);
    const mask = masked ? postPaddedMask(random, B, T) : undefined;
    const inputs = { x: upload(gpu, x), mask: mask && upload(gpu, mask) };
    const out = unwritten(gpu, direction === 'forward' ? B * C : n);
    const dyBuffer = upload(gpu, dy);
    const args = { kind, B, T, C, x: inputs.x, mask: inputs.mask };
    const average = kind === 'average';
    return {
      encode: (pass, run) =>
        direction === 'forward'
          ? encodeGlobalPool1d(gpu, pass, run, { ...args, y: out })
          : encodeGlobalPool1dBackward(gpu, pass, run, { ...args, dy: dyBuffer, dx: out }),
      dispatches: 1,
      // Forward: average 2 FLOPs a step (the mask's ×, +) and max 1 comparison a step; reads x
      // (and the mask once per (b, c)), writes y. Backward: average one × a value (the scale once
      // per (b, c)); max finds its max again (T − 1) and selects a step; reads dY, and x (max) or
      // the mask (masked), writes dX.
      flops: direction === 'forward' ? (average ? 2 * n : n) : average ? n : 2 * n,
      bytes: 4 * (direction === 'forward' ? n + (mask ? n : 0) + B * C : B * C + (average ? (mask ? n : 0) : n) + n),
      expected(): Expected[] {
        const t = cpuTensor(x, [B, T, C]);
        const dY = f64(dy);
        let result: { y: Float64Array; dX: Float64Array };
        if (average) {
          const twin = new ReferenceGlobalAveragePooling1d();
          const step = twin.forwardTrain(t, mask);
          result = { y: step.y.data, dX: twin.backward(step.saved, dY).dX };
        } else {
          const twin = new ReferenceGlobalMaxPooling1d();
          const step = twin.forwardTrain(t);
          result = { y: step.y.data, dX: twin.backward(step.saved, dY).dX };
        }
        // The layer test's bound, 1e-5 + 1e-5·|ref| (a mean of T ≤ 12 terms in ±1, ≤ 1e-6;
        // maxima and their gradient's routing exact), with the mean's worst-case rounding
        // T·2⁻²⁴ kept for longer sequences; a wrong step or channel is off by O(1/T).
        const atol = Math.max(1e-5, T * 2 ** -24);
        return direction === 'forward'
          ? [{ name: 'y', buffer: out, expected: result.y, atol, rtol: 1e-5 }]
          : [{ name: 'dx', buffer: out, expected: result.dX, atol, rtol: 1e-5 }];
      },
      buffers: [inputs.x, ...(inputs.mask ? [inputs.mask] : []), out, dyBuffer],
    };
  },
});

interface MaxPoolCase extends Steps {
  direction: Direction;
  /** pool size, stride */
  P: number;
  S: number;
  padding: Padding;
}

export const maxPool1d = defineBench<MaxPoolCase>({
  name: 'max_pool1d',
  what: 'encodeMaxPool1d / encodeMaxPool1dBackward vs reference maxPool1dForward, maxPool1dBackward',
  // After a Conv1D: pool 2 stride 2 (Keras's default, no overlap) and pool 3 stride 1 'same'
  // (overlapping windows). ⌈P/S⌉ ≤ 4: the backward's bound below.
  cases: (quick) =>
    bothDirections(
      (quick ? [{ B: 8, T: 100, C: 64 }] : [{ B: 32, T: 400, C: 128 }]).flatMap((s) => [
        { ...s, P: 2, S: 2, padding: 'valid' as const },
        { ...s, P: 3, S: 1, padding: 'same' as const },
      ]),
    ),
  label: (c) => `${c.direction} ${shape(c)} P=${c.P} S=${c.S} ${c.padding}`,
  prepare(gpu, { B, T, C, direction, P, S, padding }, random) {
    const { outSteps: To, padBefore } = window1d(T, P, S, padding, 'bench');
    const g: Pool1dGeometry = { B, T, C, To, P, S, pad: padBefore };
    const [n, m] = [B * T * C, B * To * C];
    const x = random.uniformArray(n);
    const dy = random.uniformArray(m);
    const buffers = { x: upload(gpu, x), dy: upload(gpu, dy), out: unwritten(gpu, direction === 'forward' ? m : n) };
    return {
      encode: (pass, run) =>
        direction === 'forward'
          ? encodeMaxPool1d(gpu, pass, run, { ...g, x: buffers.x, y: buffers.out })
          : encodeMaxPool1dBackward(gpu, pass, run, { ...g, x: buffers.x, dy: buffers.dy, dx: buffers.out }),
      dispatches: 1,
      // Forward: P − 1 comparisons an output; reads x (each value once), writes y. Backward:
      // each window searched again once for each of its P taps and one add (B·To·C·P²);
      // reads x and dY, writes dX.
      flops: direction === 'forward' ? m * (P - 1) : m * P * P,
      bytes: 4 * (direction === 'forward' ? n + m : 2 * n + m),
      expected() {
        const dims: Pool1dDims = { B, T, C, poolSize: P, strides: S, padding };
        const ref = maxPool1dForward(x, dims);
        // y: a selection, exact. dX, the kernel test's bound: each value sums ≤ ⌈P/S⌉ ≤ 4 dY
        // values in ±1, ≤ 4·2⁻²⁴·4 ≈ 1e-6; a wrong argmax is off by O(1).
        return direction === 'forward'
          ? [{ name: 'y', buffer: buffers.out, expected: ref.y, atol: 0, rtol: 0 }]
          : [{ name: 'dx', buffer: buffers.out, expected: maxPool1dBackward(ref.argmax, dy, dims), atol: 1e-6, rtol: 0 }];
      },
      buffers: Object.values(buffers),
    };
  },
});
