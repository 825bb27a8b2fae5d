// The spam example end to end at a tiny size: it trains, prints its held-out figures against
// the baseline, and saves a model that loadModel reads back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Bidirectional, loadModel, Lstm } from '../../src/index.js';
import { main } from '../../examples/spam.js';
import { useGpu } from '../helpers/gpu.js';

const ctx = useGpu();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

const figures =
  /Held-out \((\d+) messages, spam positive\): (?:Bidirectional )?LSTM accuracy ([\d.]+) %, F1 ([\d.]+) .*; baseline accuracy ([\d.]+) %, F1 ([\d.]+)/;

async function run(extra: string[]): Promise<{ lines: string[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'spam-example-'));
  dirs.push(dir);
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  await main([
    '--per-class',
    '40',
    '--test-fraction',
    '0.25',
    '--num-words',
    '300',
    '--maxlen',
    '12',
    '--embedding',
    '4',
    '--units',
    '4',
    '--epochs',
    '1',
    '--batch-size',
    '16',
    '--save',
    dir,
    ...extra,
  ]);
  return { lines, dir };
}

describe('examples/spam', () => {
  it('trains, prints held-out accuracy and F1 against the baseline, and saves a loadable model', async () => {
    const { lines, dir } = await run([]);
    expect(lines.some((l) => l.startsWith('Adapter: '))).toBe(true);
    expect(lines.some((l) => l.startsWith('SpamAssassin: 80 messages (50.0 % spam), 60 to train, 20 held out'))).toBe(true);
    const match = lines.map((l) => figures.exec(l)).find((m) => m !== null);
    expect(match, lines.join('\n')).toBeTruthy();
    const [, count, accuracy, f1, baseAccuracy, baseF1] = match!.map(Number);
    expect(count).toBe(20);
    for (const a of [accuracy, baseAccuracy]) {
      expect(a).toBeGreaterThanOrEqual(0);
      expect(a).toBeLessThanOrEqual(100);
    }
    for (const f of [f1, baseF1]) {
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThanOrEqual(1);
    }

    const model = await loadModel(ctx.gpu, dir);
    expect(model.layers[1]).toBeInstanceOf(Lstm);
    const ids = Float32Array.from({ length: 3 * 12 }, (_, i) => i % 300);
    const out = model.predict(ids, [3, 12]);
    expect(out.shape).toEqual([3, 1]);
    for (const p of await out.data()) expect(p > 0 && p < 1).toBe(true);
    out.dispose();
    model.dispose();
  });

  it('--bidirectional trains and saves a Bidirectional LSTM', async () => {
    const { lines, dir } = await run(['--bidirectional']);
    expect(lines.some((l) => figures.test(l) && l.includes('Bidirectional LSTM accuracy'))).toBe(true);
    const model = await loadModel(ctx.gpu, dir);
    expect(model.layers[1]).toBeInstanceOf(Bidirectional);
    expect(model.outputShape()).toEqual([1]);
    model.dispose();
  });
});
