// The CPU twin of kernels/optimizers (gradient control + the fused update), in Float64.
// Formulas as tf.keras ≥ 2.11 computes them (keras/optimizers/optimizer_experimental/*.py):
//
//   gradient control   clipnorm:        g_w ← g_w · c / max(‖g_w‖, c)        (tf.clip_by_norm)
//                      globalClipnorm:  g_w ← g_w · c / max(‖g‖_all, c)      (tf.clip_by_global_norm)
//                      clipvalue:       g ← clamp(g, −c, c)
//   regularizers       g ← g + l1·sign(w) + 2·l2·w       (added after clipping, see below)
//   sgd       m ← momentum·m − lr·g;  w ← w + m;  nesterov: w ← w + momentum·m − lr·g
//   rmsprop   v ← ρ·v + (1−ρ)·g²;  inc = lr·g/√(v + ε);  mom ← momentum·mom + inc;  w ← w − mom
//   adagrad   a ← a + g²;  w ← w − lr·g/√(a + ε)
//   adadelta  A ← ρ·A + (1−ρ)·g²;  d = −√(D + ε)·g/√(A + ε);  D ← ρ·D + (1−ρ)·d²;  w ← w + lr·d
//   adam      m ← m + (g − m)(1−β1);  v ← v + (g² − v)(1−β2);  w ← w − α_t·m/(√v + ε),
//             α_t = lr·√(1−β2^t)/(1−β1^t)      (ε is "epsilon hat", outside the bias correction)
//   adamax    m as adam;  u ← max(β2·u, |g|);  w ← w − lr·m/((1−β1^t)(u + ε))
//   nadam     m, v as adam;  u_t = β1(1 − 0.5·0.96^(0.004t)),  Π_t = u_1⋯u_t;
//             m̂ = u_{t+1}·m/(1 − Π_{t+1}) + (1 − u_t)·g/(1 − Π_t);  v̂ = v/(1 − β2^t);
//             w ← w − lr·m̂/(√v̂ + ε)
//
// Skipping: when the loss or any gradient's norm is not finite (NaN, ±∞, or a sum of squares
// beyond f32's range, where the GPU's f32 sum overflows) the step changes nothing — weights,
// slots and the iteration count — and returns false. Each call decides afresh. (On the GPU the
// status flag is sticky instead: once set, every later update is skipped until the host, which
// reads it back at its own pace, clears it and rewinds its iteration count; see
// kernels/optimizers.)
//
// Differences from Keras: Keras adds a regularizer's gradient to the loss's before clipping;
// here (and on the GPU, whose norm pass does not read the weights) it is added after. The
// two agree whenever clipping is off. Keras keeps Nadam's Π_t in float32; here it is Float64.
import { optimizerSlotCount, slotInitialValue, stepScalars, type OptimizerConfig } from '../spec/optimizerConfig.js';
import { ShapeError } from '../spec/errors.js';

/** The largest finite f32: a sum of squares above it is +∞ in the GPU's f32 reduction. */
const F32_MAX = 3.4028234663852886e38;

export interface ReferenceStepOptions {
  /** The batch's loss; a non-finite loss skips the step. */
  loss?: number;
  /** Per weight (same order as the weights): the Keras L1 / L2 penalty on it, if any. */
  regularizers?: ({ l1?: number; l2?: number } | undefined)[];
}

export class ReferenceOptimizer {
  /** slots[w][s]: state buffer s of weight w, created on the first step. */
  slots: Float64Array[][] = [];
  /** Applied updates so far; the next step is iteration + 1. */
  iteration = 0;

  constructor(readonly config: OptimizerConfig) {}

