// The CPU twins of kernels/loss and kernels/softmax: Keras losses and metrics in Float64.
// Nothing here knows about the GPU; kernels/loss and this file take their names and rules from spec/losses.
//
// Semantics (Keras / TensorFlow.js, f32 constants):
// - every loss is a mean over the last axis (categorical ones: a sum over classes), then a
//   mean over rows: MSE, MAE and BCE are means over all rows·cols elements;
// - probabilities are clipped to [ε, 1 − ε] with ε = f32(1e-7) and 1 − ε rounded to f32
//   (0.99999988), as Keras does in f32; the clip passes no gradient outside that range;
// - categorical cross-entropy first normalizes a row to q = p / Σp (the identity for a
//   softmax head); sparse categorical cross-entropy is categorical cross-entropy against the
//   one-hot of the label (a label that is not a class index in [0, cols) gives a zero row);
// - fused heads: sigmoid + binaryCrossentropy and softmax + (sparse)categoricalCrossentropy
//   return d(loss)/d(logits), (p − y)/(rows·cols) and (p·Σy − y)/rows, the stable gradient
//   of the unclipped loss;
// - 'accuracy' is binary accuracy (y == (p > 0.5)) for binaryCrossentropy or cols == 1,
//   sparse categorical accuracy (argmax p == label) for the sparse loss and categorical
//   accuracy (argmax p == argmax y, first index on ties) otherwise; 'mae' is the mean
//   absolute error (against the one-hot label for the sparse loss).

import {
  accuracyKind,
  EPSILON,
  ONE_MINUS_EPSILON,
  isFusedLoss,
  type AccuracyKind,
  type HeadActivation,
  type LossName,
  type MetricName,
} from '../spec/losses.js';

export { accuracyKind, EPSILON, ONE_MINUS_EPSILON, isFusedLoss, type AccuracyKind, type HeadActivation, type LossName, type MetricName };

const clip = (p: number) => Math.min(ONE_MINUS_EPSILON, Math.max(EPSILON, p));
const passes = (p: number) => p >= EPSILON && p <= ONE_MINUS_EPSILON;

/** Row r of the targets as a dense [cols] row: the one-hot of the label for the sparse loss. */
function targetRow(loss: LossName, yTrue: ArrayLike<number>, r: number, cols: number): Float64Array {
  const y = new Float64Array(cols);
  if (loss === 'sparseCategoricalCrossentropy') {
    const label = yTrue[r];
    for (let j = 0; j < cols; j++) y[j] = j === label ? 1 : 0;
  } else for (let j = 0; j < cols; j++) y[j] = yTrue[r * cols + j];
  return y;
}

/**
 * The loss of yPred [rows, cols] (the head's output after its activation) against yTrue
 * ([rows, cols]; [rows] class indices for the sparse loss), and its gradient: d(loss)/d(yPred),
 * or d(loss)/d(logits) for the fused heads (`gradIsPreActivation`). With `weights` [rows]
 * (sample or class weights), row r's loss and gradient are scaled by weights[r]; the mean stays
 * over rows (Keras's sum_over_batch_size).
 */
