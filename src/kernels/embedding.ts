// Kernels: embedding lookup (shaders/embedding_gather.wgsl) and the scatter-add of its
// gradient into the rows used (shaders/embedding_scatter_add.wgsl).
import gatherSource from '../../shaders/embedding_gather.wgsl?raw';
import scatterSource from '../../shaders/embedding_scatter_add.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, type Work } from '../runtime/dispatchRecord.js';
import { ceilDiv, encodeKernel } from './dispatch.js';

const WG = 64;

export const embeddingGatherKernel: KernelSource = {
  name: 'embedding_gather',
  cacheKey: `embedding_gather:wg${WG}`,
  getShaderSource: () => gatherSource,
  constants: { WG },
  bindings: ['read', 'read', 'storage', 'uniform'],
};

export const embeddingScatterAddKernel: KernelSource = {
  name: 'embedding_scatter_add',
  cacheKey: `embedding_scatter_add:wg${WG}`,
  getShaderSource: () => scatterSource,
  constants: { WG },
  bindings: ['read', 'read', 'storage', 'uniform'],
};

/**
 * Workgroups (gx, gy) covering `count` invocations of WG, one per value, with gx within the
 * adapter's per-dimension limit; the shaders read the flat index as id.y·gx·WG + id.x.
 */
export function flatGrid(gpu: Gpu, count: number, wg = WG): [number, number] {
  const groups = Math.max(1, ceilDiv(count, wg));
  const gx = Math.min(groups, gpu.limits.maxComputeWorkgroupsPerDimension);
  return [gx, ceilDiv(groups, gx)];
}

/** Work of the lookup: a copy, no flops; reads ids [rows] and rows·E table values, writes y [rows, E]. */
export function embeddingGatherWork(a: { rows: number; E: number }): Work {
  return f32Work(0, a.rows + a.rows * a.E, a.rows * a.E);
}

/**
 * Work of the scatter-add over n = B·T·E values: one add each (the compare-exchange retries
 * are data); reads ids [B, T], dY, and dW at each target (read_write, counted in both).
 */
export function embeddingScatterAddWork(a: { B: number; T: number; E: number }): Work {
  const n = a.B * a.T * a.E;
  return f32Work(n, a.B * a.T + 2 * n, n);
}

/** Encodes y [rows, E] = W[ids[xOffset + r], :] (zero rows for invalid ids): one dispatch. */
export function encodeEmbeddingGather(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { ids: GPUBuffer; idsOffset?: number; table: GPUBuffer; y: GPUBuffer; rows: number; E: number; V: number },
): void {
  const { rows, E, V } = args;
  const params = run.uniform(new Uint32Array([rows, E, V, args.idsOffset ?? 0]));
  encodeKernel(gpu, pass, embeddingGatherKernel, [args.ids, args.table, args.y, params], flatGrid(gpu, rows * E), `embedding lookup [${rows} ids, ${E}]`, {
    workgroupSize: WG,
    work: () => embeddingGatherWork(args),
  });
}

/**
 * Encodes dW[ids[b, t], :] += dY[b, t, :] over ids [B, T] (batch-major, from element
 * `idsOffset`) and dY [B, T, E] (time-major [T, B, E] with `timeMajor`, from `dyOffset`), by
 * f32 compare-exchange on dW [V, E]: one dispatch. dW must hold zeros (or the sum to add to).
 */
export function encodeEmbeddingScatterAdd(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { ids: GPUBuffer; idsOffset?: number; dY: GPUBuffer; dyOffset?: number; timeMajor: boolean; dW: GPUBuffer; B: number; T: number; E: number; V: number },
): void {
  const { B, T, E, V } = args;
  const params = run.uniform(new Uint32Array([B, T, E, V, args.idsOffset ?? 0, args.dyOffset ?? 0, args.timeMajor ? 1 : 0, 0]));
  encodeKernel(
    gpu,
    pass,
    embeddingScatterAddKernel,
    [args.ids, args.dY, args.dW, params],
    flatGrid(gpu, B * T * E),
    `embedding gradient [${B}×${T} ids, ${E}]`,
    { workgroupSize: WG, work: () => embeddingScatterAddWork(args) },
  );
}
