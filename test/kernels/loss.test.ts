// kernels/loss and kernels/softmax against reference/losses on seeded inputs: every loss ×
// head activation, rows 1, 7, 33 and 300 (not a multiple of the 64-invocation row pass nor
// of the 256-invocation reduction, and above both), cols 1, 3 and 37 (one lane per row, a
// few lanes, more columns than a power of two).
import { describe, expect, test } from 'vitest';
import { tensor, type Gpu } from '../../src/index.js';
import { encodeLoss, type HeadActivation, type LossName, type MetricName } from '../../src/kernels/loss.js';
import { encodeSoftmax } from '../../src/kernels/softmax.js';
import { lossForward, metricValue, softmax } from '../../src/reference/losses.js';
import { Random } from '../../src/init/random.js';
import { expectClose, maxAbsError, readBuffer, runPass, useGpu } from '../helpers/gpu.js';

const env = useGpu();

const LOSSES: LossName[] = ['meanSquaredError', 'meanAbsoluteError', 'binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy'];
const HEADS: HeadActivation[] = ['linear', 'sigmoid', 'softmax', 'tanh', 'relu'];
const METRICS: MetricName[] = ['accuracy', 'mae'];
const ROWS = [1, 7, 33, 300];
const COLS = [1, 3, 37];

// Loss and mae: means of non-negative f32 terms. Each term carries a few roundings and, for
// the cross-entropies, the error of WGSL's log: absolute 2⁻²¹ ≈ 4.8e-7 for arguments in
// [0.5, 2], 3 ULP elsewhere (BCE has two logs per term). The sums run ≤ 2 terms per
// invocation, then trees of ≤ 6 + 8 levels: ≤ ~20 roundings, 1.2e-6 relative. So 1e-6
// absolute (the log's error where the loss is tiny, e.g. −log(1 − 2⁻²³) ≈ 1.2e-7 for a
// softmax over one column) plus 1e-5 relative (8× the summation bound).
const LOSS_ATOL = 1e-6;
const LOSS_RTOL = 1e-5;
// Accuracy: the decisions (p > 0.5, argmax, label match) are made on the same f32 values on
// both sides, so only the f32 sums of fractions k/cols differ: ≤ 20 roundings of values ≤ 1.
const ACCURACY_ATOL = 2e-6;
// Gradients: each element is a short f32 expression (≤ 6 roundings, 2.5-ULP divisions),
// ~5e-7 relative to its terms. The terms can cancel (y/p against Σy·m/S, p·Σy against y),
// and they are bounded by the case's largest gradient G (an element with y = 0 in the same
// row has the Σ term alone) times the row's Σy ≤ 26 for the unnormalized targets used here.
// So |err| ≤ 1e-6·G absolute (Σy·5e-7 rounded up, f32 row sums of ≤ 37 terms included)
// plus 4e-6 relative (8× the per-element bound).
const GRAD_ATOL_OF_MAX = 1e-6 * 26;
const GRAD_RTOL = 4e-6;

function activate(head: HeadActivation, z: Float32Array, rows: number, cols: number): Float32Array {
  if (head === 'softmax') return Float32Array.from(softmax(z, rows, cols));
  return z.map((v) => (head === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : head === 'tanh' ? Math.tanh(v) : head === 'relu' ? Math.max(0, v) : v));
}

/**
 * yPred = act(z) rounded to f32, and targets: {0, 1} and soft labels for BCE, one-hot rows and
 * unnormalized soft rows (Σy ≠ 1) for CE, class indices for the sparse loss, uniform values
 * (and {0, 1} for one column, so that binary accuracy counts hits) for MSE / MAE. Logits in
 * [−4, 4]; in [0.2, 1.5] for the cross-entropies on linear / tanh / relu heads, so that the
 * normalized q = p / Σp is a probability (BCE still clips the outputs above 1).
 */
