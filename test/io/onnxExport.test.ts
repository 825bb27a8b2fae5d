// exportOnnx against ONNX Runtime (onnxruntime-node, CPU): every exported layer kind and option
// runs there and gives our GPU outputs, and a layer without an ONNX form is refused by name
// before a weight is read.
//
// Tolerance: the forward tests hold our float32 kernels within 1e-4 + 1e-4·|y| of the Float64
// reference at these sizes (T ≤ 7, H ≤ 16), and ONNX Runtime's float32 kernels sum the same
// terms in another order, so within the same bound of the exact value: the two agree within
// twice it.
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { exportOnnx, layers, ModelFormatError, type Layer, reference, RnnError, sequential } from '../../src/index.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();
const ATOL = 2e-4;
const RTOL = 2e-4;

async function runOnnx(bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const { y } = await session.run({ x: new ort.Tensor('float32', x, shape) });
    return { data: y.data as Float32Array, dims: y.dims };
  } finally {
    await session.release();
  }
}

/** Our prediction and ONNX Runtime's of the exported model, on the same seeded input. */
async function expectSameAsOnnx(stack: Layer[], shape: number[], what: string, ids?: number): Promise<void> {
  const model = sequential(env.gpu, stack);
  const size = shape.reduce((a, b) => a * b, 1);
  const random = new reference.Random(11);
  const x = ids ? Float32Array.from({ length: size }, () => Math.floor(random.uniform(0, ids))) : random.uniformArray(size);
  const ours = model.predict(x, shape);
  const expected = await ours.data();
  const bytes = await exportOnnx(model);
  const onnx = await runOnnx(bytes, x, shape);
  expect(onnx.dims, what).toEqual(ours.shape);
  expectClose(onnx.data, expected, ATOL, RTOL, what);
  ours.dispose();
  model.dispose();
}

describe('exportOnnx runs in ONNX Runtime with our outputs', () => {
  for (const returnSequences of [false, true]) {
    for (const goBackwards of [false, true]) {
      const options = `returnSequences ${returnSequences}, goBackwards ${goBackwards}`;
      test(`LSTM → Dense, ${options}`, async () => {
        const stack = [layers.lstm({ units: 16, inputShape: [7, 3], returnSequences, goBackwards, seed: 1 }), layers.dense({ units: 2, seed: 2 })];
        await expectSameAsOnnx(stack, [3, 7, 3], options);
      });
      test(`GRU (resetAfter and not) and SimpleRNN, ${options}`, async () => {
        for (const resetAfter of [true, false]) {
          await expectSameAsOnnx(
            [layers.gru({ units: 9, inputShape: [5, 4], returnSequences, goBackwards, resetAfter, seed: 3 })],
            [2, 5, 4],
            `GRU resetAfter ${resetAfter}`,
          );
        }
        await expectSameAsOnnx([layers.simpleRNN({ units: 6, inputShape: [5, 4], returnSequences, goBackwards, seed: 4 })], [2, 5, 4], 'SimpleRNN');
      });
    }
  }

  test('Bidirectional in every merge mode, over sequences and last steps', async () => {
    for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as const) {
      for (const returnSequences of [false, true]) {
        const inner = layers.lstm({ units: 5, returnSequences, seed: 5 });
        await expectSameAsOnnx(
          [layers.bidirectional({ layer: inner, mergeMode, inputShape: [6, 3] })],
          [2, 6, 3],
          `${mergeMode}, returnSequences ${returnSequences}`,
        );
      }
    }
    const gru = layers.gru({ units: 4, returnSequences: true, seed: 6 });
    await expectSameAsOnnx(
      [layers.bidirectional({ layer: gru, inputShape: [4, 2] }), layers.simpleRNN({ units: 3, seed: 7 })],
      [1, 4, 2],
      'GRU then SimpleRNN',
    );
  });

  test('Embedding → stacked LSTMs → Dropout → Dense softmax, batch 1 and one step; TimeDistributed and every Dense activation', async () => {
    const stack = () => [
      layers.embedding({ inputDim: 20, outputDim: 8, inputShape: [6] }),
      layers.lstm({ units: 12, returnSequences: true, seed: 8 }),
      layers.lstm({ units: 10, seed: 9 }),
      layers.dropout({ rate: 0.3 }),
      layers.dense({ units: 4, activation: 'softmax', seed: 10 }),
    ];
    await expectSameAsOnnx(stack(), [3, 6], 'embedding stack', 20);
    await expectSameAsOnnx([layers.lstm({ units: 3, inputShape: [1, 1], seed: 11 })], [1, 1, 1], 'B=1 T=1');
    for (const activation of ['linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'hardSigmoid'] as const) {
      const td = layers.timeDistributed({ layer: layers.dense({ units: 3, activation, seed: 12 }) });
      await expectSameAsOnnx([layers.lstm({ units: 4, inputShape: [3, 2], returnSequences: true, seed: 13 }), td], [2, 3, 2], activation);
    }
  });

  test('recurrent activations other than the defaults (relu, hardSigmoid) and a layer without bias', async () => {
    const lstm = layers.lstm({ units: 4, inputShape: [5, 2], activation: 'relu', recurrentActivation: 'hardSigmoid', useBias: false, seed: 14 });
    await expectSameAsOnnx([lstm], [2, 5, 2], 'lstm relu / hardSigmoid');
    await expectSameAsOnnx([layers.gru({ units: 4, inputShape: [5, 2], recurrentActivation: 'hardSigmoid', seed: 15 })], [2, 5, 2], 'gru hardSigmoid');
  });
});

