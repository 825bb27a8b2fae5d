// The activations added to Keras's set (elu, selu, softplus, softsign) in every recurrent cell,
// as `activation` and `recurrentActivation`, and in Dense and Conv1D (with gelu and swish, whose
// derivative needs the pre-activation, which every cell keeps for them): loss and gradients of a
// GPU model against the reference model, through the forward and backward step kernels.
import { describe, expect, test } from 'vitest';
import { layers, reference, ShapeError } from '../../src/index.js';
import { useGpu } from '../helpers/gpu.js';
import { expectGradientsLikeTwin, type Factories, modelAndTwin } from '../helpers/twins.js';

const env = useGpu();

const CELLS = [
  ['LSTM', (f: Factories, c: object) => f.lstm(c as never)],
  ['GRU', (f: Factories, c: object) => f.gru(c as never)],
  ['GRU resetAfter=false', (f: Factories, c: object) => f.gru({ ...(c as Record<string, unknown>), resetAfter: false } as never)],
  ['SimpleRNN', (f: Factories, c: object) => f.simpleRNN(c as never)],
] as const;

const CASES = [
  { activation: 'elu', recurrentActivation: 'softsign', head: 'selu', B: 1, T: 1, D: 1, H: 1 },
  { activation: 'selu', recurrentActivation: 'softplus', head: 'softsign', B: 3, T: 4, D: 5, H: 37 },
  { activation: 'softsign', recurrentActivation: 'sigmoid', head: 'elu', B: 2, T: 3, D: 2, H: 9 },
  { activation: 'softplus', recurrentActivation: 'hardSigmoid', head: 'softplus', B: 4, T: 2, D: 3, H: 5 },
  // gelu and swish: LSTM and GRU keep such a gate's pre-activation in place of its output
  // (kept_activation), SimpleRNN its pre-activations over the projection (KEEP_PRE).
  { activation: 'gelu', recurrentActivation: 'sigmoid', head: 'gelu', B: 1, T: 1, D: 1, H: 1 },
  { activation: 'swish', recurrentActivation: 'gelu', head: 'swish', B: 3, T: 4, D: 5, H: 37 },
  { activation: 'tanh', recurrentActivation: 'swish', head: 'linear', B: 2, T: 3, D: 2, H: 9 },
] as const;

describe.each(CELLS)('%s with the added activations: gradients vs the reference', (name, cell) => {
  // As test/lstm/recurrentTraining.test.ts: sums over B·T rows of f32 products of O(1) values;
  // the added activations are ≤ 1.76-Lipschitz (selu's scale·α on the negative side, gelu and
  // swish ≤ 1.13, the others ≤ 1) like tanh's 1, so the same 1e-6 absolute + 1e-4 relative holds, while a wrong derivative
  // errs by the size of the gradient.
  test.each(CASES)('activation $activation, recurrentActivation $recurrentActivation, head $head (B=$B T=$T D=$D H=$H)', async (c) => {
    const { gpu } = env;
    const build = <L>(f: Factories) =>
      [
        cell(f, {
          units: c.H,
          inputShape: [c.T, c.D],
          activation: c.activation,
          ...(name === 'SimpleRNN' ? {} : { recurrentActivation: c.recurrentActivation }),
          seed: 1,
        }),
        f.dense({ units: 2, activation: c.head, seed: 2 }),
      ] as L[];
    const { model, twin } = await modelAndTwin(gpu, build);
    const random = new reference.Random(c.B * 10 + c.H);
    const x = random.uniformArray(c.B * c.T * c.D, -2, 2);
    const y = random.uniformArray(c.B * 2);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    twin.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expectGradientsLikeTwin(model, twin, x, [c.B, c.T, c.D], y, {});
    model.dispose();
  });
});

describe('Conv1D and the Activation layer with the added activations', () => {
  test.each(['elu', 'selu', 'softplus', 'softsign', 'gelu', 'swish'] as const)('%s', async (activation) => {
    const { gpu } = env;
    const build = <L>(f: Factories) =>
      [
        f.conv1d({ filters: 3, kernelSize: 2, inputShape: [5, 2], activation, seed: 1 }),
        f.activation({ activation }),
        f.flatten(),
        f.dense({ units: 1, seed: 2 }),
      ] as L[];
    const { model, twin } = await modelAndTwin(gpu, build);
    const random = new reference.Random(3);
    const x = random.uniformArray(2 * 5 * 2, -2, 2);
    const y = random.uniformArray(2);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    twin.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expectGradientsLikeTwin(model, twin, x, [2, 5, 2], y, {});
    model.dispose();
  });
});

describe('gelu and swish beyond the cells (cases above): a hidden Dense, and the silu spelling', () => {
  test.each(['gelu', 'swish'] as const)('Dense %s after an LSTM: gradients vs the reference', async (activation) => {
    const { gpu } = env;
    const build = <L>(f: Factories) =>
      [f.lstm({ units: 6, inputShape: [3, 2], seed: 1 }), f.dense({ units: 3, activation, seed: 2 }), f.dense({ units: 1, seed: 3 })] as L[];
    const { model, twin } = await modelAndTwin(gpu, build);
    const random = new reference.Random(11);
    const x = random.uniformArray(4 * 3 * 2, -2, 2);
    const y = random.uniformArray(4);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    twin.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expectGradientsLikeTwin(model, twin, x, [4, 3, 2], y, {});
    model.dispose();
  });

  test('silu is swish in every cell; an activation no kernel has is refused', () => {
    for (const make of [layers.lstm, layers.gru, layers.simpleRNN]) expect(make({ units: 2, activation: 'silu' as never }).config.activation).toBe('swish');
    expect(() => layers.simpleRNN({ units: 2, activation: 'mish' as never })).toThrow(ShapeError);
  });
});
