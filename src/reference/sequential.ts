// The Sequential model on the CPU, the twin of lstm/sequential and lstm/training: the same
// forward, gradients, losses, optimizers and batch order, in Float64.
import type { DenseConfig, LstmConfig } from '../spec/config.js';
import type { GruConfig, SimpleRnnConfig } from '../spec/recurrentConfig.js';
import type { OptimizerSpec } from '../spec/optimizerConfig.js';
import { fromKerasName, LOSS_ALIASES, METRIC_ALIASES } from '../spec/names.js';
import { resolveOptimizer } from '../spec/optimizerConfig.js';
import { ShapeError } from '../spec/errors.js';
import { ReferenceBidirectional, type ReferenceMergeMode } from './bidirectional.js';
import { ReferenceConv1d } from './conv1d.js';
import { ReferenceDense } from './dense.js';
import { ReferenceMaxPooling1d } from './maxPooling1d.js';
import { ReferenceActivation, ReferenceFlatten, ReferenceGlobalAveragePooling1d, ReferenceGlobalMaxPooling1d, ReferenceRepeatVector } from './shapeLayers.js';
import type { ActivationConfig, RepeatVectorConfig, ShapeLayerConfig } from '../spec/shapeConfig.js';
import type { Conv1dConfig, MaxPooling1dConfig } from '../spec/convConfig.js';
import { ReferenceDropout, ReferenceSpatialDropout1d } from './dropout.js';
import { ReferenceEmbedding } from './embedding.js';
import type { DropoutConfig, EmbeddingConfig } from '../spec/embeddingConfig.js';
import { lossForward, maskedRowWeights, metricValue, softmax, type LossName, type MetricName } from './losses.js';
import type { LossSpec, MetricSpec } from '../spec/losses.js';
import { activate } from './math.js';
import { ReferenceGru } from './gru.js';
import { ReferenceLstm } from './lstm.js';
import { ReferenceSimpleRnn } from './simpleRnn.js';
import { ReferenceOptimizer } from './optimizers.js';
import { Random } from '../init/random.js';
import { cpuTensor, type CpuTensor } from './tensor.js';

export type ReferenceLayer =
  | ReferenceLstm
  | ReferenceGru
  | ReferenceSimpleRnn
  | ReferenceDense
  | ReferenceEmbedding
  | ReferenceDropout
  | ReferenceConv1d
  | ReferenceMaxPooling1d
  | ReferenceActivation
  | ReferenceFlatten
  | ReferenceRepeatVector
  | ReferenceGlobalAveragePooling1d
  | ReferenceGlobalMaxPooling1d
  | ReferenceBidirectional;

/** The backward every reference layer has; `preActivation` only matters to a Dense or Activation head. */
interface BackwardLayer {
  backward(saved: unknown, dY: Float64Array, preActivation?: boolean): { grads: Float64Array[]; dX: Float64Array };
}
type RecurrentReference = ReferenceLstm | ReferenceGru | ReferenceSimpleRnn;
const isRecurrent = (l: ReferenceLayer): l is RecurrentReference => l instanceof ReferenceLstm || l instanceof ReferenceGru || l instanceof ReferenceSimpleRnn;

export interface ReferenceFitArgs {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  seed?: number;
  tbptt?: number;
}

type State = { h: Float64Array; c?: Float64Array };

export class ReferenceSequential {
  private compiled: { loss: LossName; metrics: MetricName[]; optimizer: ReferenceOptimizer; fromLogits: boolean } | undefined;

  constructor(readonly layers: ReferenceLayer[]) {
    const first = (layers[0]?.config as { inputShape?: readonly (number | null)[] } | undefined)?.inputShape;
    if (first) {
      let features = first[first.length - 1] as number;
      for (const layer of layers) {
        layer.build(features);
        // After a Flatten the features depend on the steps: the layers build on their first input.
        if (layer instanceof ReferenceFlatten) break;
        features =
          layer instanceof ReferenceEmbedding
            ? layer.config.outputDim
            : layer instanceof ReferenceDropout ||
                layer instanceof ReferenceMaxPooling1d ||
                layer instanceof ReferenceActivation ||
                layer instanceof ReferenceRepeatVector ||
                layer instanceof ReferenceGlobalAveragePooling1d ||
                layer instanceof ReferenceGlobalMaxPooling1d
              ? features
              : layer instanceof ReferenceConv1d
                ? layer.config.filters
                : layer instanceof ReferenceBidirectional
                  ? layer.outputUnits
                  : layer.config.units;
      }
    }
  }

