// fit's loss and metrics on a masked sequence output (Keras 3): an Embedding with maskZero
// over padded sequences, the loss and accuracy over the unmasked steps only, and the
// gradients of the whole model against the Float64 twin, which carries the mask the same way.
import { describe, expect, test } from 'vitest';
import { reference, tensor } from '../../src/index.js';
import { useGpu } from '../helpers/gpu.js';
import { expectGradientsLikeTwin, type Factories, modelAndTwin } from '../helpers/twins.js';

const env = useGpu();
const V = 7;

/** Post-padded id sequences [B, T] (0 = padding) of lengths 1 … T, with targets at every step. */
function padded(B: number, T: number, seed: number): { x: Float32Array; y: Float32Array; lengths: number[] } {
  const random = new reference.Random(seed);
  const x = new Float32Array(B * T);
  const y = new Float32Array(B * T);
  const lengths = Array.from({ length: B }, (_, b) => (b === 0 ? T : 1 + random.int(T)));
  lengths.forEach((length, b) => {
    for (let t = 0; t < T; t++) {
      x[b * T + t] = t < length ? 1 + random.int(V - 1) : 0;
      y[b * T + t] = random.int(V);
    }
  });
  return { x, y, lengths };
}

// Gradients: as test/helpers/twins.ts states (f32 sums over B·T rows, 1e-6 + 1e-4 relative);
// the mask's scale rows/Σm adds one rounding to each row's weight.
describe('mask-aware loss', () => {
  const builds: [string, (f: Factories) => unknown[]][] = [
    [
      'Embedding(maskZero) → LSTM → Dense softmax',
      (f) => [
        f.embedding({ inputDim: V, outputDim: 3, maskZero: true, inputShape: [null], seed: 1 }),
        f.lstm({ units: 4, returnSequences: true, seed: 2 }),
        f.dense({ units: V, activation: 'softmax', seed: 3 }),
      ],
    ],
    [
      'Embedding(maskZero) → GRU → Dropout(0) → Dense softmax',
      (f) => [
        f.embedding({ inputDim: V, outputDim: 3, maskZero: true, inputShape: [null], seed: 4 }),
        f.gru({ units: 5, returnSequences: true, seed: 5 }),
        f.dropout({ rate: 0 }),
        f.dense({ units: V, activation: 'softmax', seed: 6 }),
      ],
    ],
  ];
  test.each(builds)('%s: gradients like the twin, with and without sample weights', async (_, build) => {
    const { gpu } = env;
    const { model, twin } = await modelAndTwin(gpu, build);
    const [B, T] = [5, 6];
    const { x, y } = padded(B, T, 9);
    for (const m of [model, twin]) m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await expectGradientsLikeTwin(model, twin, x, [B, T], y);
    await expectGradientsLikeTwin(model, twin, x, [B, T], y, { sampleWeight: Float32Array.from([1, 0.5, 2, 1, 3]) }, 'sample weights');
    model.dispose();
  });

  test('evaluate: the mean loss and accuracy over the unmasked steps, as Keras 3', async () => {
    const { gpu } = env;
    const { model } = await modelAndTwin(gpu, builds[0][1]);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const [B, T] = [4, 5];
    const { x, y, lengths } = padded(B, T, 3);
    const out = model.predict(x, [B, T]);
    const p = await out.data();
    out.dispose();
    let loss = 0;
    let hits = 0;
    let valid = 0;
    lengths.forEach((length, b) => {
      for (let t = 0; t < length; t++) {
        const row = p.subarray((b * T + t) * V, (b * T + t + 1) * V);
        loss -= Math.log(row[y[b * T + t]]);
        hits += row.indexOf(Math.max(...row)) === y[b * T + t] ? 1 : 0;
        valid++;
      }
    });
    const logs = await model.evaluate(tensor(gpu, x, [B, T]), tensor(gpu, y, [B, T]));
    // f32 sums of ≤ 20 terms of O(1): 1e-5 relative.
    expect(Math.abs(logs.loss - loss / valid)).toBeLessThan(1e-5 * (loss / valid));
    expect(logs.accuracy).toBeCloseTo(hits / valid, 6);
    model.dispose();
  });
});
