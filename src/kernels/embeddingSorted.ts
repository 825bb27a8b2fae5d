// Kernels: the deterministic Embedding gradient — the ids' positions sorted by (id, position)
// (shaders/embedding_sort.wgsl, a bitonic sort), then each id's rows of dY added in position
// order by one invocation a column (shaders/embedding_segment_sum.wgsl). The same ids and dY
// give the same dW bit for bit on every run, unlike the compare-exchange scatter-add.
import sortSource from '../../shaders/embedding_sort.wgsl?raw';
import segmentSource from '../../shaders/embedding_segment_sum.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, type Work } from '../runtime/dispatchRecord.js';
import { encodeKernel } from './dispatch.js';
import { flatGrid } from './embedding.js';

const SORT_WG = 256;
/** Keys a workgroup sorts in workgroup memory. */
const TILE = 2 * SORT_WG;
const SUM_WG = 64;

export type SortEntry = 'init' | 'sort_tiles' | 'merge_tile' | 'merge_global';

function sortKernel(entryPoint: SortEntry): KernelSource {
  return {
    name: `embedding_sort_${entryPoint}`,
    cacheKey: `embedding_sort:${entryPoint}:wg${SORT_WG}`,
    getShaderSource: () => sortSource,
    entryPoint,
    constants: { WG: SORT_WG },
    bindings: ['read', 'storage', 'uniform'],
  };
}

export const embeddingSegmentSumKernel: KernelSource = {
  name: 'embedding_segment_sum',
  cacheKey: `embedding_segment_sum:wg${SUM_WG}`,
  getShaderSource: () => segmentSource,
  constants: { WG: SUM_WG },
  bindings: ['read', 'read', 'storage', 'uniform'],
};

/** Keys the sort runs over: a power of two ≥ one tile and ≥ n. */
export function sortedLength(n: number): number {
  return Math.max(TILE, 2 ** Math.ceil(Math.log2(Math.max(1, n))));
}

/** Dispatches of the sort of n keys: init, the tiles, then per stage k > TILE its global steps j ≥ TILE and one merge of the tiles. */
export function sortDispatches(n: number): number {
  const stages = Math.log2(sortedLength(n) / TILE);
  return 2 + stages + (stages * (stages + 1)) / 2;
}

/** log2 steps of the bitonic network within one tile: stages 2 … TILE, stage k has log2(k) steps. */
const TILE_STEPS = (Math.log2(TILE) * (Math.log2(TILE) + 1)) / 2;

/**
 * Work of one sort dispatch over P keys of 2 words: init reads the N ids and writes the keys;
 * each other dispatch reads and writes every key once and makes P/2 compare-exchanges a step
 * (2 comparisons each): 45 steps in sort_tiles, 9 in merge_tile, 1 in merge_global.
 */
export function embeddingSortWork(entry: SortEntry, a: { N: number; P: number }): Work {
  if (entry === 'init') return f32Work(0, a.N, 2 * a.P);
  const steps = entry === 'sort_tiles' ? TILE_STEPS : entry === 'merge_tile' ? Math.log2(TILE) : 1;
  return f32Work(a.P * steps, 2 * a.P, 2 * a.P);
}

/**
 * Work of the segment sums over N keys and E columns: every invocation reads the id words of
 * keys i and i − 1; each term of each segment reads its key (2 words) and its dY value and
 * adds (N·E terms in all); each owner reads and writes its dW value (≤ N·E).
 */
export function embeddingSegmentSumWork(a: { N: number; E: number }): Work {
  const n = a.N * a.E;
  return f32Work(n + n, 2 * n + 3 * n + n, n);
}

export interface EmbeddingGradientArgs {
  /** [idsOffset + B·T] token ids as f32, batch-major. */
  ids: GPUBuffer;
  idsOffset?: number;
  /** [dyOffset + B·T·E]: batch-major [B, T, E], or [T, B, E] with timeMajor. */
  dY: GPUBuffer;
  dyOffset?: number;
  timeMajor: boolean;
  /** [V, E]: zeros, or the sum to add to. */
  dW: GPUBuffer;
  B: number;
  T: number;
  E: number;
  V: number;
}

/** Encodes dW[ids[b, t], :] += dY[b, t, :], each id's rows added in (b, t) order: 2 + log-many dispatches. */
export function encodeEmbeddingSortedGradient(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: EmbeddingGradientArgs): void {
  const { B, T, E, V } = args;
  const N = B * T;
  const P = sortedLength(N);
  const keys = run.scratch(P * 8, 'embedding gradient: sorted keys');
  gpu.checkBindingSize(P * 8, `embedding gradient: ${P} sort keys`);
  const sortStep = (entry: SortEntry, grid: [number, number], k = 0, j = 0, what = entry as string) => {
    const params = run.uniform(new Uint32Array([N, V, args.idsOffset ?? 0, P, k, j, grid[0], 0]));
    encodeKernel(gpu, pass, sortKernel(entry), [args.ids, keys, params], grid, `embedding gradient: ${what} [${P} keys]`, {
      workgroupSize: SORT_WG,
      work: () => embeddingSortWork(entry, { N, P }),
    });
  };
  sortStep('init', flatGrid(gpu, P, SORT_WG));
  const tiles: [number, number] = [P / TILE, 1];
  sortStep('sort_tiles', tiles);
  for (let k = 2 * TILE; k <= P; k *= 2) {
    for (let j = k / 2; j >= TILE; j /= 2) sortStep('merge_global', flatGrid(gpu, P / 2, SORT_WG), k, j, `merge k=${k} j=${j}`);
    sortStep('merge_tile', tiles, k, 0, `merge k=${k} in tiles`);
  }
  const grid = flatGrid(gpu, N * E, SUM_WG);
  const params = run.uniform(new Uint32Array([N, E, B, T, args.dyOffset ?? 0, args.timeMajor ? 1 : 0, grid[0], 0]));
  encodeKernel(gpu, pass, embeddingSegmentSumKernel, [keys, args.dY, args.dW, params], grid, `embedding gradient: segment sums [${N} ids, ${E}]`, {
    workgroupSize: SUM_WG,
    work: () => embeddingSegmentSumWork({ N, E }),
  });
}
