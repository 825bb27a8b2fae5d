// stateful (Keras) for LSTM, GRU and SimpleRNN: the final state stays on the GPU between
// calls. Two halves of a sequence equal the whole, resetStates() gives the fresh behaviour
// back, a batch of another size is a clear error, and in training the state carries from batch
// to batch as in the CPU twin (gradients, and a fit without shuffling).
import { describe, expect, test } from 'vitest';
import { layers, reference, sequential, tensor } from '../../src/index.js';
import { Bidirectional } from '../../src/lstm/bidirectional.js';
import { Gru } from '../../src/lstm/gru.js';
import { Lstm } from '../../src/lstm/lstm.js';
import { SimpleRnn } from '../../src/lstm/simpleRnn.js';
import { ReferenceDense } from '../../src/reference/dense.js';
import { ReferenceGru } from '../../src/reference/gru.js';
import { lossForward } from '../../src/reference/losses.js';
import { ReferenceLstm } from '../../src/reference/lstm.js';
import { Random } from '../../src/init/random.js';
import { ReferenceSimpleRnn } from '../../src/reference/simpleRnn.js';
import { cpuTensor } from '../../src/reference/tensor.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();

// GPU vs Float64: as the layer tests (recurrentForward.test.ts), 1e-4.
const ATOL = 1e-4;
const RTOL = 1e-4;

type Config = {
  units: number;
  inputShape?: [number | null, number];
  returnSequences?: boolean;
  stateful?: boolean;
  goBackwards?: boolean;
  seed?: number;
  biasInitializer?: 'randomUniform';
};
const families = [
  { name: 'LSTM', gpu: (c: Config) => new Lstm(c), ref: (c: Config) => new ReferenceLstm(c) },
  { name: 'GRU resetAfter=true', gpu: (c: Config) => new Gru({ ...c, resetAfter: true }), ref: (c: Config) => new ReferenceGru({ ...c, resetAfter: true }) },
  { name: 'GRU resetAfter=false', gpu: (c: Config) => new Gru({ ...c, resetAfter: false }), ref: (c: Config) => new ReferenceGru({ ...c, resetAfter: false }) },
  { name: 'SimpleRNN', gpu: (c: Config) => new SimpleRnn(c), ref: (c: Config) => new ReferenceSimpleRnn(c) },
];

/** Steps from … from+steps of x [B, T, D]. */
function slice(x: Float32Array, B: number, T: number, D: number, from: number, steps: number): Float32Array {
  const out = new Float32Array(B * steps * D);
  for (let b = 0; b < B; b++) out.set(x.subarray((b * T + from) * D, (b * T + from + steps) * D), b * steps * D);
  return out;
}

