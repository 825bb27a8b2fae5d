// Layer factories, named as in TensorFlow.js (`tf.layers.lstm(...)`).
import type { DenseConfig, LstmConfig } from '../spec/config.js';
import { Conv1d } from '../layers/conv1d.js';
import type { Conv1dConfig, MaxPooling1dConfig } from '../spec/convConfig.js';
import { Dense } from '../layers/dense.js';
import { MaxPooling1d } from '../layers/maxPooling1d.js';
import { Gru } from '../lstm/gru.js';
import type { GruConfig, SimpleRnnConfig } from '../spec/recurrentConfig.js';
import { SimpleRnn } from '../lstm/simpleRnn.js';
import { Lstm } from '../lstm/lstm.js';
import { Embedding, type EmbeddingConfig } from '../layers/embedding.js';
import { Dropout, type DropoutConfig, SpatialDropout1d } from '../layers/dropout.js';
import { TimeDistributed, type TimeDistributedConfig } from '../layers/timeDistributed.js';
import { Bidirectional, type BidirectionalConfig } from '../lstm/bidirectional.js';
import { Masking, type MaskingConfig } from '../layers/masking.js';
import { Activation } from '../layers/activation.js';
import { Flatten, RepeatVector } from '../layers/reshape.js';
import { GlobalAveragePooling1d, GlobalMaxPooling1d } from '../layers/globalPooling1d.js';
import type { ActivationConfig, RepeatVectorConfig, ShapeLayerConfig } from '../spec/shapeConfig.js';

/**
 * An LSTM layer (Keras's defaults: tanh, sigmoid gates, unit forget bias): the input
 * projection of every step in one GEMM, then one fused kernel a step — or one dispatch for the
 * whole sequence where the state fits on the GPU's chip.
 *
 * @example
 * ```ts
 * layers.lstm({ units: 64, inputShape: [49, 1] });                     // [batch, 64]
 * layers.lstm({ units: 64, returnSequences: true, recurrentDropout: 0.2 }); // [batch, steps, 64]
 * layers.bidirectional({ layer: layers.lstm({ units: 32 }), mergeMode: 'concat' });
 * ```
 */
export function lstm(config: LstmConfig): Lstm {
  return new Lstm(config);
}

export function dense(config: DenseConfig): Dense {
  return new Dense(config);
}

export function gru(config: GruConfig): Gru {
  return new Gru(config);
}

export function simpleRNN(config: SimpleRnnConfig): SimpleRnn {
  return new SimpleRnn(config);
}

export function embedding(config: EmbeddingConfig): Embedding {
  return new Embedding(config);
}

/** Keras `SpatialDropout1D`: whole channels of [batch, steps, channels] dropped in training, one mask for every step. */
export function spatialDropout1d(config: DropoutConfig): SpatialDropout1d {
  return new SpatialDropout1d(config);
}

export function dropout(config: DropoutConfig): Dropout {
  return new Dropout(config);
}

export function timeDistributed(config: TimeDistributedConfig): TimeDistributed {
  return new TimeDistributed(config);
}

export function conv1d(config: Conv1dConfig): Conv1d {
  return new Conv1d(config);
}

export function maxPooling1d(config: MaxPooling1dConfig = {}): MaxPooling1d {
  return new MaxPooling1d(config);
}

export function bidirectional(config: BidirectionalConfig): Bidirectional {
  return new Bidirectional(config);
}

export function masking(config: MaskingConfig = {}): Masking {
  return new Masking(config);
}

/** An activation on its own (Keras `Activation`): `layers.activation({ activation: 'sigmoid' })`; any rank, softmax over the last axis. */
export function activation(config: ActivationConfig): Activation {
  return new Activation(config);
}

/** [batch, d1, d2, …] → [batch, d1·d2·…] (Keras `Flatten`); the steps must be fixed. */
export function flatten(config: ShapeLayerConfig = {}): Flatten {
  return new Flatten(config);
}

/** [batch, features] → [batch, n, features] (Keras `RepeatVector`): an encoder's state as every step of a decoder's input. */
export function repeatVector(config: RepeatVectorConfig): RepeatVector {
  return new RepeatVector(config);
}

/** The mean over steps, [batch, steps, channels] → [batch, channels] (Keras `GlobalAveragePooling1D`); masked steps are left out. */
export function globalAveragePooling1d(config: ShapeLayerConfig = {}): GlobalAveragePooling1d {
  return new GlobalAveragePooling1d(config);
}

/** The max over steps, [batch, steps, channels] → [batch, channels] (Keras `GlobalMaxPooling1D`). */
export function globalMaxPooling1d(config: ShapeLayerConfig = {}): GlobalMaxPooling1d {
  return new GlobalMaxPooling1d(config);
}
