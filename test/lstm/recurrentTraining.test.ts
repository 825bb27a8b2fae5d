// Training GRU (both resetAfter modes) and SimpleRNN models on the GPU against the CPU
// reference: the gradient of every weight through a Dense head and a stack, the layer's
// vector–Jacobian product with an initial state, truncated BPTT's carried state, and the
// buffers of a steady-state step.
import { describe, expect, test } from 'vitest';
import { layers, sequential, tensor, type LossName } from '../../src/index.js';
import { Gru } from '../../src/lstm/gru.js';
import type { GruConfig } from '../../src/spec/recurrentConfig.js';
import { SimpleRnn } from '../../src/lstm/simpleRnn.js';
import { ReferenceDense } from '../../src/reference/dense.js';
import { gruBackward, gruForwardTrain, ReferenceGru } from '../../src/reference/gru.js';
import { lossForward } from '../../src/reference/losses.js';
import { Random } from '../../src/init/random.js';
import { ReferenceSimpleRnn, simpleRnnBackward, simpleRnnForwardTrain } from '../../src/reference/simpleRnn.js';
import { cpuTensor, type CpuTensor } from '../../src/reference/tensor.js';
import { expectClose, useGpu } from '../helpers/gpu.js';
import { type Case, expectSteadyTrainingStep, makeData } from '../helpers/trainingCases.js';

const env = useGpu();

type RefRecurrent = ReferenceGru | ReferenceSimpleRnn;

interface Family {
  name: string;
  gpu: (c: GruConfig) => Gru | SimpleRnn;
  ref: (c: GruConfig) => RefRecurrent;
}

const families: Family[] = [
  { name: 'GRU resetAfter=true', gpu: (c) => new Gru({ ...c, resetAfter: true }), ref: (c) => new ReferenceGru({ ...c, resetAfter: true }) },
  { name: 'GRU resetAfter=false', gpu: (c) => new Gru({ ...c, resetAfter: false }), ref: (c) => new ReferenceGru({ ...c, resetAfter: false }) },
  { name: 'SimpleRNN', gpu: (c) => new SimpleRnn(c), ref: (c) => new ReferenceSimpleRnn(c) },
];

const cases: Case[] = [
  { name: 'one of everything', B: 1, T: 1, D: 1, H: 1, returnSequences: false, head: { units: 1, activation: 'linear' }, loss: 'meanSquaredError' },
  {
    name: 'softmax head, categorical CE',
    B: 4,
    T: 6,
    D: 13,
    H: 37,
    returnSequences: false,
    head: { units: 3, activation: 'softmax' },
    loss: 'categoricalCrossentropy',
  },
  {
    name: 'per-step sigmoid head, binary CE',
    B: 3,
    T: 5,
    D: 4,
    H: 9,
    returnSequences: true,
    head: { units: 2, activation: 'sigmoid' },
    loss: 'binaryCrossentropy',
  },
  {
    name: 'stack of two, batch 5',
    B: 5,
    T: 4,
    D: 3,
    H: 65,
    returnSequences: false,
    stack: true,
    head: { units: 1, activation: 'tanh' },
    loss: 'meanAbsoluteError',
  },
];

/** A reference layer's forward, and the backward of that forward. */
function forward(layer: RefRecurrent, x: CpuTensor, state?: { h: Float64Array }) {
  if (layer instanceof ReferenceGru) {
    const f = layer.forwardTrain(x, state);
    return { y: f.y, state: f.state, backward: (d: Float64Array) => layer.backward(f.saved, d) };
  }
  const f = layer.forwardTrain(x, state);
  return { y: f.y, state: f.state, backward: (d: Float64Array) => layer.backward(f.saved, d) };
}

/**
 * The reference model's loss and gradients (Keras order), as ReferenceSequential computes
 * them: recurrent layers, a Dense head, the loss (fused with the head where the GPU fuses it).
 */
