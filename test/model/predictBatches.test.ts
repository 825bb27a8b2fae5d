// predict(x, { batchSize }): one submit a batch of samples, into one output; the same values as
// all at once (each output row depends only on its own input row, computed by the same kernels
// in the same order), for last-step and sequence outputs, token ids, and a remainder batch.
import { describe, expect, test, vi } from 'vitest';
import { layers, OptionError, reference, RnnError, sequential, tensor } from '../../src/index.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();

describe('predict with batchSize', () => {
  test('equals predict at once: GRU → Dense, LSTM sequences, Embedding ids, batches of 1, 3 and more than B', async () => {
    const x = new reference.Random(5).uniformArray(7 * 4 * 3);
    const gru = sequential(env.gpu, [layers.gru({ units: 9, inputShape: [4, 3], seed: 1 }), layers.dense({ units: 2, seed: 2 })]);
    const lstm = sequential(env.gpu, [layers.lstm({ units: 5, inputShape: [4, 3], returnSequences: true, seed: 3 })]);
    for (const [name, model] of [
      ['gru', gru],
      ['lstm sequences', lstm],
    ] as const) {
      const all = await model.predict(x, [7, 4, 3]).data();
      for (const batchSize of [1, 3, 7, 50]) {
        const batched = model.predict(tensor(env.gpu, x, [7, 4, 3]), { batchSize });
        expect(batched.shape, name).toEqual(model.predict(x, [7, 4, 3]).shape);
        expect(Array.from(await batched.data()), `${name} batchSize ${batchSize}`).toEqual(Array.from(all));
      }
    }
    const ids = Float32Array.from({ length: 5 * 6 }, (_, i) => (i * 7) % 11);
    const embedding = sequential(env.gpu, [layers.embedding({ inputDim: 11, outputDim: 4, inputShape: [6] }), layers.simpleRNN({ units: 3, seed: 4 })]);
    expect(Array.from(await embedding.predict(ids, [5, 6], { batchSize: 2 }).data())).toEqual(Array.from(await embedding.predict(ids, [5, 6]).data()));
    for (const m of [gru, lstm, embedding]) m.dispose();
  });

  test('data (not a Tensor) with a batchSize stays on the CPU: no GPU buffer holds the whole input', async () => {
    const [N, T, D] = [64, 10, 8];
    const x = new reference.Random(9).uniformArray(N * T * D);
    const model = sequential(env.gpu, [layers.lstm({ units: 4, inputShape: [T, D], seed: 1 })]);
    const expected = await model.predict(x, [N, T, D]).data();
    const acquire = vi.spyOn(env.gpu.pool, 'acquire');
    const streamed = await model.predict(x, [N, T, D], { batchSize: 8 }).data();
    const largest = Math.max(...acquire.mock.calls.map(([bytes]) => bytes as number));
    acquire.mockRestore();
    expect(streamed).toEqual(expected);
    // The biggest buffer of the run: the output, or one batch's input [8, T, D], not x's N·T·D floats.
    expect(largest).toBeLessThan(N * T * D * 4);
    expect(largest).toBeGreaterThanOrEqual(8 * T * D * 4);
    model.dispose();
  });

  test('refuses a batchSize that is not a whole number ≥ 1, a misspelt option, and batches of a stateful model', () => {
    const model = sequential(env.gpu, [layers.lstm({ units: 2, inputShape: [3, 1], seed: 1 })]);
    const x = new Float32Array(4 * 3);
    expect(() => model.predict(x, [4, 3, 1], { batchSize: 0 })).toThrow(OptionError);
    expect(() => model.predict(x, [4, 3, 1], { batchSize: 1.5 })).toThrow(OptionError);
    expect(() => model.predict(x, [4, 3, 1], { batchsize: 2 } as never)).toThrow(/batchSize/);
    const stateful = sequential(env.gpu, [layers.lstm({ units: 2, inputShape: [3, 1], stateful: true, seed: 1 })]);
    expect(() => stateful.predict(x, [4, 3, 1], { batchSize: 2 })).toThrow(RnnError);
    expect(() => stateful.predict(x, [4, 3, 1], { batchSize: 2 })).toThrow(/stateful model keeps one state a batch row/);
    model.dispose();
    stateful.dispose();
  });
});
