// Layer factories, named as in TensorFlow.js (`tf.layers.lstm(...)`).
import type { DenseConfig, LstmConfig } from './config.js';
import { Dense } from './dense.js';
import { Lstm } from './lstm.js';

export function lstm(config: LstmConfig): Lstm {
  return new Lstm(config);
}

export function dense(config: DenseConfig): Dense {
  return new Dense(config);
}
