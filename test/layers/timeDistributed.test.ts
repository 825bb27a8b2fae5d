// TimeDistributed over each layer of [batch, features] inputs (Dense, Activation, Dropout, and
// a TimeDistributed of one): the model's loss and gradients against the Float64 twin built with
// the wrapped layers themselves (applied at every step, they are the same function), and a
// save / load round trip that keeps the wrappers and their outputs.
import { describe, expect, test } from 'vitest';
import { layers, loadModel, reference, sequential, tensor } from '../../src/index.js';
import type { ReferenceLayer } from '../../src/reference/index.js';
import { cpuTensor } from '../../src/reference/tensor.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();
const [B, T, D] = [3, 4, 5];

/** GPU: LSTM → TD(Dense tanh) → TD(Dropout 0) → TD(TD(Activation softplus)) → TD(Dense); the twin without the wrappers. */
function build() {
  const model = sequential(env.gpu, [
    layers.lstm({ units: 6, returnSequences: true, inputShape: [T, D], seed: 1 }),
    layers.timeDistributed({ layer: layers.dense({ units: 4, activation: 'tanh', seed: 2 }) }),
    layers.timeDistributed({ layer: layers.dropout({ rate: 0 }) }),
    layers.timeDistributed({ layer: layers.timeDistributed({ layer: layers.activation({ activation: 'softplus' }) }) }),
    layers.timeDistributed({ layer: layers.dense({ units: 2, seed: 3 }) }),
  ]);
  const twin = reference.sequential([
    reference.layers.lstm({ units: 6, returnSequences: true, inputShape: [T, D] }),
    reference.layers.dense({ units: 4, activation: 'tanh' }),
    reference.layers.dropout({ rate: 0 }),
    reference.layers.activation({ activation: 'softplus' }),
    reference.layers.dense({ units: 2 }),
  ] as ReferenceLayer[]);
  return { model, twin };
}

describe('timeDistributed', () => {
  test('over Dense, Dropout, Activation and itself: loss and gradients like the twin', async () => {
    const { model, twin } = build();
    twin.setWeights(await model.getWeightData());
    const random = new reference.Random(4);
    const x = random.uniformArray(B * T * D);
    const y = random.uniformArray(B * T * 2);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    twin.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const ours = await model.gradients(tensor(env.gpu, x, [B, T, D]), y);
    const expected = twin.gradients(cpuTensor(x, [B, T, D]), y);
    // As test/helpers/twins.ts states: f32 sums over B·T rows of O(1) terms, 1e-6 + 1e-4 relative.
    expect(Math.abs(ours.loss - expected.loss)).toBeLessThan(1e-5 + 1e-5 * expected.loss);
    expected.grads.forEach((g, i) => expectClose(ours.grads[i], g, 1e-6, 1e-4, `gradient of weight ${i}`));
    model.dispose();
  });

  test('saves and loads: the same wrappers, the same outputs bit for bit', async () => {
    const { model } = build();
    const x = tensor(env.gpu, new reference.Random(6).uniformArray(B * T * D), [B, T, D]);
    const before = await model.predict(x).data();
    const loaded = await loadModel(env.gpu, await model.save());
    expect(loaded.layers.map((l) => l.constructor.name)).toEqual(model.layers.map((l) => l.constructor.name));
    expect(await loaded.predict(x).data()).toEqual(before);
    for (const m of [model, loaded]) m.dispose();
    x.dispose();
  });
});
