// Kernel: column sums over rows, for bias gradients (shaders/reduce_rows.wgsl).
import source from '../../shaders/reduce_rows.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { ceilDiv, encodeKernel } from './dispatch.js';

const WG = 64;

export const reduceRowsKernel: KernelSource = {
  name: 'reduce_rows',
  cacheKey: `reduce_rows:wg${WG}`,
  getShaderSource: () => source,
  constants: { WG },
  bindings: ['read', 'storage', 'uniform'],
};

/** Encodes y[n] = Σ_r x[r, n] (+ y[n] with `accumulate`) for x [R, N]: one dispatch. */
export function encodeReduceRows(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { x: GPUBuffer; y: GPUBuffer; R: number; N: number; accumulate?: boolean },
): void {
  const params = run.uniform(new Uint32Array([args.R, args.N, args.accumulate ? 1 : 0, 0]));
  encodeKernel(gpu, pass, reduceRowsKernel, [args.x, args.y, params], [ceilDiv(args.N, WG)], `column sums [${args.R}×${args.N}]`);
}
