// kernels/gemm against reference.gemm on seeded inputs, over shapes that are 1, smaller than
// a tile, and not multiples of the 64×64 tile or the 16-deep K slice; the split-K form (K
// slices summed by reduce_rows) forced on shapes the slices do not divide, and where
// gemmSplitK picks it; each in every variant (workgroup-memory tiles, registers only, a column
// of 4 rows an invocation).
import { describe, expect, test } from 'vitest';
import { tensor } from '../../src/index.js';
import { encodeGemm, type GemmOptions, type GemmVariant, gemmSplitK, MIN_GEMM_WORKGROUPS } from '../../src/kernels/gemm.js';
import { gemm } from '../../src/reference/math.js';
import { Random } from '../../src/init/random.js';
import { expectClose, readBuffer, runPass, useGpu } from '../helpers/gpu.js';

const env = useGpu();

// Both sides multiply the same f32 values; only the accumulation differs (f32 fma on the GPU,
// Float64 here). With |a|, |b| ≤ 1 and K ≤ 300 the f32 rounding of the running sums stays
// below ~√K·2⁻²⁴·K/2 ≈ 2e-5 (measured on SwiftShader: 1.1e-5 at K = 300); 1e-4 gives a 5×
// margin and still catches any indexing error, which shows as errors of order 0.1.
const ATOL = 1e-4;
const RTOL = 1e-5;

interface Case {
  name: string;
  M: number;
  N: number;
  K: number;
  options?: GemmOptions;
  bias?: boolean;
  accumulate?: boolean;
  aOffset?: number;
  splitK?: number;
}

const cases: Case[] = [
  { name: '1×1×1', M: 1, N: 1, K: 1, bias: true },
  { name: 'one row (batch 1, one step)', M: 1, N: 148, K: 13, bias: true },
  { name: 'smaller than a tile', M: 5, N: 7, K: 3 },
  { name: 'exact tiles', M: 64, N: 128, K: 32, bias: true },
  { name: 'not multiples of the tile', M: 67, N: 148, K: 37, bias: true },
  { name: 'long K', M: 33, N: 65, K: 300, bias: true },
  { name: 'transposed A', M: 37, N: 52, K: 29, options: { transA: true } },
  { name: 'transposed B', M: 45, N: 23, K: 70, options: { transB: true } },
  { name: 'both transposed', M: 19, N: 81, K: 17, options: { transA: true, transB: true } },
  { name: 'accumulate into Y', M: 21, N: 30, K: 11, accumulate: true, bias: true },
  { name: 'A from an element offset', M: 12, N: 20, K: 9, aOffset: 37 },
  { name: 'batch-major rows read time-major (B=3, T=7)', M: 21, N: 148, K: 13, options: { aRowsBatchMajor: { steps: 7, batch: 3 } }, bias: true },
  { name: 'transposed batch-major A (Xᵀ·dG, B=3, T=5)', M: 13, N: 40, K: 15, options: { transA: true, aRowsBatchMajor: { steps: 5, batch: 3 } } },
  { name: 'fused sigmoid epilogue', M: 9, N: 70, K: 12, bias: true, options: { activation: 'sigmoid' } },
  { name: 'fused relu epilogue with accumulation', M: 17, N: 5, K: 8, accumulate: true, options: { activation: 'relu' } },
  { name: 'batch-major rows, batch 1', M: 5, N: 40, K: 6, options: { aRowsBatchMajor: { steps: 5, batch: 1 } }, bias: true },
  { name: 'time-major rows read backwards in time (B=3, T=7)', M: 21, N: 70, K: 13, options: { aRowsReversed: { steps: 7, batch: 3 } }, bias: true },
  {
    name: 'batch-major rows read backwards in time (B=4, T=5)',
    M: 20,
    N: 33,
    K: 9,
    options: { aRowsBatchMajor: { steps: 5, batch: 4 }, aRowsReversed: { steps: 5, batch: 4 } },
  },
  {
    name: 'transposed, batch-major, backwards (Xᵀ·dG of goBackwards, B=3, T=5)',
    M: 13,
    N: 40,
    K: 15,
    options: { transA: true, aRowsBatchMajor: { steps: 5, batch: 3 }, aRowsReversed: { steps: 5, batch: 3 } },
  },
  {
    name: 'transposed time-major backwards from an offset (B=2, T=6)',
    M: 7,
    N: 19,
    K: 12,
    aOffset: 14,
    options: { transA: true, aRowsReversed: { steps: 6, batch: 2 } },
  },
  { name: 'split K in 3 (K slices of 112, the last shorter)', M: 33, N: 65, K: 300, splitK: 3 },
  { name: 'split K, one row, K smaller than a slice pair', M: 1, N: 1, K: 20, splitK: 2 },
  { name: 'split K accumulating into Y', M: 21, N: 30, K: 250, accumulate: true, splitK: 4 },
  {
    name: 'split K of a weight gradient (Xᵀ·dG, batch-major, B=4, T=60)',
    M: 13,
    N: 40,
    K: 240,
    splitK: 5,
    options: { transA: true, aRowsBatchMajor: { steps: 60, batch: 4 } },
  },
];

