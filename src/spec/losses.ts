// Loss and metric names, Keras's epsilon and the rules that pick a fused head or an accuracy:
// shared by kernels/loss and its CPU twin reference/losses.
import type { ActivationOrSoftmax } from './names.js';

export type LossName = 'meanSquaredError' | 'meanAbsoluteError' | 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';
export type MetricName = 'accuracy' | 'mae';

/** A camelCase name as Keras's snake_case spelling: 'binaryCrossentropy' → 'binary_crossentropy'. */
export type SnakeCase<S extends string> = S extends `${infer H}${infer T}` ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeCase<T>}` : S;

/** A loss as compile takes it: ours, Keras's snake_case spelling, or Keras's 'mse' / 'mae'. */
export type LossSpec = LossName | SnakeCase<LossName> | 'mse' | 'mae';

type MetricAlias = 'acc' | 'binaryAccuracy' | 'categoricalAccuracy' | 'sparseCategoricalAccuracy' | 'meanAbsoluteError';
/** A metric as compile takes it: ours, or Keras's names of them in either spelling ('acc', 'categorical_accuracy', …). */
export type MetricSpec = MetricName | MetricAlias | SnakeCase<MetricAlias>;
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
