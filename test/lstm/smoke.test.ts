import { expect, test } from 'vitest';
import { layers, reference, sequential, tensor } from '../../src/index.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();

test('smoke', async () => {
  const { gpu } = env;
  console.log(gpu.info);
  const rnd = new reference.Random(1);
  const [B, T, D, H] = [3, 7, 13, 37];
  const xs = rnd.uniformArray(B * T * D);
  const model = sequential(gpu, [layers.lstm({ units: H, inputShape: [T, D], returnSequences: true, seed: 1 }), layers.lstm({ units: H, seed: 2 })]);
  const y = await model.predict(tensor(gpu, xs, [B, T, D])).data();
  const ref = reference.sequential([reference.layers.lstm({ units: H, inputShape: [T, D], returnSequences: true }), reference.layers.lstm({ units: H })]);
  ref.setWeights(await model.getWeightData());
  const r = ref.predict(reference.tensor(xs, [B, T, D]));
  expect(r.shape).toEqual([B, H]);
  expectClose(y, r.data, 1e-5, 1e-4);
});
