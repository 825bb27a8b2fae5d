// With the same weights, our GRU (resetAfter=false, the only mode TF.js has) and SimpleRNN give
// TensorFlow.js layers' outputs (cpu backend, Float32), and one SGD step of a small model moves
// the weights as TF.js's does.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, test } from 'vitest';
import { layers, sequential, tensor } from '../../src/index.js';
import { Gru } from '../../src/lstm/gru.js';
import { SimpleRnn } from '../../src/lstm/simpleRnn.js';
import { Random } from '../../src/init/random.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// As the LSTM's TF.js test: both sides compute in f32, in a different order (TF.js: separate
// matmuls and pointwise ops; ours: fused). Differences are f32 rounding, ~1e-6 per step;
// 1e-5 absolute is a 10× margin.
const ATOL = 1e-5;
const RTOL = 1e-5;

// TF.js's orthogonal initializer needs its chained ops, which the core package alone does not
// register; the initial values do not matter here, ours are replaced by TF.js's.
const recurrentInitializer = 'glorotUniform';

const families = [
  {
    name: 'GRU (resetAfter=false)',
    tfLayer: (c: { units: number; inputShape?: [number, number]; returnSequences: boolean }) =>
      tfl.layers.gru({ ...c, recurrentActivation: 'sigmoid', recurrentInitializer, resetAfter: false } as Parameters<typeof tfl.layers.gru>[0]),
    ours: (c: { units: number; inputShape?: [number, number]; returnSequences: boolean }) => new Gru({ ...c, resetAfter: false }),
  },
  {
    name: 'SimpleRNN',
    tfLayer: (c: { units: number; inputShape?: [number, number]; returnSequences: boolean }) => tfl.layers.simpleRNN({ ...c, recurrentInitializer }),
    ours: (c: { units: number; inputShape?: [number, number]; returnSequences: boolean }) => new SimpleRnn(c),
  },
];

describe.each(families)('TensorFlow.js layers equivalence: $name', (family) => {
  test.each([
    { B: 1, T: 1, D: 1, H: 1, returnSequences: false },
    { B: 3, T: 7, D: 13, H: 37, returnSequences: true },
    { B: 2, T: 20, D: 5, H: 70, returnSequences: false },
  ])('stack of two, B=$B T=$T D=$D H=$H returnSequences=$returnSequences', async ({ B, T, D, H, returnSequences }) => {
    const { gpu } = env;
    const tfModel = tfl.sequential({
      layers: [family.tfLayer({ units: H, inputShape: [T, D], returnSequences: true }), family.tfLayer({ units: H, returnSequences })],
    });
    const xs = new Random(B * T).uniformArray(B * T * D);
    const expected = (tfModel.predict(tf.tensor3d(xs, [B, T, D])) as tf.Tensor).dataSync();

    const ours = sequential(gpu, [family.ours({ units: H, inputShape: [T, D], returnSequences: true }), family.ours({ units: H, returnSequences })]);
    const tfWeights = tfModel.getWeights().map((w) => w.dataSync() as Float32Array);
    ours.setWeights(tfWeights);
    const y = ours.predict(tensor(gpu, xs, [B, T, D]));
    expect(y.shape).toEqual(returnSequences ? [B, T, H] : [B, H]);
    expectClose(await y.data(), expected, ATOL, RTOL, 'ours vs TF.js');
    // getWeights gives back exactly what was set, in the same order and layout.
    const back = await ours.getWeightData();
    back.forEach((w, i) => expect(w).toEqual(tfWeights[i]));
    // The same shapes as TF.js's weights.
    expect(ours.layers.flatMap((l) => l.weightTensors.map((w) => w.shape))).toEqual(tfModel.getWeights().map((w) => w.shape));
    ours.dispose();
    tfModel.dispose();
  });

  test('one SGD step equals TensorFlow.js layers', async () => {
    const [B, T, D, H] = [4, 5, 3, 6];
    const tfModel = tfl.sequential({ layers: [family.tfLayer({ units: H, inputShape: [T, D], returnSequences: false }), tfl.layers.dense({ units: 2 })] });
    tfModel.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const model = sequential(env.gpu, [family.ours({ units: H, inputShape: [T, D], returnSequences: false }), layers.dense({ units: 2 })]);
    model.compile({ optimizer: { name: 'sgd', learningRate: 0.1 }, loss: 'meanSquaredError' });
    model.setWeights(tfModel.getWeights().map((w) => w.dataSync() as Float32Array));
    const random = new Random(3);
    const x = random.uniformArray(B * T * D);
    const y = random.uniformArray(B * 2);
    const tfLoss = (await tfModel.trainOnBatch(tf.tensor3d(x, [B, T, D]), tf.tensor2d(y, [B, 2]))) as number;
    const [loss] = await model.trainOnBatch(tensor(env.gpu, x, [B, T, D]), y);
    // As the LSTM's: both in f32; only the order of operations differs, ~1e-6 per value.
    expect(Math.abs(loss - tfLoss)).toBeLessThan(1e-5);
    const ours = await model.getWeightData();
    tfModel.getWeights().forEach((w, i) => expectClose(ours[i], w.dataSync(), 1e-5, 1e-5, `weight ${i} after the step`));
    model.dispose();
    tfModel.dispose();
  });
});
