// With the same weights, our LSTM gives TensorFlow.js layers' outputs (cpu backend, Float32).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, test } from 'vitest';
import { layers, reference, sequential, tensor } from '../../src/index.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Both sides compute in f32, in a different order (TF.js: separate matmuls and pointwise ops;
// ours: fused). Differences are f32 rounding, ~1e-6 per step; 1e-5 absolute is a 10× margin.
const ATOL = 1e-5;
const RTOL = 1e-5;

describe('TensorFlow.js layers equivalence', () => {
  test.each([
    { B: 1, T: 1, D: 1, H: 1, returnSequences: false },
    { B: 3, T: 7, D: 13, H: 37, returnSequences: true },
    { B: 2, T: 20, D: 5, H: 70, returnSequences: false },
  ])('stack of two, B=$B T=$T D=$D H=$H returnSequences=$returnSequences', async ({ B, T, D, H, returnSequences }) => {
    const { gpu } = env;
    // TF.js's orthogonal initializer needs its chained ops, which the core package alone does
    // not register; the initial values do not matter here, ours are replaced by TF.js's.
    const recurrentInitializer = 'glorotUniform';
    const tfModel = tfl.sequential({
      layers: [
        tfl.layers.lstm({ units: H, inputShape: [T, D], returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer }),
        tfl.layers.lstm({ units: H, returnSequences, recurrentActivation: 'sigmoid', recurrentInitializer }),
      ],
    });
    const xs = new reference.Random(B * T).uniformArray(B * T * D);
    const expected = (tfModel.predict(tf.tensor3d(xs, [B, T, D])) as tf.Tensor).dataSync();

    const ours = sequential(gpu, [layers.lstm({ units: H, inputShape: [T, D], returnSequences: true }), layers.lstm({ units: H, returnSequences })]);
    const tfWeights = tfModel.getWeights().map((w) => w.dataSync() as Float32Array);
    ours.setWeights(tfWeights);
    const y = ours.predict(tensor(gpu, xs, [B, T, D]));
    expect(y.shape).toEqual(returnSequences ? [B, T, H] : [B, H]);
    expectClose(await y.data(), expected, ATOL, RTOL, 'ours vs TF.js');
    // getWeights gives back exactly what was set, in the same order and layout.
    const back = await ours.getWeightData();
    back.forEach((w, i) => expect(w).toEqual(tfWeights[i]));
  });
});
