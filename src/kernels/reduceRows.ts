// Kernel: column sums over rows, for bias gradients (shaders/reduce_rows.wgsl).
import source from '../../shaders/reduce_rows.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, type Work } from '../runtime/dispatchRecord.js';
import { ceilDiv, encodeKernel } from './dispatch.js';

/** Columns a workgroup sums, and the lanes that split each column's rows (a power of two). */
const COLS = 8;
const LANES = 32;

export const reduceRowsKernel: KernelSource = {
  name: 'reduce_rows',
  cacheKey: `reduce_rows:cols${COLS}:lanes${LANES}`,
  getShaderSource: () => source,
  constants: { COLS, LANES },
  bindings: ['read', 'storage', 'uniform'],
};

/**
 * Work of the column sums, per column: the lanes' R adds, the tree's LANES − 1, + y 1 with
 * accumulate. Reads x [R, N] (+ y [N]); writes y [N].
 */
export function reduceRowsWork(a: { R: number; N: number; accumulate?: boolean }): Work {
  const acc = a.accumulate ? a.N : 0;
  return f32Work((a.R + LANES - 1) * a.N + acc, a.R * a.N + acc, a.N);
}

/** Encodes y[n] = Σ_r x[r, n] (+ y[n] with `accumulate`) for x [R, N]: one dispatch of ceil(N / COLS) workgroups. */
export function encodeReduceRows(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { x: GPUBuffer; y: GPUBuffer; R: number; N: number; accumulate?: boolean },
): void {
  const params = run.uniform(new Uint32Array([args.R, args.N, args.accumulate ? 1 : 0, 0]));
  encodeKernel(gpu, pass, reduceRowsKernel, [args.x, args.y, params], [ceilDiv(args.N, COLS)], `column sums [${args.R}×${args.N}]`, {
    workgroupSize: COLS * LANES,
    work: () => reduceRowsWork(args),
  });
}
