// learningRateScheduler, reduceLROnPlateau and modelCheckpoint (Keras semantics), driven by
// scripted epoch logs through a callback ahead of them in the list; model.learningRate and
// onBatchBegin. The learning rate a step used is read off the update: plain SGD moves a weight
// by lr · gradient.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { layers, learningRateScheduler, loadModel, modelCheckpoint, reduceLROnPlateau, RnnError, sequential, type Sequential } from '../../src/index.js';
import { formatPath } from '../../src/model/scheduleCallbacks.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();

function model(learningRate = 0.1): Sequential {
  const m = sequential(env.gpu, [layers.dense({ units: 1, inputShape: [2], seed: 1 })]);
  m.compile({ optimizer: { name: 'sgd', learningRate }, loss: 'meanSquaredError' });
  return m;
}
const x = Float32Array.from([1, 2, -1, 0.5]);
const y = Float32Array.from([0.3, -0.2]);

/** A callback writing scripted[epoch] into logs.scripted, and recording the rate of each epoch. */
function script(m: Sequential, scripted: number[]) {
  const rates: number[] = [];
  return {
    rates,
    callback: {
      onEpochBegin: () => void rates.push(m.learningRate),
      onEpochEnd: (epoch: number, logs: Record<string, number>) => void (logs.scripted = scripted[epoch]),
    },
  };
}

describe('model.learningRate', () => {
  test('reads the compiled rate, and a set rate is the one the next update uses', async () => {
    const m = model(0.1);
    expect(m.learningRate).toBeCloseTo(0.1, 7);
    const step = async () => {
      const before = (await m.getWeightData())[1][0];
      const { grads } = await m.gradients(x, y);
      await m.trainOnBatch(x, y);
      return (before - (await m.getWeightData())[1][0]) / grads[1][0];
    };
    expect(await step()).toBeCloseTo(0.1, 5);
    m.learningRate = 0.025;
    expect(await step()).toBeCloseTo(0.025, 5);
    expect(() => {
      m.learningRate = -1;
    }).toThrow(/learningRate must be a finite number > 0, got -1/);
    expect(() => {
      m.learningRate = Number.NaN;
    }).toThrow(RnnError);
    expect(m.learningRate).toBeCloseTo(0.025, 7);
    const uncompiled = sequential(env.gpu, [layers.dense({ units: 1, inputShape: [2] })]);
    expect(() => uncompiled.learningRate).toThrow(/compile/);
    for (const s of [m, uncompiled]) s.dispose();
  });
});

describe('learningRateScheduler', () => {
  test('sets the rate before each epoch from (epoch, rate)', async () => {
    const m = model(0.1);
    const { rates, callback } = script(m, []);
    await m.fit(x, y, { epochs: 4, batchSize: 2, callbacks: [learningRateScheduler((epoch, lr) => (epoch < 2 ? lr : lr / 2)), callback] });
    expect(rates.map((r) => Number(r.toFixed(6)))).toEqual([0.1, 0.1, 0.05, 0.025]);
    await expect(m.fit(x, y, { epochs: 1, callbacks: [learningRateScheduler(() => 0)] })).rejects.toThrow(/the schedule returned 0/);
    expect(() => learningRateScheduler('fast' as never)).toThrow(RnnError);
    m.dispose();
  });
});

describe('reduceLROnPlateau', () => {
  test('cuts by factor after patience epochs without improvement, rests cooldown epochs, stops at minLr', async () => {
    const m = model(0.1);
    // Best 1.0 at epoch 0, no improvement after: the wait reaches patience 2 at epoch 2 (cut to
    // 0.05); epoch 3 ends the cooldown of 1 and counts as the first epoch of the next wait
    // (Keras), so epoch 4 cuts again (0.025), epoch 6 to minLr 0.02, and there it stays.
    const scripted = [1, 1.2, 1.1, 1.3, 1.2, 1.5, 1.4, 1.6, 1.7, 1.8];
    const { rates, callback } = script(m, scripted);
    const plateau = reduceLROnPlateau({ monitor: 'scripted', factor: 0.5, patience: 2, cooldown: 1, minLr: 0.02 });
    await m.fit(x, y, { epochs: 10, batchSize: 2, callbacks: [callback, plateau] });
    expect(rates.map((r) => Number(r.toFixed(6)))).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02]);
    m.dispose();
  });

  test('an improvement by more than minDelta resets the wait; bad options are refused', async () => {
    const m = model(0.1);
    const scripted = [1, 0.9, 0.8, 0.79995, 0.79991];
    const { rates, callback } = script(m, scripted);
    await m.fit(x, y, { epochs: 5, batchSize: 2, callbacks: [callback, reduceLROnPlateau({ monitor: 'scripted', patience: 2 })] });
    // Improvements of 1e-1 reset the wait; 5e-5 and 9e-5 are below minDelta 1e-4: the cut comes after epoch 4.
    expect(rates.map((r) => Number(r.toFixed(6)))).toEqual([0.1, 0.1, 0.1, 0.1, 0.1]);
    expect(m.learningRate).toBeCloseTo(0.01, 7);
    expect(() => reduceLROnPlateau({ factor: 1 })).toThrow(/factor is a number in \(0, 1\)/);
    expect(() => reduceLROnPlateau({ cooldown: 0.5 })).toThrow(/cooldown is a whole number/);
    expect(() => reduceLROnPlateau({ patence: 1 } as never)).toThrow(/unknown option 'patence'/);
    await expect(m.fit(x, y, { epochs: 1, callbacks: [reduceLROnPlateau()] })).rejects.toThrow(/monitor 'val_loss' is not among the epoch's logs/);
    m.dispose();
  });
});

