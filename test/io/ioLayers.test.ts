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

// A Bidirectional layer's weight names hold its wrapped layer's generated name, which another
// model built from the same code does not share: loadWeights matches them by structure.
test('loadWeights into a Bidirectional model built afresh', async () => {
  const build = (seed: number) =>
    sequential(env.gpu, [
      layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true, seed }), inputShape: [4, 2] }),
      layers.bidirectional({ layer: layers.gru({ units: 2, seed: seed + 1 }), mergeMode: 'sum' }),
      layers.dense({ units: 1, seed: seed + 2 }),
    ]);
  const [saved, fresh] = [build(1), build(7)];
  const x = tensor(
    env.gpu,
    Float32Array.from({ length: 2 * 4 * 2 }, (_, i) => Math.sin(i)),
    [2, 4, 2],
  );
  const expected = await saved.predict(x).data();
  expect(await fresh.predict(x).data()).not.toEqual(expected);
  await fresh.loadWeights(await saved.save());
  expect(await fresh.predict(x).data()).toEqual(expected);
  for (const m of [saved, fresh]) m.dispose();
  x.dispose();
});
