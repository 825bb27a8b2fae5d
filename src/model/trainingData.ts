// The data side of training: checking and uploading x and y, the step windows of truncated
// BPTT, and small helpers around the stats buffer. No model logic.
import type { LossName, MetricName } from '../kernels/loss.js';
import type { Gpu, RunScope } from '../runtime/device.js';
import { describeValue, formatShape, RnnError, ShapeError } from '../spec/errors.js';
import { TENSOR_USAGE } from '../runtime/gpuConstants.js';
import { Tensor, tensor, type TensorData } from '../runtime/tensor.js';
import { Embedding } from '../layers/embedding.js';
import { RecurrentLayer } from '../lstm/recurrent.js';
import type { Flow, Layer, RecurrentState } from '../layers/layer.js';
import { fromKerasName, LOSS_ALIASES, METRIC_ALIASES } from '../spec/names.js';
import { checkOptions, type OptionSchema } from '../spec/options.js';
import { DEFAULT_DIVERGENCE_FACTOR } from './divergenceGuard.js';
import { type CompileArgs, type FitArgs, LOSSES, type Logs, METRICS, type Trainable } from './trainingTypes.js';

/** Steps t0 … t0+steps of every sample; `loss`: this window trains (or is evaluated). */
export interface Window {
  t0: number;
  steps: number;
  loss: boolean;
}

/** A dataset on the GPU: x [N, …], y [N, …]. */
export interface Data {
  x: Tensor;
  y: Tensor;
  /** Values per sample of x (steps·features) and y; steps of y when the output is a sequence. */
  xShape: number[];
  yPerSample: number;
  ySteps: number;
  n: number;
  /** [N·ySteps]: each loss row's weight (fit's sampleWeight or classWeight), when given. */
  w?: Tensor;
  owned: Tensor[];
}

/** The arguments a call names in its errors: `fit: x …`, `fit: validationData[1] …`. */
export interface ArgumentNames {
  call: string;
  x: string;
  y: string;
}

/** `run()`; a ShapeError it throws gets `call: argument:` before its message, unless it names the call already. */
export function naming<T>(call: string, argument: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    // 'has 9 values…' continues the argument's name; a whole sentence follows a colon.
    if (error instanceof ShapeError && !error.message.startsWith(`${call}:`)) {
      error.message = /^(has|must) /.test(error.message) ? `${call}: ${argument} ${error.message}` : `${call}: ${argument}: ${error.message}`;
    }
    throw error;
  }
}

/**
 * Checks and uploads x and y for `model` and `loss`: x shaped as the first layer expects, one
 * target per sample, labels shaped for the loss, token ids in range for an Embedding, class
 * indices in range for the sparse loss. Every error names the call and the argument.
 */
