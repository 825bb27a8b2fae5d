// Names shared by the GPU layers and the CPU reference: activations and weight initializers
// (Keras semantics; the implementations live in kernels/activations, reference/math and
// init/initializers), and Keras's other spellings of them.
import { ShapeError } from './errors.js';

/** An activation of a recurrent cell's gates or of a Dense head. */
export type Activation = 'tanh' | 'sigmoid' | 'hardSigmoid' | 'relu' | 'linear';

/** A Keras weight initializer. */
export type InitializerName = 'glorotUniform' | 'orthogonal' | 'zeros' | 'ones' | 'heUniform' | 'randomNormal' | 'randomUniform';

/** Every initializer name the library implements (init/initializers). */
export const INITIALIZERS: readonly InitializerName[] = ['glorotUniform', 'orthogonal', 'zeros', 'ones', 'heUniform', 'randomNormal', 'randomUniform'];

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
  if (!INITIALIZERS.includes(ours)) throw new ShapeError(`${option} '${String(name)}' is not supported: use one of ${INITIALIZERS.join(', ')}.`);
  return ours;
}
