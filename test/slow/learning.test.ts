// It learns the seeds' examples on the GPU: the Keras many-to-one regression [1…5] → 6, and a
// sine wave with window 49 and horizon 1. Thresholds are held-out losses against baselines.
import { describe, expect, test } from 'vitest';
import { layers, sequential, tensor } from '../../src/index.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();

describe('learning', () => {
  test('many-to-one: [1, 2, 3, 4, 5] → 6', async () => {
    // Windows of 5 consecutive numbers → the next, scaled by 1/100; LSTM(50, relu) → Dense(1) as
    // the Keras example.
    const n = 90;
    const window = (i: number) => Array.from({ length: 5 }, (_, k) => (i + 1 + k) / 100);
    const train = Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 !== 2);
    const held = Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 === 2);
    const xOf = (ids: number[]) => tensor(env.gpu, Float32Array.from(ids.flatMap(window)), [ids.length, 5, 1]);
    const yOf = (ids: number[]) => Float32Array.from(ids, (i) => (i + 6) / 100);
    const model = sequential(env.gpu, [layers.lstm({ units: 50, activation: 'relu', inputShape: [5, 1], seed: 1 }), layers.dense({ units: 1, seed: 2 })]);
    model.compile({ optimizer: { name: 'adam', learningRate: 0.01 }, loss: 'meanSquaredError' });
    const history = await model.fit(xOf(train), yOf(train), { epochs: 150, batchSize: 32, validationData: [xOf(held), yOf(held)], seed: 3 });
    const valLoss = history.history.val_loss.at(-1)!;
    // Held-out windows (every fifth): an error of half a unit is 0.005 scaled, 2.5e-5
    // squared; predicting the mean would cost ~0.07.
    expect(valLoss).toBeLessThan(2.5e-5);
    const [six] = await model
      .predict(
        tensor(
          env.gpu,
          [1, 2, 3, 4, 5].map((v) => v / 100),
          [1, 5, 1],
        ),
      )
      .data();
    expect(Math.abs(six * 100 - 6)).toBeLessThan(0.5);
    model.dispose();
  });

  test('sine wave, window 49, horizon 1', async () => {
    const window = 49;
    const series = Float32Array.from({ length: 640 }, (_, t) => Math.sin(0.1 * t));
    const count = series.length - window;
    const x = new Float32Array(count * window);
    const y = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      x.set(series.subarray(i, i + window), i * window);
      y[i] = series[i + window];
    }
    const model = sequential(env.gpu, [layers.lstm({ units: 16, inputShape: [window, 1], seed: 1 }), layers.dense({ units: 1, seed: 2 })]);
    model.compile({ optimizer: { name: 'adam', learningRate: 0.01 }, loss: 'meanSquaredError' });
    const history = await model.fit(tensor(env.gpu, x, [count, window, 1]), y, { epochs: 12, batchSize: 32, validationSplit: 0.15, seed: 4 });
    // Persistence (tomorrow = today) costs E[(sin(u + 0.1) − sin u)²] ≈ 0.005 here; the mean
    // costs 0.5. Held out: the last 15% of windows; 1e-4 is 50× better than persistence.
    const valLoss = history.history.val_loss.at(-1)!;
    console.log(`sine: val_loss ${valLoss.toExponential(2)} (persistence ≈ 5e-3)`);
    expect(valLoss).toBeLessThan(1e-4);
    model.dispose();
  });
});
