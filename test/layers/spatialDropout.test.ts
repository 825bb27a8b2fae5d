// SpatialDropout1D: whole channels dropped, one mask [B, F] for every step. The twin's mask is
// checked for that shape; the GPU layer's training forward and backward against the twin through
// a model's gradients (the same hash, the same step counter: the same mask bit for bit).
import { describe, expect, test } from 'vitest';
import { layers, loadModel, reference, SpatialDropout1d, sequential, tensor } from '../../src/index.js';
import { ReferenceSpatialDropout1d } from '../../src/reference/dropout.js';
import { cpuTensor } from '../../src/reference/tensor.js';
import { expectClose, useGpu } from '../helpers/gpu.js';
import { modelAndTwin } from '../helpers/twins.js';

const env = useGpu();

describe('spatialDropout1d', () => {
  test('the twin drops whole channels: one mask for every step, about rate of them', () => {
    const [B, T, F] = [4, 7, 50];
    const layer = new ReferenceSpatialDropout1d({ rate: 0.4, seed: 3 });
    const { y } = layer.forwardTrain(cpuTensor(new Float64Array(B * T * F).fill(1), [B, T, F]));
    let dropped = 0;
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) {
        const column = Array.from({ length: T }, (_, t) => y.data[(b * T + t) * F + f]);
        expect(new Set(column).size, `channel ${f} of sample ${b}`).toBe(1);
        if (column[0] === 0) dropped++;
        else expect(column[0]).toBeCloseTo(1 / 0.6, 12);
      }
    }
    // 200 channels at rate 0.4: 80 expected, σ ≈ 7.
    expect(dropped).toBeGreaterThan(50);
    expect(dropped).toBeLessThan(110);
  });

  test('in a model: training gradients like the twin; the identity in predict; saved and loaded', async () => {
    const { gpu } = env;
    const [B, T, V] = [3, 5, 8];
    const build = (f: typeof layers | typeof reference.layers) => [
      f.embedding({ inputDim: V, outputDim: 6, inputShape: [T], seed: 1 }),
      f.spatialDropout1d({ rate: 0.5, seed: 9 }),
      f.lstm({ units: 4, seed: 2 }),
      f.dense({ units: 2, seed: 3 }),
    ];
    const { model, twin } = await modelAndTwin(gpu, build as never);
    const random = new reference.Random(4);
    const x = Float32Array.from({ length: B * T }, () => random.int(V));
    const y = random.uniformArray(B * 2);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    twin.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const ours = await model.gradients(tensor(gpu, x, [B, T]), y);
    const expected = twin.gradients(cpuTensor(x, [B, T]), y);
    // As test/helpers/twins.ts states: 1e-6 + 1e-4 relative; the masks are equal bit for bit.
    expected.grads.forEach((g, i) => expectClose(ours.grads[i], g, 1e-6, 1e-4, `gradient of weight ${i}`));
    // Without the layer the gradients differ: it dropped something.
    const plain = reference.sequential(build(reference.layers).filter((_, i) => i !== 1) as never);
    plain.setWeights(twin.getWeights());
    plain.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    expect(Math.abs(plain.gradients(cpuTensor(x, [B, T]), y).loss - expected.loss)).toBeGreaterThan(1e-4);
    const before = await model.predict(x, [B, T]).data();
    const loaded = await loadModel(gpu, await model.save());
    expect(loaded.layers[1]).toBeInstanceOf(SpatialDropout1d);
    expect(await loaded.predict(x, [B, T]).data()).toEqual(before);
    expect(() => sequential(gpu, [layers.spatialDropout1d({ rate: 0.1, inputShape: [4] })])).toThrow(/SpatialDropout1D\) takes \[batch, steps, channels\]/);
    for (const m of [model, loaded]) m.dispose();
  });
});
