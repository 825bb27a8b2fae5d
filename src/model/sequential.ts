// A linear stack of layers (Keras `Sequential`): every layer of one predict() is encoded into
// one command buffer and submitted once.
import type { Gpu } from '../runtime/device.js';
import { DisposedError, formatShape, RnnError, ShapeError } from '../spec/errors.js';
import { checkShape, emptyTensor, inferShape, Tensor, tensor, type TensorData, toFloat32 } from '../runtime/tensor.js';
import { checkOptions, OptionError, type OptionSchema } from '../spec/options.js';
import { type Flow, flowOf, type Layer, materializeInto, type WeightValue } from '../layers/layer.js';
import type { ModelArtifacts, ModelSource, SaveTarget } from '../spec/modelFormat.js';
import { Lstm } from '../lstm/lstm.js';
import { RecurrentLayer } from '../lstm/recurrent.js';
import { Embedding } from '../layers/embedding.js';
import { Bidirectional } from '../lstm/bidirectional.js';
import { Trainer, type CompileArgs, type FitArgs, type History, type Logs } from './training.js';
import type { Weighting } from './sampleWeights.js';
import type { EvaluateArgs } from './trainingTypes.js';
import { checkSampleShape, naming, readFloats } from './trainingData.js';
import { type PrintFn, printSummary } from './summary.js';

/** predict's options. */
export interface PredictArgs {
  /**
   * Samples a command buffer (Keras's batch_size): bounds the GPU memory of one run for a large
   * x, at one submit a batch; x given as data (not a Tensor) then stays on the CPU, each batch
   * written to the GPU on its own. All samples at once by default (one submit: fastest).
   */
  batchSize?: number;
}

const PREDICT_OPTIONS: OptionSchema<PredictArgs> = { batchSize: 'integer' };

export class Sequential {
  readonly layers: Layer[];
  /** Set from a callback to end fit after the current epoch (Keras's `model.stop_training`). */
  stopTraining = false;
  private trainer: Trainer | undefined;

  constructor(
    readonly gpu: Gpu,
    layers: Layer[],
  ) {
    if (layers.length === 0) throw new RnnError('sequential() needs at least one layer.');
    for (const layer of layers) {
      if ((layer instanceof Lstm || layer instanceof RecurrentLayer) && layer.config.returnState) {
        throw new RnnError(
          `${layer.name} has returnState: a Sequential model passes one tensor between layers. Call the layer with layer.apply(x) to get [output, h${layer instanceof Lstm ? ', c' : ''}].`,
        );
      }
    }
    for (const layer of layers) {
      if (layer instanceof Bidirectional && layer.config.mergeMode === null) {
        throw new RnnError(
          `${layer.name} has mergeMode null: it gives two outputs [forward, backward], and a Sequential model passes one tensor between layers. Use mergeMode 'concat', 'sum', 'mul' or 'ave', or call layer.apply(x).`,
        );
      }
    }
    this.layers = layers;
    const declared = (layers[0] as Layer & { config: { inputShape?: readonly (number | null)[] } }).config.inputShape;
    if (declared) this.build(declared.map((d) => d ?? -1));
  }

  /** The output shape without the batch dimension (steps -1 when any length). */
  outputShape(): number[] {
    this.requireBuilt();
    return this.layers.reduce((shape, l) => l.computeOutputShape(shape), this.layers[0].inputShape!);
  }

  /** Sets the loss, the optimizer (a name or options, Keras defaults) and the metrics. */
  compile(args: CompileArgs): void {
    this.requireBuilt();
    this.requireIdle('compile');
    // The new trainer validates its arguments before anything is allocated: a failed compile
    // leaves the model compiled as it was.
    const trainer = new Trainer(this, args);
    this.trainer?.dispose();
    this.trainer = trainer;
  }

  /**
   * Trains for `epochs` over x [samples, steps, features] and y; resolves to the history of
   * the loss and metrics (and val_ ones with validationSplit or validationData).
   *
   * @example
   * ```ts
   * const history = await model.fit(tensor(gpu, x, [n, 49, 1]), y, {
   *   epochs: 20, batchSize: 32, validationSplit: 0.1, verbose: 1,
   *   callbacks: { onEpochEnd: (epoch, logs) => console.log(epoch, logs.val_loss) },
   * });
   * console.log(history.history.loss);
   * ```
   */
  fit(x: Tensor | TensorData, y: Tensor | TensorData, args?: FitArgs): Promise<History> {
    return this.exclusive('fit', (trainer) => trainer.fit(x, y, args));
  }

