// The encoder–decoder on a small task, reversing token sequences (one trained model): learned,
// greedy and beam decoding against the teacher-forced forward, bad input, and save / load.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { type BeamState, beamStep } from '../../src/reference/beamSearch.js';
import { encoderDecoder, layers, loadEncoderDecoder, ShapeError, tensor, type EncoderDecoder } from '../../src/index.js';
import { Random } from '../../src/init/random.js';
import { useGpu } from '../helpers/gpu.js';
import { chunk } from './encoderDecoderFixtures.js';

const env = useGpu();

// Reversal: the source is L tokens of 1 … K, the target the same tokens reversed, then END.
const L = 4;
const K = 5;
const START = K + 1;
const END = K + 1;
const STEPS = L + 1;

function reversalData(count: number, seed: number) {
  const random = new Random(seed);
  const source = new Float32Array(count * L);
  const decoderInput = new Float32Array(count * STEPS);
  const target = new Float32Array(count * STEPS);
  for (let n = 0; n < count; n++) {
    const tokens = Array.from({ length: L }, () => 1 + random.int(K));
    const reversed = [...tokens].reverse();
    source.set(tokens, n * L);
    decoderInput.set([START, ...reversed], n * STEPS);
    target.set([...reversed, END], n * STEPS);
  }
  return { source, decoderInput, target, count };
}

function reversalModel(): EncoderDecoder {
  return encoderDecoder(env.gpu, {
    encoder: [layers.embedding({ inputDim: K + 1, outputDim: 8, inputShape: [L], seed: 1 }), layers.lstm({ units: 32, seed: 2 })],
    decoder: [layers.embedding({ inputDim: K + 2, outputDim: 8, inputShape: [STEPS], seed: 3 }), layers.lstm({ units: 32, returnSequences: true, seed: 4 })],
    head: layers.dense({ units: K + 2, activation: 'softmax', seed: 5 }),
  });
}