describe.each(families)('$name stateful', (family) => {
  test('two halves equal the whole sequence; resetStates gives the fresh output back', async () => {
    const { gpu } = env;
    const [B, T, D, H] = [3, 8, 4, 9];
    const x = new Random(5).uniformArray(B * T * D);
    const config = { units: H, inputShape: [T, D] as [number, number], returnSequences: true, seed: 2, biasInitializer: 'randomUniform' as const };
    const whole = sequential(gpu, [family.gpu(config), layers.dense({ units: 2, seed: 3 })]);
    const model = sequential(gpu, [family.gpu({ ...config, stateful: true }), layers.dense({ units: 2, seed: 3 })]);
    model.setWeights(await whole.getWeightData());
    const expected = await whole.predict(x, [B, T, D]).data();

    const first = await model.predict(slice(x, B, T, D, 0, T / 2), [B, T / 2, D]).data();
    const second = await model.predict(slice(x, B, T, D, T / 2, T / 2), [B, T / 2, D]).data();
    // The same f32 operations in the same order as the whole sequence (the state is copied, the
    // GEMMs sum each row alike): bit-identical.
    const joined = new Float32Array(B * T * 2);
    for (let b = 0; b < B; b++) {
      joined.set(first.subarray(b * (T / 2) * 2, (b + 1) * (T / 2) * 2), b * T * 2);
      joined.set(second.subarray(b * (T / 2) * 2, (b + 1) * (T / 2) * 2), (b * T + T / 2) * 2);
    }
    expect(joined).toEqual(expected);
    // The kept state is the whole sequence's final state, in the reference too.
    const ref = family.ref({ ...config, returnSequences: false });
    ref.setWeights((await whole.getWeightData()).slice(0, ref.weightCount()));
    const refFinal = ref.forwardTrain(cpuTensor(x, [B, T, D])).state;
    const kept = (await (model.layers[0] as Lstm | Gru | SimpleRnn).getStates())!;
    expectClose(kept[0], refFinal.h, ATOL, RTOL, 'kept h');
    if (family.name === 'LSTM') expectClose(kept[1]!, (refFinal as { h: Float64Array; c?: Float64Array }).c!, ATOL, RTOL, 'kept c');

    // Without a reset the first half again starts from the kept state: a different output.
    const again = await model.predict(slice(x, B, T, D, 0, T / 2), [B, T / 2, D]).data();
    expect(again).not.toEqual(first);
    (model.layers[0] as Lstm | Gru | SimpleRnn).resetStates();
    expect(await model.predict(slice(x, B, T, D, 0, T / 2), [B, T / 2, D]).data()).toEqual(first);
    whole.dispose();
    model.dispose();
  });

  test('training carries the state from batch to batch: gradients, then a fit without shuffling, as the CPU twin', async () => {
    const { gpu } = env;
    const [B, T, D, H] = [2, 4, 3, 5];
    const config: Config = { units: H, inputShape: [T, D], returnSequences: false, stateful: true, seed: 4, biasInitializer: 'randomUniform' };
    const model = sequential(gpu, [family.gpu(config), layers.dense({ units: 1, seed: 5 })]);
    model.compile({ optimizer: { name: 'sgd', learningRate: 0.1 }, loss: 'meanSquaredError' });
    const weights = await model.getWeightData();
    const ref = family.ref(config);
    const n = ref.weightCount();
    ref.setWeights(weights.slice(0, n));
    const head = new ReferenceDense({ units: 1 });
    head.build(H);
    head.setWeights(weights.slice(n));
    const random = new Random(6);
    const xs = [random.uniformArray(B * T * D), random.uniformArray(B * T * D)];
    const ys = [random.uniformArray(B), random.uniformArray(B)];
    // Two gradient calls: the second starts from the first's final state on both sides.
    for (let k = 0; k < 2; k++) {
      const got = await model.gradients(tensor(gpu, xs[k], [B, T, D]), ys[k]);
      const f = (ref as ReferenceLstm).forwardTrain(cpuTensor(xs[k], [B, T, D]));
      const h = head.forwardTrain(f.y);
      const loss = lossForward('meanSquaredError', h.y.data, ys[k], B, 1, 'linear');
      const headBack = head.backward(h.saved, loss.grad, loss.gradIsPreActivation);
      const expected = [...(ref as ReferenceLstm).backward(f.saved as never, headBack.dX).grads, ...headBack.grads];
      // As recurrentTraining.test.ts: f32 sums over B·T rows, 1e-6 + 1e-4 relative.
      expected.forEach((e, i) => expectClose(got.grads[i], e, 1e-6, 1e-4, `call ${k}, gradient of weight ${i}`));
    }

    // fit over 4 samples in 2 batches, in order: batch 2 starts from batch 1's final state.
    (model.layers[0] as Lstm).resetStates();
    const refModel = reference.sequential([family.ref(config) as never, reference.layers.dense({ units: 1 })]);
    refModel.setWeights(await model.getWeightData());
    refModel.compile({ optimizer: { name: 'sgd', learningRate: 0.1 }, loss: 'meanSquaredError' });
    const x = new Float32Array([...xs[0], ...xs[1]]);
    const y = new Float32Array([...ys[0], ...ys[1]]);
    await model.fit(tensor(gpu, x, [2 * B, T, D]), y, { epochs: 1, batchSize: B, shuffle: false });
    refModel.fit(cpuTensor(x, [2 * B, T, D]), y, { epochs: 1, batchSize: B, shuffle: false });
    // Two SGD steps: the gradients' error (≤ 1e-6) times the learning rate, plus f32 rounding.
    const after = await model.getWeightData();
    refModel.getWeights().forEach((w, i) => expectClose(after[i], w, 1e-6, 1e-5, `weight ${i} after the fit`));
    // The kept state is the last batch's, continuing from the first.
    const kept = (await (model.layers[0] as Lstm | Gru | SimpleRnn).getStates())!;
    expectClose(kept[0], (refModel.layers[0] as ReferenceLstm).getStates()![0], ATOL, RTOL, 'kept h after the fit');
    model.dispose();
  });
});

