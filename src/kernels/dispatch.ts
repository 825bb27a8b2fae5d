import type { Gpu } from '../runtime/device.js';
import { LimitError } from '../runtime/errors.js';

export function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

/** Dispatches `pass` after checking each workgroup count against the adapter's limit. */
export function dispatch(gpu: Gpu, pass: GPUComputePassEncoder, what: string, x: number, y = 1, z = 1): void {
  const limit = gpu.limits.maxComputeWorkgroupsPerDimension;
  if (x > limit || y > limit || z > limit) {
    throw new LimitError(
      `${what} needs ${x}×${y}×${z} workgroups, over this adapter's limit of ${limit} per dimension: use a smaller batch or fewer units.`,
    );
  }
  pass.dispatchWorkgroups(x, y, z);
}
