// Kernel: the step mask of a sequence (shaders/masking.wgsl), for Masking and Embedding maskZero.
import source from '../../shaders/masking.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, type Work } from '../runtime/dispatchRecord.js';
import { ceilDiv, encodeKernel } from './dispatch.js';

const WG = 64;

export function maskingKernel(timeMajor: boolean): KernelSource {
  return {
    name: 'masking',
    cacheKey: `masking:wg${WG}:tm${+timeMajor}`,
    getShaderSource: () => source,
    constants: { WG, TIME_MAJOR: +timeMajor },
    bindings: ['read', 'storage', 'uniform'],
  };
}

/**
 * Work of the step mask: B·T·F comparisons x ≠ maskValue (all of them: the early exit at the
 * first difference is data). Reads x [B, T, F]; writes mask [B, T].
 */
export function maskingWork(a: { B: number; T: number; F: number }): Work {
  const n = a.B * a.T * a.F;
  return f32Work(n, n, a.B * a.T);
}

/** Encodes mask[b, t] = any over f of x[b, t, f] ≠ maskValue into `mask` [B, T] (f32 1/0): one dispatch. */
export function encodeMasking(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { x: GPUBuffer; xOffset?: number; mask: GPUBuffer; B: number; T: number; F: number; timeMajor: boolean; maskValue: number },
): void {
  const words = new Uint32Array([args.B, args.T, args.F, args.xOffset ?? 0, 0, 0, 0, 0]);
  new Float32Array(words.buffer, 16, 1)[0] = args.maskValue;
  const params = run.uniform(words);
  encodeKernel(gpu, pass, maskingKernel(args.timeMajor), [args.x, args.mask, params], [ceilDiv(args.B * args.T, WG)], `masking (B=${args.B}, T=${args.T})`, {
    workgroupSize: WG,
    work: () => maskingWork(args),
  });
}
