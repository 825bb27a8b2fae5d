// Bad input to fit(): mismatched batch sizes, labels of the wrong shape or out of range, a loss
// that overflows (the weights of the last good step kept), and fit before compile.
import { describe, expect, test } from 'vitest';
import { ShapeError, tensor, TrainingError } from '../../src/index.js';
import { useGpu } from '../helpers/gpu.js';
import { buildBothOn, type Case, makeData } from '../helpers/trainingCases.js';

const env = useGpu();
const buildBoth = (c: Case) => buildBothOn(env.gpu, c);

describe('bad input to fit', () => {
  const c: Case = {
    name: 'bad',
    B: 6,
    T: 3,
    D: 2,
    H: 4,
    returnSequences: false,
    head: { units: 3, activation: 'softmax' },
    loss: 'sparseCategoricalCrossentropy',
  };
  test('x and y of different batch sizes', async () => {
    const { model } = buildBoth(c);
    model.compile({ optimizer: 'sgd', loss: c.loss });
    const x = tensor(env.gpu, new Float32Array(6 * 3 * 2), [6, 3, 2]);
    await expect(model.fit(x, tensor(env.gpu, new Float32Array(5), [5]))).rejects.toThrowError(/x has 6 samples but y has 5/);
  });
  test('labels of the wrong shape for the loss', async () => {
    const { model } = buildBoth({ ...c, loss: 'categoricalCrossentropy' });
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const x = tensor(env.gpu, new Float32Array(6 * 3 * 2), [6, 3, 2]);
    await expect(model.fit(x, tensor(env.gpu, new Float32Array(6 * 2), [6, 2]))).rejects.toThrowError(ShapeError);
    await expect(model.fit(x, tensor(env.gpu, new Float32Array(6 * 2), [6, 2]))).rejects.toThrowError(/need \[6, 3\]/);
  });
  test('sparse labels out of range', async () => {
    const { model } = buildBoth(c);
    model.compile({ optimizer: 'sgd', loss: c.loss });
    const x = tensor(env.gpu, new Float32Array(6 * 3 * 2), [6, 3, 2]);
    await expect(model.fit(x, [0, 1, 2, 3, 0, 1])).rejects.toThrowError(/label 3 at index 3 is not a class index in \[0, 3\)/);
    await expect(model.fit(x, [0, 1, 2, 1.5, 0, 1])).rejects.toThrowError(/label 1.5/);
  });
  test('a loss that overflows stops training and keeps the weights of the last good step', async () => {
    const m: Case = { ...c, head: { units: 1, activation: 'linear' }, loss: 'meanSquaredError' };
    const { x, y } = makeData({ ...m, B: 8 }, 4);
    const good = buildBoth(m).model;
    const bad = buildBoth(m).model;
    for (const model of [good, bad]) model.compile({ optimizer: 'sgd', loss: m.loss });
    bad.setWeights(await good.getWeightData());
    await good.fit(tensor(env.gpu, x.subarray(0, 4 * 3 * 2), [4, 3, 2]), y.subarray(0, 4), { batchSize: 4, shuffle: false });
    const yBad = y.slice();
    yBad.fill(3e38, 4); // (ŷ − y)² overflows f32 in the second batch
    const failed = bad.fit(tensor(env.gpu, x, [8, 3, 2]), yBad, { batchSize: 4, shuffle: false });
    await expect(failed).rejects.toThrowError(TrainingError);
    await expect(failed).rejects.toThrowError(/loss became Infinity at epoch 0, batch 1.*last good step/);
    // The first batch trained on both models alike; the second changed nothing.
    const expected = await good.getWeightData();
    (await bad.getWeightData()).forEach((w, i) => expect(w).toEqual(expected[i]));
  });
  test('fit before compile', async () => {
    const { model } = buildBoth(c);
    await expect(async () => model.fit(tensor(env.gpu, new Float32Array(12), [2, 3, 2]), [0, 1])).rejects.toThrowError(/compile/);
  });
});