describe('gemm kernel vs reference', () => {
  // Every case in every variant: the tiled `main` against the reference, main_registers and
  // main_rows equal to it to the bit (same fma order over ascending k).
  test.each(cases)('$name (M=$M, N=$N, K=$K)', async (c) => {
    const { gpu } = env;
    const random = new Random(c.M * 1000 + c.N * 10 + c.K);
    const offset = c.aOffset ?? 0;
    const a = random.uniformArray(offset + c.M * c.K);
    const b = random.uniformArray(c.K * c.N);
    const bias = c.bias ? random.uniformArray(c.N) : undefined;
    const y0 = random.uniformArray(c.M * c.N);
    const [ta, tb, tbias] = [tensor(gpu, a, [a.length]), tensor(gpu, b, [b.length]), bias && tensor(gpu, bias, [c.N])];
    const run = async (variant: GemmVariant) => {
      const ty = tensor(gpu, y0, [c.M, c.N]);
      await runPass(gpu, (pass, scope) =>
        encodeGemm(gpu, pass, scope, {
          ...c.options,
          variant,
          a: ta.buffer,
          aOffset: offset,
          b: tb.buffer,
          bias: tbias?.buffer,
          y: ty.buffer,
          M: c.M,
          N: c.N,
          K: c.K,
          accumulate: c.accumulate,
          splitK: c.splitK,
        }),
      );
      const values = await readBuffer(gpu, ty.buffer, c.M * c.N);
      ty.dispose();
      return values;
    };
    const got = await run('tiled');
    const expected = gemm(a, b, bias, { M: c.M, N: c.N, K: c.K, aOffset: offset, ...c.options }, c.accumulate ? y0 : undefined);
    expectClose(got, expected, ATOL, RTOL, c.name);
    expect(await run('registers')).toEqual(got);
    expect(await run('rows')).toEqual(got);
    for (const t of [ta, tb, tbias]) t?.dispose();
  });
});

describe('gemm split-K choice', () => {
  test('splits long-K GEMMs with few output tiles, and only those without bias or activation', () => {
    // Training B=32 T=50 H=128: dWh [128×1600]·[1600×512] has 16 tiles: 6 slices of ≥ 256.
    expect(gemmSplitK({ M: 128, N: 512, K: 1600 })).toBe(6);
    expect(gemmSplitK({ M: 128, N: 512, K: 1600, bias: true })).toBe(1);
    expect(gemmSplitK({ M: 128, N: 512, K: 1600, activation: 'tanh' })).toBe(1);
    // Enough tiles already, or K too short to split.
    expect(gemmSplitK({ M: 1024, N: 1024, K: 4096 })).toBe(1);
    expect(gemmSplitK({ M: 128, N: 1, K: 32 })).toBe(1);
    // Never more slices than fill MIN_GEMM_WORKGROUPS.
    expect(gemmSplitK({ M: 1, N: 1, K: 1e6 })).toBe(MIN_GEMM_WORKGROUPS);
  });
});
