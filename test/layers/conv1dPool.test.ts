// Conv1D and MaxPooling1D on the GPU: TensorFlow.js layers equivalence with copied weights
// (cpu backend), the layers' forward and backward against their CPU twins (time-major input
// too), and Conv1D → MaxPooling1D → LSTM → Dense gradients against the twins chained by hand.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, test } from 'vitest';
import { layers, reference, sequential, tensor } from '../../src/index.js';
import { Conv1d } from '../../src/layers/conv1d.js';
import type { Conv1dConfig, ConvPadding, Padding } from '../../src/spec/convConfig.js';
import type { Flow } from '../../src/layers/layer.js';
import { MaxPooling1d } from '../../src/layers/maxPooling1d.js';
import { ReferenceConv1d } from '../../src/reference/conv1d.js';
import { lossForward } from '../../src/reference/losses.js';
import { ReferenceMaxPooling1d } from '../../src/reference/maxPooling1d.js';
import { cpuTensor } from '../../src/reference/tensor.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('TensorFlow.js layers equivalence', () => {
  // Both sides compute f32 dot products of K·C ≤ 15 terms of magnitude ≤ 1, in different
  // orders: differences ~15·2⁻²⁴ ≈ 1e-6; 1e-5 is a 10× margin. Pooling selects: exact.
  test.each([
    { B: 1, T: 1, C: 1, F: 1, K: 1, S: 1, padding: 'valid', P: 1, PS: 1, PP: 'valid', activation: 'linear' },
    { B: 2, T: 9, C: 3, F: 5, K: 3, S: 1, padding: 'valid', P: 2, PS: 2, PP: 'valid', activation: 'relu' },
    { B: 3, T: 10, C: 4, F: 6, K: 4, S: 2, padding: 'same', P: 3, PS: 2, PP: 'same', activation: 'tanh' },
    { B: 1, T: 7, C: 2, F: 70, K: 5, S: 2, padding: 'same', P: 2, PS: 1, PP: 'same', activation: 'sigmoid' },
    { B: 2, T: 8, C: 3, F: 4, K: 2, S: 1, padding: 'same', P: 4, PS: 3, PP: 'valid', activation: 'softmax' },
    // TF.js has no 'causal' conv1d: the Keras fixtures (test/io/kerasFile.test.ts) and the twin test it.
    { B: 3, T: 12, C: 2, F: 4, K: 3, S: 1, D: 3, padding: 'same', P: 2, PS: 2, PP: 'valid', activation: 'relu' },
    { B: 2, T: 11, C: 2, F: 3, K: 2, S: 1, D: 4, padding: 'valid', P: 1, PS: 1, PP: 'valid', activation: 'linear' },
  ] as const)('conv K=$K S=$S D=$D $padding $activation, pool P=$P S=$PS $PP (B=$B T=$T C=$C F=$F)', async (c) => {
    const D = ('D' in c ? c.D : undefined) ?? 1;
    const { gpu } = env;
    const tfModel = tfl.sequential({
      layers: [
        tfl.layers.conv1d({
          filters: c.F,
          kernelSize: c.K,
          strides: c.S,
          padding: c.padding,
          dilationRate: D,
          activation: c.activation,
          inputShape: [c.T, c.C],
          biasInitializer: 'randomUniform',
        }),
        tfl.layers.maxPooling1d({ poolSize: c.P, strides: c.PS, padding: c.PP }),
      ],
    });
    const x = new reference.Random(c.B * c.T * c.F).uniformArray(c.B * c.T * c.C);
    const expected = tfModel.predict(tf.tensor3d(x, [c.B, c.T, c.C])) as tf.Tensor;
    const ours = sequential(gpu, [
      new Conv1d({
        filters: c.F,
        kernelSize: c.K,
        strides: c.S,
        dilationRate: D,
        padding: c.padding as ConvPadding,
        activation: c.activation,
        inputShape: [c.T, c.C],
      }),
      new MaxPooling1d({ poolSize: c.P, strides: c.PS, padding: c.PP as Padding }),
    ]);
    const tfWeights = tfModel.getWeights().map((w) => w.dataSync() as Float32Array);
    expect(tfModel.getWeights()[0].shape).toEqual([c.K, c.C, c.F]); // the Keras kernel layout
    ours.setWeights(tfWeights);
    const y = ours.predict(tensor(gpu, x, [c.B, c.T, c.C]));
    expect(y.shape).toEqual(expected.shape);
    expectClose(await y.data(), expected.dataSync(), 1e-5, 1e-5, 'ours vs TF.js');
    ours.dispose();
  });
});

