// The Embedding and Dropout twins' gradients against central finite differences in Float64.
import { describe, expect, test } from 'vitest';
import { ReferenceDropout } from '../../src/reference/dropout.js';
import { ReferenceEmbedding } from '../../src/reference/embedding.js';
import { Random } from '../../src/init/random.js';
import { cpuTensor } from '../../src/reference/tensor.js';
import { FD_ATOL, FD_RTOL, numericGradient } from '../helpers/finiteDifferences.js';
import { expectClose } from '../helpers/gpu.js';

const [ATOL, RTOL] = [FD_ATOL, FD_RTOL];

/** A nonlinear loss of y: Σ w ⊙ tanh(y) + ½ Σ y², and its gradient. */
function lossOf(y: Float64Array, w: Float64Array): { loss: number; dY: Float64Array } {
  let loss = 0;
  const dY = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const t = Math.tanh(y[i]);
    loss += w[i] * t + 0.5 * y[i] * y[i];
    dY[i] = w[i] * (1 - t * t) + y[i];
  }
  return { loss, dY };
}

describe('Embedding backward vs finite differences', () => {
  test.each([
    { name: 'batch 1, one step', V: 3, E: 2, B: 1, T: 1 },
    { name: 'repeated ids, 0 and V − 1', V: 6, E: 4, B: 3, T: 4 },
  ])('$name (V=$V E=$E B=$B T=$T)', ({ V, E, B, T }) => {
    const random = new Random(V * 10 + B);
    const ids = Float64Array.from({ length: B * T }, () => random.int(V));
    ids[0] = 0;
    ids[ids.length - 1] = V - 1;
    if (ids.length > 2) ids[1] = 0;
    const layer = new ReferenceEmbedding({ inputDim: V, outputDim: E, seed: 3, embeddingsInitializer: 'glorotUniform' });
    const table = layer.getWeights()[0];
    const w = Float64Array.from({ length: B * T * E }, () => random.uniform(-1, 1));
    const x = cpuTensor(ids, [B, T]);
    const loss = () => {
      layer.setWeights([table]);
      return lossOf(layer.forwardTrain(x).y.data, w).loss;
    };
    layer.setWeights([table]);
    const { y, saved } = layer.forwardTrain(x);
    expect(y.shape).toEqual([B, T, E]);
    const { grads, dX } = layer.backward(saved, lossOf(y.data, w).dY);
    expectClose(grads[0], numericGradient(table, loss), ATOL, RTOL, 'dW');
    expect(Array.from(dX).every((v) => v === 0)).toBe(true);
    // Rows no id selects have a zero gradient.
    for (let v = 0; v < V; v++) if (!ids.includes(v)) expect(Array.from(grads[0].subarray(v * E, (v + 1) * E)).every((g) => g === 0)).toBe(true);
  });

  test('rejects ids that are not whole numbers in [0, inputDim) at its boundary', () => {
    const layer = new ReferenceEmbedding({ inputDim: 4, outputDim: 2 });
    expect(() => layer.forwardTrain(cpuTensor([0, 4], [1, 2]))).toThrow(/token id 4 at flat index 1/);
    expect(() => layer.forwardTrain(cpuTensor([1.5], [1, 1]))).toThrow(/token id 1.5/);
    expect(() => layer.forwardTrain(cpuTensor([-1], [1, 1]))).toThrow(/\[0, 4\)/);
  });
});

describe('Dropout backward vs finite differences', () => {
  test.each([
    { name: 'rate 0.5, [B, T, F]', rate: 0.5, shape: [2, 3, 4], step: 5 },
    { name: 'rate 0.2, batch 1, one value', rate: 0.2, shape: [1, 1], step: 0 },
    { name: 'rate 0: identity', rate: 0, shape: [3, 5], step: 2 },
  ])('$name', ({ rate, shape, step }) => {
    const random = new Random(shape.length * 7 + step);
    const n = shape.reduce((a, b) => a * b, 1);
    const x = Float64Array.from({ length: n }, () => random.uniform(-1, 1));
    const w = Float64Array.from({ length: n }, () => random.uniform(-1, 1));
    const layer = new ReferenceDropout({ rate, seed: 42 });
    // Each forwardTrain draws the mask of layer.step and advances it: fix the step for every call.
    const forward = () => {
      layer.step = step;
      return layer.forwardTrain(cpuTensor(x, shape));
    };
    const { y, saved } = forward();
    expect(layer.step).toBe(step + 1);
    const { dX, grads } = layer.backward(saved, lossOf(y.data, w).dY);
    expect(grads).toEqual([]);
    expectClose(
      dX,
      numericGradient(x, () => lossOf(forward().y.data, w).loss),
      ATOL,
      RTOL,
      'dX',
    );
    if (rate === 0) expect(Array.from(y.data)).toEqual(Array.from(x));
    // Inference is the identity.
    expect(layer.apply(cpuTensor(x, shape)).data).toEqual(x);
  });
});
