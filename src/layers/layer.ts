// What every GPU layer shares: its weights as tensors (Keras order and layout), their
// all-or-nothing replacement, and the value that flows between layers inside one command buffer.
import type { Gpu, RunScope } from '../runtime/device.js';
import { formatShape, RnnError, ShapeError } from '../spec/errors.js';
import { emptyTensor, shapeSize, Tensor, toFloat32, type TensorData } from '../runtime/tensor.js';
import { encodeTimeToBatchMajor } from '../kernels/sequenceLayout.js';

/**
 * A layer's output inside a command buffer, not yet a Tensor. `shape` is the logical shape
 * ([B, T, F] or [B, F]); with `timeMajor`, a rank-3 value is stored as [T, B, F].
 * `buffer` holds it from element `offset` on and lives until the submit.
 */
export interface Flow {
  buffer: GPUBuffer;
  offset: number;
  shape: number[];
  timeMajor: boolean;
  /**
   * Keras masking: [B, T] f32 1/0, batch-major, from element 0 (made by Masking or Embedding
   * with maskZero). A step with 0 is skipped by recurrent layers (they carry their state
   * through). Layers that keep the time axis pass it on; a recurrent layer without
   * returnSequences consumes it.
   */
  mask?: GPUBuffer;
}

export function flowOf(t: Tensor): Flow {
  return { buffer: t.buffer, offset: 0, shape: [...t.shape], timeMajor: false };
}

/** `flow` with the mask `mask` ([B, T] of 1/0, checked against the flow's shape), or as it is without one. */
export function withMask(flow: Flow, mask: Tensor | undefined): Flow {
  if (!mask) return flow;
  mask.assertUsable('The mask');
  const [B, T] = flow.shape;
  if (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T) {
    throw new ShapeError(`The mask must have shape [batch=${B}, steps=${T}] (1 = keep, 0 = masked), got ${formatShape(mask.shape)}.`);
  }
  return { ...flow, mask: mask.buffer };
}

/** A recurrent layer's state [B, units]: h and c. */
export interface RecurrentState {
  h: GPUBuffer;
  c: GPUBuffer;
}

/** Keras's L1 / L2 regularizer: adds l1·Σ|w| + l2·Σw² to the loss. */
export interface Regularizer {
  l1?: number;
  l2?: number;
}

/** A weight handed to setWeights: a tensor or values (flat or nested) of the weight's shape. */
export type WeightValue = Tensor | TensorData;

export abstract class Layer {
  protected gpu: Gpu | undefined;
  protected weights: Tensor[] = [];
  /** Input shape without the batch dimension, once built. */
  inputShape: number[] | undefined;

  constructor(readonly name: string) {}

  get built(): boolean {
    return this.gpu !== undefined;
  }

  /** Output shape without the batch dimension for an input shape without it. */
  abstract computeOutputShape(inputShape: readonly number[]): number[];

  /** Shapes of the weights, in Keras order, for an input shape without the batch dimension. */
  abstract weightShapes(inputShape: readonly number[]): number[][];

  /** Initial weight values, in Keras order. */
  protected abstract initialWeights(inputShape: readonly number[]): Float32Array[];

  /**
   * Encodes the layer's forward pass; returns its output without materializing it. A
   * recurrent layer given `carry` starts from its state and leaves its final state there.
   */
  abstract encode(encoder: GPUCommandEncoder, run: RunScope, input: Flow, carry?: RecurrentState): Flow;

