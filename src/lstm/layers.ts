// Layer factories, named as in TensorFlow.js (`tf.layers.lstm(...)`).
import type { DenseConfig, LstmConfig } from './config.js';
import { Conv1d } from './conv1d.js';
import type { Conv1dConfig, MaxPooling1dConfig } from './convConfig.js';
import { Dense } from './dense.js';
import { MaxPooling1d } from './maxPooling1d.js';
import { Gru } from './gru.js';
import type { GruConfig, SimpleRnnConfig } from './recurrentConfig.js';
import { SimpleRnn } from './simpleRnn.js';
import { Lstm } from './lstm.js';
import { Embedding, type EmbeddingConfig } from './embedding.js';
import { Dropout, type DropoutConfig } from './dropout.js';
import { TimeDistributed, type TimeDistributedConfig } from './timeDistributed.js';
import { Bidirectional, type BidirectionalConfig } from './bidirectional.js';
import { Masking, type MaskingConfig } from './masking.js';

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
