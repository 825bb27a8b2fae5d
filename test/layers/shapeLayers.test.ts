// Activation, Flatten, RepeatVector, GlobalAveragePooling1D and GlobalMaxPooling1D on the GPU
// against their CPU twins (src/reference/shapeLayers.ts): forward and backward of each layer on
// seeded inputs, batch- and time-major, at an element offset, with a mask; whole models' loss
// and gradients against the reference model; save / load; and the options' errors.
import { describe, expect, test } from 'vitest';
import { layers, loadModel, OptionError, reference, saveModel, sequential, ShapeError, tensor } from '../../src/index.js';
import type { Flow, Layer } from '../../src/layers/layer.js';
import { cpuTensor } from '../../src/reference/tensor.js';
import { expectClose, useGpu } from '../helpers/gpu.js';
import { expectGradientsLikeTwin, modelAndTwin } from '../helpers/twins.js';

const env = useGpu();

/** x [B, T, C] batch-major, in the layout (time-major [T, B, C] when `timeMajor`). */
function toLayout(x: ArrayLike<number>, B: number, T: number, C: number, timeMajor: boolean): Float32Array {
  const out = new Float32Array(B * T * C);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) out[timeMajor ? (t * B + b) * C + c : (b * T + t) * C + c] = x[(b * T + t) * C + c];
  return out;
}
function fromLayout(x: ArrayLike<number>, B: number, T: number, C: number, timeMajor: boolean): Float32Array {
  const out = new Float32Array(B * T * C);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) out[(b * T + t) * C + c] = x[timeMajor ? (t * B + b) * C + c : (b * T + t) * C + c];
  return out;
}

/**
 * One training forward and backward of `layer` on the GPU: x (in its layout) from element 3
 * of its buffer, dy in the output's layout. Returns the output and dX as the GPU wrote them.
 */
async function forwardBackward(layer: Layer, x: Float32Array, shape: number[], timeMajor: boolean, dy: Float32Array, mask?: Float32Array) {
  const { gpu } = env;
  layer.build(gpu, shape.slice(1));
  const off = 3;
  const xl = new Float32Array(off + x.length);
  xl.set(x, off);
  const tx = tensor(gpu, xl, [xl.length]);
  const tdy = tensor(gpu, dy, [dy.length]);
  const tmask = mask ? tensor(gpu, mask, [mask.length]) : undefined;
  const yOut = tensor(gpu, new Float32Array(dy.length), [dy.length]);
  const dxOut = tensor(gpu, new Float32Array(x.length), [x.length]);
  let out: Flow | undefined;
  let dx: Flow | undefined;
  await gpu.submit('test', (encoder, run) => {
    const step = layer.encodeTrain(encoder, run, { buffer: tx.buffer, offset: off, shape, timeMajor, mask: tmask?.buffer });
    out = step.output;
    dx = layer.encodeBackward(encoder, run, step.saved, { ...step.output, buffer: tdy.buffer, offset: 0 }, [], true);
    encoder.copyBufferToBuffer(out.buffer, out.offset * 4, yOut.buffer, 0, dy.length * 4);
    encoder.copyBufferToBuffer(dx!.buffer, dx!.offset * 4, dxOut.buffer, 0, x.length * 4);
  });
  const result = { out: out!, dxFlow: dx!, y: await yOut.data(), dx: await dxOut.data() };
  for (const t of [tx, tdy, yOut, dxOut, tmask]) t?.dispose();
  layer.dispose();
  return result;
}

// f32 against Float64: an activation is a few ulp (WGSL's exp / tanh: ≤ ~1e-6 relative on
// values ≤ 2); softmax sums ≤ 67 exponentials (67·2⁻²⁴ ≈ 4e-6 relative); a mean sums T ≤ 12
// terms (≤ 1e-6); moves and maxima are exact. 1e-5 + 1e-5·|ref| holds; a wrong index errs by O(1).
const ATOL = 1e-5;
const RTOL = 1e-5;

