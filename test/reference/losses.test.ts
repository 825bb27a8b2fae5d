// The reference losses' gradients against central finite differences in Float64: with
// respect to yPred, or through the head's activation (sigmoid, softmax) for the fused cases.
import { describe, expect, test } from 'vitest';
import { EPSILON, lossForward, metricValue, ONE_MINUS_EPSILON, softmax, type HeadActivation, type LossName } from '../../src/reference/losses.js';
import { Random } from '../../src/init/random.js';
import { expectClose } from '../helpers/gpu.js';
import { numericGradient as centralDifferences } from '../helpers/finiteDifferences.js';

// Central differences with step 1e-6 in Float64. Truncation error ~ step²·|f'''|/6: for the
// −log p terms that is a relative error of (step/p)²/3 ≤ 4e-7 down to the smallest p here
// (≈ 0.003, a softmax output), within RTOL; elsewhere the third derivatives are O(1..1e3),
// ≤ 2e-10 absolute. Rounding ~ 1e-16·|loss|/step ≤ 1e-9 for losses of order 1..10. ATOL 1e-7
// plus RTOL 1e-6 leave a margin of 100×, while a wrong term in a gradient is off by at least
// ~1e-3 at these sizes (every gradient is a multiple of 1/(rows·cols) ≥ 1/28).
const STEP = 1e-6;
const ATOL = 1e-7;
const RTOL = 1e-6;

const LOSSES: LossName[] = ['meanSquaredError', 'meanAbsoluteError', 'binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy'];
const HEADS: HeadActivation[] = ['linear', 'sigmoid', 'softmax', 'tanh', 'relu'];

function activate(head: HeadActivation, z: Float64Array, rows: number, cols: number): Float64Array {
  if (head === 'softmax') return softmax(z, rows, cols);
  return z.map((v) => (head === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : head === 'tanh' ? Math.tanh(v) : head === 'relu' ? Math.max(0, v) : v));
}

/** Central differences with this file's STEP. */
function numericGradient(values: Float64Array, f: () => number): Float64Array {
  return centralDifferences(values, f, STEP);
}

/**
 * Random logits and targets that keep every case away from the kinks of the loss (the clip
 * bounds, relu at 0, |p − y| = 0), where a central difference straddles two slopes:
 * - logits in [0.2, 1.5] for the cross-entropies on linear / tanh / relu heads (outputs in
 *   (0.19, 1.5): BCE clips the ones above 1, whose gradient is then 0 on both sides);
 * - logits in [−2, 2] with |z| ≥ 0.05 otherwise;
 * - targets: {0, 1} and soft labels for BCE, one-hot and unnormalized rows for CE,
 *   class indices for the sparse loss, uniform values for MSE / MAE.
 */
function inputs(loss: LossName, head: HeadActivation, rows: number, cols: number, random: Random) {
  const probability = head === 'sigmoid' || head === 'softmax';
  const crossEntropy = loss.includes('Crossentropy');
  const z = Float64Array.from({ length: rows * cols }, () => {
    if (crossEntropy && !probability) return random.uniform(0.2, 1.5);
    const v = random.uniform(0.05, 2);
    return random.next() < 0.5 ? -v : v;
  });
  let yTrue: Float64Array;
  if (loss === 'sparseCategoricalCrossentropy') yTrue = Float64Array.from({ length: rows }, () => random.int(cols));
  else if (loss === 'categoricalCrossentropy') {
    yTrue = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      if (r % 2 === 0) yTrue[r * cols + random.int(cols)] = 1;
      else for (let j = 0; j < cols; j++) yTrue[r * cols + j] = random.uniform(0, 0.7); // Σy ≠ 1
    }
  } else if (loss === 'binaryCrossentropy') yTrue = Float64Array.from({ length: rows * cols }, () => [0, 1, 0.3][random.int(3)]);
  else yTrue = Float64Array.from({ length: rows * cols }, () => random.uniform(-1, 1)); // |p − y| ≥ … almost surely away from 0
  return { z, yTrue };
}

describe('reference loss gradients vs finite differences', () => {
  const shapes = [
    { rows: 1, cols: 1 },
    { rows: 5, cols: 1 },
    { rows: 3, cols: 4 },
    { rows: 4, cols: 7 },
  ];
  for (const loss of LOSSES) {
    test.each(HEADS)(`${loss}, %s head`, (head) => {
      for (const { rows, cols } of shapes) {
        const random = new Random(rows * 131 + cols * 7 + LOSSES.indexOf(loss) * 1000 + HEADS.indexOf(head) * 10000);
        const { z, yTrue } = inputs(loss, head, rows, cols, random);
        const what = `${loss}, ${head}, [${rows}, ${cols}]`;
        const yPred = activate(head, z, rows, cols);
        const result = lossForward(loss, yPred, yTrue, rows, cols, head);
        expect(Number.isFinite(result.loss), what).toBe(true);
        if (result.gradIsPreActivation) {
          expect(head === 'sigmoid' || head === 'softmax', what).toBe(true);
          const numeric = numericGradient(z, () => lossForward(loss, activate(head, z, rows, cols), yTrue, rows, cols, head).loss);
          expectClose(result.grad, numeric, ATOL, RTOL, `${what}: d(loss)/d(logits)`);
        } else {
          const numeric = numericGradient(yPred, () => lossForward(loss, yPred, yTrue, rows, cols, head).loss);
          if (loss === 'binaryCrossentropy') {
            // A softmax over one column gives p ≡ 1, beyond the clip bound 1 − 2⁻²³ by less
            // than STEP: a central difference there straddles the kink. The clip passes no
            // gradient outside [ε, 1 − ε] (as tf.clip_by_value): check that it is exactly 0.
            for (let i = 0; i < yPred.length; i++) {
              if (Math.min(Math.abs(yPred[i] - EPSILON), Math.abs(yPred[i] - ONE_MINUS_EPSILON)) <= STEP) {
                expect(yPred[i] < EPSILON || yPred[i] > ONE_MINUS_EPSILON, `${what}: a test input on the clip bound`).toBe(true);
                expect(result.grad[i], `${what}: [${i}] clipped`).toBe(0);
                numeric[i] = 0;
              }
            }
          }
          expectClose(result.grad, numeric, ATOL, RTOL, `${what}: d(loss)/d(yPred)`);
        }
      }
    });
  }

  test('only sigmoid + BCE and softmax + (sparse) categorical CE are fused', () => {
    for (const loss of LOSSES) {
      for (const head of HEADS) {
        const fused = (head === 'sigmoid' && loss === 'binaryCrossentropy') || (head === 'softmax' && loss.includes('ategorical'));
        const yTrue = loss === 'sparseCategoricalCrossentropy' ? [0] : [1, 0];
        expect(lossForward(loss, [0.4, 0.6], yTrue, 1, 2, head).gradIsPreActivation, `${loss}, ${head}`).toBe(fused);
      }
    }
  });
});

