// Dropout on the CPU, the twin of lstm/dropout. The mask is the GPU's, bit for bit: the same
// counter-based hash of (seed, step, element index) in u32 arithmetic (Math.imul, >>> 0).
import { resolveDropoutConfig, type DropoutConfig, type ResolvedDropoutConfig } from '../spec/embeddingConfig.js';
import { dropoutMask, RecurrentDropoutStream } from '../init/dropoutMask.js';
import { cpuTensor, type CpuTensor } from './tensor.js';

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
    const { rate } = this.config;
    if (rate === 0) return { y: x, saved: { mask: undefined, scale: 1 } };
    const mask = this.drawMask(x, step);
    const scale = 1 / (1 - rate);
    const y = new Float64Array(x.data.length);
    for (let i = 0; i < y.length; i++) y[i] = mask[i] ? x.data[i] * scale : 0;
    return { y: cpuTensor(y, x.shape), saved: { mask, scale } };
  }

  /** The keep (1) / drop (0) flag of every value of x at training step `step`. */
  protected drawMask(x: CpuTensor, step: number): Uint8Array {
    return dropoutMask(this.config.seed, step, x.data.length, this.config.rate);
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

/** SpatialDropout1D: one mask [B, F] (the hash of b·F + f) for every step of x [B, T, F]. */
export class ReferenceSpatialDropout1d extends ReferenceDropout {
  protected override drawMask(x: CpuTensor, step: number): Uint8Array {
    const [B, T, F] = x.shape;
    const channels = dropoutMask(this.config.seed, step, B * F, this.config.rate);
    return Uint8Array.from({ length: B * T * F }, (_, i) => channels[Math.floor(i / (T * F)) * F + (i % F)]);
  }
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