describe('Activation vs its twin', () => {
  test.each([
    { activation: 'relu', B: 1, T: 1, C: 1, timeMajor: false },
    { activation: 'tanh', B: 2, T: 5, C: 67, timeMajor: true },
    { activation: 'sigmoid', B: 3, T: 4, C: 5, timeMajor: false },
    { activation: 'hard_sigmoid', B: 2, T: 3, C: 7, timeMajor: true },
    { activation: 'linear', B: 1, T: 2, C: 3, timeMajor: false },
    { activation: 'softmax', B: 3, T: 2, C: 67, timeMajor: true },
    { activation: 'elu', B: 2, T: 3, C: 5, timeMajor: false },
    { activation: 'selu', B: 1, T: 4, C: 67, timeMajor: true },
    { activation: 'softplus', B: 2, T: 2, C: 9, timeMajor: false },
    { activation: 'softsign', B: 3, T: 1, C: 4, timeMajor: true },
    { activation: 'gelu', B: 2, T: 3, C: 67, timeMajor: true },
    { activation: 'swish', B: 1, T: 1, C: 5, timeMajor: false },
    { activation: 'silu', B: 3, T: 2, C: 3, timeMajor: true },
  ])('$activation B=$B T=$T C=$C timeMajor=$timeMajor', async ({ activation, B, T, C, timeMajor }) => {
    const random = new reference.Random(B * 100 + T * 10 + C);
    const x = random.uniformArray(B * T * C, -2, 2);
    const twin = new reference.ReferenceActivation({ activation });
    const { y, saved } = twin.forwardTrain(cpuTensor(x, [B, T, C]));
    const dy = random.uniformArray(B * T * C);
    const { dX } = twin.backward(saved, Float64Array.from(dy));
    const gpu = await forwardBackward(
      layers.activation({ activation }),
      toLayout(x, B, T, C, timeMajor),
      [B, T, C],
      timeMajor,
      toLayout(dy, B, T, C, timeMajor),
    );
    expect(gpu.out.timeMajor).toBe(timeMajor);
    expectClose(fromLayout(gpu.y, B, T, C, timeMajor), y.data, ATOL, RTOL, 'y');
    expectClose(fromLayout(gpu.dx, B, T, C, timeMajor), dX, ATOL, RTOL, 'dX');
  });
});

describe('GlobalAveragePooling1D and GlobalMaxPooling1D vs their twins', () => {
  test.each([
    { kind: 'average', B: 1, T: 1, C: 1, timeMajor: false, masked: false },
    { kind: 'average', B: 3, T: 12, C: 67, timeMajor: true, masked: false },
    { kind: 'average', B: 4, T: 6, C: 5, timeMajor: false, masked: true },
    { kind: 'average', B: 3, T: 7, C: 3, timeMajor: true, masked: true },
    { kind: 'max', B: 1, T: 1, C: 2, timeMajor: false, masked: false },
    { kind: 'max', B: 3, T: 9, C: 67, timeMajor: true, masked: false },
    { kind: 'max', B: 2, T: 5, C: 4, timeMajor: false, masked: true },
  ] as const)('$kind B=$B T=$T C=$C timeMajor=$timeMajor masked=$masked', async ({ kind, B, T, C, timeMajor, masked }) => {
    const random = new reference.Random(B * 100 + T * 10 + C + (masked ? 7 : 0));
    const x = random.uniformArray(B * T * C, -1, 1);
    // Row 0 keeps every step, row 1 (when there is one) loses them all, the others some.
    const mask = masked ? Float32Array.from({ length: B * T }, (_, i) => (i < T ? 1 : i < 2 * T ? 0 : random.int(2))) : undefined;
    const dy = random.uniformArray(B * C);
    let y: Float64Array;
    let dX: Float64Array;
    if (kind === 'average') {
      const twin = new reference.ReferenceGlobalAveragePooling1d();
      const step = twin.forwardTrain(cpuTensor(x, [B, T, C]), mask);
      y = step.y.data as Float64Array;
      dX = twin.backward(step.saved, Float64Array.from(dy)).dX;
    } else {
      // The max ignores the mask, as Keras's GlobalMaxPooling1D.
      const twin = new reference.ReferenceGlobalMaxPooling1d();
      const step = twin.forwardTrain(cpuTensor(x, [B, T, C]));
      y = step.y.data as Float64Array;
      dX = twin.backward(step.saved, Float64Array.from(dy)).dX;
    }
    const layer = kind === 'average' ? layers.globalAveragePooling1d() : layers.globalMaxPooling1d();
    const gpu = await forwardBackward(layer, toLayout(x, B, T, C, timeMajor), [B, T, C], timeMajor, dy, mask);
    expect(gpu.out.shape).toEqual([B, C]);
    expect(gpu.out.mask).toBeUndefined();
    expect(gpu.dxFlow.timeMajor).toBe(timeMajor);
    expectClose(gpu.y, y, ATOL, RTOL, 'y');
    expectClose(fromLayout(gpu.dx, B, T, C, timeMajor), dX, ATOL, RTOL, 'dX');
    if (masked && kind === 'average' && B > 1) expect(Array.from(gpu.y.subarray(C, 2 * C))).toEqual(new Array(C).fill(0));
  });
});