describe('exportOnnx: the shape layers', () => {
  test('Embedding → GlobalAveragePooling1D → Dense → Activation(softmax); LSTM → GlobalMaxPooling1D → RepeatVector → GRU → Flatten → Dense → Activation(tanh)', async () => {
    await expectSameAsOnnx(
      [
        layers.embedding({ inputDim: 9, outputDim: 5, inputShape: [6], seed: 1 }),
        layers.globalAveragePooling1d(),
        layers.dense({ units: 3, seed: 2 }),
        layers.activation({ activation: 'softmax' }),
      ],
      [3, 6],
      'average pooling, softmax',
      9,
    );
    await expectSameAsOnnx(
      [
        layers.lstm({ units: 4, inputShape: [5, 3], returnSequences: true, seed: 3 }),
        layers.globalMaxPooling1d(),
        layers.repeatVector({ n: 3 }),
        layers.gru({ units: 2, returnSequences: true, seed: 4 }),
        layers.flatten(),
        layers.dense({ units: 2, seed: 5 }),
        layers.activation({ activation: 'hardSigmoid' }),
      ],
      [2, 5, 3],
      'max pooling, repeat, flatten, hardSigmoid',
    );
  });

  test('gelu and swish, composed of opset-17 ops (Erf, Sigmoid, Mul): Dense(gelu) → Activation(swish)', async () => {
    await expectSameAsOnnx(
      [
        layers.lstm({ units: 4, inputShape: [3, 2], seed: 6 }),
        layers.dense({ units: 5, activation: 'gelu', seed: 7 }),
        layers.activation({ activation: 'swish' }),
      ],
      [2, 3, 2],
      'gelu, swish',
    );
  });
});

describe('exportOnnx refuses', () => {
  test('a layer without an ONNX form, by name, and a model without weights', async () => {
    const conv = sequential(env.gpu, [layers.conv1d({ filters: 2, kernelSize: 2, inputShape: [5, 3] }), layers.lstm({ units: 2 })]);
    await expect(exportOnnx(conv)).rejects.toThrow(ModelFormatError);
    await expect(exportOnnx(conv)).rejects.toThrow(/conv1d_\d+ \(Conv1d\) has no ONNX export yet/);
    const masked = sequential(env.gpu, [layers.embedding({ inputDim: 5, outputDim: 2, inputShape: [3], maskZero: true }), layers.lstm({ units: 2 })]);
    await expect(exportOnnx(masked)).rejects.toThrow(/maskZero/);
    const linear = sequential(env.gpu, [layers.simpleRNN({ units: 2, inputShape: [3, 1], activation: 'linear' })]);
    await expect(exportOnnx(linear)).rejects.toThrow(/activation 'linear'/);
    const unbuilt = sequential(env.gpu, [layers.lstm({ units: 2 })]);
    await expect(exportOnnx(unbuilt)).rejects.toThrow(RnnError);
    await expect(exportOnnx(conv, { inputName: '1 x' })).rejects.toThrow(/inputName must be an identifier/);
    for (const m of [conv, masked, linear, unbuilt]) m.dispose();
  });
});
