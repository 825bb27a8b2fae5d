// Keras's `dropout` and `recurrentDropout` on LSTM, GRU and SimpleRNN: the GPU's masks and
// gradients against the CPU reference (same hash, same step counter, so the masks are equal bit
// for bit), the reference's gradients by finite differences with the masks held fixed, masks
// fixed over time with the right drop rate, the identity in inference, and the checks.
import { describe, expect, test } from 'vitest';
import { layers, loadModel, reference, sequential, ShapeError, tensor, type LossName, type Tensor } from '../../src/index.js';
import { flowOf, materialize, type Layer } from '../../src/layers/layer.js';
import type { Lstm } from '../../src/lstm/lstm.js';
import type { RecurrentLayer } from '../../src/lstm/recurrent.js';
import { lstmBackward, lstmForwardTrain } from '../../src/reference/backward.js';
import { ReferenceRecurrentDropout, sequenceDropoutScales } from '../../src/reference/dropout.js';
import type { ReferenceLayer } from '../../src/reference/sequential.js';
import { expectClose, useGpu } from '../helpers/gpu.js';
import { dot, FD_ATOL, FD_RTOL, numericGradient, randomArray } from '../helpers/finiteDifferences.js';

const env = useGpu();

type Kind = 'lstm' | 'gruResetAfter' | 'gruResetBefore' | 'simpleRNN';
const KINDS: Kind[] = ['lstm', 'gruResetAfter', 'gruResetBefore', 'simpleRNN'];

interface RecurrentOptions {
  units: number;
  returnSequences?: boolean;
  goBackwards?: boolean;
  dropout?: number;
  recurrentDropout?: number;
  seed?: number;
  inputShape?: [number, number];
}

function gpuLayer(kind: Kind, o: RecurrentOptions): Layer {
  if (kind === 'lstm') return layers.lstm(o);
  if (kind === 'simpleRNN') return layers.simpleRNN(o);
  return layers.gru({ ...o, resetAfter: kind === 'gruResetAfter' });
}

function refLayer(kind: Kind, o: RecurrentOptions): ReferenceLayer {
  if (kind === 'lstm') return reference.layers.lstm(o);
  if (kind === 'simpleRNN') return reference.layers.simpleRNN(o) as unknown as ReferenceLayer;
  return reference.layers.gru({ ...o, resetAfter: kind === 'gruResetAfter' }) as unknown as ReferenceLayer;
}

interface Case {
  name: string;
  B: number;
  T: number;
  D: number;
  H: number;
  dropout: number;
  recurrentDropout: number;
  returnSequences?: boolean;
  goBackwards?: boolean;
  /** A second recurrent layer (with its own masks) on top. */
  stack?: boolean;
  /** Wrapped in Bidirectional (concat): the directions' input gradients add up through their masks. */
  bidirectional?: boolean;
  loss: LossName;
}

const cases: Case[] = [
  { name: 'batch 1, one step', B: 1, T: 1, D: 3, H: 2, dropout: 0.5, recurrentDropout: 0.5, loss: 'meanSquaredError' },
  { name: 'sizes off the workgroup, both masks', B: 5, T: 6, D: 70, H: 65, dropout: 0.3, recurrentDropout: 0.4, loss: 'meanSquaredError' },
  {
    name: 'recurrent dropout only, per-step head',
    B: 3,
    T: 5,
    D: 4,
    H: 9,
    dropout: 0,
    recurrentDropout: 0.5,
    returnSequences: true,
    loss: 'meanAbsoluteError',
  },
  {
    name: 'input dropout only, goBackwards, stack',
    B: 4,
    T: 4,
    D: 6,
    H: 5,
    dropout: 0.5,
    recurrentDropout: 0,
    goBackwards: true,
    stack: true,
    loss: 'meanSquaredError',
  },
  { name: 'bidirectional', B: 3, T: 4, D: 5, H: 6, dropout: 0.25, recurrentDropout: 0.25, bidirectional: true, loss: 'meanSquaredError' },
];