test('a batch of another size is a clear error that changes nothing; after resetStates it is accepted', async () => {
  const { gpu } = env;
  const model = sequential(gpu, [layers.lstm({ units: 4, inputShape: [null, 2], stateful: true, seed: 1 })]);
  const x = (B: number) => tensor(gpu, new Random(B).uniformArray(B * 3 * 2), [B, 3, 2]);
  await model.predict(x(2)).data();
  const layer = model.layers[0] as Lstm;
  const state = await layer.getStates();
  expect(() => model.predict(x(3))).toThrowError(
    /lstm_\d+ is stateful and carries its state for batches of 2, but got a batch of 3\. Keep the batch size fixed .* or call resetStates\(\)/,
  );
  expect(await layer.getStates()).toEqual(state);
  layer.resetStates();
  expect(await layer.getStates()).toEqual([new Float32Array(8), new Float32Array(8)]);
  expect((await model.predict(x(3)).data()).length).toBe(12);
  expect((await layer.getStates())![0].length).toBe(12);
  model.dispose();
});

test('apply: a stateful layer continues from its state, an initialState replaces it for that call', async () => {
  const { gpu } = env;
  const [B, T, D, H] = [2, 3, 2, 4];
  const layer = new Gru({ units: H, stateful: true, returnState: true, seed: 3 });
  const x = tensor(gpu, new Random(8).uniformArray(B * T * D), [B, T, D]);
  const [, h1] = layer.apply(x) as [unknown, { data(): Promise<Float32Array> }];
  const [, h2] = layer.apply(x) as [unknown, { data(): Promise<Float32Array> }];
  const plain = new Gru({ units: H, returnState: true, seed: 3 });
  const [, p1] = plain.apply(x) as [unknown, { data(): Promise<Float32Array> }];
  const [, p2] = plain.apply(x, { initialState: (plain.apply(x) as never)[1] }) as [unknown, { data(): Promise<Float32Array> }];
  expect(await h1.data()).toEqual(await p1.data());
  expect(await h2.data()).toEqual(await p2.data());
  const h0 = tensor(gpu, new Float32Array(B * H), [B, H]);
  const [, h3] = layer.apply(x, { initialState: h0 }) as [unknown, { data(): Promise<Float32Array> }];
  expect(await h3.data()).toEqual(await p1.data());
  expect((await layer.getStates())![0]).toEqual(await p1.data());
});

test('Bidirectional of a stateful layer: both directions keep their states; resetStates resets both', async () => {
  const { gpu } = env;
  const [B, T, D] = [2, 5, 3];
  const model = sequential(gpu, [new Bidirectional({ layer: new SimpleRnn({ units: 3, inputShape: [T, D], stateful: true, seed: 2 }) })]);
  const x = tensor(gpu, new Random(9).uniformArray(B * T * D), [B, T, D]);
  const fresh = await model.predict(x).data();
  expect(await model.predict(x).data()).not.toEqual(fresh);
  const layer = model.layers[0] as Bidirectional;
  expect(layer.stateful).toBe(true);
  layer.resetStates();
  expect(await model.predict(x).data()).toEqual(fresh);
  model.dispose();
});
