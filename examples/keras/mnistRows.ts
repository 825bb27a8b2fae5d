// MNIST digits read row by row by an LSTM, as the LSTM material does (Keras in the comments):
// each 28×28 image is a sequence of 28 rows of 28 pixels.
import { layers, type Gpu, type Sequential, sequential } from '../../src/index.js';

export function mnistRowsModel(gpu: Gpu): Sequential {
  // model = Sequential()
  const model = sequential(gpu, [
    // model.add(LSTM(128, input_shape=(28, 28)))
    layers.lstm({ units: 128, inputShape: [28, 28] }),
    // model.add(Dense(10, activation='softmax'))
    layers.dense({ units: 10, activation: 'softmax' }),
  ]);
  // model.compile(loss='sparse_categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
  model.compile({ loss: 'sparse_categorical_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  return model;
}
// x_train = x_train / 255.0                                       →  pixels scaled to [0, 1] before tensor(gpu, x, [n, 28, 28])
// model.fit(x_train, y_train, epochs=3, validation_data=(x_test, y_test))  →  await model.fit(x, y, { epochs: 3, validationData: [xTest, yTest] })
