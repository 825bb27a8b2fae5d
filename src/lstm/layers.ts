// Layer factories, named as in TensorFlow.js (`tf.layers.lstm(...)`).
import type { LstmConfig } from './config.js';
import { Lstm } from './lstm.js';

export function lstm(config: LstmConfig): Lstm {
  return new Lstm(config);
}
