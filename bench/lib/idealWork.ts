// The minimum work of a case: the FLOPs any design must do and the bytes it must move (every
// input read once, every result written once, nothing else), f32. The cost model's ideal
// (costModel.ts, modelIdeal) puts this in one dispatch.
//
// Shapes: X [B, T, D]; kernel Wx [D, G·H]; recurrent kernel Wh [H, G·H]; bias as Keras has it;
// G gates: LSTM 4 (i, f, g, o), GRU 3 (z, r, n), SimpleRNN 1.
// Generate: ids [B, P] in, Embedding table [V, D], Dense kernel [H, V] and bias [V], tokens [B, T] out.
import type { Work } from 'webgpu-rnn';
import { FUNCTION_FLOPS as F } from '../../src/runtime/dispatchRecord.js';
import type { Shape } from './types.js';

export type Cell = 'lstm' | 'gru' | 'simple_rnn';

export const GATES: Record<Cell, number> = { lstm: 4, gru: 3, simple_rnn: 1 };

/**
 * Pointwise FLOPs per unit and step of the forward cell, in the kernels' convention
 * (src/runtime/dispatchRecord.ts: an activation counts FUNCTION_FLOPS):
 * - LSTM 12 + 5F: x-part + h-part + bias on 4 gates (8), σ×3 and tanh×2, c = f·c + i·g (3), h = o·tanh(c) (1).
 * - GRU (resetAfter, Keras 2's default) 14 + 3F: two biases on 3 gates (6), z and r sums (2),
 *   n = tanh(xn + r·hn) (2), σ×2 and tanh, h = z·h + (1 − z)·n (4).
 * - SimpleRNN 2 + F: x-part + h-part (1), bias (1), tanh.
 */
export const POINTWISE: Record<Cell, number> = { lstm: 12 + 5 * F, gru: 14 + 3 * F, simple_rnn: 2 + F };

/** State tensors per unit the backward needs kept from each step: LSTM h and c; the others h. */
export const KEPT_STATES: Record<Cell, number> = { lstm: 2, gru: 1, simple_rnn: 1 };

/** Floats of the layer's weights: Wx D·G·H, Wh H·G·H, bias G·H (GRU resetAfter: 2·3H). */
export function weightFloats(cell: Cell, D: number, H: number): number {
  const GH = GATES[cell] * H;
  const bias = cell === 'gru' ? 2 * GH : GH;
  return D * GH + H * GH + bias;
}

/** Matmul FLOPs of one forward: T·B rows of [D + H] · [D + H, G·H], 2 a multiply-add. */
export function forwardMatmulFlops(cell: Cell, { B, T, D, H }: Shape): number {
  return 2 * T * B * GATES[cell] * H * (D + H);
}

export interface ForwardCase {
  cell: Cell;
  shape: Shape;
  /** The output is every h[t] [B, T, H]; otherwise the last h [B, H] (the bench's case). */
  returnSequences?: boolean;
}

/**
 * One forward of the layer from zero state:
 *   flops = 2·T·B·G·H·(D + H) + POINTWISE·T·B·H
 *   read  = 4·(B·T·D + weightFloats)          (X, Wx, Wh, b, once)
 *   write = 4·B·H (last h) or 4·T·B·H (returnSequences)
 */
export function idealForward({ cell, shape, returnSequences = false }: ForwardCase): Work {
  const { B, T, D, H } = shape;
  return {
    flops: forwardMatmulFlops(cell, shape) + POINTWISE[cell] * T * B * H,
    bytesRead: 4 * (B * T * D + weightFloats(cell, D, H)),
    bytesWritten: 4 * B * H * (returnSequences ? T : 1),
  };
}

export interface TrainCase {
  cell: Cell;
  shape: Shape;
  /** Units of a Dense head on the last h (the bench: 1), MSE against y [B, U]; 0: none. */
  denseUnits?: number;
  /** The gradient of X is wanted (the layer is not the model's first). */
  inputGrad?: boolean;
}

