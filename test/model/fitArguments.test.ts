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
    [{ callbacks: [() => {}] }, /callbacks\[0\] is an object of hook functions/],
    [
      { validationData: [Array.from({ length: 2 }, () => Array.from({ length: 4 }, () => [0.5, 0.5, 0.5])), [[0.1], [0.2]]] },
      /fit: validationData\[0\]: lstm_\d+ expects inputs of shape \[batch, 4, 2\], got \[batch, 4, 3\]/,
    ],
    [{ validationData: [tensor(gpu, wideX, [2, 4, 3]), [[0.1], [0.2]]] }, /fit: validationData\[0\]: lstm_\d+ expects inputs of shape \[batch, 4, 2\]/],
    [
      {
        validationData: [
          tensor(gpu, new Float32Array(16), [2, 4, 2]),
          [
            [0.1, 0.2],
            [0.2, 0.3],
          ],
        ],
      },
      /fit: validationData\[1\] has 4 values, but the 2 samples of validationData\[0\] need 2/,
    ],
  ];
  for (const [args, message] of bad) {
    await expect(model.fit(x, y, { epochs: 1, ...args })).rejects.toThrow(RnnError);
    await expect(model.fit(x, y, { epochs: 1, ...args })).rejects.toThrow(message);
  }
  expect(await model.getWeightData()).toEqual(before);
  // Only the two validation tensors made above are new.
  expect(gpu.memory().tensors - tensors).toBe(2);

  const history = await model.fit(x, y, { epochs: 1, validationData: [x, y] });
  expect(history.history.val_loss).toHaveLength(1);
  for (const t of [x, y]) t.dispose();
  model.dispose();
});

test('every shape error of fit, evaluate, trainOnBatch and predict names the call, the argument and what the layer expects', async () => {
  const { gpu } = env;
  const model = sequential(gpu, [layers.lstm({ units: 3, inputShape: [4, 2], seed: 1 }), layers.dense({ units: 1, seed: 2 })]);
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const before = await model.getWeightData();
  const tensors = gpu.memory().tensors;
  const wide = () => tensor(gpu, new Float32Array(3 * 4 * 3), [3, 4, 3]);
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    [
      'flat x, not whole samples',
      () => model.fit(new Float32Array(13), new Float32Array(2), { epochs: 1 }),
      /^fit: x has 13 values, not a whole number of samples of \[4, 2\] \(8 values each\) that lstm_\d+ expects/,
    ],
    [
      'flat y, wrong count',
      () => model.fit(new Float32Array(24), new Float32Array(5), { epochs: 1 }),
      /^fit: y has 5 values, but the 3 samples of x need 3: the model's output \[3, 1\]/,
    ],
    [
      'x of another width',
      () => model.evaluate(wide(), new Float32Array(3)),
      /^evaluate: x: lstm_\d+ expects inputs of shape \[batch, 4, 2\], got \[batch, 4, 3\]/,
    ],
    [
      'y tensor of another shape',
      () => model.trainOnBatch(new Float32Array(24), tensor(gpu, new Float32Array(6), [3, 2])),
      /^trainOnBatch: y has shape \[3, 2\], but the model's output/,
    ],
    ['predict x of another width', async () => model.predict(wide()), /^predict: x: lstm_\d+ expects inputs of shape \[batch, 4, 2\]/],
  ];
  for (const [what, call, message] of cases) await expect(call(), what).rejects.toThrow(message);
  expect(await model.getWeightData()).toEqual(before);
  // The three tensors made by the cases (two `wide()`, one y) are the only new ones: nothing uploaded by a failed call stays.
  expect(gpu.memory().tensors - tensors).toBe(3);

  // Flat x in whole samples of the first layer's input shape is read as [samples, ...inputShape].
  const history = await model.fit(new Float32Array(3 * 8).fill(0.5), new Float32Array(3).fill(0.2), { epochs: 1 });
  expect(history.history.loss).toHaveLength(1);
  model.dispose();
});
