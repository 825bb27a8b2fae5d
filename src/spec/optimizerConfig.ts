// Optimizer configurations and their Keras defaults (tf.keras ≥ 2.11, the optimizers that
// were `optimizer_experimental` in 2.9–2.10). Plain data, no GPU: the GPU update kernels
// (kernels/optimizers) and the CPU twin (reference/optimizers) resolve their settings here,
// so that both sides agree on every default and every step-dependent scalar.
import { ShapeError } from './errors.js';
import { nearestName, OptionError } from './options.js';

export type OptimizerName = 'sgd' | 'rmsprop' | 'adagrad' | 'adadelta' | 'adam' | 'adamax' | 'nadam';

export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'rmsprop', 'adagrad', 'adadelta', 'adam', 'adamax', 'nadam'];

/**
 * A resolved optimizer: every field holds a number. Fields the named rule does not use hold
 * 0 (false for `nesterov`); the clipping fields are present only when set.
 */
export interface OptimizerConfig {
  name: OptimizerName;
  learningRate: number;
  /** sgd, rmsprop: in [0, 1]. */
  momentum: number;
  /** sgd only. */
  nesterov: boolean;
  /** rmsprop (0.9), adadelta (0.95): decay of the running average of g². */
  rho: number;
  /** Every rule but sgd (1e-7). */
  epsilon: number;
  /** adam, adamax, nadam (0.9). */
  beta1: number;
  /** adam, adamax, nadam (0.999). */
  beta2: number;
  /** adagrad (0.1): the accumulator's starting value. */
  initialAccumulatorValue: number;
  /** Each weight's gradient is scaled so that its own L2 norm is at most this. */
  clipnorm?: number;
  /** All gradients are scaled together so that their joint L2 norm is at most this. */
  globalClipnorm?: number;
  /** Every gradient element is clamped to [−clipvalue, clipvalue]. */
  clipvalue?: number;
}

/** A name (Keras defaults) or a name with the options to override. */
export type OptimizerSpec = OptimizerName | ({ name: OptimizerName } & Partial<Omit<OptimizerConfig, 'name'>>);

type Hyper = 'learningRate' | 'momentum' | 'nesterov' | 'rho' | 'epsilon' | 'beta1' | 'beta2' | 'initialAccumulatorValue';

/** The Keras defaults of each optimizer, for the hyperparameters it takes (and no others). */
const DEFAULTS: Record<OptimizerName, Partial<Pick<OptimizerConfig, Hyper>>> = {
  sgd: { learningRate: 0.01, momentum: 0, nesterov: false },
  rmsprop: { learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7 },
  adagrad: { learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7 },
  adadelta: { learningRate: 0.001, rho: 0.95, epsilon: 1e-7 },
  adam: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  adamax: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  nadam: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
};

/** What a resolved config holds in the fields its rule does not use. */
const NEUTRAL: Record<Hyper, number | boolean> = {
  learningRate: 0,
  momentum: 0,
  nesterov: false,
  rho: 0,
  epsilon: 0,
  beta1: 0,
  beta2: 0,
  initialAccumulatorValue: 0,
};

const CLIP_OPTIONS = ['clipnorm', 'globalClipnorm', 'clipvalue'] as const;

/** Names of each optimizer's state buffers per weight (Keras's slot names), in slot order. */
const SLOT_NAMES: Record<OptimizerName, readonly string[]> = {
  // Keras allocates the velocity even without momentum; with momentum 0 it holds −lr·g.
  sgd: ['momentum'],
  // Slot 1 is the momentum buffer; with momentum 0 it holds the last increment and is
  // never read back into the update (0·m), as Keras's update without a momentum slot.
  rmsprop: ['velocity', 'momentum'],
  adagrad: ['accumulator'],
  adadelta: ['accumulated_grad', 'accumulated_delta_var'],
  adam: ['m', 'v'],
  adamax: ['m', 'u'],
  nadam: ['m', 'v'],
};

