// The dropout masks, shared by the GPU (shaders/dropout.wgsl hashes the same way) and the CPU
// reference: a counter-based hash of (seed, step, element index) in u32 arithmetic (Math.imul,
// >>> 0), so both sides draw the same mask bit for bit, and a recurrent layer's mask stream.

/** The PCG hash (Jarzynski & Olano 2020, "Hash Functions for GPU Rendering"): a u32 → u32 bijection. */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** The u32 drawn for element `index` of training step `step`: pcg(pcg(index) ^ pcg(pcg(seed) ^ step)). */
export function dropoutHash(seed: number, step: number, index: number): number {
  const key = pcgHash((pcgHash(seed >>> 0) ^ (step >>> 0)) >>> 0);
  return pcgHash((pcgHash(index >>> 0) ^ key) >>> 0);
}

/** A value is dropped when its hash is below this: floor(rate·2³²), so P(drop) = rate to 2⁻³². */
export function dropoutThreshold(rate: number): number {
  return Math.min(Math.floor(rate * 2 ** 32), 2 ** 32 - 1);
}

/**
 * The mask of one step over `count` values indexed in batch-major order ([B, T, F] or
 * [B, F], whatever the GPU's layout): 1 kept, 0 dropped.
 */
export function dropoutMask(seed: number, step: number, count: number, rate: number): Uint8Array {
  const threshold = dropoutThreshold(rate);
  const mask = new Uint8Array(count);
  for (let i = 0; i < count; i++) mask[i] = dropoutHash(seed, step, i) >= threshold ? 1 : 0;
  return mask;
}

/**
 * The hash seeds of a recurrent layer's two masks (Keras `dropout` on the input and
 * `recurrentDropout` on the previous state), from the layer's seed: distinct streams.
 */
export function recurrentDropoutSeeds(seed: number): { input: number; recurrent: number } {
  return { input: seed >>> 0, recurrent: (seed ^ 0x85ebca6b) >>> 0 };
}

/**
 * The mask stream of a recurrent layer's dropout / recurrentDropout, shared by the GPU layer
 * (lstm/recurrentDropout) and its CPU twin: the seeds and the step counter.
 */
export class RecurrentDropoutStream {
  /** The next training step; each training forward draws the masks of this step and advances it. */
  step = 0;
  protected readonly seeds: { input: number; recurrent: number };

  constructor(
    readonly rate: number,
    readonly recurrentRate: number,
    seed: number,
  ) {
    this.seeds = recurrentDropoutSeeds(seed);
  }

  get active(): boolean {
    return this.rate > 0 || this.recurrentRate > 0;
  }

  /** The step of the next training forward's masks, advancing the counter; undefined when both rates are 0. */
  protected advance(): number | undefined {
    if (!this.active) return undefined;
    const step = this.step;
    this.step = (this.step + 1) % 2 ** 32;
    return step;
  }
}
