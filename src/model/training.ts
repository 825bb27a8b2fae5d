// Training of a Sequential model on the GPU. One training step — gather the batch, forward with
// kept activations, loss, BPTT, gradient control (clipping, NaN guard), optimizer updates — is
// one command buffer and one submit. Per batch nothing is read back; losses and metrics
// collect in a GPU buffer that is read once an epoch (or per batch when a callback asks).
// Public types: trainingTypes.ts; checking and uploading data: trainingData.ts; one step's
// encoding: trainingStep.ts; sample and class weights: sampleWeights.ts.
import type { LossName, MetricName } from '../kernels/loss.js';
import { RnnError } from '../spec/errors.js';
import { checkOptions, OptionError } from '../spec/options.js';
import { BufferUsage, TENSOR_USAGE } from '../runtime/gpuConstants.js';
import { emptyTensor, Tensor, type TensorData } from '../runtime/tensor.js';
import { Random } from '../init/random.js';
import {
  acquireCarry,
  checkCompileArgs,
  checkFitArgs,
  EVALUATE_OPTIONS,
  checkLikeTraining,
  disposingOnError,
  findNonFinite,
  indexBuffer,
  prepareData,
  readFloats,
  stepWindows,
  toLogs,
  type Data,
} from './trainingData.js';
import {
  LOSSES,
  METRICS,
  TrainingError,
  type CompileArgs,
  type EvaluateArgs,
  type FitArgs,
  type FitCallbacks,
  type History,
  type Logs,
  type Trainable,
} from './trainingTypes.js';
import { isStateful, readsBackwards } from '../lstm/sequenceOptions.js';
import { resolveOptimizer, type OptimizerConfig } from '../spec/optimizerConfig.js';
import { OptimizerState } from './optimizerState.js';
import { rowWeights, type Weighting } from './sampleWeights.js';
import { encodeTrainingStep, type StepContext } from './trainingStep.js';
import { composeCallbacks } from './callbacks.js';
import { createProgressLogger } from './progress.js';
import { DivergenceGuard } from './divergenceGuard.js';
import { hostChunks } from './evaluateChunks.js';

export { LOSSES, METRICS, TrainingError, type CompileArgs, type FitArgs, type FitCallbacks, type History, type Logs, type Trainable };

export class Trainer {
  readonly loss: LossName;
  readonly metrics: MetricName[];
  readonly optimizer: OptimizerConfig;
  /** The outputs are logits: the loss applies the sigmoid / softmax (compile's fromLogits). */
  readonly fromLogits: boolean;
  /** Slots, the control buffer and the step count of the optimizer. */
  private readonly state: OptimizerState;
  private readonly weights: Tensor[];

  constructor(
    private readonly model: Trainable,
    args: CompileArgs,
  ) {
    [this.loss, this.metrics] = checkCompileArgs(args);
    this.optimizer = resolveOptimizer(args.optimizer);
    this.fromLogits = args.fromLogits === true;
    this.weights = model.layers.flatMap((l) => [...l.weightTensors]);
    this.state = new OptimizerState(model.gpu, this.weights, this.optimizer);
  }

  /** What a step encodes with: the model, its loss and metrics, its weights and optimizer. */
  private get stepContext(): StepContext {
    return { model: this.model, loss: this.loss, metrics: this.metrics, fromLogits: this.fromLogits, weights: this.weights, state: this.state };
  }

  /** Values a batch writes into the stats buffer: the loss, then each metric. */
  private get statsWidth(): number {
    return 1 + this.metrics.length;
  }

  /** Checks and uploads x and y (see prepareData), and the loss rows' weights of `weighting`. */
  async prepare(
    x: Tensor | TensorData,
    y: Tensor | TensorData,
    xShape?: readonly number[],
    call = 'fit',
    argument?: string,
    weighting: Weighting = {},
  ): Promise<Data> {
    const names = argument ? { call, x: `${argument}[0]`, y: `${argument}[1]` } : { call, x: 'x', y: 'y' };
    const data = await prepareData(this.model, this.loss, x, y, xShape, names);
    return disposingOnError(data.owned, async () => {
      const weightsCall = argument ? `${call}: ${argument}[2]` : call;
      const w = await rowWeights(this.model.gpu, this.loss, data.y, data.ySteps, data.yPerSample / data.ySteps, weighting ?? {}, weightsCall);
      if (w) data.owned.push(w);
      return { ...data, w };
    });
  }

