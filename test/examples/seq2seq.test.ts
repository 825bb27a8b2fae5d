// The seq2seq example end to end with tiny options: it trains, decodes the held-out pairs,
// prints the exact-match line against its baseline, and saves a model that loads back.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test, vi } from 'vitest';
import { main } from '../../examples/seq2seq.js';
import { createDevice, loadEncoderDecoder } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'seq2seq-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('runs with tiny options, prints the held-out accuracy against the baseline, and saves the model', async () => {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  let result: Awaited<ReturnType<typeof main>>;
  try {
    result = await main([
      '--pairs',
      '96',
      '--heldout',
      '16',
      '--epochs',
      '1',
      '--units',
      '8',
      '--embedding',
      '4',
      '--batch-size',
      '48',
      '--examples',
      '2',
      '--beam-width',
      '3',
      '--save',
      dir,
    ]);
  } finally {
    log.mockRestore();
  }
  const text = lines.join('\n');
  expect(text).toMatch(/Adapter: /);
  expect(text).toMatch(/Beam search \(3 beams\) of 16 held-out sources/);
  expect(text).toMatch(/Held-out exact match: \d+\.\d % \(baseline, the per-position majority '[0-9-]{10}': \d+\.\d %\)/);
  expect(text.match(/ → /g)?.length).toBe(2);
  expect(result.accuracy).toBeGreaterThanOrEqual(0);
  expect(result.accuracy).toBeLessThanOrEqual(1);
  for (const file of ['model.json', 'weights.bin', 'vocabulary.json']) expect(existsSync(join(dir, file))).toBe(true);

  const gpu = await createDevice({ quiet: true });
  try {
    const model = await loadEncoderDecoder(gpu, dir);
    expect(model.outputShape()).toEqual([11, 12]);
    model.dispose();
  } finally {
    gpu.destroy();
  }
});