const convCases: (Conv1dConfig & { name: string; B: number; T: number; C: number; timeMajor?: boolean })[] = [
  { name: 'batch 1, one step, same', B: 1, T: 1, C: 2, filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh' },
  { name: 'valid stride 2, relu', B: 3, T: 12, C: 5, filters: 67, kernelSize: 3, strides: 2, activation: 'relu' },
  { name: 'same stride 1, softmax, no bias', B: 2, T: 9, C: 3, filters: 4, kernelSize: 4, padding: 'same', activation: 'softmax', useBias: false },
  { name: 'causal, dilation 2', B: 2, T: 9, C: 3, filters: 4, kernelSize: 3, padding: 'causal', dilationRate: 2, activation: 'tanh' },
  {
    name: 'time-major input, causal stride 2, batch 1',
    B: 1,
    T: 6,
    C: 2,
    filters: 65,
    kernelSize: 2,
    strides: 2,
    padding: 'causal',
    activation: 'relu',
    timeMajor: true,
  },
  { name: 'valid, dilation 3, one output step', B: 3, T: 7, C: 2, filters: 3, kernelSize: 3, dilationRate: 3, activation: 'linear' },
  {
    name: 'time-major input, same stride 2, sigmoid',
    B: 3,
    T: 10,
    C: 4,
    filters: 6,
    kernelSize: 3,
    strides: 2,
    padding: 'same',
    activation: 'sigmoid',
    timeMajor: true,
  },
];

describe('Conv1D layer vs its twin, forward and backward', () => {
  // Output: f32 sums of K·C ≤ 15 products (≈1e-6). Gradients: sums over B·To ≤ 18 rows of
  // such values: ≤ ~1e-5 at worst; 1e-5 absolute + 1e-4 relative, while a wrong index or
  // term errs by the size of the gradient itself (≥ 1e-2 here).
  test.each(convCases)('$name (B=$B T=$T C=$C)', async ({ name: _, B, T, C, timeMajor, ...config }) => {
    const { gpu } = env;
    const layer = new Conv1d({ ...config, seed: 3 });
    const twin = new ReferenceConv1d({ ...config, seed: 3 });
    layer.build(gpu, [T, C]);
    twin.setWeights(await layer.getWeightData());
    const random = new reference.Random(B * T + C);
    const x = random.uniformArray(B * T * C);
    const { y: yRef, saved } = twin.forwardTrain(cpuTensor(x, [B, T, C]));
    const dy = random.uniformArray(yRef.data.length);
    const ref = twin.backward(saved, Float64Array.from(dy));
    // The GPU input in its layout: time-major [T, B, C] at an element offset of 3.
    const off = timeMajor ? 3 : 0;
    const xl = new Float32Array(off + x.length);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) xl[off + (timeMajor ? (t * B + b) * C + c : (b * T + t) * C + c)] = x[(b * T + t) * C + c];
    const tx = tensor(gpu, xl, [xl.length]);
    const tdy = tensor(gpu, dy, [dy.length]);
    const grads = layer.weightTensors.map((w) => tensor(gpu, new Float32Array(w.size), w.shape));
    const yOut = tensor(gpu, new Float32Array(dy.length), [dy.length]);
    const dxOut = tensor(gpu, new Float32Array(x.length), [x.length]);
    let out: Flow | undefined;
    let dx: Flow | undefined;
    await gpu.submit('test', (encoder, run) => {
      const step = layer.encodeTrain(encoder, run, { buffer: tx.buffer, offset: off, shape: [B, T, C], timeMajor: !!timeMajor });
      out = step.output;
      dx = layer.encodeBackward(
        encoder,
        run,
        step.saved,
        { ...step.output, buffer: tdy.buffer },
        grads.map((g) => g.buffer),
        true,
      );
      // Scratch buffers return to the pool at the submit: copy the flows out.
      encoder.copyBufferToBuffer(out.buffer, out.offset * 4, yOut.buffer, 0, dy.length * 4);
      encoder.copyBufferToBuffer(dx!.buffer, dx!.offset * 4, dxOut.buffer, 0, x.length * 4);
    });
    expect(out!.shape).toEqual(yRef.shape);
    expect(dx!.timeMajor).toBe(!!timeMajor);
    expectClose(await yOut.data(), yRef.data, 1e-5, 1e-5, 'y');
    for (const [i, g] of ref.grads.entries()) expectClose(await grads[i].data(), g, 1e-5, 1e-4, `gradient of weight ${i}`);
    const dxGpu = await dxOut.data();
    const dxBatch = new Float32Array(x.length);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) dxBatch[(b * T + t) * C + c] = dxGpu[timeMajor ? (t * B + b) * C + c : (b * T + t) * C + c];
    expectClose(dxBatch, ref.dX, 1e-5, 1e-4, 'dX');
    for (const t of [tx, tdy, yOut, dxOut, ...grads]) t.dispose();
    layer.dispose();
  });
});