  /** Trains on every sample of `data` once in batches; returns the losses and metrics. */
  async fit(x: Tensor | TensorData, y: Tensor | TensorData, args: FitArgs = {}, xShape?: readonly number[]): Promise<History> {
    const { epochs, batchSize, verbose, split, divergenceFactor } = checkFitArgs(args);
    const callbacks = composeCallbacks(args.callbacks, this.model);
    const stateful = this.model.layers.some(isStateful);
    if (stateful && (args.shuffle ?? true)) {
      throw new RnnError('fit: the model has stateful layers, whose state carries from batch to batch in order (as Keras): pass shuffle: false.');
    }
    if (args.tbptt !== undefined && this.model.layers.some(readsBackwards)) {
      throw new RnnError(
        'fit: tbptt carries the state forward in time from window to window, but a goBackwards or Bidirectional layer reads its sequence backwards: train it without tbptt.',
      );
    }
    const all = await this.prepare(x, y, xShape, 'fit', undefined, { sampleWeight: args.sampleWeight, classWeight: args.classWeight });
    const given = args.validationData;
    const validation =
      given &&
      (await disposingOnError(all.owned, async () =>
        checkLikeTraining(await this.prepare(given[0], given[1], undefined, 'fit', 'validationData', { sampleWeight: given[2] }), all),
      ));
    const nTrain = split > 0 ? Math.floor(all.n * (1 - split)) : all.n;
    if (nTrain < 1) throw new RnnError(`fit: validationSplit ${split} leaves no training samples out of ${all.n}.`);
    if (stateful && nTrain % batchSize !== 0) {
      throw new RnnError(
        `fit: a stateful model keeps one state a batch row, so every batch must have batchSize samples: ${nTrain} training samples are not a multiple of batchSize ${batchSize}.`,
      );
    }
    const random = new Random(args.seed ?? 0x5eed);
    const history: History = { epoch: [], history: {} };
    const progress = verbose > 0 ? await createProgressLogger(epochs, Math.ceil(nTrain / batchSize), undefined, verbose === 1) : undefined;
    // With a progress bar each batch's loss is read back (one GPU round trip a batch, as TF.js);
    // verbose 2 prints the epoch's logs only.
    const onBatchEnd: FitCallbacks['onBatchEnd'] =
      progress && verbose === 1 ? async (batch, logs) => (progress.batchEnd(batch, logs), await callbacks.onBatchEnd?.(batch, logs)) : callbacks.onBatchEnd;
    const guard = Number.isFinite(divergenceFactor) ? new DivergenceGuard(this.model.gpu, this.weights, this.state, divergenceFactor) : undefined;
    try {
      this.state.clearStatus();
      this.model.stopTraining = false;
      await callbacks.onTrainBegin?.();
      let logs: Logs | undefined;
      for (let epoch = 0; epoch < epochs; epoch++) {
        await callbacks.onEpochBegin?.(epoch);
        progress?.epochBegin(epoch);
        const order = Uint32Array.from({ length: nTrain }, (_, i) => i);
        if (args.shuffle ?? true) random.shuffle(order);
        logs = await this.runEpoch(all, order, batchSize, true, epoch, { onBatchBegin: callbacks.onBatchBegin, onBatchEnd }, args.tbptt);
        guard?.endEpoch(epoch, logs.loss);
        const held = validation ?? (nTrain < all.n ? all : undefined);
        if (held) {
          const start = held === all ? nTrain : 0;
          const heldOrder = Uint32Array.from({ length: held.n - start }, (_, i) => start + i);
          // Keras weighs the held-out loss by sampleWeight, not by classWeight.
          const v = await this.runEpoch(held === all && args.classWeight ? { ...all, w: undefined } : held, heldOrder, batchSize, false, epoch);
          for (const [k, value] of Object.entries(v)) logs[`val_${k}`] = value;
        }
        history.epoch.push(epoch);
        for (const [k, value] of Object.entries(logs)) (history.history[k] ??= []).push(value);
        progress?.epochEnd(epoch, logs);
        await callbacks.onEpochEnd?.(epoch, logs);
        if (this.model.stopTraining) break;
      }
      await callbacks.onTrainEnd?.(logs);
      return history;
    } finally {
      progress?.stop();
      guard?.dispose();
      for (const t of [...all.owned, ...(validation?.owned ?? [])]) t.dispose();
    }
  }