/** Resolves a name or an options object into a full config, or throws a ShapeError naming the bad option. */
export function resolveOptimizer(spec: OptimizerSpec): OptimizerConfig {
  const options: Record<string, unknown> = typeof spec === 'string' ? { name: spec } : spec && typeof spec === 'object' ? { ...spec } : { name: spec };
  const rawName = options.name;
  const name = typeof rawName === 'string' ? (rawName.toLowerCase() as OptimizerName) : undefined;
  if (!name || !OPTIMIZER_NAMES.includes(name)) {
    throw new ShapeError(`Unknown optimizer ${JSON.stringify(rawName)}: use one of ${OPTIMIZER_NAMES.join(', ')}.`);
  }
  const defaults = DEFAULTS[name];
  for (const key of Object.keys(options)) {
    if (key === 'name' || key in defaults || (CLIP_OPTIONS as readonly string[]).includes(key)) continue;
    // A resolved config holds every field, 0 / false where unused: resolving it again is allowed.
    if (key in NEUTRAL && (options[key] === NEUTRAL[key as Hyper] || options[key] === undefined)) continue;
    const known = [...Object.keys(defaults), ...CLIP_OPTIONS];
    const near = nearestName(key, known);
    const hint =
      key === 'lr'
        ? ' (the learning rate is `learningRate`)'
        : key === 'beta_1' || key === 'beta_2'
          ? ' (spelled `beta1` / `beta2` here)'
          : near
            ? ` (did you mean '${near}'?)`
            : '';
    throw new OptionError(`Optimizer '${name}' has no option '${key}'${hint}: it takes ${known.join(', ')}.`);
  }
  const pick = (key: Exclude<Hyper, 'nesterov'>): number => {
    const value = options[key] ?? defaults[key] ?? 0;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ShapeError(`Optimizer '${name}': ${key} must be a finite number, got ${String(value)}.`);
    }
    return value;
  };
  const config: OptimizerConfig = {
    name,
    learningRate: pick('learningRate'),
    momentum: pick('momentum'),
    nesterov: false,
    rho: pick('rho'),
    epsilon: pick('epsilon'),
    beta1: pick('beta1'),
    beta2: pick('beta2'),
    initialAccumulatorValue: pick('initialAccumulatorValue'),
  };
  const nesterov = options.nesterov ?? defaults.nesterov ?? false;
  if (typeof nesterov !== 'boolean') throw new ShapeError(`Optimizer '${name}': nesterov must be true or false, got ${String(nesterov)}.`);
  config.nesterov = nesterov;

  const range = (key: Exclude<Hyper, 'nesterov'>, ok: boolean, rule: string) => {
    if (!ok) throw new ShapeError(`Optimizer '${name}': ${key} must be ${rule}, got ${config[key]}.`);
  };
  range('learningRate', config.learningRate > 0, '> 0');
  if ('momentum' in defaults) range('momentum', config.momentum >= 0 && config.momentum <= 1, 'in [0, 1]');
  if ('rho' in defaults) range('rho', config.rho >= 0 && config.rho <= 1, 'in [0, 1]');
  if ('epsilon' in defaults) range('epsilon', config.epsilon > 0, '> 0 (it keeps the update finite where the accumulated g² is 0)');
  if ('beta1' in defaults) range('beta1', config.beta1 >= 0 && config.beta1 < 1, 'in [0, 1) (1 − beta1^t divides the update)');
  if ('beta2' in defaults) range('beta2', config.beta2 >= 0 && config.beta2 < 1, 'in [0, 1) (1 − beta2^t divides the update)');
  if ('initialAccumulatorValue' in defaults) range('initialAccumulatorValue', config.initialAccumulatorValue >= 0, '≥ 0');

  for (const key of CLIP_OPTIONS) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ShapeError(`Optimizer '${name}': ${key} must be a finite number > 0, got ${String(value)} (leave it out to disable clipping).`);
    }
    config[key] = value;
  }
  if (config.clipnorm !== undefined && config.globalClipnorm !== undefined) {
    throw new ShapeError(`Optimizer '${name}': set at most one of clipnorm and globalClipnorm (as in Keras).`);
  }
  if (config.clipvalue !== undefined && (config.clipnorm !== undefined || config.globalClipnorm !== undefined)) {
    // Keras applies only the first of clipnorm, global_clipnorm, clipvalue that is set and
    // silently ignores the others; refusing the combination keeps the two libraries equal.
    throw new ShapeError(
      `Optimizer '${name}': clipvalue cannot be combined with clipnorm or globalClipnorm (Keras would silently ignore clipvalue): choose one.`,
    );
  }
  return config;
}