  /** The forward pass of training: also returns what the backward pass needs. */
  abstract encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow, carry?: RecurrentState): { output: Flow; saved: unknown };

  /** Units of the state a recurrent layer carries (truncated BPTT); undefined for others. */
  get stateUnits(): number | undefined {
    return undefined;
  }

  /**
   * Encodes the backward pass from `dOutput` (laid out as the forward's output flow; or, with
   * `dOutput.preActivation`, the gradient before the layer's activation, from a fused loss).
   * Writes the gradient of weight i into `grads[i]` (overwriting), and returns the gradient
   * of the input, laid out as the input flow, when `needInputGrad`.
   */
  abstract encodeBackward(
    encoder: GPUCommandEncoder,
    run: RunScope,
    saved: unknown,
    dOutput: Flow & { preActivation?: boolean },
    grads: readonly GPUBuffer[],
    needInputGrad: boolean,
  ): Flow | undefined;

  /** L1 / L2 penalties of each weight, in weight order (undefined for none). */
  regularizers(): (Regularizer | undefined)[] {
    return this.weights.map(() => undefined);
  }

  /** The weights' GPU tensors, in Keras order (owned by the layer: do not dispose). */
  get weightTensors(): readonly Tensor[] {
    return this.weights;
  }

  /** Creates the weights on `gpu` for inputs of `inputShape` (no batch dimension). */
  build(gpu: Gpu, inputShape: readonly number[]): void {
    if (this.gpu) {
      if (this.gpu !== gpu) throw new RnnError(`${this.name} was built on another device: make a new layer for this one.`);
      this.checkInputShape(inputShape);
      return;
    }
    const shapes = this.weightShapes(inputShape);
    for (const [i, shape] of shapes.entries()) {
      gpu.checkBindingSize(4 * shapeSize(shape), `${this.name} weight ${i} of shape ${formatShape(shape)}`, 'use fewer units (or input features)');
    }
    const values = this.initialWeights(inputShape);
    this.weights = values.map((v, i) => uploadWeight(gpu, v, shapes[i], `${this.name}/weight${i}`));
    this.gpu = gpu;
    this.inputShape = [...inputShape];
  }

  /** Throws a ShapeError if `inputShape` (no batch dimension) does not fit the built layer. */
  checkInputShape(inputShape: readonly number[]): void {
    const expected = this.inputShape;
    if (!expected) return;
    const ok = inputShape.length === expected.length && inputShape.every((d, i) => d === expected[i] || (i === 0 && expected.length === 2 && expected[0] < 0));
    if (!ok) {
      throw new ShapeError(
        `${this.name} expects inputs of shape [batch, ${expected.map((d) => (d < 0 ? 'any' : d)).join(', ')}], got [batch, ${inputShape.join(', ')}].`,
      );
    }
  }

  protected requireBuilt(): Gpu {
    if (!this.gpu) throw new RnnError(`${this.name} has no weights yet: give the first layer an inputShape or call predict once.`);
    this.gpu.assertAlive();
    return this.gpu;
  }

  /** Copies of the weights as tensors, in Keras order (dispose them when done). */
  getWeights(): Tensor[] {
    const gpu = this.requireBuilt();
    const copies = this.weights.map((w) => emptyTensor(gpu, w.shape, `${this.name}/copy`));
    gpu.submit(`${this.name}.getWeights`, (encoder) => {
      this.weights.forEach((w, i) => encoder.copyBufferToBuffer(w.buffer, 0, copies[i].buffer, 0, w.byteLength));
    });
    return copies;
  }

  /** The weights read back to the CPU, in Keras order. */
  async getWeightData(): Promise<Float32Array[]> {
    this.requireBuilt();
    return Promise.all(this.weights.map((w) => w.data()));
  }

  /**
   * Replaces every weight. All are checked (count, size, finite values) before any is
   * written: on an error the layer keeps the weights it had.
   */
  setWeights(values: readonly WeightValue[]): void {
    this.writeWeights(this.checkWeights(values));
  }

  /** Checks `values` against the weights (count, size, finite values): what setWeights writes. */
  checkWeights(values: readonly WeightValue[]): (Tensor | Float32Array)[] {
    const gpu = this.requireBuilt();
    const shapes = this.weights.map((w) => w.shape);
    if (values.length !== shapes.length) {
      throw new ShapeError(`${this.name} has ${shapes.length} weights (${shapes.map(formatShape).join(', ')}), got ${values.length}.`);
    }
    return values.map((v, i) => {
      const what = `${this.name} weight ${i} of shape ${formatShape(shapes[i])}`;
      if (v instanceof Tensor) {
        v.assertUsable(what);
        if (v.gpu !== gpu)
          throw new RnnError(`${what} got a tensor of another device: read it with data() and pass the values, or create it on this layer's device.`);
        if (v.size !== shapeSize(shapes[i])) throw new ShapeError(`${what} got a tensor of shape ${formatShape(v.shape)}.`);
        return v;
      }
      return toFloat32(v, shapes[i], what);
    });
  }

  /** Writes weights that checkWeights returned. */
  writeWeights(checked: readonly (Tensor | Float32Array)[]): void {
    const gpu = this.requireBuilt();
    gpu.submit(`${this.name}.setWeights`, (encoder) => {
      checked.forEach((v, i) => {
        const target = this.weights[i].buffer;
        if (v instanceof Tensor) encoder.copyBufferToBuffer(v.buffer, 0, target, 0, v.byteLength);
        else gpu.device.queue.writeBuffer(target, 0, v.buffer, v.byteOffset, v.byteLength);
      });
    });
  }

  /** Number of weight values. */
  countParams(): number {
    return this.weights.reduce((n, w) => n + w.size, 0);
  }

  dispose(): void {
    for (const w of this.weights) w.dispose();
    this.weights = [];
    this.gpu = undefined;
  }
}

