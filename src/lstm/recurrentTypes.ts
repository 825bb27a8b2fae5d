// The types the recurrent layers' base and cells share: one encoded sequence, how a layer's
// state is typed in its API, and the cell's part of one BPTT.
import type { Tensor } from '../runtime/tensor.js';
import type { Flow } from '../layers/layer.js';
import type { DropoutDraw } from './recurrentDropout.js';

/** The buffers of one encoded sequence, alive until the submit. */
export interface RecurrentSequence {
  input: Flow;
  /** [T+1, B, H] time-major, slot 0 = h0 */
  hseq: GPUBuffer;
  /** A cell with a c (LSTM): [B, H] final cell state; when kept, [T+1, B, H] with slot 0 = c0. */
  c?: GPUBuffer;
  B: number;
  T: number;
  /** A SimpleRNN with gelu or swish, training: [T, B, H] the steps' pre-activations. */
  pre?: GPUBuffer;
  /** Training with dropout / recurrentDropout: the masks' step and the recurrent mask. */
  draw?: DropoutDraw;
}

/** The gradient of a single-state layer's initial state, written by encodeBackward when asked. */
export interface HiddenStateGrad {
  /** [B, H] */
  h: GPUBuffer;
}

/** An initial state: h0 [batch, units], alone or in a one-element list (as TF.js). */
export type InitialHiddenState = Tensor | [Tensor];

/** How a layer's state is typed in its API: apply's initialState, getStates(), encodeBackward's stateGrads. */
export interface StateTypes {
  initial: unknown;
  values: Float32Array[];
  grad: HiddenStateGrad;
}

/** A single-state layer's (GRU, SimpleRNN): h. */
export interface HiddenStateTypes extends StateTypes {
  initial: InitialHiddenState;
  values: [Float32Array];
  grad: HiddenStateGrad;
}

/** One BPTT's buffers, for the cell's part of it. All in processing order. */
export interface Bptt<S extends StateTypes = HiddenStateTypes> {
  seq: RecurrentSequence;
  /** [T, B, H] time-major with returnSequences, else [B, H] */
  dOutput: Flow;
  /** The weights' gradients, Keras order. */
  grads: readonly GPUBuffer[];
  /** [T·B, gates·H] the gradient of the gate pre-activations, written by the cell's steps */
  dG: GPUBuffer;
  /** [gates·H, H] recurrentKernel transposed */
  uT: GPUBuffer;
  /** [T+1, B, H] the h[t-1] the recurrent matmul read: hseq, ⊙ the recurrent mask with recurrentDropout */
  hPrev: GPUBuffer;
  stateGrads?: S['grad'];
  /** [B, H] the gradient of the final c (cells with a c) */
  finalCellGrad?: GPUBuffer;
}

/** A cell's part of one BPTT, around the GEMMs the base encodes into the same pass. */
export interface CellBackward {
  /** After Uᵀ is written: the fused backward steps, which write dG. */
  encodeSteps(pass: GPUComputePassEncoder): void;
  /** The recurrent kernel's gradient into grads[1]; without it, Hprevᵀ·dG. */
  encodeRecurrentGrad?(pass: GPUComputePassEncoder): void;
  /** After the dX GEMM: ends `pass`, then writes the initial state's gradients when asked. */
  finish(pass: GPUComputePassEncoder): void;
}
