// Kernel: time-major [T, B, H] → batch-major [B, T, H] (shaders/sequence_layout.wgsl).
import source from '../../shaders/sequence_layout.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { ceilDiv, dispatch } from './dispatch.js';

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
  const compiled = gpu.kernel(sequenceLayoutKernel);
  const params = run.uniform(new Uint32Array([args.T, args.B, args.H, args.srcOffset]));
  pass.setPipeline(compiled.pipeline);
  pass.setBindGroup(0, gpu.bindGroup(compiled, [args.src, args.y, params]));
  dispatch(gpu, pass, `sequence layout (T=${args.T}, B=${args.B}, H=${args.H})`, ceilDiv(args.B * args.H, WG), args.T);
}