/**
 * One training step (forward, BPTT, MSE, plain SGD) of the layer and its Dense head.
 * FLOPs, with GH = G·H (≈ 3× the forward matmul, as every GEMM of the forward has two in the
 * backward):
 *   forward   2·T·B·GH·(D + H)            + POINTWISE·T·B·H
 *   backward  dWx 2·T·B·D·GH, dWh 2·T·B·H·GH, dh[t-1] = dG[t]·Whᵀ 2·(T−1)·B·GH·H
 *             (+ dX 2·T·B·GH·D with inputGrad) + 2·POINTWISE·T·B·H (the cell's derivative)
 *   head      3 × 2·B·H·U (y, dW, dh) + 3·B·U (the loss and its gradient)
 *   update    2 a weight (w −= lr·g)
 * Bytes: read X, y and every weight once; the states the backward needs (KEPT_STATES·T·B·H)
 * written once by the forward and read once by the backward (gates are recomputed: not kept);
 * each gradient written once; each weight written once (the update, its gradient read fused);
 * the loss (4 bytes); with inputGrad, dX.
 */
export function idealTrain({ cell, shape, denseUnits = 0, inputGrad = false }: TrainCase): Work {
  const { B, T, D, H } = shape;
  const GH = GATES[cell] * H;
  const U = denseUnits;
  const pointwise = POINTWISE[cell] * T * B * H;
  const backward = 2 * T * B * D * GH + 2 * T * B * H * GH + 2 * (T - 1) * B * GH * H + (inputGrad ? 2 * T * B * GH * D : 0) + 2 * pointwise;
  const head = U > 0 ? 3 * 2 * B * H * U + 3 * B * U : 0;
  const weights = weightFloats(cell, D, H) + (U > 0 ? H * U + U : 0);
  const kept = KEPT_STATES[cell] * T * B * H;
  return {
    flops: forwardMatmulFlops(cell, shape) + pointwise + backward + head + 2 * weights,
    bytesRead: 4 * (B * T * D + B * U + weights + kept),
    bytesWritten: 4 * (kept + 2 * weights + (U > 0 ? 1 : 0) + (inputGrad ? B * T * D : 0)),
  };
}

export interface GenerateCase {
  cell: Cell;
  /** B prompts side by side, T tokens generated, D the embedding width, H units. */
  shape: Shape;
  /** The vocabulary: Embedding(V → D) in, Dense(V, softmax) out. */
  V: number;
  /** Ids of each prompt (≥ 1): the first token comes after P steps of the cell. */
  promptLength: number;
}

/**
 * Greedy generation of T tokens after a prompt of P ids, B rows: the cell runs P + T − 1 steps
 * (the prompt, then each token but the last fed back), the head and the draw T:
 *   flops = the cell's forward over P + T − 1 steps
 *         + T·B·(2·H·V + V)        (Dense and bias)
 *         + T·B·V·(F + 2)          (softmax: exp, sum, divide)
 *         + T·B·V                  (the draw: one comparison a token of the vocabulary)
 *   read  = 4·(B·P + V·D + weightFloats + H·V + V)   (the prompt; every weight once, as the
 *           forward's ideal: one dispatch keeps them on chip; bytesPerRun re-reads them a token)
 *   write = 4·B·T                  (the tokens)
 */
export function idealGenerate({ cell, shape, V, promptLength: P }: GenerateCase): Work {
  const { B, T, D, H } = shape;
  const cellSteps = { ...shape, T: P + T - 1 };
  return {
    flops: forwardMatmulFlops(cell, cellSteps) + POINTWISE[cell] * cellSteps.T * B * H + T * B * (2 * H * V + V + V * (F + 2) + V),
    bytesRead: 4 * (B * P + V * D + weightFloats(cell, D, H) + H * V + V),
    bytesWritten: 4 * B * T,
  };
}
