// The SimpleRNN / TimeDistributed shapes of the LSTM material (Keras in the comments): a
// many-to-many model that keeps every step, and an encoder–decoder of RepeatVector.
import { layers, type Gpu, type Sequential, sequential } from '../../src/index.js';

export function manyToMany(gpu: Gpu): Sequential {
  return sequential(gpu, [
    // model.add(SimpleRNN(5, input_shape=(3, 1), return_sequences=True))
    layers.simpleRNN({ units: 5, inputShape: [3, 1], returnSequences: true }),
    // model.add(TimeDistributed(Dense(1)))
    layers.timeDistributed({ layer: layers.dense({ units: 1 }) }),
  ]);
}

export function repeatVectorSeq2seq(gpu: Gpu): Sequential {
  return sequential(gpu, [
    // model.add(SimpleRNN(5, input_shape=(3, 1)))
    layers.simpleRNN({ units: 5, inputShape: [3, 1] }),
    // model.add(RepeatVector(3))
    layers.repeatVector({ n: 3 }),
    // model.add(SimpleRNN(5, return_sequences=True))
    layers.simpleRNN({ units: 5, returnSequences: true }),
    // model.add(TimeDistributed(Dense(1)))
    layers.timeDistributed({ layer: layers.dense({ units: 1 }) }),
  ]);
}
// model.compile(loss='mean_squared_error', optimizer='adam')  →  model.compile({ loss: 'mean_squared_error', optimizer: 'adam' })
