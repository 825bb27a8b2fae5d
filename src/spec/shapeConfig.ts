// Options of the weightless layers that change a value's shape or apply a function to it, as
// Keras: Activation, Flatten, RepeatVector, GlobalAveragePooling1D, GlobalMaxPooling1D. Plain
// data, shared by the GPU layers and their CPU twins.
import { ShapeError } from './errors.js';
import { ACTIVATION_ALIASES, ACTIVATIONS_AND_SOFTMAX, type ActivationOrSoftmax, fromKerasName } from './names.js';
import { checkOptions, type OptionSchema } from './options.js';

/** What `layers.activation` applies: an elementwise activation, or softmax over the last axis. */
export type LayerActivation = ActivationOrSoftmax;

/** `layers.activation` options, as Keras `Activation`. */
export interface ActivationConfig {
  /** An elementwise activation (ACTIVATIONS: 'tanh', 'relu', 'elu', …) or 'softmax' (over the last axis); Keras spellings too. */
  activation: LayerActivation | string;
  /** Shape without the batch dimension when this is the first layer. */
  inputShape?: readonly (number | null)[];
  name?: string;
}

/** `layers.flatten` / `layers.globalAveragePooling1d` / `layers.globalMaxPooling1d` options. */
export interface ShapeLayerConfig {
  /** Shape without the batch dimension when this is the first layer. */
  inputShape?: readonly (number | null)[];
  name?: string;
}

/** `layers.repeatVector` options, as Keras `RepeatVector`: [B, F] → [B, n, F]. */
export interface RepeatVectorConfig {
  /** How many times the vector is repeated: the steps of the output. */
  n: number;
  /** [features] when this is the first layer. */
  inputShape?: readonly [number];
  name?: string;
}

export interface ResolvedActivationConfig {
  activation: LayerActivation;
  inputShape?: readonly (number | null)[];
  name: string;
}

export interface ResolvedShapeLayerConfig {
  inputShape?: readonly (number | null)[];
  name: string;
}

export interface ResolvedRepeatVectorConfig {
  n: number;
  inputShape?: readonly [number];
  name: string;
}

const counters = new Map<string, number>();

/** Keras's default layer names: activation_1, flatten_2, … (one counter per kind). */
function defaultName(kind: string): string {
  const n = (counters.get(kind) ?? 0) + 1;
  counters.set(kind, n);
  return `${kind}_${n}`;
}

const SHAPE_OPTIONS: OptionSchema<ShapeLayerConfig> = { inputShape: 'shape', name: 'string' };
const ACTIVATION_OPTIONS: OptionSchema<ActivationConfig> = { activation: 'string', inputShape: 'shape', name: 'string' };
const REPEAT_OPTIONS: OptionSchema<RepeatVectorConfig> = { n: 'integer', inputShape: 'shape', name: 'string' };

export function resolveActivationConfig(config: ActivationConfig): ResolvedActivationConfig {
  checkOptions('activation', config, ACTIVATION_OPTIONS);
  const activation = fromKerasName(config.activation, ACTIVATION_ALIASES) as LayerActivation;
  if (!ACTIVATIONS_AND_SOFTMAX.includes(activation)) {
    throw new ShapeError(`activation: '${String(config.activation)}' is not supported: use one of ${ACTIVATIONS_AND_SOFTMAX.join(', ')}.`);
  }
  return { activation, inputShape: config.inputShape, name: config.name ?? defaultName('activation') };
}

/** Flatten, GlobalAveragePooling1D, GlobalMaxPooling1D: `kind` is the Keras snake_case name ('flatten', …). */
export function resolveShapeLayerConfig(kind: string, config: ShapeLayerConfig = {}, rank?: number): ResolvedShapeLayerConfig {
  checkOptions(kind, config, SHAPE_OPTIONS);
  if (rank !== undefined && config.inputShape !== undefined && config.inputShape.length !== rank) {
    throw new ShapeError(`${kind}: inputShape is [steps, features], got [${config.inputShape.join(', ')}].`);
  }
  return { inputShape: config.inputShape, name: config.name ?? defaultName(kind) };
}

export function resolveRepeatVectorConfig(config: RepeatVectorConfig): ResolvedRepeatVectorConfig {
  checkOptions('repeatVector', config, REPEAT_OPTIONS);
  if (!Number.isInteger(config.n) || config.n < 1) throw new ShapeError(`repeatVector: n must be a positive whole number, got ${config.n}.`);
  if (config.inputShape !== undefined && config.inputShape.length !== 1) {
    throw new ShapeError(`repeatVector: inputShape is [features], got [${config.inputShape.join(', ')}].`);
  }
  return { n: config.n, inputShape: config.inputShape, name: config.name ?? defaultName('repeat_vector') };
}
