// TimeDistributed: applies a layer of [batch, features] inputs to every step of a sequence.
// The layers it takes (Dense, Activation, Dropout, or another TimeDistributed of those) already
// work on the last axis of a [B, T, F] input as on [B·T, F] and keep its layout, so the wrapper
// delegates everything to its layer (whose weights are the wrapper's).
import type { Gpu, RunScope } from '../runtime/device.js';
import { formatShape, RnnError, ShapeError } from '../spec/errors.js';
import { checkOptions, type OptionSchema } from '../spec/options.js';
import type { Tensor } from '../runtime/tensor.js';
import { Activation } from './activation.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { Layer, type Flow, type Regularizer } from './layer.js';

/** The layers TimeDistributed applies at each step: those of [batch, features] inputs. */
export type StepwiseLayer = Dense | Activation | Dropout | TimeDistributed;

export interface TimeDistributedConfig {
  /** The layer applied at each step: Dense, Activation, Dropout (or a TimeDistributed of one). */
  layer: Layer;
  /** [steps, features] of the input when this is the first layer (steps may be null). */
  inputShape?: readonly [number | null, number];
  name?: string;
}

const TIME_DISTRIBUTED_OPTIONS: OptionSchema<TimeDistributedConfig> = { layer: 'any', inputShape: 'shape', name: 'string' };

let timeDistributedCounter = 0;

export class TimeDistributed extends Layer {
  readonly layer: StepwiseLayer;
  readonly config: { inputShape?: readonly (number | null)[]; name: string };

  constructor(config: TimeDistributedConfig) {
    checkOptions('timeDistributed', config, TIME_DISTRIBUTED_OPTIONS);
    const inner = config?.layer;
    if (!(inner instanceof Dense || inner instanceof Activation || inner instanceof Dropout || inner instanceof TimeDistributed)) {
      const what = inner instanceof Layer ? `${inner.name} (${inner.constructor.name})` : String(inner);
      throw new RnnError(
        `timeDistributed wraps a layer of [batch, features] inputs — Dense, Activation or Dropout — and applies it at every step; got ${what}. A layer that reads sequences itself (LSTM, Conv1D) takes the sequence without the wrapper.`,
      );
    }
    const name = config.name ?? `time_distributed_${++timeDistributedCounter}`;
    super(name);
    this.layer = inner;
    this.config = { inputShape: config.inputShape ?? (inner.config.inputShape as readonly (number | null)[] | undefined), name };
  }

  /** [steps, features] → [steps, units]: the input must be a sequence. */
  computeOutputShape(inputShape: readonly number[]): number[] {
    this.checkSequence(inputShape);
    return this.layer.computeOutputShape(inputShape);
  }

  weightShapes(inputShape: readonly number[]): number[][] {
    return this.layer.weightShapes(inputShape);
  }

  protected initialWeights(): Float32Array[] {
    throw new RnnError(`${this.name} has no weights of its own: they are ${this.layer.name}'s.`);
  }

  override build(gpu: Gpu, inputShape: readonly number[]): void {
    this.checkSequence(inputShape);
    this.layer.build(gpu, inputShape);
    this.gpu = gpu;
    this.inputShape = this.layer.inputShape;
    // The same tensors: getWeights / setWeights of either layer see one set of weights.
    this.weights = [...this.layer.weightTensors];
  }

  override checkInputShape(inputShape: readonly number[]): void {
    this.layer.checkInputShape(inputShape);
  }

  override regularizers(): (Regularizer | undefined)[] {
    return this.layer.regularizers();
  }

  override get weightTensors(): readonly Tensor[] {
    return this.layer.weightTensors;
  }

  encode(encoder: GPUCommandEncoder, run: RunScope, input: Flow): Flow {
    this.checkFlow(input);
    return this.layer.encode(encoder, run, input);
  }

  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow): { output: Flow; saved: unknown } {
    this.checkFlow(input);
    return this.layer.encodeTrain(encoder, run, input);
  }

  encodeBackward(
    encoder: GPUCommandEncoder,
    run: RunScope,
    saved: unknown,
    dOutput: Flow & { preActivation?: boolean },
    grads: readonly GPUBuffer[],
    needInputGrad: boolean,
  ): Flow | undefined {
    return this.layer.encodeBackward(encoder, run, saved, dOutput, grads, needInputGrad);
  }

  override dispose(): void {
    this.layer.dispose();
    this.weights = [];
    this.gpu = undefined;
  }

  private checkSequence(inputShape: readonly number[]): void {
    if (inputShape.length !== 2) {
      throw new ShapeError(
        `${this.name} applies ${this.layer.name} to every step of a sequence: it needs inputs of shape [batch, steps, features], got [batch, ${inputShape.join(', ')}].`,
      );
    }
  }

  private checkFlow(input: Flow): void {
    if (input.shape.length !== 3) throw new ShapeError(`${this.name} needs inputs of shape [batch, steps, features], got ${formatShape(input.shape)}.`);
  }
}