function buildBoth(kind: Kind, c: Case) {
  const options = (seed: number, returnSequences = c.returnSequences ?? false): RecurrentOptions => ({
    units: c.H,
    dropout: c.dropout,
    recurrentDropout: c.recurrentDropout,
    goBackwards: c.goBackwards,
    returnSequences,
    seed,
  });
  const first = (seed: number, returnSequences?: boolean) => ({ ...options(seed, returnSequences), inputShape: [c.T, c.D] as [number, number] });
  const gpuLayers: Layer[] = [];
  const refLayers: ReferenceLayer[] = [];
  if (c.bidirectional) {
    gpuLayers.push(layers.bidirectional({ layer: gpuLayer(kind, first(11)) as never, mergeMode: 'concat' }));
    refLayers.push(reference.layers.bidirectional({ layer: refLayer(kind, options(11)) as never, mergeMode: 'concat' }) as unknown as ReferenceLayer);
  } else {
    gpuLayers.push(gpuLayer(kind, first(11, c.stack ? true : undefined)));
    refLayers.push(refLayer(kind, options(11, c.stack ? true : undefined)));
    if (c.stack) {
      gpuLayers.push(gpuLayer(kind, options(12)));
      refLayers.push(refLayer(kind, options(12)));
    }
  }
  const head = { units: 2, activation: 'tanh' as const, seed: 13 };
  gpuLayers.push(layers.dense(head));
  refLayers.push(reference.layers.dense(head));
  return { model: sequential(env.gpu, gpuLayers), ref: reference.sequential(refLayers) };
}

function makeData(c: Case, seed: number) {
  const random = new reference.Random(seed);
  const x = random.uniformArray(c.B * c.T * c.D);
  const rows = c.returnSequences ? c.B * c.T : c.B;
  return { x, y: random.uniformArray(rows * 2, -0.8, 0.8) };
}

describe.each(KINDS)('%s with dropout: GPU vs reference', (kind) => {
  // As the other GPU-vs-reference gradient tests: f32 sums over B·T rows of O(1) terms, 1e-6
  // absolute plus 1e-4 relative. The masks are equal bit for bit, so a wrong mask (or one
  // applied at the wrong place) shows as an O(1) relative error.
  test.each(cases)('$name (B=$B T=$T D=$D H=$H dropout=$dropout recurrentDropout=$recurrentDropout)', async (c) => {
    const { model, ref } = buildBoth(kind, c);
    model.compile({ optimizer: 'sgd', loss: c.loss });
    ref.compile({ optimizer: 'sgd', loss: c.loss });
    ref.setWeights(await model.getWeightData());
    const { x, y } = makeData(c, c.B * 100 + c.H);
    const xt = tensor(env.gpu, x, [c.B, c.T, c.D]);
    // Two draws: step 0 and step 1 masks (the counters advance together).
    for (let draw = 0; draw < 2; draw++) {
      const gpu = await model.gradients(xt, y);
      const expected = ref.gradients(reference.tensor(x, [c.B, c.T, c.D]), y);
      expect(Math.abs(gpu.loss - expected.loss)).toBeLessThan(1e-5 + 1e-5 * Math.abs(expected.loss));
      expected.grads.forEach((g, i) => expectClose(gpu.grads[i], g, 1e-6, 1e-4, `draw ${draw}: gradient of weight ${i}`));
    }
    xt.dispose();
    model.dispose();
  });

  test('three SGD steps: same losses and weights as the reference; predict ignores dropout', async () => {
    const c = cases[1];
    const { model, ref } = buildBoth(kind, c);
    // SGD, so that a weight's error is linear in its gradients' (Adam's m̂/(√v̂+ε) turns a 1e-6
    // absolute error of a gradient near zero into an O(lr) step: no bound holds there).
    const lr = 0.1;
    model.compile({ optimizer: { name: 'sgd', learningRate: lr }, loss: c.loss });
    ref.compile({ optimizer: { name: 'sgd', learningRate: lr }, loss: c.loss });
    ref.setWeights(await model.getWeightData());
    const { x, y } = makeData(c, 5);
    const xt = tensor(env.gpu, x, [c.B, c.T, c.D]);
    const steps = 3;
    // bound[i][j] = Σ over steps of lr·(1e-6 + 1e-4·|g|), the gradient bound of the test above,
    // with lr·|g| read off the reference's own step |Δw| (SGD: Δw = −lr·g), plus f32 rounding of
    // w − lr·g at each step (2⁻²⁴·|w|, written as 1e-7·|w|) and of the step itself.
    const initial = ref.getWeights();
    const bound = initial.map((w) => new Float64Array(w.length));
    for (let step = 0; step < steps; step++) {
      const before = ref.getWeights();
      const [gpuLoss] = await model.trainOnBatch(xt, y);
      const [refLoss] = ref.trainOnBatch(reference.tensor(x, [c.B, c.T, c.D]), y);
      expect(Math.abs(gpuLoss - refLoss)).toBeLessThan(1e-5 + 1e-5 * Math.abs(refLoss));
      ref.getWeights().forEach((w, i) => {
        for (let j = 0; j < w.length; j++) {
          const delta = Math.abs(w[j] - before[i][j]);
          bound[i][j] += lr * 1e-6 + 1e-4 * delta + 1e-7 * (Math.abs(w[j]) + delta);
        }
      });
    }
    const recurrent = model.layers[0] as Lstm | RecurrentLayer;
    expect(recurrent.dropoutMasks.step).toBe(steps);
    const weights = await model.getWeightData();
    ref.getWeights().forEach((w, i) => {
      const bad = [...w].findIndex((v, j) => !(Math.abs(weights[i][j] - v) <= bound[i][j]));
      expect(bad, `weight ${i}[${bad}] after ${steps} steps: ${weights[i][bad]} vs ${w[bad]} (bound ${bound[i][bad]})`).toBe(-1);
    });
    // The bound sits far below the steps themselves, which is what a wrong mask would cost.
    const moved = Math.max(...ref.getWeights().flatMap((w, i) => [...w].map((v, j) => Math.abs(v - initial[i][j]))));
    const widest = Math.max(...bound.flatMap((b) => [...b]));
    expect(moved).toBeGreaterThan(100 * widest);
    // Inference: no masks (the reference's apply draws none either), and the step stays.
    const predicted = await model.predict(xt).data();
    expectClose(predicted, ref.predict(reference.tensor(x, [c.B, c.T, c.D])).data, 1e-5, 1e-4, 'predict');
    expect(recurrent.dropoutMasks.step).toBe(3);
    xt.dispose();
    model.dispose();
  });
});

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

