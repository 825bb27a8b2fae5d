// goBackwards (Keras) for LSTM, GRU (both resetAfter modes) and SimpleRNN on the GPU against
// the CPU reference, which runs the forward layer on a reversed copy of the input: outputs in
// processing order, from a batch-major input and from a time-major one (a layer below), the
// layer's vector–Jacobian product (weights and dX), a model's gradients through a stack, and
// the dispatches (the same as a forward layer's: the GEMMs read the steps reversed, no copy).
import { describe, expect, test } from 'vitest';
import { layers, sequential, tensor } from '../../src/index.js';
import { Gru } from '../../src/lstm/gru.js';
import { Lstm } from '../../src/lstm/lstm.js';
import { SimpleRnn } from '../../src/lstm/simpleRnn.js';
import { ReferenceDense } from '../../src/reference/dense.js';
import { ReferenceGru } from '../../src/reference/gru.js';
import { lossForward } from '../../src/reference/losses.js';
import { ReferenceLstm } from '../../src/reference/lstm.js';
import { Random } from '../../src/init/random.js';
import { reverseSteps } from '../../src/reference/sequenceOptions.js';
import { ReferenceSimpleRnn } from '../../src/reference/simpleRnn.js';
import { cpuTensor, type CpuTensor } from '../../src/reference/tensor.js';
import { countDispatches } from '../helpers/count.js';
import { expectClose, maxAbsError, useGpu } from '../helpers/gpu.js';

const env = useGpu();

// Forward: as the layer tests (forward.test.ts, recurrentForward.test.ts) — per-step f32
// errors ~1e-6 that the saturating cells do not amplify; 1e-4 is their stated bound. Reading
// the steps reversed changes no arithmetic, so the same bound holds.
const ATOL = 1e-4;
const RTOL = 1e-4;
// Gradients: as recurrentTraining.test.ts — f32 sums over B·T rows of O(1) products, relative
// errors ~1e-7·√(BT); 1e-6 absolute plus 1e-4 relative, while a reversed index gives errors of
// the size of the gradient itself.
const GRAD_ATOL = 1e-6;
const GRAD_RTOL = 1e-4;

type Config = {
  units: number;
  inputShape?: [number | null, number];
  returnSequences?: boolean;
  goBackwards?: boolean;
  seed?: number;
  biasInitializer?: 'randomUniform';
};
type RefLayer = ReferenceLstm | ReferenceGru | ReferenceSimpleRnn;
interface Family {
  name: string;
  gpu: (c: Config) => Lstm | Gru | SimpleRnn;
  ref: (c: Config) => RefLayer;
}

const families: Family[] = [
  { name: 'LSTM', gpu: (c) => new Lstm(c), ref: (c) => new ReferenceLstm(c) },
  { name: 'GRU resetAfter=true', gpu: (c) => new Gru({ ...c, resetAfter: true }), ref: (c) => new ReferenceGru({ ...c, resetAfter: true }) },
  { name: 'GRU resetAfter=false', gpu: (c) => new Gru({ ...c, resetAfter: false }), ref: (c) => new ReferenceGru({ ...c, resetAfter: false }) },
  { name: 'SimpleRNN', gpu: (c) => new SimpleRnn(c), ref: (c) => new ReferenceSimpleRnn(c) },
];

/** A reference layer's forward and the backward of that forward. */
function forward(layer: RefLayer, x: CpuTensor) {
  const f = (layer as ReferenceLstm).forwardTrain(x);
  return { y: f.y, backward: (d: Float64Array) => (layer as ReferenceLstm).backward(f.saved as never, d) };
}