function referenceGradients(stack: RefRecurrent[], head: ReferenceDense, x: CpuTensor, y: ArrayLike<number>, loss: LossName, state?: { h: Float64Array }) {
  const backs: ((d: Float64Array) => { grads: Float64Array[]; dX: Float64Array })[] = [];
  let value = x;
  for (const layer of stack) {
    const f = forward(layer, value, state);
    backs.push(f.backward);
    value = f.y;
  }
  const h = head.forwardTrain(value);
  const cols = head.units;
  const rows = h.y.data.length / cols;
  const activation = head.config.activation === 'hardSigmoid' ? 'linear' : head.config.activation;
  const result = lossForward(loss, h.y.data, y, rows, cols, activation);
  const headBack = head.backward(h.saved, result.grad, result.gradIsPreActivation);
  const grads: Float64Array[][] = [headBack.grads];
  let d = headBack.dX;
  for (let i = backs.length - 1; i >= 0; i--) {
    const step = backs[i](d);
    grads.unshift(step.grads);
    d = step.dX;
  }
  return { loss: result.loss, grads: grads.flat() };
}

function buildBoth(family: Family, c: Case) {
  const recurrent = (i: number, last: boolean) => ({
    units: c.H,
    returnSequences: last ? c.returnSequences : true,
    seed: 1 + i,
    ...(i === 0 ? { inputShape: [c.T, c.D] as [number, number] } : {}),
  });
  const configs = c.stack ? [recurrent(0, false), recurrent(1, true)] : [recurrent(0, true)];
  const model = sequential(env.gpu, [...configs.map((cfg) => family.gpu(cfg)), layers.dense({ ...c.head, seed: 9 })]);
  const stack = configs.map((cfg) => family.ref(cfg));
  const head = new ReferenceDense({ ...c.head });
  const setReferenceWeights = async () => {
    const weights = await model.getWeightData();
    let at = 0;
    let features = c.D;
    for (const layer of stack) {
      layer.build(features);
      layer.setWeights(weights.slice(at, (at += layer.weightCount())));
      features = c.H;
    }
    head.build(c.H);
    head.setWeights(weights.slice(at));
  };
  return { model, stack, head, setReferenceWeights };
}