  /**
   * Loss and metrics over all samples, in batches, without training. x, y and sampleWeight
   * given as data (not Tensors) are uploaded a chunk of whole batches at a time (evaluateChunks.ts).
   */
  async evaluate(x: Tensor | TensorData, y: Tensor | TensorData, args: EvaluateArgs = {}, xShape?: readonly number[]): Promise<Logs> {
    checkOptions('evaluate', args, EVALUATE_OPTIONS);
    const batchSize = args.batchSize ?? 32;
    if (!(batchSize >= 1)) throw new OptionError(`evaluate: batchSize is the number of samples a batch, a whole number ≥ 1; got ${batchSize}.`);
    const onHost = !(x instanceof Tensor || y instanceof Tensor || args.sampleWeight instanceof Tensor);
    const chunks = onHost
      ? hostChunks(x as TensorData, y as TensorData, args.sampleWeight as TensorData | undefined, xShape, this.model.layers[0], batchSize)
      : undefined;
    const parts = chunks ?? [{ x, y, xShape, sampleWeight: args.sampleWeight }];
    const results: { logs: Logs; n: number }[] = [];
    for (const part of parts) {
      const data = await this.prepare(part.x, part.y, part.xShape, 'evaluate', undefined, { sampleWeight: part.sampleWeight });
      try {
        results.push({
          logs: await this.runEpoch(
            data,
            Uint32Array.from({ length: data.n }, (_, i) => i),
            batchSize,
            false,
            0,
          ),
          n: data.n,
        });
      } finally {
        for (const t of data.owned) t.dispose();
      }
    }
    // The chunks' means weighted by their samples: the mean over every batch.
    const samples = results.reduce((sum, r) => sum + r.n, 0);
    const logs =
      results.length === 1
        ? results[0].logs
        : (Object.fromEntries(Object.keys(results[0].logs).map((k) => [k, results.reduce((sum, r) => sum + r.logs[k] * r.n, 0) / samples])) as Logs);
    if (!Number.isFinite(logs.loss)) {
      throw new TrainingError(`evaluate: the loss is ${logs.loss}: outputs or targets overflow f32, or the weights hold NaN (getWeightData() shows which).`);
    }
    return logs;
  }

  /** One training step on the whole of x and y; returns [loss, ...metrics] of that batch. */
  async trainOnBatch(x: Tensor | TensorData, y: Tensor | TensorData, xShape?: readonly number[]): Promise<number[]> {
    const data = await this.prepare(x, y, xShape, 'trainOnBatch');
    try {
      this.state.clearStatus();
      const logs = await this.runEpoch(
        data,
        Uint32Array.from({ length: data.n }, (_, i) => i),
        data.n,
        true,
        0,
      );
      return [logs.loss, ...this.metrics.map((m) => logs[m])];
    } finally {
      for (const t of data.owned) t.dispose();
    }
  }

  /**
   * The gradients of the loss on x, y for every weight (Keras order), without updating:
   * for tests and for users who step their own optimizer.
   */
  async gradients(
    x: Tensor | TensorData,
    y: Tensor | TensorData,
    xShape?: readonly number[],
    weighting: Weighting = {},
  ): Promise<{ loss: number; grads: Float32Array[] }> {
    const data = await this.prepare(x, y, xShape, 'gradients', undefined, weighting);
    const gpu = this.model.gpu;
    const stats = gpu.pool.acquire(this.statsWidth * 4, TENSOR_USAGE | BufferUsage.COPY_SRC, 'stats');
    const idx = indexBuffer(
      this.model.gpu,
      Uint32Array.from({ length: data.n }, (_, i) => i),
    );
    const copies = this.weights.map((w) => emptyTensor(gpu, w.shape, 'gradient'));
    try {
      await gpu.submit('gradients', (encoder, run) => {
        const grads = encodeTrainingStep(this.stepContext, encoder, run, data, idx, 0, data.n, stats, 0, 'gradients');
        grads.forEach((g, i) => encoder.copyBufferToBuffer(g, 0, copies[i].buffer, 0, copies[i].byteLength));
      });
      const loss = (await readFloats(gpu, stats, 1))[0];
      return { loss, grads: await Promise.all(copies.map((c) => c.data())) };
    } finally {
      for (const c of copies) c.dispose();
      gpu.pool.release(stats);
      gpu.pool.release(idx);
      for (const t of data.owned) t.dispose();
    }
  }