export async function prepareData(
  model: Trainable,
  loss: LossName,
  x: Tensor | TensorData,
  y: Tensor | TensorData,
  xShape: readonly number[] | undefined,
  names: ArgumentNames,
): Promise<Data> {
  const gpu = model.gpu;
  const owned: Tensor[] = [];
  // Tensors uploaded here are disposed again when a check fails.
  return disposingOnError(owned, async () => {
    const first = model.layers[0];
    const what = names.call;
    const xt =
      x instanceof Tensor ? x : naming(what, names.x, () => (owned.push(tensor(gpu, x, xShape ?? flatSampleShape(x, first))), owned[owned.length - 1]));
    naming(what, names.x, () => checkSampleShape(first, xt.shape.slice(1)));
    // A sequence output of any length has as many steps as x.
    const out = model.outputShape().map((d, i) => (d < 0 && i === 0 ? xt.shape[1] : d));
    const sparse = loss === 'sparseCategoricalCrossentropy';
    const n = xt.shape[0];
    if (first instanceof Embedding) first.checkIds(await xt.data(), `${what}: ${names.x}`);
    const yExpected = sparse ? out.slice(0, -1) : out;
    let yt: Tensor;
    if (y instanceof Tensor) yt = y;
    else {
      const flat = naming(what, names.y, () => flatValues(y));
      const want = n * yExpected.reduce((a, b) => a * b, 1);
      if (flat.length !== want) {
        throw new ShapeError(
          `${what}: ${names.y} has ${flat.length} values, but the ${n} samples of ${names.x} need ${want}: the model's output ${formatShape([n, ...out])} for the loss ${loss}.`,
        );
      }
      yt = tensor(gpu, flat as TensorData, [n, ...yExpected]);
      owned.push(yt);
    }
    const yPerSample = yExpected.reduce((a, b) => a * b, 1);
    if (yt.shape[0] !== n) {
      throw new ShapeError(`${what}: ${names.x} has ${n} samples but ${names.y} has ${yt.shape[0]}: give one target per input sample.`);
    }
    if (yt.size !== n * yPerSample) {
      const want = sparse
        ? `[${n}, ${[...yExpected, 1].join(', ')}] or [${n}${yExpected.map((d) => `, ${d}`).join('')}] (class indices)`
        : formatShape([n, ...out]);
      throw new ShapeError(`${what}: ${names.y} has shape ${formatShape(yt.shape)}, but the model's output and the loss ${loss} need ${want}.`);
    }
    if (sparse) {
      const classes = out[out.length - 1];
      const labels = await yt.data();
      for (let i = 0; i < labels.length; i++) {
        if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= classes) {
          throw new ShapeError(
            `${what}: ${names.y}: label ${labels[i]} at index ${i} is not a class index in [0, ${classes}) for sparseCategoricalCrossentropy.`,
          );
        }
      }
    }
    const ySteps = out.length === 2 ? out[0] : 1;
    return { x: xt, y: yt, xShape: xt.shape.slice(1), yPerSample, ySteps, n, owned };
  });
}

/**
 * Throws unless samples of `sample` shape fit the first layer's declared input shape, as its
 * own check in the forward would, but before anything is encoded. A stateful recurrent layer
 * takes any number of steps (a longer sequence's chunks).
 */
export function checkSampleShape(first: Layer, sample: readonly number[]): void {
  const declared = first.inputShape;
  const anySteps = first instanceof RecurrentLayer && first.stateful && declared?.length === 2 && sample.length === 2;
  first.checkInputShape(anySteps ? [declared[0], sample[1]] : sample);
}

/** Nested or flat numbers as one flat array (the nesting is checked by tensor()). */
export function flatValues(data: TensorData): ArrayLike<number> {
  if (ArrayBuffer.isView(data)) return data as Float32Array;
  if (!Array.isArray(data)) throw new ShapeError(`must be numbers (nested arrays or a typed array), got ${describeValue(data)}.`);
  return (data as number[]).flat(Infinity as 1);
}

/**
 * The shape of flat data (a typed array or an array of numbers) with samples of the first
 * layer's input shape; undefined for nested arrays (tensor() reads their shape) or a model
 * without one yet.
 */
export function flatSampleShape(data: TensorData, first: Layer): number[] | undefined {
  const flat = ArrayBuffer.isView(data) || (Array.isArray(data) && data.every((v) => typeof v === 'number'));
  const sample = first.inputShape;
  if (!flat || !sample || sample.some((d) => d < 0)) return undefined;
  const length = (data as ArrayLike<number>).length;
  const per = sample.reduce((a, b) => a * b, 1);
  if (length % per !== 0 || length === 0) {
    throw new ShapeError(
      `has ${length} values, not a whole number of samples of ${formatShape(sample)} (${per} values each) that ${first.name} expects: give it as [samples, ${sample.join(', ')}] (nested arrays or tensor(gpu, data, shape)).`,
    );
  }
  return [length / per, ...sample];
}

/** Steps of a sample of shape `xShape`: [steps, features], or token ids [steps] for an Embedding. */
export function sequenceSteps(xShape: readonly number[], first: Layer): number {
  if (xShape.length === 2) return xShape[0];
  return first instanceof Embedding ? xShape[0] : 1;
}

