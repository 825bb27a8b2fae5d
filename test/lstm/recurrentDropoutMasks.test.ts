// Dropout's masks: one per sequence, dropping the given rate, the same inputs zeroed at every step
// on the GPU; and the options: rates outside [0, 1) refused, kept through save and load.
import { describe, expect, test } from 'vitest';
import { layers, loadModel, sequential, ShapeError, tensor, type Tensor } from '../../src/index.js';
import { flowOf, materialize } from '../../src/layers/layer.js';
import type { Lstm } from '../../src/lstm/lstm.js';
import type { RecurrentLayer } from '../../src/lstm/recurrent.js';
import { ReferenceRecurrentDropout, sequenceDropoutScales } from '../../src/reference/dropout.js';
import { useGpu } from '../helpers/gpu.js';
import { gpuLayer, KINDS } from './recurrentDropoutFixtures.js';

const env = useGpu();

describe('the masks', () => {
  test('one mask [B, F] for every step, dropping the given fraction, scaled by 1/(1 − rate)', () => {
    const B = 64;
    const F = 100;
    const rate = 0.3;
    const scales = sequenceDropoutScales(42, 7, B, F, rate);
    const dropped = scales.filter((s) => s === 0).length / scales.length;
    // 6400 Bernoulli(0.3) draws: standard deviation 0.0057; 5 of them.
    expect(Math.abs(dropped - rate)).toBeLessThan(0.029);
    expect(scales.every((s) => s === 0 || Math.abs(s - 1 / (1 - rate)) < 1e-15)).toBe(true);
    // Another step, another mask; another seed stream for the recurrent mask.
    expect(sequenceDropoutScales(42, 8, B, F, rate)).not.toEqual(scales);
    const masks = new ReferenceRecurrentDropout(rate, rate, 42);
    const draw = masks.draw(B, F, F)!;
    expect(draw.input).not.toEqual(draw.recurrent);
    expect(masks.step).toBe(1);
  });

  test('the GPU layer zeroes the same inputs at every step', async () => {
    // dropout 0.5 on D = 8 features, T = 6 steps, no recurrence (units of a zero recurrent kernel
    // see only their input): h[t] of a SimpleRNN with linear activation, identity kernel,
    // zero recurrent kernel and no bias is x[t] ⊙ mask·2 — the mask is visible in the output.
    const [B, T, D] = [3, 6, 8];
    const layer = layers.simpleRNN({ units: D, activation: 'linear', useBias: false, returnSequences: true, dropout: 0.5, seed: 3, inputShape: [T, D] });
    const model = sequential(env.gpu, [layer]);
    const identity = new Float32Array(D * D);
    for (let i = 0; i < D; i++) identity[i * D + i] = 1;
    model.setWeights([identity, new Float32Array(D * D)]);
    const x = Float32Array.from({ length: B * T * D }, (_, i) => 1 + (i % 7));
    const input = tensor(env.gpu, x, [B, T, D]);
    let output: Tensor | undefined;
    await env.gpu.submit('training forward', (encoder, run) => {
      const { output: flow } = layer.encodeTrain(encoder, run, flowOf(input));
      output = materialize(env.gpu, encoder, run, flow);
    });
    const values = await output!.data(); // [B, T, D]
    const expected = sequenceDropoutScales(3, 0, B, D, 0.5);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        for (let d = 0; d < D; d++) expect(values[(b * T + t) * D + d]).toBe(x[(b * T + t) * D + d] * expected[b * D + d]);
      }
    }
    expect(expected.some((m) => m === 0) && expected.some((m) => m === 2)).toBe(true);
    output!.dispose();
    input.dispose();
    model.dispose();
  });
});

describe('options', () => {
  test('rates outside [0, 1) are refused, saying what they are', () => {
    for (const kind of KINDS) {
      expect(() => gpuLayer(kind, { units: 2, dropout: 1 })).toThrow(ShapeError);
      expect(() => gpuLayer(kind, { units: 2, recurrentDropout: -0.1 })).toThrow(/recurrentDropout is the fraction of units dropped, a number in \[0, 1\)/);
      expect(() => gpuLayer(kind, { units: 2, dropout: Number.NaN })).toThrow(/dropout/);
    }
  });

  test('save and load keep the rates', async () => {
    const model = sequential(env.gpu, [
      layers.lstm({ units: 3, dropout: 0.2, recurrentDropout: 0.3, returnSequences: true, inputShape: [4, 2] }),
      layers.gru({ units: 2, dropout: 0.1 }),
    ]);
    const loaded = await loadModel(env.gpu, await model.save());
    const [lstm, gru] = loaded.layers as [Lstm, RecurrentLayer];
    expect([lstm.config.dropout, lstm.config.recurrentDropout, gru.config.dropout, gru.config.recurrentDropout]).toEqual([0.2, 0.3, 0.1, 0]);
    model.dispose();
    loaded.dispose();
  });
});
