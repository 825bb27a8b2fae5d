// The spam example's baseline: its gradient against central differences, and that it learns
// a linearly separable problem.
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/index.js';
import { bagOfWords, LogisticRegression, type SparseRow } from '../../examples/lib/logisticRegression.js';
import { FD_ATOL, FD_RTOL, numericGradient } from '../helpers/finiteDifferences.js';
import { expectClose } from '../helpers/gpu.js';

/** n rows over `features` columns, each with 1 to 4 non-zero entries of random value. */
function randomRows(n: number, features: number, random: Random): SparseRow[] {
  return Array.from({ length: n }, () => {
    const present = new Set<number>();
    const count = 1 + random.int(4);
    while (present.size < count) present.add(random.int(features));
    const indices = Int32Array.from([...present].sort((a, b) => a - b));
    return { indices, values: Float64Array.from(indices, () => random.uniform(-2, 2)) };
  });
}

describe('bagOfWords', () => {
  it('marks each token present once, drops padding and ids past the vocabulary, scales to unit norm', () => {
    const [row, empty] = bagOfWords(
      [
        [0, 0, 3, 5, 3, 9, 12],
        [0, 0],
      ],
      10,
    );
    expect(Array.from(row.indices)).toEqual([3, 5, 9]);
    for (const v of row.values) expect(v).toBeCloseTo(1 / Math.sqrt(3), 12);
    expect(empty.indices.length).toBe(0);
  });
});

describe('LogisticRegression', () => {
  it('has the gradient of its loss (L2 term included), by central differences', () => {
    const random = new Random(7);
    const features = 6;
    const rows = randomRows(9, features, random);
    const labels = rows.map(() => random.int(2));
    const model = new LogisticRegression(features);
    for (let j = 0; j < features; j++) model.weights[j] = random.uniform(-1, 1);
    model.bias = 0.3;
    const l2 = 0.05;
    const { dW, dB } = model.lossAndGradient(rows, labels, l2);
    const numericW = numericGradient(model.weights, () => model.lossAndGradient(rows, labels, l2).loss);
    expectClose(dW, numericW, FD_ATOL, FD_RTOL, 'dW');
    const bias = Float64Array.of(model.bias);
    const numericB = numericGradient(bias, () => {
      model.bias = bias[0];
      return model.lossAndGradient(rows, labels, l2).loss;
    });
    expectClose([dB], numericB, FD_ATOL, FD_RTOL, 'dB');
  });

  it('separates a linearly separable problem it was not told the rule of', () => {
    // Label 1 iff 2·x0 − x1 + 0.5·x2 − 0.2 > 0, with a margin of 0.1 around the boundary.
    const random = new Random(3);
    const rows: SparseRow[] = [];
    const labels: number[] = [];
    while (rows.length < 400) {
      const v = [random.uniform(-1, 1), random.uniform(-1, 1), random.uniform(-1, 1)];
      const score = 2 * v[0] - v[1] + 0.5 * v[2] - 0.2;
      if (Math.abs(score) < 0.1) continue;
      rows.push({ indices: Int32Array.of(0, 1, 2), values: Float64Array.from(v) });
      labels.push(score > 0 ? 1 : 0);
    }
    const model = new LogisticRegression(3);
    const losses = model.fit(rows.slice(0, 300), labels.slice(0, 300), { epochs: 60, batchSize: 16, learningRate: 0.1, l2: 0, seed: 1 });
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] / 3);
    const predicted = model.predict(rows.slice(300));
    const correct = predicted.filter((p, i) => (p >= 0.5 ? 1 : 0) === labels[300 + i]).length;
    expect(correct).toBe(100);
    // The learned direction is the rule's, up to scale.
    const w = model.weights;
    expect(w[0] / w[1]).toBeCloseTo(-2, 0);
    expect(w[0] / w[2]).toBeCloseTo(4, 0);
  });
});
