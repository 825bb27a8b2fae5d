// Training rounds over the text's windows: the first 90 % of the windows train, in shuffled
// passes; a fixed set of windows spread over the last 10 % (the last chapters) measures the
// validation loss after each round. A round is a few dozen batches, so the validation loss
// shows long before a pass over the whole text is done.
import type { Random } from '../src/index.js';
import { TEXT, windows, type Windows } from './corpus.js';

/** Held out from the end of the text. */
export const VALIDATION_FRACTION = 0.1;
/** At most this many validation windows (evenly spaced), to keep each evaluation short. */
const MAX_VALIDATION = 256;

export interface Batchable {
  /** Ids [count, steps]. */
  x: Float32Array;
  /** Next-character ids [count, steps]. */
  y: Float32Array;
  count: number;
}

export class Dataset {
  readonly steps: number;
  readonly count: number;
  readonly trainCount: number;
  readonly validation: Batchable;
  private readonly all: Windows;
  private order: Uint32Array;
  private at = 0;
  /** Windows trained on, over all rounds (fractional passes = seen / trainCount). */
  seen = 0;

  constructor(
    steps: number,
    private readonly random: Random,
  ) {
    this.steps = steps;
    this.all = windows(TEXT, steps);
    this.count = this.all.count;
    this.trainCount = Math.floor(this.count * (1 - VALIDATION_FRACTION));
    const held = this.count - this.trainCount;
    const n = Math.min(held, MAX_VALIDATION);
    this.validation = this.gather(Uint32Array.from({ length: n }, (_, i) => this.trainCount + Math.floor((i * held) / n)));
    this.order = this.shuffled();
  }

  /** The next `size` training windows of the current shuffled pass (a new pass starts when one ends). */
  nextRound(size: number): Batchable {
    const picked = new Uint32Array(Math.min(size, this.trainCount));
    for (let i = 0; i < picked.length; i++) {
      if (this.at === this.order.length) {
        this.order = this.shuffled();
        this.at = 0;
      }
      picked[i] = this.order[this.at++];
    }
    return this.gather(picked);
  }

  private shuffled(): Uint32Array {
    return this.random.shuffle(Uint32Array.from({ length: this.trainCount }, (_, i) => i));
  }

  private gather(indices: Uint32Array): Batchable {
    const s = this.steps;
    const x = new Float32Array(indices.length * s);
    const y = new Float32Array(indices.length * s);
    indices.forEach((w, i) => {
      x.set(this.all.x.subarray(w * s, (w + 1) * s), i * s);
      y.set(this.all.y.subarray(w * s, (w + 1) * s), i * s);
    });
    return { x, y, count: indices.length };
  }
}