  /** Whether compile() has set a loss and an optimizer. */
  get compiled(): boolean {
    return this.trainer !== undefined;
  }

  /**
   * The optimizer's learning rate (Keras's `model.optimizer.learning_rate`); set it between
   * steps, e.g. from a callback (learningRateScheduler and reduceLROnPlateau do): the next
   * update uses it. The optimizer's moments are kept.
   */
  get learningRate(): number {
    return this.requireTrainer().optimizer.learningRate;
  }

  set learningRate(value: number) {
    const trainer = this.requireTrainer();
    if (typeof value !== 'number' || !(Number.isFinite(value) && value > 0)) {
      throw new RnnError(`learningRate must be a finite number > 0, got ${String(value)}.`);
    }
    trainer.optimizer.learningRate = value;
  }

  /** Loss and metrics over x and y, without training. */
  evaluate(x: Tensor | TensorData, y: Tensor | TensorData, args?: EvaluateArgs): Promise<Logs> {
    return this.exclusive('evaluate', (trainer) => trainer.evaluate(x, y, args));
  }

  /** One optimizer step on the batch x, y; resolves to [loss, ...metrics]. */
  trainOnBatch(x: Tensor | TensorData, y: Tensor | TensorData): Promise<number[]> {
    return this.exclusive('trainOnBatch', (trainer) => trainer.trainOnBatch(x, y));
  }

  /** The loss on x, y (weighted as fit weighs it) and its gradient for every weight (Keras order), without updating. */
  gradients(x: Tensor | TensorData, y: Tensor | TensorData, weighting?: Weighting): Promise<{ loss: number; grads: Float32Array[] }> {
    return this.exclusive('gradients', (trainer) => trainer.gradients(x, y, undefined, weighting));
  }

  private requireTrainer(): Trainer {
    this.requireLive('training or evaluating');
    if (!this.trainer) throw new RnnError('Call model.compile({ optimizer, loss }) before training or evaluating.');
    return this.trainer;
  }

  /** The training call (fit, evaluate, trainOnBatch, gradients) in progress, if any. */
  private running: string | undefined;

  private busyError(what: string): RnnError | undefined {
    if (!this.running) return undefined;
    return new RnnError(`${what}: the model's ${this.running}() has not settled: await it first (one training call at a time; predict is allowed meanwhile).`);
  }

  private requireIdle(what: string): void {
    const busy = this.busyError(what);
    if (busy) throw busy;
  }

  /** Runs `call` as the model's one training call: a second while it runs is rejected. */
  private exclusive<T>(what: string, call: (trainer: Trainer) => Promise<T>): Promise<T> {
    const trainer = this.requireTrainer();
    const busy = this.busyError(what);
    if (busy) return Promise.reject(busy);
    this.running = what;
    return call(trainer).finally(() => {
      this.running = undefined;
    });
  }

  private disposed = false;

  /** Whether dispose() has released the model's weights. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  private requireLive(what: string): void {
    if (this.disposed)
      throw new DisposedError(`The model was disposed (its weights were released) before ${what}: build a new model, or dispose it only when done.`);
  }

  /** Builds every layer for inputs of `inputShape` (no batch dimension; steps -1 for any). */
  private build(inputShape: number[]): void {
    let shape = inputShape;
    for (const layer of this.layers) {
      layer.build(this.gpu, shape);
      shape = layer.computeOutputShape(shape);
    }
  }

  get built(): boolean {
    return this.layers.every((l) => l.built);
  }

