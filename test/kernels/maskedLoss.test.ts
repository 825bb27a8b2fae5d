// The mask-aware loss (Keras 3): kernels/maskWeights then kernels/loss's MASKED variant
// against reference/losses (maskedRowWeights, lossForward, metricValue) on seeded masks over
// both layouts, with and without sample weights, at B = 1, T = 1 and row counts that are not
// multiples of the 256-invocation mask workgroup; a fully masked batch gives 0.
import { describe, expect, test } from 'vitest';
import { tensor } from '../../src/index.js';
import { Random } from '../../src/init/random.js';
import { encodeLoss, type LossName, type MetricName } from '../../src/kernels/loss.js';
import { encodeMaskWeights } from '../../src/kernels/maskWeights.js';
import { lossForward, maskedRowWeights, metricValue, softmax } from '../../src/reference/losses.js';
import { expectClose, readBuffer, runPass, useGpu } from '../helpers/gpu.js';

const env = useGpu();
const METRICS: MetricName[] = ['accuracy', 'mae'];

// As test/kernels/loss.test.ts states for the unmasked kernel (≤ ~20 f32 roundings of the
// loss terms and their sums: 1e-6 absolute + 1e-5 relative; gradients a few roundings each),
// plus one rounding of the scale rows/Σm (Σm is a count, exact) into every weight: 6e-8 relative.
const LOSS_ATOL = 1e-6;
const LOSS_RTOL = 1e-5;
const GRAD_RTOL = 1e-5;

/** [B, T] masks: post-padded lengths, a hole, one sample fully masked when B > 2; `none`: all 0. */
function makeMask(B: number, T: number, random: Random, none = false): Float32Array {
  const m = new Float32Array(B * T);
  if (none) return m;
  for (let b = 0; b < B; b++) {
    const length = 1 + random.int(T);
    for (let t = 0; t < length; t++) m[b * T + t] = 1;
    if (T > 3 && b % 2 === 1) m[b * T + 1] = 0;
  }
  if (B > 2) m.fill(0, 2 * T, 3 * T);
  if (!m.includes(1)) m[0] = 1;
  return m;
}

/** Batch-major [B·T] values in the order of the rows (t·B + b when timeMajor). */
function toRowOrder(values: Float32Array, B: number, T: number, per: number, timeMajor: boolean): Float32Array {
  if (!timeMajor) return values;
  const out = new Float32Array(values.length);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out.set(values.subarray((b * T + t) * per, (b * T + t + 1) * per), (t * B + b) * per);
  return out;
}

/** The inverse of toRowOrder: values in the rows' order back to batch-major. */
function fromRowOrder(values: Float32Array, B: number, T: number, per: number, timeMajor: boolean): Float32Array {
  if (!timeMajor) return values;
  const out = new Float32Array(values.length);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out.set(values.subarray((t * B + b) * per, (t * B + b + 1) * per), (b * T + t) * per);
  return out;
}