/** `flow` in a buffer of its own from element 0 (copied when it is a slice of another). */
export function contiguous(encoder: GPUCommandEncoder, run: RunScope, flow: Flow): Flow {
  if (flow.offset === 0) return flow;
  const size = flow.shape.reduce((a, b) => a * b, 1);
  const buffer = run.scratch(size * 4, 'output');
  encoder.copyBufferToBuffer(flow.buffer, flow.offset * 4, buffer, 0, size * 4);
  return { ...flow, buffer, offset: 0 };
}

export async function readFloats(gpu: Gpu, buffer: GPUBuffer, count: number, offset = 0): Promise<Float32Array> {
  const copy = new Tensor(gpu, gpu.pool.acquire(count * 4, TENSOR_USAGE, 'stats copy'), [count]);
  await gpu.submit('read stats', (encoder) => encoder.copyBufferToBuffer(buffer, offset * 4, copy.buffer, 0, count * 4));
  const values = await copy.data();
  copy.dispose();
  return values;
}

export function findNonFinite(values: Float32Array, width: number): number | undefined {
  for (let b = 0; b * width < values.length; b++) if (!Number.isFinite(values[b * width])) return b;
  return undefined;
}

/**
 * The step windows of one batch: all steps at once, or with truncated BPTT chunks of
 * `tbptt` steps whose state carries over. A sequence output trains on every chunk; a
 * last-step output only on the last chunk (earlier ones only carry the state forward).
 */
export function stepWindows(data: Data, first: Layer, tbptt: number | undefined): Window[] {
  const steps = sequenceSteps(data.xShape, first);
  if (!tbptt || tbptt >= steps) return [{ t0: 0, steps, loss: true }];
  const out: Window[] = [];
  for (let t0 = 0; t0 < steps; t0 += tbptt) {
    const last = t0 + tbptt >= steps;
    out.push({ t0, steps: Math.min(tbptt, steps - t0), loss: data.ySteps > 1 || last });
  }
  return out;
}

/** Zeroed state buffers for every recurrent layer, for a batch of `size`. */
export function acquireCarry(gpu: Gpu, layers: readonly Layer[], size: number): (RecurrentState | undefined)[] {
  return layers.map((layer) => {
    const units = layer.stateUnits;
    if (units === undefined) return undefined;
    const state = { h: gpu.pool.acquire(size * units * 4, TENSOR_USAGE, 'carry h'), c: gpu.pool.acquire(size * units * 4, TENSOR_USAGE, 'carry c') };
    gpu.submit('clear carried state', (encoder) => {
      encoder.clearBuffer(state.h);
      encoder.clearBuffer(state.c);
    });
    return state;
  });
}

const COMPILE_OPTIONS: OptionSchema<CompileArgs> = { optimizer: 'stringOrObject', loss: 'string', metrics: 'any', fromLogits: 'boolean' };

/** compile's options checked: the loss and the metrics (the optimizer is resolveOptimizer's). */
export function checkCompileArgs(args: CompileArgs): [LossName, MetricName[]] {
  checkOptions('compile', args, COMPILE_OPTIONS);
  // Keras's spellings too: 'binary_crossentropy', 'mse'; 'acc', 'categorical_accuracy'.
  const loss = fromKerasName(args.loss, LOSS_ALIASES) as LossName;
  if (!LOSSES.includes(loss)) throw new RnnError(`Unknown loss '${args.loss}': use one of ${LOSSES.join(', ')}.`);
  const given = args.metrics === undefined ? [] : Array.isArray(args.metrics) ? args.metrics : [args.metrics];
  const metrics = given.map((m) => fromKerasName(m, METRIC_ALIASES) as MetricName);
  metrics.forEach((m, i) => {
    if (!METRICS.includes(m)) throw new RnnError(`Unknown metric '${given[i]}': use one of ${METRICS.join(', ')}.`);
  });
  if (args.fromLogits && !loss.endsWith('rossentropy')) {
    throw new RnnError(
      `compile: fromLogits is for the cross-entropies (binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy), not ${loss}.`,
    );
  }
  return [loss, metrics];
}
export const EVALUATE_OPTIONS: OptionSchema<{ batchSize: number; sampleWeight: unknown }> = { batchSize: 'integer', sampleWeight: 'any' };
const FIT_OPTIONS: OptionSchema<FitArgs> = {
  sampleWeight: 'any',
  classWeight: 'object',
  epochs: 'number',
  batchSize: 'number',
  shuffle: 'boolean',
  validationSplit: 'number',
  validationData: 'array',
  callbacks: 'any',
  seed: 'integer',
  tbptt: 'number',
  verbose: 'number',
  divergenceFactor: 'any',
};

