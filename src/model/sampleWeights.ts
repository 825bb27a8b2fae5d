// fit's sampleWeight and classWeight as one weight per loss row: f32 [N, ySteps], row (i, t)
// of sample i, gathered with the targets into each batch. Keras semantics: a sample's weight
// scales the loss and gradient of each of its steps (or one weight a step, for a sequence
// output); classWeight maps each target's class — its label, the argmax of a one-hot target,
// or the 0 / 1 of a binary one — to a weight, and a class it does not name weighs 1. The mean
// stays over rows (Keras's sum_over_batch_size); the metrics are unweighted.
import type { Gpu } from '../runtime/device.js';
import { Tensor, tensor, type TensorData } from '../runtime/tensor.js';
import { RnnError, ShapeError } from '../spec/errors.js';
import type { LossName } from '../spec/losses.js';
import { flatValues, naming } from './trainingData.js';

/** How fit weighs the samples: per sample (or per sample and step), or per class. */
export interface Weighting {
  /** [N] one weight a sample, or [N, steps] one a step for a sequence output; finite, ≥ 0. */
  sampleWeight?: Tensor | TensorData;
  /** class → weight (classes not named weigh 1), e.g. { 0: 1, 1: 4 } for a rare positive class. */
  classWeight?: Readonly<Record<number, number>>;
}

/**
 * The row weights of `weighting` for targets `y` ([N, …]; the sparse loss's are class indices),
 * uploaded, or undefined without weighting. `rowsPerSample` rows of `cols` values each a sample.
 */
export async function rowWeights(
  gpu: Gpu,
  loss: LossName,
  y: Tensor,
  rowsPerSample: number,
  cols: number,
  weighting: Weighting,
  call: string,
): Promise<Tensor | undefined> {
  const { sampleWeight, classWeight } = weighting;
  if (sampleWeight === undefined && classWeight === undefined) return undefined;
  if (sampleWeight !== undefined && classWeight !== undefined) {
    throw new RnnError(`${call}: give sampleWeight or classWeight, not both (fold the class weights into the sample weights).`);
  }
  const n = y.shape[0];
  const rows = n * rowsPerSample;
  const weights = new Float32Array(rows);
  if (sampleWeight !== undefined) {
    const values =
      sampleWeight instanceof Tensor
        ? (sampleWeight.assertUsable(`${call}: sampleWeight`), await sampleWeight.data())
        : naming(call, 'sampleWeight', () => flatValues(sampleWeight));
    if (values.length !== n && values.length !== rows) {
      const perStep = rowsPerSample > 1 ? ` or ${rows} (one a step: [${n}, ${rowsPerSample}])` : '';
      throw new ShapeError(`${call}: sampleWeight has ${values.length} values; the ${n} samples need ${n} (one a sample)${perStep}.`);
    }
    for (let r = 0; r < rows; r++)
      weights[r] = checkWeight(values.length === n ? values[Math.floor(r / rowsPerSample)] : values[r], `${call}: sampleWeight`, r);
  } else {
    const table = checkClassWeight(classWeight, call);
    const targets = await y.data();
    const sparse = loss === 'sparseCategoricalCrossentropy';
    for (let r = 0; r < rows; r++) weights[r] = table(classOf(targets, r, sparse ? 1 : cols, sparse, call));
  }
  return tensor(gpu, weights, [rows]);
}

function checkWeight(value: number, what: string, index: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new ShapeError(`${what}: the weight at index ${index} is ${value}; weights are finite numbers ≥ 0.`);
  return value;
}

/** classWeight checked: whole-number classes ≥ 0, finite weights ≥ 0; a lookup with 1 for the others. */
function checkClassWeight(classWeight: unknown, call: string): (c: number) => number {
  if (typeof classWeight !== 'object' || classWeight === null || Array.isArray(classWeight)) {
    throw new RnnError(
      `${call}: classWeight maps classes to weights, e.g. { 0: 1, 1: 4 }; got ${Array.isArray(classWeight) ? 'an array' : String(classWeight)}.`,
    );
  }
  const table = new Map<number, number>();
  for (const [key, value] of Object.entries(classWeight)) {
    const c = Number(key);
    if (!(Number.isInteger(c) && c >= 0)) throw new RnnError(`${call}: classWeight key '${key}' is not a class index (a whole number ≥ 0).`);
    table.set(c, checkWeight(value as number, `${call}: classWeight`, c));
  }
  return (c) => table.get(c) ?? 1;
}

/** The class of target row r: the sparse label, the argmax of a one-hot row, or a binary target's 0 / 1. */
function classOf(targets: ArrayLike<number>, r: number, cols: number, sparse: boolean, call: string): number {
  if (sparse) return targets[r];
  if (cols > 1) {
    let best = 0;
    for (let j = 1; j < cols; j++) if (targets[r * cols + j] > targets[r * cols + best]) best = j;
    return best;
  }
  const v = targets[r];
  if (v !== 0 && v !== 1) throw new ShapeError(`${call}: classWeight needs class targets; the binary target at index ${r} is ${v}, not 0 or 1.`);
  return v;
}
