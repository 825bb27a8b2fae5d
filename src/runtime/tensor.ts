// Tensor: a GPU buffer of f32 values with a row-major shape. Buffers come from the device's
// pool and go back to it on dispose().

import type { Gpu } from './device.js';
import { assertFinite, DisposedError, describeValue, formatShape, ShapeError } from '../spec/errors.js';
import { READBACK_USAGE, TENSOR_USAGE } from './gpuConstants.js';

/** Nested arrays of numbers, as Keras / TF.js accept them. */
export type NestedArray = number | readonly NestedArray[];
export type TensorData = Float32Array | Float64Array | readonly number[] | readonly NestedArray[];

export class Tensor {
  readonly size: number;
  private disposed = false;

  /**
   * @param ready settles when the kernels that write this tensor have been validated; it
   *   rejects with their KernelError, which `data()` then throws.
   */
  constructor(
    readonly gpu: Gpu,
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    public ready: Promise<void> = Promise.resolve(),
  ) {
    this.size = shapeSize(shape);
    gpu.countTensor(1);
  }

  get rank(): number {
    return this.shape.length;
  }

  get byteLength(): number {
    return this.size * 4;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Throws if the tensor was disposed. */
  assertUsable(what = 'This tensor'): void {
    if (this.disposed) throw new DisposedError(`${what} was disposed and its buffer reused: keep a tensor until you no longer need it.`);
    this.gpu.assertAlive();
  }

  /** Reads the values back to the CPU. */
  async data(): Promise<Float32Array> {
    this.assertUsable();
    await this.ready;
    const gpu = this.gpu;
    const staging = gpu.pool.acquire(this.byteLength, READBACK_USAGE, 'readback');
    try {
      await gpu.submit('read back', (encoder) => encoder.copyBufferToBuffer(this.buffer, 0, staging, 0, this.byteLength));
      await staging.mapAsync(0x0001 /* GPUMapMode.READ */, 0, this.byteLength);
      const values = new Float32Array(staging.getMappedRange(0, this.byteLength).slice(0));
      staging.unmap();
      return values;
    } finally {
      gpu.pool.release(staging);
    }
  }

  /** Values as nested arrays in the tensor's shape. */
  async array(): Promise<NestedArray> {
    return nest(await this.data(), this.shape);
  }

  /** A tensor with the same values and another shape of the same size (shares nothing). */
  reshape(shape: readonly number[]): Tensor {
    if (shapeSize(shape) !== this.size) {
      throw new ShapeError(`Cannot reshape ${formatShape(this.shape)} (${this.size} values) to ${formatShape(shape)}.`);
    }
    this.assertUsable();
    const copy = emptyTensor(this.gpu, shape, 'reshape');
    copy.ready = this.gpu.submit('reshape', (encoder) => encoder.copyBufferToBuffer(this.buffer, 0, copy.buffer, 0, this.byteLength));
    return copy;
  }

  /** Returns the buffer to the pool. Using the tensor afterwards throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.gpu.countTensor(-1);
    this.gpu.pool.release(this.buffer);
  }
}

export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) throw new ShapeError(`The shape ${formatShape(shape)} must hold positive whole numbers.`);
    size *= d;
  }
  return size;
}

/** `shape` checked to be an array of positive whole numbers, naming `what` in the error. */
export function checkShape(shape: unknown, what: string): readonly number[] {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ShapeError(`${what} must be an array of positive whole numbers, e.g. [batch, steps, features]; got ${describeValue(shape)}.`);
  }
  return shape;
}

/** A tensor whose buffer is taken from the pool and not initialized. */
export function emptyTensor(gpu: Gpu, shape: readonly number[], label: string, ready?: Promise<void>): Tensor {
  const bytes = shapeSize(shape) * 4;
  gpu.checkBindingSize(bytes, `A tensor of shape ${formatShape(shape)}`);
  return new Tensor(gpu, gpu.pool.acquire(bytes, TENSOR_USAGE, label), shape, ready);
}

/**
 * A tensor holding `data` in `shape` (row-major). `data` is flat (length = product of shape)
 * or nested arrays matching the shape. NaN and ±Infinity are rejected.
 *
 * @example
 * ```ts
 * const x = tensor(gpu, new Float32Array(2 * 5 * 3), [2, 5, 3]); // flat, with its shape
 * const y = tensor(gpu, [[0.1], [0.9]]);                         // nested: the shape is read
 * console.log(await x.data(), y.shape);
 * x.dispose(); y.dispose();
 * ```
 */
export function tensor(gpu: Gpu, data: TensorData, shape?: readonly number[]): Tensor {
  return namedTensor(gpu, data, shape, 'tensor(gpu, data, shape)');
}

/** tensor(), with errors that name the argument: `what` is e.g. 'fit: x'. */
export function namedTensor(gpu: Gpu, data: TensorData, shape: readonly number[] | undefined, what: string): Tensor {
  gpu.assertAlive();
  const checked = shape === undefined ? undefined : checkShape(shape, `${what}: shape`);
  const flat = toFloat32(data, checked, `${what}: data`);
  const t = emptyTensor(gpu, checked ?? inferShape(data, `${what}: data`), 'tensor');
  gpu.device.queue.writeBuffer(t.buffer, 0, flat.buffer, flat.byteOffset, flat.byteLength);
  return t;
}

/**
 * Flattens and checks `data` (named `what` in errors) against `shape` when given: a typed
 * array of numbers or nested arrays of numbers, not ragged, of the shape's size, finite.
 */
export function toFloat32(data: TensorData, shape?: readonly number[], what = 'The data'): Float32Array {
  let flat: Float32Array;
  if (data instanceof Float32Array) flat = data;
  else if (ArrayBuffer.isView(data) && !(data instanceof DataView) && !(data instanceof BigInt64Array) && !(data instanceof BigUint64Array)) {
    flat = Float32Array.from(data as unknown as ArrayLike<number>);
  } else if (Array.isArray(data)) {
    const nestedShape = inferShape(data, what);
    if (shape && nestedShape.length > 1 && formatShape(nestedShape) !== formatShape(shape)) {
      throw new ShapeError(`${what} is nested as ${formatShape(nestedShape)} but the shape given is ${formatShape(shape)}.`);
    }
    flat = Float32Array.from((data as NestedArray[]).flat(Infinity as 1) as number[]);
  } else {
    throw new ShapeError(`${what} must be a Float32Array, a Float64Array or (nested) arrays of numbers; got ${describeValue(data)}.`);
  }
  const expected = shape ? shapeSize(shape) : flat.length;
  if (flat.length !== expected) {
    throw new ShapeError(`${what} has ${flat.length} values but shape ${formatShape(shape ?? [])} needs ${expected}.`);
  }
  assertFinite(flat, what);
  return flat;
}

/** The shape of nested arrays, checking that every leaf is a number at the same depth. */
export function inferShape(data: TensorData, what: string): number[] {
  if (ArrayBuffer.isView(data)) return [(data as Float32Array).length];
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) throw new ShapeError(`${what} holds an empty array: every dimension must be at least 1.`);
    level = level[0];
  }
  checkNested(data as NestedArray, shape, [], what);
  return shape;
}

function checkNested(level: unknown, shape: number[], at: number[], what: string): void {
  const where = at.map((i) => `[${i}]`).join('');
  if (at.length === shape.length) {
    if (typeof level !== 'number') {
      const deeper = Array.isArray(level) ? 'an array, deeper than elsewhere' : describeValue(level);
      throw new ShapeError(`${what} holds ${deeper} at ${where}: every value must be a number, nested to the same depth.`);
    }
    return;
  }
  if (!Array.isArray(level) || level.length !== shape[at.length]) {
    throw new ShapeError(
      `${what} is ragged at ${where || 'the top'}: every row at depth ${at.length} must have ${shape[at.length]} entries, got ${describeValue(level)}.`,
    );
  }
  level.forEach((child, i) => checkNested(child, shape, [...at, i], what));
}

function nest(values: Float32Array, shape: readonly number[]): NestedArray {
  if (shape.length <= 1) return Array.from(values);
  const [head, ...rest] = shape;
  const stride = values.length / head;
  return Array.from({ length: head }, (_, i) => nest(values.subarray(i * stride, (i + 1) * stride), rest));
}
