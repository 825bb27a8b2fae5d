// The IMDB review classifier of the LSTM material, line by line (Keras in the comments):
// word embeddings, a Conv1D + MaxPooling1D front end, an LSTM, a sigmoid.
import { layers, type Gpu, type Sequential, sequential } from '../../src/index.js';

export const TOP_WORDS = 5000; // top_words = 5000
export const MAX_REVIEW_LENGTH = 500; // max_review_length = 500

export function imdbModel(gpu: Gpu): Sequential {
  // model = Sequential()
  const model = sequential(gpu, [
    // model.add(Embedding(top_words, 32, input_length=max_review_length))
    layers.embedding({ inputDim: TOP_WORDS, outputDim: 32, inputLength: MAX_REVIEW_LENGTH }),
    // model.add(Conv1D(filters=32, kernel_size=3, padding='same', activation='relu'))
    layers.conv1d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
    // model.add(MaxPooling1D(pool_size=2))
    layers.maxPooling1d({ poolSize: 2 }),
    // model.add(LSTM(100))
    layers.lstm({ units: 100 }),
    // model.add(Dense(1, activation='sigmoid'))
    layers.dense({ units: 1, activation: 'sigmoid' }),
  ]);
  // model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
  model.compile({ loss: 'binary_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  return model;
}
// model.fit(X_train, y_train, epochs=3, batch_size=64)  →  await model.fit(xTrain, yTrain, { epochs: 3, batchSize: 64 })
// scores = model.evaluate(X_test, y_test, verbose=0)     →  const scores = await model.evaluate(xTest, yTest)
