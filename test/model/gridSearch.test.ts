// gridSearch on a tiny LSTM: every setting of the grid runs once with its params reaching build
// and fit, the results come back best first, bad grids and bad builds fail clearly, and the
// table lists every setting.
import { describe, expect, it, vi } from 'vitest';
import {
  formatGridTable,
  gridSearch,
  layers,
  parameterGrid,
  RnnError,
  sequential,
  tensor,
  TrainingError,
  type FitArgs,
  type GridResult,
  type Sequential,
  type Tensor,
} from '../../src/index.js';
import { useGpu } from '../helpers/gpu.js';

const ctx = useGpu();

// 16 samples of x [3 steps, 1 feature] and y [1]: y is the sum of the steps.
const N = 16;
const xData = Float32Array.from({ length: N * 3 }, (_, i) => Math.sin(i * 0.7));
const yData = Float32Array.from({ length: N }, (_, s) => xData[3 * s] + xData[3 * s + 1] + xData[3 * s + 2]);

interface FitCall {
  params: Record<string, unknown>;
  x: Tensor;
  y: Tensor;
  args: FitArgs;
}

/** A build that makes LSTM(units) → Dense(1) and records every fit call it sees. */
function recordingBuild(calls: FitCall[], compile = true) {
  return (params: Record<string, unknown>): Sequential => {
    const model = sequential(ctx.gpu, [
      layers.lstm({ units: (params.units as number | undefined) ?? 2, inputShape: [3, 1], seed: 1 }),
      layers.dense({ units: 1, seed: 2 }),
    ]);
    if (compile)
      model.compile({
        optimizer: { name: (params.optimizer as 'adam' | 'sgd' | undefined) ?? 'adam', learningRate: (params.learningRate as number | undefined) ?? 0.01 },
        loss: 'meanSquaredError',
        metrics: 'mae',
      });
    const fit = model.fit.bind(model);
    vi.spyOn(model, 'fit').mockImplementation((x, y, args) => {
      calls.push({ params, x: x as Tensor, y: y as Tensor, args: args! });
      // biome-ignore lint/suspicious/noFocusedTests: `fit` is the spied model method, not a focused test.
      return fit(x, y, args);
    });
    return model;
  };
}

describe('parameterGrid', () => {
  it('is the cartesian product, the first parameter varying slowest', () => {
    expect(parameterGrid({ a: [1, 2], b: ['x', 'y', 'z'] })).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 1, b: 'z' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
      { a: 2, b: 'z' },
    ]);
    expect(parameterGrid({ units: [16] })).toEqual([{ units: 16 }]);
  });
});