  private async runEpoch(
    data: Data,
    order: Uint32Array,
    batchSize: number,
    train: boolean,
    epoch: number,
    hooks?: Pick<FitCallbacks, 'onBatchBegin' | 'onBatchEnd'>,
    tbptt?: number,
  ): Promise<Logs> {
    const gpu = this.model.gpu;
    const batches = Math.ceil(order.length / batchSize);
    const windows = stepWindows(data, this.model.layers[0], train ? tbptt : undefined);
    const lossWindows = windows.filter((w) => w.loss);
    const perBatch = lossWindows.length;
    const width = this.statsWidth;
    const stats = gpu.pool.acquire(batches * perBatch * width * 4, TENSOR_USAGE, 'stats');
    const idx = indexBuffer(this.model.gpu, order);
    const firstIteration = this.state.iteration;
    const sequenceOut = data.ySteps > 1;
    // Weight of each stats slot (batch b, loss window w) in the epoch's mean: its samples·steps.
    const slotWeight = (b: number, w: number) => Math.min(batchSize, order.length - b * batchSize) * (sequenceOut ? lossWindows[w].steps : 1);
    const mean = (values: Float32Array, slots: number[]) => {
      const totals = new Float64Array(width);
      let weight = 0;
      for (const slot of slots) {
        const w = slotWeight(Math.floor(slot / perBatch), slot % perBatch);
        weight += w;
        for (let k = 0; k < width; k++) totals[k] += values[slot * width + k] * w;
      }
      return toLogs(
        this.metrics,
        Array.from(totals, (t) => t / weight),
      );
    };
    try {
      let pending: Promise<void> = Promise.resolve();
      for (let b = 0; b < batches; b++) {
        await hooks?.onBatchBegin?.(b);
        const start = b * batchSize;
        const size = Math.min(batchSize, order.length - start);
        const carry = windows.length > 1 ? acquireCarry(gpu, this.model.layers, size) : undefined;
        let slot = b * perBatch;
        for (const window of windows) {
          const statsIndex = window.loss ? slot++ * width : -1;
          const mode = !window.loss ? 'forward' : train ? 'update' : 'evaluate';
          pending = gpu.submit(train ? 'training step' : 'evaluation', (encoder, run) => {
            encodeTrainingStep(this.stepContext, encoder, run, data, idx, start, size, stats, statsIndex, mode, window, carry);
          });
        }
        for (const state of carry ?? []) if (state) for (const buffer of [state.h, state.c]) gpu.pool.release(buffer);
        if (hooks?.onBatchEnd) {
          await pending;
          const values = await readFloats(gpu, stats, perBatch * width, b * perBatch * width);
          const bad = findNonFinite(values, width);
          await this.state.checkStatus(epoch, b, bad === undefined ? 0 : values[bad * width], firstIteration + b * perBatch + (bad ?? 0));
          const slots = Array.from({ length: perBatch }, (_, w) => b * perBatch + w);
          const all = new Float32Array((b + 1) * perBatch * width);
          all.set(values, b * perBatch * width);
          await hooks.onBatchEnd(b, mean(all, slots));
        }
      }
      await pending;
      const values = await readFloats(gpu, stats, batches * perBatch * width);
      if (train) {
        const bad = findNonFinite(values, width);
        const batch = bad === undefined ? undefined : Math.floor(bad / perBatch);
        await this.state.checkStatus(epoch, batch, bad === undefined ? 0 : values[bad * width], firstIteration + (bad ?? 0));
      }
      // Keras's epoch logs: the mean over batches weighted by their sizes (and steps).
      return mean(
        values,
        Array.from({ length: batches * perBatch }, (_, i) => i),
      );
    } finally {
      gpu.pool.release(stats);
      gpu.pool.release(idx);
    }
  }

  dispose(): void {
    this.state.dispose();
  }
}
