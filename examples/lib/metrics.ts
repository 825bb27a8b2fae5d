// Quality figures of the examples: binary classification scores, and bits per character of
// count-based character models (the baselines of the text example).

export interface BinaryScores {
  accuracy: number;
  /** Of the samples called positive, the fraction that are. 0 when none is called positive. */
  precision: number;
  /** Of the positive samples, the fraction called positive. 0 when there are none. */
  recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number;
  truePositives: number;
  falsePositives: number;
  trueNegatives: number;
  falseNegatives: number;
}

/** Scores of `probabilities` (positive when ≥ threshold) against `labels` (1 positive, 0 negative). */
export function binaryScores(probabilities: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5): BinaryScores {
  if (probabilities.length !== labels.length) throw new Error(`binaryScores: ${probabilities.length} predictions for ${labels.length} labels.`);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const called = probabilities[i] >= threshold;
    if (labels[i] === 1) called ? tp++ : fn++;
    else called ? fp++ : tn++;
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  return {
    accuracy: labels.length > 0 ? (tp + tn) / labels.length : 0,
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    truePositives: tp,
    falsePositives: fp,
    trueNegatives: tn,
    falseNegatives: fn,
  };
}

/**
 * Mean bits per symbol of test[1..n) under an add-k unigram model estimated on `train`.
 * Symbols are ids 1 … classes−1 (0 is padding and never occurs); every one gets probability
 * (count + k) / (total + k·(classes − 1)), so none is 0 for k > 0.
 */
export function unigramBits(train: ArrayLike<number>, test: ArrayLike<number>, classes: number, k = 1): number {
  const symbols = classes - 1;
  const counts = new Float64Array(classes);
  for (let i = 0; i < train.length; i++) counts[checkId(train[i], classes)]++;
  const denominator = train.length + k * symbols;
  let bits = 0;
  for (let i = 1; i < test.length; i++) bits -= Math.log2((counts[checkId(test[i], classes)] + k) / denominator);
  return bits / Math.max(1, test.length - 1);
}

/**
 * Mean bits per symbol of test[1..n), each given the one before, under an add-k bigram model
 * estimated on `train`: p(b | a) = (count(a b) + k) / (count(a ·) + k·(classes − 1)).
 */
export function bigramBits(train: ArrayLike<number>, test: ArrayLike<number>, classes: number, k = 0.1): number {
  const symbols = classes - 1;
  const pairs = new Float64Array(classes * classes);
  const rows = new Float64Array(classes);
  for (let i = 1; i < train.length; i++) {
    const a = checkId(train[i - 1], classes);
    pairs[a * classes + checkId(train[i], classes)]++;
    rows[a]++;
  }
  let bits = 0;
  for (let i = 1; i < test.length; i++) {
    const a = checkId(test[i - 1], classes);
    const b = checkId(test[i], classes);
    bits -= Math.log2((pairs[a * classes + b] + k) / (rows[a] + k * symbols));
  }
  return bits / Math.max(1, test.length - 1);
}

function checkId(id: number, classes: number): number {
  if (!Number.isInteger(id) || id < 1 || id >= classes) throw new Error(`symbol id ${id} is outside 1 … ${classes - 1}.`);
  return id;
}