function inputs(loss: LossName, head: HeadActivation, rows: number, cols: number, random: Random) {
  const probability = head === 'sigmoid' || head === 'softmax';
  const low = loss.includes('Crossentropy') && !probability ? 0.2 : -4;
  const high = low === 0.2 ? 1.5 : 4;
  const yPred = activate(head, random.uniformArray(rows * cols, low, high), rows, cols);
  let yTrue: Float32Array;
  if (loss === 'sparseCategoricalCrossentropy') yTrue = Float32Array.from({ length: rows }, () => random.int(cols));
  else if (loss === 'categoricalCrossentropy') {
    yTrue = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      if (r % 2 === 0) yTrue[r * cols + random.int(cols)] = 1;
      else for (let j = 0; j < cols; j++) yTrue[r * cols + j] = random.uniform(0, 0.7);
    }
  } else if (loss === 'binaryCrossentropy' || cols === 1) yTrue = Float32Array.from({ length: rows * cols }, () => [0, 1, 1, 0, 0.3][random.int(5)]);
  else yTrue = random.uniformArray(rows * cols);
  return { yPred, yTrue };
}

interface Measured {
  loss: number;
  metric: number;
  grad: number;
}

/** Runs encodeLoss and checks loss, metrics, gradient and the untouched neighbours in `out`. */
async function check(
  gpu: Gpu,
  loss: LossName,
  head: HeadActivation,
  rows: number,
  cols: number,
  yPred: Float32Array,
  yTrue: Float32Array,
  worst: Measured,
): Promise<void> {
  const what = `${loss}, ${head} head, [${rows}, ${cols}]`;
  const outIndex = 3;
  const sentinel = 777;
  const tp = tensor(gpu, yPred, [rows, cols]);
  const tt = tensor(gpu, yTrue, [yTrue.length]);
  const tg = tensor(gpu, new Float32Array(rows * cols).fill(sentinel), [rows, cols]); // every element must be overwritten
  const to = tensor(gpu, new Float32Array(8).fill(sentinel), [8]);
  let result: { gradIsPreActivation: boolean } | undefined;
  await runPass(gpu, (pass, run) => {
    result = encodeLoss(gpu, pass, run, {
      loss,
      metrics: METRICS,
      yPred: tp.buffer,
      yTrue: tt.buffer,
      rows,
      cols,
      headActivation: head,
      grad: tg.buffer,
      out: to.buffer,
      outIndex,
    });
  });
  const out = await readBuffer(gpu, to.buffer, 8);
  const grad = await readBuffer(gpu, tg.buffer, rows * cols);
  const expected = lossForward(loss, yPred, yTrue, rows, cols, head);
  expect(result!.gradIsPreActivation, what).toBe(expected.gradIsPreActivation);
  expect([...out.slice(0, outIndex), ...out.slice(outIndex + 1 + METRICS.length)], `${what}: out outside its slots`).toEqual([
    sentinel,
    sentinel,
    sentinel,
    sentinel,
    sentinel,
  ]);
  expectClose([out[outIndex]], [expected.loss], LOSS_ATOL, LOSS_RTOL, `${what}: loss`);
  worst.loss = Math.max(worst.loss, Math.abs(out[outIndex] - expected.loss) / Math.max(1, Math.abs(expected.loss)));
  for (const [m, name] of METRICS.entries()) {
    const value = metricValue(name, loss, yPred, yTrue, rows, cols);
    if (name === 'accuracy') expectClose([out[outIndex + 1 + m]], [value], ACCURACY_ATOL, 0, `${what}: accuracy`);
    else expectClose([out[outIndex + 1 + m]], [value], LOSS_ATOL, LOSS_RTOL, `${what}: ${name}`);
    worst.metric = Math.max(worst.metric, Math.abs(out[outIndex + 1 + m] - value));
  }
  const scale = expected.grad.reduce((a, g) => Math.max(a, Math.abs(g)), 0);
  expectClose(grad, expected.grad, GRAD_ATOL_OF_MAX * scale, GRAD_RTOL, `${what}: grad`);
  if (scale > 0) worst.grad = Math.max(worst.grad, maxAbsError(grad, expected.grad) / scale);
  for (const t of [tp, tt, tg, to]) t.dispose();
}

