// Bidirectional(LSTM | GRU | SimpleRNN) on the GPU against its CPU twin: every merge mode with
// sequence and last-step outputs, mergeMode null through apply(), gradients (the layer's
// vector–Jacobian product and a model's through a stack), save / load, and the dispatches.
import { describe, expect, test } from 'vitest';
import { layers, loadModel, sequential, tensor, type Tensor } from '../../src/index.js';
import { Bidirectional, type MergeMode } from '../../src/lstm/bidirectional.js';
import { Gru } from '../../src/lstm/gru.js';
import { Lstm } from '../../src/lstm/lstm.js';
import { SimpleRnn } from '../../src/lstm/simpleRnn.js';
import { ReferenceBidirectional } from '../../src/reference/bidirectional.js';
import { ReferenceDense } from '../../src/reference/dense.js';
import { ReferenceGru } from '../../src/reference/gru.js';
import { lossForward } from '../../src/reference/losses.js';
import { ReferenceLstm } from '../../src/reference/lstm.js';
import { Random } from '../../src/init/random.js';
import { ReferenceSimpleRnn } from '../../src/reference/simpleRnn.js';
import { cpuTensor, type CpuTensor } from '../../src/reference/tensor.js';
import { countDispatches } from '../helpers/count.js';
import { expectClose, maxAbsError, useGpu } from '../helpers/gpu.js';

const env = useGpu();

// Forward: each direction is a recurrent layer with the layer tests' bound (1e-4, see
// recurrentForward.test.ts); the merge adds at most one f32 operation (sum, product or half),
// which is within the same bound.
const ATOL = 1e-4;
const RTOL = 1e-4;
// Gradients: as recurrentTraining.test.ts — f32 sums over B·T rows, 1e-6 absolute plus 1e-4
// relative; the merge's backward is one f32 product at most.
const GRAD_ATOL = 1e-6;
const GRAD_RTOL = 1e-4;

type Config = {
  units: number;
  inputShape?: [number | null, number];
  returnSequences?: boolean;
  seed?: number;
  biasInitializer?: 'randomUniform';
  stateful?: boolean;
};
interface Family {
  name: string;
  gpu: (c: Config) => Lstm | Gru | SimpleRnn;
  ref: (c: Config) => ReferenceLstm | ReferenceGru | ReferenceSimpleRnn;
}

const families: Family[] = [
  { name: 'LSTM', gpu: (c) => new Lstm(c), ref: (c) => new ReferenceLstm(c) },
  { name: 'GRU resetAfter=true', gpu: (c) => new Gru({ ...c, resetAfter: true }), ref: (c) => new ReferenceGru({ ...c, resetAfter: true }) },
  { name: 'GRU resetAfter=false', gpu: (c) => new Gru({ ...c, resetAfter: false }), ref: (c) => new ReferenceGru({ ...c, resetAfter: false }) },
  { name: 'SimpleRNN', gpu: (c) => new SimpleRnn(c), ref: (c) => new ReferenceSimpleRnn(c) },
];
const modes: Exclude<MergeMode, null>[] = ['concat', 'sum', 'mul', 'ave'];

function both(family: Family, config: Config, mergeMode: MergeMode) {
  const layer = new Bidirectional({ layer: family.gpu(config), mergeMode });
  const ref = new ReferenceBidirectional({ layer: family.ref(config), mergeMode });
  return { layer, ref };
}

describe.each(families)('Bidirectional($name) vs reference', (family) => {
  test.each(modes)('mergeMode %s, sequence and last-step outputs', async (mergeMode) => {
    const { gpu } = env;
    const [B, T, D, H] = [3, 5, 4, 37];
    const xs = new Random(11).uniformArray(B * T * D);
    for (const returnSequences of [true, false]) {
      const { layer, ref } = both(family, { units: H, inputShape: [T, D], returnSequences, seed: 4, biasInitializer: 'randomUniform' }, mergeMode);
      const model = sequential(gpu, [layer]);
      const W = mergeMode === 'concat' ? 2 * H : H;
      expect(model.outputShape()).toEqual(returnSequences ? [T, W] : [W]);
      ref.setWeights(await model.getWeightData());
      const y = model.predict(tensor(gpu, xs, [B, T, D]));
      expect(y.shape).toEqual(returnSequences ? [B, T, W] : [B, W]);
      expectClose(await y.data(), ref.forwardTrain(cpuTensor(xs, [B, T, D])).y.data, ATOL, RTOL, `returnSequences=${returnSequences}`);
      model.dispose();
    }
  });
});

