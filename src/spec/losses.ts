// Loss and metric names, Keras's epsilon and the rules that pick a fused head or an accuracy:
// shared by kernels/loss and its CPU twin reference/losses.
import type { ActivationOrSoftmax } from './names.js';

export type LossName = 'meanSquaredError' | 'meanAbsoluteError' | 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';
export type MetricName = 'accuracy' | 'mae';
/** The last layer's activation (only sigmoid and softmax change how a loss is taken). */
export type HeadActivation = ActivationOrSoftmax;
/** Which accuracy 'accuracy' means for a loss and a width of the output. */
export type AccuracyKind = 'binary' | 'categorical' | 'sparseCategorical';

/** Keras's epsilon in f32, and 1 − epsilon as Keras computes it in f32. */
export const EPSILON = Math.fround(1e-7);
export const ONE_MINUS_EPSILON = Math.fround(1 - EPSILON);

/** True where the loss's gradient is taken with respect to the head's logits (fused). */
export function isFusedLoss(loss: LossName, head: HeadActivation): boolean {
  return (
    (head === 'sigmoid' && loss === 'binaryCrossentropy') ||
    (head === 'softmax' && (loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy'))
  );
}

/** The Keras rule for the 'accuracy' metric. */
export function accuracyKind(loss: LossName, cols: number): AccuracyKind {
  if (loss === 'binaryCrossentropy' || cols === 1) return 'binary';
  if (loss === 'sparseCategoricalCrossentropy') return 'sparseCategorical';
  return 'categorical';
}
