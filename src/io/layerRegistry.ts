// The layer types that save, load and import know, keyed by their Keras class name. A new
// layer type becomes loadable (and importable from Keras / TF.js) by registering it here or
// with registerLayerType() from its own module.
import { ACTIVATIONS, ACTIVATIONS_AND_SOFTMAX } from '../spec/names.js';
import { Bidirectional, MERGE_MODES, type WrappableLayer } from '../lstm/bidirectional.js';
import { Conv1d } from '../layers/conv1d.js';
import { activationFromKeras, conv1dFromKeras, flattenFromKeras, globalPooling1dFromKeras, maxPooling1dFromKeras, repeatVectorFromKeras } from './convKeras.js';
import { Activation } from '../layers/activation.js';
import { GlobalAveragePooling1d, GlobalMaxPooling1d } from '../layers/globalPooling1d.js';
import { Flatten, RepeatVector } from '../layers/reshape.js';
import { Dense } from '../layers/dense.js';
import { TimeDistributed } from '../layers/timeDistributed.js';
import { MaxPooling1d } from '../layers/maxPooling1d.js';
import { Dropout, SpatialDropout1d } from '../layers/dropout.js';
import { Masking } from '../layers/masking.js';
import { Embedding } from '../layers/embedding.js';
import { ModelFormatError } from '../spec/ioErrors.js';
import { Gru } from '../lstm/gru.js';
import {
  denseFromKeras,
  dropoutFromKeras,
  embeddingFromKeras,
  gruFromKeras,
  KerasConfigReader,
  lstmFromKeras,
  maskingFromKeras,
  normalizeKerasConfig,
  recurrentInputShape,
  simpleRnnFromKeras,
} from './kerasConfig.js';
import type { Layer } from '../layers/layer.js';
import { Lstm } from '../lstm/lstm.js';
import { SimpleRnn } from '../lstm/simpleRnn.js';

import type { JsonConfig } from '../spec/modelFormat.js';

export type { JsonConfig };

export interface LayerType {
  /** Keras class name, as written in model files: 'LSTM', 'Dense', 'GRU', 'SimpleRNN'. */
  className: string;
  /** Whether `layer` is of this type. */
  is(layer: Layer): boolean;
  /** The layer's options as JSON data (this library's camelCase names), enough to rebuild it. */
  getConfig(layer: Layer): JsonConfig;
  /** A new, unbuilt layer from options written by getConfig. Throws on invalid options. */
  fromConfig(config: JsonConfig): Layer;
  /**
   * Keras names of the layer's weights, in Keras order (the order of getWeights):
   * e.g. ['kernel', 'recurrent_kernel', 'bias']. Saved as `<layer name>/<weight name>`.
   */
  weightNames(layer: Layer): string[];
  /**
   * This library's options from a Keras / TF.js layer config (snake_case keys). Absent: the
   * type cannot be imported from Keras / TF.js.
   */
  fromKeras?(reader: KerasConfigReader): JsonConfig;
}

const registry = new Map<string, LayerType>();

/** Adds (or replaces) the layer type of `type.className`. */
export function registerLayerType(type: LayerType): void {
  registry.set(type.className, type);
}

/** The registered type of `className`, or undefined. */
export function layerTypeOf(className: string): LayerType | undefined {
  return registry.get(className);
}

/** The registered type `layer` is an instance of; throws a ModelFormatError when none is. */
export function layerTypeFor(layer: Layer): LayerType {
  for (const type of registry.values()) if (type.is(layer)) return type;
  throw new ModelFormatError(
    `${layer.name} (${layer.constructor.name}) has no registered layer type, so it cannot be saved: register one with registerLayerType(). Known: ${registeredClassNames().join(', ')}.`,
  );
}

export function registeredClassNames(): string[] {
  return [...registry.keys()];
}

/**
 * A new layer of `type` from `config`, for weights that are set right after: its initializers
 * are zeros until `restore()`, which puts the names of `config` back into the layer's config
 * (so that saving it again keeps them). Call restore() once the layer is built: an orthogonal
 * initializer of a large layer costs seconds, for values that are replaced anyway.
 */
