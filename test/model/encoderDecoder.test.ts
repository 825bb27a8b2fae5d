// The encoder–decoder on the GPU: forward and gradients against the CPU reference composed by
// hand (the encoder's final state seeds the decoder, and the gradient of the decoder's initial
// state flows back into the encoder), a small reversal task learned, greedy decoding against
// the teacher-forced forward, bad input, and save / load.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { type BeamState, beamStep } from '../../src/reference/beamSearch.js';
import { encoderDecoder, layers, loadEncoderDecoder, RnnError, ShapeError, tensor, type EncoderDecoder, type Layer, type LossName } from '../../src/index.js';
import { lstmBackward } from '../../src/reference/backward.js';
import { ReferenceDense } from '../../src/reference/dense.js';
import { ReferenceEmbedding } from '../../src/reference/embedding.js';
import { gruBackward, ReferenceGru } from '../../src/reference/gru.js';
import { lossForward } from '../../src/reference/losses.js';
import { ReferenceLstm } from '../../src/reference/lstm.js';
import { Random } from '../../src/init/random.js';
import { cpuTensor, type CpuTensor } from '../../src/reference/tensor.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();

interface Case {
  name: string;
  cell: 'lstm' | 'gru';
  B: number;
  Ts: number;
  Tt: number;
  H: number;
  /** Token ids through Embeddings (softmax head, sparse cross-entropy), or features (linear head, MSE). */
  tokens: boolean;
  /** Two recurrent layers on each side. */
  stacked?: boolean;
  /** The source Embedding has maskZero and some sources are padded with 0 at either end. */
  masked?: boolean;
}

const SRC_VOCAB = 7;
const TGT_VOCAB = 6;
const E = 3;
const [DS, DT, OUT] = [3, 2, 2];

const cases: Case[] = [
  { name: 'LSTM, token ids', cell: 'lstm', B: 3, Ts: 5, Tt: 4, H: 6, tokens: true },
  { name: 'LSTM, batch 1', cell: 'lstm', B: 1, Ts: 5, Tt: 4, H: 6, tokens: true },
  { name: 'LSTM stacks, masked source, H=65', cell: 'lstm', B: 3, Ts: 6, Tt: 3, H: 65, tokens: true, stacked: true, masked: true },
  { name: 'GRU stacks', cell: 'gru', B: 2, Ts: 4, Tt: 5, H: 9, tokens: true, stacked: true },
  { name: 'LSTM, features', cell: 'lstm', B: 2, Ts: 4, Tt: 3, H: 5, tokens: false },
  { name: 'GRU, features, batch 1', cell: 'gru', B: 1, Ts: 2, Tt: 3, H: 4, tokens: false },
];

type RefRecurrent = ReferenceLstm | ReferenceGru;
type RefLayer = RefRecurrent | ReferenceEmbedding | ReferenceDense;

/** The same layers on the GPU (an encoder–decoder) and on the CPU (plain lists), configured alike. */
function buildBoth(c: Case) {
  const recurrent = (units: number, returnSequences: boolean, seed: number, inputShape?: [number, number]) => ({
    units,
    returnSequences,
    seed,
    biasInitializer: 'randomUniform' as const,
    ...(inputShape ? { inputShape } : {}),
  });
  const encoderConfigs = [...(c.stacked ? [recurrent(c.H + 2, true, 2)] : []), recurrent(c.H, false, 3)];
  const decoderConfigs = [recurrent(c.H, true, 5), ...(c.stacked ? [recurrent(c.H - 1, true, 6)] : [])];
  if (!c.tokens) {
    encoderConfigs[0] = { ...encoderConfigs[0], inputShape: [c.Ts, DS] };
    decoderConfigs[0] = { ...decoderConfigs[0], inputShape: [c.Tt, DT] };
  }
  const sourceEmbedding = { inputDim: SRC_VOCAB, outputDim: E, inputShape: [c.Ts] as [number], maskZero: c.masked, seed: 1 };
  const targetEmbedding = { inputDim: TGT_VOCAB, outputDim: E, inputShape: [c.Tt] as [number], seed: 4 };
  const headConfig = c.tokens ? { units: TGT_VOCAB, activation: 'softmax' as const, seed: 7 } : { units: OUT, activation: 'linear' as const, seed: 7 };
  const gpuRecurrent = (cfg: ReturnType<typeof recurrent>): Layer => (c.cell === 'lstm' ? layers.lstm(cfg) : layers.gru(cfg));
  const refRecurrent = (cfg: ReturnType<typeof recurrent>): RefRecurrent => (c.cell === 'lstm' ? new ReferenceLstm(cfg) : new ReferenceGru(cfg));
  const model = encoderDecoder(env.gpu, {
    encoder: [...(c.tokens ? [layers.embedding(sourceEmbedding)] : []), ...encoderConfigs.map(gpuRecurrent)],
    decoder: [...(c.tokens ? [layers.embedding(targetEmbedding)] : []), ...decoderConfigs.map(gpuRecurrent)],
    head: layers.dense(headConfig),
  });
  const encoder: RefLayer[] = [...(c.tokens ? [new ReferenceEmbedding(sourceEmbedding)] : []), ...encoderConfigs.map(refRecurrent)];
  const decoder: RefLayer[] = [...(c.tokens ? [new ReferenceEmbedding(targetEmbedding)] : []), ...decoderConfigs.map(refRecurrent)];
  const head = new ReferenceDense(headConfig);
  const copyWeights = async () => {
    const weights = await model.getWeightData();
    let at = 0;
    for (const layer of [...encoder, ...decoder, head]) {
      const count = layer.weightCount();
      layer.setWeights(weights.slice(at, (at += count)));
    }
    expect(at).toBe(weights.length);
  };
  return { model, encoder, decoder, head, copyWeights };
}