describe('modelCheckpoint', () => {
  test('saves every epoch under a formatted path, or only the improving ones; a saved model loads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webgpu-rnn-ckpt-'));
    const m = model(0.1);
    const { callback } = script(m, [0.5, 0.7, 0.4, 0.6]);
    const every = modelCheckpoint({ filepath: join(dir, 'all', 'e{epoch:02d}-{scripted:.2f}') });
    const best = modelCheckpoint({ filepath: join(dir, 'best', 'e{epoch}'), monitor: 'scripted', saveBestOnly: true });
    await m.fit(x, y, { epochs: 4, batchSize: 2, callbacks: [callback, every, best] });
    expect(readdirSync(join(dir, 'all')).sort()).toEqual(['e01-0.50', 'e02-0.70', 'e03-0.40', 'e04-0.60']);
    expect(best.saved).toEqual([join(dir, 'best', 'e1'), join(dir, 'best', 'e3')]);
    const loaded = await loadModel(env.gpu, join(dir, 'all', 'e04-0.60'));
    expect(await loaded.getWeightData()).toEqual(await m.getWeightData());
    expect(() => modelCheckpoint({} as never)).toThrow(/filepath is where to save/);
    await expect(m.fit(x, y, { epochs: 1, callbacks: [modelCheckpoint({ filepath: join(dir, '{nope}') })] })).rejects.toThrow(/filepath names \{nope\}/);
    for (const s of [m, loaded]) s.dispose();
  });

  test('formatPath: Python format fields', () => {
    expect(formatPath('m-{epoch:03d}-{loss:.4f}-{loss}', { epoch: 7, loss: 0.123456 })).toBe('m-007-0.1235-0.123456');
    expect(formatPath('plain', {})).toBe('plain');
    expect(formatPath('{epoch:03}-{x:06.2f}-{x:7.1f}', { epoch: 7, x: -0.5 })).toBe('007--00.50-   -0.5');
    expect(() => formatPath('{val_loss:.2e}', { val_loss: 1 })).toThrow(/field \{val_loss:.2e\} is not \{name\}/);
  });

  test('saveBestOnly without the monitored log skips the save with a warning; the best carries over to the next fit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webgpu-rnn-ckpt-'));
    const m = model(0.1);
    const best = modelCheckpoint({ filepath: join(dir, 'e{epoch}'), monitor: 'scripted', saveBestOnly: true });
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (line: string) => void warnings.push(line);
    try {
      await m.fit(x, y, { epochs: 1, callbacks: [best] });
    } finally {
      console.warn = warn;
    }
    expect(best.saved).toEqual([]);
    expect(warnings.join('\n')).toMatch(/'scripted' is not among the epoch's logs/);
    await m.fit(x, y, { epochs: 2, batchSize: 2, callbacks: [script(m, [0.5, 0.7]).callback, best] });
    await m.fit(x, y, { epochs: 2, batchSize: 2, callbacks: [script(m, [0.6, 0.4]).callback, best] });
    // 0.5 (first fit), then 0.6 is no better across the fits, 0.4 is.
    expect(best.saved).toEqual([join(dir, 'e1'), join(dir, 'e2')]);
    expect(() => reduceLROnPlateau(null as never)).toThrow(/reduceLROnPlateau: options are an object/);
    m.dispose();
  });
});

describe('onBatchBegin', () => {
  test('runs before each batch with its index, in list order with the other hooks', async () => {
    const m = model(0.1);
    const calls: string[] = [];
    await m.fit(
      Float32Array.from({ length: 10 }, (_, i) => i / 10),
      Float32Array.from({ length: 5 }, (_, i) => i / 5),
      {
        epochs: 1,
        batchSize: 2,
        callbacks: [{ onBatchBegin: (b: number) => void calls.push(`begin ${b}`), onBatchEnd: (b: number) => void calls.push(`end ${b}`) }],
      },
    );
    expect(calls).toEqual(['begin 0', 'end 0', 'begin 1', 'end 1', 'begin 2', 'end 2']);
    m.dispose();
  });
});
