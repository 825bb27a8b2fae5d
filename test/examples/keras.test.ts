// examples/keras/: each model the LSTM material builds, translated line by line. Each has the
// parameters and per-layer output shapes Keras 3.15.1 gives the same Keras code (model.summary(),
// computed with scripts' Keras venv: the numbers below), and trains on small synthetic data of
// its shapes: the loss is finite and falls. The examples' layers are unseeded, as the Keras
// code they translate: each test sets the global seed first, so that it starts from the same
// weights however the file is run (whole, or one test of it).
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { reference, type Sequential, setSeed, tensor, toCategorical } from '../../src/index.js';
import { stackedBidirectional } from '../../examples/keras/bidirectional.js';
import { imdbModel, MAX_REVIEW_LENGTH, TOP_WORDS } from '../../examples/keras/imdb.js';
import { mnistRowsModel } from '../../examples/keras/mnistRows.js';
import { manyToMany, repeatVectorSeq2seq } from '../../examples/keras/shapes.js';
import { sineModel, sineWindows } from '../../examples/keras/sine.js';
import { tweetsModel, tweetsToIds } from '../../examples/keras/tweets.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();

/** Each layer's output shape without the batch, as Keras's summary lists them. */
function outputShapes(model: Sequential): number[][] {
  let shape = model.layers[0].inputShape!;
  return model.layers.map((layer) => (shape = layer.computeOutputShape(shape)));
}

/** Keras 3.15.1's count_params() and output shapes of the same Keras code. */
const KERAS: Record<string, { params: number; shapes: number[][] }> = {
  imdb: { params: 216_405, shapes: [[500, 32], [500, 32], [250, 32], [100], [1]] },
  tweets: { params: 511_194, shapes: [[28, 128], [28, 128], [196], [2]] },
  manyToMany: {
    params: 41,
    shapes: [
      [3, 5],
      [3, 1],
    ],
  },
  repeatVector: { params: 96, shapes: [[5], [3, 5], [3, 5], [3, 1]] },
  mnistRows: { params: 81_674, shapes: [[128], [10]] },
  sine: { params: 491, shapes: [[10], [1]] },
  bidirectional: { params: 76_609, shapes: [[20, 128], [64], [1]] },
};

function expectKeras(model: Sequential, name: string): void {
  expect(model.countParams(), `${name}: parameters`).toBe(KERAS[name].params);
  expect(outputShapes(model), `${name}: output shapes`).toEqual(KERAS[name].shapes);
}

/** Two epochs on x, y: the second epoch's loss is finite and below the first's. */
async function trains(model: Sequential, x: Float32Array, xShape: number[], y: Float32Array, yShape: number[]): Promise<void> {
  const history = await model.fit(tensor(env.gpu, x, xShape), tensor(env.gpu, y, yShape), { epochs: 3, batchSize: xShape[0], verbose: 0, seed: 1 });
  const losses = history.history.loss;
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(losses[2]).toBeLessThan(losses[0]);
  model.dispose();
}

describe('examples/keras: the material, translated', () => {
  let random = new reference.Random(7);
  beforeEach(() => {
    setSeed(2026);
    random = new reference.Random(7);
  });
  afterAll(() => setSeed(undefined));

  test('IMDB: Embedding → Conv1D → MaxPooling1D → LSTM → sigmoid', async () => {
    const model = imdbModel(env.gpu);
    expectKeras(model, 'imdb');
    const n = 4;
    const x = Float32Array.from({ length: n * MAX_REVIEW_LENGTH }, () => random.int(TOP_WORDS));
    await trains(model, x, [n, MAX_REVIEW_LENGTH], Float32Array.of(0, 1, 1, 0), [n, 1]);
  });

  test('tweets: Tokenizer, pad_sequences, Embedding → SpatialDropout1D → LSTM(dropout) → softmax', async () => {
    const texts = ['the movie was great fun', 'awful plot and worse acting', 'i loved it', 'not good at all, really not good'];
    const { ids, shape } = tweetsToIds(texts);
    expect(shape).toEqual([4, 7]);
    expectKeras(tweetsModel(env.gpu, 28), 'tweets');
    const model = tweetsModel(env.gpu, shape[1]);
    await trains(model, ids, shape, toCategorical([1, 0, 1, 0], 2).data, [4, 2]);
  });

  test('SimpleRNN and TimeDistributed shapes: many-to-many, and RepeatVector between two SimpleRNNs', async () => {
    for (const [name, build] of [
      ['manyToMany', manyToMany],
      ['repeatVector', repeatVectorSeq2seq],
    ] as const) {
      const model = build(env.gpu);
      expectKeras(model, name);
      model.compile({ loss: 'mean_squared_error', optimizer: { name: 'adam', learningRate: 0.05 } });
      const x = random.uniformArray(6 * 3);
      await trains(
        model,
        x,
        [6, 3, 1],
        Float32Array.from(x, (v) => 0.5 * v),
        [6, 3, 1],
      );
    }
  });

  test('MNIST rows: LSTM(128) over 28 rows of 28 pixels → softmax', async () => {
    const model = mnistRowsModel(env.gpu);
    expectKeras(model, 'mnistRows');
    const n = 6;
    await trains(
      model,
      random.uniformArray(n * 28 * 28, 0, 1),
      [n, 28, 28],
      Float32Array.from({ length: n }, (_, i) => i % 10),
      [n],
    );
  });

  test('the sine forecaster (functional in Keras): LSTM(10) → Dense(1) on windows of 5', async () => {
    const model = sineModel(env.gpu);
    expectKeras(model, 'sine');
    const { x, y, xShape, yShape } = sineWindows(32);
    await trains(model, x, xShape, y, yShape);
  });

  test('stacked Bidirectional LSTMs → sigmoid', async () => {
    const model = stackedBidirectional(env.gpu, 20, 4);
    expectKeras(model, 'bidirectional');
    const n = 4;
    await trains(model, random.uniformArray(n * 20 * 4), [n, 20, 4], Float32Array.of(1, 0, 0, 1), [n, 1]);
  });
});
