// The tweet sentiment model of the LSTM material, line by line (Keras in the comments):
// Tokenizer and pad_sequences, Embedding, SpatialDropout1D, an LSTM with dropout, a softmax.
import { layers, padSequencesFlat, type Gpu, type Sequential, sequential, Tokenizer } from '../../src/index.js';

export const MAX_FEATURES = 2000; // max_fatures = 2000
export const EMBED_DIM = 128; // embed_dim = 128
export const LSTM_OUT = 196; // lstm_out = 196

/** The tweets as padded token ids [n, maxlen] (maxlen: the longest tweet's length, as X.shape[1]). */
export function tweetsToIds(texts: readonly string[]): { ids: Float32Array; shape: [number, number] } {
  // tokenizer = Tokenizer(num_words=max_fatures, split=' ')
  const tokenizer = new Tokenizer({ numWords: MAX_FEATURES, split: ' ' });
  // tokenizer.fit_on_texts(data['text'].values)
  tokenizer.fitOnTexts(texts);
  // X = tokenizer.texts_to_sequences(data['text'].values)
  const sequences = tokenizer.textsToSequences(texts);
  // X = pad_sequences(X)
  const { data, shape } = padSequencesFlat(sequences);
  return { ids: data, shape: shape as [number, number] };
}

export function tweetsModel(gpu: Gpu, steps: number): Sequential {
  // model = Sequential()
  const model = sequential(gpu, [
    // model.add(Embedding(max_fatures, embed_dim, input_length = X.shape[1]))
    layers.embedding({ inputDim: MAX_FEATURES, outputDim: EMBED_DIM, inputLength: steps }),
    // model.add(SpatialDropout1D(0.4))
    layers.spatialDropout1d({ rate: 0.4 }),
    // model.add(LSTM(lstm_out, dropout=0.2, recurrent_dropout=0.2))
    layers.lstm({ units: LSTM_OUT, dropout: 0.2, recurrentDropout: 0.2 }),
    // model.add(Dense(2, activation='softmax'))
    layers.dense({ units: 2, activation: 'softmax' }),
  ]);
  // model.compile(loss = 'categorical_crossentropy', optimizer='adam', metrics = ['accuracy'])
  model.compile({ loss: 'categorical_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  return model;
}
// Y = pd.get_dummies(data['sentiment']).values                 →  toCategorical(labels, 2)
// model.fit(X_train, Y_train, epochs = 7, batch_size=32, verbose = 2)  →  await model.fit(x, y, { epochs: 7, batchSize: 32, verbose: 2 })
