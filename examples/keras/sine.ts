// The sine forecaster of the LSTM material, written there with Keras's functional API
// (Keras in the comments). This library has no functional API yet: the same chain of layers is
// a Sequential, with the input's shape on its first layer.
import { layers, type Gpu, type Sequential, sequential, slidingWindows } from '../../src/index.js';

export function sineModel(gpu: Gpu): Sequential {
  // inputs = Input(batch_shape=(None, 5, 1))
  // x = LSTM(10)(inputs)
  // outputs = Dense(1)(x)
  // model = Model(inputs=inputs, outputs=outputs)
  const model = sequential(gpu, [layers.lstm({ units: 10, inputShape: [5, 1] }), layers.dense({ units: 1 })]);
  // model.compile(optimizer='adam', loss='mse')
  model.compile({ optimizer: 'adam', loss: 'mse' });
  return model;
}

/** Windows of 5 steps of sin(0.1·t) and the next value: x [n, 5, 1], y [n, 1]. */
export function sineWindows(n: number) {
  const series = Array.from({ length: n + 5 }, (_, t) => Math.sin(0.1 * t));
  return slidingWindows(series, 5);
}