/** State buffers per weight, each the weight's size: sgd 1, adagrad 1, every other rule 2. */
export function optimizerSlotCount(name: OptimizerName): number {
  return SLOT_NAMES[name].length;
}

/** Keras's names of the state buffers per weight, in slot order. */
export function optimizerSlotNames(name: OptimizerName): readonly string[] {
  return SLOT_NAMES[name];
}

/** The value every element of state buffer `slot` starts from: adagrad's accumulator, else 0. */
export function slotInitialValue(config: OptimizerConfig, slot: number): number {
  if (!Number.isInteger(slot) || slot < 0 || slot >= optimizerSlotCount(config.name)) {
    throw new ShapeError(`Optimizer '${config.name}' has ${optimizerSlotCount(config.name)} state buffer(s) per weight; slot ${slot} does not exist.`);
  }
  return config.name === 'adagrad' ? config.initialAccumulatorValue : 0;
}

/** Nadam's momentum schedule (Keras): u_t = β1·(1 − 0.5·0.96^(0.004·t)). */
export function nadamMomentum(beta1: number, t: number): number {
  return beta1 * (1 - 0.5 * 0.96 ** (0.004 * t));
}

// Per β1, the running product Π_{i≤t} u_i of the last request, so that a training loop asking
// for t, t, …, t+1, … (once per weight per step) pays O(1) per call, not O(t).
const productCache = new Map<number, { t: number; product: number }>();

/** Π_{i=1..t} u_i in Float64 (Keras keeps it in a float32 variable, `_u_product`). */
export function nadamMomentumProduct(beta1: number, t: number): number {
  const cached = productCache.get(beta1);
  let { t: from, product } = cached && cached.t <= t ? cached : { t: 0, product: 1 };
  // The product underflows to 0 within ~1100 steps (u_i ≤ β1 < 1, and ≈ β1/2 early on).
  for (let i = from + 1; i <= t && product !== 0; i++) product *= nadamMomentum(beta1, i);
  if (productCache.size > 16) productCache.clear();
  productCache.set(beta1, { t, product });
  return product;
}

/**
 * The scalars of step `iteration` (1-based count of applied updates) that do not depend on the
 * element, computed once in Float64 and shared by the GPU kernel and the CPU twin:
 *   adam:   c0 = α_t = lr·√(1 − β2^t) / (1 − β1^t)
 *   adamax: c0 = 1 − β1^t
 *   nadam:  c0 = u_{t+1} / (1 − Π_{t+1}),  c1 = (1 − u_t) / (1 − Π_t),  c2 = 1 − β2^t
 * and zeros for the other rules.
 */
export function stepScalars(config: OptimizerConfig, iteration: number): [number, number, number] {
  if (!Number.isInteger(iteration) || iteration < 1) {
    throw new ShapeError(`The optimizer's iteration is the 1-based count of updates, a whole number ≥ 1; got ${iteration}.`);
  }
  const t = iteration;
  const { beta1, beta2, learningRate: lr } = config;
  switch (config.name) {
    case 'adam':
      return [(lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t), 0, 0];
    case 'adamax':
      return [1 - beta1 ** t, 0, 0];
    case 'nadam': {
      const ut = nadamMomentum(beta1, t);
      const ut1 = nadamMomentum(beta1, t + 1);
      const product = nadamMomentumProduct(beta1, t);
      return [ut1 / (1 - product * ut1), (1 - ut) / (1 - product), 1 - beta2 ** t];
    }
    default:
      return [0, 0, 0];
  }
}
