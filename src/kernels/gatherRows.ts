// Kernel: gathers the samples of a batch by index (shaders/gather_rows.wgsl).
import source from '../../shaders/gather_rows.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, type Work } from '../runtime/dispatchRecord.js';
import { ceilDiv, encodeKernel } from './dispatch.js';

const WG = 64;

export function gatherRowsKernel(timeMajor: boolean): KernelSource {
  return {
    name: 'gather_rows',
    cacheKey: `gather_rows:wg${WG}:tm${+timeMajor}`,
    getShaderSource: () => source,
    constants: { WG, TIME_MAJOR: +timeMajor },
    bindings: ['read', 'read', 'storage', 'uniform'],
  };
}

/** Work of the gather: a copy, no flops; reads idx [B] and B·T·F of src, writes out [B·T·F]. */
export function gatherRowsWork(a: { B: number; T: number; F: number }): Work {
  const n = a.B * a.T * a.F;
  return f32Work(0, a.B + n, n);
}

/**
 * Encodes out = steps t0 … t0+T of the samples idx[start … start+B) of src [N, srcT, F]
 * (srcT defaults to T, t0 to 0), batch-major [B, T, F] or time-major [T, B, F]: one dispatch.
 */
export function encodeGatherRows(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { src: GPUBuffer; idx: GPUBuffer; out: GPUBuffer; start: number; B: number; T: number; F: number; timeMajor: boolean; srcT?: number; t0?: number },
): void {
  const params = run.uniform(new Uint32Array([args.start, args.B, args.T, args.F, args.srcT ?? args.T, args.t0 ?? 0, 0, 0]));
  encodeKernel(
    gpu,
    pass,
    gatherRowsKernel(args.timeMajor),
    [args.src, args.idx, args.out, params],
    [ceilDiv(args.F, WG), args.T, args.B],
    `gather batch (B=${args.B}, T=${args.T}, F=${args.F})`,
    { workgroupSize: WG, work: () => gatherRowsWork(args) },
  );
}
