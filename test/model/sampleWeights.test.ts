// fit's sampleWeight and classWeight (Keras semantics): each loss row's loss and gradient scaled
// by its weight, the mean over rows, the metrics unweighted. The GPU's weighted loss and
// gradients against the reference model's, per sample and per step; classWeight as the sample
// weights it stands for; and the errors.
import { describe, expect, test } from 'vitest';
import { layers, reference, RnnError, sequential, ShapeError, type LossName } from '../../src/index.js';
import { cpuTensor } from '../../src/reference/tensor.js';
import { useGpu } from '../helpers/gpu.js';
import { expectGradientsLikeTwin, type Factories, modelAndTwin } from '../helpers/twins.js';

const env = useGpu();

// As test/lstm/recurrentTraining.test.ts: f32 sums over B·T rows of O(1) products; the weights
// (≤ 3) scale each row's term exactly once. 1e-6 absolute + 1e-4 relative.
describe('weighted loss and gradients vs the reference', () => {
  test.each([
    { loss: 'meanSquaredError', head: 'linear', units: 2 },
    { loss: 'binaryCrossentropy', head: 'sigmoid', units: 1 },
    { loss: 'sparseCategoricalCrossentropy', head: 'softmax', units: 3 },
    { loss: 'categoricalCrossentropy', head: 'softmax', units: 3 },
  ] as const)('$loss, one weight a sample', async ({ loss, head, units }) => {
    const { gpu } = env;
    const [B, T, D] = [5, 4, 3];
    const build = <L>(f: Factories) => [f.gru({ units: 6, inputShape: [T, D], seed: 1 }), f.dense({ units, activation: head, seed: 2 })] as L[];
    const { model, twin } = await modelAndTwin(gpu, build);
    const random = new reference.Random(3);
    const x = random.uniformArray(B * T * D);
    const y =
      loss === 'sparseCategoricalCrossentropy'
        ? Float32Array.from({ length: B }, () => random.int(units))
        : loss === 'categoricalCrossentropy'
          ? Float32Array.from({ length: B * units }, (_, i) => (i % units === Math.floor(i / units) % units ? 1 : 0))
          : loss === 'binaryCrossentropy'
            ? Float32Array.from({ length: B }, () => random.int(2))
            : random.uniformArray(B * units);
    const sampleWeight = Float32Array.from([0.5, 2, 0, 1, 3]);
    model.compile({ optimizer: 'sgd', loss: loss as LossName });
    twin.compile({ optimizer: 'sgd', loss: loss as LossName });
    const { expected } = await expectGradientsLikeTwin(model, twin, x, [B, T, D], y, { sampleWeight });
    // Unweighted differs: the weights did something.
    const plain = twin.gradients(cpuTensor(x, [B, T, D]), y);
    expect(Math.abs(plain.loss - expected.loss)).toBeGreaterThan(1e-3);
    model.dispose();
  });

  test('a sequence output, one weight a step ([N, steps]) and one a sample', async () => {
    const { gpu } = env;
    const [B, T, D] = [3, 5, 2];
    const build = <L>(f: Factories) => [f.lstm({ units: 4, inputShape: [T, D], returnSequences: true, seed: 1 }), f.dense({ units: 1, seed: 2 })] as L[];
    const { model, twin } = await modelAndTwin(gpu, build);
    const random = new reference.Random(5);
    const x = random.uniformArray(B * T * D);
    const y = random.uniformArray(B * T);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    twin.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    for (const sampleWeight of [random.uniformArray(B * T, 0, 2), Float32Array.from([1, 0.25, 3])]) {
      await expectGradientsLikeTwin(model, twin, x, [B, T, D], y, { sampleWeight }, `${sampleWeight.length} weights`);
    }
    model.dispose();
  });
});