describe.each(families)('$name goBackwards vs reference', (family) => {
  test.each([
    { B: 1, T: 1, D: 1, H: 1 },
    { B: 3, T: 7, D: 5, H: 37 },
  ])('returnSequences both ways, batch-major input, B=$B T=$T D=$D H=$H', async ({ B, T, D, H }) => {
    const { gpu } = env;
    const xs = new Random(B + T + D + H).uniformArray(B * T * D);
    for (const returnSequences of [false, true]) {
      const model = sequential(gpu, [family.gpu({ units: H, inputShape: [T, D], returnSequences, goBackwards: true, seed: 3 })]);
      const y = model.predict(tensor(gpu, xs, [B, T, D]));
      expect(y.shape).toEqual(returnSequences ? [B, T, H] : [B, H]);
      const ref = family.ref({ units: H, inputShape: [T, D], returnSequences, goBackwards: true });
      ref.setWeights(await model.getWeightData());
      const expected = forward(ref, cpuTensor(xs, [B, T, D])).y.data;
      expectClose(await y.data(), expected, ATOL, RTOL, `returnSequences=${returnSequences}`);
      // Keras's order: output step t is processing step t, i.e. input step T−1−t; the forward
      // layer on the reversed input gives the same values (here both from the reference).
      if (returnSequences) {
        const plain = family.ref({ units: H, inputShape: [T, D], returnSequences: true });
        plain.setWeights(await model.getWeightData());
        expectClose(
          expected,
          forward(plain, cpuTensor(reverseSteps(xs, B, T, D), [B, T, D])).y.data,
          0,
          0,
          'reference: goBackwards = forward on the reversed input',
        );
      }
      model.dispose();
    }
  });

  test('time-major input (a layer below), and the model gradients through the stack', async () => {
    const { gpu } = env;
    const [B, T, D, H] = [4, 6, 3, 9];
    const configs: Config[] = [
      { units: H, inputShape: [T, D], returnSequences: true, seed: 1, biasInitializer: 'randomUniform' },
      { units: H + 2, returnSequences: true, goBackwards: true, seed: 2, biasInitializer: 'randomUniform' },
    ];
    const model = sequential(gpu, [...configs.map((c) => family.gpu(c)), layers.dense({ units: 2, activation: 'sigmoid', seed: 3 })]);
    model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    const weights = await model.getWeightData();
    const stack = configs.map((c) => family.ref(c));
    const count = weights.length === 8 ? 3 : 2;
    stack[0].setWeights(weights.slice(0, count));
    stack[1].build(H);
    stack[1].setWeights(weights.slice(count, 2 * count));
    const head = new ReferenceDense({ units: 2, activation: 'sigmoid' });
    head.build(H + 2);
    head.setWeights(weights.slice(2 * count));
    const random = new Random(7);
    const x = random.uniformArray(B * T * D);
    const y = Float32Array.from({ length: B * T * 2 }, () => random.int(2));

    const f0 = forward(stack[0], cpuTensor(x, [B, T, D]));
    const f1 = forward(stack[1], f0.y);
    const h = head.forwardTrain(f1.y);
    expectClose(await model.predict(x, [B, T, D]).data(), h.y.data, ATOL, RTOL, 'predict');

    const loss = lossForward('binaryCrossentropy', h.y.data, y, B * T, 2, 'sigmoid');
    const headBack = head.backward(h.saved, loss.grad, loss.gradIsPreActivation);
    const b1 = f1.backward(headBack.dX);
    const b0 = f0.backward(b1.dX);
    const expected = [...b0.grads, ...b1.grads, ...headBack.grads];
    const got = await model.gradients(tensor(gpu, x, [B, T, D]), y);
    expect(Math.abs(got.loss - loss.loss)).toBeLessThan(1e-5 + 1e-5 * loss.loss);
    let worst = 0;
    expected.forEach((g, i) => {
      worst = Math.max(worst, maxAbsError(got.grads[i], g));
      expectClose(got.grads[i], g, GRAD_ATOL, GRAD_RTOL, `gradient of weight ${i}`);
    });
    console.log(`${family.name} goBackwards over a layer: max |gradient error| ${worst.toExponential(2)}`);
    model.dispose();
  });

  test.each([false, true])('layer gradients (weights and dX of a batch-major input), returnSequences %s', async (returnSequences) => {
    const { gpu } = env;
    const [B, T, D, H] = [3, 5, 4, 37];
    const random = new Random(21);
    const x = random.uniformArray(B * T * D);
    const dOut = random.uniformArray(returnSequences ? B * T * H : B * H);
    const layer = family.gpu({ units: H, returnSequences, goBackwards: true, seed: 2, biasInitializer: 'randomUniform' });
    const g = await layer.gradients(tensor(gpu, x, [B, T, D]), tensor(gpu, dOut, returnSequences ? [B, T, H] : [B, H]));
    const ref = family.ref({ units: H, returnSequences, goBackwards: true });
    ref.build(D);
    ref.setWeights(await layer.getWeightData());
    const expected = forward(ref, cpuTensor(x, [B, T, D])).backward(Float64Array.from(dOut));
    // dOutput is ±1 on every unit, so the gradients are larger than a model's; the same bound.
    expected.grads.forEach((e, i) => expectClose(g.weights[i], e, GRAD_ATOL, GRAD_RTOL, `weight ${i}`));
    expectClose(g.x, expected.dX, GRAD_ATOL, GRAD_RTOL, 'dX');
    layer.dispose();
  });

  test('the same dispatches as the forward layer (T + 1 a layer for a one-dispatch step), one submit', async () => {
    const { gpu } = env;
    const [B, T, D, H] = [2, 8, 3, 5];
    const x = tensor(gpu, new Random(2).uniformArray(B * T * D), [B, T, D]);
    const counts = [false, true].map((goBackwards) => {
      const model = sequential(gpu, [family.gpu({ units: H, inputShape: [T, D], returnSequences: true, goBackwards, seed: 1 })]);
      model.predict(x).dispose(); // compiles
      const { result, dispatches, submits } = countDispatches(gpu, () => model.predict(x));
      result.dispose();
      model.dispose();
      return { dispatches, submits };
    });
    expect(counts[1]).toEqual(counts[0]);
    expect(counts[1].submits).toBe(1);
  });
});

test('truncated BPTT refuses a goBackwards layer (its windows would run forward in time)', async () => {
  const { gpu } = env;
  const model = sequential(gpu, [layers.gru({ units: 3, inputShape: [6, 2], goBackwards: true }), layers.dense({ units: 1 })]);
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const before = await model.getWeightData();
  await expect(model.fit(tensor(gpu, new Float32Array(4 * 6 * 2), [4, 6, 2]), new Float32Array(4), { batchSize: 4, tbptt: 2 })).rejects.toThrowError(
    /goBackwards.*tbptt/,
  );
  expect(await model.getWeightData()).toEqual(before);
  model.dispose();
});
