// Bad input gets an error that names the problem, and leaves the model's weights as they were.
import { describe, expect, test } from 'vitest';
import { LimitError, layers, NonFiniteError, reference, RnnError, sequential, ShapeError, tensor } from '../../src/index.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();
const [B, T, D, H] = [2, 5, 4, 6];

function model() {
  return sequential(env.gpu, [layers.lstm({ units: H, inputShape: [T, D], returnSequences: true, seed: 1 }), layers.lstm({ units: H, seed: 2 })]);
}

async function expectUnchanged(
  m: ReturnType<typeof model>,
  action: () => unknown,
  error: new (...args: never[]) => Error,
  message: RegExp,
  x = tensor(env.gpu, new reference.Random(1).uniformArray(B * T * D), [B, T, D]),
) {
  const before = await m.getWeightData();
  const yBefore = await m.predict(x).data();
  expect(action).toThrowError(error);
  expect(action).toThrowError(message);
  const after = await m.getWeightData();
  after.forEach((w, i) => expect(bitEqual(w, before[i]), `weight ${i} changed`).toBe(true));
  // The model still runs, with the same result.
  expect(await m.predict(x).data()).toEqual(yBefore);
}

/** Bitwise equality of two arrays (fast for millions of values, unlike a deep equal). */
function bitEqual(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('input to predict', () => {
  test('wrong rank', async () => {
    const m = model();
    await expectUnchanged(
      m,
      () => m.predict(tensor(env.gpu, new Float32Array(B * D), [B, D])),
      ShapeError,
      /predict: x has shape \[2, 4\], but lstm_\d+ expects \[batch, steps, features\]/,
    );
  });
  test('wrong feature size', async () => {
    const m = model();
    await expectUnchanged(
      m,
      () => m.predict(tensor(env.gpu, new Float32Array(B * T * 3), [B, T, 3])),
      ShapeError,
      /expects inputs of shape \[batch, 5, 4\], got \[batch, 5, 3\]/,
    );
  });
  test('wrong number of steps for a fixed inputShape', async () => {
    const m = model();
    await expectUnchanged(m, () => m.predict(tensor(env.gpu, new Float32Array(B * 7 * D), [B, 7, D])), ShapeError, /\[batch, 5, 4\], got \[batch, 7, 4\]/);
  });
  test('NaN or Infinity in data from the CPU', () => {
    const data = new Float32Array(B * T * D);
    data[7] = NaN;
    expect(() => tensor(env.gpu, data, [B, T, D])).toThrowError(/NaN at flat index 7/);
    data[7] = -Infinity;
    expect(() => tensor(env.gpu, data, [B, T, D])).toThrowError(NonFiniteError);
    expect(() => model().predict([[[1, 2, 3, NaN]]], [1, 1, 4])).toThrowError(NonFiniteError);
  });
  test('data that does not fill the shape, ragged nested arrays', () => {
    expect(() => tensor(env.gpu, new Float32Array(5), [2, 3])).toThrowError(/5 values but shape \[2, 3\] needs 6/);
    expect(() => tensor(env.gpu, [[1, 2], [3]], [2, 2])).toThrowError(/ragged/);
  });
  test('a size over the adapter storage-buffer limit', async () => {
    const units = 1024;
    // (glorotUniform: an orthogonal 1024×4096 start takes seconds on the CPU)
    const big = sequential(env.gpu, [layers.lstm({ units, inputShape: [null, 1], recurrentInitializer: 'glorotUniform', seed: 1 })]);
    const limit = env.gpu.limits.maxStorageBufferBindingSize;
    // Gate buffer bytes = steps · batch · 4·units · 4: pick a batch that crosses the limit.
    const steps = 64;
    const batch = Math.ceil(limit / (steps * 4 * units * 4)) + 1;
    const x = tensor(env.gpu, new Float32Array(batch * steps), [batch, steps, 1]);
    const small = tensor(env.gpu, new Float32Array(2 * 3), [2, 3, 1]);
    await expectUnchanged(big, () => big.predict(x), LimitError, /over this adapter's limit.*smaller batch/, small);
  });
  test('a disposed input tensor', () => {
    const x = tensor(env.gpu, new Float32Array(B * T * D), [B, T, D]);
    x.dispose();
    expect(() => model().predict(x)).toThrowError(/disposed/);
  });
});

describe('weights', () => {
  test('a weight of the wrong length', async () => {
    const m = model();
    const ws = await m.getWeightData();
    ws[1] = new Float32Array(ws[1].length - 1);
    await expectUnchanged(m, () => m.setWeights(ws), ShapeError, /weight 1 of shape \[6, 24\]/);
  });
  test('a wrong number of weights', async () => {
    const m = model();
    const ws = await m.getWeightData();
    await expectUnchanged(m, () => m.setWeights(ws.slice(1)), ShapeError, /has 6 weights, got 5/);
  });
  test('NaN in the second layer leaves the first layer unchanged too', async () => {
    const m = model();
    const ws = (await m.getWeightData()).map((w) => w.map((v) => v + 1));
    ws[4][3] = NaN;
    await expectUnchanged(m, () => m.setWeights(ws), NonFiniteError, /NaN at flat index 3/);
  });
});

describe('layers and state', () => {
  test('returnState in a Sequential model', () => {
    expect(() => sequential(env.gpu, [layers.lstm({ units: 3, inputShape: [2, 2], returnState: true })])).toThrowError(/layer.apply/);
  });
  test('initialState of the wrong shape', async () => {
    const layer = layers.lstm({ units: H, seed: 1 });
    const x = tensor(env.gpu, new Float32Array(B * T * D), [B, T, D]);
    layer.apply(x);
    const before = await layer.getWeightData();
    const bad = tensor(env.gpu, new Float32Array(B * (H + 1)), [B, H + 1]);
    const good = tensor(env.gpu, new Float32Array(B * H), [B, H]);
    expect(() => layer.apply(x, { initialState: [good, bad] })).toThrowError(/initialState\[1\] must have shape \[2, 6\]/);
    (await layer.getWeightData()).forEach((w, i) => expect(w).toEqual(before[i]));
  });
  test('bad layer options', () => {
    expect(() => layers.lstm({ units: 0 })).toThrowError(/units must be a positive whole number/);
    // An activation no kernel has is refused when the layer is made, before any GPU work.
    expect(() => layers.lstm({ units: 2, inputShape: [2, 2], activation: 'mish' as never })).toThrowError(/activation 'mish' is not supported: use one of/);
    expect(() => layers.simpleRNN({ units: 2, inputShape: [2, 2], activation: 'mish' as never })).toThrowError(RnnError);
    expect(() => layers.gru({ units: 2, recurrentActivation: 'mish' as never })).toThrowError(/gru: recurrentActivation 'mish' is not supported/);
    expect(() => layers.simpleRNN({ units: 2, activation: 'hard_swish' as never })).toThrowError(
      /simpleRNN: activation 'hard_swish' is not supported: use one of tanh, .*swish/,
    );
  });
});
