// The Embedding layer on the CPU, the twin of lstm/embedding: a row lookup forward, a
// scatter-add of the output gradient into the rows used backward.
import { checkTokenIds, resolveEmbeddingConfig, type EmbeddingConfig, type ResolvedEmbeddingConfig } from '../spec/embeddingConfig.js';
import { initialize } from '../init/initializers.js';
import { Random } from '../init/random.js';
import { checkWeights, cpuTensor, type CpuTensor } from './tensor.js';

/** Whether `id` selects a row of a table of `inputDim` rows (the GPU kernels' guard). */
function validId(id: number, inputDim: number): boolean {
  return Number.isInteger(id) && id >= 0 && id < inputDim;
}

/**
 * y[r, :] = W[ids[r], :] for ids [rows] and W [inputDim, E]; an id that selects no row (out of
 * range, not whole, NaN) gives a zero row, as the GPU kernel's guard.
 */
export function embeddingForward(ids: ArrayLike<number>, weights: ArrayLike<number>, inputDim: number, E: number): Float64Array {
  const y = new Float64Array(ids.length * E);
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r];
    if (!validId(id, inputDim)) continue;
    for (let e = 0; e < E; e++) y[r * E + e] = weights[id * E + e];
  }
  return y;
}

/** dW [inputDim, E] = Σ_r onehot(ids[r]) ⊗ dY[r, :], summed in row order; invalid ids add nothing. */
export function embeddingBackward(ids: ArrayLike<number>, dY: ArrayLike<number>, inputDim: number, E: number): Float64Array {
  const dW = new Float64Array(inputDim * E);
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r];
    if (!validId(id, inputDim)) continue;
    for (let e = 0; e < E; e++) dW[id * E + e] += dY[r * E + e];
  }
  return dW;
}

interface EmbeddingSaved {
  ids: CpuTensor;
}

export class ReferenceEmbedding {
  readonly config: ResolvedEmbeddingConfig;
  private weights: Float64Array[] | undefined;

  constructor(config: EmbeddingConfig) {
    this.config = resolveEmbeddingConfig(config);
  }

  get outputDim(): number {
    return this.config.outputDim;
  }

  /** Creates the table [inputDim, outputDim]; the input's length does not matter. */
  build(_features?: number): void {
    if (this.weights) return;
    const { embeddingsInitializer, inputDim, outputDim, seed } = this.config;
    this.weights = [initialize(embeddingsInitializer, inputDim, outputDim, new Random(seed))];
  }

  weightCount(): number {
    return 1;
  }

  getWeights(): Float64Array[] {
    this.build();
    return this.weights!.map((w) => w.slice());
  }

  setWeights(weights: readonly ArrayLike<number>[]): void {
    this.weights = checkWeights(weights, [[this.config.inputDim, this.config.outputDim]], this.config.name);
  }

  regularizers() {
    return [this.config.embeddingsRegularizer];
  }

  apply(x: CpuTensor): CpuTensor {
    return this.forwardTrain(x).y;
  }

  /** x: token ids [B, T] (checked: whole numbers in [0, inputDim)). y: [B, T, outputDim]. */
  forwardTrain(x: CpuTensor): { y: CpuTensor; saved: EmbeddingSaved } {
    if (x.shape.length !== 2) throw new Error(`${this.config.name} takes token ids of shape [batch, steps], got [${x.shape.join(', ')}].`);
    checkTokenIds(x.data, this.config.inputDim, `${this.config.name}: the input`);
    this.build();
    const E = this.config.outputDim;
    const y = embeddingForward(x.data, this.weights![0], this.config.inputDim, E);
    return { y: cpuTensor(y, [...x.shape, E]), saved: { ids: x } };
  }

  /** The table's gradient; the ids have none (dX is zeros of the ids' shape). */
  backward(saved: EmbeddingSaved, dY: Float64Array): { grads: Float64Array[]; dX: Float64Array } {
    const dW = embeddingBackward(saved.ids.data, dY, this.config.inputDim, this.config.outputDim);
    return { grads: [dW], dX: new Float64Array(saved.ids.data.length) };
  }
}