export function instantiateLayer(type: LayerType, config: JsonConfig): { layer: Layer; restore(): void } {
  const initializers = Object.keys(config).filter((k) => k.endsWith('Initializer'));
  const zeros: JsonConfig = { ...config };
  for (const key of initializers) zeros[key] = 'zeros';
  const layer = type.fromConfig(zeros);
  const restore = (): void => {
    const live = (layer as Layer & { config?: Record<string, unknown> }).config;
    if (live && typeof live === 'object' && !Object.isFrozen(live)) for (const key of initializers) live[key] = config[key];
  };
  return { layer, restore };
}

/** The layer's `config` property as JSON (undefined options dropped). */
export function configOf(layer: Layer): JsonConfig {
  const config = (layer as Layer & { config?: unknown }).config;
  if (typeof config !== 'object' || config === null) throw new ModelFormatError(`${layer.name} has no config to save.`);
  return JSON.parse(JSON.stringify(config)) as JsonConfig;
}

/** Keras names for a recurrent layer's weights: kernel, recurrent_kernel and bias (when used). */
export function recurrentWeightNames(layer: Layer): string[] {
  const count = layer.weightTensors.length;
  return ['kernel', 'recurrent_kernel', 'bias'].slice(0, count);
}

/** Throws a ModelFormatError unless config[key] is absent or one of `allowed`: the activations, or with softmax for a Dense or Conv1D. */
export function checkActivationOption(config: JsonConfig, key: string, owner: string, allowed: readonly string[] = ACTIVATIONS): void {
  const v = config[key];
  if (v === undefined) return;
  if (typeof v !== 'string' || !allowed.includes(v)) throw new ModelFormatError(`${owner}: ${key} ${JSON.stringify(v)} is not one of ${allowed.join(', ')}.`);
}

registerLayerType({
  className: 'LSTM',
  is: (layer) => layer instanceof Lstm,
  getConfig: configOf,
  fromConfig(config) {
    checkActivationOption(config, 'activation', 'LSTM');
    checkActivationOption(config, 'recurrentActivation', 'LSTM');
    return new Lstm(config as never);
  },
  weightNames: recurrentWeightNames,
  fromKeras: (reader) => ({ ...lstmFromKeras(reader) }),
});

registerLayerType({
  className: 'Dense',
  is: (layer) => layer instanceof Dense,
  getConfig: configOf,
  fromConfig(config) {
    checkActivationOption(config, 'activation', 'Dense', ACTIVATIONS_AND_SOFTMAX);
    return new Dense(config as never);
  },
  weightNames: (layer) => ['kernel', 'bias'].slice(0, layer.weightTensors.length),
  fromKeras: (reader) => ({ ...denseFromKeras(reader) }),
});

registerLayerType({
  className: 'GRU',
  // Gru extends SimpleRnn's base class, not SimpleRnn: the two instanceof tests are disjoint.
  is: (layer) => layer instanceof Gru,
  getConfig: configOf,
  fromConfig(config) {
    checkActivationOption(config, 'activation', 'GRU');
    checkActivationOption(config, 'recurrentActivation', 'GRU');
    return new Gru(config as never);
  },
  weightNames: recurrentWeightNames,
  fromKeras: gruFromKeras,
});

registerLayerType({
  className: 'SimpleRNN',
  is: (layer) => layer instanceof SimpleRnn,
  getConfig: configOf,
  fromConfig(config) {
    checkActivationOption(config, 'activation', 'SimpleRNN');
    return new SimpleRnn(config as never);
  },
  weightNames: recurrentWeightNames,
  fromKeras: simpleRnnFromKeras,
});

registerLayerType({
  className: 'Embedding',
  is: (layer) => layer instanceof Embedding,
  getConfig: configOf,
  fromConfig: (config) => new Embedding(config as never),
  weightNames: () => ['embeddings'],
  fromKeras: embeddingFromKeras,
});

registerLayerType({
  className: 'Dropout',
  is: (layer) => layer instanceof Dropout && !(layer instanceof SpatialDropout1d),
  getConfig: configOf,
  fromConfig: (config) => new Dropout(config as never),
  weightNames: () => [],
  fromKeras: dropoutFromKeras,
});

registerLayerType({
  className: 'SpatialDropout1D',
  is: (layer) => layer instanceof SpatialDropout1d,
  getConfig: configOf,
  fromConfig: (config) => new SpatialDropout1d(config as never),
  weightNames: () => [],
  fromKeras: dropoutFromKeras,
});