describe('reference loss values (Keras semantics)', () => {
  test('means over the last axis, then over rows; clipping at f32(1e-7)', () => {
    // MSE over [2, 2]: ((0.5)² + 0² + 1² + (0.5)²) / 4
    expect(lossForward('meanSquaredError', [0.5, 1, 0, 0.5], [0, 1, 1, 0], 2, 2, 'linear').loss).toBeCloseTo(0.375, 15);
    expect(lossForward('meanAbsoluteError', [0.5, 1, 0, 0.5], [0, 1, 1, 0], 2, 2, 'linear').loss).toBeCloseTo(0.5, 15);
    // Categorical CE: sum over classes, mean over rows: (−ln 0.7 − ln 0.5) / 2
    expect(lossForward('categoricalCrossentropy', [0.7, 0.3, 0.5, 0.5], [1, 0, 0, 1], 2, 2, 'softmax').loss).toBeCloseTo(
      (-Math.log(0.7) - Math.log(0.5)) / 2,
      14,
    );
    expect(lossForward('sparseCategoricalCrossentropy', [0.7, 0.3, 0.5, 0.5], [0, 1], 2, 2, 'softmax').loss).toBeCloseTo(
      (-Math.log(0.7) - Math.log(0.5)) / 2,
      14,
    );
    // A probability of 0 is clipped to f32(1e-7), one of 1 to f32(1 − 1e-7) = 1 − 2⁻²³.
    expect(lossForward('binaryCrossentropy', [0], [1], 1, 1, 'sigmoid').loss).toBeCloseTo(-Math.log(Math.fround(1e-7)), 12);
    expect(lossForward('binaryCrossentropy', [1], [0], 1, 1, 'sigmoid').loss).toBeCloseTo(-Math.log(2 ** -23), 12);
    // Categorical CE normalizes p by its row sum (the identity for softmax outputs).
    expect(lossForward('categoricalCrossentropy', [1.4, 0.6], [1, 0], 1, 2, 'relu').loss).toBeCloseTo(-Math.log(0.7), 14);
  });

  test('metrics: the Keras rule for accuracy, and mae', () => {
    // Binary accuracy (BCE): y == (p > 0.5) over all elements: hits 1, 0, 1, 1.
    expect(metricValue('accuracy', 'binaryCrossentropy', [0.9, 0.2, 0.5, 0.7], [1, 1, 0, 1], 2, 2)).toBe(0.75);
    // Binary accuracy also for cols == 1 with MSE.
    expect(metricValue('accuracy', 'meanSquaredError', [0.9, 0.2], [1, 1], 2, 1)).toBe(0.5);
    // Categorical: argmax match, first index on ties (row 2: argmax p = 0, argmax y = 0).
    expect(metricValue('accuracy', 'categoricalCrossentropy', [0.1, 0.9, 0.5, 0.5], [0, 1, 0.5, 0.5], 2, 2)).toBe(1);
    expect(metricValue('accuracy', 'meanSquaredError', [0.1, 0.9, 0.6, 0.4], [0, 1, 0, 1], 2, 2)).toBe(0.5);
    // Sparse: argmax p == label.
    expect(metricValue('accuracy', 'sparseCategoricalCrossentropy', [0.1, 0.9, 0.6, 0.4], [1, 1], 2, 2)).toBe(0.5);
    expect(metricValue('mae', 'meanSquaredError', [0.5, 1, 0, 0.5], [0, 1, 1, 0], 2, 2)).toBeCloseTo(0.5, 15);
    // mae for the sparse loss: against the one-hot label.
    expect(metricValue('mae', 'sparseCategoricalCrossentropy', [0.25, 0.75], [1], 1, 2)).toBeCloseTo(0.25, 15);
  });

  test('softmax is stable for large logits', () => {
    const y = softmax([80, -80, 0, 1000, 1000, -1000], 2, 3);
    expect([...y].every(Number.isFinite)).toBe(true);
    expect(y[0]).toBeCloseTo(1, 15);
    expect(y[3]).toBeCloseTo(0.5, 15);
    expect(y[5]).toBe(0);
  });
});
