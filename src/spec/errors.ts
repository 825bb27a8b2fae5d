/** Base class of every error the library throws on purpose: the message says what is wrong and what to do. */
export class RnnError extends Error {
  override name = 'RnnError';
}

/** A shape, a length or a value handed over by the caller is not what the operation needs. */
export class ShapeError extends RnnError {
  override name = 'ShapeError';
}

/** Data handed over from the CPU holds NaN or ±Infinity. */
export class NonFiniteError extends RnnError {
  override name = 'NonFiniteError';
}

/** A buffer or dispatch would exceed a limit of the adapter. */
export class LimitError extends RnnError {
  override name = 'LimitError';
}

/** No WebGPU adapter could be found or the device was lost. */
export class DeviceError extends RnnError {
  override name = 'DeviceError';
}

/** A tensor, layer or model was used after dispose(): its buffers may already hold other data. */
export class DisposedError extends RnnError {
  override name = 'DisposedError';
}

/** WebGPU reported a validation or out-of-memory error while running a kernel. */
export class KernelError extends RnnError {
  override name = 'KernelError';
}

/** A short description of a value handed over by the caller, for error messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length <= 6 ? `[${value.map(describeValue).join(', ')}]` : `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'function') return 'a function';
  return `a ${value.constructor?.name ?? 'object'}`;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws a NonFiniteError naming `what` and the first bad index if `values` holds NaN or ±Infinity. */
export function assertFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new NonFiniteError(
        `${what} holds ${values[i]} at flat index ${i}: clean or impute the data before handing it over (NaN and ±Infinity are rejected).`,
      );
    }
  }
}
