// importOnnx: every graph exportOnnx writes comes back as the same layers and weights (the same
// outputs, bit for bit: the layout changes are exact moves, Wb + 0 for the biases), and a graph
// in ONNX's standard forms written by hand as another tool writes it (Squeeze of the directions,
// Y_h for the last state, Gemm with transB, nonzero recurrent biases Rb)
// gives ONNX Runtime's outputs. Graphs it cannot read are refused naming the node.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { exportOnnx, importOnnx, layers, type Layer, ModelFormatError, reference, sequential, TimeDistributed } from '../../src/index.js';
import { OnnxGraph } from '../../src/io/onnxGraph.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();

async function predict(
  model: { predict(x: Float32Array, shape: number[]): { data(): Promise<Float32Array>; dispose(): void } },
  x: Float32Array,
  shape: number[],
): Promise<Float32Array> {
  const y = model.predict(x, shape);
  const out = await y.data();
  y.dispose();
  return out;
}

const STACKS: [string, () => Layer[], number[], number?][] = [
  [
    'LSTM (sequences) → LSTM → Dense softmax',
    () => [
      layers.lstm({ units: 6, inputShape: [5, 3], returnSequences: true, seed: 1 }),
      layers.lstm({ units: 4, seed: 2 }),
      layers.dense({ units: 3, activation: 'softmax', seed: 3 }),
    ],
    [2, 5, 3],
  ],
  [
    'Embedding → Bidirectional(GRU, concat) → Dense sigmoid',
    () => [
      layers.embedding({ inputDim: 9, outputDim: 4, inputShape: [6], seed: 4 }),
      layers.bidirectional({ layer: layers.gru({ units: 3, seed: 5 }) }),
      layers.dense({ units: 1, activation: 'sigmoid', seed: 6 }),
    ],
    [3, 6],
    9,
  ],
  [
    'SimpleRNN goBackwards (sequences) → Activation → TimeDistributed(Dense)',
    () => [
      layers.simpleRNN({ units: 5, inputShape: [4, 2], returnSequences: true, goBackwards: true, seed: 7 }),
      layers.activation({ activation: 'softsign' }),
      layers.timeDistributed({ layer: layers.dense({ units: 3, seed: 8 }) }),
    ],
    [2, 4, 2],
  ],
  [
    'Bidirectional LSTM sum, mul and ave (sequences), GRU without resetAfter, global pooling',
    () => [
      layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true, seed: 9 }), mergeMode: 'sum', inputShape: [5, 2] }),
      layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true, seed: 10 }), mergeMode: 'mul' }),
      layers.bidirectional({ layer: layers.gru({ units: 2, returnSequences: true, resetAfter: false, seed: 11 }), mergeMode: 'ave' }),
      layers.globalAveragePooling1d(),
      layers.repeatVector({ n: 3 }),
      layers.lstm({ units: 2, returnSequences: true, recurrentActivation: 'hardSigmoid', seed: 12 }),
      layers.flatten(),
      layers.dense({ units: 2, activation: 'elu', seed: 13 }),
    ],
    [2, 5, 2],
  ],
];

describe('importOnnx of exportOnnx', () => {
  test.each(STACKS)('%s: the same layers, the same outputs bit for bit', async (_, stack, shape, ids) => {
    const model = sequential(env.gpu, stack());
    const random = new reference.Random(3);
    const size = shape.reduce((a, b) => a * b, 1);
    const x = ids ? Float32Array.from({ length: size }, () => random.int(ids)) : random.uniformArray(size);
    const imported = await importOnnx(env.gpu, await exportOnnx(model));
    // A TimeDistributed comes back as its layer (the same function on [batch, steps, F]).
    const kinds = (m: typeof model) => m.layers.map((l) => (l instanceof TimeDistributed ? l.layer : l).constructor.name);
    expect(kinds(imported)).toEqual(kinds(model));
    expect(await predict(imported, x, shape)).toEqual(await predict(model, x, shape));
    for (const m of [model, imported]) m.dispose();
  });
});

