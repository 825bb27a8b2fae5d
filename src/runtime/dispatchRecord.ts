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