describe('reference gradients with dropout, by finite differences (masks fixed)', () => {
  test('LSTM: kernel, recurrent kernel, bias, input and initial state', () => {
    const random = new reference.Random(9);
    const [B, T, D, H] = [2, 3, 3, 4];
    const x = randomArray(random, B * T * D);
    const kernel = randomArray(random, D * 4 * H, 0.5);
    const recurrentKernel = randomArray(random, H * 4 * H, 0.5);
    const bias = randomArray(random, 4 * H, 0.1);
    const h0 = randomArray(random, B * H, 0.5);
    const c0 = randomArray(random, B * H, 0.5);
    const recurrentMask = sequenceDropoutScales(5, 0, B, H, 0.5);
    const dY = randomArray(random, B * T * H);
    const options = { activation: 'tanh' as const, recurrentActivation: 'sigmoid' as const };
    const loss = () => {
      const cache = lstmForwardTrain(x, { B, T, D, H }, { kernel, recurrentKernel, bias }, { ...options, initialState: { h: h0, c: c0 }, recurrentMask });
      // The loss pairs dY with the output sequence h[1..T] (time-major here, dY read the same way).
      return dot(cache.hseq.subarray(B * H), dY);
    };
    const cache = lstmForwardTrain(x, { B, T, D, H }, { kernel, recurrentKernel, bias }, { ...options, initialState: { h: h0, c: c0 }, recurrentMask });
    // dY is time-major above; lstmBackward takes a batch-major sequence gradient.
    const dYBatchMajor = new Float64Array(B * T * H);
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) dYBatchMajor[(b * T + t) * H + j] = dY[(t * B + b) * H + j];
    const g = lstmBackward(x, { B, T, D, H }, { kernel, recurrentKernel, bias }, options, cache, { sequence: dYBatchMajor }, {}, undefined, recurrentMask);
    expectClose(g.dKernel, numericGradient(kernel, loss), FD_ATOL, FD_RTOL, 'dKernel');
    expectClose(g.dRecurrentKernel, numericGradient(recurrentKernel, loss), FD_ATOL, FD_RTOL, 'dRecurrentKernel');
    expectClose(g.dBias, numericGradient(bias, loss), FD_ATOL, FD_RTOL, 'dBias');
    expectClose(g.dX, numericGradient(x, loss), FD_ATOL, FD_RTOL, 'dX');
    expectClose(g.dh0, numericGradient(h0, loss), FD_ATOL, FD_RTOL, 'dh0');
    expectClose(g.dc0, numericGradient(c0, loss), FD_ATOL, FD_RTOL, 'dc0');
    // The mask matters: without it the recurrent kernel's gradient differs.
    const unmasked = lstmBackward(x, { B, T, D, H }, { kernel, recurrentKernel, bias }, options, cache, { sequence: dYBatchMajor });
    expect(Math.max(...unmasked.dRecurrentKernel.map((v, i) => Math.abs(v - g.dRecurrentKernel[i])))).toBeGreaterThan(1e-3);
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

describe('reference gradients with recurrent dropout and a sequence mask, by finite differences', () => {
  // The GRU reads h' = h⊙m everywhere (TF.js) while a masked step carries the raw h: both paths
  // in one sequence (row 0 masked at step 1, row 1 at step 0).
  const [B, T, D, H] = [2, 3, 2, 3];
  const sequenceMask = Float64Array.from([1, 0, 1, 0, 1, 1]);
  test.each([true, false])('GRU resetAfter=%s', (resetAfter) => {
    const random = new reference.Random(21);
    const x = randomArray(random, B * T * D);
    const kernel = randomArray(random, D * 3 * H, 0.5);
    const recurrentKernel = randomArray(random, H * 3 * H, 0.5);
    const bias = randomArray(random, (resetAfter ? 6 : 3) * H, 0.1);
    const h0 = randomArray(random, B * H, 0.5);
    const recurrentMask = sequenceDropoutScales(8, 0, B, H, 0.4);
    const dY = randomArray(random, B * T * H);
    const options = { activation: 'tanh' as const, recurrentActivation: 'sigmoid' as const, resetAfter };
    const weights = { kernel, recurrentKernel, bias };
    const run = () => reference.gruForwardTrain(x, { B, T, D, H }, weights, { ...options, initialState: h0, mask: sequenceMask, recurrentMask });
    const loss = () => dot(batchMajor(run().hseq.subarray(B * H), B, T, H), dY);
    const g = reference.gruBackward(x, { B, T, D, H }, weights, options, run(), { sequence: dY }, {}, sequenceMask, recurrentMask);
    expectClose(g.dKernel, numericGradient(kernel, loss), FD_ATOL, FD_RTOL, 'dKernel');
    expectClose(g.dRecurrentKernel, numericGradient(recurrentKernel, loss), FD_ATOL, FD_RTOL, 'dRecurrentKernel');
    expectClose(g.dBias, numericGradient(bias, loss), FD_ATOL, FD_RTOL, 'dBias');
    expectClose(g.dX, numericGradient(x, loss), FD_ATOL, FD_RTOL, 'dX');
    expectClose(g.dh0, numericGradient(h0, loss), FD_ATOL, FD_RTOL, 'dh0');
  });

  test('SimpleRNN', () => {
    const random = new reference.Random(22);
    const x = randomArray(random, B * T * D);
    const kernel = randomArray(random, D * H, 0.5);
    const recurrentKernel = randomArray(random, H * H, 0.5);
    const bias = randomArray(random, H, 0.1);
    const h0 = randomArray(random, B * H, 0.5);
    const recurrentMask = sequenceDropoutScales(9, 0, B, H, 0.4);
    const dY = randomArray(random, B * T * H);
    const weights = { kernel, recurrentKernel, bias };
    const run = () => reference.simpleRnnForwardTrain(x, { B, T, D, H }, weights, { activation: 'tanh', initialState: h0, mask: sequenceMask, recurrentMask });
    const loss = () => dot(batchMajor(run().hseq.subarray(B * H), B, T, H), dY);
    const g = reference.simpleRnnBackward(x, { B, T, D, H }, weights, { activation: 'tanh' }, run(), { sequence: dY }, {}, sequenceMask, recurrentMask);
    expectClose(g.dRecurrentKernel, numericGradient(recurrentKernel, loss), FD_ATOL, FD_RTOL, 'dRecurrentKernel');
    expectClose(g.dX, numericGradient(x, loss), FD_ATOL, FD_RTOL, 'dX');
    expectClose(g.dh0, numericGradient(h0, loss), FD_ATOL, FD_RTOL, 'dh0');
  });
});

describe('the initial state gradient with dropout on the GPU', () => {
  // encodeBackward's stateGrads (an encoder–decoder's decoder state) with a recurrent mask and a
  // sequence mask: dh0 = (dG[0]·Uᵀ)⊙m plus the dh carried through masked first steps.
  test.each(KINDS)('%s', async (kind) => {
    const [B, T, D, H] = [3, 4, 5, 6];
    const random = new reference.Random(31);
    const x = random.uniformArray(B * T * D);
    const h0 = random.uniformArray(B * H, -0.5, 0.5);
    const dY = random.uniformArray(B * T * H);
    const sequenceMask = Float32Array.from({ length: B * T }, (_, i) => (i === 0 || i === 5 ? 0 : 1));
    const options = { units: H, returnSequences: true, recurrentDropout: 0.5, dropout: 0.2, seed: 4, inputShape: [T, D] as [number, number] };
    const layer = gpuLayer(kind, options) as Lstm | RecurrentLayer;
    const ref = refLayer(kind, options) as unknown as {
      setWeights(w: Float32Array[]): void;
      forwardTrain(
        x: unknown,
        state: unknown,
        mask: unknown,
      ): { saved: { draw?: { input?: Float64Array; recurrent?: Float64Array }; x: { data: Float64Array } } };
    };
    sequential(env.gpu, [layer]);
    const weights = await layer.getWeightData();
    ref.setWeights(weights);
    const c0 = new Float64Array(B * H);
    const forward = ref.forwardTrain(
      reference.tensor(x, [B, T, D]),
      kind === 'lstm' ? { h: Float64Array.from(h0), c: c0 } : { h: Float64Array.from(h0) },
      sequenceMask,
    );
    const draw = forward.saved.draw!;
    const dims = { B, T, D, H };
    const [kernel, recurrentKernel, bias] = weights;
    let expected: Float64Array;
    if (kind === 'lstm') {
      const w = { kernel, recurrentKernel, bias };
      const o = { activation: 'tanh' as const, recurrentActivation: 'sigmoid' as const };
      const cache = lstmForwardTrain(forward.saved.x.data, dims, w, {
        ...o,
        initialState: { h: h0, c: c0 },
        mask: sequenceMask,
        recurrentMask: draw.recurrent,
      });
      expected = lstmBackward(forward.saved.x.data, dims, w, o, cache, { sequence: dY }, {}, sequenceMask, draw.recurrent).dh0;
    } else if (kind === 'simpleRNN') {
      const w = { kernel, recurrentKernel, bias };
      const cache = reference.simpleRnnForwardTrain(forward.saved.x.data, dims, w, {
        activation: 'tanh',
        initialState: h0,
        mask: sequenceMask,
        recurrentMask: draw.recurrent,
      });
      expected = reference.simpleRnnBackward(
        forward.saved.x.data,
        dims,
        w,
        { activation: 'tanh' },
        cache,
        { sequence: dY },
        {},
        sequenceMask,
        draw.recurrent,
      ).dh0;
    } else {
      const w = { kernel, recurrentKernel, bias };
      const o = { activation: 'tanh' as const, recurrentActivation: 'sigmoid' as const, resetAfter: kind === 'gruResetAfter' };
      const cache = reference.gruForwardTrain(forward.saved.x.data, dims, w, { ...o, initialState: h0, mask: sequenceMask, recurrentMask: draw.recurrent });
      expected = reference.gruBackward(forward.saved.x.data, dims, w, o, cache, { sequence: dY }, {}, sequenceMask, draw.recurrent).dh0;
    }
    const xt = tensor(env.gpu, x, [B, T, D]);
    const maskT = tensor(env.gpu, sequenceMask, [B, T]);
    const state = { h: tensor(env.gpu, h0, [B, H]), c: tensor(env.gpu, c0, [B, H]) };
    const dYt = tensor(env.gpu, dYTimeMajor(dY, B, T, H), [T, B, H]);
    const grads = (await layer.getWeightData()).map((w) => tensor(env.gpu, new Float32Array(w.length), [w.length]));
    const dh0 = tensor(env.gpu, new Float32Array(B * H), [B, H]);
    const dc0 = tensor(env.gpu, new Float32Array(B * H), [B, H]);
    await env.gpu.submit('train with state gradients', (encoder, run) => {
      const { saved } = layer.encodeTrain(encoder, run, { ...flowOf(xt), mask: maskT.buffer }, { h: state.h.buffer, c: state.c.buffer });
      const dFlow = { buffer: dYt.buffer, offset: 0, shape: [B, T, H], timeMajor: true };
      layer.encodeBackward(
        encoder,
        run,
        saved,
        dFlow,
        grads.map((g) => g.buffer),
        false,
        { h: dh0.buffer, c: dc0.buffer },
      );
    });
    expectClose(await dh0.data(), expected, 1e-6, 1e-4, 'dh0');
    for (const t of [xt, maskT, state.h, state.c, dYt, dh0, dc0, ...grads]) t.dispose();
    layer.dispose();
  });
});

/** [T, B, F] time-major from [B, T, F] batch-major (or back, swapping the roles). */
function dYTimeMajor(values: ArrayLike<number>, B: number, T: number, F: number): Float32Array {
  const out = new Float32Array(B * T * F);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) out[(t * B + b) * F + f] = values[(b * T + t) * F + f];
  return out;
}

/** [B, T, F] batch-major from [T, B, F] time-major. */
function batchMajor(values: ArrayLike<number>, B: number, T: number, F: number): Float64Array {
  const out = new Float64Array(B * T * F);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let f = 0; f < F; f++) out[(b * T + t) * F + f] = values[(t * B + b) * F + f];
  return out;
}
