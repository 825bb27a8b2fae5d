// Test helpers: one device per test file, and the llm.c-style closeness check.
import { afterAll, beforeAll } from 'vitest';
import { createDevice, type Gpu } from '../../src/index.js';

/** A device created before the file's tests and destroyed after them. */
export function useGpu(): { readonly gpu: Gpu } {
  const holder = {} as { gpu: Gpu };
  beforeAll(async () => {
    holder.gpu = await createDevice({ quiet: true });
  });
  afterAll(() => holder.gpu?.destroy());
  return holder;
}

/**
 * Throws unless |actual − expected| ≤ atol + |expected|·rtol everywhere, listing the first
 * mismatches with their flat index.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number, what = 'values'): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} ≠ expected ${expected.length}`);
  const bad: string[] = [];
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    worst = Math.max(worst, err);
    if (!(err <= atol + Math.abs(expected[i]) * rtol)) {
      if (bad.length < 5) bad.push(`[${i}] got ${actual[i]}, expected ${expected[i]} (|err| ${err.toExponential(2)})`);
      else if (bad.length === 5) bad.push('…');
    }
  }
  if (bad.length) throw new Error(`${what}: mismatches (atol ${atol}, rtol ${rtol}, max |err| ${worst.toExponential(2)}):\n  ${bad.join('\n  ')}`);
}

export function maxAbsError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