describe('gridSearch', () => {
  it('runs every combination once, with epochs and batchSize from the grid reaching fit, and sorts the results best first', async () => {
    const calls: FitCall[] = [];
    const grid = { units: [2, 3], batchSize: [4, 8], epochs: [1, 2], optimizer: ['adam', 'sgd'] };
    const seen: number[] = [];
    const { results, best, metric, mode } = await gridSearch({
      build: recordingBuild(calls),
      grid,
      x: xData,
      y: yData,
      validationSplit: 0.25,
      fit: { shuffle: false, epochs: 9 },
      seed: 7,
      onResult: (r, i, total) => {
        expect(total).toBe(16);
        expect(r.params).toEqual(parameterGrid(grid)[i]);
        seen.push(i);
      },
    });
    expect(metric).toBe('val_loss');
    expect(mode).toBe('min');
    expect(seen).toEqual(Array.from({ length: 16 }, (_, i) => i));
    // Every setting exactly once, in grid order, with its own params.
    expect(calls.map((c) => c.params)).toEqual(parameterGrid(grid));
    for (const c of calls) {
      expect(c.args).toMatchObject({ epochs: c.params.epochs, batchSize: c.params.batchSize, seed: 7, shuffle: false, validationSplit: 0.25 });
      expect(c.args.validationData).toBeUndefined();
    }
    // x and y are uploaded once, shaped by the first layer's inputShape, and shared.
    expect(new Set(calls.map((c) => c.x)).size).toBe(1);
    expect(new Set(calls.map((c) => c.y)).size).toBe(1);
    expect(calls[0].x.shape).toEqual([N, 3, 1]);
    expect(calls[0].x.isDisposed).toBe(true);

    expect(results).toHaveLength(16);
    expect(best).toBe(results[0]);
    for (const r of results) {
      expect(r.history.history.val_loss).toHaveLength(r.params.epochs);
      expect(r.score).toBe(r.history.history.val_loss.at(-1));
      expect(r.seconds).toBeGreaterThan(0);
    }
    for (let i = 1; i < results.length; i++) expect(results[i].score).toBeGreaterThanOrEqual(results[i - 1].score);
    expect(new Set(results.map((r) => JSON.stringify(r.params))).size).toBe(16);
  });

  it('scores another val_ metric, with mode max reversing the order, and takes validationData as tensors', async () => {
    const calls: FitCall[] = [];
    const xv = tensor(ctx.gpu, xData.subarray(0, 12), [4, 3, 1]);
    const yv = tensor(ctx.gpu, yData.subarray(0, 4), [4, 1]);
    const { results, metric } = await gridSearch({
      build: recordingBuild(calls),
      grid: { units: [2, 3, 4] },
      x: xData,
      y: yData,
      validationData: [xv, yv],
      metric: 'mae',
      mode: 'max',
    });
    expect(metric).toBe('val_mae');
    for (const c of calls) expect(c.args.validationData).toEqual([xv, yv]);
    for (const r of results) expect(r.score).toBe(r.history.history.val_mae.at(-1));
    for (let i = 1; i < results.length; i++) expect(results[i].score).toBeLessThanOrEqual(results[i - 1].score);
    // Tensors the caller passed are not disposed.
    expect(xv.isDisposed).toBe(false);
    xv.dispose();
    yv.dispose();
  });

  it('records a setting whose training fails with a TrainingError and ranks it last', async () => {
    const build = recordingBuild([]);
    const { results, best } = await gridSearch({
      build: (params: { units: number }) => {
        const model = build(params);
        if (params.units === 2) vi.spyOn(model, 'fit').mockRejectedValue(new TrainingError('the loss became NaN'));
        return model;
      },
      grid: { units: [2, 3] },
      x: xData,
      y: yData,
      validationSplit: 0.25,
    });
    expect(best.params.units).toBe(3);
    expect(results[1].params.units).toBe(2);
    expect(results[1].score).toBeNaN();
    expect(results[1].error).toContain('NaN');
    expect(formatGridTable(results)).toMatch(/failed/);
  });

  it('rejects empty grids, empty value lists, bad builds and bad options with clear errors', async () => {
    const base = { build: recordingBuild([]), x: xData, y: yData, validationSplit: 0.25 };
    await expect(gridSearch({ ...base, grid: {} })).rejects.toThrow(/grid is empty/);
    await expect(gridSearch({ ...base, grid: { units: [] } })).rejects.toThrow(/grid\.units is an empty list/);
    await expect(gridSearch({ ...base, grid: { units: 4 } as never })).rejects.toThrow(/grid\.units must be an array/);
    await expect(gridSearch({ ...base, grid: { units: [2] }, build: () => ({}) as never })).rejects.toThrow(/must return a Sequential model/);
    await expect(gridSearch({ ...base, grid: { units: [2] }, build: recordingBuild([], false) })).rejects.toThrow(/not compiled: call model\.compile/);
    await expect(gridSearch({ ...base, grid: { units: [2] }, validationSplit: undefined })).rejects.toThrow(/give validationSplit/);
    await expect(gridSearch({ ...base, grid: { units: [2] }, validationSplit: 1.5 })).rejects.toThrow(/validationSplit must be in \(0, 1\)/);
    await expect(gridSearch({ ...base, grid: { units: [2] }, metric: 'val_accuracy' })).rejects.toThrow(
      /no 'val_accuracy' to score on; it has val_loss, val_mae/,
    );
    await expect(gridSearch({ ...base, grid: { units: [2] }, y: yData.subarray(0, 10) })).rejects.toThrow(RnnError);
  });

  it('formats a table with a row per setting: the params, the score and the seconds', () => {
    const results: GridResult[] = [
      { params: { units: 32, optimizer: 'adam' }, score: 0.012345678, history: { epoch: [0], history: {} }, seconds: 12.34 },
      { params: { units: 16, optimizer: 'rmsprop' }, score: 0.5, history: { epoch: [0], history: {} }, seconds: 3 },
    ];
    const table = formatGridTable(results, { metric: 'val_loss' });
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0].split(/\s+/)).toEqual(['#', 'units', 'optimizer', 'val_loss', 'seconds']);
    expect(lines[2].split(/\s+/).filter(Boolean)).toEqual(['1', '32', 'adam', '0.01235', '12.3']);
    expect(lines[3].split(/\s+/).filter(Boolean)).toEqual(['2', '16', 'rmsprop', '0.5', '3.0']);
  });
});
