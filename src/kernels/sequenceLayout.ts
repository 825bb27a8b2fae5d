// Kernel: time-major [T, B, H] → batch-major [B, T, H], and back (shaders/sequence_layout.wgsl).
import source from '../../shaders/sequence_layout.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, type Work } from '../runtime/dispatchRecord.js';
import { ceilDiv, encodeKernel } from './dispatch.js';

const WG = 64;

export function sequenceLayoutKernel(toTimeMajor: boolean): KernelSource {
  return {
    name: 'sequence_layout',
    cacheKey: `sequence_layout:wg${WG}:tm${+toTimeMajor}`,
    getShaderSource: () => source,
    constants: { WG, TO_TIME_MAJOR: +toTimeMajor },
    bindings: ['read', 'storage', 'uniform'],
  };
}

/** Work of the layout change: a copy, no flops; reads src [T, B, H], writes y [B, T, H]. */
export function sequenceLayoutWork(a: { T: number; B: number; H: number }): Work {
  const n = a.T * a.B * a.H;
  return f32Work(0, n, n);
}

/** Encodes y[b, t, :] = src[srcOffset + (t·B + b)·H + :] into `pass`: one dispatch. */
export function encodeTimeToBatchMajor(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { src: GPUBuffer; srcOffset: number; y: GPUBuffer; T: number; B: number; H: number },
): void {
  encodeLayout(gpu, pass, run, args, false);
}

/** Encodes y[(t·B + b)·H + :] = src[srcOffset + (b·T + t)·H + :] (batch-major to time-major): one dispatch. */
export function encodeBatchToTimeMajor(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { src: GPUBuffer; srcOffset: number; y: GPUBuffer; T: number; B: number; H: number },
): void {
  encodeLayout(gpu, pass, run, args, true);
}

function encodeLayout(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { src: GPUBuffer; srcOffset: number; y: GPUBuffer; T: number; B: number; H: number },
  toTimeMajor: boolean,
): void {
  const params = run.uniform(new Uint32Array([args.T, args.B, args.H, args.srcOffset]));
  encodeKernel(
    gpu,
    pass,
    sequenceLayoutKernel(toTimeMajor),
    [args.src, args.y, params],
    [ceilDiv(args.B * args.H, WG), args.T],
    `sequence layout ${toTimeMajor ? 'to time-major' : 'to batch-major'} (T=${args.T}, B=${args.B}, H=${args.H})`,
    { workgroupSize: WG, work: () => sequenceLayoutWork(args) },
  );
}
