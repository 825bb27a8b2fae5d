// Training on the GPU against the CPU reference: the gradients of every weight, through layers
// below a recurrent one, and a layer's gradients with an initial state.
import { describe, expect, test } from 'vitest';
import { layers, reference, sequential, tensor } from '../../src/index.js';
import { expectClose, useGpu } from '../helpers/gpu.js';
import { buildBothOn, type Case, makeData } from '../helpers/trainingCases.js';

const env = useGpu();
const buildBoth = (c: Case) => buildBothOn(env.gpu, c);

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
