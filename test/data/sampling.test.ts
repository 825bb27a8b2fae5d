import { describe, expect, it } from 'vitest';
import { argmax, sampleIndex } from '../../src/data/sampling.js';
import { Random } from '../../src/init/random.js';

describe('sampleIndex', () => {
  it('draws each index with its probability at temperature 1', () => {
    const p = [0.1, 0.6, 0.3];
    const random = new Random(7);
    const counts = [0, 0, 0];
    const n = 20000;
    for (let i = 0; i < n; i++) counts[sampleIndex(p, 1, random)]++;
    // Binomial standard deviation at n = 20000 is ≤ 0.0035: 5 of them.
    counts.forEach((c, i) => expect(Math.abs(c / n - p[i])).toBeLessThan(0.018));
  });

  it('sharpens at low temperature and flattens at high temperature', () => {
    const p = [0.2, 0.8];
    const share = (temperature: number) => {
      const random = new Random(3);
      let ones = 0;
      for (let i = 0; i < 10000; i++) ones += sampleIndex(p, temperature, random);
      return ones / 10000;
    };
    // p^(1/T) renormalized: T = 0.5 → 16/17 ≈ 0.941; T = 100 → ≈ 0.503.
    expect(share(0.5)).toBeCloseTo(16 / 17, 1);
    expect(Math.abs(share(100) - 0.5035)).toBeLessThan(0.02);
  });

  it('takes the argmax at temperature 0 and never draws a zero-probability index', () => {
    expect(sampleIndex([0.1, 0.2, 0.7, 0], 0)).toBe(2);
    const random = new Random(1);
    for (let i = 0; i < 1000; i++) expect(sampleIndex([0, 1e-30, 0], 0.05, random)).toBe(1);
  });

  it('rejects bad probabilities and temperatures', () => {
    expect(() => sampleIndex([], 1)).toThrow(/no probabilities/);
    expect(() => sampleIndex([0.5, Number.NaN], 1)).toThrow(/probability 1/);
    expect(() => sampleIndex([0.5, 0.5], -1)).toThrow(/temperature/);
    expect(() => sampleIndex([0, 0], 1)).toThrow(/every probability is 0/);
  });

  it('argmax takes the first of equal values', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
  });
});
