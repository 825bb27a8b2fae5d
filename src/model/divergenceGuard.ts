// Stops a fit whose loss runs away while staying finite (a learning rate far too high): past
// `factor` × the first epoch's loss, the weights and the optimizer's state (its slots and step
// count) go back to those the best epoch started from, and fit fails with a TrainingError. Two
// GPU copies of the weights and slots, made on the GPU between epochs (no read-back). A
// non-finite loss is OptimizerState.checkStatus's: the weights stay those of the last good step.
import type { Gpu } from '../runtime/device.js';
import { emptyTensor, type Tensor } from '../runtime/tensor.js';
import { TrainingError } from './trainingTypes.js';

/** What the guard rolls back of an OptimizerState: its slots and its step count. */
export interface RewindableOptimizer {
  readonly slotTensors: readonly Tensor[];
  readonly iteration: number;
  rewind(steps: number): void;
}

/** fit's default divergenceFactor. */
export const DEFAULT_DIVERGENCE_FACTOR = 1e6;

export class DivergenceGuard {
  /** What is rolled back: the weights, then the optimizer's slots. */
  private readonly live: readonly Tensor[];
  /** Their copies at the start of the current epoch, and at the start of the best one so far. */
  private readonly current: Tensor[];
  private readonly best: Tensor[];
  /** The optimizer's step count at those starts. */
  private currentSteps: number;
  private bestSteps: number;
  private firstLoss: number | undefined;
  private bestLoss = Infinity;
  private bestEpoch = 0;

  constructor(
    private readonly gpu: Gpu,
    weights: readonly Tensor[],
    private readonly optimizer: RewindableOptimizer,
    private readonly factor: number,
  ) {
    this.live = [...weights, ...optimizer.slotTensors];
    this.current = this.live.map((w) => emptyTensor(gpu, w.shape, 'weights and slots at the epoch start'));
    this.best = this.live.map((w) => emptyTensor(gpu, w.shape, 'best weights and slots'));
    this.copy(this.live, this.current);
    this.currentSteps = this.bestSteps = optimizer.iteration;
  }

  /**
   * After epoch `epoch` trained with mean loss `loss`: remembers its starting weights if it is the
   * best yet; throws a TrainingError (weights restored to the best epoch's start) if the loss
   * passed factor × the first epoch's.
   */
  endEpoch(epoch: number, loss: number): void {
    this.firstLoss ??= loss;
    if (loss < this.bestLoss) {
      [this.bestLoss, this.bestEpoch, this.bestSteps] = [loss, epoch, this.currentSteps];
      this.copy(this.current, this.best);
    }
    // A first loss of 0 gives no scale to grow from: nothing is judged divergent then.
    if (this.firstLoss > 0 && loss > this.factor * this.firstLoss) {
      this.copy(this.best, this.live);
      this.optimizer.rewind(this.bestSteps);
      throw new TrainingError(
        `Training stopped: the loss grew to ${loss.toPrecision(3)} in epoch ${epoch}, over ${this.factor} × the first epoch's ${this.firstLoss.toPrecision(3)} (fit's divergenceFactor). The weights and the optimizer's state are those epoch ${this.bestEpoch} started from (its loss ${this.bestLoss.toPrecision(3)}, the lowest). Lower the learning rate or clip gradients (clipnorm / clipvalue).`,
      );
    }
    this.copy(this.live, this.current);
    this.currentSteps = this.optimizer.iteration;
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
