// fit() on the GPU against the CPU reference: loss curves, clipping, regularizers and metrics,
// TF.js's SGD step, the buffers of a steady-state step, callbacks, seeds and truncated BPTT.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, test } from 'vitest';
import { layers, reference, sequential, tensor } from '../../src/index.js';
import { expectClose, useGpu } from '../helpers/gpu.js';
import { buildBothOn, type Case, expectSteadyTrainingStep, makeData } from '../helpers/trainingCases.js';

const env = useGpu();
const buildBoth = (c: Case) => buildBothOn(env.gpu, c);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('training', () => {
  test('a few epochs on the GPU and in the reference give the same loss curve', async () => {
    const c: Case = { name: 'curve', B: 24, T: 8, D: 3, H: 16, returnSequences: false, head: { units: 1, activation: 'linear' }, loss: 'meanSquaredError' };
    const { model, ref } = buildBoth(c);
    const optimizer = { name: 'adam', learningRate: 0.01 } as const;
    model.compile({ optimizer, loss: c.loss });
    ref.compile({ optimizer, loss: c.loss });
    ref.setWeights(await model.getWeightData());
    const { x, y } = makeData(c, 5);
    const args = { epochs: 4, batchSize: 8, seed: 11 };
    const history = await model.fit(tensor(env.gpu, x, [c.B, c.T, c.D]), y, args);
    const expected = ref.fit(reference.tensor(x, [c.B, c.T, c.D]), y, args);
    // f32 against Float64 over 12 Adam steps: Adam normalizes the step by √v, so a relative
    // gradient error ε moves a weight by ≲ ε·lr per step; the losses (≈ 0.2) then agree to
    // ~1e-4 relative. 1e-3 relative is a 10× margin; a wrong batch order or update is ≥ 1e-2.
    expectClose(history.history.loss, expected, 0, 1e-3, 'epoch losses');
    expect(history.history.loss[3]).toBeLessThan(history.history.loss[0]);
    model.dispose();
  });

  test('clipping, regularizers and metrics agree with the reference over epochs', async () => {
    const c: Case = {
      name: 'clip',
      B: 16,
      T: 5,
      D: 3,
      H: 12,
      returnSequences: false,
      head: { units: 3, activation: 'softmax' },
      loss: 'categoricalCrossentropy',
    };
    const regularized = { kernelRegularizer: { l2: 0.01 }, recurrentRegularizer: { l1: 0.001 } };
    const model = sequential(env.gpu, [
      layers.lstm({ units: c.H, inputShape: [c.T, c.D], seed: 1, ...regularized }),
      layers.dense({ units: 3, activation: 'softmax', kernelRegularizer: { l1: 0.01, l2: 0.01 } }),
    ]);
    const ref = reference.sequential([
      reference.layers.lstm({ units: c.H, inputShape: [c.T, c.D], ...regularized }),
      reference.layers.dense({ units: 3, activation: 'softmax', kernelRegularizer: { l1: 0.01, l2: 0.01 } }),
    ]);
    const optimizer = { name: 'sgd', learningRate: 0.5, momentum: 0.9, nesterov: true, globalClipnorm: 0.3 } as const;
    model.compile({ optimizer, loss: c.loss, metrics: ['accuracy', 'mae'] });
    ref.compile({ optimizer, loss: c.loss, metrics: ['accuracy', 'mae'] });
    ref.setWeights(await model.getWeightData());
    const { x, y } = makeData(c, 6);
    const args = { epochs: 3, batchSize: 16, seed: 2 };
    const history = await model.fit(tensor(env.gpu, x, [c.B, c.T, c.D]), y, args);
    const expected = ref.fit(reference.tensor(x, [c.B, c.T, c.D]), y, args);
    // As the curve test: f32 rounding of O(1e-7) relative per step over 3 steps.
    expectClose(history.history.loss, expected, 0, 1e-4, 'epoch losses');
    const logs = await model.evaluate(tensor(env.gpu, x, [c.B, c.T, c.D]), y);
    const refNow = ref.gradients(reference.tensor(x, [c.B, c.T, c.D]), y);
    expectClose([logs.loss, logs.accuracy, logs.mae], [refNow.loss, ...refNow.metrics], 1e-5, 1e-4, 'evaluate: loss, accuracy, mae');
    model.dispose();
  });

  test('one SGD step equals TensorFlow.js layers', async () => {
    const [B, T, D, H] = [4, 5, 3, 6];
    const recurrentInitializer = 'glorotUniform'; // TF.js's orthogonal needs its chained ops
    const tfModel = tfl.sequential({
      layers: [tfl.layers.lstm({ units: H, inputShape: [T, D], recurrentActivation: 'sigmoid', recurrentInitializer }), tfl.layers.dense({ units: 2 })],
    });
    tfModel.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const model = sequential(env.gpu, [layers.lstm({ units: H, inputShape: [T, D] }), layers.dense({ units: 2 })]);
    model.compile({ optimizer: { name: 'sgd', learningRate: 0.1 }, loss: 'meanSquaredError' });
    model.setWeights(tfModel.getWeights().map((w) => w.dataSync() as Float32Array));
    const random = new reference.Random(3);
    const x = random.uniformArray(B * T * D);
    const y = random.uniformArray(B * 2);
    const tfLoss = (await tfModel.trainOnBatch(tf.tensor3d(x, [B, T, D]), tf.tensor2d(y, [B, 2]))) as number;
    const [loss] = await model.trainOnBatch(tensor(env.gpu, x, [B, T, D]), y);
    // Both in f32; only the order of operations differs: ~1e-6 per value.
    expect(Math.abs(loss - tfLoss)).toBeLessThan(1e-5);
    const ours = await model.getWeightData();
    tfModel.getWeights().forEach((w, i) => expectClose(ours[i], w.dataSync(), 1e-5, 1e-5, `weight ${i} after the step`));
    model.dispose();
  });

  test('a steady-state training step creates no GPU buffers and compiles nothing', async () => {
    const c: Case = { name: 'steady', B: 8, T: 6, D: 3, H: 10, returnSequences: true, head: { units: 2, activation: 'sigmoid' }, loss: 'binaryCrossentropy' };
    const { model } = buildBoth(c);
    await expectSteadyTrainingStep(env.gpu, model, c);
  });

  test('callbacks and validation data: logs per batch and epoch, val_ metrics', async () => {
    const c: Case = {
      name: 'callbacks',
      B: 10,
      T: 3,
      D: 2,
      H: 5,
      returnSequences: false,
      head: { units: 2, activation: 'softmax' },
      loss: 'sparseCategoricalCrossentropy',
    };
    const { model } = buildBoth(c);
    model.compile({ optimizer: 'adam', loss: c.loss, metrics: 'accuracy' });
    const { x, y } = makeData(c, 8);
    const seen: string[] = [];
    const batchLosses: number[] = [];
    const history = await model.fit(tensor(env.gpu, x, [c.B, c.T, c.D]), y, {
      epochs: 2,
      batchSize: 4,
      validationSplit: 0.2,
      callbacks: {
        onTrainBegin: () => void seen.push('train'),
        onEpochBegin: (epoch) => void seen.push(`epoch ${epoch}`),
        onBatchEnd: (batch, logs) => {
          seen.push(`batch ${batch}`);
          batchLosses.push(logs.loss);
        },
        onEpochEnd: (epoch, logs) => void seen.push(`end ${epoch} ${Object.keys(logs).sort().join(',')}`),
        onTrainEnd: () => void seen.push('done'),
      },
    });
    // 8 training samples (the last 2 held out) in batches of 4.
    expect(seen).toEqual([
      'train',
      'epoch 0',
      'batch 0',
      'batch 1',
      'end 0 accuracy,loss,val_accuracy,val_loss',
      'epoch 1',
      'batch 0',
      'batch 1',
      'end 1 accuracy,loss,val_accuracy,val_loss',
      'done',
    ]);
    expect(history.epoch).toEqual([0, 1]);
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    // The epoch loss is the mean of its two equal-size batches.
    expect(history.history.loss[0]).toBeCloseTo((batchLosses[0] + batchLosses[1]) / 2, 6);
    // val_ values equal an evaluate() of the held-out samples after the epoch.
    const held = await model.evaluate(tensor(env.gpu, x.subarray(8 * c.T * c.D), [2, c.T, c.D]), y.subarray(8));
    expect(history.history.val_loss[1]).toBeCloseTo(held.loss, 6);
    model.dispose();
  });

  test('the same seed gives the same losses', async () => {
    const c: Case = { name: 'seeded', B: 12, T: 4, D: 2, H: 8, returnSequences: false, head: { units: 1, activation: 'linear' }, loss: 'meanSquaredError' };
    const { x, y } = makeData(c, 2);
    const run = async (seed: number) => {
      const { model } = buildBoth(c);
      model.compile({ optimizer: 'rmsprop', loss: c.loss });
      const h = await model.fit(tensor(env.gpu, x, [c.B, c.T, c.D]), y, { epochs: 2, batchSize: 5, seed });
      model.dispose();
      return h.history.loss;
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
  });
});

describe('truncated BPTT', () => {
  test.each([
    { name: 'per-step targets', returnSequences: true, tbptt: 3 },
    { name: 'last-step target', returnSequences: false, tbptt: 4 },
  ])('$name, chunks of $tbptt steps: GPU vs reference', async ({ returnSequences, tbptt }) => {
    const c: Case = { name: 'tbptt', B: 10, T: 10, D: 2, H: 8, returnSequences, head: { units: 2, activation: 'linear' }, loss: 'meanSquaredError' };
    const { model, ref } = buildBoth(c);
    const optimizer = { name: 'adam', learningRate: 0.02 } as const;
    model.compile({ optimizer, loss: c.loss });
    ref.compile({ optimizer, loss: c.loss });
    ref.setWeights(await model.getWeightData());
    const { x, y } = makeData(c, 12);
    const args = { epochs: 3, batchSize: 4, seed: 5, tbptt };
    const history = await model.fit(tensor(env.gpu, x, [c.B, c.T, c.D]), y, args);
    const expected = ref.fit(reference.tensor(x, [c.B, c.T, c.D]), y, args);
    // As the curve test: f32 against Float64 over a few Adam steps.
    expectClose(history.history.loss, expected, 0, 1e-3, 'epoch losses');
    // Truncation changes the result: full BPTT gives another curve.
    const full = buildBoth(c).ref;
    full.compile({ optimizer, loss: c.loss });
    full.setWeights(await buildBoth(c).model.getWeightData());
    const fullCurve = full.fit(reference.tensor(x, [c.B, c.T, c.D]), y, { ...args, tbptt: undefined });
    expect(Math.abs(fullCurve[2] - expected[2])).toBeGreaterThan(1e-4);
    model.dispose();
  });

  test('chunks as long as the sequence change nothing', async () => {
    const c: Case = { name: 'tbptt', B: 6, T: 5, D: 2, H: 4, returnSequences: true, head: { units: 1, activation: 'linear' }, loss: 'meanSquaredError' };
    const { x, y } = makeData(c, 3);
    const curve = async (tbptt?: number) => {
      const { model } = buildBoth(c);
      model.compile({ optimizer: 'adam', loss: c.loss });
      const h = await model.fit(tensor(env.gpu, x, [c.B, c.T, c.D]), y, { epochs: 2, batchSize: 3, seed: 1, tbptt });
      model.dispose();
      return h.history.loss;
    };
    expect(await curve(5)).toEqual(await curve(undefined));
  });
});
