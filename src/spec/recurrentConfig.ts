// GRU and SimpleRNN configurations and their Keras 2 defaults. Plain data, no GPU: the CPU
// reference resolves its configurations here too, so that both sides agree on every default.
import type { InitializerName } from './names.js';
import type { Activation } from './names.js';
import { checkActivation, RECURRENT_OPTION_KINDS, type RecurrentConfigBase, resolveRecurrentBase } from './config.js';
import { checkOptions, type OptionSchema } from './options.js';

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

let gruCounter = 0;
let simpleRnnCounter = 0;

const GRU_OPTIONS: OptionSchema<GruConfig> = { ...RECURRENT_OPTION_KINDS, recurrentActivation: 'string', resetAfter: 'boolean' };
const SIMPLE_RNN_OPTIONS: OptionSchema<SimpleRnnConfig> = RECURRENT_OPTION_KINDS;

export function resolveGruConfig(config: GruConfig): ResolvedGruConfig {
  checkOptions('gru', config, GRU_OPTIONS);
  return {
    ...resolveRecurrentBase(config, 'gru'),
    recurrentActivation: checkActivation(config.recurrentActivation ?? 'sigmoid', 'gru: recurrentActivation'),
    resetAfter: config.resetAfter ?? true,
    name: config.name ?? `gru_${++gruCounter}`,
  };
}

export function resolveSimpleRnnConfig(config: SimpleRnnConfig): ResolvedSimpleRnnConfig {
  checkOptions('simpleRNN', config, SIMPLE_RNN_OPTIONS);
  return { ...resolveRecurrentBase(config, 'simpleRNN'), name: config.name ?? `simple_rnn_${++simpleRnnCounter}` };
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