  /**
   * One update of every weight, in place. Returns false, changing nothing, when the loss or
   * a gradient is not finite.
   */
  step(weights: Float64Array[], grads: readonly Float64Array[], options: ReferenceStepOptions = {}): boolean {
    const { config } = this;
    if (weights.length !== grads.length || weights.length === 0) {
      throw new ShapeError(`ReferenceOptimizer.step needs one gradient per weight, got ${weights.length} weights and ${grads.length} gradients.`);
    }
    weights.forEach((w, i) => {
      if (grads[i].length !== w.length) throw new ShapeError(`Gradient ${i} has ${grads[i].length} values for a weight of ${w.length}.`);
      if (this.slots[i] && this.slots[i][0].length !== w.length)
        throw new ShapeError(`Weight ${i} changed size from ${this.slots[i][0].length} to ${w.length}.`);
    });

    const penalties = weights.map((_, i) => {
      const l1 = options.regularizers?.[i]?.l1 ?? 0;
      const l2 = options.regularizers?.[i]?.l2 ?? 0;
      if (!(Number.isFinite(l1) && l1 >= 0 && Number.isFinite(l2) && l2 >= 0)) {
        throw new ShapeError(`Regularizer factors must be finite and ≥ 0, got l1 = ${l1}, l2 = ${l2} for weight ${i}.`);
      }
      return { l1, l2 };
    });

    const factors = this.gradientControl(grads, options.loss);
    if (!factors) return false;

    if (this.slots.length === 0) {
      this.slots = weights.map((w) =>
        Array.from({ length: optimizerSlotCount(config.name) }, (_, s) => new Float64Array(w.length).fill(slotInitialValue(config, s))),
      );
    }
    const t = ++this.iteration;
    const [c0, c1, c2] = stepScalars(config, t);
    const { learningRate: lr, momentum, rho, epsilon: eps, beta1, beta2 } = config;
    weights.forEach((w, wi) => {
      const g0 = grads[wi];
      const [s0, s1] = this.slots[wi];
      const { l1, l2 } = penalties[wi];
      for (let i = 0; i < w.length; i++) {
        let g = g0[i] * factors[wi];
        if (config.clipvalue !== undefined) g = Math.min(Math.max(g, -config.clipvalue), config.clipvalue);
        g += l1 * Math.sign(w[i]) + 2 * l2 * w[i];
        switch (config.name) {
          case 'sgd': {
            s0[i] = -g * lr + s0[i] * momentum;
            w[i] += config.nesterov ? -g * lr + s0[i] * momentum : s0[i];
            break;
          }
          case 'rmsprop': {
            s0[i] = rho * s0[i] + (1 - rho) * g * g;
            const increment = (lr * g) / Math.sqrt(s0[i] + eps);
            s1[i] = momentum * s1[i] + increment;
            w[i] -= s1[i];
            break;
          }
          case 'adagrad': {
            s0[i] += g * g;
            w[i] -= (lr * g) / Math.sqrt(s0[i] + eps);
            break;
          }
          case 'adadelta': {
            s0[i] = rho * s0[i] + (1 - rho) * g * g;
            const delta = (-Math.sqrt(s1[i] + eps) * g) / Math.sqrt(s0[i] + eps);
            s1[i] = rho * s1[i] + (1 - rho) * delta * delta;
            w[i] += lr * delta;
            break;
          }
          case 'adam': {
            s0[i] += (g - s0[i]) * (1 - beta1);
            s1[i] += (g * g - s1[i]) * (1 - beta2);
            w[i] -= (s0[i] * c0) / (Math.sqrt(s1[i]) + eps);
            break;
          }
          case 'adamax': {
            s0[i] += (g - s0[i]) * (1 - beta1);
            s1[i] = Math.max(beta2 * s1[i], Math.abs(g));
            w[i] -= (lr * s0[i]) / (c0 * (s1[i] + eps));
            break;
          }
          case 'nadam': {
            s0[i] += (g - s0[i]) * (1 - beta1);
            s1[i] += (g * g - s1[i]) * (1 - beta2);
            const mHat = c0 * s0[i] + c1 * g;
            const vHat = s1[i] / c2;
            w[i] -= (mHat * lr) / (Math.sqrt(vHat) + eps);
            break;
          }
        }
      }
    });
    return true;
  }

  /** The factor each gradient is scaled by, or undefined when the step must be skipped. */
  private gradientControl(grads: readonly Float64Array[], loss: number | undefined): number[] | undefined {
    const { config } = this;
    if (loss !== undefined && !Number.isFinite(loss)) return undefined;
    const sumsq = grads.map((g) => g.reduce((s, x) => s + x * x, 0));
    const finite = (s: number) => Number.isFinite(s) && s <= F32_MAX;
    if (!sumsq.every(finite)) return undefined;
    if (config.clipnorm !== undefined) {
      const c = config.clipnorm;
      return sumsq.map((s) => c / Math.max(Math.sqrt(s), c));
    }
    if (config.globalClipnorm !== undefined) {
      const total = sumsq.reduce((a, b) => a + b, 0);
      if (!finite(total)) return undefined;
      const c = config.globalClipnorm;
      return sumsq.map(() => c / Math.max(Math.sqrt(total), c));
    }
    return sumsq.map(() => 1);
  }
}