describe('masked loss', () => {
  const cases: [LossName, number, number, number, boolean, boolean][] = [
    ['sparseCategoricalCrossentropy', 1, 1, 5, false, false],
    ['sparseCategoricalCrossentropy', 3, 7, 5, true, true],
    ['categoricalCrossentropy', 4, 9, 3, false, true],
    ['meanSquaredError', 20, 30, 2, true, false],
    ['binaryCrossentropy', 5, 6, 1, false, false],
    ['meanAbsoluteError', 2, 300, 1, true, true],
  ];
  test.each(cases)('%s B=%i T=%i C=%i timeMajor=%s sampleWeights=%s', async (loss, B, T, C, timeMajor, weighted) => {
    const { gpu } = env;
    const random = new Random(B * 100 + T);
    const rows = B * T;
    const mask = makeMask(B, T, random);
    const sparse = loss === 'sparseCategoricalCrossentropy';
    const head = loss.includes('ategorical') ? 'softmax' : loss === 'binaryCrossentropy' ? 'sigmoid' : 'linear';
    const logits = random.uniformArray(rows * C, -3, 3);
    const yPred = head === 'softmax' ? Float32Array.from(softmax(logits, rows, C)) : head === 'sigmoid' ? logits.map((z) => 1 / (1 + Math.exp(-z))) : logits;
    const yTrue = sparse
      ? Float32Array.from({ length: rows }, () => random.int(C))
      : loss === 'categoricalCrossentropy'
        ? Float32Array.from({ length: rows * C }, (_, i) => (i % C === ((i / C) % C) >> 0 ? 1 : 0))
        : Float32Array.from({ length: rows * C }, () => random.int(2));
    const sampleWeights = weighted ? random.uniformArray(rows, 0, 2) : undefined;
    const per = sparse ? 1 : C;
    // The kernels see the rows in the output's order; the reference in batch-major order.
    const [tp, tt, tm, tg, to, tl, tw] = [
      tensor(gpu, toRowOrder(yPred, B, T, C, timeMajor), [rows, C]),
      tensor(gpu, toRowOrder(yTrue, B, T, per, timeMajor), [rows * per]),
      tensor(gpu, mask, [B, T]),
      tensor(gpu, new Float32Array(rows * C), [rows, C]),
      tensor(gpu, new Float32Array(4), [4]),
      tensor(gpu, new Float32Array(rows), [rows]),
      tensor(gpu, new Float32Array(rows), [rows]),
    ];
    const ts = sampleWeights ? tensor(gpu, toRowOrder(sampleWeights, B, T, 1, timeMajor), [rows]) : undefined;
    await runPass(gpu, (pass, run) => {
      encodeMaskWeights(gpu, pass, run, { mask: tm.buffer, sampleWeights: ts?.buffer, lossWeights: tl.buffer, metricWeights: tw.buffer, B, T, timeMajor });
      encodeLoss(gpu, pass, run, {
        loss,
        metrics: METRICS,
        yPred: tp.buffer,
        yTrue: tt.buffer,
        rows,
        cols: C,
        headActivation: head,
        weights: tl.buffer,
        metricWeights: tw.buffer,
        grad: tg.buffer,
        out: to.buffer,
        outIndex: 0,
      });
    });
    const { lossWeights, metricWeights } = maskedRowWeights(mask, sampleWeights);
    const expected = lossForward(loss, yPred, yTrue, rows, C, head, lossWeights);
    const out = await readBuffer(gpu, to.buffer, 3);
    expect(Math.abs(out[0] - expected.loss), 'loss').toBeLessThanOrEqual(LOSS_ATOL + LOSS_RTOL * expected.loss);
    METRICS.forEach((m, i) => {
      const value = metricValue(m, loss, yPred, yTrue, rows, C, metricWeights);
      expect(Math.abs(out[1 + i] - value), m).toBeLessThanOrEqual(LOSS_ATOL + LOSS_RTOL * value);
    });
    const grad = fromRowOrder(await readBuffer(gpu, tg.buffer, rows * C), B, T, C, timeMajor);
    const maxGrad = Math.max(...expected.grad.map(Math.abs));
    expectClose(grad, expected.grad, 1e-6 * maxGrad, GRAD_RTOL, 'gradient');
    // Masked rows: no gradient at all.
    for (let r = 0; r < rows; r++) if (mask[r] === 0) expect(expected.grad.subarray(r * C, (r + 1) * C).every((g) => g === 0)).toBe(true);
    for (const t of [tp, tt, tm, tg, to, tl, tw, ts]) t?.dispose();
  });

  test('every step masked: loss, metrics and gradient 0', async () => {
    const { gpu } = env;
    const [B, T, C] = [2, 3, 4];
    const rows = B * T;
    const [tp, tt, tm, tg, to, tl, tw] = [
      tensor(gpu, new Float32Array(rows * C).fill(0.25), [rows, C]),
      tensor(gpu, new Float32Array(rows).fill(1), [rows]),
      tensor(gpu, makeMask(B, T, new Random(1), true), [B, T]),
      tensor(gpu, new Float32Array(rows * C).fill(5), [rows, C]),
      tensor(gpu, new Float32Array(4).fill(5), [4]),
      tensor(gpu, new Float32Array(rows), [rows]),
      tensor(gpu, new Float32Array(rows), [rows]),
    ];
    await runPass(gpu, (pass, run) => {
      encodeMaskWeights(gpu, pass, run, { mask: tm.buffer, lossWeights: tl.buffer, metricWeights: tw.buffer, B, T, timeMajor: false });
      encodeLoss(gpu, pass, run, {
        loss: 'sparseCategoricalCrossentropy',
        metrics: METRICS,
        yPred: tp.buffer,
        yTrue: tt.buffer,
        rows,
        cols: C,
        headActivation: 'softmax',
        weights: tl.buffer,
        metricWeights: tw.buffer,
        grad: tg.buffer,
        out: to.buffer,
        outIndex: 0,
      });
    });
    expect(Array.from(await readBuffer(gpu, to.buffer, 3))).toEqual([0, 0, 0]);
    expect((await readBuffer(gpu, tg.buffer, rows * C)).every((g) => g === 0)).toBe(true);
    for (const t of [tp, tt, tm, tg, to, tl, tw]) t.dispose();
  });
});
