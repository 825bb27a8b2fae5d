// GRU and SimpleRNN configurations and their Keras 2 defaults. Plain data, no GPU: the CPU
// reference resolves its configurations here too, so that both sides agree on every default.
import type { InitializerName } from './names.js';
import type { Activation } from './names.js';
import { ShapeError } from './errors.js';
import { checkDropoutRate, checkRegularizer, RECURRENT_OPTION_KINDS, type RegularizerConfig } from './config.js';
import { checkOptions, type OptionSchema } from './options.js';

/** What every recurrent layer's configuration shares (Keras / TF.js names). */
interface RecurrentConfigBase {
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

/** `layers.gru` options, as TF.js `tf.layers.gru` plus Keras 2's `resetAfter`. */
export interface GruConfig extends RecurrentConfigBase {
  recurrentActivation?: Activation;
  /**
   * true (Keras 2 default, the cuDNN / TF2 form): the reset gate multiplies h·U_h + b_rec, and
   * the bias is [2, 3·units] (input row, recurrent row). false: the reset gate multiplies h
   * before the recurrent matmul, and the bias is [3·units] (the only form TF.js has).
   */
  resetAfter?: boolean;
}

/** `layers.simpleRNN` options, as TF.js `tf.layers.simpleRNN`. */
export type SimpleRnnConfig = RecurrentConfigBase;

type Optional = 'inputShape' | 'seed' | 'name' | 'kernelRegularizer' | 'recurrentRegularizer' | 'biasRegularizer';
export type ResolvedSimpleRnnConfig = Required<Omit<SimpleRnnConfig, Optional>> & Pick<SimpleRnnConfig, Optional> & { name: string };
export type ResolvedGruConfig = Required<Omit<GruConfig, Optional>> & Pick<GruConfig, Optional> & { name: string };

const ACTIVATIONS: readonly Activation[] = ['tanh', 'sigmoid', 'hardSigmoid', 'relu', 'linear'];
let gruCounter = 0;
let simpleRnnCounter = 0;

function resolveBase(config: RecurrentConfigBase, kind: string) {
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
    kernelInitializer: config.kernelInitializer ?? 'glorotUniform',
    recurrentInitializer: config.recurrentInitializer ?? 'orthogonal',
    biasInitializer: config.biasInitializer ?? 'zeros',
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

function checkActivation(name: Activation, option: string): Activation {
  if (!ACTIVATIONS.includes(name)) throw new ShapeError(`${option} '${name}' is not supported: use one of ${ACTIVATIONS.join(', ')}.`);
  return name;
}

const GRU_OPTIONS: OptionSchema<GruConfig> = { ...RECURRENT_OPTION_KINDS, recurrentActivation: 'string', resetAfter: 'boolean' };
const SIMPLE_RNN_OPTIONS: OptionSchema<SimpleRnnConfig> = RECURRENT_OPTION_KINDS;

export function resolveGruConfig(config: GruConfig): ResolvedGruConfig {
  checkOptions('gru', config, GRU_OPTIONS);
  return {
    ...resolveBase(config, 'gru'),
    recurrentActivation: checkActivation(config.recurrentActivation ?? 'sigmoid', 'gru: recurrentActivation'),
    resetAfter: config.resetAfter ?? true,
    name: config.name ?? `gru_${++gruCounter}`,
  };
}

export function resolveSimpleRnnConfig(config: SimpleRnnConfig): ResolvedSimpleRnnConfig {
  checkOptions('simpleRNN', config, SIMPLE_RNN_OPTIONS);
  return { ...resolveBase(config, 'simpleRNN'), name: config.name ?? `simple_rnn_${++simpleRnnCounter}` };
}

/** Shapes of a GRU's weights in Keras order: kernel, recurrentKernel, bias ([3u] or [2, 3u]). */
export function gruWeightShapes(config: ResolvedGruConfig, features: number): number[][] {
  const H = config.units;
  const shapes = [
    [features, 3 * H],
    [H, 3 * H],
  ];
  if (config.useBias) shapes.push(config.resetAfter ? [2, 3 * H] : [3 * H]);
  return shapes;
}

/** Shapes of a SimpleRNN's weights in Keras order: kernel, recurrentKernel, bias (if used). */
export function simpleRnnWeightShapes(config: ResolvedSimpleRnnConfig, features: number): number[][] {
  const H = config.units;
  const shapes = [
    [features, H],
    [H, H],
  ];
  if (config.useBias) shapes.push([H]);
  return shapes;
}

/** Initial weight values in Keras order (kernel, recurrentKernel, bias), drawn in that order. */
export function initialRecurrentWeights(
  config: ResolvedGruConfig | ResolvedSimpleRnnConfig,
  shapes: number[][],
  initialize: (name: InitializerName, rows: number, cols: number) => Float64Array,
): Float64Array[] {
  const inits = [config.kernelInitializer, config.recurrentInitializer, config.biasInitializer];
  // A 1-D bias is one row; the GRU's [2, 3u] bias has two (fanIn 2, as Keras for a 2-D weight).
  return shapes.map((shape, i) => initialize(inits[i], shape.length === 2 ? shape[0] : 1, shape[shape.length - 1]));
}
