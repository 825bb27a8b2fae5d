// Kernel: time-major [T, B, H] → batch-major [B, T, H] (shaders/sequence_layout.wgsl).
import source from '../../shaders/sequence_layout.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { ceilDiv, encodeKernel } from './dispatch.js';

const WG = 64;

export const sequenceLayoutKernel: KernelSource = {
  name: 'sequence_layout',
  cacheKey: `sequence_layout:wg${WG}`,
  getShaderSource: () => source,
  constants: { WG },
  bindings: ['read', 'storage', 'uniform'],
};

/** Encodes y[b, t, :] = src[srcOffset + (t·B + b)·H + :] into `pass`: one dispatch. */
export function encodeTimeToBatchMajor(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { src: GPUBuffer; srcOffset: number; y: GPUBuffer; T: number; B: number; H: number },
): void {
  const params = run.uniform(new Uint32Array([args.T, args.B, args.H, args.srcOffset]));
  encodeKernel(
    gpu,
    pass,
    sequenceLayoutKernel,
    [args.src, args.y, params],
    [ceilDiv(args.B * args.H, WG), args.T],
    `sequence layout (T=${args.T}, B=${args.B}, H=${args.H})`,
  );
}
