// evaluate(x, y, { batchSize }) on data given on the CPU: uploaded a chunk of whole batches at a
// time (evaluateChunking.bytes of x at most), so no GPU buffer holds the whole input; the logs
// equal those of one run over all samples (the same batches, their means combined in Float64).
import { afterEach, describe, expect, test, vi } from 'vitest';
import { layers, OptionError, reference, sequential, ShapeError, tensor } from '../../src/index.js';
import { evaluateChunking } from '../../src/model/evaluateChunks.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();
const defaultBytes = evaluateChunking.bytes;
afterEach(() => {
  evaluateChunking.bytes = defaultBytes;
});

/** Largest pool buffer acquired while `run` runs, and its result. */
async function largestBuffer<T>(run: () => Promise<T>): Promise<{ largest: number; result: T }> {
  const acquire = vi.spyOn(env.gpu.pool, 'acquire');
  try {
    const result = await run();
    return { largest: Math.max(...acquire.mock.calls.map(([bytes]) => bytes as number)), result };
  } finally {
    acquire.mockRestore();
  }
}

function expectSameLogs(chunked: Record<string, number>, whole: Record<string, number>): void {
  expect(Object.keys(chunked).sort()).toEqual(Object.keys(whole).sort());
  // Identical batch values; only the Float64 combination of their means differs (~1e-16 relative).
  for (const k of Object.keys(whole)) expect(Math.abs(chunked[k] - whole[k]), k).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(whole[k])));
}

describe('evaluate streams data given on the CPU', () => {
  test('LSTM regression with sample weights: chunks of 2 batches (and a remainder) give the whole run’s logs; no buffer holds x', async () => {
    const [N, T, D, batchSize] = [70, 6, 5, 8];
    const random = new reference.Random(3);
    const x = random.uniformArray(N * T * D);
    const y = random.uniformArray(N * 2);
    const sampleWeight = Float32Array.from({ length: N }, (_, i) => 0.5 + (i % 3));
    const model = sequential(env.gpu, [layers.lstm({ units: 4, inputShape: [T, D], seed: 1 }), layers.dense({ units: 2, seed: 2 })]);
    model.compile({ loss: 'meanSquaredError', optimizer: 'adam', metrics: ['meanAbsoluteError'] });
    const whole = await model.evaluate(tensor(env.gpu, x, [N, T, D]), tensor(env.gpu, y, [N, 2]), {
      batchSize,
      sampleWeight: tensor(env.gpu, sampleWeight, [N]),
    });
    // Two batches' x, y and weights (T·D + 2 + 1 floats a sample) a chunk.
    evaluateChunking.bytes = 2 * batchSize * (T * D + 3) * 4;
    const { largest, result } = await largestBuffer(() => model.evaluate(x, y, { batchSize, sampleWeight }));
    expectSameLogs(result, whole);
    expect(largest).toBeLessThan(N * T * D * 4);
    expect(largest).toBeGreaterThanOrEqual(2 * batchSize * T * D * 4);
    model.dispose();
  });

  test('Embedding ids with maskZero and sparse labels, nested arrays, chunks of one batch', async () => {
    const [N, T, batchSize] = [13, 5, 4];
    const ids = Array.from({ length: N }, (_, i) => Array.from({ length: T }, (_, t) => (t < 1 + (i % T) ? 1 + ((i * 3 + t) % 9) : 0)));
    const labels = Array.from({ length: N }, (_, i) => i % 3);
    const model = sequential(env.gpu, [
      layers.embedding({ inputDim: 10, outputDim: 3, inputShape: [T], maskZero: true, seed: 1 }),
      layers.gru({ units: 4, seed: 2 }),
      layers.dense({ units: 3, activation: 'softmax', seed: 3 }),
    ]);
    model.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: 'sgd', metrics: ['accuracy'] });
    const whole = await model.evaluate(tensor(env.gpu, ids.flat(), [N, T]), tensor(env.gpu, labels, [N]), { batchSize });
    evaluateChunking.bytes = 1;
    expectSameLogs(await model.evaluate(ids, labels, { batchSize }), whole);
    model.dispose();
  });

  test('bad data is refused as it is without chunks: too few targets, a label out of range in a later chunk, a null weight, batchSize < 1', async () => {
    const [N, T, D] = [20, 3, 2];
    const x = new Float32Array(N * T * D);
    const model = sequential(env.gpu, [
      layers.simpleRNN({ units: 2, inputShape: [T, D], seed: 1 }),
      layers.dense({ units: 3, activation: 'softmax', seed: 2 }),
    ]);
    model.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: 'sgd' });
    evaluateChunking.bytes = 4 * T * D * 4;
    await expect(model.evaluate(x, new Float32Array(N - 1), { batchSize: 4 })).rejects.toThrow(ShapeError);
    const labels = Float32Array.from({ length: N }, (_, i) => (i === N - 2 ? 3 : i % 3));
    await expect(model.evaluate(x, labels, { batchSize: 4 })).rejects.toThrow(/label 3 .* not a class index/);
    const weights = Array.from({ length: N }, (_, i) => (i === N - 1 ? null : 1)) as number[];
    await expect(model.evaluate(x, new Float32Array(N), { batchSize: 4, sampleWeight: weights })).rejects.toThrow(/sampleWeight/);
    for (const batchSize of [0, -4]) await expect(model.evaluate(x, new Float32Array(N), { batchSize })).rejects.toThrow(OptionError);
    model.dispose();
  });
});