test('one of everything (B = T = D = H = 1), every mode', async () => {
  const { gpu } = env;
  for (const mergeMode of modes) {
    const { layer, ref } = both(families[0], { units: 1, inputShape: [1, 1], returnSequences: true, seed: 1 }, mergeMode);
    const model = sequential(gpu, [layer]);
    ref.setWeights(await model.getWeightData());
    expectClose(await model.predict([[[0.7]]], [1, 1, 1]).data(), ref.forwardTrain(cpuTensor([0.7], [1, 1, 1])).y.data, ATOL, RTOL, mergeMode);
    model.dispose();
  }
});

// One family a mode, returnSequences alternating: each direction's BPTT is the layers' own
// (tested there); what is new is the merge's backward and the shared dX.
describe.each([
  { family: families[0], mergeMode: 'concat' as const, returnSequences: true },
  { family: families[1], mergeMode: 'sum' as const, returnSequences: false },
  { family: families[3], mergeMode: 'mul' as const, returnSequences: true },
  { family: families[2], mergeMode: 'ave' as const, returnSequences: true },
  { family: families[1], mergeMode: 'mul' as const, returnSequences: false },
])('gradients: Bidirectional($family.name), $mergeMode, returnSequences $returnSequences', ({ family, mergeMode, returnSequences }) => {
  test('layer gradients: weights (forward then backward) and dX', async () => {
    const { gpu } = env;
    const [B, T, D, H] = [3, 6, 5, 9];
    const random = new Random(31);
    const x = random.uniformArray(B * T * D);
    const { layer, ref } = both(family, { units: H, returnSequences, seed: 2, biasInitializer: 'randomUniform' }, mergeMode);
    const W = layer.outputUnits;
    const dOut = random.uniformArray(returnSequences ? B * T * W : B * W);
    const g = await layer.gradients(tensor(gpu, x, [B, T, D]), tensor(gpu, dOut, returnSequences ? [B, T, W] : [B, W]));
    ref.build(D);
    ref.setWeights(await layer.getWeightData());
    const f = ref.forwardTrain(cpuTensor(x, [B, T, D]));
    const expected = ref.backward(f.saved, Float64Array.from(dOut));
    expect(g.weights.length).toBe(expected.grads.length);
    expected.grads.forEach((e, i) => expectClose(g.weights[i], e, GRAD_ATOL, GRAD_RTOL, `weight ${i}`));
    expectClose(g.x, expected.dX, GRAD_ATOL, GRAD_RTOL, 'dX');
    layer.dispose();
  });

  test('model gradients of a stack (recurrent below, Dense above)', async () => {
    const { gpu } = env;
    const [B, T, D, H] = [4, 5, 3, 7];
    const below: Config = { units: H, inputShape: [T, D], returnSequences: true, seed: 5 };
    const inner: Config = { units: H + 1, returnSequences, seed: 6, biasInitializer: 'randomUniform' };
    const { layer, ref } = both(family, inner, mergeMode);
    const model = sequential(gpu, [family.gpu(below), layer, layers.dense({ units: 2, seed: 7 })]);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const weights = await model.getWeightData();
    const refBelow = family.ref(below);
    const n = refBelow.weightCount();
    refBelow.setWeights(weights.slice(0, n));
    ref.build(H);
    ref.setWeights(weights.slice(n, n + ref.weightCount()));
    const head = new ReferenceDense({ units: 2 });
    head.build(ref.outputUnits);
    head.setWeights(weights.slice(n + ref.weightCount()));
    const random = new Random(8);
    const x = random.uniformArray(B * T * D);
    const rows = returnSequences ? B * T : B;
    const y = random.uniformArray(rows * 2, -0.8, 0.8);

    const f0 = (refBelow as ReferenceLstm).forwardTrain(cpuTensor(x, [B, T, D]));
    const f1 = ref.forwardTrain(f0.y);
    const h = head.forwardTrain(f1.y);
    const loss = lossForward('meanSquaredError', h.y.data, y, rows, 2, 'linear');
    const headBack = head.backward(h.saved, loss.grad, loss.gradIsPreActivation);
    const b1 = ref.backward(f1.saved, headBack.dX);
    const b0 = (refBelow as ReferenceLstm).backward(f0.saved as never, b1.dX);
    const expected = [...b0.grads, ...b1.grads, ...headBack.grads];

    const got = await model.gradients(tensor(gpu, x, [B, T, D]), y);
    expect(Math.abs(got.loss - loss.loss)).toBeLessThan(1e-5 + 1e-5 * loss.loss);
    let worst = 0;
    expected.forEach((e, i) => {
      worst = Math.max(worst, maxAbsError(got.grads[i], e));
      expectClose(got.grads[i], e, GRAD_ATOL, GRAD_RTOL, `gradient of weight ${i}`);
    });
    console.log(`Bidirectional(${family.name}) ${mergeMode}: max |gradient error| ${worst.toExponential(2)}`);
    model.dispose();
  });
});

