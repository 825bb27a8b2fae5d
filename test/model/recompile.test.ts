// A failed compile() leaves the model as it was: the previous trainer stays, nothing is
// released twice, and other models on the device keep working.
import { expect, test } from 'vitest';
import { layers, RnnError, sequential, tensor } from '../../src/index.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();

test('a compile with a bad optimizer, loss or metric keeps the previous one', async () => {
  const { gpu } = env;
  const build = (seed: number) => sequential(gpu, [layers.lstm({ units: 3, inputShape: [4, 2], seed }), layers.dense({ units: 1, seed: seed + 1 })]);
  const model = build(1);
  const other = build(3);
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  other.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  const x = tensor(gpu, new Float32Array(2 * 4 * 2).fill(0.5), [2, 4, 2]);
  const y = tensor(gpu, new Float32Array([0.1, 0.2]), [2, 1]);
  const before = await model.getWeightData();

  const bad = [
    { optimizer: 'bogus', loss: 'meanSquaredError' },
    { optimizer: 'sgd', loss: 'noSuchLoss' },
    { optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['noSuchMetric'] },
    { optimizer: 'bogus', loss: 'meanSquaredError' },
  ];
  for (const args of bad) expect(() => model.compile(args as never)).toThrow(RnnError);
  expect(model.compiled).toBe(true);
  expect(await model.getWeightData()).toEqual(before);

  // Both models still train on the device: no buffer was released twice.
  const [loss] = await model.trainOnBatch(x, y);
  expect(Number.isFinite(loss)).toBe(true);
  const [otherLoss] = await other.trainOnBatch(x, y);
  expect(Number.isFinite(otherLoss)).toBe(true);
  expect(await model.getWeightData()).not.toEqual(before);
  for (const t of [x, y]) t.dispose();
  model.dispose();
  other.dispose();
});
