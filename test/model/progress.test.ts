// fit({ verbose: 1 }): the epoch lines a progress logger writes, and the checks of the option.
import { describe, expect, test, vi } from 'vitest';
import { layers, sequential, tensor } from '../../src/index.js';
import { createProgressLogger, formatLogs } from '../../src/model/progress.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();

describe('progress', () => {
  test('formatLogs prints Keras-style pairs with four decimals or exponents', () => {
    expect(formatLogs({ loss: 0.123456, accuracy: 0.9, val_loss: 0.00001234 })).toBe('loss: 0.1235 - accuracy: 0.9000 - val_loss: 1.234e-5');
  });

  test('the logger writes one line an epoch with its time, speed and logs', async () => {
    const lines: string[] = [];
    const logger = await createProgressLogger(2, 3, (line) => lines.push(line));
    logger.epochBegin(0);
    for (let b = 0; b < 3; b++) logger.batchEnd(b, { loss: 1 / (b + 1) });
    logger.epochEnd(0, { loss: 0.5, val_loss: 0.25 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Epoch 1\/2 - \d+\.\ds - [\d.]+ steps\/s - loss: 0\.5000 - val_loss: 0\.2500$/);
    logger.stop();
  });

  test('fit with verbose: 1 prints every epoch and reads each batch (the callbacks still run)', async () => {
    const model = sequential(env.gpu, [layers.lstm({ units: 3, inputShape: [4, 2], seed: 1 }), layers.dense({ units: 1, seed: 2 })]);
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError', metrics: 'mae' });
    const x = tensor(
      env.gpu,
      Float32Array.from({ length: 10 * 4 * 2 }, (_, i) => Math.sin(i)),
      [10, 4, 2],
    );
    const y = Float32Array.from({ length: 10 }, (_, i) => Math.cos(i));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const batches: number[] = [];
    try {
      await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 1, callbacks: { onBatchEnd: (b) => void batches.push(b) } });
      const printed = log.mock.calls.map((c) => String(c[0]));
      expect(printed).toHaveLength(2);
      expect(printed[1]).toMatch(/^Epoch 2\/2 - .* steps\/s - loss: [\d.e-]+ - mae: [\d.e-]+$/);
      expect(batches).toEqual([0, 1, 2, 0, 1, 2]);
    } finally {
      log.mockRestore();
    }
    await expect(model.fit(x, y, { verbose: 3 as never })).rejects.toThrow(/verbose is 0 \(silent\), 1 \(a progress bar per epoch\) or 2/);
    x.dispose();
    model.dispose();
  });

  test('fit with verbose: 2 prints one line an epoch, as Keras; Keras spellings of the loss and metrics are taken', async () => {
    const model = sequential(env.gpu, [
      layers.gru({ units: 3, inputShape: [4, 2], seed: 1, kernelInitializer: 'glorot_uniform' as never }),
      layers.dense({ units: 1, activation: 'hard_sigmoid' as never, seed: 2 }),
    ]);
    model.compile({ optimizer: 'Adam' as never, loss: 'mean_squared_error' as never, metrics: ['mean_absolute_error' as never] });
    const x = Float32Array.from({ length: 6 * 4 * 2 }, (_, i) => Math.sin(i));
    const y = Float32Array.from({ length: 6 }, (_, i) => 0.5 + 0.4 * Math.cos(i));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const history = await model.fit(x, y, { epochs: 3, batchSize: 2, verbose: 2 });
      const printed = log.mock.calls.map((c) => String(c[0]));
      expect(printed).toHaveLength(3);
      expect(printed[2]).toMatch(/^Epoch 3\/3 - .* - loss: [\d.e-]+ - mae: [\d.e-]+$/);
      expect(Object.keys(history.history).sort()).toEqual(['loss', 'mae']);
    } finally {
      log.mockRestore();
    }
    model.compile({ optimizer: 'sgd', loss: 'mse' as never, metrics: ['acc' as never] });
    await expect(async () => model.compile({ optimizer: 'sgd', loss: 'mean_squaredd_error' as never })).rejects.toThrow(/Unknown loss 'mean_squaredd_error'/);
    expect((layers.lstm({ units: 2, kernelInitializer: 'glorot_normal' as never }).config as { kernelInitializer: string }).kernelInitializer).toBe(
      'glorotNormal',
    );
    expect(() => layers.lstm({ units: 2, kernelInitializer: 'variance_scaling' as never })).toThrow(
      /lstm: kernelInitializer 'variance_scaling' is not supported/,
    );
    expect((layers.lstm({ units: 2, recurrentActivation: 'hard_sigmoid' as never }).config as { recurrentActivation: string }).recurrentActivation).toBe(
      'hardSigmoid',
    );
    model.dispose();
  });
});
