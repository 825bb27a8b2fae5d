// Kernel: tiled GEMM with fused bias (shaders/gemm.wgsl); split over K, with the partial
// products summed by reduce_rows, where the output has too few tiles for a GPU.
import source from '../../shaders/gemm.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationFlops, f32Work, type Work } from '../runtime/dispatchRecord.js';
import { activationId, type Activation } from './activations.js';
import { withActivations } from './compose.js';
import { ceilDiv, encodeKernel } from './dispatch.js';
import { encodeReduceRows } from './reduceRows.js';
import { shapeBucket } from '../runtime/tuner.js';
import { tunedVariant } from './tuning.js';

/** Workgroup edge; one workgroup computes a (4·WG)×(4·WG) tile of Y. */
const WG = 16;
const TILE_K = 16;

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  /** Logical rows of A are time-major (t·batch + b) over a batch-major [batch, steps, K] A. */
  aRowsBatchMajor?: { steps: number; batch: number };
  /**
   * Logical rows of A (time-major t·batch + b) read the stored step steps−1−t: a sequence read
   * backwards in time (goBackwards). With aRowsBatchMajor, the same steps and batch.
   */
  aRowsReversed?: { steps: number; batch: number };
  /** Applied to every output element (after bias and accumulation); linear by default. */
  activation?: Activation;
  /**
   * 'tiled' (`main`): tiles of A and B staged in workgroup memory; 'registers'
   * (`main_registers`): read from storage, no workgroup memory; 'rows' (`main_rows`): one
   * column of ROWS_TM rows an invocation, for a few rows (the cost model's choice at M ≤
   * ROWS_MAX_M, a tuner candidate to M ≤ 16). The same summation order: equal to the bit.
   * Default: gemmVariant (or the tuner's choice).
   */
  variant?: GemmVariant;
}

export type GemmVariant = 'tiled' | 'registers' | 'rows';

/** main_rows: invocations a workgroup (one column each), and rows an invocation (the shader's TM). */
const ROWS_WG = 64;
const ROWS_TM = 4;
/** The most rows for which the rows variant is the cost model's choice: a tiled workgroup would leave most of its 64 rows empty. */
export const ROWS_MAX_M = 4;

/** The cost model's variant: 'rows' for a few rows, else 'tiled'. */
export function gemmVariant(M: number): GemmVariant {
  return M <= ROWS_MAX_M ? 'rows' : 'tiled';
}

/** The variants the tuner times at M rows: 'rows' only where few rows leave tiles mostly empty. */
function gemmVariants(M: number): readonly GemmVariant[] {
  return M <= 16 ? ['tiled', 'registers', 'rows'] : ['tiled', 'registers'];
}

const ENTRY_POINTS: Record<GemmVariant, string> = { tiled: 'main', registers: 'main_registers', rows: 'main_rows' };

/** Fewer output tiles than this leave a GPU's compute units idle (H200: 132 SMs). */
export const MIN_GEMM_WORKGROUPS = 128;
/** The shortest K a split slice takes: shorter, the partials' round trip costs more than it saves. */
export const SPLIT_K_MIN_CHUNK = 256;

/**
 * K slices of a GEMM (1: no split). Split where the ceil(M/64)·ceil(N/64) output tiles are
 * fewer than MIN_GEMM_WORKGROUPS and K is long: the weight gradients Xᵀ·dG, hᵀ·dG over
 * T·B rows (training B=32 T=50 H=128: [128×1600]·[1600×512], 16 tiles). Only without bias and
 * activation (the split's sum runs after the products).
 */
export function gemmSplitK(a: { M: number; N: number; K: number; bias?: unknown; activation?: Activation }): number {
  if (a.bias || (a.activation ?? 'linear') !== 'linear') return 1;
  const tiles = ceilDiv(a.N, 4 * WG) * ceilDiv(a.M, 4 * WG);
  if (tiles >= MIN_GEMM_WORKGROUPS) return 1;
  return Math.max(1, Math.min(ceilDiv(MIN_GEMM_WORKGROUPS, tiles), Math.floor(a.K / SPLIT_K_MIN_CHUNK)));
}

/** The K range of a split slice: a multiple of TILE_K, and the slices it gives (≤ `slices`). */
function splitChunk(K: number, slices: number): { chunk: number; slices: number } {
  const chunk = ceilDiv(ceilDiv(K, slices), TILE_K) * TILE_K;
  return { chunk, slices: ceilDiv(K, chunk) };
}

export interface GemmArgs extends GemmOptions {
  /** op(A) is [M, K]. */
  a: GPUBuffer;
  /** Element offset of A's first value in `a`. */
  aOffset?: number;
  /** op(B) is [K, N]. */
  b: GPUBuffer;
  bias?: GPUBuffer;
  /** [M, N], overwritten (or added to, with `accumulate`). */
  y: GPUBuffer;
  M: number;
  N: number;
  K: number;
  accumulate?: boolean;
  /** K slices; gemmSplitK by default (tests force it). More than 1 needs no bias and a linear activation. */
  splitK?: number;
}