describe('loss kernel vs reference', () => {
  for (const loss of LOSSES) {
    test.each(HEADS)(`${loss}, %s head`, async (head) => {
      const worst: Measured = { loss: 0, metric: 0, grad: 0 };
      for (const rows of ROWS) {
        for (const cols of COLS) {
          const random = new Random(rows * 1009 + cols * 31 + LOSSES.indexOf(loss) * 7 + HEADS.indexOf(head) * 100003);
          const { yPred, yTrue } = inputs(loss, head, rows, cols, random);
          await check(env.gpu, loss, head, rows, cols, yPred, yTrue, worst);
        }
      }
      if (process.env.SHOW_ERR)
        console.log(
          `${loss}, ${head}: max rel loss err ${worst.loss.toExponential(2)}, metric err ${worst.metric.toExponential(2)}, grad err / max|grad| ${worst.grad.toExponential(2)}`,
        );
    });
  }

  test('sparse labels out of range read nothing out of bounds: a zero target row', async () => {
    const [rows, cols] = [6, 4];
    const random = new Random(99);
    const yPred = Float32Array.from(softmax(random.uniformArray(rows * cols, -3, 3), rows, cols));
    const yTrue = Float32Array.from([2, cols, -1, 1e9, 0.5, 3]);
    const worst: Measured = { loss: 0, metric: 0, grad: 0 };
    await check(env.gpu, 'sparseCategoricalCrossentropy', 'softmax', rows, cols, yPred, yTrue, worst);
    await check(env.gpu, 'sparseCategoricalCrossentropy', 'relu', rows, cols, yPred, yTrue, worst);
  });

  test('two dispatches, one pass, nothing read back', async () => {
    const { gpu } = env;
    const t = tensor(gpu, new Float32Array(12).fill(0.5), [3, 4]);
    const g = tensor(gpu, new Float32Array(12), [3, 4]);
    const o = tensor(gpu, new Float32Array(2), [2]);
    let dispatches = 0;
    await runPass(gpu, (pass, run) => {
      const counting = new Proxy(pass, {
        get(target, prop) {
          if (prop === 'dispatchWorkgroups') return (...a: [number, number?, number?]) => (dispatches++, target.dispatchWorkgroups(...a));
          const v = Reflect.get(target, prop) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      encodeLoss(gpu, counting, run, {
        loss: 'categoricalCrossentropy',
        metrics: ['accuracy'],
        yPred: t.buffer,
        yTrue: t.buffer,
        rows: 3,
        cols: 4,
        headActivation: 'softmax',
        grad: g.buffer,
        out: o.buffer,
        outIndex: 0,
      });
    });
    expect(dispatches).toBe(2);
    for (const x of [t, g, o]) x.dispose();
  });
});

describe('softmax kernel vs reference', () => {
  // WGSL's exp is within (3 + 2·|x|) ULP; for the outputs that matter (x − max ≥ −10, p ≥
  // 4.5e-5) that is ≤ 23 ULP, plus ≤ 7 roundings of the row sum (a tree of ≤ 64 lanes, one
  // element each for cols ≤ 64) and a 2.5-ULP division: ≤ 33 ULP ≈ 2e-6 relative; 4e-6 gives 2×.
  // Below, the error is at most 1e-5 relative of p < 4.5e-5: under 1e-9 absolute.
  const ATOL = 1e-9;
  const RTOL = 4e-6;
  const cases: { name: string; rows: number; cols: number; scale: number; fill?: number[] }[] = [];
  for (const rows of ROWS) for (const cols of COLS) cases.push({ name: `[${rows}, ${cols}] logits in ±4`, rows, cols, scale: 4 });
  cases.push({ name: '[33, 37] logits in ±80', rows: 33, cols: 37, scale: 80 });
  cases.push({
    name: '[7, 3] rows of ±80 and ±1000',
    rows: 7,
    cols: 3,
    scale: 0,
    fill: [80, -80, 0, 80, 80, 80, -80, -80, -80, 1000, -1000, 999, -1000, -1000, -1000, 0, 80, -80, 88, 88, -88],
  });
  cases.push({ name: '[2, 300] more columns than the workgroup', rows: 2, cols: 300, scale: 10 });

  test.each(cases)('$name', async ({ rows, cols, scale, fill }) => {
    const { gpu } = env;
    const x = fill ? Float32Array.from(fill) : new Random(rows * 7 + cols).uniformArray(rows * cols, -scale, scale);
    const tx = tensor(gpu, x, [rows, cols]);
    await runPass(gpu, (pass, run) => encodeSoftmax(gpu, pass, run, { x: tx.buffer, rows, cols }));
    const y = await tx.data();
    expect(y.every(Number.isFinite), 'no NaN or ±∞').toBe(true);
    expectClose(y, softmax(x, rows, cols), ATOL, RTOL, 'softmax');
    tx.dispose();
  });
});
