// With the same weights, goBackwards layers and Bidirectional wrappers (every merge mode, and
// mergeMode null through apply) give TensorFlow.js layers' outputs (cpu backend, Float32), for
// LSTM, GRU (resetAfter=false, the mode TF.js has) and SimpleRNN.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, test } from 'vitest';
import { importTfjsModel, sequential, tensor, type Tensor } from '../../src/index.js';
import { Bidirectional, type MergeMode } from '../../src/lstm/bidirectional.js';
import { Gru } from '../../src/lstm/gru.js';
import { Lstm } from '../../src/lstm/lstm.js';
import { SimpleRnn } from '../../src/lstm/simpleRnn.js';
import { Random } from '../../src/init/random.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// As the other TF.js tests: both sides in f32, in a different order (TF.js: separate matmuls
// and pointwise ops; ours: fused), ~1e-6 per step; 1e-5 is a 10× margin. The merge is one f32
// operation on each side.
const ATOL = 1e-5;
const RTOL = 1e-5;

// TF.js's orthogonal initializer needs its chained ops, which the core package alone does not
// register; the initial values do not matter here, ours are replaced by TF.js's.
const recurrentInitializer = 'glorotUniform';

type Options = { units: number; returnSequences: boolean; goBackwards?: boolean; inputShape?: [number, number] };
const families = [
  {
    name: 'LSTM',
    tfLayer: (c: Options) => tfl.layers.lstm({ ...c, recurrentActivation: 'sigmoid', recurrentInitializer }),
    ours: (c: Options) => new Lstm(c),
  },
  {
    name: 'GRU (resetAfter=false)',
    tfLayer: (c: Options) =>
      tfl.layers.gru({ ...c, recurrentActivation: 'sigmoid', recurrentInitializer, resetAfter: false } as Parameters<typeof tfl.layers.gru>[0]),
    ours: (c: Options) => new Gru({ ...c, resetAfter: false }),
  },
  {
    name: 'SimpleRNN',
    tfLayer: (c: Options) => tfl.layers.simpleRNN({ ...c, recurrentInitializer }),
    ours: (c: Options) => new SimpleRnn(c),
  },
];

const [B, T, D, H] = [3, 6, 5, 11];
const xs = new Random(77).uniformArray(B * T * D);

describe.each(families)('TensorFlow.js equivalence: $name', (family) => {
  test("goBackwards, sequence and last-step outputs, stacked (the second reads the first one's time-major output)", async () => {
    const { gpu } = env;
    for (const returnSequences of [true, false]) {
      const tfModel = tfl.sequential({
        layers: [
          family.tfLayer({ units: H, inputShape: [T, D], returnSequences: true, goBackwards: true }),
          family.tfLayer({ units: H, returnSequences, goBackwards: true }),
        ],
      });
      const expected = (tfModel.predict(tf.tensor3d(xs, [B, T, D])) as tf.Tensor).dataSync();
      const ours = sequential(gpu, [
        family.ours({ units: H, inputShape: [T, D], returnSequences: true, goBackwards: true }),
        family.ours({ units: H, returnSequences, goBackwards: true }),
      ]);
      ours.setWeights(tfModel.getWeights().map((w) => w.dataSync() as Float32Array));
      expectClose(await ours.predict(tensor(gpu, xs, [B, T, D])).data(), expected, ATOL, RTOL, `returnSequences=${returnSequences}`);
      ours.dispose();
      tfModel.dispose();
    }
  });

  test.each(['concat', 'sum', 'mul', 'ave'] as const)('Bidirectional, mergeMode %s, sequence and last-step outputs', async (mergeMode) => {
    const { gpu } = env;
    for (const returnSequences of [true, false]) {
      const tfModel = tfl.sequential({
        layers: [tfl.layers.bidirectional({ layer: family.tfLayer({ units: H, returnSequences }) as tfl.RNN, mergeMode, inputShape: [T, D] })],
      });
      const expected = (tfModel.predict(tf.tensor3d(xs, [B, T, D])) as tf.Tensor).dataSync();
      const ours = sequential(gpu, [new Bidirectional({ layer: family.ours({ units: H, inputShape: [T, D], returnSequences }), mergeMode })]);
      const tfWeights = tfModel.getWeights().map((w) => w.dataSync() as Float32Array);
      // The same weights in the same order and shapes: forward layer's, then backward layer's.
      expect(ours.layers[0].weightTensors.map((w) => w.shape)).toEqual(tfModel.getWeights().map((w) => w.shape));
      ours.setWeights(tfWeights);
      const y = ours.predict(tensor(gpu, xs, [B, T, D]));
      expect(y.shape).toEqual([...(tfModel.outputs[0].shape as number[])].map((d, i) => (i === 0 ? B : d)));
      expectClose(await y.data(), expected, ATOL, RTOL, `returnSequences=${returnSequences}`);
      ours.dispose();
      tfModel.dispose();
    }
  });
});

test("mergeMode null: apply gives TF.js's two outputs", async () => {
  const { gpu } = env;
  const family = families[0];
  const tfLayer = tfl.layers.bidirectional({
    layer: family.tfLayer({ units: H, returnSequences: true }) as tfl.RNN,
    mergeMode: null as unknown as MergeMode & string,
  });
  const expected = (tfLayer.apply(tf.tensor3d(xs, [B, T, D])) as tf.Tensor[]).map((t) => t.dataSync());
  const ours = new Bidirectional({ layer: family.ours({ units: H, returnSequences: true }), mergeMode: null });
  ours.build(gpu, [T, D]);
  ours.setWeights(tfLayer.getWeights().map((w) => w.dataSync() as Float32Array));
  const outputs = ours.apply(tensor(gpu, xs, [B, T, D])) as Tensor[];
  expect(outputs.length).toBe(2);
  expectClose(await outputs[0].data(), expected[0], ATOL, RTOL, 'forward');
  expectClose(await outputs[1].data(), expected[1], ATOL, RTOL, 'backward');
  ours.dispose();
});

test('import of a TF.js model with Bidirectional layers (save artifacts), the same predictions', async () => {
  const { gpu } = env;
  const tfModel = tfl.sequential({
    layers: [
      tfl.layers.bidirectional({ layer: families[1].tfLayer({ units: H, returnSequences: true }) as tfl.RNN, mergeMode: 'sum', inputShape: [T, D] }),
      tfl.layers.bidirectional({ layer: families[0].tfLayer({ units: H - 3, returnSequences: false }) as tfl.RNN }),
      tfl.layers.dense({ units: 2 }),
    ],
  });
  const expected = (tfModel.predict(tf.tensor3d(xs, [B, T, D])) as tf.Tensor).dataSync();
  let artifacts: unknown;
  await tfModel.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const model = await importTfjsModel(gpu, artifacts as never);
  expect(model.layers.map((l) => l.constructor.name)).toEqual(['Bidirectional', 'Bidirectional', 'Dense']);
  expect((model.layers[0] as Bidirectional).config.mergeMode).toBe('sum');
  expectClose(await model.predict(tensor(gpu, xs, [B, T, D])).data(), expected, ATOL, RTOL, 'imported vs TF.js');
  model.dispose();
  tfModel.dispose();
});
