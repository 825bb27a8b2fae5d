// Conv1D and MaxPooling1D configurations, their Keras defaults and the geometry both share
// (output length, 'same' padding split). Plain data, no GPU: the CPU reference resolves its
// configurations here too, so that both sides agree on every default.
import { ACTIVATION_ALIASES, ACTIVATIONS_AND_SOFTMAX, type ActivationOrSoftmax, fromKerasName, type InitializerName } from './names.js';
import { ShapeError } from './errors.js';
import { kernelAndBias, REGULARIZER_OPTION, type RegularizerConfig } from './config.js';
import { checkOptions, type OptionSchema } from './options.js';

export type Padding = 'valid' | 'same';
/** Conv1D's padding: also 'causal' (zeros before step 0 only: output step t sees inputs ≤ t). */
export type ConvPadding = Padding | 'causal';
export type ConvActivation = ActivationOrSoftmax;

/** `layers.conv1d` options, as TF.js `tf.layers.conv1d` (channels last). */
export interface Conv1dConfig {
  filters: number;
  kernelSize: number | readonly [number];
  strides?: number | readonly [number];
  padding?: ConvPadding;
  /** Steps between the kernel's taps (default 1); more than 1 only with strides 1, as Keras. */
  dilationRate?: number | readonly [number];
  activation?: ConvActivation;
  useBias?: boolean;
  kernelInitializer?: InitializerName;
  biasInitializer?: InitializerName;
  kernelRegularizer?: RegularizerConfig;
  biasRegularizer?: RegularizerConfig;
  /** [steps, channels] of the input (steps may be null for any length). */
  inputShape?: readonly [number | null, number];
  seed?: number;
  name?: string;
}

export interface ResolvedConv1dConfig {
  filters: number;
  kernelSize: number;
  strides: number;
  padding: ConvPadding;
  dilationRate: number;
  activation: ConvActivation;
  useBias: boolean;
  kernelInitializer: InitializerName;
  biasInitializer: InitializerName;
  kernelRegularizer?: RegularizerConfig;
  biasRegularizer?: RegularizerConfig;
  inputShape?: readonly [number | null, number];
  seed?: number;
  name: string;
}

/** `layers.maxPooling1d` options, as TF.js `tf.layers.maxPooling1d`. */
export interface MaxPooling1dConfig {
  poolSize?: number | readonly [number];
  /** Defaults to poolSize. */
  strides?: number | readonly [number];
  padding?: Padding;
  inputShape?: readonly [number | null, number];
  name?: string;
}

export interface ResolvedMaxPooling1dConfig {
  poolSize: number;
  strides: number;
  padding: Padding;
  inputShape?: readonly [number | null, number];
  name: string;
}

let convCounter = 0;
let poolCounter = 0;

function positive(v: number | readonly [number] | undefined, fallback: number, what: string): number {
  const n = v === undefined ? fallback : typeof v === 'number' ? v : v.length === 1 ? v[0] : NaN;
  if (!Number.isInteger(n) || n < 1) throw new ShapeError(`${what} must be a positive whole number (or a list of one), got ${JSON.stringify(v)}.`);
  return n;
}

function checkPadding(padding: string | undefined, owner: string, causal = false): Padding {
  const p = padding ?? 'valid';
  if (p === 'causal' && causal) return p as Padding;
  if (p !== 'valid' && p !== 'same')
    throw new ShapeError(`${owner}: padding must be ${causal ? "'valid', 'same' or 'causal'" : "'valid' or 'same'"}, got '${p}'.`);
  return p;
}

function checkInputShape(shape: readonly (number | null)[] | undefined, owner: string): readonly [number | null, number] | undefined {
  if (!shape) return undefined;
  const [t, c] = shape;
  if (shape.length !== 2 || !(t === null || t === -1 || (Number.isInteger(t) && t >= 1)) || !(Number.isInteger(c) && (c as number) >= 1)) {
    throw new ShapeError(`${owner}: inputShape is [steps, channels] (steps may be null), got [${shape.join(', ')}].`);
  }
  return [t === -1 ? null : t, c as number];
}

const CONV1D_OPTIONS: OptionSchema<Conv1dConfig> = {
  filters: 'integer',
  kernelSize: 'any',
  strides: 'any',
  padding: 'string',
  dilationRate: 'any',
  activation: 'string',
  useBias: 'boolean',
  kernelInitializer: 'string',
  biasInitializer: 'string',
  kernelRegularizer: REGULARIZER_OPTION,
  biasRegularizer: REGULARIZER_OPTION,
  inputShape: 'shape',
  seed: 'integer',
  name: 'string',
};
const MAX_POOLING1D_OPTIONS: OptionSchema<MaxPooling1dConfig> = { poolSize: 'any', strides: 'any', padding: 'string', inputShape: 'shape', name: 'string' };