export function gemmKernel(options: GemmOptions & { hasBias: boolean }): KernelSource {
  const transA = !!options.transA;
  const transB = !!options.transB;
  const batchMajor = !!options.aRowsBatchMajor;
  const reversed = !!options.aRowsReversed;
  const act = activationId(options.activation ?? 'linear', 'activation');
  const variant = options.variant ?? 'tiled';
  return {
    name: 'gemm',
    cacheKey: `gemm:wg${WG}:k${TILE_K}:ta${+transA}:tb${+transB}:bias${+options.hasBias}:bm${+batchMajor}:rev${+reversed}:act${act}:${variant}`,
    entryPoint: ENTRY_POINTS[variant],
    getShaderSource: () => withActivations(source),
    constants: {
      WG,
      TILE_K,
      TRANS_A: +transA,
      TRANS_B: +transB,
      HAS_BIAS: +options.hasBias,
      A_ROWS_BATCH_MAJOR: +batchMajor,
      A_ROWS_REVERSED: +reversed,
      ACTIVATION: act,
      ROWS_WG,
    },
    bindings: ['read', 'read', 'read', 'storage', 'uniform'],
  };
}

/**
 * Work of one GEMM: each of the M·N outputs is a K-term dot product (2K), + bias 1, + Y 1
 * (accumulate), then the activation. flops = M·N·(2K + [bias] + [accumulate] + act).
 * Reads A [M, K], B [K, N] (+ bias [N], + Y [M, N]); writes Y [M, N].
 */
export function gemmWork(a: { M: number; N: number; K: number; bias?: unknown; accumulate?: boolean; activation?: Activation }): Work {
  const { M, N, K } = a;
  const extra = (a.bias ? 1 : 0) + (a.accumulate ? 1 : 0) + activationFlops(a.activation ?? 'linear');
  return f32Work(M * N * (2 * K + extra), M * K + K * N + (a.bias ? N : 0) + (a.accumulate ? M * N : 0), M * N);
}

/**
 * Encodes Y = op(A)·op(B) (+ bias) (+ Y) into `pass`: one dispatch, or split over K (see
 * gemmSplitK) two: S partial products [S, M, N] into scratch, then their column sums into Y.
 */
export function encodeGemm(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: GemmArgs): void {
  const requested = args.splitK ?? gemmSplitK(args);
  if (requested > 1 && (args.bias || (args.activation ?? 'linear') !== 'linear')) {
    throw new Error('encodeGemm: a split K takes no bias and a linear activation (they apply after the sum).');
  }
  const { chunk, slices } = requested > 1 ? splitChunk(args.K, requested) : { chunk: 0, slices: 1 };
  const split = slices > 1;
  const seq = args.aRowsBatchMajor ?? args.aRowsReversed ?? { steps: 1, batch: 1 };
  const accumulate = args.accumulate && !split;
  const params = run.uniform(new Uint32Array([args.M, args.N, args.K, seq.steps, seq.batch, accumulate ? 1 : 0, args.aOffset ?? 0, split ? chunk : 0]));
  const bias = args.bias ?? run.scratch(16, 'no bias');
  const y = split ? run.scratch(4 * slices * args.M * args.N, 'gemm split-K partials') : args.y;
  const shape = `[${args.M}×${args.K}]·[${args.K}×${args.N}]`;
  const variant = args.variant ?? (gpu.tuner.active ? tunedGemmVariant(gpu, { ...args, splitK: slices }) : gemmVariant(args.M));
  encodeKernel(
    gpu,
    pass,
    gemmKernel({ ...args, variant, hasBias: !!args.bias }),
    [args.a, args.b, bias, y, params],
    variant === 'rows' ? [ceilDiv(args.N, ROWS_WG), ceilDiv(args.M, ROWS_TM), slices] : [ceilDiv(args.N, 4 * WG), ceilDiv(args.M, 4 * WG), slices],
    `GEMM ${shape}${split ? ` in ${slices} K slices` : ''}`,
    { workgroupSize: variant === 'rows' ? ROWS_WG : WG * WG, work: () => (split ? gemmSplitWork({ ...args, slices }) : gemmWork(args)) },
  );
  if (split) encodeReduceRows(gpu, pass, run, { x: y, y: args.y, R: slices, N: args.M * args.N, accumulate: args.accumulate });
}

/**
 * The GEMM variant for `args`: the cost model's (gemmVariant) until the device's tuner has timed
 * the candidates on this adapter at M, N, K rounded up to powers of two, with these transposes and slices.
 */
function tunedGemmVariant(gpu: Gpu, args: GemmArgs): GemmVariant {
  const flags = `${args.transA ? 'ᵀ' : ''}·${args.transB ? 'ᵀ' : ''}${args.aRowsBatchMajor ? ' bm' : ''}${args.aRowsReversed ? ' rev' : ''}${args.bias ? ' +b' : ''}`;
  const shape = `M${shapeBucket(args.M)} N${shapeBucket(args.N)} K${shapeBucket(args.K)} ${flags} S${args.splitK}`;
  return tunedVariant(gpu, 'gemm', shape, args, gemmVariants(args.M), gemmVariant(args.M), (pass, run, variant, trial) =>
    encodeGemm(gpu, pass, run, { ...trial, variant }),
  );
}

/** Work of the products of a split GEMM: M·N·2K FLOPs; reads A, B; writes the S partial [M, N]. */
export function gemmSplitWork(a: { M: number; N: number; K: number; slices: number }): Work {
  const { M, N, K } = a;
  return f32Work(2 * M * N * K, M * K + K * N, a.slices * M * N);
}
