// Dropout on the CPU, the twin of lstm/dropout. The mask is the GPU's, bit for bit: the same
// counter-based hash of (seed, step, element index) in u32 arithmetic (Math.imul, >>> 0).
import { resolveDropoutConfig, type DropoutConfig, type ResolvedDropoutConfig } from '../lstm/embeddingConfig.js';
import type { CpuTensor } from './tensor.js';
import { cpuTensor } from './tensor.js';

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

interface DropoutSaved {
  mask: Uint8Array | undefined;
  scale: number;
}

/** The Dropout layer on the CPU: identity in apply(), inverted dropout in forwardTrain(). */
export class ReferenceDropout {
  readonly config: ResolvedDropoutConfig;
  /** The next training step: each forwardTrain() draws the mask of this step and advances it, as the GPU layer. */
  step = 0;

  constructor(config: DropoutConfig) {
    this.config = resolveDropoutConfig(config);
  }

  build(_features?: number): void {}

  weightCount(): number {
    return 0;
  }

  getWeights(): Float64Array[] {
    return [];
  }

  setWeights(weights: readonly ArrayLike<number>[]): void {
    if (weights.length !== 0) throw new Error(`${this.config.name} has no weights, got ${weights.length}.`);
  }

  regularizers(): undefined[] {
    return [];
  }

  /** Inference: the identity. */
  apply(x: CpuTensor): CpuTensor {
    return x;
  }

  /** y = x ⊙ mask / (1 − rate), the mask of training step `this.step` (then advanced). */
  forwardTrain(x: CpuTensor): { y: CpuTensor; saved: DropoutSaved } {
    const step = this.step++;
    const { rate, seed } = this.config;
    if (rate === 0) return { y: x, saved: { mask: undefined, scale: 1 } };
    const mask = dropoutMask(seed, step, x.data.length, rate);
    const scale = 1 / (1 - rate);
    const y = new Float64Array(x.data.length);
    for (let i = 0; i < y.length; i++) y[i] = mask[i] ? x.data[i] * scale : 0;
    return { y: cpuTensor(y, x.shape), saved: { mask, scale } };
  }

  /** dX = dY ⊙ mask / (1 − rate); no weights. */
  backward(saved: DropoutSaved, dY: Float64Array): { grads: Float64Array[]; dX: Float64Array } {
    const { mask, scale } = saved;
    if (!mask) return { grads: [], dX: dY.slice() };
    const dX = new Float64Array(dY.length);
    for (let i = 0; i < dX.length; i++) dX[i] = mask[i] ? dY[i] * scale : 0;
    return { grads: [], dX };
  }
}

/**
 * The hash seeds of a recurrent layer's two masks (Keras `dropout` on the input and
 * `recurrentDropout` on the previous state), from the layer's seed: distinct streams.
 */
export function recurrentDropoutSeeds(seed: number): { input: number; recurrent: number } {
  return { input: seed >>> 0, recurrent: (seed ^ 0x85ebca6b) >>> 0 };
}

/**
 * A recurrent layer's mask of one training step as multipliers: [B, F] batch-major, 1/(1 − rate)
 * kept and 0 dropped, the same for every time step (Keras). It is dropoutMask over B·F values,
 * which is what the GPU's per-sequence hash computes.
 */
export function sequenceDropoutScales(seed: number, step: number, B: number, F: number, rate: number): Float64Array {
  const mask = dropoutMask(seed, step, B * F, rate);
  const scale = 1 / (1 - rate);
  return Float64Array.from(mask, (m) => m * scale);
}

/** The masks of one training forward of a recurrent layer: multipliers [B, D] of x and [B, H] of h[t-1]. */
export interface ReferenceDropoutDraw {
  input?: Float64Array;
  recurrent?: Float64Array;
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

/** Keras's dropout / recurrentDropout of a recurrent layer on the CPU: the masks of lstm/recurrentDropout. */
export class ReferenceRecurrentDropout extends RecurrentDropoutStream {
  /** The masks of the next step for a batch of B, D features and H units (undefined when both rates are 0). */
  draw(B: number, D: number, H: number): ReferenceDropoutDraw | undefined {
    const step = this.advance();
    if (step === undefined) return undefined;
    return {
      input: this.rate > 0 ? sequenceDropoutScales(this.seeds.input, step, B, D, this.rate) : undefined,
      recurrent: this.recurrentRate > 0 ? sequenceDropoutScales(this.seeds.recurrent, step, B, H, this.recurrentRate) : undefined,
    };
  }
}

/** x [B, T, F] batch-major times a per-sequence mask [B, F] (the same for every t). */
export function maskSequence(x: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number, F: number): Float64Array {
  const out = new Float64Array(B * T * F);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) out[(b * T + t) * F + f] = x[(b * T + t) * F + f] * mask[b * F + f];
  return out;
}

/** Rows of [B, H] values laid out time-major [R, B, H] (any R) times the mask [B, H]. */
export function maskStates(states: ArrayLike<number>, mask: ArrayLike<number>): Float64Array {
  const out = new Float64Array(states.length);
  for (let i = 0; i < out.length; i++) out[i] = states[i] * mask[i % mask.length];
  return out;
}
