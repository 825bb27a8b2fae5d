// fit refuses bad callbacks and validationData unlike the training data before any epoch runs:
// the weights stay as they were and nothing leaks.
import { expect, test } from 'vitest';
import { layers, RnnError, sequential, tensor } from '../../src/index.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();

test('bad callbacks and mismatched validationData fail before training, weights unchanged', async () => {
  const { gpu } = env;
  const model = sequential(gpu, [layers.lstm({ units: 3, inputShape: [4, 2], seed: 1 }), layers.dense({ units: 1, seed: 2 })]);
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const x = tensor(gpu, new Float32Array(6 * 4 * 2).fill(0.5), [6, 4, 2]);
  const y = tensor(gpu, new Float32Array(6).fill(0.3), [6, 1]);
  const wideX = new Float32Array(2 * 4 * 3).fill(0.5);
  const before = await model.getWeightData();
  const tensors = gpu.memory().tensors;

  const bad: [object, RegExp][] = [
    [{ callbacks: { onEpochEnd: 'log' } }, /callbacks\.onEpochEnd must be a function/],
    [{ callbacks: { onEpochEnded: () => {} } }, /unknown callback 'onEpochEnded'/],
    [{ callbacks: [() => {}] }, /callbacks is an object of functions/],
    [
      { validationData: [Array.from({ length: 2 }, () => Array.from({ length: 4 }, () => [0.5, 0.5, 0.5])), [[0.1], [0.2]]] },
      /validationData has samples of shape/,
    ],
    [{ validationData: [tensor(gpu, wideX, [2, 4, 3]), [[0.1], [0.2]]] }, /the training data has/],
  ];
  for (const [args, message] of bad) {
    await expect(model.fit(x, y, { epochs: 1, ...args })).rejects.toThrow(RnnError);
    await expect(model.fit(x, y, { epochs: 1, ...args })).rejects.toThrow(message);
  }
  expect(await model.getWeightData()).toEqual(before);
  // Only the validation tensor made above is new.
  expect(gpu.memory().tensors - tensors).toBe(1);

  const history = await model.fit(x, y, { epochs: 1, validationData: [x, y] });
  expect(history.history.val_loss).toHaveLength(1);
  for (const t of [x, y]) t.dispose();
  model.dispose();
});
