// fit's callbacks as a Keras list and earlyStopping: it stops once the monitored log stops
// improving for `patience` epochs (driven here by a scripted loss through a wrapping callback
// order), restores the best epoch's weights when asked, and refuses a log that is not there.
import { describe, expect, test } from 'vitest';
import { earlyStopping, EarlyStopping, layers, RnnError, sequential, type Sequential } from '../../src/index.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();

function model(): Sequential {
  const m = sequential(env.gpu, [layers.lstm({ units: 4, inputShape: [3, 2], seed: 1 }), layers.dense({ units: 1, seed: 2 })]);
  m.compile({ optimizer: { name: 'sgd', learningRate: 0.05 }, loss: 'meanSquaredError' });
  return m;
}
const x = Float32Array.from({ length: 8 * 3 * 2 }, (_, i) => Math.sin(i));
const y = Float32Array.from({ length: 8 }, (_, i) => Math.cos(i));

describe('earlyStopping', () => {
  test('stops after patience epochs without improvement of the monitored log, on a scripted series', async () => {
    // Epoch logs: 1, 0.5, 0.6, 0.55, 0.7, … — the best is epoch 1; patience 2 stops at epoch 3.
    const scripted = [1, 0.5, 0.6, 0.55, 0.7, 0.8];
    const stop = earlyStopping({ monitor: 'scripted', patience: 2 });
    const m = model();
    const script = { onEpochEnd: (epoch: number, logs: Record<string, number>) => void (logs.scripted = scripted[epoch]) };
    const history = await m.fit(x, y, { epochs: 6, batchSize: 4, callbacks: [script, stop] });
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(stop.stoppedEpoch).toBe(3);
    expect(stop.best).toBe(0.5);
    expect(stop.bestEpoch).toBe(1);
    expect(m.stopTraining).toBe(true);
    // minDelta: 0.5 → 0.45 is no improvement by more than 0.1; mode max for an accuracy.
    const strict = earlyStopping({ monitor: 'scripted', minDelta: 0.1, patience: 0 });
    const series = [1, 0.95, 0.5];
    await m.fit(x, y, {
      epochs: 3,
      batchSize: 4,
      callbacks: [{ onEpochEnd: (e: number, l: Record<string, number>) => void (l.scripted = series[e]) }, strict],
    });
    expect(strict.stoppedEpoch).toBe(1);
    expect(earlyStopping({ monitor: 'val_accuracy' }).mode).toBe('max');
    // A later fit starts afresh (stopTraining is reset at train begin).
    const again = await m.fit(x, y, { epochs: 2, batchSize: 4 });
    expect(again.epoch).toEqual([0, 1]);
    m.dispose();
  });

  test('restoreBestWeights puts back the weights of the best epoch on stopping', async () => {
    const m = model();
    const snapshots: Float32Array[][] = [];
    const scripted = [0.9, 0.3, 0.8, 0.7];
    const record = {
      onEpochEnd: async (epoch: number, logs: Record<string, number>) => {
        logs.scripted = scripted[epoch];
        snapshots.push(await m.getWeightData());
      },
    };
    const stop = earlyStopping({ monitor: 'scripted', patience: 2, restoreBestWeights: true });
    await m.fit(x, y, { epochs: 4, batchSize: 4, callbacks: [record, stop] });
    expect(stop.stoppedEpoch).toBe(3);
    const restored = await m.getWeightData();
    expect(restored).toEqual(snapshots[1]);
    expect(restored).not.toEqual(snapshots[3]);
    m.dispose();
  });

  test('with validationSplit it watches val_loss; a log that is not there and bad options are refused', async () => {
    const m = model();
    const stop = new EarlyStopping({ patience: 50 });
    const history = await m.fit(x, y, { epochs: 2, batchSize: 4, validationSplit: 0.25, callbacks: [stop] });
    expect(history.history.val_loss).toHaveLength(2);
    expect(stop.best).toBe(Math.min(...history.history.val_loss));
    await expect(m.fit(x, y, { epochs: 1, callbacks: [earlyStopping()] })).rejects.toThrow(/monitor 'val_loss' is not among the epoch's logs \(loss\)/);
    expect(() => earlyStopping({ patience: -1 })).toThrow(RnnError);
    expect(() => earlyStopping({ patiense: 2 } as never)).toThrow(/unknown option 'patiense'/);
    await expect(m.fit(x, y, { epochs: 1, callbacks: [{ onEpochEnded: () => {} }] as never })).rejects.toThrow(
      /unknown callback 'onEpochEnded' in callbacks\[0\]/,
    );
    m.dispose();
  });
});
