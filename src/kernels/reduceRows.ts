// Kernel: column sums over rows, for bias gradients (shaders/reduce_rows.wgsl).
import source from '../../shaders/reduce_rows.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, type Work } from '../runtime/dispatchRecord.js';
import { ceilDiv, encodeKernel } from './dispatch.js';

/** Invocations a workgroup. */
const WG = 256;

/**
 * Lanes that split each column's rows (a power of two): 32 for long columns (bias gradients
 * over T·B rows), 1 for short ones (a split-K GEMM's few slices), where the invocations are
 * better spent on more columns. The workgroup sums WG / lanes columns.
 */
export function reduceLanes(R: number): number {
  return R >= 64 ? 32 : 1;
}

export function reduceRowsKernel(lanes: number): KernelSource {
  return {
    name: 'reduce_rows',
    cacheKey: `reduce_rows:wg${WG}:lanes${lanes}`,
    getShaderSource: () => source,
    constants: { COLS: WG / lanes, LANES: lanes },
    bindings: ['read', 'storage', 'uniform'],
  };
}

/**
 * Work of the column sums, per column: the lanes' R adds, the tree's lanes − 1, + y 1 with
 * accumulate. Reads x [R, N] (+ y [N]); writes y [N].
 */
export function reduceRowsWork(a: { R: number; N: number; accumulate?: boolean }): Work {
  const acc = a.accumulate ? a.N : 0;
  return f32Work((a.R + reduceLanes(a.R) - 1) * a.N + acc, a.R * a.N + acc, a.N);
}

/** Encodes y[n] = Σ_r x[r, n] (+ y[n] with `accumulate`) for x [R, N]: one dispatch of ceil(N / (WG / lanes)) workgroups. */
export function encodeReduceRows(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { x: GPUBuffer; y: GPUBuffer; R: number; N: number; accumulate?: boolean },
): void {
  const params = run.uniform(new Uint32Array([args.R, args.N, args.accumulate ? 1 : 0, 0]));
  const lanes = reduceLanes(args.R);
  encodeKernel(gpu, pass, reduceRowsKernel(lanes), [args.x, args.y, params], [ceilDiv(args.N, WG / lanes)], `column sums [${args.R}×${args.N}]`, {
    workgroupSize: WG,
    work: () => reduceRowsWork(args),
  });
}
