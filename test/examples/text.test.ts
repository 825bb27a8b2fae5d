// The text example end to end at a tiny size (it trains, prints held-out bits per character
// against the n-gram baselines and a sampled passage, and saves a model that loadModel reads
// back), and the baselines' bits per character against hand-computed values.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadModel, Tokenizer } from '../../src/index.js';
import { main } from '../../examples/text.js';
import { bigramBits, unigramBits } from '../../examples/lib/metrics.js';
import { useGpu } from '../helpers/gpu.js';

const ctx = useGpu();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

describe('examples/text', () => {
  it('trains, prints held-out bits per character against the baselines and a passage, and saves a loadable model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'text-example-'));
    dirs.push(dir);
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    await main([
      '--chars',
      '3000',
      '--heldout',
      '400',
      '--epochs',
      '1',
      '--units',
      '8',
      '--embedding',
      '4',
      '--steps',
      '16',
      '--batch-size',
      '32',
      '--length',
      '30',
      '--temperature',
      '0.8',
      '--save',
      dir,
    ]);
    vi.restoreAllMocks();

    expect(lines.some((l) => l.startsWith('Adapter: '))).toBe(true);
    const match = lines
      .map((l) => /Held-out bits per character: LSTM ([\d.]+), unigram \(add-1\) ([\d.]+), bigram \(add-0.1\) ([\d.]+)/.exec(l))
      .find((m) => m !== null);
    expect(match, lines.join('\n')).toBeTruthy();
    const [lstm, unigram, bigram] = match!.slice(1).map(Number);
    const tokenizer = Tokenizer.fromJSON(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
    const classes = tokenizer.wordIndex.size + 1;
    // Uniform over the classes − 1 symbols costs log2(classes − 1) bits: counting does better.
    expect(unigram).toBeLessThan(Math.log2(classes - 1));
    expect(bigram).toBeGreaterThan(0);
    expect(lstm).toBeGreaterThan(0);
    expect(Number.isFinite(lstm)).toBe(true);

    // The passage: --length characters between the two rules, all from the training alphabet.
    const passage = lines
      .find((l) => l.startsWith('Generated at temperature 0.8'))!
      .split('\n---\n')[1]
      .replace(/\n---$/, '');
    expect([...passage]).toHaveLength(30);
    for (const c of passage) expect(tokenizer.wordIndex.get(c) ?? 0).toBeGreaterThan(1);

    const model = await loadModel(ctx.gpu, dir);
    const ids = Float32Array.from({ length: 2 * 16 }, (_, i) => 2 + (i % (classes - 2)));
    const out = model.predict(ids, [2, 16]);
    expect(out.shape).toEqual([2, 16, classes]);
    const probabilities = await out.data();
    for (let r = 0; r < 2 * 16; r++) {
      const row = probabilities.subarray(r * classes, (r + 1) * classes);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    out.dispose();
    model.dispose();
  });
});

describe('n-gram baselines', () => {
  // Symbols 1 … 3 (classes 4); train "1 1 2 3", test "1 2 2".
  const train = [1, 1, 2, 3];
  const test = [1, 2, 2];

  it('unigram add-k: (count + k) / (total + k·symbols) over test[1..]', () => {
    // p(2) = (1 + 1) / (4 + 3) for both targets.
    expect(unigramBits(train, test, 4, 1)).toBeCloseTo(-Math.log2(2 / 7), 12);
  });

  it('bigram add-k: (count(a b) + k) / (count(a ·) + k·symbols), never 0', () => {
    // Pairs of train: 1→1, 1→2, 2→3. p(2 | 1) = (1 + 0.5) / (2 + 1.5); p(2 | 2) = (0 + 0.5) / (1 + 1.5).
    const expected = -(Math.log2(1.5 / 3.5) + Math.log2(0.5 / 2.5)) / 2;
    expect(bigramBits(train, test, 4, 0.5)).toBeCloseTo(expected, 12);
  });
});