function makeData(c: Case, seed: number) {
  const random = new Random(seed);
  let source: Float32Array;
  let target: Float32Array;
  let y: Float32Array;
  if (c.tokens) {
    source = Float32Array.from({ length: c.B * c.Ts }, () => 1 + random.int(SRC_VOCAB - 1));
    if (c.masked) {
      // Sample 0 padded at the start, sample 1 at the end (masked steps carry the state through).
      source.fill(0, 0, 2);
      if (c.B > 1) source.fill(0, 2 * c.Ts - 2, 2 * c.Ts);
    }
    target = Float32Array.from({ length: c.B * c.Tt }, () => random.int(TGT_VOCAB));
    y = Float32Array.from({ length: c.B * c.Tt }, () => random.int(TGT_VOCAB));
  } else {
    source = random.uniformArray(c.B * c.Ts * DS);
    target = random.uniformArray(c.B * c.Tt * DT);
    y = random.uniformArray(c.B * c.Tt * OUT, -0.8, 0.8);
  }
  const mask = c.masked ? Float64Array.from(source, (id) => (id === 0 ? 0 : 1)) : undefined;
  return { source, target, y, mask };
}

/** A recurrent reference layer's forward from `state`, and its backward returning the initial state's gradient too. */
function recurrentStep(layer: RefRecurrent, x: CpuTensor, state: { h: Float64Array; c?: Float64Array } | undefined, mask: Float64Array | undefined) {
  const [B, T, D] = x.shape;
  const H = layer.config.units;
  const dims = { B, T, D, H };
  if (layer instanceof ReferenceLstm) {
    const f = layer.forwardTrain(x, state as { h: Float64Array; c: Float64Array } | undefined, mask);
    const [kernel, recurrentKernel, bias] = layer.getWeights();
    const backward = (dY: Float64Array, final: { dhT?: Float64Array; dcT?: Float64Array } = {}) => {
      const dYs = layer.config.returnSequences ? { sequence: dY } : { last: dY };
      const g = lstmBackward(f.saved.x.data, dims, { kernel, recurrentKernel, bias }, layer.config, f.saved.cache, dYs, final, f.saved.mask);
      return { grads: [g.dKernel, g.dRecurrentKernel, g.dBias], dX: g.dX, dState: { h: g.dh0, c: g.dc0 } };
    };
    return { y: f.y, state: f.state as { h: Float64Array; c?: Float64Array }, backward };
  }
  const f = layer.forwardTrain(x, state, mask);
  const [kernel, recurrentKernel, bias] = layer.getWeights();
  const backward = (dY: Float64Array, final: { dhT?: Float64Array } = {}) => {
    const dYs = layer.config.returnSequences ? { sequence: dY } : { last: dY };
    const g = gruBackward(f.saved.x.data, dims, { kernel, recurrentKernel, bias }, layer.config, f.saved.cache, dYs, final, f.saved.mask);
    return { grads: [g.dKernel, g.dRecurrentKernel, g.dBias], dX: g.dX, dState: { h: g.dh0, c: undefined } };
  };
  return { y: f.y, state: f.state as { h: Float64Array; c?: Float64Array }, backward };
}

/**
 * The reference: the encoder's layers, its last layer's final state as the initial state of the
 * decoder's first recurrent layer, the head, the loss; backward, the decoder's initial-state
 * gradient as the gradient of the encoder's final state. Gradients in the model's weight order.
 */