describe('mergeMode null', () => {
  test('apply gives [forward, backward] with the backward sequence in the input step order', async () => {
    const { gpu } = env;
    const [B, T, D, H] = [2, 4, 3, 5];
    const xs = new Random(3).uniformArray(B * T * D);
    for (const returnSequences of [true, false]) {
      const { layer, ref } = both(families[1], { units: H, returnSequences, seed: 9 }, null);
      const [f, r] = layer.apply(tensor(gpu, xs, [B, T, D])) as Tensor[];
      ref.build(D);
      ref.setWeights(await layer.getWeightData());
      const [rf, rr] = ref.apply(cpuTensor(xs, [B, T, D])) as CpuTensor[];
      expect([f.shape, r.shape]).toEqual(
        returnSequences
          ? [
              [B, T, H],
              [B, T, H],
            ]
          : [
              [B, H],
              [B, H],
            ],
      );
      expectClose(await f.data(), rf.data, ATOL, RTOL, 'forward');
      expectClose(await r.data(), rr.data, ATOL, RTOL, 'backward');
      layer.dispose();
    }
  });

  test('a Sequential model refuses it, naming the fix', () => {
    const { gpu } = env;
    const layer = new Bidirectional({ layer: new Lstm({ units: 3, inputShape: [4, 2] }), mergeMode: null });
    expect(() => sequential(gpu, [layer])).toThrowError(/mergeMode null.*Sequential.*Use mergeMode 'concat'/);
  });
});

test('bad options name the problem', () => {
  expect(() => new Bidirectional({ layer: layers.dense({ units: 2 }) as never })).toThrowError(/wraps a recurrent layer.*got dense/);
  expect(() => new Bidirectional({ layer: new Lstm({ units: 2 }), mergeMode: 'max' as never })).toThrowError(/mergeMode "max" is not one of/);
  expect(() => new Bidirectional({ layer: new Gru({ units: 2, returnState: true }) })).toThrowError(/returnState/);
});

test("directions named as Keras, weights in Keras order, the wrapped layer's config copied (goBackwards flipped)", () => {
  const { gpu } = env;
  const layer = new Bidirectional({ layer: new Gru({ units: 3, name: 'enc', inputShape: [5, 2], resetAfter: false }), name: 'bi' });
  const model = sequential(gpu, [layer]);
  expect([layer.forwardLayer.name, layer.backwardLayer.name]).toEqual(['forward_enc', 'backward_enc']);
  expect([layer.forwardLayer.config.goBackwards, layer.backwardLayer.config.goBackwards]).toEqual([false, true]);
  expect(layer.weightTensors.map((w) => w.shape)).toEqual([[2, 9], [3, 9], [9], [2, 9], [3, 9], [9]]);
  expect(model.countParams()).toBe(2 * (18 + 27 + 9));
  model.dispose();
});

