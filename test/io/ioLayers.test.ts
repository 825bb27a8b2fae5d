// Save and load of the seed's IMDB architecture: Embedding → Dropout → Conv1D → MaxPooling1D →
// LSTM → Dense round-trips bit-identically.
import { expect, test } from 'vitest';
import { layers, loadModel, reference, sequential, tensor } from '../../src/index.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();

test('Embedding, Dropout, Conv1D and MaxPooling1D save and load', async () => {
  const model = sequential(env.gpu, [
    layers.embedding({ inputDim: 20, outputDim: 6, inputShape: [5], seed: 1 }),
    layers.dropout({ rate: 0.25, seed: 2 }),
    layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', seed: 5 }),
    layers.maxPooling1d({ poolSize: 2 }),
    layers.lstm({ units: 7, seed: 3 }),
    layers.dense({ units: 1, activation: 'sigmoid', seed: 4 }),
  ]);
  const ids = Float32Array.from({ length: 3 * 5 }, (_, i) => new reference.Random(i).int(20));
  const x = tensor(env.gpu, ids, [3, 5]);
  const before = await model.predict(x).data();
  const artifacts = await model.save();
  const loaded = await loadModel(env.gpu, artifacts);
  expect(loaded.layers.map((l) => l.constructor.name)).toEqual(['Embedding', 'Dropout', 'Conv1d', 'MaxPooling1d', 'Lstm', 'Dense']);
  expect(await loaded.predict(x).data()).toEqual(before);
});