registerLayerType({
  className: 'Masking',
  is: (layer) => layer instanceof Masking,
  getConfig: configOf,
  fromConfig: (config) => new Masking(config as never),
  weightNames: () => [],
  fromKeras: maskingFromKeras,
});

registerLayerType({
  className: 'Conv1D',
  is: (layer) => layer instanceof Conv1d,
  getConfig: configOf,
  fromConfig(config) {
    checkActivationOption(config, 'activation', 'Conv1D', ACTIVATIONS_AND_SOFTMAX);
    return new Conv1d(config as never);
  },
  weightNames: (layer) => ['kernel', 'bias'].slice(0, layer.weightTensors.length),
  fromKeras: (reader) => ({ ...conv1dFromKeras(reader) }),
});

registerLayerType({
  className: 'MaxPooling1D',
  is: (layer) => layer instanceof MaxPooling1d,
  getConfig: configOf,
  fromConfig: (config) => new MaxPooling1d(config as never),
  weightNames: () => [],
  fromKeras: (reader) => ({ ...maxPooling1dFromKeras(reader) }),
});

// The weightless shape layers: their options are their config.
for (const [className, of, create, fromKeras] of [
  ['Activation', Activation, (c: JsonConfig) => new Activation(c as never), activationFromKeras],
  ['Flatten', Flatten, (c: JsonConfig) => new Flatten(c as never), flattenFromKeras],
  ['RepeatVector', RepeatVector, (c: JsonConfig) => new RepeatVector(c as never), repeatVectorFromKeras],
  ['GlobalAveragePooling1D', GlobalAveragePooling1d, (c: JsonConfig) => new GlobalAveragePooling1d(c as never), globalPooling1dFromKeras],
  ['GlobalMaxPooling1D', GlobalMaxPooling1d, (c: JsonConfig) => new GlobalMaxPooling1d(c as never), globalPooling1dFromKeras],
] as const) {
  registerLayerType({
    className,
    is: (layer) => layer instanceof of,
    getConfig: configOf,
    fromConfig: create,
    weightNames: () => [],
    fromKeras,
  });
}

// Bidirectional: a nested layer config, { mergeMode, name, inputShape?, layer: { className, config } },
// the wrapped layer's own registered type and options. Its weights are the directions' (named
// forward_<layer>/kernel, …, backward_<layer>/…, as Keras names them).
const WRAPPABLE = ['LSTM', 'GRU', 'SimpleRNN'];

registerLayerType({
  className: 'Bidirectional',
  is: (layer) => layer instanceof Bidirectional,
  getConfig(layer) {
    const b = layer as Bidirectional;
    const type = layerTypeFor(b.template);
    const config: JsonConfig = { mergeMode: b.config.mergeMode, name: b.config.name, layer: { className: type.className, config: type.getConfig(b.template) } };
    if (b.config.inputShape) config.inputShape = [...b.config.inputShape];
    return config;
  },
  fromConfig(config) {
    const inner = config.layer as { className?: unknown; config?: unknown } | undefined;
    const className = inner?.className;
    if (typeof className !== 'string' || !WRAPPABLE.includes(className) || typeof inner?.config !== 'object' || inner.config === null) {
      throw new ModelFormatError(
        `Bidirectional wraps LSTM, GRU or SimpleRNN given as { className, config }; got ${JSON.stringify(className ?? inner ?? null)}.`,
      );
    }
    const mergeMode = config.mergeMode === undefined ? 'concat' : config.mergeMode;
    if (!MERGE_MODES.includes(mergeMode as never))
      throw new ModelFormatError(`Bidirectional: mergeMode ${JSON.stringify(mergeMode)} is not one of 'concat', 'sum', 'mul', 'ave' or null.`);
    const layer = layerTypeOf(className)!.fromConfig(inner.config as JsonConfig) as WrappableLayer;
    return new Bidirectional({ ...(config as object), layer, mergeMode: mergeMode as never });
  },
  weightNames(layer) {
    const b = layer as Bidirectional;
    const names = (direction: WrappableLayer) => recurrentWeightNames(direction).map((w) => `${direction.name}/${w}`);
    return [...names(b.forwardLayer), ...names(b.backwardLayer)];
  },
  // Keras / TF.js: { layer: { class_name, config }, merge_mode }, the input shape on the wrapper.
  // The file's weights (forward_<layer>/…, then backward_<layer>/…) are taken in Keras order.
  fromKeras(reader) {
    const inner = reader.config.layer as { class_name?: unknown; className?: unknown; config?: unknown } | undefined;
    const className = inner?.class_name ?? inner?.className;
    const type = typeof className === 'string' && WRAPPABLE.includes(className) ? layerTypeOf(className) : undefined;
    if (!type?.fromKeras) reader.fail(`a Bidirectional layer here wraps LSTM, GRU or SimpleRNN, got ${JSON.stringify(className ?? null)}.`);
    const innerReader = new KerasConfigReader(
      { ...reader.ctx, className: className as string },
      normalizeKerasConfig(inner!.config, `${reader.where}: the wrapped layer`),
    );
    if (innerReader.bool('go_backwards', false))
      reader.fail("the wrapped layer has go_backwards=True; save it with go_backwards=False (the backward direction is the wrapper's).");
    const layerConfig = type!.fromKeras!(innerReader);
    const inputShape = recurrentInputShape(reader) ?? (layerConfig.inputShape as [number | null, number] | undefined);
    delete layerConfig.inputShape;
    const mergeMode = reader.config.merge_mode === undefined ? 'concat' : reader.config.merge_mode;
    if (!MERGE_MODES.includes(mergeMode as never)) reader.fail(`merge_mode ${JSON.stringify(mergeMode)} is not one of 'concat', 'sum', 'mul', 'ave' or None.`);
    const config: JsonConfig = { mergeMode, layer: { className, config: layerConfig } };
    const name = reader.name();
    if (name) config.name = name;
    if (inputShape) config.inputShape = inputShape;
    return config;
  },
});