describe.each(families)('$name gradients: GPU vs reference', (family) => {
  // As the LSTM's: each gradient is a sum over B·T rows of f32 products of O(1) values, so f32
  // rounding gives relative errors ~1e-7·√(BT); the loss gradients feeding them are f32 too.
  // 1e-6 absolute plus 1e-4 relative is a wide margin (measured: the log lines), while a wrong
  // term or index gives errors of the size of the gradient itself.
  test.each(cases)('$name (B=$B T=$T D=$D H=$H)', async (c) => {
    const { model, stack, head, setReferenceWeights } = buildBoth(family, c);
    model.compile({ optimizer: 'sgd', loss: c.loss });
    await setReferenceWeights();
    const { x, y } = makeData(c, c.B * 100 + c.T);
    const got = await model.gradients(tensor(env.gpu, x, [c.B, c.T, c.D]), y);
    const expected = referenceGradients(stack, head, cpuTensor(x, [c.B, c.T, c.D]), y, c.loss);
    expect(Math.abs(got.loss - expected.loss)).toBeLessThan(1e-5 + 1e-5 * Math.abs(expected.loss));
    expect(got.grads.length).toBe(expected.grads.length);
    let worst = 0;
    expected.grads.forEach((g, i) => {
      for (let k = 0; k < g.length; k++) worst = Math.max(worst, Math.abs(got.grads[i][k] - g[k]));
      expectClose(got.grads[i], g, 1e-6, 1e-4, `gradient of weight ${i}`);
    });
    console.log(`${family.name}, ${c.name}: max |gradient error| ${worst.toExponential(2)}`);
    model.dispose();
  });

  test.each([false, true])('layer gradients with an initial state, returnSequences %s', async (returnSequences) => {
    const [B, T, D, H] = [3, 4, 5, 37];
    const random = new Random(21);
    const x = random.uniformArray(B * T * D);
    const h0 = random.uniformArray(B * H);
    const dOut = random.uniformArray(returnSequences ? B * T * H : B * H);
    const layer = family.gpu({ units: H, returnSequences, seed: 2, biasInitializer: 'randomUniform' });
    const g = await layer.gradients(tensor(env.gpu, x, [B, T, D]), tensor(env.gpu, dOut, returnSequences ? [B, T, H] : [B, H]), {
      initialState: [tensor(env.gpu, h0, [B, H])],
    });
    const [kernel, recurrentKernel, bias] = await layer.getWeightData();
    const dims = { B, T, D, H };
    const weights = { kernel, recurrentKernel, bias };
    const dY = returnSequences ? { sequence: dOut } : { last: dOut };
    let expected: { dKernel: Float64Array; dRecurrentKernel: Float64Array; dBias: Float64Array; dX: Float64Array; dh0: Float64Array };
    if (layer instanceof Gru) {
      const options = { activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: layer.config.resetAfter } as const;
      expected = gruBackward(x, dims, weights, options, gruForwardTrain(x, dims, weights, { ...options, initialState: h0 }), dY);
    } else {
      expected = simpleRnnBackward(
        x,
        dims,
        weights,
        { activation: 'tanh' },
        simpleRnnForwardTrain(x, dims, weights, { activation: 'tanh', initialState: h0 }),
        dY,
      );
    }
    // As the model gradients: f32 sums over B·T rows. dOutput is ±1 on every unit here, so the
    // gradients are larger than the model's; measured ≤ 1.1e-6 absolute (SimpleRNN's dU).
    [expected.dKernel, expected.dRecurrentKernel, expected.dBias].forEach((e, i) => expectClose(g.weights[i], e, 1e-6, 1e-4, `weight ${i}`));
    expectClose(g.x, expected.dX, 1e-6, 1e-4, 'dX');
    expectClose(g.initialState[0], expected.dh0, 1e-6, 1e-4, 'dh0');
  });

  test('truncated BPTT carries the state: one SGD step with a last-step target equals the reference', async () => {
    // fit with tbptt 3 over 8 steps: windows [0,3) and [3,6) only carry h forward, [6,8) trains
    // from the carried h (no gradient flows into the earlier windows).
    const c: Case = { name: 'tbptt', B: 4, T: 8, D: 2, H: 6, returnSequences: false, head: { units: 2, activation: 'linear' }, loss: 'meanSquaredError' };
    const { model, stack, head, setReferenceWeights } = buildBoth(family, c);
    const learningRate = 0.1;
    model.compile({ optimizer: { name: 'sgd', learningRate }, loss: c.loss });
    await setReferenceWeights();
    const before = await model.getWeightData();
    const { x, y } = makeData(c, 12);
    await model.fit(tensor(env.gpu, x, [c.B, c.T, c.D]), y, { epochs: 1, batchSize: c.B, shuffle: false, tbptt: 3 });
    const window = (t0: number, steps: number) => {
      const part = new Float64Array(c.B * steps * c.D);
      for (let b = 0; b < c.B; b++) part.set(x.subarray((b * c.T + t0) * c.D, (b * c.T + t0 + steps) * c.D), b * steps * c.D);
      return cpuTensor(part, [c.B, steps, c.D]);
    };
    let state = forward(stack[0], window(0, 3)).state;
    state = forward(stack[0], window(3, 3), state).state;
    const expected = referenceGradients(stack, head, window(6, 2), y, c.loss, state);
    const after = await model.getWeightData();
    // w − lr·g in f32: the gradient's error (≤ 1e-6, as above) times lr, plus f32 rounding of w.
    after.forEach((w, i) =>
      expectClose(
        w,
        before[i].map((v, k) => v - learningRate * expected.grads[i][k]),
        1e-6,
        1e-5,
        `weight ${i} after the step`,
      ),
    );
    model.dispose();
  });

  test('a steady-state training step creates no GPU buffers and compiles nothing', async () => {
    const c: Case = {
      name: 'steady',
      B: 8,
      T: 6,
      D: 3,
      H: 10,
      returnSequences: true,
      stack: true,
      head: { units: 2, activation: 'sigmoid' },
      loss: 'binaryCrossentropy',
    };
    const { model } = buildBoth(family, c);
    await expectSteadyTrainingStep(env.gpu, model, c);
  });
});
