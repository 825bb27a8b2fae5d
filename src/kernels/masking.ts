// Kernel: the step mask of a sequence (shaders/masking.wgsl), for Masking and Embedding maskZero.
import source from '../../shaders/masking.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
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
  encodeKernel(gpu, pass, maskingKernel(args.timeMajor), [args.x, args.mask, params], [ceilDiv(args.B * args.T, WG)], `masking (B=${args.B}, T=${args.T})`);
}
