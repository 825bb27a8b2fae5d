// The stacked Bidirectional LSTM of the LSTM material (Keras in the comments): a sequence
// classifier reading its input both ways, twice.
import { layers, type Gpu, type Sequential, sequential } from '../../src/index.js';

export function stackedBidirectional(gpu: Gpu, steps: number, features: number): Sequential {
  // model = Sequential()
  const model = sequential(gpu, [
    // model.add(Bidirectional(LSTM(64, return_sequences=True), input_shape=(n_timesteps, n_features)))
    layers.bidirectional({ layer: layers.lstm({ units: 64, returnSequences: true }), inputShape: [steps, features] }),
    // model.add(Bidirectional(LSTM(32)))
    layers.bidirectional({ layer: layers.lstm({ units: 32 }) }),
    // model.add(Dense(1, activation='sigmoid'))
    layers.dense({ units: 1, activation: 'sigmoid' }),
  ]);
  // model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
  model.compile({ loss: 'binary_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  return model;
}
