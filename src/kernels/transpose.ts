// Kernel: matrix transpose through a shared-memory tile (shaders/transpose.wgsl).
import source from '../../shaders/transpose.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, type Work } from '../runtime/dispatchRecord.js';
import { ceilDiv, encodeKernel } from './dispatch.js';

export const transposeKernel: KernelSource = {
  name: 'transpose',
  cacheKey: 'transpose:16',
  getShaderSource: () => source,
  bindings: ['read', 'storage', 'uniform'],
};

/** Work of a transpose: a copy, no flops; reads x [R, C], writes y [C, R]. */
export function transposeWork(a: { R: number; C: number }): Work {
  return f32Work(0, a.R * a.C, a.R * a.C);
}

/** Encodes y[C, R] = xᵀ for x [R, C]: one dispatch. */
export function encodeTranspose(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: { x: GPUBuffer; y: GPUBuffer; R: number; C: number }): void {
  const params = run.uniform(new Uint32Array([args.R, args.C, 0, 0]));
  encodeKernel(gpu, pass, transposeKernel, [args.x, args.y, params], [ceilDiv(args.C, 16), ceilDiv(args.R, 16)], `transpose [${args.R}×${args.C}]`, {
    workgroupSize: 16 * 16,
    work: () => transposeWork(args),
  });
}
