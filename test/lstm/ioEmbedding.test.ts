// Save and load of a text model: Embedding → Dropout → LSTM → Dense round-trips bit-identically.
import { expect, test } from 'vitest';
import { layers, loadModel, reference, sequential, tensor } from '../../src/index.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();

test('Embedding and Dropout save and load', async () => {
  const model = sequential(env.gpu, [
    layers.embedding({ inputDim: 20, outputDim: 6, inputShape: [5], seed: 1 }),
    layers.dropout({ rate: 0.25, seed: 2 }),
    layers.lstm({ units: 7, seed: 3 }),
    layers.dense({ units: 1, activation: 'sigmoid', seed: 4 }),
  ]);
  const ids = Float32Array.from({ length: 3 * 5 }, (_, i) => new reference.Random(i).int(20));
  const x = tensor(env.gpu, ids, [3, 5]);
  const before = await model.predict(x).data();
  const artifacts = await model.save();
  const loaded = await loadModel(env.gpu, artifacts);
  expect(loaded.layers.map((l) => l.constructor.name)).toEqual(['Embedding', 'Dropout', 'Lstm', 'Dense']);
  expect(await loaded.predict(x).data()).toEqual(before);
});
