// What one dispatch does, as the kernel's own formula computes it from its shapes: the input of
// the GPU cost model (bench/lib/costModel.ts) and of `npm run bench -- --profile`.

/** Work of one dispatch: arithmetic and storage traffic, from the kernel's shapes. */
export interface Work {
  /** Floating-point operations (a multiply-add counts 2). */
  flops: number;
  /** Bytes of storage buffers read, each element counted once (the minimum traffic). */
  bytesRead: number;
  /** Bytes of storage buffers written. */
  bytesWritten: number;
}

/** One dispatch encoded by the runtime. */
export interface DispatchRecord extends Work {
  /** The kernel family and entry point, e.g. 'lstm_step_forward/main_split_k'. */
  kernel: string;
  /** Workgroups in x, y, z. */
  workgroups: [number, number, number];
  /** Invocations: workgroups × the workgroup size. */
  invocations: number;
}

/** Collects the dispatches encoded while it is attached to a Gpu (see Gpu.recordDispatches). */
export class DispatchLog {
  readonly records: DispatchRecord[] = [];

  add(record: DispatchRecord): void {
    this.records.push(record);
  }
}

// The convention of every work formula (the exported …Work functions of src/kernels):
//   FLOPs   a multiply-add counts 2; a reduction (dot product or sum) of K terms counts its
//           accumulation loop, 2K or K, and adding its result to another value 1 more; every
//           other f32 add, subtract, multiply, divide, negate, min, max, abs, sign or comparison
//           1 (a clamp 2); one evaluation of exp, log or sqrt, of an activation or of its
//           derivative from the output, FUNCTION_FLOPS (activationFlops: linear 0). Integer and
//           index arithmetic, hashing, selects, bounds and id guards count 0, as do the tree
//           combines of lane partials in workgroup memory.
//   Paths   the formula sees shapes only: a masked step, an invalid id or an early exit counts
//           as the full path.
//   Bytes   4 a storage element (f32 or u32); each element a dispatch reads counted once in
//           bytesRead, each it writes once in bytesWritten (a read_write element updated in
//           place counts in both); uniforms are not counted.

/** FLOPs of one evaluation of exp, log, sqrt, an activation or an activation's derivative. */
export const FUNCTION_FLOPS = 4;

/** FLOPs of one evaluation of the activation `name` (or of its derivative): 0 for linear. */
export function activationFlops(name: string): number {
  return name === 'linear' ? 0 : FUNCTION_FLOPS;
}

/** Work of f32 (4-byte) elements: `flops`, `read` elements read, `written` elements written. */
export function f32Work(flops: number, read: number, written: number): Work {
  return { flops, bytesRead: 4 * read, bytesWritten: 4 * written };
}

/** Σ of the work of `records`. */
export function totalWork(records: readonly Work[]): Work {
  const w: Work = { flops: 0, bytesRead: 0, bytesWritten: 0 };
  for (const r of records) {
    w.flops += r.flops;
    w.bytesRead += r.bytesRead;
    w.bytesWritten += r.bytesWritten;
  }
  return w;
}
