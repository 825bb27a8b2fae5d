// Layer configurations and their Keras defaults. Plain data, no GPU: the CPU reference
// resolves its configurations here too, so that both sides agree on every default.
import { ACTIVATION_ALIASES, ACTIVATIONS, ACTIVATIONS_AND_SOFTMAX, type Activation, checkInitializer, fromKerasName, type InitializerName } from './names.js';
import { ShapeError } from './errors.js';
import { checkOptions, nested, type OptionSchema } from './options.js';

/** `layers.lstm` options, as TF.js `tf.layers.lstm`. */
export interface LstmConfig extends RecurrentConfigBase {
  recurrentActivation?: Activation;
  /** Add 1 to the forget gate's bias at initialization (Keras, Jozefowicz et al. 2015). */
  unitForgetBias?: boolean;
}

/** What every recurrent layer's configuration shares (Keras / TF.js names). */
export interface RecurrentConfigBase {
  units: number;
  /** [steps, features] of the input; `steps` may be null for any length. */
  inputShape?: readonly [number | null, number];
  returnSequences?: boolean;
  /** apply() returns [output, h]; a Sequential model rejects it. */
  returnState?: boolean;
  activation?: Activation;
  useBias?: boolean;
  kernelInitializer?: InitializerName;
  recurrentInitializer?: InitializerName;
  biasInitializer?: InitializerName;
  kernelRegularizer?: RegularizerConfig;
  recurrentRegularizer?: RegularizerConfig;
  biasRegularizer?: RegularizerConfig;
  /**
   * Process the input sequence backwards in time (Keras); with returnSequences the output is in
   * processing order, reversed with respect to the input.
   */
  goBackwards?: boolean;
  /**
   * Keep the final state [batch, units] as the next call's initial state, in predict and from
   * batch to batch in training (Keras); resetStates() zeros it. The batch size stays fixed.
   */
  stateful?: boolean;
  /**
   * Fraction of the input's features dropped in training (Keras): one mask [batch, features]
   * for every step, drawn on the GPU. 0 (default) to 1 exclusive.
   */
  dropout?: number;
  /**
   * Fraction of the previous state's units dropped in training (Keras): one mask [batch,
   * units] for every step, applied to h[t-1] inside the step kernel. 0 (default) to 1 exclusive.
   */
  recurrentDropout?: number;
  /** Seed of the initializers and of the dropout masks; layers built with the same seed start with the same weights. */
  seed?: number;
  name?: string;
}

/** Keras L1 / L2 penalty on a weight: l1·Σ|w| + l2·Σw² is added to the loss. */
export interface RegularizerConfig {
  l1?: number;
  l2?: number;
}

/** The option kind of a regularizer: `{ l1, l2 }`, each a finite number (ranges: checkRegularizer). */
export const REGULARIZER_OPTION = nested<RegularizerConfig>({ l1: 'number', l2: 'number' });

type Optional = 'inputShape' | 'seed' | 'name' | 'kernelRegularizer' | 'recurrentRegularizer' | 'biasRegularizer';
export type ResolvedLstmConfig = Required<Omit<LstmConfig, Optional>> & Pick<LstmConfig, Optional> & { name: string };

let layerCounter = 0;

/** The keys of every recurrent layer's options (LSTM, GRU, SimpleRNN) and their kinds. */
export const RECURRENT_OPTION_KINDS = {
  units: 'integer',
  inputShape: 'shape',
  returnSequences: 'boolean',
  returnState: 'boolean',
  activation: 'string',
  useBias: 'boolean',
  kernelInitializer: 'string',
  recurrentInitializer: 'string',
  biasInitializer: 'string',
  kernelRegularizer: REGULARIZER_OPTION,
  recurrentRegularizer: REGULARIZER_OPTION,
  biasRegularizer: REGULARIZER_OPTION,
  goBackwards: 'boolean',
  stateful: 'boolean',
  dropout: 'number',
  recurrentDropout: 'number',
  seed: 'integer',
  name: 'string',
} as const;

const LSTM_OPTIONS: OptionSchema<LstmConfig> = { ...RECURRENT_OPTION_KINDS, recurrentActivation: 'string', unitForgetBias: 'boolean' };

export function resolveLstmConfig(config: LstmConfig): ResolvedLstmConfig {
  checkOptions('lstm', config, LSTM_OPTIONS);
  return {
    ...resolveRecurrentBase(config, 'lstm'),
    recurrentActivation: checkActivation(config.recurrentActivation ?? 'sigmoid', 'lstm: recurrentActivation'),
    unitForgetBias: config.unitForgetBias ?? true,
    name: config.name ?? `lstm_${++layerCounter}`,
  };
}

/** The options every recurrent layer shares, resolved (Keras defaults) and checked; `kind` names the layer in messages. */
export function resolveRecurrentBase(config: RecurrentConfigBase, kind: string) {
  if (!Number.isInteger(config.units) || config.units < 1) {
    throw new ShapeError(`${kind}: units must be a positive whole number, got ${config.units}.`);
  }
  if (config.inputShape && (config.inputShape.length !== 2 || !Number.isInteger(config.inputShape[1]))) {
    throw new ShapeError(`${kind}: inputShape is [steps, features] (steps may be null), got [${config.inputShape.join(', ')}].`);
  }
  const activation = checkActivation(config.activation ?? 'tanh', `${kind}: activation`);
  return {
    units: config.units,
    inputShape: config.inputShape,
    returnSequences: config.returnSequences ?? false,
    returnState: config.returnState ?? false,
    activation,
    useBias: config.useBias ?? true,
    kernelInitializer: checkInitializer(config.kernelInitializer ?? 'glorotUniform', `${kind}: kernelInitializer`),
    recurrentInitializer: checkInitializer(config.recurrentInitializer ?? 'orthogonal', `${kind}: recurrentInitializer`),
    biasInitializer: checkInitializer(config.biasInitializer ?? 'zeros', `${kind}: biasInitializer`),
    kernelRegularizer: checkRegularizer(config.kernelRegularizer, 'kernelRegularizer'),
    recurrentRegularizer: checkRegularizer(config.recurrentRegularizer, 'recurrentRegularizer'),
    biasRegularizer: checkRegularizer(config.biasRegularizer, 'biasRegularizer'),
    goBackwards: config.goBackwards ?? false,
    stateful: config.stateful ?? false,
    dropout: checkDropoutRate(config.dropout, 'dropout', kind),
    recurrentDropout: checkDropoutRate(config.recurrentDropout, 'recurrentDropout', kind),
    seed: config.seed,
  };
}