test('save and load round trip: a nested layer config, bit-identical predictions', async () => {
  const { gpu } = env;
  const [B, T, D] = [2, 6, 3];
  const model = sequential(gpu, [
    new Bidirectional({ layer: new Lstm({ units: 4, inputShape: [T, D], returnSequences: true, seed: 1 }), mergeMode: 'ave' }),
    new Bidirectional({ layer: new Gru({ units: 3, resetAfter: true, seed: 2, biasInitializer: 'randomUniform' }) }),
    layers.dense({ units: 2, seed: 3 }),
  ]);
  const x = new Random(5).uniformArray(B * T * D);
  const before = await model.predict(x, [B, T, D]).data();
  const saved = await model.save();
  const topology = saved.modelJson.modelTopology.layers;
  expect(topology.map((l) => l.className)).toEqual(['Bidirectional', 'Bidirectional', 'Dense']);
  expect(topology[0].config).toMatchObject({ mergeMode: 'ave', layer: { className: 'LSTM', config: { units: 4, returnSequences: true } } });
  expect(topology[1].config).toMatchObject({ mergeMode: 'concat', layer: { className: 'GRU', config: { units: 3, resetAfter: true } } });
  const names = saved.modelJson.weightsManifest.weights.map((w) => w.name);
  expect(names.slice(0, 6)).toEqual(
    [0, 1, 2, 3, 4, 5].map(
      (i) =>
        `${model.layers[0].name}/${i < 3 ? 'forward' : 'backward'}_${(model.layers[0] as Bidirectional).template.name}/${['kernel', 'recurrent_kernel', 'bias'][i % 3]}`,
    ),
  );
  const loaded = await loadModel(gpu, saved);
  expect(loaded.layers[1]).toBeInstanceOf(Bidirectional);
  expect((loaded.layers[1] as Bidirectional).forwardLayer).toBeInstanceOf(Gru);
  expect(await loaded.predict(x, [B, T, D]).data()).toEqual(before);
  // A wrapped type that cannot be wrapped is a clear load error.
  const bad = structuredClone(saved.modelJson);
  bad.modelTopology.layers[1].config.layer = { className: 'Dense', config: { units: 3 } };
  await expect(loadModel(gpu, { modelJson: bad, weights: saved.weights })).rejects.toThrowError(/Bidirectional.*wraps LSTM, GRU or SimpleRNN.*Dense/);
  model.dispose();
  loaded.dispose();
});

test('dispatches: both directions, one merge (and the output copy) in one submit; the backward adds one merge backward', async () => {
  const { gpu } = env;
  const [B, T, D, H] = [2, 7, 3, 5];
  const x = tensor(gpu, new Random(4).uniformArray(B * T * D), [B, T, D]);
  const model = sequential(gpu, [new Bidirectional({ layer: new Lstm({ units: H, inputShape: [T, D], returnSequences: true, seed: 1 }) })]);
  model.predict(x).dispose(); // compiles
  const buffers = gpu.pool.created;
  const { result, dispatches, submits } = countDispatches(gpu, () => model.predict(x));
  result.dispose();
  // Each direction: 1 input projection + the steps (B=2, H=5: one persistent dispatch); then
  // the merge, then the batch-major copy.
  expect({ dispatches, submits }).toEqual({ dispatches: 2 * (1 + 1) + 1 + 1, submits: 1 });
  expect(gpu.pool.created - buffers).toBe(0);

  // The layer's gradients: forward (as above, without the copy) + dY to time-major (1) + merge
  // backward (1) + per direction transpose (1), the backward steps (one persistent dispatch),
  // dWx, dWh, db, dX (4) + dX to batch-major once (1).
  const layer = model.layers[0] as Bidirectional;
  const dOut = tensor(gpu, new Float32Array(B * T * 2 * H).fill(0.1), [B, T, 2 * H]);
  await layer.gradients(x, dOut);
  const counted = countDispatches(gpu, () => layer.gradients(x, dOut));
  await counted.result;
  const forward = 2 * (1 + 1) + 1;
  expect(counted.dispatches).toBe(forward + 1 + 1 + 2 * (1 + 1 + 4) + 1);
  console.log(`Bidirectional(LSTM) T=${T}: predict ${dispatches} dispatches, gradients ${counted.dispatches}`);
  model.dispose();
});
