// Keras's `goBackwards` and `stateful` on the CPU, the spec of lstm/sequenceOptions: a
// goBackwards layer is the forward layer on the input reversed in time (its output sequence
// stays in processing order), and a stateful layer starts each call from the last call's state.
import { ShapeError } from '../spec/errors.js';
import { cpuTensor, type CpuTensor } from './tensor.js';

/** x [B, T, F] batch-major with its steps in reverse order. */
export function reverseSteps(x: ArrayLike<number>, B: number, T: number, F: number): Float64Array {
  const out = new Float64Array(B * T * F);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) out[(b * T + t) * F + f] = x[(b * T + (T - 1 - t)) * F + f];
  return out;
}

/** The input a layer processes: x, or with goBackwards x reversed in time. */
export function processingInput(x: CpuTensor, goBackwards: boolean): CpuTensor {
  if (!goBackwards) return x;
  const [B, T, F] = x.shape;
  return cpuTensor(reverseSteps(x.data, B, T, F), x.shape);
}

/** The gradient of the layer's input from that of the processed input [B, T, D]. */
export function inputGradient(dProcessed: Float64Array, B: number, T: number, D: number, goBackwards: boolean): Float64Array {
  return goBackwards ? reverseSteps(dProcessed, B, T, D) : dProcessed;
}

export interface KeptState {
  h: Float64Array;
  c?: Float64Array;
}

/** The state a stateful reference layer keeps between calls (zeros for the first batch size). */
export class ReferenceKeptState {
  private state: KeptState | undefined;
  private fresh = true;

  constructor(
    private readonly owner: string,
    private readonly units: number,
    private readonly withCell: boolean,
  ) {}

  /** The kept state for a batch of B (zeros at first); the same size rules as the GPU's. */
  get(B: number): KeptState {
    const size = B * this.units;
    if (this.state && this.state.h.length !== size) {
      if (!this.fresh)
        throw new ShapeError(`${this.owner} is stateful and carries its state for batches of ${this.state.h.length / this.units}, but got a batch of ${B}.`);
      this.state = undefined;
    }
    this.state ??= { h: new Float64Array(size), c: this.withCell ? new Float64Array(size) : undefined };
    this.fresh = false;
    return this.state;
  }

  set(state: KeptState): void {
    this.state = { h: state.h.slice(), c: state.c?.slice() };
  }

  reset(): void {
    if (this.state) {
      this.state.h.fill(0);
      this.state.c?.fill(0);
    }
    this.fresh = true;
  }

  /** The kept state (copies), or undefined before the first call. */
  current(): KeptState | undefined {
    return this.state && { h: this.state.h.slice(), c: this.state.c?.slice() };
  }
}

/** A [B, T] mask in processing order: as it is, or reversed in time with goBackwards. */
export function processingMask(mask: ArrayLike<number> | undefined, B: number, T: number, goBackwards: boolean): Float64Array | undefined {
  if (!mask) return undefined;
  return goBackwards ? reverseSteps(mask, B, T, 1) : Float64Array.from(mask);
}

/** Keras masking in a forward: a masked step (mask[b, t] = 0) keeps h from slot t in slot t+1 of hseq [T+1, B, H]. */
export function carryMaskedStep(hseq: Float64Array, mask: ArrayLike<number> | undefined, t: number, B: number, T: number, H: number): void {
  if (!mask) return;
  for (let b = 0; b < B; b++) if (mask[b * T + t] === 0) hseq.copyWithin(((t + 1) * B + b) * H, (t * B + b) * H, (t * B + b + 1) * H);
}