// TimeDistributed: { name, inputShape?, layer: { className, config } }, the wrapped layer's own
// registered type and options; its weights are the wrapped layer's, under the wrapper's name.
const STEPWISE = ['Dense', 'Activation', 'Dropout', 'TimeDistributed'];

registerLayerType({
  className: 'TimeDistributed',
  is: (layer) => layer instanceof TimeDistributed,
  getConfig(layer) {
    const td = layer as TimeDistributed;
    const type = layerTypeFor(td.layer);
    const config: JsonConfig = { name: td.config.name, layer: { className: type.className, config: type.getConfig(td.layer) } };
    if (td.config.inputShape) config.inputShape = [...td.config.inputShape];
    return config;
  },
  fromConfig(config) {
    const inner = config.layer as { className?: unknown; config?: unknown } | undefined;
    const className = inner?.className;
    if (typeof className !== 'string' || !STEPWISE.includes(className) || typeof inner?.config !== 'object' || inner.config === null) {
      throw new ModelFormatError(
        `TimeDistributed wraps Dense, Activation or Dropout given as { className, config }; got ${JSON.stringify(className ?? inner ?? null)}.`,
      );
    }
    const layer = layerTypeOf(className)!.fromConfig(inner.config as JsonConfig);
    return new TimeDistributed({ ...(config as object), layer });
  },
  weightNames: (layer) => {
    const inner = (layer as TimeDistributed).layer;
    return layerTypeFor(inner).weightNames(inner);
  },
  // Keras / TF.js: { layer: { class_name, config } }, the input shape on the wrapper.
  fromKeras(reader) {
    const inner = reader.config.layer as { class_name?: unknown; className?: unknown; config?: unknown } | undefined;
    const className = inner?.class_name ?? inner?.className;
    const type = typeof className === 'string' && STEPWISE.includes(className) ? layerTypeOf(className) : undefined;
    if (!type?.fromKeras) reader.fail(`a TimeDistributed layer here wraps Dense, Activation or Dropout, got ${JSON.stringify(className ?? null)}.`);
    const innerReader = new KerasConfigReader(
      { ...reader.ctx, className: className as string },
      normalizeKerasConfig(inner!.config, `${reader.where}: the wrapped layer`),
    );
    const layerConfig = type!.fromKeras!(innerReader);
    delete layerConfig.inputShape;
    const config: JsonConfig = { layer: { className, config: layerConfig } };
    const name = reader.name();
    if (name) config.name = name;
    const inputShape = reader.inputShape();
    if (inputShape) config.inputShape = inputShape;
    return config;
  },
});
