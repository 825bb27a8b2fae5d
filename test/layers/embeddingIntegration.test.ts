// Embedding, Dropout and TimeDistributed through the public API: fit / predict / gradients on
// the GPU against the reference's. These need the integration lines (factories in
// layers / reference.layers, the Trainer's token-id steps and id checks, the reference
// Sequential's wider layer type): until they are in, the tests skip.
import { describe, expect, test } from 'vitest';
import { layers, reference, sequential, ShapeError, tensor, type LossName } from '../../src/index.js';
import type { Dropout, DropoutConfig } from '../../src/layers/dropout.js';
import type { Embedding, EmbeddingConfig } from '../../src/layers/embedding.js';
import type { Dense } from '../../src/layers/dense.js';
import type { Layer } from '../../src/layers/layer.js';
import type { TimeDistributed, TimeDistributedConfig } from '../../src/layers/timeDistributed.js';
import type { ReferenceDense } from '../../src/reference/dense.js';
import type { ReferenceDropout } from '../../src/reference/dropout.js';
import type { ReferenceEmbedding } from '../../src/reference/embedding.js';
import type { ReferenceLayer } from '../../src/reference/sequential.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();

// The factories, typed here so that this file compiles before they exist.
const L = layers as unknown as {
  embedding?: (c: EmbeddingConfig) => Embedding;
  dropout?: (c: DropoutConfig) => Dropout;
  timeDistributed?: (c: TimeDistributedConfig) => TimeDistributed;
};
const R = reference.layers as unknown as {
  embedding?: (c: EmbeddingConfig) => ReferenceEmbedding;
  dropout?: (c: DropoutConfig) => ReferenceDropout;
  timeDistributed?: (c: { layer: ReferenceDense }) => ReferenceDense;
};
const integrated = !!(L.embedding && L.dropout && L.timeDistributed && R.embedding && R.dropout && R.timeDistributed);

interface Case {
  V: number;
  E: number;
  N: number;
  T: number;
  H: number;
  K: number;
  rate: number;
  head: 'linear' | 'softmax';
  loss: LossName;
  /** false: the LSTM returns its last output and a plain Dense is the head. */
  perStep?: boolean;
}

function buildBoth(c: Case) {
  const gpuLayers: Layer[] = [
    L.embedding!({ inputDim: c.V, outputDim: c.E, inputLength: c.T, seed: 1 }),
    L.dropout!({ rate: c.rate, seed: 5 }),
    layers.lstm({ units: c.H, returnSequences: c.perStep ?? true, seed: 2 }),
    L.dropout!({ rate: c.rate, seed: 6 }),
  ];
  const dense = layers.dense({ units: c.K, activation: c.head, seed: 3 }) as Dense;
  gpuLayers.push((c.perStep ?? true) ? L.timeDistributed!({ layer: dense }) : dense);
  const refLayers = [
    R.embedding!({ inputDim: c.V, outputDim: c.E }),
    R.dropout!({ rate: c.rate, seed: 5 }),
    reference.layers.lstm({ units: c.H, returnSequences: c.perStep ?? true }),
    R.dropout!({ rate: c.rate, seed: 6 }),
    R.timeDistributed!({ layer: reference.layers.dense({ units: c.K, activation: c.head }) }),
  ];
  return { model: sequential(env.gpu, gpuLayers), ref: reference.sequential(refLayers as ReferenceLayer[]) };
}

function makeData(c: Case, seed: number) {
  const random = new reference.Random(seed);
  const ids = Float32Array.from({ length: c.N * c.T }, () => random.int(c.V));
  ids[0] = c.V - 1;
  const rows = (c.perStep ?? true) ? c.N * c.T : c.N;
  const y =
    c.loss === 'sparseCategoricalCrossentropy' ? Float32Array.from({ length: rows }, () => random.int(c.K)) : random.uniformArray(rows * c.K, -0.8, 0.8);
  return { ids, y };
}