  predict(x: CpuTensor): CpuTensor {
    let value = x;
    for (const layer of this.layers) value = layer.apply(value) as CpuTensor;
    return value;
  }

  getWeights(): Float64Array[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  setWeights(weights: readonly ArrayLike<number>[]): void {
    const counts = this.layers.map((l) => l.weightCount());
    const total = counts.reduce((a, b) => a + b, 0);
    if (weights.length !== total) throw new ShapeError(`The reference model has ${total} weights, got ${weights.length}.`);
    let at = 0;
    for (const [i, layer] of this.layers.entries()) layer.setWeights(weights.slice(at, (at += counts[i])));
  }

  /** As the GPU model's compile; `fromLogits`: the outputs are logits, the loss takes their sigmoid / softmax. */
  compile(args: { optimizer: OptimizerSpec; loss: LossSpec; metrics?: MetricSpec | MetricSpec[]; fromLogits?: boolean }): void {
    const given = args.metrics === undefined ? [] : Array.isArray(args.metrics) ? args.metrics : [args.metrics];
    const metrics = given.map((m) => fromKerasName(m, METRIC_ALIASES) as MetricName);
    const loss = fromKerasName(args.loss, LOSS_ALIASES) as LossName;
    this.compiled = { loss, metrics, optimizer: new ReferenceOptimizer(resolveOptimizer(args.optimizer)), fromLogits: args.fromLogits === true };
  }

  /** Zeros the state every stateful layer keeps. */
  resetStates(): void {
    for (const layer of this.layers) if (isRecurrent(layer) || layer instanceof ReferenceBidirectional) layer.resetStates();
  }

  /** The loss and metrics on x, y, and every weight's gradient (Keras order). */
  /** `sampleWeight`: one weight a sample, or a loss row (sample and step), as fit's. */
  gradients(x: CpuTensor, y: ArrayLike<number>, sampleWeight?: ArrayLike<number>): { loss: number; metrics: number[]; grads: Float64Array[] } {
    return this.step(x, y, undefined, false, sampleWeight);
  }

  /**
   * Forward from the recurrent layers' `carry` states (zeros without), then unless
   * `forwardOnly` the loss and the gradients. `carry` is updated to the final states.
   */
  private step(x: CpuTensor, y: ArrayLike<number>, carry?: (State | undefined)[], forwardOnly = false, sampleWeight?: ArrayLike<number>) {
    const { loss: lossName, metrics, fromLogits } = this.requireCompiled();
    const saved: unknown[] = [];
    let value = x;
    // Keras masking: [B, T] 1/0 from an Embedding with maskZero, through the layers that keep the steps.
    let mask: Float64Array | undefined;
    this.layers.forEach((layer, i) => {
      const input = value;
      if (!isRecurrent(layer)) {
        const step = layer instanceof ReferenceBidirectional ? layer.forwardTrain(value, true, mask) : layer.forwardTrain(value);
        saved.push(step.saved);
        value = step.y;
      } else {
        const step =
          layer instanceof ReferenceLstm
            ? layer.forwardTrain(value, carry?.[i] as Required<State> | undefined, mask)
            : layer.forwardTrain(value, carry?.[i], mask);
        if (carry) carry[i] = step.state;
        saved.push(step.saved);
        value = step.y;
      }
      mask = maskAfter(layer, input, value, mask);
    });
    if (forwardOnly) return { loss: 0, metrics: [], grads: [] };
    const cols = value.shape[value.shape.length - 1];
    const rows = value.data.length / cols;
    const last = this.layers[this.layers.length - 1];
    const probabilities = fromLogits ? (lossName === 'binaryCrossentropy' ? 'sigmoid' : 'softmax') : undefined;
    const head = probabilities ?? (last instanceof ReferenceDense || last instanceof ReferenceActivation ? last.config.activation : 'linear');
    const yPred = probabilities === 'softmax' ? softmax(value.data, rows, cols) : probabilities ? value.data.map((z) => activate('sigmoid', z)) : value.data;
    // One weight a sample (repeated over its rows) or a row.
    const weights =
      sampleWeight &&
      Float64Array.from({ length: rows }, (_, r) => sampleWeight[sampleWeight.length === rows ? r : Math.floor((r * sampleWeight.length) / rows)]);
    // A masked sequence output: the loss and the metrics over the unmasked steps (Keras 3).
    const masked = mask && value.shape.length === 3 ? maskedRowWeights(mask, weights) : undefined;
    const result = lossForward(lossName, yPred, y, rows, cols, head, masked?.lossWeights ?? weights);
    const grads: Float64Array[][] = [];
    let d = result.grad;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i];
      // Every reference layer's backward(saved, dY): its own saved type, one calling convention.
      const step = (layer as unknown as BackwardLayer).backward(saved[i], d, i === this.layers.length - 1 && result.gradIsPreActivation && !probabilities);
      grads.unshift(step.grads);
      d = step.dX;
    }
    return { loss: result.loss, metrics: metrics.map((m) => metricValue(m, lossName, yPred, y, rows, cols, masked?.metricWeights)), grads: grads.flat() };
  }

  /** One optimizer step on x, y; returns [loss, ...metrics] before the step. */
  trainOnBatch(x: CpuTensor, y: ArrayLike<number>, carry?: (State | undefined)[]): number[] {
    const { optimizer } = this.requireCompiled();
    const { loss, metrics, grads } = this.step(x, y, carry);
    const weights = this.getWeights();
    optimizer.step(weights, grads, { loss, regularizers: this.layers.flatMap((l) => l.regularizers()) });
    this.setWeights(weights);
    return [loss, ...metrics];
  }

  /**
   * Epochs of seeded shuffled batches, as the GPU's fit (with its truncated BPTT windows);
   * returns the epoch losses. y holds `ySteps` targets a sample when the output is a sequence.
   */
  fit(x: CpuTensor, y: ArrayLike<number>, args: ReferenceFitArgs = {}): number[] {
    // Token ids [n, steps] are [n, steps, 1] here: a window of steps slices each row.
    const ids = x.shape.length === 2;
    const [n, steps, features = 1] = x.shape;
    const batchSize = args.batchSize ?? 32;
    const yPer = y.length / n;
    const recurrent = this.layers.filter((l) => isRecurrent(l) || l instanceof ReferenceBidirectional);
    const top = recurrent[recurrent.length - 1];
    const sequenceOut = top !== undefined && (top instanceof ReferenceBidirectional ? top.returnSequences : (top as RecurrentReference).config.returnSequences);
    const yPerStep = sequenceOut ? yPer / steps : yPer;
    const k = args.tbptt && args.tbptt < steps ? args.tbptt : steps;
    const random = new Random(args.seed ?? 0x5eed);
    const losses: number[] = [];
    for (let epoch = 0; epoch < (args.epochs ?? 1); epoch++) {
      const order = Uint32Array.from({ length: n }, (_, i) => i);
      if (args.shuffle ?? true) random.shuffle(order);
      let total = 0;
      let weight = 0;
      for (let start = 0; start < n; start += batchSize) {
        const rows = order.subarray(start, Math.min(n, start + batchSize));
        const carry: (State | undefined)[] = this.layers.map(() => undefined);
        for (let t0 = 0; t0 < steps; t0 += k) {
          const len = Math.min(k, steps - t0);
          const xb = new Float64Array(rows.length * len * features);
          rows.forEach((r, i) => xb.set(x.data.subarray((r * steps + t0) * features, (r * steps + t0 + len) * features), i * len * features));
          const xt = cpuTensor(xb, ids ? [rows.length, len] : [rows.length, len, features]);
          const lastWindow = t0 + len >= steps;
          if (!sequenceOut && !lastWindow) {
            this.step(xt, [], carry, true);
            continue;
          }
          const yb = sequenceOut ? new Float64Array(rows.length * len * yPerStep) : new Float64Array(rows.length * yPer);
          rows.forEach((r, i) => {
            if (sequenceOut) for (let v = 0; v < len * yPerStep; v++) yb[i * len * yPerStep + v] = y[(r * steps + t0) * yPerStep + v];
            else for (let v = 0; v < yPer; v++) yb[i * yPer + v] = y[r * yPer + v];
          });
          const w = rows.length * (sequenceOut ? len : 1);
          total += this.trainOnBatch(xt, yb, carry)[0] * w;
          weight += w;
        }
      }
      losses.push(total / weight);
    }
    return losses;
  }

  private requireCompiled() {
    if (!this.compiled) throw new Error('Call compile({ optimizer, loss }) on the reference model first.');
    return this.compiled;
  }
}

