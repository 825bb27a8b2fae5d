// Training on the GPU against the CPU reference: gradients of every weight, loss curves,
// TF.js's SGD step, the buffers of a steady-state step, and bad input to fit.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, test } from 'vitest';
import { layers, reference, sequential, ShapeError, tensor, TrainingError, type LossName } from '../../src/index.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Head = { units: number; activation: 'linear' | 'sigmoid' | 'softmax' | 'tanh' | 'relu' };
interface Case {
  name: string;
  B: number;
  T: number;
  D: number;
  H: number;
  returnSequences: boolean;
  stack?: boolean;
  head: Head;
  loss: LossName;
}

const cases: Case[] = [
  { name: 'one of everything', B: 1, T: 1, D: 1, H: 1, returnSequences: false, head: { units: 1, activation: 'linear' }, loss: 'meanSquaredError' },
  {
    name: 'softmax head, categorical CE',
    B: 4,
    T: 6,
    D: 13,
    H: 37,
    returnSequences: false,
    head: { units: 3, activation: 'softmax' },
    loss: 'categoricalCrossentropy',
  },
  {
    name: 'per-step sigmoid head, binary CE',
    B: 3,
    T: 5,
    D: 4,
    H: 9,
    returnSequences: true,
    head: { units: 2, activation: 'sigmoid' },
    loss: 'binaryCrossentropy',
  },
  {
    name: 'stack of two, batch 5',
    B: 5,
    T: 4,
    D: 3,
    H: 65,
    returnSequences: false,
    stack: true,
    head: { units: 1, activation: 'tanh' },
    loss: 'meanAbsoluteError',
  },
  {
    name: 'sparse labels, softmax',
    B: 6,
    T: 3,
    D: 5,
    H: 20,
    returnSequences: false,
    head: { units: 4, activation: 'softmax' },
    loss: 'sparseCategoricalCrossentropy',
  },
];

function makeData(c: Case, seed: number) {
  const random = new reference.Random(seed);
  const x = random.uniformArray(c.B * c.T * c.D);
  const rows = c.returnSequences ? c.B * c.T : c.B;
  const K = c.head.units;
  let y: Float32Array;
  if (c.loss === 'sparseCategoricalCrossentropy') y = Float32Array.from({ length: rows }, () => random.int(K));
  else if (c.loss === 'categoricalCrossentropy') {
    y = new Float32Array(rows * K);
    for (let r = 0; r < rows; r++) y[r * K + random.int(K)] = 1;
  } else if (c.loss === 'binaryCrossentropy') y = Float32Array.from({ length: rows * K }, () => random.int(2));
  else y = random.uniformArray(rows * K, -0.8, 0.8);
  return { x, y };
}

function buildBoth(c: Case) {
  const recurrent = (i: number, last: boolean) => ({
    units: c.H,
    returnSequences: last ? c.returnSequences : true,
    seed: 1 + i,
    ...(i === 0 ? { inputShape: [c.T, c.D] as [number, number] } : {}),
  });
  const configs = c.stack ? [recurrent(0, false), recurrent(1, true)] : [recurrent(0, true)];
  const model = sequential(env.gpu, [...configs.map((cfg) => layers.lstm(cfg)), layers.dense({ ...c.head, seed: 9 })]);
  const ref = reference.sequential([...configs.map((cfg) => reference.layers.lstm(cfg)), reference.layers.dense({ ...c.head })]);
  return { model, ref };
}

describe('gradients: GPU vs reference', () => {
  // Each gradient is a sum over B·T rows of f32 products of O(1) values: f32 rounding gives
  // relative errors ~1e-7·√(BT); the loss gradients feeding them are themselves f32.
  // Measured on SwiftShader: ≤ 5e-8 absolute. 1e-6 absolute plus 1e-4 relative is a 20×
  // margin, while a wrong term or index gives errors of the size of the gradient itself.
  test.each(cases)('$name (B=$B T=$T D=$D H=$H)', async (c) => {
    const { model, ref } = buildBoth(c);
    model.compile({ optimizer: 'sgd', loss: c.loss });
    ref.compile({ optimizer: 'sgd', loss: c.loss });
    ref.setWeights(await model.getWeightData());
    const { x, y } = makeData(c, c.B * 100 + c.T);
    const gpu = await model.gradients(tensor(env.gpu, x, [c.B, c.T, c.D]), y);
    const expected = ref.gradients(reference.tensor(x, [c.B, c.T, c.D]), y);
    expect(Math.abs(gpu.loss - expected.loss)).toBeLessThan(1e-5 + 1e-5 * Math.abs(expected.loss));
    let worst = 0;
    expected.grads.forEach((g, i) => {
      for (let k = 0; k < g.length; k++) worst = Math.max(worst, Math.abs(gpu.grads[i][k] - g[k]));
      expectClose(gpu.grads[i], g, 1e-6, 1e-4, `gradient of weight ${i}`);
    });
    console.log(`${c.name}: max |gradient error| ${worst.toExponential(2)}`);
    model.dispose();
  });
});

