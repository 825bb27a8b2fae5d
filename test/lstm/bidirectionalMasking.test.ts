// Bidirectional with a mask (Masking, Embedding maskZero): each direction skips the masked
// steps inside its step kernels, and a sequence output is zeros at masked steps (Keras's
// Bidirectional sets zero_output_for_mask), forward and backward, against the CPU reference;
// and the padded-batch equivalence of the classic Embedding → Bidirectional(LSTM) classifier.
import { describe, expect, test } from 'vitest';
import { layers, reference, sequential, tensor, type MergeMode, type Tensor } from '../../src/index.js';
import { ReferenceGru } from '../../src/reference/gru.js';
import type { ReferenceBidirectional } from '../../src/reference/bidirectional.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();

// As test/lstm/masking.test.ts and bidirectional.test.ts: f32 forward errors ~1e-6, gradients
// as f32 sums over T·B rows; masked steps add exact zeros and copies only.
const ATOL = 1e-4;
const RTOL = 1e-4;
const GRAD_ATOL = 1e-4;
const GRAD_RTOL = 1e-3;

/** [B, T]: sample 0 pre-padded by 2, sample 1 with a hole, the rest post-padded (last sample fully masked when B > 3). */
function makeMask(B: number, T: number): Float32Array {
  const m = new Float32Array(B * T).fill(1);
  m[0] = 0;
  if (T > 1) m[1] = 0;
  if (B > 1 && T > 2) m[T + 2] = 0;
  for (let b = 2; b < B; b++) for (let t = Math.max(1, T - b); t < T; t++) m[b * T + t] = 0;
  if (B > 3) m.fill(0, (B - 1) * T, B * T);
  return m;
}

const modes: MergeMode[] = ['concat', 'sum', 'mul', 'ave'];
const cases = (['lstm', 'gru'] as const).flatMap((cell) =>
  [true, false].flatMap((returnSequences) => modes.map((mergeMode) => ({ cell, returnSequences, mergeMode, B: 4, T: 6, D: 5, H: 7 }))),
);

function makeBoth(cell: 'lstm' | 'gru', mergeMode: MergeMode, returnSequences: boolean, H: number) {
  const config = { units: H, returnSequences };
  const inner = cell === 'lstm' ? layers.lstm({ ...config, seed: 3 }) : layers.gru({ ...config, seed: 3 });
  const refInner = cell === 'lstm' ? reference.layers.lstm(config) : new ReferenceGru(config);
  return {
    gpu: layers.bidirectional({ layer: inner, mergeMode }),
    ref: reference.layers.bidirectional({ layer: refInner as never, mergeMode }) as ReferenceBidirectional,
  };
}

describe('masked Bidirectional vs reference', () => {
  test.each(cases)('$cell $mergeMode returnSequences=$returnSequences', async ({ cell, returnSequences, mergeMode, B, T, D, H }) => {
    const { gpu, ref } = makeBoth(cell, mergeMode, returnSequences, H);
    const random = new reference.Random(B * 31 + T);
    const xs = random.uniformArray(B * T * D);
    const mask = makeMask(B, T);
    const x = tensor(env.gpu, xs, [B, T, D]);
    const m = tensor(env.gpu, mask, [B, T]);
    const y = gpu.apply(x, { mask: m }) as Tensor;
    ref.setWeights(await gpu.getWeightData());
    const { y: refY, saved } = ref.forwardTrain(reference.tensor(xs, [B, T, D]), false, mask);
    const got = await y.data();
    expectClose(got, refY.data, ATOL, RTOL, 'output');
    if (returnSequences) {
      // Masked steps are exact zeros.
      for (let b = 0; b < B; b++)
        for (let t = 0; t < T; t++) if (mask[b * T + t] === 0) for (let k = 0; k < y.shape[2]; k++) expect(got[(b * T + t) * y.shape[2] + k]).toBe(0);
    }
    const dY = random.uniformArray(refY.data.length);
    const g = await gpu.gradients(x, tensor(env.gpu, dY, refY.shape), { mask: m });
    const refG = ref.backward(saved, Float64Array.from(dY));
    refG.grads.forEach((w, i) => expectClose(g.weights[i], w, GRAD_ATOL, GRAD_RTOL, `gradient of weight ${i}`));
    expectClose(g.x, refG.dX, GRAD_ATOL, GRAD_RTOL, 'dX');
    for (const t of [x, m, y]) t.dispose();
    gpu.dispose();
  });

  test('mergeMode null returns both directions, zeros at masked steps', async () => {
    const [B, T, D, H] = [3, 5, 2, 4];
    const gpu = layers.bidirectional({ layer: layers.lstm({ units: H, returnSequences: true, seed: 5 }), mergeMode: null });
    const ref = reference.layers.bidirectional({ layer: reference.layers.lstm({ units: H, returnSequences: true }), mergeMode: null });
    const xs = new reference.Random(4).uniformArray(B * T * D);
    const mask = makeMask(B, T);
    const x = tensor(env.gpu, xs, [B, T, D]);
    const m = tensor(env.gpu, mask, [B, T]);
    const [f, r] = gpu.apply(x, { mask: m }) as Tensor[];
    ref.setWeights(await gpu.getWeightData());
    const [rf, rr] = ref.apply(reference.tensor(xs, [B, T, D]), { mask }) as { data: Float64Array }[];
    expectClose(await f.data(), rf.data, ATOL, RTOL, 'forward direction');
    expectClose(await r.data(), rr.data, ATOL, RTOL, 'backward direction');
    for (const t of [x, m, f, r]) t.dispose();
    gpu.dispose();
  });
});

describe('padded batch equivalence', () => {
  test('Embedding(maskZero) → Bidirectional(LSTM) → Dense: a pre-padded batch predicts each sequence as it does alone', async () => {
    const sequences = [[3, 1, 4, 1, 5, 9], [2, 6], [5, 3, 5], [8]];
    const T = 6;
    const model = sequential(env.gpu, [
      layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true, inputShape: [T], seed: 1 }),
      layers.bidirectional({ layer: layers.lstm({ units: 5, seed: 2 }), mergeMode: 'concat' }),
      layers.dense({ units: 2, activation: 'softmax', seed: 3 }),
    ]);
    const padded = sequences.map((s) => [...new Array(T - s.length).fill(0), ...s]);
    const batch = await model.predict(tensor(env.gpu, padded.flat(), [sequences.length, T])).data();
    // Alone: a model of the same weights over exactly the sequence's own steps.
    const weights = await model.getWeightData();
    for (const [i, s] of sequences.entries()) {
      const alone = sequential(env.gpu, [
        layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true, inputShape: [s.length] }),
        layers.bidirectional({ layer: layers.lstm({ units: 5 }), mergeMode: 'concat' }),
        layers.dense({ units: 2, activation: 'softmax' }),
      ]);
      alone.setWeights(weights);
      const y = await alone.predict(tensor(env.gpu, s, [1, s.length])).data();
      expectClose(batch.subarray(i * 2, i * 2 + 2), y, 1e-6, 1e-5, `sequence ${i}`);
      alone.dispose();
    }
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const history = await model.fit(tensor(env.gpu, padded.flat(), [sequences.length, T]), [0, 1, 1, 0], { epochs: 2, batchSize: 2 });
    expect(history.history.loss.every(Number.isFinite)).toBe(true);
    model.dispose();
  });
});