/**
 * A recurrent cell's activation option in either spelling ('hard_sigmoid' or 'hardSigmoid'),
 * checked. Every cell takes every activation: for gelu and swish, whose derivative needs the
 * pre-activation, the cell keeps that instead of (LSTM, GRU gates) or beside (SimpleRNN) the output.
 */
export function checkActivation(name: Activation, option: string): Activation {
  const ours = fromKerasName(name, ACTIVATION_ALIASES) as Activation;
  if (!(ACTIVATIONS as readonly string[]).includes(ours)) throw new ShapeError(`${option} '${name}' is not supported: use one of ${ACTIVATIONS.join(', ')}.`);
  return ours;
}

/** A dropout rate option: a number in [0, 1) (0 when absent). */
export function checkDropoutRate(value: number | undefined, option: string, owner: string): number {
  const rate = value ?? 0;
  if (!(typeof rate === 'number' && rate >= 0 && rate < 1))
    throw new ShapeError(`${owner}: ${option} is the fraction of units dropped, a number in [0, 1); got ${value}.`);
  return rate;
}

/** A Dense's or Conv1D's kernel and bias initializers (Keras defaults) and regularizers, checked. */
export function kernelAndBias(
  config: Pick<DenseConfig, 'kernelInitializer' | 'biasInitializer' | 'kernelRegularizer' | 'biasRegularizer'>,
  kind: string,
): { kernelInitializer: InitializerName; biasInitializer: InitializerName; kernelRegularizer?: RegularizerConfig; biasRegularizer?: RegularizerConfig } {
  return {
    kernelInitializer: checkInitializer(config.kernelInitializer ?? 'glorotUniform', `${kind}: kernelInitializer`),
    biasInitializer: checkInitializer(config.biasInitializer ?? 'zeros', `${kind}: biasInitializer`),
    kernelRegularizer: checkRegularizer(config.kernelRegularizer, 'kernelRegularizer'),
    biasRegularizer: checkRegularizer(config.biasRegularizer, 'biasRegularizer'),
  };
}

export function checkRegularizer(r: RegularizerConfig | undefined, option: string): RegularizerConfig | undefined {
  if (!r) return undefined;
  for (const key of ['l1', 'l2'] as const) {
    const v = r[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new ShapeError(`${option}.${key} must be a finite number ≥ 0, got ${v}.`);
  }
  return r;
}

/** Dense layer options, as TF.js `tf.layers.dense`. */
export interface DenseConfig {
  units: number;
  /** An elementwise activation (see ACTIVATIONS) or 'softmax'; default 'linear'. */
  activation?: Activation | 'softmax';
  useBias?: boolean;
  /** [features] (or [steps, features]) of the input when this is the first layer. */
  inputShape?: readonly number[];
  kernelInitializer?: InitializerName;
  biasInitializer?: InitializerName;
  kernelRegularizer?: RegularizerConfig;
  biasRegularizer?: RegularizerConfig;
  seed?: number;
  name?: string;
}

const DENSE_OPTIONS: OptionSchema<DenseConfig> = {
  units: 'integer',
  activation: 'string',
  useBias: 'boolean',
  inputShape: 'shape',
  kernelInitializer: 'string',
  biasInitializer: 'string',
  kernelRegularizer: REGULARIZER_OPTION,
  biasRegularizer: REGULARIZER_OPTION,
  seed: 'integer',
  name: 'string',
};

export function resolveDenseConfig(
  config: DenseConfig,
): Required<Pick<DenseConfig, 'units' | 'activation' | 'useBias' | 'kernelInitializer' | 'biasInitializer' | 'name'>> & DenseConfig {
  checkOptions('dense', config, DENSE_OPTIONS);
  if (!Number.isInteger(config.units) || config.units < 1) {
    throw new ShapeError(`dense: units must be a positive whole number, got ${config.units}.`);
  }
  const activation = fromKerasName(config.activation ?? 'linear', ACTIVATION_ALIASES) as NonNullable<DenseConfig['activation']>;
  if (!ACTIVATIONS_AND_SOFTMAX.includes(activation))
    throw new ShapeError(`dense: activation '${activation}' is not supported: use one of ${ACTIVATIONS_AND_SOFTMAX.join(', ')}.`);
  return {
    ...config,
    activation,
    useBias: config.useBias ?? true,
    ...kernelAndBias(config, 'dense'),
    name: config.name ?? `dense_${++layerCounter}`,
  };
}

/** Shapes of an LSTM's weights in Keras order: kernel, recurrentKernel, bias (if used). */
export function lstmWeightShapes(config: ResolvedLstmConfig, features: number): number[][] {
  const H = config.units;
  const shapes = [
    [features, 4 * H],
    [H, 4 * H],
  ];
  if (config.useBias) shapes.push([4 * H]);
  return shapes;
}