describe('gradients through layers below a recurrent layer', () => {
  test.each(['lstm', 'gru', 'simpleRNN'] as const)('dense → %s → dense: the input gradient reaches the first Dense in its own layout', async (kind) => {
    const [B, T, D, H] = [3, 4, 5, 6];
    const model = sequential(env.gpu, [
      layers.dense({ units: 7, activation: 'tanh', inputShape: [T, D], seed: 1 }),
      layers[kind]({ units: H, seed: 2 }),
      layers.dense({ units: 1, seed: 3 }),
    ]);
    const ref = reference.sequential([
      reference.layers.dense({ units: 7, activation: 'tanh', inputShape: [T, D] }),
      reference.layers[kind]({ units: H }),
      reference.layers.dense({ units: 1 }),
    ]);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    ref.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    ref.setWeights(await model.getWeightData());
    const random = new reference.Random(4);
    const x = random.uniformArray(B * T * D);
    const y = random.uniformArray(B);
    const gpu = await model.gradients(tensor(env.gpu, x, [B, T, D]), y);
    const expected = ref.gradients(reference.tensor(x, [B, T, D]), y);
    // As the gradient cases above.
    expected.grads.forEach((g, i) => expectClose(gpu.grads[i], g, 1e-6, 1e-4, `gradient of weight ${i}`));
    model.dispose();
  });
});

describe('layer gradients with an initial state', () => {
  test.each([false, true])('returnSequences %s', async (returnSequences) => {
    const [B, T, D, H] = [3, 4, 5, 37];
    const random = new reference.Random(21);
    const x = random.uniformArray(B * T * D);
    const h0 = random.uniformArray(B * H);
    const c0 = random.uniformArray(B * H);
    const dOut = random.uniformArray(returnSequences ? B * T * H : B * H);
    const layer = layers.lstm({ units: H, returnSequences, seed: 2 });
    const g = await layer.gradients(tensor(env.gpu, x, [B, T, D]), tensor(env.gpu, dOut, returnSequences ? [B, T, H] : [B, H]), {
      initialState: [tensor(env.gpu, h0, [B, H]), tensor(env.gpu, c0, [B, H])],
    });
    const [kernel, recurrentKernel, bias] = await layer.getWeightData();
    const options = { activation: 'tanh', recurrentActivation: 'sigmoid' } as const;
    const dims = { B, T, D, H };
    const weights = { kernel, recurrentKernel, bias };
    const cache = reference.lstmForwardTrain(x, dims, weights, { ...options, initialState: { h: h0, c: c0 } });
    const expected = reference.lstmBackward(x, dims, weights, options, cache, returnSequences ? { sequence: dOut } : { last: dOut });
    // As the model gradients: f32 sums over B·T rows, measured ≤ 1e-7.
    [expected.dKernel, expected.dRecurrentKernel, expected.dBias].forEach((e, i) => expectClose(g.weights[i], e, 1e-6, 1e-4, `weight ${i}`));
    expectClose(g.x, expected.dX, 1e-6, 1e-4, 'dX');
    expectClose(g.initialState[0], expected.dh0, 1e-6, 1e-4, 'dh0');
    expectClose(g.initialState[1], expected.dc0, 1e-6, 1e-4, 'dc0');
  });
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
    model.compile({ optimizer: 'adam', loss: c.loss, metrics: ['accuracy'] });
    const { x, y } = makeData(c, 1);
    const xt = tensor(env.gpu, x, [c.B, c.T, c.D]);
    await model.trainOnBatch(xt, y);
    await model.trainOnBatch(xt, y);
    const buffers = env.gpu.pool.created;
    const pipelines = env.gpu.pipelineCount;
    for (let i = 0; i < 3; i++) await model.trainOnBatch(xt, y);
    expect(env.gpu.pool.created - buffers).toBe(0);
    expect(env.gpu.pipelineCount - pipelines).toBe(0);
    model.dispose();
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
