// What the recurrent layers (LSTM, GRU, SimpleRNN) share for Keras's `goBackwards` and
// `stateful`: the GEMM row mapping that reads the input backwards in time, where the backward
// pass writes the input gradient, and the state a stateful layer keeps on the GPU.
import type { GemmOptions } from '../kernels/gemm.js';
import type { Gpu } from '../runtime/device.js';
import { RnnError, ShapeError } from '../spec/errors.js';
import { TENSOR_USAGE } from '../runtime/gpuConstants.js';
import type { Flow, Layer, RecurrentState } from '../layers/layer.js';

/**
 * How the input projection's GEMM reads the rows of `input` [B, T, D] as time-major rows
 * t·B + b of the processing order: batch-major storage is read through the row mapping, and a
 * goBackwards layer reads step T−1−t. No copy of the input either way.
 */
export function inputRows(input: Flow, T: number, B: number, goBackwards: boolean): Pick<GemmOptions, 'aRowsBatchMajor' | 'aRowsReversed'> {
  return {
    aRowsBatchMajor: input.timeMajor ? undefined : { steps: T, batch: B },
    aRowsReversed: goBackwards ? { steps: T, batch: B } : undefined,
  };
}

/**
 * Where a recurrent layer's backward pass writes dX: time-major [T, B, D] in the input's step
 * order, overwriting it or (`accumulate`) adding to it. A Bidirectional layer gives both
 * directions one target, so that their input gradients sum inside the GEMMs.
 */
export interface InputGradTarget {
  buffer: GPUBuffer;
  accumulate: boolean;
}

/** The dX GEMM's rows: dG is in processing order; a goBackwards layer's step t is input step T−1−t. */
export function inputGradRows(T: number, B: number, goBackwards: boolean): Pick<GemmOptions, 'aRowsReversed'> {
  return { aRowsReversed: goBackwards ? { steps: T, batch: B } : undefined };
}

/**
 * The final state a stateful layer keeps between calls (Keras `stateful: true`): [B, units]
 * buffers owned by the layer, allocated for the first batch size it sees and zeroed then. Every
 * forward reads it as the initial state and leaves its final state there. A batch of another
 * size is an error, unless resetStates() came first (the state is zeros then, so nothing is lost).
 */
export class StatefulState {
  private state: RecurrentState | undefined;
  private batch = 0;
  /** Zeros since allocation or resetStates(): the next batch may have any size. */
  private fresh = true;

  constructor(
    private readonly owner: string,
    private readonly units: number,
    /** An LSTM keeps h and c; a single-state layer only h (its `c` is the same buffer). */
    private readonly withCell: boolean,
  ) {}

  /**
   * The state for a batch of `B`, allocated on first use and zeroed through the queue (so it is
   * zeros before any command buffer submitted later, whether or not the current one is).
   * Throws before anything is allocated or encoded.
   */
  forBatch(gpu: Gpu, B: number): RecurrentState {
    if (this.state && this.batch !== B) {
      if (!this.fresh) {
        throw new ShapeError(
          `${this.owner} is stateful and carries its state for batches of ${this.batch}, but got a batch of ${B}. Keep the batch size fixed (in fit, a batchSize that divides the number of samples), or call resetStates() before changing it.`,
        );
      }
      this.release(gpu);
    }
    if (!this.state) {
      const bytes = B * this.units * 4;
      const h = gpu.pool.acquire(bytes, TENSOR_USAGE, `${this.owner}/state h`);
      const c = this.withCell ? gpu.pool.acquire(bytes, TENSOR_USAGE, `${this.owner}/state c`) : h;
      this.state = { h, c };
      this.batch = B;
      this.clear(gpu);
    }
    this.fresh = false;
    return this.state;
  }

  /** Zeros the state (Keras resetStates). */
  reset(gpu: Gpu | undefined): void {
    if (this.state && gpu) this.clear(gpu);
    this.fresh = true;
  }

  /** Batch size of the kept state, or undefined before the first call. */
  get batchSize(): number | undefined {
    return this.state ? this.batch : undefined;
  }

  /** The kept state's buffers (for reading it back), or undefined before the first call. */
  get buffers(): RecurrentState | undefined {
    return this.state;
  }

  release(gpu: Gpu | undefined): void {
    if (!this.state) return;
    if (gpu) {
      gpu.pool.release(this.state.h);
      if (this.withCell) gpu.pool.release(this.state.c);
    }
    this.state = undefined;
    this.fresh = true;
  }

  private clear(gpu: Gpu): void {
    const zeros = new Float32Array(this.batch * this.units);
    gpu.device.queue.writeBuffer(this.state!.h, 0, zeros);
    if (this.withCell) gpu.device.queue.writeBuffer(this.state!.c, 0, zeros);
  }
}

/** Throws when a goBackwards layer is given a carried state by truncated BPTT. */
export function checkCarry(owner: string, goBackwards: boolean, carry: RecurrentState | undefined): void {
  if (carry && goBackwards) {
    throw new RnnError(
      `${owner} reads its input backwards (goBackwards), but truncated BPTT (fit tbptt) carries the state forward in time from window to window: train it without tbptt.`,
    );
  }
}

/** Whether `layer` keeps its state between calls: a stateful recurrent layer, or a Bidirectional of one. */
export function isStateful(layer: Layer): boolean {
  return (layer as { stateful?: unknown }).stateful === true;
}

/**
 * Whether `layer` reads its input sequence backwards, alone (goBackwards) or as one direction
 * of a Bidirectional: truncated BPTT, which carries the state forward from window to window,
 * does not apply to it.
 */
export function readsBackwards(layer: Layer): boolean {
  const l = layer as { config?: { goBackwards?: unknown }; backwardLayer?: unknown };
  return l.config?.goBackwards === true || l.backwardLayer !== undefined;
}
