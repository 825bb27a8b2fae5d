// compile({ fromLogits: true }) (Keras's from_logits=True): the cross-entropies take the
// sigmoid / softmax of the model's outputs themselves. Loss, metrics and gradients against the
// reference model; the same as the model with that activation as its head; errors.
import { describe, expect, test } from 'vitest';
import { layers, type LossName, reference, RnnError, sequential, tensor } from '../../src/index.js';
import { expectClose, useGpu } from '../helpers/gpu.js';
import { expectGradientsLikeTwin, type Factories, modelAndTwin } from '../helpers/twins.js';

const env = useGpu();

describe('fromLogits', () => {
  // As test/lstm/recurrentTraining.test.ts: f32 sums over B rows of O(1) products; 1e-6 + 1e-4·|g|.
  test.each([
    { loss: 'binaryCrossentropy', units: 1, head: 'sigmoid' },
    { loss: 'categoricalCrossentropy', units: 4, head: 'softmax' },
    { loss: 'sparseCategoricalCrossentropy', units: 4, head: 'softmax' },
  ] as const)('$loss: loss, accuracy and gradients vs the reference, and as a $head head', async ({ loss, units, head }) => {
    const { gpu } = env;
    const [B, T, D] = [6, 3, 2];
    const build = <L>(f: Factories, activation: 'linear' | 'sigmoid' | 'softmax') =>
      [f.lstm({ units: 5, inputShape: [T, D], seed: 1 }), f.dense({ units, activation, seed: 2 })] as L[];
    const { model: logits, twin } = await modelAndTwin(gpu, (f) => build(f, 'linear'));
    const random = new reference.Random(4);
    const x = random.uniformArray(B * T * D, -2, 2);
    const labels = Array.from({ length: B }, () => random.int(units === 1 ? 2 : units));
    const y =
      loss === 'categoricalCrossentropy'
        ? Float32Array.from({ length: B * units }, (_, i) => (labels[Math.floor(i / units)] === i % units ? 1 : 0))
        : Float32Array.from(labels);
    logits.compile({ optimizer: 'sgd', loss: loss as LossName, fromLogits: true, metrics: ['accuracy'] });
    twin.compile({ optimizer: 'sgd', loss: loss as LossName, fromLogits: true, metrics: ['accuracy'] });
    const { ours } = await expectGradientsLikeTwin(logits, twin, x, [B, T, D], y);
    // The same weights with the activation in the head and no fromLogits: the same loss, gradients and accuracy.
    const headed = sequential(gpu, build(layers, head));
    headed.setWeights(await logits.getWeightData());
    headed.compile({ optimizer: 'sgd', loss: loss as LossName, metrics: ['accuracy'] });
    const viaHead = await headed.gradients(tensor(gpu, x, [B, T, D]), y);
    expect(Math.abs(viaHead.loss - ours.loss)).toBeLessThan(1e-5 + 1e-5 * ours.loss);
    viaHead.grads.forEach((g, i) => expectClose(ours.grads[i], g, 1e-6, 1e-4, `as a ${head} head: gradient of weight ${i}`));
    const [a, b] = [await logits.evaluate(x, y), await headed.evaluate(x, y)];
    expect(a.accuracy).toBe(b.accuracy);
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5 + 1e-5 * b.loss);
    for (const m of [logits, headed]) m.dispose();
  });

  test('only for the cross-entropies, and a boolean', () => {
    const m = sequential(env.gpu, [layers.dense({ units: 1, inputShape: [2] })]);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'meanSquaredError', fromLogits: true })).toThrow(/fromLogits is for the cross-entropies/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', fromLogits: 'yes' as never })).toThrow(RnnError);
    expect(m.compiled).toBe(false);
    m.dispose();
  });
});