  /**
   * Runs the model on `x` [batch, steps, features] (a Tensor, or data with `shape`): one
   * command buffer, one submit — or one a `batchSize` samples (`predict(x, { batchSize })`,
   * `predict(data, shape, { batchSize })`). The result is a Tensor; read it with `await y.data()`.
   *
   * @example
   * ```ts
   * const y = model.predict(tensor(gpu, window, [1, 49, 1]));
   * const [next] = await y.data();
   * y.dispose();                      // tensors hold GPU memory until disposed
   * ```
   */
  predict(x: Tensor | TensorData, shapeOrArgs?: readonly number[] | PredictArgs, predictArgs?: PredictArgs): Tensor {
    this.requireLive('predict');
    const shape = Array.isArray(shapeOrArgs) ? (shapeOrArgs as readonly number[]) : undefined;
    const args = (Array.isArray(shapeOrArgs) ? predictArgs : (shapeOrArgs as PredictArgs | undefined)) ?? {};
    checkOptions('predict', args, PREDICT_OPTIONS);
    const first = this.layers[0];
    if (first instanceof Embedding && !(x instanceof Tensor)) {
      first.checkIds(x instanceof Float32Array || x instanceof Float64Array ? x : (x as number[]).flat(Infinity as 1), 'predict: x');
    }
    // Data given with a batchSize smaller than it stays on the CPU: each batch is written on its own.
    const host = !(x instanceof Tensor) && args.batchSize !== undefined ? hostInput(x, shape) : undefined;
    const input = x instanceof Tensor ? x : host ? undefined : naming('predict', 'x', () => tensor(this.gpu, x, shape));
    try {
      input?.assertUsable('The input tensor');
      if (input && input.gpu !== this.gpu) throw new RnnError('The input tensor lives on another device than the model.');
      const xShape = input?.shape ?? host!.shape;
      const rank = first.inputShape ? first.inputShape.length + 1 : first instanceof Embedding ? 2 : 3;
      if (xShape.length !== rank) {
        const expected = rank === 3 ? '[batch, steps, features]' : '[batch, features]';
        throw new ShapeError(`predict: x has shape ${formatShape(xShape)}, but ${first.name} expects ${expected}.`);
      }
      if (!this.built) this.build(xShape.slice(1));
      naming('predict', 'x', () => checkSampleShape(first, xShape.slice(1)));
      const batchSize = args.batchSize ?? xShape[0];
      if (!(batchSize >= 1)) throw new OptionError(`predict: batchSize is the number of samples a submit, a whole number ≥ 1; got ${batchSize}.`);
      if (batchSize < xShape[0] && this.layers.some((l) => l instanceof RecurrentLayer && l.stateful)) {
        throw new RnnError('predict: a stateful model keeps one state a batch row: predict the whole batch at once (no batchSize).');
      }
      const output = this.predictInBatches(input ?? host!, batchSize);
      const done = output.ready;
      // Ids already in a Tensor are checked once they are read back (predict returns at once):
      // the copy is queued now, before any later submit can reuse the input's buffer, and an
      // id out of range rejects the output's data() with checkIds' ShapeError.
      const ids = first instanceof Embedding && x instanceof Tensor ? readFloats(this.gpu, x.buffer, x.size) : undefined;
      output!.ready = ids ? Promise.all([done, ids]).then(([, values]) => (first as Embedding).checkIds(values, 'predict: x')) : done;
      output!.ready.catch(() => {}); // reported through the output's data(), never unhandled
      return output!;
    } finally {
      if (input && input !== x) input.dispose();
    }
  }

  /**
   * The model's output for `input`, `batchSize` samples a command buffer (one submit each, so
   * that the pool reuses one batch's buffers for the next); its `ready` settles with the last.
   */
  private predictInBatches(input: Tensor | HostInput, batchSize: number): Tensor {
    const [B, ...sample] = input.shape;
    const outSample = this.layers.reduce((s, l) => l.computeOutputShape(s), sample);
    const [inPer, outPer] = [sample, outSample].map((s) => s.reduce((a, b) => a * b, 1));
    const output = emptyTensor(this.gpu, [B, ...outSample], 'output');
    const runs: Promise<void>[] = [];
    try {
      for (let start = 0; start < B; start += batchSize) {
        const n = Math.min(batchSize, B - start);
        runs.push(
          this.gpu.submit(`predict ${formatShape([n, ...sample])}`, (encoder, run) => {
            let flow: Flow;
            if (input instanceof Tensor && n === B) flow = flowOf(input);
            else {
              const rows = run.scratch(n * inPer * 4, 'predict rows');
              // A batch of host data is written ahead of this submit (queue order); a Tensor's rows are copied.
              if (input instanceof Tensor) encoder.copyBufferToBuffer(input.buffer, start * inPer * 4, rows, 0, n * inPer * 4);
              else this.gpu.device.queue.writeBuffer(rows, 0, input.values.buffer, input.values.byteOffset + start * inPer * 4, n * inPer * 4);
              flow = { buffer: rows, offset: 0, shape: [n, ...sample], timeMajor: false };
            }
            for (const layer of this.layers) flow = layer.encode(encoder, run, flow);
            materializeInto(this.gpu, encoder, run, flow, output.buffer, start * outPer);
          }),
        );
      }
    } catch (error) {
      output.dispose();
      throw error;
    }
    output.ready = Promise.all(runs).then(() => {});
    return output;
  }

