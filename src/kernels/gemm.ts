// Kernel: tiled GEMM with fused bias (shaders/gemm.wgsl).
import source from '../../shaders/gemm.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationFlops, f32Work, type Work } from '../runtime/dispatchRecord.js';
import { activationId, type Activation } from './activations.js';
import { withActivations } from './compose.js';
import { ceilDiv, encodeKernel } from './dispatch.js';

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
}

export function gemmKernel(options: GemmOptions & { hasBias: boolean }): KernelSource {
  const transA = !!options.transA;
  const transB = !!options.transB;
  const batchMajor = !!options.aRowsBatchMajor;
  const reversed = !!options.aRowsReversed;
  const act = activationId(options.activation ?? 'linear', 'activation');
  return {
    name: 'gemm',
    cacheKey: `gemm:wg${WG}:k${TILE_K}:ta${+transA}:tb${+transB}:bias${+options.hasBias}:bm${+batchMajor}:rev${+reversed}:act${act}`,
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

/** Encodes Y = op(A)·op(B) (+ bias) (+ Y) into `pass`: one dispatch. */
export function encodeGemm(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: GemmArgs): void {
  const seq = args.aRowsBatchMajor ?? args.aRowsReversed ?? { steps: 1, batch: 1 };
  const params = run.uniform(new Uint32Array([args.M, args.N, args.K, seq.steps, seq.batch, args.accumulate ? 1 : 0, args.aOffset ?? 0, 0]));
  const bias = args.bias ?? run.scratch(16, 'no bias');
  encodeKernel(
    gpu,
    pass,
    gemmKernel({ ...args, hasBias: !!args.bias }),
    [args.a, args.b, bias, args.y, params],
    [ceilDiv(args.N, 4 * WG), ceilDiv(args.M, 4 * WG)],
    `GEMM [${args.M}×${args.K}]·[${args.K}×${args.N}]`,
    { workgroupSize: WG * WG, work: () => gemmWork(args) },
  );
}