describe('Flatten and RepeatVector vs their twins', () => {
  test.each([
    { B: 1, T: 1, C: 1, timeMajor: false },
    { B: 3, T: 5, C: 67, timeMajor: true },
    { B: 2, T: 4, C: 3, timeMajor: false },
  ])('flatten B=$B T=$T C=$C timeMajor=$timeMajor', async ({ B, T, C, timeMajor }) => {
    const random = new reference.Random(B + T + C);
    const x = random.uniformArray(B * T * C);
    const dy = random.uniformArray(B * T * C);
    const twin = new reference.ReferenceFlatten();
    const { y, saved } = twin.forwardTrain(cpuTensor(x, [B, T, C]));
    const gpu = await forwardBackward(layers.flatten(), toLayout(x, B, T, C, timeMajor), [B, T, C], timeMajor, dy);
    expect(gpu.out).toMatchObject({ shape: [B, T * C], timeMajor: false });
    expect(gpu.dxFlow.timeMajor).toBe(timeMajor);
    expect(Array.from(gpu.y)).toEqual(Array.from(y.data, Math.fround));
    expect(Array.from(fromLayout(gpu.dx, B, T, C, timeMajor))).toEqual(Array.from(twin.backward(saved, Float64Array.from(dy)).dX, Math.fround));
  });

  test.each([
    { B: 1, F: 1, n: 1 },
    { B: 3, F: 67, n: 5 },
    { B: 2, F: 4, n: 9 },
  ])('repeatVector B=$B F=$F n=$n', async ({ B, F, n }) => {
    const random = new reference.Random(B * F + n);
    const x = random.uniformArray(B * F);
    const dy = random.uniformArray(B * n * F);
    const twin = new reference.ReferenceRepeatVector({ n });
    const { y, saved } = twin.forwardTrain(cpuTensor(x, [B, F]));
    const gpu = await forwardBackward(layers.repeatVector({ n }), Float32Array.from(x), [B, F], false, dy);
    expect(gpu.out).toMatchObject({ shape: [B, n, F], timeMajor: false });
    expect(Array.from(gpu.y)).toEqual(Array.from(y.data, Math.fround));
    // The backward sums n ≤ 9 values of magnitude ≤ 1 in f32: ≤ 9·2⁻²⁴ ≈ 5e-7.
    expectClose(gpu.dx, twin.backward(saved, Float64Array.from(dy)).dX, 1e-6, 0, 'dX');
  });
});