function uploadWeight(gpu: Gpu, values: Float32Array, shape: number[], label: string): Tensor {
  const t = emptyTensor(gpu, shape, label);
  gpu.device.queue.writeBuffer(t.buffer, 0, values.buffer, values.byteOffset, values.byteLength);
  return t;
}

/** Writes `flow` into a new batch-major tensor, inside the same command buffer. */
export function materialize(gpu: Gpu, encoder: GPUCommandEncoder, run: RunScope, flow: Flow): Tensor {
  const out = emptyTensor(gpu, flow.shape, 'output');
  materializeInto(gpu, encoder, run, flow, out.buffer, 0);
  return out;
}

/** `flow` batch-major into `target` from element `at` (its rows of a larger output). */
export function materializeInto(gpu: Gpu, encoder: GPUCommandEncoder, run: RunScope, flow: Flow, target: GPUBuffer, at: number): void {
  const bytes = flow.shape.reduce((a, b) => a * b, 1) * 4;
  if (flow.timeMajor && flow.shape.length === 3) {
    const [B, T, H] = flow.shape;
    const y = at === 0 ? target : run.scratch(bytes, 'batch-major rows');
    const pass = encoder.beginComputePass({ label: 'to batch-major' });
    encodeTimeToBatchMajor(gpu, pass, run, { src: flow.buffer, srcOffset: flow.offset, y, T, B, H });
    pass.end();
    if (y !== target) encoder.copyBufferToBuffer(y, 0, target, at * 4, bytes);
  } else {
    encoder.copyBufferToBuffer(flow.buffer, flow.offset * 4, target, at * 4, bytes);
  }
}

/**
 * A recurrent layer's input gradient dX, computed time-major [T, B, D], in the layout of the
 * layer's input flow: as it is for a time-major input, copied batch-major otherwise (so that
 * a layer below, e.g. a Dense on the raw input, reads it in its own output's layout).
 */
export function inputGradientFlow(gpu: Gpu, encoder: GPUCommandEncoder, run: RunScope, dX: GPUBuffer, input: Flow): Flow {
  const [B, T, D] = input.shape;
  if (input.timeMajor) return { buffer: dX, offset: 0, shape: [B, T, D], timeMajor: true };
  const batchMajor = run.scratch(B * T * D * 4, 'dX batch-major');
  const pass = encoder.beginComputePass({ label: 'dX to batch-major' });
  encodeTimeToBatchMajor(gpu, pass, run, { src: dX, srcOffset: 0, y: batchMajor, T, B, H: D });
  pass.end();
  return { buffer: batchMajor, offset: 0, shape: [B, T, D], timeMajor: false };
}
