// Stops a fit whose loss runs away while staying finite (a learning rate far too high): past
// `factor` × the first epoch's loss, the weights go back to those the best epoch started from,
// and fit fails with a TrainingError. Two GPU copies of the weights, made on the GPU between
// epochs (no read-back). A non-finite loss is OptimizerState.checkStatus's: the weights stay
// those of the last good step.
import type { Gpu } from '../runtime/device.js';
import { emptyTensor, type Tensor } from '../runtime/tensor.js';
import { TrainingError } from './trainingTypes.js';

/** fit's default divergenceFactor. */
export const DEFAULT_DIVERGENCE_FACTOR = 1e6;

export class DivergenceGuard {
  /** The weights at the start of the current epoch, and at the start of the best one so far. */
  private readonly current: Tensor[];
  private readonly best: Tensor[];
  private firstLoss: number | undefined;
  private bestLoss = Infinity;
  private bestEpoch = 0;

  constructor(
    private readonly gpu: Gpu,
    private readonly weights: readonly Tensor[],
    private readonly factor: number,
  ) {
    this.current = weights.map((w) => emptyTensor(gpu, w.shape, 'weights at the epoch start'));
    this.best = weights.map((w) => emptyTensor(gpu, w.shape, 'best weights'));
    this.copy(this.weights, this.current);
  }

  /**
   * After epoch `epoch` trained with mean loss `loss`: remembers its starting weights if it is the
   * best yet; throws a TrainingError (weights restored to the best epoch's start) if the loss
   * passed factor × the first epoch's.
   */
  endEpoch(epoch: number, loss: number): void {
    this.firstLoss ??= loss;
    if (loss < this.bestLoss) {
      [this.bestLoss, this.bestEpoch] = [loss, epoch];
      this.copy(this.current, this.best);
    }
    // A first loss of 0 gives no scale to grow from: nothing is judged divergent then.
    if (this.firstLoss > 0 && loss > this.factor * this.firstLoss) {
      this.copy(this.best, this.weights);
      throw new TrainingError(
        `Training stopped: the loss grew to ${loss.toPrecision(3)} in epoch ${epoch}, over ${this.factor} × the first epoch's ${this.firstLoss.toPrecision(3)} (fit's divergenceFactor). The weights are those epoch ${this.bestEpoch} started from (its loss ${this.bestLoss.toPrecision(3)}, the lowest); the optimizer's moments are not rolled back. Lower the learning rate or clip gradients (clipnorm / clipvalue).`,
      );
    }
    this.copy(this.weights, this.current);
  }

  dispose(): void {
    for (const t of [...this.current, ...this.best]) t.dispose();
  }

  private copy(from: readonly Tensor[], to: readonly Tensor[]): void {
    this.gpu.submit('divergence guard: weight copy', (encoder) => {
      from.forEach((t, i) => encoder.copyBufferToBuffer(t.buffer, 0, to[i].buffer, 0, t.byteLength));
    });
  }
}