/** fit's options checked (every key known, each of its kind and range), with the defaults applied. */
export function checkFitArgs(args: FitArgs): {
  epochs: number;
  batchSize: number;
  verbose: 0 | 1 | 2;
  split: number;
  divergenceFactor: number;
} {
  checkOptions('fit', args, FIT_OPTIONS);
  const epochs = args.epochs ?? 1;
  const batchSize = args.batchSize ?? 32;
  if (!Number.isInteger(epochs) || epochs < 1) throw new RnnError(`fit: epochs must be a whole number ≥ 1, got ${epochs}.`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RnnError(`fit: batchSize must be a whole number ≥ 1, got ${batchSize}.`);
  if (args.tbptt !== undefined && !(Number.isInteger(args.tbptt) && args.tbptt >= 1)) {
    throw new RnnError(`fit: tbptt is a number of steps, a whole number ≥ 1; got ${args.tbptt}.`);
  }
  const verbose = args.verbose ?? 0;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2) {
    throw new RnnError(`fit: verbose is 0 (silent), 1 (a progress bar per epoch) or 2 (one line per epoch), got ${verbose}.`);
  }
  const held = args.validationData as readonly unknown[] | undefined;
  if (held !== undefined && held.length !== 2 && held.length !== 3) {
    throw new RnnError(`fit: validationData is [x, y] or [x, y, sampleWeight]; got ${held.length} items.`);
  }
  const split = args.validationSplit ?? 0;
  if (!(split >= 0 && split < 1)) throw new RnnError(`fit: validationSplit must be in [0, 1), got ${split}.`);
  const divergenceFactor = args.divergenceFactor ?? DEFAULT_DIVERGENCE_FACTOR;
  if (typeof divergenceFactor !== 'number' || !(divergenceFactor > 1)) {
    throw new RnnError(`fit: divergenceFactor is a number > 1 (Infinity: never stop on a growing loss), got ${describeValue(divergenceFactor)}.`);
  }
  return { epochs, batchSize, verbose, split, divergenceFactor };
}

/** `validation`, unless its sample shape or targets differ from the training data's (then its tensors are disposed). */
export function checkLikeTraining(validation: Data, training: Data): Data {
  const [v, t] = [validation.xShape.slice(1), training.xShape.slice(1)];
  if (v.length !== t.length || v.some((d, i) => d !== t[i]) || validation.yPerSample !== training.yPerSample) {
    for (const t of validation.owned) t.dispose();
    throw new RnnError(
      `fit: validationData has samples of shape [${v.join(', ')}] with ${validation.yPerSample} target values each; the training data has [${t.join(', ')}] with ${training.yPerSample}. Give both the same shape.`,
    );
  }
  return validation;
}

/** The result of `make`; if it throws, `owned` is disposed first. */
export async function disposingOnError<T>(owned: readonly Tensor[], make: () => Promise<T>): Promise<T> {
  try {
    return await make();
  } catch (error) {
    for (const t of owned) t.dispose();
    throw error;
  }
}

/** Logs of [loss, ...metrics] values. */
export function toLogs(metrics: readonly MetricName[], values: ArrayLike<number>): Logs {
  const logs: Logs = { loss: values[0] };
  metrics.forEach((m, i) => (logs[m] = values[1 + i]));
  return logs;
}

/** A buffer holding `order` as u32 (pooled, released by the caller). */
export function indexBuffer(gpu: Gpu, order: Uint32Array): GPUBuffer {
  const buffer = gpu.pool.acquire(order.byteLength, TENSOR_USAGE, 'sample order');
  gpu.device.queue.writeBuffer(buffer, 0, order.buffer, order.byteOffset, order.byteLength);
  return buffer;
}