describe('Conv1D → MaxPooling1D → LSTM → Dense: gradients vs the twins', () => {
  // As test/lstm/training.test.ts: f32 sums over B·T rows of O(1) products, ~1e-7·√(BT)
  // relative; 1e-6 absolute plus 1e-4 relative, while a wrong term errs by the gradient's size.
  test.each([
    { B: 1, T: 4, C: 1, F: 2, K: 3, padding: 'same', P: 2, H: 3, loss: 'meanSquaredError', head: 'linear' },
    { B: 4, T: 13, C: 3, F: 8, K: 4, padding: 'valid', P: 3, H: 9, loss: 'binaryCrossentropy', head: 'sigmoid' },
  ] as const)('B=$B T=$T C=$C F=$F K=$K $padding P=$P H=$H $loss', async (c) => {
    const { gpu } = env;
    const conv = {
      filters: c.F,
      kernelSize: c.K,
      padding: c.padding as Padding,
      activation: 'relu' as const,
      inputShape: [c.T, c.C] as [number, number],
      seed: 5,
    };
    const model = sequential(gpu, [
      new Conv1d(conv),
      new MaxPooling1d({ poolSize: c.P }),
      layers.lstm({ units: c.H, seed: 6 }),
      layers.dense({ units: 1, activation: c.head, seed: 7 }),
    ]);
    model.compile({ optimizer: 'sgd', loss: c.loss });
    const chain = [
      new ReferenceConv1d(conv),
      new ReferenceMaxPooling1d({ poolSize: c.P }),
      reference.layers.lstm({ units: c.H }),
      reference.layers.dense({ units: 1, activation: c.head }),
    ];
    const weights = await model.getWeightData();
    let at = 0;
    for (const [i, n] of [2, 0, 3, 2].entries()) {
      chain[i].build(i === 0 ? c.C : i === 2 ? c.F : c.H);
      chain[i].setWeights(weights.slice(at, (at += n)));
    }
    const random = new reference.Random(c.B * 10 + c.T);
    const x = random.uniformArray(c.B * c.T * c.C);
    const y = Float32Array.from({ length: c.B }, () => (c.loss === 'binaryCrossentropy' ? random.int(2) : random.uniform(-0.8, 0.8)));
    // The twins chained by hand: forward, loss, backward.
    let value = cpuTensor(x, [c.B, c.T, c.C]);
    const saved: unknown[] = [];
    for (const layer of chain) {
      const step = layer.forwardTrain(value);
      saved.push(step.saved);
      value = step.y;
    }
    const head = lossForward(c.loss, value.data, y, c.B, 1, c.head);
    const expectedGrads: Float64Array[][] = [];
    let d = head.grad;
    for (let i = chain.length - 1; i >= 0; i--) {
      const layer = chain[i];
      const step = layer.backward(saved[i] as never, d, (i === chain.length - 1 && head.gradIsPreActivation) as never);
      expectedGrads.unshift(step.grads);
      d = step.dX;
    }
    const ours = await model.gradients(tensor(gpu, x, [c.B, c.T, c.C]), y);
    expect(Math.abs(ours.loss - head.loss)).toBeLessThan(1e-5 + 1e-5 * Math.abs(head.loss));
    let worst = 0;
    expectedGrads.flat().forEach((g, i) => {
      for (let k = 0; k < g.length; k++) worst = Math.max(worst, Math.abs(ours.grads[i][k] - g[k]));
      expectClose(ours.grads[i], g, 1e-6, 1e-4, `gradient of weight ${i}`);
    });
    console.log(`conv → pool → lstm → dense (B=${c.B}): max |gradient error| ${worst.toExponential(2)}`);
    model.dispose();
  });
});

