// Bag-of-words logistic regression on the CPU, in Float64: the baseline the spam example
// measures its LSTM against. Plain TypeScript, no GPU.
import { Random } from '../../src/index.js';

/** One sample's non-zero features: values[k] at column indices[k] (indices distinct). */
export interface SparseRow {
  indices: Int32Array;
  values: Float64Array;
}

/**
 * Token-id sequences as bag-of-words rows over `features` columns: column w is 1 if token w
 * occurs (ids ≥ features and id 0, padding, are dropped), and each row is scaled to unit L2
 * norm so that long and short messages weigh alike.
 */
export function bagOfWords(sequences: readonly ArrayLike<number>[], features: number): SparseRow[] {
  return sequences.map((seq) => {
    const present = new Set<number>();
    for (let i = 0; i < seq.length; i++) if (seq[i] > 0 && seq[i] < features) present.add(seq[i]);
    const indices = Int32Array.from([...present].sort((a, b) => a - b));
    const values = new Float64Array(indices.length).fill(indices.length > 0 ? 1 / Math.sqrt(indices.length) : 0);
    return { indices, values };
  });
}

export interface LogisticFitOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Coefficient of (l2 / 2)·‖w‖² in the loss (the bias is not penalized). */
  l2?: number;
  seed?: number;
}

/** p(y = 1 | x) = sigmoid(w·x + b), trained by minibatch Adam on mean binary cross-entropy + (l2/2)·‖w‖². */
export class LogisticRegression {
  readonly weights: Float64Array;
  bias = 0;

  constructor(readonly features: number) {
    this.weights = new Float64Array(features);
  }

  /** w·x + b. */
  logit(row: SparseRow): number {
    let z = this.bias;
    for (let k = 0; k < row.indices.length; k++) z += this.weights[row.indices[k]] * row.values[k];
    return z;
  }

  predictProbability(row: SparseRow): number {
    return sigmoid(this.logit(row));
  }

  predict(rows: readonly SparseRow[]): Float64Array {
    return Float64Array.from(rows, (r) => this.predictProbability(r));
  }

  /**
   * Mean binary cross-entropy over `rows` (labels 0 / 1) plus (l2/2)·‖w‖², and its gradient:
   * dW [features] (dense), dB.
   */
  lossAndGradient(rows: readonly SparseRow[], labels: ArrayLike<number>, l2 = 0): { loss: number; dW: Float64Array; dB: number } {
    const dW = new Float64Array(this.features);
    let dB = 0;
    let loss = 0;
    const n = rows.length;
    for (let i = 0; i < n; i++) {
      const z = this.logit(rows[i]);
      const y = labels[i];
      // −[y log σ(z) + (1−y) log(1−σ(z))] = softplus(z) − y·z, stable for large |z|.
      loss += softplus(z) - y * z;
      const r = (sigmoid(z) - y) / n;
      dB += r;
      const { indices, values } = rows[i];
      for (let k = 0; k < indices.length; k++) dW[indices[k]] += r * values[k];
    }
    loss /= n;
    let norm = 0;
    for (let j = 0; j < this.features; j++) {
      norm += this.weights[j] * this.weights[j];
      dW[j] += l2 * this.weights[j];
    }
    return { loss: loss + 0.5 * l2 * norm, dW, dB };
  }

  /** Trains in place; returns the loss of each epoch (the mean over its batches). */
  fit(rows: readonly SparseRow[], labels: ArrayLike<number>, options: LogisticFitOptions = {}): number[] {
    const { epochs = 20, batchSize = 32, learningRate = 0.05, l2 = 1e-4, seed = 1 } = options;
    if (rows.length !== labels.length) throw new Error(`LogisticRegression.fit: ${rows.length} rows for ${labels.length} labels.`);
    const random = new Random(seed);
    const order = Int32Array.from(rows, (_, i) => i);
    // Adam state: moments of w (dense) and b; β1 0.9, β2 0.999, ε 1e-8.
    const m = new Float64Array(this.features);
    const v = new Float64Array(this.features);
    let mB = 0;
    let vB = 0;
    let step = 0;
    const losses: number[] = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      random.shuffle(order);
      let total = 0;
      let batches = 0;
      for (let start = 0; start < rows.length; start += batchSize) {
        const batch = Array.from(order.subarray(start, start + batchSize));
        const { loss, dW, dB } = this.lossAndGradient(
          batch.map((i) => rows[i]),
          batch.map((i) => labels[i]),
          l2,
        );
        total += loss;
        batches++;
        step++;
        const c1 = 1 - 0.9 ** step;
        const c2 = 1 - 0.999 ** step;
        for (let j = 0; j < this.features; j++) {
          m[j] = 0.9 * m[j] + 0.1 * dW[j];
          v[j] = 0.999 * v[j] + 0.001 * dW[j] * dW[j];
          this.weights[j] -= (learningRate * (m[j] / c1)) / (Math.sqrt(v[j] / c2) + 1e-8);
        }
        mB = 0.9 * mB + 0.1 * dB;
        vB = 0.999 * vB + 0.001 * dB * dB;
        this.bias -= (learningRate * (mB / c1)) / (Math.sqrt(vB / c2) + 1e-8);
      }
      losses.push(total / Math.max(1, batches));
    }
    return losses;
  }
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}