export function resolveConv1dConfig(config: Conv1dConfig): ResolvedConv1dConfig {
  checkOptions('conv1d', config, CONV1D_OPTIONS);
  if (!Number.isInteger(config.filters) || config.filters < 1) throw new ShapeError(`conv1d: filters must be a positive whole number, got ${config.filters}.`);
  const dilationRate = positive(config.dilationRate, 1, 'conv1d: dilationRate');
  const strides = positive(config.strides, 1, 'conv1d: strides');
  if (dilationRate > 1 && strides > 1) throw new ShapeError(`conv1d: dilationRate ${dilationRate} with strides ${strides}: one of them must be 1 (as Keras).`);
  const activation = fromKerasName(config.activation ?? 'linear', ACTIVATION_ALIASES) as ConvActivation;
  if (!ACTIVATIONS_AND_SOFTMAX.includes(activation))
    throw new ShapeError(`conv1d: activation '${activation}' is not supported: use one of ${ACTIVATIONS_AND_SOFTMAX.join(', ')}.`);
  return {
    filters: config.filters,
    kernelSize: positive(config.kernelSize, NaN, 'conv1d: kernelSize'),
    strides,
    padding: checkPadding(config.padding, 'conv1d', true),
    dilationRate,
    activation,
    useBias: config.useBias ?? true,
    ...kernelAndBias(config, 'conv1d'),
    inputShape: checkInputShape(config.inputShape, 'conv1d'),
    seed: config.seed,
    name: config.name ?? `conv1d_${++convCounter}`,
  };
}

export function resolveMaxPooling1dConfig(config: MaxPooling1dConfig = {}): ResolvedMaxPooling1dConfig {
  checkOptions('maxPooling1d', config, MAX_POOLING1D_OPTIONS);
  const poolSize = positive(config.poolSize, 2, 'maxPooling1d: poolSize');
  return {
    poolSize,
    strides: positive(config.strides, poolSize, 'maxPooling1d: strides'),
    padding: checkPadding(config.padding, 'maxPooling1d'),
    inputShape: checkInputShape(config.inputShape, 'maxPooling1d'),
    name: config.name ?? `max_pooling1d_${++poolCounter}`,
  };
}

/** Where a window of `size` taps with `stride` runs over `steps` input steps. */
export interface Window1d {
  /** Output steps: valid ⌊(T − size)/stride⌋ + 1, same ⌈T/stride⌉ (Keras). */
  outSteps: number;
  /** Zero ('same') padding before step 0: ⌊total/2⌋, the rest goes after (as TF). */
  padBefore: number;
}

/**
 * Window geometry as Keras / TF; `steps` -1 (any length) gives outSteps -1. A window of `taps`
 * taps `dilation` steps apart spans size = (taps − 1)·dilation + 1 steps; 'causal' pads size − 1
 * zeros before step 0 and none after: ⌈T / stride⌉ outputs, output o ending at input o·stride.
 */
export function window1d(steps: number, taps: number, stride: number, padding: ConvPadding, owner: string, dilation = 1): Window1d {
  if (steps < 0) return { outSteps: -1, padBefore: 0 };
  const size = (taps - 1) * dilation + 1;
  if (padding === 'causal') return { outSteps: Math.floor((steps - 1) / stride) + 1, padBefore: size - 1 };
  if (padding === 'same') {
    const outSteps = Math.ceil(steps / stride);
    const total = Math.max((outSteps - 1) * stride + size - steps, 0);
    return { outSteps, padBefore: Math.floor(total / 2) };
  }
  if (steps < size)
    throw new ShapeError(`${owner}: ${steps} input steps are fewer than the window of ${size} with padding 'valid': use padding 'same' or longer sequences.`);
  return { outSteps: Math.floor((steps - size) / stride) + 1, padBefore: 0 };
}

/**
 * Geometry of a 1-D window, as the im2col / col2im kernels and their CPU twins take it: B
 * sequences of T steps and C channels, To windows of K taps.
 */
export interface Conv1dGeometry {
  B: number;
  T: number;
  C: number;
  To: number;
  K: number;
  /** stride */
  S: number;
  /** steps of zero padding before step 0 */
  pad: number;
  /** steps between taps (dilation rate; default 1) */
  D?: number;
}