describe('configs: Keras / TF.js import and the saved JSON', () => {
  test('TF.js layer configs give the same options; the JSON config rebuilds the layer', async () => {
    const { KerasConfigReader, normalizeKerasConfig } = await import('../../src/io/kerasConfig.js');
    const { conv1dFromKeras, maxPooling1dFromKeras } = await import('../../src/io/convKeras.js');
    const tfConv = tfl.layers.conv1d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [9, 2], name: 'c1' });
    const tfPool = tfl.layers.maxPooling1d({ poolSize: 3, strides: 1, name: 'p1' });
    const conv = conv1dFromKeras(
      new KerasConfigReader({ className: 'Conv1D', index: 0 }, normalizeKerasConfig({ ...tfConv.getConfig(), batch_input_shape: [null, 9, 2] }, 'c1')),
    );
    expect(conv).toMatchObject({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', useBias: true, name: 'c1', inputShape: [9, 2] });
    const pool = maxPooling1dFromKeras(new KerasConfigReader({ className: 'MaxPooling1D', index: 1 }, normalizeKerasConfig(tfPool.getConfig(), 'p1')));
    expect(pool).toMatchObject({ poolSize: 3, strides: 1, padding: 'valid', name: 'p1' });
    const layer = new Conv1d(conv);
    const again = new Conv1d(JSON.parse(JSON.stringify(layer.config)));
    expect(again.config).toEqual(layer.config);
    expect(new MaxPooling1d(JSON.parse(JSON.stringify(new MaxPooling1d(pool).config))).config).toEqual(new MaxPooling1d(pool).config);
  });

  test('bad options name the problem', () => {
    expect(() => new Conv1d({ filters: 2, kernelSize: 3, dilationRate: 2, strides: 2 })).toThrow(/dilationRate 2 with strides 2: one of them must be 1/);
    expect(() => new Conv1d({ filters: 2, kernelSize: 3, padding: 'full' as Padding })).toThrow(/padding must be 'valid', 'same' or 'causal', got 'full'/);
    expect(() => new MaxPooling1d({ padding: 'causal' as Padding })).toThrow(/padding must be 'valid' or 'same', got 'causal'/);
    expect(() => sequential(env.gpu, [new Conv1d({ filters: 2, kernelSize: 5, inputShape: [3, 1] })])).toThrow(/fewer than the window of 5/);
    // Dilation widens the window: 3 taps 2 apart span 5 steps.
    expect(() => sequential(env.gpu, [new Conv1d({ filters: 2, kernelSize: 3, dilationRate: 2, inputShape: [4, 1] })])).toThrow(/fewer than the window of 5/);
    // Causal keeps every step, whatever the kernel.
    const causal = sequential(env.gpu, [new Conv1d({ filters: 2, kernelSize: 5, dilationRate: 3, padding: 'causal', inputShape: [3, 1] })]);
    expect(causal.outputShape()).toEqual([3, 2]);
    causal.dispose();
  });
});
