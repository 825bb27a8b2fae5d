// The births example end to end at a tiny size: with and without --grid it trains, prints the
// held-out MAE against the seasonal-naive baseline (and the grid table), and saves a model
// that loadModel reads back.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadModel, Lstm } from '../../src/index.js';
import { main } from '../../examples/births.js';
import { FEATURES, loadBirths } from '../../examples/lib/births.js';
import { useGpu } from '../helpers/gpu.js';

const ctx = useGpu();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

const maeLine = /^Held-out 1988-12-22 … 1988-12-31 \(10 days\), MAE in births a day: LSTM ([\d.]+); seasonal naive \(same weekday last week\) ([\d.]+); /;

async function run(extra: string[]): Promise<{ lines: string[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'births-example-'));
  dirs.push(dir);
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  await main(['--train-days', '60', '--test-days', '10', '--epochs', '1', '--units', '3', '--batch-size', '8', '--save', dir, ...extra]);
  return { lines, dir };
}

describe('examples/births', () => {
  it('loads 7305 consecutive days, Monday = 0', () => {
    const days = loadBirths();
    expect(days.births).toHaveLength(7305);
    // 1969-01-01 was a Wednesday.
    expect([days.year[0], days.month[0], days.date[0], days.weekday[0], days.births[0]]).toEqual([1969, 1, 1, 2, 8486]);
  });

  it('trains one model, prints the held-out MAE against seasonal naive, and saves a loadable model', async () => {
    const { lines, dir } = await run([]);
    expect(lines.some((l) => l.startsWith('Adapter: '))).toBe(true);
    expect(lines.some((l) => l.includes('(11 windows of 49 days × 10 features)'))).toBe(true);
    expect(lines.some((l) => l.startsWith('Grid search'))).toBe(false);
    const match = lines.map((l) => maeLine.exec(l)).find((m) => m !== null);
    expect(match, lines.join('\n')).toBeTruthy();
    const [lstm, naive] = [Number(match![1]), Number(match![2])];
    expect(lstm).toBeGreaterThan(0);
    expect(naive).toBeGreaterThan(0);

    const model = await loadModel(ctx.gpu, dir);
    expect(model.layers[0]).toBeInstanceOf(Lstm);
    expect(model.outputShape()).toEqual([1]);
    const out = model.predict(new Float32Array(2 * 49 * FEATURES), [2, 49, FEATURES]);
    expect(out.shape).toEqual([2, 1]);
    out.dispose();
    model.dispose();
    expect(JSON.parse(readFileSync(join(dir, 'births.json'), 'utf8'))).toMatchObject({ window: 49 });
  });

  it('--grid searches every setting, prints the table and the best, then trains and saves the best', async () => {
    const { lines, dir } = await run(['--grid', '--grid-epochs', '1', '--grid-units', '2,3', '--grid-learning-rates', '0.01', '--grid-batch-sizes', '4,8']);
    const done = lines.findIndex((l) => l.startsWith('Grid search done'));
    expect(done, lines.join('\n')).toBeGreaterThan(0);
    // The table is one log: header, rule, then one row a setting, best first.
    const table = lines[done + 1].split('\n');
    expect(table[0].split(/\s+/)).toEqual(['#', 'units', 'learningRate', 'batchSize', 'val_mae', 'seconds']);
    const body = table.slice(2);
    expect(body).toHaveLength(4);
    const settings = body.map((r) => r.trim().split(/\s+/).slice(1, 4).join(' ')).sort();
    expect(settings).toEqual(['2 0.01 4', '2 0.01 8', '3 0.01 4', '3 0.01 8']);
    const best = lines.find((l) => l.startsWith('Best setting: '));
    const [, units, , batchSize] = body[0].trim().split(/\s+/);
    expect(best).toContain(`units ${units}, learning rate 0.01, batch size ${batchSize}`);
    expect(lines.some((l) => maeLine.test(l))).toBe(true);
    expect(existsSync(join(dir, 'births.json'))).toBe(true);
    const model = await loadModel(ctx.gpu, dir);
    expect((model.layers[0] as Lstm).config.units).toBe(Number(units));
    model.dispose();
  });
});
