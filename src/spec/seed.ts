// Where the seeds come from when none is given: the weights of an unseeded layer, its dropout
// masks, an unseeded Random. Without setSeed they are drawn from Math.random; after setSeed(n)
// from one SplitMix32 stream seeded with n, so that a program that builds the same layers in the
// same order gets the same weights and masks (Keras's keras.utils.set_random_seed).
import { RnnError } from './errors.js';

let stream: { state: number } | undefined;

/** One SplitMix32 step: the next state and a uniform 32-bit output. */
export function splitMix32(state: number): { state: number; value: number } {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = Math.imul(next ^ (next >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return { state: next, value: (z ^ (z >>> 16)) >>> 0 };
}

/**
 * Makes every seed drawn from now on (unseeded layers' weights and dropout masks, `new Random()`)
 * follow from `seed`, as Keras's `set_random_seed`. `setSeed(undefined)` goes back to
 * Math.random.
 */
export function setSeed(seed: number | undefined): void {
  if (seed === undefined) {
    stream = undefined;
    return;
  }
  if (!Number.isInteger(seed)) throw new RnnError(`setSeed: seed must be a whole number, got ${String(seed)}.`);
  stream = { state: seed >>> 0 };
}

/** A 32-bit seed: the next of setSeed's stream, or from Math.random without one. */
export function drawSeed(): number {
  if (!stream) return (Math.random() * 2 ** 32) >>> 0;
  const { state, value } = splitMix32(stream.state);
  stream.state = state;
  return value;
}
