// The integration of Bidirectional and stateful into Sequential, the Trainer and the reference
// Sequential: a fit equals the CPU twin's, and fit's refusals name the fix.
import { expect, test } from 'vitest';
import { layers, reference, sequential, tensor } from '../../src/index.js';
import { Random } from '../../src/init/random.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();

test('fit of a Bidirectional model equals the reference Sequential fit', async () => {
  const { gpu } = env;
  const [N, T, D, H] = [6, 5, 3, 4];
  for (const returnSequences of [false, true]) {
    const model = sequential(gpu, [
      layers.bidirectional({ layer: layers.gru({ units: H, inputShape: [T, D], returnSequences, seed: 1 }), mergeMode: 'mul' }),
      layers.dense({ units: 2, seed: 2 }),
    ]);
    model.compile({ optimizer: { name: 'sgd', learningRate: 0.1 }, loss: 'meanSquaredError' });
    const ref = reference.sequential([
      reference.layers.bidirectional({ layer: reference.layers.gru({ units: H, inputShape: [T, D], returnSequences }), mergeMode: 'mul' }),
      reference.layers.dense({ units: 2 }),
    ]);
    ref.setWeights(await model.getWeightData());
    ref.compile({ optimizer: { name: 'sgd', learningRate: 0.1 }, loss: 'meanSquaredError' });
    const random = new Random(3);
    const x = random.uniformArray(N * T * D);
    const y = random.uniformArray(returnSequences ? N * T * 2 : N * 2);
    await model.fit(tensor(gpu, x, [N, T, D]), y, { epochs: 2, batchSize: 4, seed: 7 });
    ref.fit(reference.tensor(x, [N, T, D]), y, { epochs: 2, batchSize: 4, seed: 7 });
    const got = await model.getWeightData();
    ref.getWeights().forEach((w, i) => expectClose(got[i], w, 1e-6, 1e-5, `weight ${i}`));
    model.dispose();
  }
});

test('the Trainer refuses shuffle for stateful models, partial batches, and tbptt with Bidirectional; Sequential refuses mergeMode null', async () => {
  const { gpu } = env;
  const model = sequential(gpu, [layers.lstm({ units: 3, inputShape: [4, 2], stateful: true }), layers.dense({ units: 1 })]);
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const x = tensor(gpu, new Float32Array(6 * 4 * 2), [6, 4, 2]);
  await expect(model.fit(x, new Float32Array(6), { batchSize: 2 })).rejects.toThrowError(/stateful.*shuffle: false/);
  await expect(model.fit(x, new Float32Array(6), { batchSize: 4, shuffle: false })).rejects.toThrowError(/not a multiple of batchSize 4/);
  await model.fit(x, new Float32Array(6), { batchSize: 3, shuffle: false });
  model.resetStates();
  const bi = sequential(gpu, [layers.bidirectional({ layer: layers.lstm({ units: 3, inputShape: [4, 2] }) }), layers.dense({ units: 1 })]);
  bi.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  await expect(bi.fit(x, new Float32Array(6), { batchSize: 3, tbptt: 2 })).rejects.toThrowError(/tbptt.*Bidirectional/);
  expect(() => sequential(gpu, [layers.bidirectional({ layer: layers.lstm({ units: 3 }), mergeMode: null })])).toThrowError(/mergeMode null/);
});
