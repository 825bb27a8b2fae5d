// The suite's checks: the tolerances with their reasons, and the error measures they bound.
import { maxAbs, maxAbsDiff } from './stats.js';
import { LEARNING_RATE, type Runner } from './systems.js';

/**
 * Tolerances of the checks, with their reasons.
 *
 * Forward: every system computes in f32 except the reference (Float64). The outputs h are in
 * (−1, 1); each gate pre-activation is a sum of D + H + 1 ≤ 1 100 products, rounded at 2⁻²⁴
 * relative, and σ / tanh do not amplify errors (Lipschitz ≤ 1), so over T = 100 steps the
 * difference between two f32 orders of summation stays far below 1e-5 (measured here: ≤ 1.2e-7
 * at H = 128, ≤ 3.2e-7 at H = 256, on SwiftShader, lavapipe and Chromium). 1e-4 leaves a wide
 * margin and still fails any wrong gate order, index or missing term (errors ≥ 1e-2).
 */
export const FORWARD_TOLERANCE = 1e-4;
/**
 * Train: after one SGD step from the same weights, the gradient each system applied,
 * (w₀ − w₁)/lr, against ours, relative to ours' largest gradient element; and the loss,
 * relative. f32 differences in the forward (~1e-6) and in the BPTT sums over B·T = 1 600 rows
 * give ~1e-5 relative; the subtraction w₀ − w₁ (|w| ≤ 0.3, lr = 0.01) adds 0.3·2⁻²⁴/0.01 ≈ 2e-6
 * absolute per element. Measured: 1.6e-5 – 6.3e-5 for ours against the reference, ≤ 1e-5 for
 * TF.js against ours. 1e-3 is a 15× margin; a wrong gradient term is off by ≥ 1e-1.
 */
export const TRAIN_TOLERANCE = 1e-3;

/**
 * Generate: greedy decoding (temperature 0, the first index of the largest probability), so the
 * error is the number of token ids that differ from ours, and none may. Every system runs the
 * same f32 model from the same weights (the reference in Float64); its probabilities agree with
 * ours to ~1e-7, far below the gap between the two likeliest tokens at almost every step. A
 * near-tie (a gap below the rounding) could flip one token and every token after it: that is
 * reported as invalid, with the count, rather than hidden by a tolerance.
 */
export const GENERATE_TOLERANCE = 0;

/** Token ids that differ between two generations of one length; NaN if the lengths differ. */
export function tokenError(ours: ArrayLike<number>, other: ArrayLike<number>): number {
  if (ours.length !== other.length) return Number.NaN;
  let differ = 0;
  for (let i = 0; i < ours.length; i++) if (ours[i] !== other[i]) differ++;
  return differ;
}

export const TOLERANCES = { forward: FORWARD_TOLERANCE, train: TRAIN_TOLERANCE, generate: GENERATE_TOLERANCE } as const;

/** Result of one training step on a system: the loss and the gradient each weight received. */
export interface StepResult {
  loss: number;
  grads: Float64Array[];
}

export async function trainStep(runner: Runner, before: readonly Float32Array[]): Promise<StepResult> {
  const loss = (await runner.run()) as number;
  const after = await runner.weights();
  const grads = after.map((w, i) => Float64Array.from(w, (v, j) => (before[i][j] - v) / LEARNING_RATE));
  return { loss, grads };
}

/** max(|Δloss| / |loss|, max over weights |Δg| / max |g_ours|). */
export function trainError(ours: StepResult, other: StepResult): number {
  let worst = Math.abs(ours.loss - other.loss) / Math.max(Math.abs(ours.loss), 1e-12);
  if (Number.isNaN(worst)) return Number.NaN;
  const scale = Math.max(...ours.grads.map(maxAbs), 1e-12);
  for (let i = 0; i < ours.grads.length; i++) {
    const d = maxAbsDiff(ours.grads[i], other.grads[i]) / scale;
    if (Number.isNaN(d)) return Number.NaN;
    worst = Math.max(worst, d);
  }
  return worst;
}
