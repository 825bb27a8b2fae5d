// The one dispatch path of the kernels: the adapter's limit check, dispatchWorkgroups, and a
// DispatchRecord (gpu.noteDispatch) from the kernel's workgroup size and work formula.
import type { Gpu, KernelSource } from '../runtime/device.js';
import type { Work } from '../runtime/dispatchRecord.js';
import { LimitError } from '../spec/errors.js';

export function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

/** What a dispatch does, beside its workgroup counts: the record's inputs. */
export interface DispatchCost {
  /** Invocations of one workgroup: the product of the shader's @workgroup_size. */
  workgroupSize: number;
  /** The kernel's work formula for this dispatch; called only while a DispatchLog is attached. */
  work: () => Work;
}

/** The record's kernel name: the KernelSource name and its entry point, e.g. 'gemm/main'. */
export function kernelLabel(kernel: KernelSource): string {
  return `${kernel.name}/${kernel.entryPoint ?? 'main'}`;
}

/**
 * Dispatches `pass` (x·y·z workgroups of `kernel`, whose pipeline is set) after checking each
 * count against the adapter's limit, and notes the dispatch: invocations = x·y·z·workgroupSize.
 */
export function dispatch(gpu: Gpu, pass: GPUComputePassEncoder, what: string, kernel: KernelSource, cost: DispatchCost, x: number, y = 1, z = 1): void {
  const limit = gpu.limits.maxComputeWorkgroupsPerDimension;
  if (x > limit || y > limit || z > limit) {
    throw new LimitError(`${what} needs ${x}×${y}×${z} workgroups, over this adapter's limit of ${limit} per dimension: use a smaller batch or fewer units.`);
  }
  pass.dispatchWorkgroups(x, y, z);
  gpu.noteDispatch(() => ({ kernel: kernelLabel(kernel), workgroups: [x, y, z], invocations: x * y * z * cost.workgroupSize, ...cost.work() }));
}

/** Sets `kernel`'s pipeline and a bind group of `bindings` on `pass`, then dispatches it. */
export function encodeKernel(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  kernel: KernelSource,
  bindings: readonly (GPUBuffer | GPUBufferBinding)[],
  workgroups: readonly [number, number?, number?],
  what: string,
  cost: DispatchCost,
): void {
  const compiled = gpu.kernel(kernel);
  pass.setPipeline(compiled.pipeline);
  pass.setBindGroup(0, gpu.bindGroup(compiled, bindings));
  dispatch(gpu, pass, what, kernel, cost, ...workgroups);
}