/** LSTM [T, B, D] → H in ONNX's standard forms, as a converter writes it, with seeded weights. */
function standardGraph(): Uint8Array {
  const [D, H, K] = [3, 4, 2];
  const random = new reference.Random(21);
  const g = new OnnxGraph();
  const x = g.input('x', ['batch', 5, D]);
  const W = g.floats('W', [1, 4 * H, D], random.uniformArray(4 * H * D, -0.5, 0.5));
  const R = g.floats('R', [1, 4 * H, H], random.uniformArray(4 * H * H, -0.5, 0.5));
  const B = g.floats('B', [1, 8 * H], random.uniformArray(8 * H, -0.5, 0.5));
  const timeMajor = g.op('Transpose', [x], { perm: [1, 0, 2] });
  const [, last] = g.node('LSTM', [timeMajor, W, R, B], { hidden_size: H }, 2);
  const h = g.op('Squeeze', [last, g.ints('axes', [0])]);
  const y = g.op('Gemm', [h, g.floats('fc_w', [K, H], random.uniformArray(K * H)), g.floats('fc_b', [K], random.uniformArray(K))], { transB: 1 });
  g.output(g.op('Softmax', [y], { axis: 1 }), 'y', ['batch', K]);
  return g.encode('standard', 17, 'test');
}

describe('importOnnx of a graph in ONNX standard forms', () => {
  test('Transpose → LSTM (Wb and Rb) → Squeeze(Y_h) → Gemm(transB) → Softmax: ONNX Runtime’s outputs', async () => {
    const bytes = standardGraph();
    const x = new reference.Random(5).uniformArray(2 * 5 * 3);
    const session = await ort.InferenceSession.create(bytes);
    const expected = (await session.run({ x: new ort.Tensor('float32', x, [2, 5, 3]) })).y.data as Float32Array;
    await session.release();
    // From a path (Node), as from bytes, a Blob or a URL.
    const dir = mkdtempSync(join(tmpdir(), 'onnx-import-'));
    writeFileSync(join(dir, 'model.onnx'), bytes);
    const model = await importOnnx(env.gpu, join(dir, 'model.onnx'));
    rmSync(dir, { recursive: true, force: true });
    expect(model.layers.map((l) => l.constructor.name)).toEqual(['Lstm', 'Dense']);
    // f32 on both sides, the terms summed in other orders: 5 steps of sums of ≤ 8 terms of O(1).
    expectClose(await predict(model, x, [2, 5, 3]), expected, 1e-5, 1e-5, 'imported vs ONNX Runtime');
    model.dispose();
  });

  test('what it cannot read is refused, naming the node', async () => {
    const g = new OnnxGraph();
    const x = g.input('x', ['batch', 4, 2]);
    g.output(g.op('Conv', [x]), 'y', ['batch', 4, 2]);
    await expect(importOnnx(env.gpu, g.encode('conv', 17, 't'))).rejects.toThrow(/node_Conv \(Conv\) is an op this importer does not read/);
    const s = new OnnxGraph();
    const xs = s.input('x', ['batch', 4, 2]);
    const tm = s.op('Transpose', [xs], { perm: [1, 0, 2] });
    const [, last] = s.node(
      'RNN',
      [tm, s.floats('W', [1, 2, 2], [1, 0, 0, 1]), s.floats('R', [1, 2, 2], [1, 0, 0, 1]), '', '', s.floats('h0', [1, 1, 2], [1, 0])],
      { hidden_size: 2 },
      2,
    );
    s.output(s.op('Squeeze', [last, s.ints('axes', [0])]), 'y', ['batch', 2]);
    await expect(importOnnx(env.gpu, s.encode('state', 17, 't'))).rejects.toThrow(/starts from a initial_h that is not zeros/);
    await expect(importOnnx(env.gpu, new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(ModelFormatError);
  });
});
