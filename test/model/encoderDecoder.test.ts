// The encoder–decoder on the GPU: forward and gradients against the CPU reference composed by
// hand (the encoder's final state seeds the decoder, and the gradient of the decoder's initial
// state flows back into the encoder), and the configuration errors.
import { describe, expect, test } from 'vitest';
import { encoderDecoder, layers, RnnError, tensor, type Layer, type LossName } from '../../src/index.js';
import { lstmBackward } from '../../src/reference/backward.js';
import { ReferenceDense } from '../../src/reference/dense.js';
import { ReferenceEmbedding } from '../../src/reference/embedding.js';
import { gruBackward, ReferenceGru } from '../../src/reference/gru.js';
import { lossForward } from '../../src/reference/losses.js';
import { ReferenceLstm } from '../../src/reference/lstm.js';
import { Random } from '../../src/init/random.js';
import { cpuTensor, type CpuTensor } from '../../src/reference/tensor.js';
import { expectClose, useGpu } from '../helpers/gpu.js';
import { chunk } from './encoderDecoderFixtures.js';

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
