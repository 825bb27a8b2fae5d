// Conv1D, pooling and shape layers' options from a Keras / TF.js layer config (snake_case
// keys), for the layer registry's fromKeras.
import type { Conv1dConfig, ConvActivation, MaxPooling1dConfig, Padding } from '../spec/convConfig.js';
import { type KerasConfigReader, withInputShape, withKernelAndBias } from './kerasConfig.js';

/** A Keras 1-tuple (`kernel_size: [3]`) or number as a positive whole number. */
function single(r: KerasConfigReader, key: string, fallback?: number): number {
  const raw = r.config[key];
  if ((raw === undefined || raw === null) && fallback !== undefined) return fallback;
  const v = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
  if (!Number.isInteger(v) || (v as number) < 1) r.fail(`'${key}' must be a positive whole number or a list of one, got ${JSON.stringify(raw)}.`);
  return v as number;
}

function padding(r: KerasConfigReader, causal = false): Padding {
  const v = r.config.padding ?? 'valid';
  if (causal && v === 'causal') return v as Padding;
  if (v !== 'valid' && v !== 'same') r.fail(`padding ${JSON.stringify(v)} is not supported: ${causal ? "'valid', 'same' or 'causal'" : "'valid' or 'same'"}.`);
  return v;
}

function channelsLast(r: KerasConfigReader): void {
  const f = r.config.data_format;
  if (f !== undefined && f !== null && f !== 'channels_last') r.fail(`data_format ${JSON.stringify(f)} is not supported: only 'channels_last'.`);
}

function inputShape(r: KerasConfigReader): [number | null, number] | undefined {
  const shape = r.inputShape();
  if (!shape) return undefined;
  if (shape.length !== 2 || shape[1] === null) r.fail('the input shape must be [steps, channels] with channels known.');
  return [shape[0], shape[1] as number];
}

export function conv1dFromKeras(r: KerasConfigReader): Conv1dConfig {
  channelsLast(r);
  const config: Conv1dConfig = {
    filters: r.positiveInt('filters'),
    kernelSize: single(r, 'kernel_size'),
    strides: single(r, 'strides', 1),
    padding: padding(r, true),
    dilationRate: single(r, 'dilation_rate', 1),
    activation: r.activation('activation', 'linear', true) as ConvActivation,
    useBias: r.bool('use_bias', true),
  };
  const name = r.name();
  if (name) config.name = name;
  const shape = inputShape(r);
  if (shape) config.inputShape = shape;
  return withKernelAndBias(r, config);
}

export function maxPooling1dFromKeras(r: KerasConfigReader): MaxPooling1dConfig {
  channelsLast(r);
  // Keras 2 writes pool_size / strides; TF.js also pool_size; strides null means pool_size.
  const poolSize = single(r, 'pool_size', 2);
  const config: MaxPooling1dConfig = { poolSize, strides: single(r, 'strides', poolSize), padding: padding(r) };
  const name = r.name();
  if (name) config.name = name;
  const shape = inputShape(r);
  if (shape) config.inputShape = shape;
  return config;
}

export function activationFromKeras(r: KerasConfigReader): Record<string, unknown> {
  return withInputShape(r, { activation: r.activation('activation', 'linear', true) });
}

export function flattenFromKeras(r: KerasConfigReader): Record<string, unknown> {
  channelsLast(r);
  return withInputShape(r, {});
}

export function repeatVectorFromKeras(r: KerasConfigReader): Record<string, unknown> {
  return withInputShape(r, { n: r.positiveInt('n') });
}

/** GlobalAveragePooling1D / GlobalMaxPooling1D. */
export function globalPooling1dFromKeras(r: KerasConfigReader): Record<string, unknown> {
  channelsLast(r);
  r.rejectTrue('keepdims', 'the pooled output is [batch, channels]; add a layers.repeatVector({ n: 1 }) for [batch, 1, channels].');
  return withInputShape(r, {});
}
