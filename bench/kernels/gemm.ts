// gemm: Y = A·B + bias, one dispatch, in every variant (workgroup-memory tiles, registers only,
// and for a few rows a column of 4 rows an invocation): which is faster depends on the adapter
// (SwiftShader pays for workgroup memory, GPUs gain) and on M.
import { encodeGemm, type GemmVariant } from '../../src/kernels/gemm.js';
import { gemm } from '../../src/reference/math.js';
import { defineBench, upload } from './harness.js';

/** op(A) [M, K], op(B) [K, N], Y [M, N]. */
interface GemmShape {
  M: number;
  N: number;
  K: number;
  bias: boolean;
  variant: GemmVariant;
}

export const gemmBench = defineBench<GemmShape>({
  name: 'gemm',
  what: 'encodeGemm (Y = A·B + bias) vs reference gemm',
  // The layers' input projection X·W + b is [T·B, D]·[D, 4H]; the square sizes are the limits
  // probe's; M = 1 and 4 are a generated token's head [B, H]·[H, V] and projection (main_rows).
  cases: (quick) => {
    const few = (quick ? [1, 4] : [1, 2, 4]).map((M) => ({ M, N: quick ? 512 : 10_000, K: 128, bias: true }));
    const many = quick
      ? [
          { M: 64, N: 256, K: 64, bias: true },
          { M: 128, N: 128, K: 128, bias: false },
        ]
      : [
          { M: 3200, N: 1024, K: 128, bias: true },
          { M: 512, N: 512, K: 512, bias: false },
          { M: 1024, N: 1024, K: 1024, bias: false },
        ];
    return [
      ...few.flatMap((shape) => (['tiled', 'registers', 'rows'] as const).map((variant) => ({ ...shape, variant }))),
      ...many.flatMap((shape) => (['tiled', 'registers'] as const).map((variant) => ({ ...shape, variant }))),
    ];
  },
  label: ({ M, N, K, bias, variant }) => `M=${M} N=${N} K=${K}${bias ? ' +bias' : ''} ${variant}`,
  prepare(gpu, { M, N, K, bias, variant }, random) {
    // A, B, bias in ±1.
    const a = random.uniformArray(M * K);
    const b = random.uniformArray(K * N);
    const bv = bias ? random.uniformArray(N) : undefined;
    const buffers = { a: upload(gpu, a), b: upload(gpu, b), y: upload(gpu, M * N), ...(bv ? { bias: upload(gpu, bv) } : {}) };
    return {
      encode: (pass, run) => encodeGemm(gpu, pass, run, { ...buffers, M, N, K, variant }),
      dispatches: 1,
      // 2·M·N·K (+ M·N for the bias); reads A, B (and bias) once, writes Y.
      flops: 2 * M * N * K + (bias ? M * N : 0),
      bytes: 4 * (M * K + K * N + M * N + (bias ? N : 0)),
      expected() {
        // The same f32 operands; only the accumulation differs (f32 on the GPU, Float64 here).
        // The kernel test bounds it by 1e-4 up to K = 300 (measured 1.1e-5); the bound grows as
        // K^1.5 (K terms, sums of size √K), so K > 300 scales it so. A wrong index is off by ~0.1·√K.
        const atol = 1e-4 * Math.max(1, (K / 300) ** 1.5);
        return [{ name: 'Y', buffer: buffers.y, expected: gemm(a, b, bv, { M, N, K }), atol, rtol: 1e-5 }];
      },
      buffers: Object.values(buffers),
    };
  },
});