describe('fit and evaluate with weights', () => {
  const data = () => {
    const random = new reference.Random(8);
    return { x: random.uniformArray(6 * 3 * 2), y: Float32Array.from([0, 1, 1, 0, 1, 0]) };
  };
  const model = () => {
    const m = sequential(env.gpu, [layers.simpleRNN({ units: 3, inputShape: [3, 2], seed: 1 }), layers.dense({ units: 1, activation: 'sigmoid', seed: 2 })]);
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    return m;
  };

  test('classWeight trains exactly as the sample weights it stands for; weights of 1 as none', async () => {
    const { x, y } = data();
    const trained = async (args: object) => {
      const m = model();
      const h = await m.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, ...args });
      const weights = await m.getWeightData();
      m.dispose();
      return { weights, loss: h.history.loss };
    };
    const byClass = await trained({ classWeight: { 0: 1, 1: 2.5 } });
    const bySample = await trained({ sampleWeight: Float32Array.from(y, (v) => (v === 1 ? 2.5 : 1)) });
    expect(byClass).toEqual(bySample);
    expect(await trained({ sampleWeight: new Float32Array(6).fill(1) })).toEqual(await trained({}));
    expect((await trained({ classWeight: { 1: 1 } })).weights).toEqual((await trained({})).weights);
  });

  test('classWeight leaves the validationSplit loss unweighted, as Keras; validationData [x, y, sampleWeight] is weighted', async () => {
    const { x, y } = data();
    const m = model();
    const history = await m.fit(x, y, { epochs: 1, batchSize: 3, classWeight: { 1: 5 }, validationSplit: 0.5 });
    const held = await m.evaluate(x.subarray(3 * 3 * 2), y.subarray(3));
    expect(history.history.val_loss[0]).toBeCloseTo(held.loss, 6);
    // Keras's triple: the validation loss weighted as evaluate weighs it (after the epoch's update).
    const sampleWeight = Float32Array.of(2, 0.5, 1, 3, 0, 1);
    const weighted = await m.fit(x, y, { epochs: 1, batchSize: 6, validationData: [x, y, sampleWeight] });
    const expected = await m.evaluate(x, y, { sampleWeight, batchSize: 6 });
    expect(weighted.history.val_loss[0]).toBeCloseTo(expected.loss, 6);
    expect(weighted.history.val_loss[0]).not.toBeCloseTo((await m.evaluate(x, y)).loss, 3);
    await expect(m.fit(x, y, { validationData: [x, y, y, y] as never })).rejects.toThrow(/validationData is \[x, y\] or \[x, y, sampleWeight\]; got 4 items/);
    await expect(m.fit(x, y, { validationData: [x, y, Float32Array.of(1, 2)] })).rejects.toThrow(/fit: validationData\[2\]: sampleWeight has 2 values/);
    m.dispose();
  });

  test('evaluate weighs the loss, not the metrics', async () => {
    const { x, y } = data();
    const m = model();
    const plain = await m.evaluate(x, y);
    const weighted = await m.evaluate(x, y, { sampleWeight: Float32Array.from([2, 2, 2, 2, 2, 2]) });
    expect(weighted.loss).toBeCloseTo(2 * plain.loss, 5);
    expect(weighted.accuracy).toBe(plain.accuracy);
    m.dispose();
  });

  test('bad weights are named before anything runs, and the weights stay', async () => {
    const { x, y } = data();
    const m = model();
    const before = await m.getWeightData();
    await expect(m.fit(x, y, { sampleWeight: [1, 2] })).rejects.toThrow(/fit: sampleWeight has 2 values; the 6 samples need 6 \(one a sample\)/);
    await expect(m.fit(x, y, { sampleWeight: [1, 1, 1, -1, 1, 1] })).rejects.toThrow(ShapeError);
    await expect(m.fit(x, y, { sampleWeight: [1, 1, 1, Number.NaN, 1, 1] })).rejects.toThrow(/the weight at index 3 is NaN/);
    await expect(m.fit(x, y, { classWeight: { 0: 1 }, sampleWeight: [1, 1, 1, 1, 1, 1] })).rejects.toThrow(/give sampleWeight or classWeight, not both/);
    await expect(m.fit(x, y, { classWeight: { a: 1 } as never })).rejects.toThrow(/classWeight key 'a' is not a class index/);
    await expect(m.fit(x, y, { classWeight: [1, 2] as never })).rejects.toThrow(RnnError);
    await expect(m.fit(x, Float32Array.from([0, 0.5, 1, 0, 1, 0]), { classWeight: { 0: 2 } })).rejects.toThrow(/binary target at index 1 is 0.5, not 0 or 1/);
    await expect(m.evaluate(x, y, { sampleWeight: 'heavy' as never })).rejects.toThrow(/evaluate: sampleWeight/);
    expect(await m.getWeightData()).toEqual(before);
    m.dispose();
  });
});