function referenceModel(c: Case, both: ReturnType<typeof buildBoth>, data: ReturnType<typeof makeData>, loss: LossName) {
  const { encoder, decoder, head } = both;
  type Back = (d: Float64Array) => { grads: Float64Array[]; dX: Float64Array };
  const encoderBacks: Back[] = [];
  let value = c.tokens ? cpuTensor(data.source, [c.B, c.Ts]) : cpuTensor(data.source, [c.B, c.Ts, DS]);
  let encoderFinal: ReturnType<typeof recurrentStep> | undefined;
  encoder.forEach((layer, i) => {
    if (layer instanceof ReferenceEmbedding) {
      const f = layer.forwardTrain(value);
      encoderBacks.push((d) => layer.backward(f.saved, d));
      value = f.y;
    } else {
      const step = recurrentStep(layer as RefRecurrent, value, undefined, data.mask);
      if (i === encoder.length - 1) encoderFinal = step;
      else encoderBacks.push((d) => step.backward(d));
      value = step.y;
    }
  });
  const decoderBacks: Back[] = [];
  let dState: { h: Float64Array; c?: Float64Array } | undefined;
  let seeded = false;
  value = c.tokens ? cpuTensor(data.target, [c.B, c.Tt]) : cpuTensor(data.target, [c.B, c.Tt, DT]);
  for (const layer of decoder) {
    if (layer instanceof ReferenceEmbedding) {
      const f = layer.forwardTrain(value);
      decoderBacks.push((d) => layer.backward(f.saved, d));
      value = f.y;
    } else {
      const first = !seeded;
      const step = recurrentStep(layer as RefRecurrent, value, first ? encoderFinal!.state : undefined, undefined);
      seeded = true;
      decoderBacks.push((d) => {
        const g = step.backward(d);
        if (first) dState = g.dState;
        return g;
      });
      value = step.y;
    }
  }
  const h = head.forwardTrain(value);
  const cols = head.units;
  const rows = h.y.data.length / cols;
  const result = lossForward(loss, h.y.data, data.y, rows, cols, head.config.activation === 'softmax' ? 'softmax' : 'linear');
  const headBack = head.backward(h.saved, result.grad, result.gradIsPreActivation);
  const decoderGrads: Float64Array[][] = [];
  let d = headBack.dX;
  for (let i = decoderBacks.length - 1; i >= 0; i--) {
    const g = decoderBacks[i](d);
    decoderGrads.unshift(g.grads);
    d = g.dX;
  }
  // The encoder's output (its last h) reaches nothing but the state: its own gradient is zero.
  const final = encoderFinal!.backward(new Float64Array(encoderFinal!.state.h.length), { dhT: dState!.h, dcT: dState!.c });
  const encoderGrads: Float64Array[][] = [final.grads];
  d = final.dX;
  for (let i = encoderBacks.length - 1; i >= 0; i--) {
    const g = encoderBacks[i](d);
    encoderGrads.unshift(g.grads);
    d = g.dX;
  }
  return { output: h.y.data, loss: result.loss, grads: [...encoderGrads.flat(), ...decoderGrads.flat(), ...headBack.grads] };
}

describe('encoder–decoder vs the CPU reference', () => {
  // Forward: as the LSTM layer tests (test/lstm/forward.test.ts), per-step f32 errors ~1e-6 that
  // the recurrence does not amplify; the encoder's state adds Ts steps before the decoder's Tt.
  // Gradients: as test/lstm/recurrentTraining.test.ts, f32 sums over B·T rows of O(1) products:
  // 1e-6 absolute plus 1e-4 relative, while a missing state gradient (dc_T, dh_T) or a wrong
  // index gives errors of the gradients' own size (measured: the log lines).
  test.each(cases)('$name (B=$B Ts=$Ts Tt=$Tt H=$H)', async (c) => {
    const both = buildBoth(c);
    const loss: LossName = c.tokens ? 'sparseCategoricalCrossentropy' : 'meanSquaredError';
    both.model.compile({ optimizer: 'sgd', loss });
    await both.copyWeights();
    const data = makeData(c, 17 * c.B + c.Ts);
    const expected = referenceModel(c, both, data, loss);
    const sourceShape = c.tokens ? [c.B, c.Ts] : [c.B, c.Ts, DS];
    const targetShape = c.tokens ? [c.B, c.Tt] : [c.B, c.Tt, DT];
    const inputs = [tensor(env.gpu, data.source, sourceShape), tensor(env.gpu, data.target, targetShape)] as const;

    const output = both.model.predict(inputs);
    expect(output.shape).toEqual([c.B, c.Tt, c.tokens ? TGT_VOCAB : OUT]);
    expectClose(await output.data(), expected.output, 1e-4, 1e-4, 'output');
    output.dispose();

    const got = await both.model.gradients(inputs, data.y);
    expect(Math.abs(got.loss - expected.loss)).toBeLessThan(1e-5 + 1e-5 * Math.abs(expected.loss));
    expect(got.grads.length).toBe(expected.grads.length);
    let worst = 0;
    expected.grads.forEach((g, i) => {
      for (let k = 0; k < g.length; k++) worst = Math.max(worst, Math.abs(got.grads[i][k] - g[k]));
      expectClose(got.grads[i], g, 1e-6, 1e-4, `gradient of weight ${i}`);
    });
    console.log(`${c.name}: max |gradient error| ${worst.toExponential(2)}`);
    for (const t of inputs) t.dispose();
    both.model.dispose();
  });

  test('the encoder learns from the decoder: its gradients are not zero, and one SGD step moves every weight as the reference gradient says', async () => {
    const c = cases[0];
    const both = buildBoth(c);
    const learningRate = 0.5;
    both.model.compile({ optimizer: { name: 'sgd', learningRate }, loss: 'sparseCategoricalCrossentropy' });
    await both.copyWeights();
    const data = makeData(c, 5);
    const expected = referenceModel(c, both, data, 'sparseCategoricalCrossentropy');
    // The encoder's recurrent kernel gets a gradient only through the state it hands over.
    expect(Math.max(...expected.grads[2].map(Math.abs))).toBeGreaterThan(1e-4);
    const before = await both.model.getWeightData();
    await both.model.trainOnBatch([chunk(data.source, c.Ts), chunk(data.target, c.Tt)], data.y);
    const after = await both.model.getWeightData();
    // w − lr·g in f32: the gradient's error (≤ 1e-6, above) times lr, plus f32 rounding of w.
    after.forEach((w, i) =>
      expectClose(
        w,
        before[i].map((v, k) => v - learningRate * expected.grads[i][k]),
        1e-6,
        1e-5,
        `weight ${i} after the step`,
      ),
    );
    both.model.dispose();
  });
});

