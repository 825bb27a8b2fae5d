import type { Gpu, KernelSource } from '../runtime/device.js';
import { LimitError } from '../spec/errors.js';

export function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

/** Dispatches `pass` after checking each workgroup count against the adapter's limit. */
export function dispatch(gpu: Gpu, pass: GPUComputePassEncoder, what: string, x: number, y = 1, z = 1): void {
  const limit = gpu.limits.maxComputeWorkgroupsPerDimension;
  if (x > limit || y > limit || z > limit) {
    throw new LimitError(`${what} needs ${x}×${y}×${z} workgroups, over this adapter's limit of ${limit} per dimension: use a smaller batch or fewer units.`);
  }
  pass.dispatchWorkgroups(x, y, z);
}

/** Sets `kernel`'s pipeline and a bind group of `bindings` on `pass`, then dispatches it. */
export function encodeKernel(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  kernel: KernelSource,
  bindings: readonly (GPUBuffer | GPUBufferBinding)[],
  workgroups: readonly [number, number?, number?],
  what: string,
): void {
  const compiled = gpu.kernel(kernel);
  pass.setPipeline(compiled.pipeline);
  pass.setBindGroup(0, gpu.bindGroup(compiled, bindings));
  dispatch(gpu, pass, what, ...workgroups);
}
