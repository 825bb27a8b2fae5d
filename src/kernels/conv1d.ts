// Kernels: im2col and col2im of a 1-D convolution (shaders/im2col.wgsl, shaders/col2im.wgsl).
// The convolution itself is cols·W, an encodeGemm; see lstm/conv1d.
import col2imSource from '../../shaders/col2im.wgsl?raw';
import im2colSource from '../../shaders/im2col.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, type Work } from '../runtime/dispatchRecord.js';
import { ceilDiv, encodeKernel } from './dispatch.js';
import type { Conv1dGeometry } from '../spec/convConfig.js';

export type { Conv1dGeometry };

const WG = 64;

/** Workgroups for `n` invocations of WG, folded into y where x would pass the limit. */
export function flatWorkgroups(gpu: Gpu, n: number): [number, number] {
  const groups = ceilDiv(n, WG);
  const limit = gpu.limits.maxComputeWorkgroupsPerDimension;
  return groups <= limit ? [Math.max(groups, 1), 1] : [limit, ceilDiv(groups, limit)];
}

export function im2colKernel(inTimeMajor: boolean): KernelSource {
  return {
    name: 'im2col',
    cacheKey: `im2col:wg${WG}:tm${+inTimeMajor}`,
    getShaderSource: () => im2colSource,
    constants: { WG, IN_TIME_MAJOR: +inTimeMajor },
    bindings: ['read', 'storage', 'uniform'],
  };
}

export function col2imKernel(outTimeMajor: boolean): KernelSource {
  return {
    name: 'col2im',
    cacheKey: `col2im:wg${WG}:tm${+outTimeMajor}`,
    getShaderSource: () => col2imSource,
    constants: { WG, OUT_TIME_MAJOR: +outTimeMajor },
    bindings: ['read', 'storage', 'uniform'],
  };
}

/** Work of im2col: a copy, no flops; reads x [B, T, C] (each value once), writes cols [B·To, K·C]. */
export function im2colWork(g: Conv1dGeometry): Work {
  return f32Work(0, g.B * g.T * g.C, g.B * g.To * g.K * g.C);
}

/** Work of col2im: each dcols value is added once (B·To·K·C); reads dcols, writes dx [B, T, C]. */
export function col2imWork(g: Conv1dGeometry): Work {
  const cols = g.B * g.To * g.K * g.C;
  return f32Work(cols, cols, g.B * g.T * g.C);
}

/**
 * Encodes cols [B·To, K·C] from x ([B, T, C], or [T, B, C] with `timeMajor`, from element
 * `xOffset`): one dispatch.
 */
export function encodeIm2col(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: Conv1dGeometry & { x: GPUBuffer; xOffset?: number; timeMajor?: boolean; cols: GPUBuffer },
): void {
  const { B, T, C, To, K, S, pad } = args;
  const params = run.uniform(new Uint32Array([B, T, C, To, K, S, pad, args.xOffset ?? 0, args.D ?? 1, 0, 0, 0]));
  encodeKernel(
    gpu,
    pass,
    im2colKernel(!!args.timeMajor),
    [args.x, args.cols, params],
    flatWorkgroups(gpu, B * To * K * C),
    `im2col (B=${B}, T=${T}, C=${C}, K=${K})`,
    { workgroupSize: WG, work: () => im2colWork(args) },
  );
}

/**
 * Encodes dx ([B, T, C], or [T, B, C] with `timeMajor`), overwritten, as the sum of the
 * dcols [B·To, K·C] taps that read each input value: one dispatch.
 */
export function encodeCol2im(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: Conv1dGeometry & { dcols: GPUBuffer; dx: GPUBuffer; timeMajor?: boolean },
): void {
  const { B, T, C, To, K, S, pad } = args;
  const params = run.uniform(new Uint32Array([B, T, C, To, K, S, pad, args.D ?? 1]));
  encodeKernel(
    gpu,
    pass,
    col2imKernel(!!args.timeMajor),
    [args.dcols, args.dx, params],
    flatWorkgroups(gpu, B * T * C),
    `col2im (B=${B}, T=${T}, C=${C}, K=${K})`,
    { workgroupSize: WG, work: () => col2imWork(args) },
  );
}
