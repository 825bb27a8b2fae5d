// The optimizer's state on the GPU for one compiled model: the slots of every weight, the control
// buffer (sticky non-finite status, then one gradient scale per weight) and the step count. One
// update is the gradient control then one fused update per weight, in one compute pass.
import { encodeGradientControl, encodeOptimizerUpdate } from '../kernels/optimizers.js';
import type { Regularizer } from '../layers/layer.js';
import type { Gpu, RunScope } from '../runtime/device.js';
import { TENSOR_USAGE } from '../runtime/gpuConstants.js';
import { type Tensor, tensor } from '../runtime/tensor.js';
import { type OptimizerConfig, optimizerSlotCount, slotInitialValue } from '../spec/optimizerConfig.js';
import { readFloats } from './trainingData.js';
import { TrainingError } from './trainingTypes.js';

export class OptimizerState {
  /** slots[w][s]: slot s of weight w, [weights[w].size]. */
  private readonly slots: Tensor[][];
  /** f32 [1 + weights]: status (sticky, non-zero after a non-finite loss or gradient), scales. */
  private readonly control: GPUBuffer;
  private steps = 0;

  constructor(
    private readonly gpu: Gpu,
    private readonly weights: readonly Tensor[],
    private readonly config: OptimizerConfig,
  ) {
    const slotCount = optimizerSlotCount(config.name);
    this.slots = weights.map((w) =>
      Array.from({ length: slotCount }, (_, s) => tensor(gpu, new Float32Array(w.size).fill(slotInitialValue(config, s)), [w.size])),
    );
    this.control = gpu.pool.acquire((1 + weights.length) * 4, TENSOR_USAGE, 'control');
    gpu.device.queue.writeBuffer(this.control, 0, new Float32Array(1 + weights.length));
  }

  /** Updates encoded so far that the GPU has not been found to skip (Keras's `iterations`). */
  get iteration(): number {
    return this.steps;
  }

  /** The optimizer's slots (moments, accumulators) of every weight, in weight order. */
  get slotTensors(): readonly Tensor[] {
    return this.slots.flat();
  }

  /** Puts the step count back (with slots restored from a copy taken at that step). */
  rewind(steps: number): void {
    this.steps = steps;
  }

  /**
   * Encodes one update of every weight from `grads` (in weight order), the loss at
   * stats[statsIndex] checked with them; regularizers[w] adds l1 / l2 to weight w's gradient.
   */
  encodeUpdate(
    encoder: GPUCommandEncoder,
    run: RunScope,
    grads: readonly GPUBuffer[],
    regularizers: readonly (Regularizer | undefined)[],
    stats: GPUBuffer,
    statsIndex: number,
  ): void {
    this.steps++;
    const pass = encoder.beginComputePass({ label: 'optimizer' });
    encodeGradientControl(this.gpu, pass, run, {
      grads: grads.map((buffer, i) => ({ buffer, size: this.weights[i].size })),
      control: this.control,
      loss: stats,
      lossIndex: statsIndex,
      config: this.config,
    });
    this.weights.forEach((w, i) =>
      encodeOptimizerUpdate(this.gpu, pass, run, {
        config: this.config,
        weight: w.buffer,
        grad: grads[i],
        slots: this.slots[i].map((s) => s.buffer),
        size: w.size,
        iteration: this.steps,
        control: this.control,
        controlIndex: i,
        l1: regularizers[i]?.l1,
        l2: regularizers[i]?.l2,
      }),
    );
    pass.end();
  }

  /** Clears the sticky non-finite status before training resumes. */
  clearStatus(): void {
    this.gpu.device.queue.writeBuffer(this.control, 0, new Float32Array(1));
  }

  /**
   * Throws a TrainingError if the GPU skipped updates after a non-finite loss or gradient;
   * the step count then goes back to `applied`, the updates made before the bad one.
   */
  async checkStatus(epoch: number, batch: number | undefined, loss: number, applied: number): Promise<void> {
    const [status] = await readFloats(this.gpu, this.control, 1);
    if (status === 0 && Number.isFinite(loss)) return;
    if (batch !== undefined) this.steps = applied;
    const where = batch === undefined ? `in epoch ${epoch}` : `at epoch ${epoch}, batch ${batch}`;
    const what = Number.isFinite(loss) ? 'a gradient became NaN or infinite' : `the loss became ${loss}`;
    throw new TrainingError(
      `Training stopped: ${what} ${where}. The weights are those after the last good step. Lower the learning rate, clip gradients (clipnorm / clipvalue), or check the data for extreme values.`,
    );
  }

  dispose(): void {
    for (const list of this.slots) for (const s of list) s.dispose();
    this.gpu.pool.release(this.control);
  }
}