describe('models with the shape layers: loss and gradients vs the reference model', () => {
  // As test/layers/conv1dPool.test.ts: f32 sums over B·T rows of O(1) products, ~1e-7·√(BT)
  // relative; 1e-6 absolute plus 1e-4 relative, while a wrong term errs by the gradient's size.
  test('Embedding → GlobalAveragePooling1D → Dense → Activation(sigmoid), binaryCrossentropy (the fused head)', async () => {
    const { gpu } = env;
    const [B, T, V, E] = [5, 7, 11, 6];
    const build = <L>(f: typeof layers | typeof reference.layers) =>
      [
        f.embedding({ inputDim: V, outputDim: E, inputShape: [T], seed: 1 }),
        f.globalAveragePooling1d(),
        f.dense({ units: 1, seed: 2 }),
        f.activation({ activation: 'sigmoid' }),
      ] as L[];
    const { model, twin } = await modelAndTwin(gpu, build);
    const random = new reference.Random(4);
    const x = Float32Array.from({ length: B * T }, () => random.int(V));
    const y = Float32Array.from({ length: B }, () => random.int(2));
    model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    twin.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    await expectGradientsLikeTwin(model, twin, x, [B, T], y, {});
    model.dispose();
  });

  test('Dense → RepeatVector → LSTM(sequences) → GlobalMaxPooling1D and → Flatten → Dense, meanSquaredError', async () => {
    const { gpu } = env;
    const [B, F, n, H] = [3, 4, 5, 6];
    for (const pool of ['max', 'flatten'] as const) {
      const build = <L>(f: typeof layers | typeof reference.layers) =>
        [
          f.dense({ units: 3, inputShape: [F], activation: 'tanh', seed: 1 }),
          f.repeatVector({ n }),
          f.lstm({ units: H, returnSequences: true, seed: 2 }),
          pool === 'max' ? f.globalMaxPooling1d() : f.flatten(),
          f.dense({ units: 2, seed: 3 }),
        ] as L[];
      const { model, twin } = await modelAndTwin(gpu, build);
      const random = new reference.Random(9);
      const x = random.uniformArray(B * F);
      const y = random.uniformArray(B * 2);
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      twin.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await expectGradientsLikeTwin(model, twin, x, [B, F], y, {}, `${pool}`);
      model.dispose();
    }
  });
});

describe('saving, loading and options', () => {
  test('a model with every shape layer saves and loads, and predicts the same', async () => {
    const { gpu } = env;
    const model = sequential(gpu, [
      layers.dense({ units: 4, inputShape: [3], seed: 1 }),
      layers.repeatVector({ n: 5 }),
      layers.gru({ units: 3, returnSequences: true, seed: 2 }),
      layers.activation({ activation: 'relu' }),
      layers.globalAveragePooling1d(),
      layers.repeatVector({ n: 2 }),
      layers.globalMaxPooling1d(),
      layers.dense({ units: 6, seed: 3 }),
      layers.activation({ activation: 'softmax' }),
    ]);
    const x = new reference.Random(1).uniformArray(2 * 3);
    const before = await model.predict(x, [2, 3]).data();
    const loaded = await loadModel(gpu, await saveModel(model));
    expect(loaded.layers.map((l) => l.constructor.name)).toEqual(model.layers.map((l) => l.constructor.name));
    expect(Array.from(await loaded.predict(x, [2, 3]).data())).toEqual(Array.from(before));
    const flat = sequential(gpu, [
      layers.lstm({ units: 2, inputShape: [4, 3], returnSequences: true, seed: 1 }),
      layers.flatten(),
      layers.dense({ units: 1, seed: 2 }),
    ]);
    const flatLoaded = await loadModel(gpu, await saveModel(flat));
    const xs = new reference.Random(2).uniformArray(12);
    expect(Array.from(await flatLoaded.predict(xs, [1, 4, 3]).data())).toEqual(Array.from(await flat.predict(xs, [1, 4, 3]).data()));
    for (const m of [model, loaded, flat, flatLoaded]) m.dispose();
  });

  test('bad options and shapes are named', () => {
    const { gpu } = env;
    expect(() => layers.activation({ activation: 'bogus' })).toThrow(/activation: 'bogus' is not supported: use one of tanh, sigmoid/);
    expect(() => layers.activation({ activation: 'relu', acitvation: 'x' } as never)).toThrow(OptionError);
    expect(() => layers.repeatVector({ n: 0 })).toThrow(/repeatVector: n must be a positive whole number, got 0/);
    expect(() => layers.globalAveragePooling1d({ inputShape: [3] })).toThrow(/inputShape is \[steps, features\]/);
    expect(() => sequential(gpu, [layers.lstm({ units: 2, inputShape: [null, 3], returnSequences: true }), layers.flatten()])).toThrow(
      /needs a fixed input shape, got \[batch, any, 2\]/,
    );
    expect(() => sequential(gpu, [layers.dense({ units: 2, inputShape: [3] }), layers.globalMaxPooling1d()])).toThrow(ShapeError);
    expect(() => sequential(gpu, [layers.lstm({ units: 2, inputShape: [4, 3] }), layers.repeatVector({ n: 2 }), layers.repeatVector({ n: 2 })])).toThrow(
      /expects inputs of shape \[batch, features\], got \[batch, 2, 2\]/,
    );
  });
});