export function lossForward(
  loss: LossName,
  yPred: ArrayLike<number>,
  yTrue: ArrayLike<number>,
  rows: number,
  cols: number,
  headActivation: HeadActivation,
  weights?: ArrayLike<number>,
): { loss: number; grad: Float64Array; gradIsPreActivation: boolean } {
  const fused = isFusedLoss(loss, headActivation);
  const grad = new Float64Array(rows * cols);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const w = weights ? weights[r] : 1;
    const perElement = w / (rows * cols);
    const y = targetRow(loss, yTrue, r, cols);
    const at = r * cols;
    let rowLoss = 0;
    switch (loss) {
      case 'meanSquaredError':
        for (let j = 0; j < cols; j++) {
          const d = yPred[at + j] - y[j];
          rowLoss += d * d;
          grad[at + j] = 2 * d * perElement;
        }
        rowLoss /= cols;
        break;
      case 'meanAbsoluteError':
        for (let j = 0; j < cols; j++) {
          const d = yPred[at + j] - y[j];
          rowLoss += Math.abs(d);
          grad[at + j] = Math.sign(d) * perElement;
        }
        rowLoss /= cols;
        break;
      case 'binaryCrossentropy':
        for (let j = 0; j < cols; j++) {
          const p = yPred[at + j];
          const pc = clip(p);
          rowLoss -= y[j] * Math.log(pc) + (1 - y[j]) * Math.log(1 - pc);
          if (fused) grad[at + j] = (p - y[j]) * perElement;
          else grad[at + j] = passes(p) ? ((pc - y[j]) / (pc * (1 - pc))) * perElement : 0;
        }
        rowLoss /= cols;
        break;
      case 'categoricalCrossentropy':
      case 'sparseCategoricalCrossentropy': {
        let sumP = 0;
        let sumY = 0;
        for (let j = 0; j < cols; j++) {
          sumP += yPred[at + j];
          sumY += y[j];
        }
        // d/dp_k of −Σ_j y_j·log clip(p_j / S), S = Σp: Σ_j y_j·m_j / S − y_k·m_k / p_k, m = the clip passes.
        let sumYPassed = 0;
        for (let j = 0; j < cols; j++) {
          const q = yPred[at + j] / sumP;
          if (y[j] !== 0) rowLoss -= y[j] * Math.log(clip(q));
          if (passes(q)) sumYPassed += y[j];
        }
        for (let j = 0; j < cols; j++) {
          const p = yPred[at + j];
          if (fused) grad[at + j] = ((p * sumY - y[j]) * w) / rows;
          else grad[at + j] = ((sumYPassed / sumP - (y[j] !== 0 && passes(p / sumP) ? y[j] / p : 0)) * w) / rows;
        }
        break;
      }
    }
    total += rowLoss * w;
  }
  return { loss: total / rows, grad, gradIsPreActivation: fused };
}

/**
 * The rows' weights of a masked sequence output [B, T, …] (rows b·T + t), as Keras 3's
 * apply_mask: metric weights m·rows/Σm, loss weights those times the sample weights; all 0
 * when every step is masked. With them the means over rows are means over the unmasked steps.
 */
export function maskedRowWeights(mask: ArrayLike<number>, sampleWeights?: ArrayLike<number>): { lossWeights: Float64Array; metricWeights: Float64Array } {
  const rows = mask.length;
  let valid = 0;
  for (let r = 0; r < rows; r++) valid += mask[r];
  const scale = valid > 0 ? rows / valid : 0;
  const metricWeights = Float64Array.from(mask, (m) => m * scale);
  const lossWeights = Float64Array.from(metricWeights, (m, r) => m * (sampleWeights ? sampleWeights[r] : 1));
  return { lossWeights, metricWeights };
}

/** Metric `name` of yPred against yTrue (shapes as in lossForward), averaged over rows (each scaled by `weights[r]` when given). */
export function metricValue(
  name: MetricName,
  loss: LossName,
  yPred: ArrayLike<number>,
  yTrue: ArrayLike<number>,
  rows: number,
  cols: number,
  weights?: ArrayLike<number>,
): number {
  const kind = accuracyKind(loss, cols);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const y = targetRow(loss, yTrue, r, cols);
    const at = r * cols;
    const w = weights ? weights[r] : 1;
    if (name === 'mae') {
      let s = 0;
      for (let j = 0; j < cols; j++) s += Math.abs(yPred[at + j] - y[j]);
      total += (s / cols) * w;
    } else if (kind === 'binary') {
      let s = 0;
      for (let j = 0; j < cols; j++) s += y[j] === (yPred[at + j] > 0.5 ? 1 : 0) ? 1 : 0;
      total += (s / cols) * w;
    } else {
      const predicted = argmax(yPred, at, cols);
      total += (kind === 'sparseCategorical' ? +(predicted === yTrue[r]) : +(predicted === argmax(y, 0, cols))) * w;
    }
  }
  return total / rows;
}

/** Index of the first largest of values[at … at + n) relative to `at`. */
function argmax(values: ArrayLike<number>, at: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (values[at + j] > values[at + best]) best = j;
  return best;
}

/** Row-wise softmax of x [rows, cols], stable for any magnitude: the twin of kernels/softmax. */
export function softmax(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const at = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[at + j]);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += y[at + j] = Math.exp(x[at + j] - max);
    for (let j = 0; j < cols; j++) y[at + j] /= sum;
  }
  return y;
}
