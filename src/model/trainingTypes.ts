// The public types of training (TF.js names) and the losses and metrics the trainer knows.
import type { LossName, MetricName } from '../kernels/loss.js';
import type { LossSpec, MetricSpec } from '../spec/losses.js';
import type { Gpu } from '../runtime/device.js';
import { RnnError } from '../spec/errors.js';
import type { Tensor, TensorData } from '../runtime/tensor.js';
import type { Layer } from '../layers/layer.js';
import type { OptimizerSpec } from '../spec/optimizerConfig.js';

export const LOSSES: readonly LossName[] = [
  'meanSquaredError',
  'meanAbsoluteError',
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
];
export const METRICS: readonly MetricName[] = ['accuracy', 'mae'];

export interface CompileArgs {
  optimizer: OptimizerSpec;
  /** A loss name, ours or Keras's ('binaryCrossentropy', 'binary_crossentropy', 'mse'). */
  loss: LossSpec;
  /** Metric names, ours or Keras's ('accuracy', 'acc', 'categorical_accuracy', 'mae'). */
  metrics?: MetricSpec | MetricSpec[];
  /**
   * The model's outputs are logits (Keras's `from_logits=True`): the cross-entropy applies the
   * sigmoid (binary) or softmax (categorical, sparse) itself, and the metrics see the
   * probabilities. Only for the cross-entropies; default false. The gradient is exact; the
   * loss is taken from the probabilities clipped to [1e-7, 1 − 1e-7] as without fromLogits, so
   * a row's loss reads at most −log(1e-7) ≈ 16.1 where Keras's from-logits form is not capped.
   */
  fromLogits?: boolean;
}

export interface Logs {
  loss: number;
  [metric: string]: number;
}

export interface FitCallbacks {
  onTrainBegin?: () => void | Promise<void>;
  onTrainEnd?: (logs: Logs | undefined) => void | Promise<void>;
  onEpochBegin?: (epoch: number) => void | Promise<void>;
  /** logs: loss and metrics of the epoch, and val_ ones with validation data. */
  onEpochEnd?: (epoch: number, logs: Logs) => void | Promise<void>;
  /** Before each batch is encoded (batch: its index in the epoch). */
  onBatchBegin?: (batch: number) => void | Promise<void>;
  /** Reading a batch's loss costs a GPU round trip: give this only when you need it. */
  onBatchEnd?: (batch: number, logs: Logs) => void | Promise<void>;
}

/** evaluate's options. */
export interface EvaluateArgs {
  /**
   * Samples a batch (default 32). x, y and sampleWeight given as data (not Tensors) are
   * written to the GPU a chunk of whole batches at a time (at most 16 MiB of x), so a large
   * input is never held on the GPU whole; the logs are those of one run over every batch.
   */
  batchSize?: number;
  /** As fit's: one weight a sample or a step, scaling the loss (not the metrics). */
  sampleWeight?: Tensor | TensorData;
}

export interface FitArgs {
  /**
   * One weight a sample ([N]), or a step ([N, steps]) for a sequence output: each scales its
   * rows' loss and gradient (Keras's `sample_weight`); the metrics are unweighted.
   */
  sampleWeight?: Tensor | TensorData;
  /** class → weight (Keras's `class_weight`), e.g. { 0: 1, 1: 4 }; classes not named weigh 1. */
  classWeight?: Readonly<Record<number, number>>;
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** Fraction of the samples, taken from the end before shuffling (as Keras), held out. */
  validationSplit?: number;
  /** Held-out [x, y], or [x, y, sampleWeight] (Keras's triple: the validation loss weighted as sampleWeight weighs fit's). */
  validationData?: [Tensor | TensorData, Tensor | TensorData] | [Tensor | TensorData, Tensor | TensorData, Tensor | TensorData];
  /** An object of hooks (TF.js), or a list of callback objects such as earlyStopping() (Keras). */
  callbacks?: FitCallbacks | readonly FitCallbacks[];
  /** Seed of the shuffling: the same seed gives the same batches and losses. */
  seed?: number;
  /**
   * Truncated backpropagation through time: each batch's sequences are cut into chunks of
   * this many steps, trained one after the other with the recurrent state carried over (no
   * gradient across a chunk's start). With a last-step output only the last chunk trains.
   */
  tbptt?: number;
  /**
   * 1: a progress bar per epoch with the running loss and metrics and the steps per second (in
   * Node on a terminal; otherwise one line an epoch), as TF.js in Node. It reads each batch's
   * loss back, a GPU round trip a batch. 0 (default): silent, one read an epoch.
   */
  verbose?: 0 | 1 | 2;
  /**
   * Stop when an epoch's loss exceeds this × the first epoch's (a learning rate
   * far too high): fit fails with a TrainingError and the weights go back to those the best
   * epoch started from. Default 1e6; Infinity never stops on a growing loss.
   */
  divergenceFactor?: number;
}

export interface History {
  epoch: number[];
  history: Record<string, number[]>;
}

/** The model parts the trainer drives. */
export interface Trainable {
  readonly gpu: Gpu;
  readonly layers: Layer[];
  outputShape(): number[];
  /** Set by a callback to end fit after the current epoch (Keras's model.stop_training). */
  stopTraining: boolean;
  getWeightData(): Promise<Float32Array[]>;
  setWeights(weights: readonly Float32Array[]): void;
  /** The optimizer's learning rate (set by learningRateScheduler, reduceLROnPlateau). */
  learningRate: number;
  /** Saves the model (modelCheckpoint). */
  save(target: string): Promise<unknown>;
}

export class TrainingError extends RnnError {
  override name = 'TrainingError';
}
