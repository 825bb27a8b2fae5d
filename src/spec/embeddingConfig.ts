// Embedding and Dropout configurations and their Keras defaults, and the checks of token ids
// handed over from the CPU. Plain data, no GPU: the CPU reference resolves its configurations
// here too, so that both sides agree on every default.
import { checkInitializer, type InitializerName } from './names.js';
import { RnnError, ShapeError } from './errors.js';
import { checkRegularizer, REGULARIZER_OPTION, type RegularizerConfig } from './config.js';
import { checkOptions, type OptionSchema } from './options.js';
import { drawSeed } from './seed.js';

/** `layers.embedding` options, as TF.js `tf.layers.embedding`. */
export interface EmbeddingConfig {
  /** Size of the vocabulary: token ids are whole numbers in [0, inputDim). */
  inputDim: number;
  /** Length of each token's vector. */
  outputDim: number;
  /**
   * Whether id 0 is padding (Keras `mask_zero`): the steps with id 0 are masked for the layers
   * that follow (the recurrent layers skip them, the loss leaves them out).
   */
  maskZero?: boolean;
  /**
   * The gradient adds each id's rows in a fixed order, so one seed trains to bit-identical
   * weights (default true). false: a compare-exchange scatter-add whose additions land in
   * whatever order the GPU runs them (the last bits of a row fed by 3+ ids may vary).
   */
  deterministic?: boolean;
  embeddingsInitializer?: InitializerName;
  embeddingsRegularizer?: RegularizerConfig;
  /** Steps of every input sequence (Keras `input_length`); same as inputShape [inputLength]. */
  inputLength?: number;
  /** [steps] of the input (steps may be null for any length). */
  inputShape?: readonly [number | null];
  /** Seed of the initializer; layers built with the same seed start with the same weights. */
  seed?: number;
  name?: string;
}

export interface ResolvedEmbeddingConfig {
  inputDim: number;
  outputDim: number;
  maskZero: boolean;
  deterministic: boolean;
  embeddingsInitializer: InitializerName;
  embeddingsRegularizer?: RegularizerConfig;
  inputLength?: number;
  inputShape?: readonly [number | null];
  seed?: number;
  name: string;
}

/** Ids are stored as f32: whole numbers above 2²⁴ are not all representable. */
export const MAX_INPUT_DIM = 2 ** 24;

let embeddingCounter = 0;

const EMBEDDING_OPTIONS: OptionSchema<EmbeddingConfig> = {
  inputDim: 'integer',
  outputDim: 'integer',
  maskZero: 'boolean',
  deterministic: 'boolean',
  embeddingsInitializer: 'string',
  embeddingsRegularizer: REGULARIZER_OPTION,
  inputLength: 'integer',
  inputShape: 'shape',
  seed: 'integer',
  name: 'string',
};
// noiseShape is named to be refused with its own message (not supported), not as unknown.
const DROPOUT_OPTIONS: OptionSchema<DropoutConfig & { noiseShape: unknown }> = {
  rate: 'any',
  seed: 'any',
  inputShape: 'shape',
  name: 'string',
  noiseShape: 'any',
};

export function resolveEmbeddingConfig(config: EmbeddingConfig): ResolvedEmbeddingConfig {
  checkOptions('embedding', config, EMBEDDING_OPTIONS);
  if (!Number.isInteger(config.inputDim) || config.inputDim < 1 || config.inputDim > MAX_INPUT_DIM) {
    throw new ShapeError(`embedding: inputDim (the vocabulary size) must be a whole number in [1, ${MAX_INPUT_DIM}], got ${config.inputDim}.`);
  }
  if (!Number.isInteger(config.outputDim) || config.outputDim < 1) {
    throw new ShapeError(`embedding: outputDim must be a positive whole number, got ${config.outputDim}.`);
  }
  const length = config.inputLength;
  if (length !== undefined && !(Number.isInteger(length) && length >= 1)) {
    throw new ShapeError(`embedding: inputLength must be a positive whole number, got ${length}.`);
  }
  const shape = config.inputShape;
  if (shape && (shape.length !== 1 || !(shape[0] === null || (Number.isInteger(shape[0]) && shape[0] >= 1)))) {
    throw new ShapeError(`embedding: inputShape is [steps] (steps may be null): token ids of shape [batch, steps]; got [${shape.join(', ')}].`);
  }
  if (shape && length !== undefined && shape[0] !== null && shape[0] !== length) {
    throw new ShapeError(`embedding: inputShape [${shape[0]}] and inputLength ${length} disagree: give one of them.`);
  }
  return {
    inputDim: config.inputDim,
    outputDim: config.outputDim,
    maskZero: config.maskZero ?? false,
    deterministic: config.deterministic ?? true,
    embeddingsInitializer: checkInitializer(config.embeddingsInitializer ?? 'randomUniform', 'embedding: embeddingsInitializer'),
    embeddingsRegularizer: checkRegularizer(config.embeddingsRegularizer, 'embeddingsRegularizer'),
    inputLength: length,
    inputShape: shape ?? (length !== undefined ? [length] : undefined),
    seed: config.seed,
    name: config.name ?? `embedding_${++embeddingCounter}`,
  };
}

/**
 * Throws a ShapeError naming the first id of `ids` that is not a whole number in
 * [0, inputDim). Call it where token ids come from the CPU (fit, evaluate, predict): the GPU
 * kernels only guard against reading out of bounds (an out-of-range id gives a zero vector and
 * no gradient), they cannot report.
 */
export function checkTokenIds(ids: ArrayLike<number>, inputDim: number, what = 'The input'): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(Number.isInteger(id) && id >= 0 && id < inputDim)) {
      throw new ShapeError(
        `${what}: token id ${id} at flat index ${i} is not a whole number in [0, ${inputDim}) (the embedding's inputDim). Map unknown words to an OOV id, or raise inputDim.`,
      );
    }
  }
}

/** `layers.dropout` options, as TF.js `tf.layers.dropout`. */
export interface DropoutConfig {
  /** Fraction of the values set to zero in training, in [0, 1). */
  rate: number;
  /**
   * Seed of the masks. The mask of training step s is a hash of (seed, s, element index), so
   * the same seed gives the same masks. Without one, a random seed is drawn (and kept in the
   * config).
   */
  seed?: number;
  /** Shape without the batch dimension when this is the first layer. */
  inputShape?: readonly (number | null)[];
  name?: string;
}

export interface ResolvedDropoutConfig {
  rate: number;
  seed: number;
  inputShape?: readonly (number | null)[];
  name: string;
}

let dropoutCounter = 0;

export function resolveDropoutConfig(config: DropoutConfig): ResolvedDropoutConfig {
  checkOptions('dropout', config, DROPOUT_OPTIONS);
  const rate = config.rate;
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
    throw new RnnError(`dropout: rate is the fraction of values dropped, a number in [0, 1); got ${rate}.`);
  }
  if (config.seed !== undefined && !Number.isInteger(config.seed)) throw new RnnError(`dropout: seed must be a whole number, got ${config.seed}.`);
  if ((config as { noiseShape?: unknown }).noiseShape !== undefined)
    throw new RnnError('dropout: noiseShape is not supported: every value draws its own mask bit.');
  return {
    rate,
    seed: config.seed === undefined ? drawSeed() : config.seed >>> 0,
    inputShape: config.inputShape,
    name: config.name ?? `dropout_${++dropoutCounter}`,
  };
}