export function sequential(layers: ReferenceLayer[]): ReferenceSequential {
  return new ReferenceSequential(layers);
}

export const layers = {
  lstm: (config: LstmConfig): ReferenceLstm => new ReferenceLstm(config),
  dense: (config: DenseConfig): ReferenceDense => new ReferenceDense(config),
  gru: (config: GruConfig): ReferenceGru => new ReferenceGru(config),
  simpleRNN: (config: SimpleRnnConfig): ReferenceSimpleRnn => new ReferenceSimpleRnn(config),
  embedding: (config: EmbeddingConfig): ReferenceEmbedding => new ReferenceEmbedding(config),
  dropout: (config: DropoutConfig): ReferenceDropout => new ReferenceDropout(config),
  spatialDropout1d: (config: DropoutConfig): ReferenceSpatialDropout1d => new ReferenceSpatialDropout1d(config),
  conv1d: (config: Conv1dConfig): ReferenceConv1d => new ReferenceConv1d(config),
  maxPooling1d: (config: MaxPooling1dConfig = {}): ReferenceMaxPooling1d => new ReferenceMaxPooling1d(config),
  activation: (config: ActivationConfig): ReferenceActivation => new ReferenceActivation(config),
  flatten: (config: ShapeLayerConfig = {}): ReferenceFlatten => new ReferenceFlatten(config),
  repeatVector: (config: RepeatVectorConfig): ReferenceRepeatVector => new ReferenceRepeatVector(config),
  globalAveragePooling1d: (config: ShapeLayerConfig = {}): ReferenceGlobalAveragePooling1d => new ReferenceGlobalAveragePooling1d(config),
  globalMaxPooling1d: (config: ShapeLayerConfig = {}): ReferenceGlobalMaxPooling1d => new ReferenceGlobalMaxPooling1d(config),
  bidirectional: (config: { layer: RecurrentReference; mergeMode?: ReferenceMergeMode }): ReferenceBidirectional => new ReferenceBidirectional(config),
  /** The reference Dense already applies to every step: the wrapper is the layer itself. */
  timeDistributed: ({ layer }: { layer: ReferenceDense }): ReferenceDense => layer,
};

/**
 * The mask after `layer` (its input and output given): an Embedding with maskZero makes one
 * from its ids; recurrent layers with a sequence output, Dense, Activation and Dropout pass it
 * on; every other layer (or a last-step output) ends it.
 */
function maskAfter(layer: ReferenceLayer, input: CpuTensor, output: CpuTensor, mask: Float64Array | undefined): Float64Array | undefined {
  if (layer instanceof ReferenceEmbedding) return layer.config.maskZero ? Float64Array.from(input.data, (id) => (id !== 0 ? 1 : 0)) : undefined;
  const keepsSteps =
    isRecurrent(layer) ||
    layer instanceof ReferenceBidirectional ||
    layer instanceof ReferenceDense ||
    layer instanceof ReferenceActivation ||
    layer instanceof ReferenceDropout;
  return keepsSteps && output.shape.length === 3 ? mask : undefined;
}