function chunk(values: ArrayLike<number>, size: number): number[][] {
  return Array.from({ length: values.length / size }, (_, i) => Array.from(values).slice(i * size, (i + 1) * size));
}

// ---- A small task, decoding, bad input, save / load (one trained model) ------------------------

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

describe('encoder–decoder configuration errors', () => {
  const emb = (steps: number) => layers.embedding({ inputDim: 5, outputDim: 2, inputShape: [steps] });
  test.each([
    [
      'the encoder ends with a Dense',
      () => ({ encoder: [emb(3), layers.lstm({ units: 4 }), layers.dense({ units: 2 })], decoder: [emb(2), layers.lstm({ units: 4, returnSequences: true })] }),
      /must end with an LSTM, GRU or SimpleRNN/,
    ],
    [
      'units differ',
      () => ({ encoder: [emb(3), layers.lstm({ units: 4 })], decoder: [emb(2), layers.lstm({ units: 5, returnSequences: true })] }),
      /has 4 units but the decoder's .* has 5/,
    ],
    [
      'LSTM into GRU',
      () => ({ encoder: [emb(3), layers.lstm({ units: 4 })], decoder: [emb(2), layers.gru({ units: 4, returnSequences: true })] }),
      /carry different states/,
    ],
    [
      'no steps declared',
      () => ({
        encoder: [layers.embedding({ inputDim: 5, outputDim: 2 }), layers.lstm({ units: 4 })],
        decoder: [emb(2), layers.lstm({ units: 4, returnSequences: true })],
      }),
      /must declare its input with a fixed number of steps/,
    ],
    [
      'decoder without returnSequences',
      () => ({ encoder: [emb(3), layers.lstm({ units: 4 })], decoder: [emb(2), layers.lstm({ units: 4 })] }),
      /needs returnSequences: true/,
    ],
    [
      'encoder with returnSequences',
      () => ({ encoder: [emb(3), layers.lstm({ units: 4, returnSequences: true })], decoder: [emb(2), layers.lstm({ units: 4, returnSequences: true })] }),
      /has returnSequences; leave it false/,
    ],
    [
      'no recurrent decoder layer',
      () => ({ encoder: [emb(3), layers.lstm({ units: 4 })], decoder: [emb(2), layers.dense({ units: 4 })] }),
      /decoder needs a recurrent layer/,
    ],
  ])('%s', (_name, config, message) => {
    expect(() => encoderDecoder(env.gpu, { ...config(), head: layers.dense({ units: 5, activation: 'softmax' }) })).toThrow(message);
    expect(() => encoderDecoder(env.gpu, { ...config(), head: layers.dense({ units: 5, activation: 'softmax' }) })).toThrow(RnnError);
  });

  test('a head that is not applied step by step', () => {
    const config = { encoder: [emb(3), layers.lstm({ units: 4 })], decoder: [emb(2), layers.lstm({ units: 4, returnSequences: true })] };
    expect(() => encoderDecoder(env.gpu, { ...config, head: layers.lstm({ units: 5, returnSequences: true }) })).toThrow(/the head holds lstm_\d+ \(Lstm\)/);
  });
});
