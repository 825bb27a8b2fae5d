// Names shared by the GPU layers and the CPU reference: activations and weight initializers
// (Keras semantics; the implementations live in kernels/activations, reference/math and
// init/initializers), and Keras's other spellings of them.
import { ShapeError } from './errors.js';

/**
 * Every elementwise activation, as Keras defines it (hardSigmoid as Keras 2 and TF.js:
 * clip(0.2·x + 0.5, 0, 1); elu with α = 1; selu with Keras's α and scale; gelu exact,
 * 0.5·x·(1 + erf(x/√2)), Keras's default; swish (Keras 3's silu) x·σ(x)).
 */
export const ACTIVATIONS = ['tanh', 'sigmoid', 'hardSigmoid', 'relu', 'linear', 'elu', 'selu', 'softplus', 'softsign', 'gelu', 'swish'] as const;

/**
 * Whether the backward of activation `name` needs its input (gelu, swish): the derivatives of the
 * others are functions of their output, which is all their backward keeps.
 */
export function gradientNeedsInput(name: string): boolean {
  return name === 'gelu' || name === 'swish';
}

/** Keras's other names of activations: silu is swish. */
export const ACTIVATION_ALIASES: Record<string, string> = { silu: 'swish' };

/** An activation of a recurrent cell's gates, of a Dense or Conv1D layer or of an Activation layer. */
export type Activation = (typeof ACTIVATIONS)[number];

/** An activation, or softmax over the last axis (Dense, Conv1D, Activation, a model's head). */
export type ActivationOrSoftmax = Activation | 'softmax';

/** The activations and softmax, for the layers that take either. */
export const ACTIVATIONS_AND_SOFTMAX: readonly ActivationOrSoftmax[] = [...ACTIVATIONS, 'softmax'];

/** Every Keras weight initializer the library implements (init/initializers). */
export const INITIALIZERS = [
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'lecunUniform',
  'lecunNormal',
  'orthogonal',
  'zeros',
  'ones',
  'randomNormal',
  'randomUniform',
] as const;

/** A Keras weight initializer. */
export type InitializerName = (typeof INITIALIZERS)[number];

/** Keras's short names of losses. */
export const LOSS_ALIASES: Record<string, string> = { mse: 'meanSquaredError', mae: 'meanAbsoluteError' };

/** Keras's names of the metrics we have: accuracy (of the loss's kind) and the mean absolute error. */
export const METRIC_ALIASES: Record<string, string> = {
  acc: 'accuracy',
  binaryAccuracy: 'accuracy',
  categoricalAccuracy: 'accuracy',
  sparseCategoricalAccuracy: 'accuracy',
  meanAbsoluteError: 'mae',
};

/**
 * A name as Keras or TF.js writes it, in our spelling: snake_case to camelCase
 * ('glorot_uniform' → 'glorotUniform', 'binary_crossentropy' → 'binaryCrossentropy'), then
 * `aliases` (LOSS_ALIASES, METRIC_ALIASES). Anything else is returned as given.
 */
export function fromKerasName(name: unknown, aliases: Record<string, string> = {}): unknown {
  if (typeof name !== 'string') return name;
  const camel = name.includes('_') ? name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : name;
  return aliases[camel] ?? camel;
}

/** An initializer option in either spelling, checked: our name, or a ShapeError naming `option`. */
export function checkInitializer(name: unknown, option: string): InitializerName {
  const ours = fromKerasName(name) as InitializerName;
  if (!(INITIALIZERS as readonly string[]).includes(ours))
    throw new ShapeError(`${option} '${String(name)}' is not supported: use one of ${INITIALIZERS.join(', ')}.`);
  return ours;
}