describe.skipIf(!integrated)('embedding models through the public API', () => {
  test('per-step softmax head through timeDistributed: gradients as the reference', async () => {
    // The Trainer must see through timeDistributed to fuse softmax with the cross-entropy, as
    // the reference does; tolerances as test/lstm/training.test.ts.
    const c: Case = { V: 8, E: 5, N: 3, T: 4, H: 6, K: 3, rate: 0.3, head: 'softmax', loss: 'sparseCategoricalCrossentropy' };
    const { model, ref } = buildBoth(c);
    model.compile({ optimizer: 'sgd', loss: c.loss });
    ref.compile({ optimizer: 'sgd', loss: c.loss });
    ref.setWeights(await model.getWeightData());
    const { ids, y } = makeData(c, 3);
    const gpu = await model.gradients(tensor(env.gpu, ids, [c.N, c.T]), y);
    const expected = ref.gradients(reference.tensor(ids, [c.N, c.T]), y);
    expect(Math.abs(gpu.loss - expected.loss)).toBeLessThan(1e-5 + 1e-5 * Math.abs(expected.loss));
    expected.grads.forEach((g, i) => expectClose(gpu.grads[i], g, 1e-6, 1e-4, `gradient of weight ${i}`));
    model.dispose();
  });

  // With a last-step head and tbptt, the chunks before the last only carry the state forward:
  // they are still training passes, so their Dropout layers draw masks (and advance their
  // steps) as the reference's do.
  test.each([
    { tbptt: undefined, perStep: true },
    { tbptt: 3, perStep: true },
    { tbptt: 3, perStep: false },
  ])('fit, shuffled batches, tbptt $tbptt, per-step head $perStep: the same loss curve as the reference', async ({ tbptt, perStep }) => {
    const c: Case = { V: 10, E: 4, N: 10, T: 7, H: 5, K: 2, rate: 0.25, head: 'linear', loss: 'meanSquaredError', perStep };
    const { model, ref } = buildBoth(c);
    const optimizer = { name: 'adam', learningRate: 0.02 } as const;
    model.compile({ optimizer, loss: c.loss });
    ref.compile({ optimizer, loss: c.loss });
    ref.setWeights(await model.getWeightData());
    const { ids, y } = makeData(c, 9);
    const args = { epochs: 3, batchSize: 4, seed: 5, tbptt };
    const history = await model.fit(tensor(env.gpu, ids, [c.N, c.T]), y, args);
    const expected = ref.fit(reference.tensor(ids, [c.N, c.T]), y, args);
    // As the LSTM curve tests: f32 against Float64 over a few Adam steps.
    expectClose(history.history.loss, expected, 0, 1e-3, 'epoch losses');
    model.dispose();
  });

  test('fit and predict reject token ids out of range, naming the first', async () => {
    const c: Case = { V: 4, E: 2, N: 2, T: 3, H: 2, K: 1, rate: 0, head: 'linear', loss: 'meanSquaredError' };
    const { model } = buildBoth(c);
    model.compile({ optimizer: 'sgd', loss: c.loss });
    const y = new Float32Array(c.N * c.T);
    await expect(model.fit(tensor(env.gpu, [0, 1, 2, 3, 4, 0], [2, 3]), y)).rejects.toThrowError(/fit: x: token id 4 at flat index 4/);
    await expect(
      model.fit(
        [
          [0, 1, 2],
          [3, 2.5, 0],
        ],
        y,
      ),
    ).rejects.toThrowError(ShapeError);
    expect(() => model.predict([[0, 1, -1]])).toThrowError(/predict: x: token id -1 at flat index 2/);
    // Sequences of another length than inputLength.
    await expect(model.fit(tensor(env.gpu, [0, 1, 2, 3], [2, 2]), y.subarray(0, 4))).rejects.toThrowError(/expects token ids of shape \[batch, 3\]/);
    expect(() => model.predict(tensor(env.gpu, [0, 1], [1, 2]))).toThrowError(/expects token ids of shape \[batch, 3\]/);
    model.dispose();
  });

  test('an unbuilt model with an embedding first builds from ids [batch, steps] in predict', async () => {
    const model = sequential(env.gpu, [L.embedding!({ inputDim: 5, outputDim: 3, seed: 1 }), L.dropout!({ rate: 0.5 })]);
    const out = model.predict(tensor(env.gpu, [0, 4, 2, 1], [2, 2]));
    expect(out.shape).toEqual([2, 2, 3]);
    const [table] = await model.getWeightData();
    expect(Array.from((await out.data()).subarray(3, 6))).toEqual(Array.from(table.subarray(12, 15)));
    model.dispose();
  });
});
