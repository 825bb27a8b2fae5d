// The systems under test, each behind one interface: build a model of a shape with given
// weights, then run it. Every run reads its result back to the CPU (the forward output, the
// loss of a training step, the generated tokens: lib/generateSystems.ts), so that a run is over
// when its promise resolves, on every side.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { layers, reference, sequential, tensor, type Gpu } from 'webgpu-rnn';
import { oursGenerate, referenceGenerate, tfjsGenerate } from './generateSystems.js';
import type { Kind, Shape, SystemName } from './types.js';

/** Learning rate of the training step (plain SGD on every side, as Keras's default 0.01). */
export const LEARNING_RATE = 0.01;

/** One case as a system sees it: `shape.T` may be a prefix of the case's steps (generate: of its tokens). */
export interface Problem {
  kind: Kind;
  shape: Shape;
  /** [B, T, D], batch-major; generate: the prompt ids [B, GENERATE_PROMPT_LENGTH]. */
  x: Float32Array;
  /** Train: targets [B, 1] of the Dense head. */
  y?: Float32Array;
  /** Keras order: LSTM kernel, recurrent kernel, bias (train: then Dense kernel, bias; generate:
   *  the embedding [V, D] first, then the LSTM's, then the Dense kernel [H, V] and bias [V]). */
  weights: Float32Array[];
}

export interface Runner {
  /** One run. Forward: the output [B, H]; train: the loss before the step; generate: the tokens [B, T]. */
  run(): Promise<ArrayLike<number> | number>;
  /** Train: every weight, read back, in Keras order. */
  weights(): Promise<ArrayLike<number>[]>;
  dispose(): void;
}

export interface System {
  name: SystemName;
  /** Runs on the GPU adapter: timed on the full shape only, and its dispatches counted. */
  onGpu: boolean;
  /** The kinds of case it runs (all when absent). */
  kinds?: readonly Kind[];
  prepare(problem: Problem): Promise<Runner>;
}

export function oursSystem(gpu: Gpu): System {
  return {
    name: 'ours',
    onGpu: true,
    async prepare(problem) {
      const {
        kind,
        shape: { B, T, D, H },
        x,
        y,
        weights,
      } = problem;
      if (kind === 'generate') return oursGenerate(gpu, problem);
      const lstm = layers.lstm({ units: H, inputShape: [T, D] });
      if (kind === 'forward') {
        const model = sequential(gpu, [lstm]);
        model.setWeights(weights);
        const xt = tensor(gpu, x, [B, T, D]);
        return {
          async run() {
            const out = model.predict(xt);
            const data = await out.data();
            out.dispose();
            return data;
          },
          weights: () => model.getWeightData(),
          dispose() {
            xt.dispose();
            model.dispose();
          },
        };
      }
      const model = sequential(gpu, [lstm, layers.dense({ units: 1 })]);
      model.setWeights(weights);
      model.compile({ optimizer: { name: 'sgd', learningRate: LEARNING_RATE }, loss: 'meanSquaredError' });
      const xt = tensor(gpu, x, [B, T, D]);
      const yt = tensor(gpu, y!, [B, 1]);
      return {
        run: async () => (await model.trainOnBatch(xt, yt))[0],
        weights: () => model.getWeightData(),
        dispose() {
          xt.dispose();
          yt.dispose();
          model.dispose();
        },
      };
    },
  };
}

export function referenceSystem(): System {
  return {
    name: 'reference',
    onGpu: false,
    async prepare(problem) {
      const {
        kind,
        shape: { B, T, D, H },
        x,
        y,
        weights,
      } = problem;
      if (kind === 'generate') return referenceGenerate(problem);
      const lstm = reference.layers.lstm({ units: H, inputShape: [T, D] });
      const model = reference.sequential(kind === 'forward' ? [lstm] : [lstm, reference.layers.dense({ units: 1 })]);
      model.setWeights(weights);
      const xr = reference.tensor(x, [B, T, D]);
      if (kind === 'train') model.compile({ optimizer: { name: 'sgd', learningRate: LEARNING_RATE }, loss: 'meanSquaredError' });
      return {
        run: async () => (kind === 'forward' ? model.predict(xr).data : model.trainOnBatch(xr, y!)[0]),
        weights: async () => model.getWeights(),
        dispose() {},
      };
    },
  };
}

/** TF.js backend names of the peers. */
export const TFJS_BACKENDS = { 'tfjs-webgpu': 'webgpu', 'tfjs-cpu': 'cpu', 'tfjs-wasm': 'wasm' } as const;
export type TfjsSystem = keyof typeof TFJS_BACKENDS;

/** TensorFlow.js layers' LSTM on one backend (which must be registered already). */
export function tfjsSystem(name: TfjsSystem): System {
  const backend = TFJS_BACKENDS[name];
  return {
    name,
    onGpu: backend === 'webgpu',
    async prepare(problem) {
      const {
        kind,
        shape: { B, T, D, H },
        x,
        y,
        weights,
      } = problem;
      if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend '${backend}' failed to initialize`);
      if (kind === 'generate') return tfjsGenerate(problem);
      // TF.js's orthogonal initializer needs chained ops that the core package alone does not
      // register; the initial values are replaced by ours below anyway.
      const lstm = tfl.layers.lstm({ units: H, inputShape: [T, D], recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' });
      const model = tfl.sequential({ layers: kind === 'forward' ? [lstm] : [lstm, tfl.layers.dense({ units: 1 })] });
      const values = model.getWeights().map((w, i) => tf.tensor(weights[i], w.shape));
      model.setWeights(values);
      for (const v of values) v.dispose();
      const xt = tf.tensor3d(x, [B, T, D]);
      const optimizer = kind === 'train' ? tf.train.sgd(LEARNING_RATE) : undefined;
      const yt = kind === 'train' ? tf.tensor2d(y!, [B, 1]) : undefined;
      if (optimizer) model.compile({ optimizer, loss: 'meanSquaredError' });
      return {
        async run() {
          if (kind === 'train') {
            const loss = await model.trainOnBatch(xt, yt!);
            return Array.isArray(loss) ? loss[0] : loss;
          }
          const out = model.predict(xt) as tf.Tensor;
          const data = await out.data();
          out.dispose();
          return data;
        },
        weights: () => Promise.all(model.getWeights().map((w) => w.data())),
        dispose() {
          xt.dispose();
          yt?.dispose();
          optimizer?.dispose();
          model.dispose();
        },
      };
    },
  };
}
