// Layer configurations and their Keras defaults. Plain data, no GPU: the CPU reference
// resolves its configurations here too, so that both sides agree on every default.
import type { Activation } from '../reference/math.js';
import type { InitializerName } from '../reference/initializers.js';
import { ShapeError } from '../runtime/errors.js';

export interface LstmConfig {
  units: number;
  /** [steps, features] of the input; `steps` may be null for any length. */
  inputShape?: readonly [number | null, number];
  returnSequences?: boolean;
  returnState?: boolean;
  activation?: Activation;
  recurrentActivation?: Activation;
  useBias?: boolean;
  unitForgetBias?: boolean;
  kernelInitializer?: InitializerName;
  recurrentInitializer?: InitializerName;
  biasInitializer?: InitializerName;
  /** Seed of the initializers; layers built with the same seed start with the same weights. */
  seed?: number;
  name?: string;
}

export type ResolvedLstmConfig = Required<Omit<LstmConfig, 'inputShape' | 'seed' | 'name'>> &
  Pick<LstmConfig, 'inputShape' | 'seed'> & { name: string };

let layerCounter = 0;

export function resolveLstmConfig(config: LstmConfig): ResolvedLstmConfig {
  if (!Number.isInteger(config.units) || config.units < 1) {
    throw new ShapeError(`lstm: units must be a positive whole number, got ${config.units}.`);
  }
  if (config.inputShape && (config.inputShape.length !== 2 || !Number.isInteger(config.inputShape[1]))) {
    throw new ShapeError(`lstm: inputShape is [steps, features] (steps may be null), got [${config.inputShape.join(', ')}].`);
  }
  return {
    units: config.units,
    inputShape: config.inputShape,
    returnSequences: config.returnSequences ?? false,
    returnState: config.returnState ?? false,
    activation: config.activation ?? 'tanh',
    recurrentActivation: config.recurrentActivation ?? 'sigmoid',
    useBias: config.useBias ?? true,
    unitForgetBias: config.unitForgetBias ?? true,
    kernelInitializer: config.kernelInitializer ?? 'glorotUniform',
    recurrentInitializer: config.recurrentInitializer ?? 'orthogonal',
    biasInitializer: config.biasInitializer ?? 'zeros',
    seed: config.seed,
    name: config.name ?? `lstm_${++layerCounter}`,
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