describe('encoder–decoder: learning, decoding, errors, save / load', () => {
  let model: EncoderDecoder;
  const test_ = reversalData(200, 99);
  let dir: string;

  beforeAll(async () => {
    model = reversalModel();
    model.compile({ optimizer: { name: 'adam', learningRate: 0.02 }, loss: 'sparseCategoricalCrossentropy', metrics: 'accuracy' });
    const train = reversalData(1000, 1);
    const started = performance.now();
    const history = await model.fit([train.source, train.decoderInput], train.target, {
      epochs: 7,
      batchSize: 32,
      validationSplit: 0.1,
      seed: 3,
    });
    console.log(
      `reversal: ${((performance.now() - started) / 1000).toFixed(1)} s, last epoch ${JSON.stringify(Object.fromEntries(Object.entries(history.history).map(([k, v]) => [k, +v[v.length - 1].toFixed(4)])))}`,
    );
    dir = mkdtempSync(join(tmpdir(), 'seq2seq-test-'));
  });

  afterAll(() => {
    model?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('learns to reverse sequences it has not seen: ≥ 95 % exact matches by greedy decoding', async () => {
    const decoded = await model.decode(test_.source, { startToken: START, endToken: END, maxLength: STEPS + 2 });
    let exact = 0;
    for (let n = 0; n < test_.count; n++) {
      const want = Array.from(test_.target.subarray(n * STEPS, n * STEPS + L));
      if (decoded[n].join() === want.join()) exact++;
    }
    console.log(`reversal: ${exact}/${test_.count} exact on held-out sources`);
    expect(exact / test_.count).toBeGreaterThanOrEqual(0.95);
  });

  test('greedy decoding equals the argmax of the teacher-forced forward on its own tokens', async () => {
    // Without endToken every row runs maxLength = STEPS steps; fed back (behind START) as the
    // decoder input, the forward's argmax at every step must give the same tokens.
    const source = test_.source.subarray(0, 40 * L);
    const decoded = await model.decode(source, { startToken: START, batchSize: 16 });
    expect(decoded.length).toBe(40);
    for (const tokens of decoded) expect(tokens.length).toBe(STEPS);
    const decoderInput = Float32Array.from(decoded.flatMap((tokens) => [START, ...tokens.slice(0, STEPS - 1)]));
    const probs = await model.predict([source, decoderInput]).data();
    const V = K + 2;
    decoded.forEach((tokens, n) =>
      tokens.forEach((token, t) => {
        const row = probs.subarray((n * STEPS + t) * V, (n * STEPS + t + 1) * V);
        const best = row.indexOf(Math.max(...row));
        // A near-tie may fall either way between the step-by-step and the whole-sequence forward (f32).
        if (best !== token) expect(Math.abs(row[best] - row[token])).toBeLessThan(1e-5);
      }),
    );
    // With endToken, each row stops before it: the prefix of the run without.
    const stopped = await model.decode(source, { startToken: START, endToken: END });
    stopped.forEach((tokens, n) => {
      const end = decoded[n].indexOf(END);
      expect(tokens).toEqual(end < 0 ? decoded[n] : decoded[n].slice(0, end));
    });
  });

  test('decoding runs on the GPU: tokensPerSubmit steps a submit, the same tokens whatever their number', async () => {
    const source = test_.source.subarray(0, 8 * L);
    const submit = vi.spyOn(model.gpu, 'submit');
    const seven = await model.decode(source, { startToken: START, tokensPerSubmit: 7 });
    const steps = submit.mock.calls.map(([what]) => what).filter((what) => what.startsWith('decode: steps'));
    submit.mockRestore();
    // STEPS steps without endToken: ceil(STEPS / 7) submits of decoding, each with one readback.
    expect(steps).toHaveLength(Math.ceil(STEPS / 7));
    expect(await model.decode(source, { startToken: START, tokensPerSubmit: 1 })).toEqual(seven);
    await expect(model.decode(source, { startToken: START, tokensPerSubmit: 0 })).rejects.toThrow(/tokensPerSubmit/);
  });

  test('beam search: the best beam of a CPU beam search over the teacher-forced forward, and still ≥ 95 % exact', async () => {
    const W = 3;
    const n = 12;
    const source = test_.source.subarray(0, n * L);
    const ours = await model.decode(source, { startToken: START, endToken: END, maxLength: STEPS, beamWidth: W, tokensPerSubmit: 2 });
    const normalized = await model.decode(source, { startToken: START, endToken: END, maxLength: STEPS, beamWidth: W, lengthPenalty: 1 });
    // The twin's search: each step, the forward on every beam's prefix (behind START, padded:
    // the decoder is causal) gives its next-token probabilities; reference beamStep keeps W.
    const V = K + 2;
    let compared = 0;
    for (let b = 0; b < n; b++) {
      let state: BeamState = { scores: new Float64Array(W), finished: new Uint8Array(W) };
      let prefixes: number[][] = Array.from({ length: W }, () => []);
      let clear = true;
      for (let step = 0; step < STEPS; step++) {
        const inputs = prefixes.map((p) => [START, ...p, ...new Array(STEPS - 1 - p.length).fill(0)]);
        const probs = await model
          .predict([Float32Array.from(inputs.flatMap(() => Array.from(source.subarray(b * L, (b + 1) * L)))), Float32Array.from(inputs.flat())])
          .data();
        const rows = prefixes.map((_, k) => probs.subarray((k * STEPS + step) * V, (k * STEPS + step + 1) * V));
        const next = beamStep(rows, state, { endToken: END, first: step === 0, logits: false });
        clear &&= next.margin > 1e-4;
        prefixes = Array.from({ length: W }, (_, j) => [...prefixes[next.parents[j]], next.tokens[j]]);
        state = next;
      }
      if (!clear) continue; // a near-tie of f32 rounding may fall either way
      compared++;
      // The best by total log probability, and by its mean a token (lengthPenalty 1, the end token counted).
      const cut = (p: number[]) => (p.includes(END) ? p.slice(0, p.indexOf(END)) : p);
      const length = (p: number[]) => (p.includes(END) ? p.indexOf(END) + 1 : p.length);
      let [best, bestMean] = [0, 0];
      for (let k = 1; k < W; k++) {
        if (state.scores[k] > state.scores[best]) best = k;
        if (state.scores[k] / length(prefixes[k]) > state.scores[bestMean] / length(prefixes[bestMean])) bestMean = k;
      }
      expect(ours[b], `source ${b}`).toEqual(cut(prefixes[best]));
      expect(normalized[b], `source ${b}, lengthPenalty 1`).toEqual(cut(prefixes[bestMean]));
    }
    expect(compared).toBeGreaterThanOrEqual(n - 2);
    const decoded = await model.decode(test_.source, { startToken: START, endToken: END, maxLength: STEPS + 2, beamWidth: 4 });
    let exact = 0;
    for (let m = 0; m < test_.count; m++) if (decoded[m].join() === Array.from(test_.target.subarray(m * STEPS, m * STEPS + L)).join()) exact++;
    expect(exact / test_.count).toBeGreaterThanOrEqual(0.95);
    await expect(model.decode(source, { startToken: START, beamWidth: 17 })).rejects.toThrow(/beamWidth/);
    await expect(model.decode(source, { startToken: START, beamWidth: 2, lengthPenalty: -1 })).rejects.toThrow(/lengthPenalty/);
  });

  test('bad input gives a clear error and leaves the weights as they were', async () => {
    const before = await model.getWeightData();
    const src = test_.source.subarray(0, 4 * L);
    const dec = test_.decoderInput.subarray(0, 4 * STEPS);
    const y = test_.target.subarray(0, 4 * STEPS);
    await expect(model.fit([src, dec.subarray(0, 3 * STEPS)], y)).rejects.toThrow(/source has 4 samples but the decoder input has 3/);
    await expect(model.fit([src.subarray(0, 3 * L + 1), dec], y)).rejects.toThrow(ShapeError);
    await expect(model.fit([chunk(src, L).map((r) => [...r, 1]), chunk(dec, STEPS)], y)).rejects.toThrow(/source must have shape \[samples, 4\]/);
    await expect(model.fit([src, dec], y.subarray(0, 3 * STEPS))).rejects.toThrow(ShapeError);
    await expect(model.fit([Float32Array.from(src).fill(K + 3, 0, 1), dec], y)).rejects.toThrow(/token id 8 at flat index 0/);
    await expect(model.trainOnBatch([src, dec], Float32Array.from(y).fill(K + 2, 0, 1))).rejects.toThrow(/label 7/);
    await expect(model.fit([src] as never, y)).rejects.toThrow(/two inputs/);
    await expect(model.fit([src, dec], y, { tbptt: 2 } as never)).rejects.toThrow(/tbptt/);
    const wrongTensor = tensor(env.gpu, dec, [4, STEPS, 1]);
    expect(() => model.predict([src, wrongTensor])).toThrow(/decoder input must have shape \[samples, 5\]/);
    wrongTensor.dispose();
    expect(() => model.predict([src, dec.subarray(0, 2 * STEPS)])).toThrow(/4 samples but the decoder input has 2/);
    await expect(model.decode(src, { startToken: K + 2 })).rejects.toThrow(/startToken/);
    await expect(model.decode(src, { startToken: START, endToken: 99 })).rejects.toThrow(/endToken/);
    const after = await model.getWeightData();
    after.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(before[i].buffer))).toBe(true));
  });

  test('saved and loaded, it predicts and decodes bit for bit the same', async () => {
    await model.save(dir);
    const loaded = await loadEncoderDecoder(env.gpu, dir);
    const inMemory = await loadEncoderDecoder(env.gpu, await model.save());
    try {
      const pair = [test_.source.subarray(0, 30 * L), test_.decoderInput.subarray(0, 30 * STEPS)] as const;
      const expected = await model.predict(pair).data();
      for (const other of [loaded, inMemory]) {
        expect(other.core.encoder.map((l) => l.name)).toEqual(model.core.encoder.map((l) => l.name));
        expect(Buffer.from((await other.predict(pair).data()).buffer).equals(Buffer.from(expected.buffer))).toBe(true);
        expect(await other.decode(pair[0], { startToken: START, endToken: END })).toEqual(await model.decode(pair[0], { startToken: START, endToken: END }));
      }
    } finally {
      loaded.dispose();
      inMemory.dispose();
    }
  });
});