  /** Copies of every layer's weights as tensors, in Keras order. */
  getWeights(): Tensor[] {
    this.requireBuilt();
    return this.layers.flatMap((l) => l.getWeights());
  }

  /** Every layer's weights read back to the CPU, in Keras order. */
  async getWeightData(): Promise<Float32Array[]> {
    this.requireBuilt();
    const perLayer = await Promise.all(this.layers.map((l) => l.getWeightData()));
    return perLayer.flat();
  }

  /**
   * Replaces every weight (Keras order and layout). All are checked before any is written: on
   * an error the model keeps the weights it had.
   */
  setWeights(weights: readonly WeightValue[]): void {
    this.requireBuilt();
    const counts = this.layers.map((l) => l.weightShapes(l.inputShape!).length);
    const total = counts.reduce((a, b) => a + b, 0);
    if (weights.length !== total) throw new ShapeError(`The model has ${total} weights, got ${weights.length}.`);
    // Every layer's slice is checked before any is written.
    let at = 0;
    const checked = this.layers.map((l, i) => l.checkWeights(weights.slice(at, (at += counts[i]))));
    this.layers.forEach((l, i) => l.writeWeights(checked[i]));
  }

  /** Saves the model: a directory path in Node, 'downloads://name' / 'indexeddb://name' in a browser, a SaveHandler, or nothing for { modelJson, weights }. */
  save(target?: SaveTarget): Promise<ModelArtifacts> {
    this.requireLive('save');
    return persistenceOf('save')(this, target);
  }

  /** Replaces the weights with a saved model's of the same architecture; all is checked first. */
  loadWeights(source: ModelSource): Promise<void> {
    this.requireLive('loadWeights');
    return persistenceOf('loadWeights')(this, source);
  }

  /** Zeros the state every stateful layer keeps (Keras model.resetStates()). */
  resetStates(): void {
    for (const layer of this.layers) (layer as Layer & { resetStates?: () => void }).resetStates?.();
  }

  countParams(): number {
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  /**
   * The layers as TF.js and Keras print them: name (class), output shape, parameters, and the
   * total. Prints each line with `printFn` (console.log; null prints nothing) and returns the text.
   */
  summary(printFn: PrintFn = console.log): string {
    this.requireBuilt();
    return printSummary('sequential', [{ layers: this.layers, inputShape: this.layers[0].inputShape! }], this.countParams(), printFn);
  }

  dispose(): void {
    this.disposed = true;
    this.trainer?.dispose();
    this.trainer = undefined;
    for (const layer of this.layers) layer.dispose();
  }

  private requireBuilt(): void {
    this.requireLive('this call');
    if (!this.built) throw new RnnError('The model has no weights yet: give the first layer an inputShape or call predict once.');
  }
}

/**
 * A stack of layers on `gpu`, as Keras's Sequential: the first layer declares `inputShape`
 * (without the batch), and the weights are created at once.
 *
 * @example
 * ```ts
 * const model = sequential(gpu, [
 *   layers.embedding({ inputDim: 10000, outputDim: 32, inputShape: [100], maskZero: true }),
 *   layers.lstm({ units: 64 }),
 *   layers.dense({ units: 1, activation: 'sigmoid' }),
 * ]);
 * model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
 * model.summary();
 * ```
 */
export function sequential(gpu: Gpu, layers: Layer[]): Sequential {
  return new Sequential(gpu, layers);
}

/**
 * Whole-model save and load: src/io/io.ts installs them when it is imported (the package root
 * imports it), so that model/ never imports io/.
 */
export const persistence: {
  save?: (model: Sequential, target?: SaveTarget) => Promise<ModelArtifacts>;
  loadWeights?: (model: Sequential, source: ModelSource) => Promise<void>;
} = {};

function persistenceOf<K extends keyof typeof persistence>(name: K): NonNullable<(typeof persistence)[K]> {
  const fn = persistence[name];
  if (!fn) throw new RnnError(`model.${name}() needs webgpu-rnn's io module: import the package root ('webgpu-rnn'), not a file inside it.`);
  return fn;
}

/** predict's input kept on the CPU: its values, flattened and checked, and its shape. */
interface HostInput {
  values: Float32Array;
  shape: readonly number[];
}

function hostInput(x: TensorData, shape: readonly number[] | undefined): HostInput {
  return naming('predict', 'x', () => {
    const checked = shape === undefined ? undefined : checkShape(shape, 'predict: x: shape');
    const values = toFloat32(x, checked, 'predict: x');
    return { values, shape: checked ?? inferShape(x, 'predict: x') };
  });
}
