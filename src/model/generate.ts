// Token generation on the GPU: the prompt, then one token a step, each sampled in a kernel
// (kernels/sampleToken) from the model's last softmax and fed back through the Embedding
// gather, the recurrent layers carrying their state; `tokensPerSubmit` steps a command buffer
// and one readback each, the next chunk queued before the last one is read.
import { encodeSampleToken } from '../kernels/sampleToken.js';
import type { Gpu, RunScope } from '../runtime/device.js';
import { emptyTensor, type Tensor, tensor } from '../runtime/tensor.js';
import { DisposedError, describeValue, RnnError, ShapeError } from '../spec/errors.js';
import { checkOptions, OptionError, type OptionSchema } from '../spec/options.js';
import { checkTokenIds } from '../spec/embeddingConfig.js';
import { drawSeed } from '../spec/seed.js';
import { Activation } from '../layers/activation.js';
import { Dense } from '../layers/dense.js';
import { Dropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import type { Flow, Layer } from '../layers/layer.js';
import { TimeDistributed } from '../layers/timeDistributed.js';
import { RecurrentLayer } from '../lstm/recurrent.js';
import { Sequential } from './sequential.js';
import { acquireCarry, readFloats } from './trainingData.js';

interface GenerateSettings {
  /** Tokens to generate after the prompt (0: none). */
  steps: number;
  /** p^(1/temperature), renormalized: below 1 sharper, above 1 flatter; 0 takes the most likely token (greedy). Default 1. */
  temperature?: number;
  /** Draw only among the k likeliest tokens (ties at the k-th all kept). */
  topK?: number;
  /** Draw only among the likeliest tokens that together hold this share of the probability (nucleus sampling), in (0, 1]. */
  topP?: number;
  /** The draws' seed: one seed, one text. Default: from setSeed's stream (or random). */
  seed?: number;
  /** Tokens never drawn: padding (0 with maskZero), an out-of-vocabulary token. */
  suppressTokens?: readonly number[];
  /** Steps a command buffer, each with one readback (default 32): more is faster, fewer streams sooner. */
  tokensPerSubmit?: number;
}

export interface GenerateOptions extends GenerateSettings {
  /** The token ids the text continues (at least one). */
  prompt: ArrayLike<number>;
  /** Called with each chunk of new tokens once read back; returning false stops generation there. */
  onChunk?: (tokens: number[]) => unknown;
}

export interface GenerateBatchOptions extends GenerateSettings {
  /** Several prompts of one length, generated side by side (one batch row each). */
  prompt: readonly ArrayLike<number>[];
  /** Called with each chunk of new tokens, one list a prompt; returning false stops generation there. */
  onChunk?: (tokens: number[][]) => unknown;
}

const GENERATE_OPTIONS: OptionSchema<GenerateOptions> = {
  prompt: 'any',
  steps: 'integer',
  temperature: 'number',
  topK: 'integer',
  topP: 'number',
  seed: 'integer',
  suppressTokens: 'array',
  tokensPerSubmit: 'integer',
  onChunk: 'function',
};

/**
 * `steps` token ids generated after `prompt` by `model`: a Sequential that starts with an
 * Embedding and ends in a softmax over the vocabulary (Dense, Activation or TimeDistributed),
 * with Dense, Activation, Dropout, TimeDistributed and recurrent layers between. The state of
 * a stateful model carries on from where it is (resetStates() first to start afresh) and is
 * left after the last token; other models start from zeros.
 *
 * @example
 * ```ts
 * const ids = await generate(model, { prompt: tokenizer.textsToSequences(['the '])[0], steps: 200, temperature: 0.8, topK: 20, seed: 1 });
 * ```
 */
export function generate(model: Sequential, options: GenerateOptions): Promise<number[]>;
export function generate(model: Sequential, options: GenerateBatchOptions): Promise<number[][]>;
export async function generate(model: Sequential, options: GenerateOptions | GenerateBatchOptions): Promise<number[] | number[][]> {
  const plan = planGeneration(model, options);
  const batched = Array.isArray(options.prompt) && options.prompt.length > 0 && typeof options.prompt[0] !== 'number';
  const rowsOf = (flat: Float32Array, n: number) => Array.from({ length: plan.rows }, (_, r) => Array.from({ length: n }, (_, i) => flat[i * plan.rows + r]));
  const out: number[][] = Array.from({ length: plan.rows }, () => []);
  await runGeneration(model.gpu, model.layers, plan, (chunk, n) => {
    const tokens = rowsOf(chunk, n);
    tokens.forEach((row, r) => out[r].push(...row));
    const onChunk = options.onChunk as ((tokens: number[] | number[][]) => unknown) | undefined;
    return onChunk?.(batched ? tokens : tokens[0]) !== false;
  });
  return batched ? out : out[0];
}

interface GenerationPlan {
  rows: number;
  /** [rows, P] batch-major. */
  prompt: Float32Array;
  promptSteps: number;
  steps: number;
  /** The softmax's width. */
  V: number;
  keep: Float32Array;
  temperature: number;
  topK?: number;
  topP?: number;
  seed: number;
  tokensPerSubmit: number;
}

/** Every option and the model checked, before anything touches the GPU. */
function planGeneration(model: Sequential, options: GenerateOptions | GenerateBatchOptions): GenerationPlan {
  if (!(model instanceof Sequential)) throw new RnnError(`generate: model must be a Sequential, got ${describeValue(model)}.`);
  if (model.isDisposed) throw new DisposedError('generate: the model was disposed (its weights were released): build or load a new one.');
  checkOptions('generate', options, GENERATE_OPTIONS);
  const { steps, temperature = 1, topK, topP, seed = drawSeed(), tokensPerSubmit = 32 } = options;
  if (!(steps >= 0)) throw new OptionError(`generate: steps is the number of tokens to generate, a whole number ≥ 0; got ${steps}.`);
  if (!(temperature >= 0)) throw new OptionError(`generate: temperature must be ≥ 0 (0: greedy); got ${temperature}.`);
  if (topK !== undefined && !(topK >= 1))
    throw new OptionError(`generate: topK is how many of the likeliest tokens may be drawn, a whole number ≥ 1; got ${topK}.`);
  if (topP !== undefined && !(topP > 0 && topP <= 1)) throw new OptionError(`generate: topP is a share of the probability in (0, 1]; got ${topP}.`);
  if (!(tokensPerSubmit >= 1)) throw new OptionError(`generate: tokensPerSubmit is a whole number ≥ 1; got ${tokensPerSubmit}.`);
  if (!model.built) throw new RnnError('generate: the model is not built yet: train it, load weights into it, or give its first layer an inputShape.');
  const { embedding, V } = checkSteppable(model.layers);
  const rowsList = promptRows(options.prompt);
  const promptSteps = rowsList[0].length;
  const prompt = new Float32Array(rowsList.length * promptSteps);
  rowsList.forEach((row, r) => {
    if (row.length !== promptSteps)
      throw new ShapeError(`generate: prompt ${r} has ${row.length} ids, prompt 0 has ${promptSteps}: the prompts of a batch must have one length.`);
    prompt.set(Array.from(row), r * promptSteps);
  });
  checkTokenIds(prompt, embedding.inputDim, 'generate: prompt');
  const keep = new Float32Array(V).fill(1);
  for (const id of options.suppressTokens ?? []) {
    if (!(Number.isInteger(id) && id >= 0 && id < V))
      throw new OptionError(`generate: suppressTokens holds ${describeValue(id)}, not a token id in [0, ${V}).`);
    keep[id] = 0;
  }
  if (!keep.includes(1)) throw new OptionError(`generate: suppressTokens suppresses all ${V} tokens; leave some to draw.`);
  const rows = rowsList.length;
  const limit = model.gpu.limits.maxComputeWorkgroupsPerDimension;
  if (rows > limit)
    throw new ShapeError(`generate: ${rows} prompts at once is over this adapter's ${limit} (maxComputeWorkgroupsPerDimension); generate them in batches.`);
  return { rows, prompt, promptSteps, steps, V, keep, temperature, topK, topP, seed, tokensPerSubmit };
}

/** The prompt as rows of ids: one sequence, or several. */
function promptRows(prompt: unknown): ArrayLike<number>[] {
  const isIds = (value: unknown): value is ArrayLike<number> =>
    ArrayBuffer.isView(value) || (Array.isArray(value) && value.every((v) => typeof v === 'number'));
  const rows = isIds(prompt) ? [prompt] : Array.isArray(prompt) && prompt.every(isIds) ? prompt : undefined;
  if (!rows || rows.length === 0 || rows[0].length === 0) {
    throw new ShapeError(`generate: prompt must be token ids (at least one), or a list of such prompts of one length; got ${describeValue(prompt)}.`);
  }
  return rows;
}

/** The first layer (an Embedding) and the softmax's width, or a typed error naming the layer that cannot be stepped. */
function checkSteppable(layers: readonly Layer[]): { embedding: Embedding; V: number } {
  const [first] = layers;
  if (!(first instanceof Embedding)) throw new RnnError(`generate: the model must start with an Embedding of token ids; it starts with ${describe(first)}.`);
  for (const layer of layers.slice(1)) {
    const stepwise = layer instanceof Dense || layer instanceof Activation || layer instanceof Dropout || layer instanceof TimeDistributed;
    if (layer instanceof RecurrentLayer && layer.config.goBackwards) {
      throw new RnnError(`generate: ${describe(layer)} runs backwards in time; a generated text can only be read forwards.`);
    }
    if (!stepwise && !(layer instanceof RecurrentLayer) && !(layer instanceof Embedding)) {
      throw new RnnError(
        `generate: ${describe(layer)} looks across steps, so the model cannot be stepped one token at a time (Embedding, LSTM, GRU, SimpleRNN, Dense, Activation, Dropout and TimeDistributed can); predict over the whole window instead.`,
      );
    }
  }
  const last = layers[layers.length - 1];
  let head = last;
  while (head instanceof TimeDistributed) head = head.layer;
  const softmax = (head instanceof Dense || head instanceof Activation) && head.config.activation === 'softmax';
  if (!softmax) throw new RnnError(`generate: the model must end in a softmax over the vocabulary; it ends with ${describe(last)}.`);
  const outputShape = layers.reduce((shape, layer) => layer.computeOutputShape(shape), [1]);
  const V = outputShape[outputShape.length - 1];
  if (V > first.inputDim) {
    throw new ShapeError(
      `generate: the softmax is over ${V} tokens, but ${first.name} takes ids below ${first.inputDim}: a drawn token could not be fed back.`,
    );
  }
  return { embedding: first, V };
}

function describe(layer: Layer | undefined): string {
  return layer ? `${layer.name} (${layer.constructor.name})` : 'no layer';
}

/**
 * Runs the plan: the tokens [steps, rows] time-major on the GPU, read back chunk by chunk
 * into `take(chunk [n, rows], n)`, which returns false to stop.
 */
async function runGeneration(gpu: Gpu, layers: readonly Layer[], plan: GenerationPlan, take: (chunk: Float32Array, n: number) => boolean): Promise<void> {
  const { rows, steps, V } = plan;
  if (steps === 0) return;
  const prompt = tensor(gpu, plan.prompt, [rows, plan.promptSteps]);
  const keep = tensor(gpu, plan.keep, [V]);
  const tokens = emptyTensor(gpu, [steps, rows], 'generated tokens');
  const carry = acquireCarry(gpu, layers, rows);
  try {
    // Step i reads token i − 1 (the prompt at i = 0) and writes token i at row offset i·rows.
    const encodeStep = (encoder: GPUCommandEncoder, run: RunScope, i: number, weights: GPUBuffer) => {
      let flow: Flow =
        i === 0
          ? { buffer: prompt.buffer, offset: 0, shape: [rows, plan.promptSteps], timeMajor: false }
          : { buffer: tokens.buffer, offset: (i - 1) * rows, shape: [rows, 1], timeMajor: false };
      layers.forEach((layer, l) => {
        flow = layer.encode(encoder, run, flow, carry[l]);
      });
      const pass = encoder.beginComputePass({ label: `generate: token ${i}` });
      const { temperature, topK, topP, seed } = plan;
      const rule = { temperature, topK, topP, seed, position: i };
      encodeSampleToken(gpu, pass, run, {
        probs: flow.buffer,
        ...lastStepRows(flow, V),
        rows,
        V,
        keep: keep.buffer,
        weights,
        tokens: tokens.buffer,
        out: i * rows,
        ...rule,
      });
      pass.end();
    };
    const submitChunk = (start: number) => {
      const end = Math.min(steps, start + plan.tokensPerSubmit);
      const done = gpu.submit(`generate tokens ${start}..${end - 1}`, (encoder, run) => {
        const weights = run.scratch(rows * V * 4, 'generate: sampling weights');
        for (let i = start; i < end; i++) encodeStep(encoder, run, i, weights);
      });
      const values = readFloats(gpu, tokens.buffer, (end - start) * rows, start * rows);
      return { end, read: Promise.all([done, values]).then(([, v]) => v) };
    };
    let chunk = submitChunk(0);
    for (;;) {
      const next = chunk.end < steps ? submitChunk(chunk.end) : undefined;
      const values = await chunk.read;
      const n = values.length / rows;
      if (!take(values, n) || !next) {
        await next?.read.catch(() => {});
        return;
      }
      chunk = next;
    }
  } finally {
    for (const state of carry) if (state) for (const buffer of [state.h, state.c]) gpu.pool.release(buffer);
    for (const t of [prompt, keep, tokens] as Tensor[]) t.dispose();
  }
}

/** Where each row's last-step probabilities start in a softmax output of [B, V], [B, T, V] or time-major [T, B, V]. */
export function lastStepRows(flow: Flow, V: number): { base: number; strideB: number } {
  if (flow.shape.length === 2) return { base: flow.offset, strideB: V };
  const [B, T] = flow.shape;
  return flow.timeMajor ? { base: flow.offset + (T - 1) * B * V, strideB: V } : { base: flow.offset + (T - 1) * V, strideB: T * V };
}
