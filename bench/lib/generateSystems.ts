// The systems of a generate case: Embedding(V → D) → LSTM(H, returnSequences) → Dense(V, softmax)
// with the case's weights, greedy decoding (the first index of the largest probability) of T
// tokens after a prompt [B, P]. Every run starts from zero state and returns the tokens
// [B, T] batch-major, read back to the CPU.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { argmax, generate, type Gpu, layers, reference, sequential } from 'webgpu-rnn';
import type { Problem, Runner, System } from './systems.js';
import { GENERATE_PROMPT_LENGTH, GENERATE_VOCABULARY } from './types.js';

const V = GENERATE_VOCABULARY;
const P = GENERATE_PROMPT_LENGTH;

/** The prompt [B, P] batch-major as B rows of ids. */
function promptRows(x: Float32Array, B: number): number[][] {
  return Array.from({ length: B }, (_, b) => Array.from(x.subarray(b * P, (b + 1) * P)));
}

/** Row b of `probs` [B, t, V] at its last step, argmax'ed: B ids. */
function lastStepArgmax(probs: ArrayLike<number>, B: number, t: number): number[] {
  const flat = probs as Float32Array | Float64Array;
  return Array.from({ length: B }, (_, b) => argmax(flat.subarray((b * t + t - 1) * V, (b * t + t) * V)));
}

/** tokens [T][B] (one list a step) as [B, T] batch-major. */
function batchMajor(steps: readonly number[][], B: number): Float32Array {
  const T = steps.length;
  const out = new Float32Array(B * T);
  steps.forEach((ids, t) => ids.forEach((id, b) => (out[b * T + t] = id)));
  return out;
}

function gpuLayers(D: number, H: number, stateful: boolean) {
  return [
    layers.embedding({ inputDim: V, outputDim: D, inputShape: [null] }),
    layers.lstm({ units: H, returnSequences: true, stateful }),
    layers.dense({ units: V, activation: 'softmax' }),
  ];
}

/** Ours: generate(), each token drawn (argmax) in a kernel and fed back on the GPU, 32 tokens a submit (the default). */
export function oursGenerate(gpu: Gpu, { shape: { B, T, D, H }, x, weights }: Problem): Runner {
  const model = sequential(gpu, gpuLayers(D, H, false));
  model.setWeights(weights);
  const prompt = promptRows(x, B);
  return {
    run: async () => Float32Array.from((await generate(model, { prompt, steps: T, temperature: 0, seed: 1 })).flat()),
    weights: () => model.getWeightData(),
    dispose: () => model.dispose(),
  };
}

/**
 * Ours the classic way: a stateful copy of the model, one predict a token (the prompt first),
 * each one uploading its ids and reading back [B, t, V] for an argmax on the CPU. Stateful (not
 * a predict over the whole text so far) so that its work per token is constant, as generate's.
 */
export function predictLoopSystem(gpu: Gpu): System {
  return {
    name: 'predict-loop',
    onGpu: true,
    kinds: ['generate'],
    async prepare({ shape: { B, T, D, H }, x, weights }) {
      const model = sequential(gpu, gpuLayers(D, H, true));
      model.setWeights(weights);
      return {
        async run() {
          model.resetStates();
          const steps: number[][] = [];
          let input = x;
          for (let t = 0; t < T; t++) {
            const width = t === 0 ? P : 1;
            const out = model.predict(input, [B, width]);
            const probs = await out.data();
            out.dispose();
            const ids = lastStepArgmax(probs, B, width);
            steps.push(ids);
            input = Float32Array.from(ids);
          }
          return batchMajor(steps, B);
        },
        weights: () => model.getWeightData(),
        dispose: () => model.dispose(),
      };
    },
  };
}

/**
 * The Float64 CPU reference: the same layers with a stateful LSTM stepping one token a predict
 * (work constant per token; a predict over the growing text gives the same tokens at O(T²)).
 */
export function referenceGenerate({ shape: { B, T, D, H }, x, weights }: Problem): Runner {
  const r = reference.layers;
  const lstm = r.lstm({ units: H, returnSequences: true, stateful: true });
  const model = reference.sequential([r.embedding({ inputDim: V, outputDim: D, inputShape: [null] }), lstm, r.dense({ units: V, activation: 'softmax' })]);
  model.setWeights(weights);
  return {
    async run() {
      lstm.resetStates();
      const steps: number[][] = [];
      let input: Float64Array | Float32Array = x;
      for (let t = 0; t < T; t++) {
        const width = t === 0 ? P : 1;
        const ids = lastStepArgmax(model.predict(reference.tensor(input, [B, width])).data, B, width);
        steps.push(ids);
        input = Float64Array.from(ids);
      }
      return batchMajor(steps, B);
    },
    weights: async () => model.getWeights(),
    dispose() {},
  };
}

/**
 * TF.js layers, on the backend already set: a stateful LSTM (batchInputShape [B, null]); one
 * predict over the prompt, then one predict a token, each next input the argMax of the last
 * step kept on the backend (no readback in the loop); one readback of the T tokens at the end.
 */
export function tfjsGenerate({ shape: { B, T, D, H }, x, weights }: Problem): Runner {
  const model = tfl.sequential({
    layers: [
      tfl.layers.embedding({ inputDim: V, outputDim: D, batchInputShape: [B, null] }),
      // As the forward peer: Keras's sigmoid, and an initializer that needs no chained ops (replaced below).
      tfl.layers.lstm({ units: H, returnSequences: true, stateful: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' }),
      tfl.layers.dense({ units: V, activation: 'softmax' }),
    ],
  });
  const values = model.getWeights().map((w, i) => tf.tensor(weights[i], w.shape));
  model.setWeights(values);
  for (const v of values) v.dispose();
  const prompt = tf.tensor2d(x, [B, P]);
  return {
    async run() {
      model.resetStates();
      const tokens: tf.Tensor[] = [];
      let input: tf.Tensor = prompt;
      for (let t = 0; t < T; t++) {
        const width = t === 0 ? P : 1;
        // probs [B, width, V] → the last step's argMax [B, 1], the next input.
        const next = tf.tidy(() => {
          const probs = model.predict(input) as tf.Tensor3D;
          return tf.argMax(tf.slice(probs, [0, width - 1, 0], [B, 1, V]), 2);
        });
        tokens.push(next);
        input = next;
      }
      const all = tf.concat(tokens, 1);
      const data = await all.data();
      tf.dispose([all, ...tokens]);
      return Float32Array.from(data);
    },
    weights: () => Promise.all(model.getWeights().map((w) => w.data())),
    dispose() {
      prompt.dispose();
      model.dispose();
    },
  };
}
