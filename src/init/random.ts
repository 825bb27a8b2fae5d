// Seeded pseudo-random numbers (SplitMix32), shared by initializers, tests and examples.
import { drawSeed, splitMix32 } from '../spec/seed.js';

export class Random {
  private state: number;

  /** Without a seed, one from setSeed's stream (or Math.random without setSeed). */
  constructor(seed: number = drawSeed()) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    const { state, value } = splitMix32(this.state);
    this.state = state;
    return value / 2 ** 32;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A Float32Array of `n` values uniform in [low, high). */
  uniformArray(n: number, low = -1, high = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(low, high);
    return out;
  }

  /** A whole number in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fisher–Yates shuffle in place (the order fit() uses for an epoch). */
  shuffle<T extends { length: number; [i: number]: number }>(values: T): T {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const keep = values[i];
      values[i] = values[j];
      values[j] = keep;
    }
    return values;
  }
}
