// Kernel: RepeatVector forward (a broadcast over steps) and backward (a sum over them)
// (shaders/repeat_vector.wgsl).
import source from '../../shaders/repeat_vector.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, type Work } from '../runtime/dispatchRecord.js';
import { flatWorkgroups } from './conv1d.js';
import { encodeKernel } from './dispatch.js';

const WG = 64;

export function repeatVectorKernel(backward: boolean): KernelSource {
  return {
    name: 'repeat_vector',
    cacheKey: `repeat_vector:wg${WG}:bw${+backward}`,
    getShaderSource: () => source,
    constants: { WG, BACKWARD: +backward },
    bindings: ['read', 'storage', 'uniform'],
  };
}

export interface RepeatGeometry {
  B: number;
  /** repeats: the output's steps */
  N: number;
  F: number;
}

/** Work of the forward: a copy; every output [B, N, F] reads its x value: B·N·F read and written. */
export function repeatVectorWork(g: RepeatGeometry): Work {
  const n = g.B * g.N * g.F;
  return f32Work(0, n, n);
}

/** Work of the backward: N − 1 additions a dx value; reads dy [B, N, F], writes dx [B, F]. */
export function repeatVectorBackwardWork(g: RepeatGeometry): Work {
  return f32Work(g.B * g.F * (g.N - 1), g.B * g.N * g.F, g.B * g.F);
}

/** Encodes y [B, N, F] (batch-major), y[b, t, :] = x[xOffset + b·F + :]: one dispatch. */
export function encodeRepeatVector(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: RepeatGeometry & { x: GPUBuffer; xOffset?: number; y: GPUBuffer },
): void {
  const params = run.uniform(new Uint32Array([args.B, args.N, args.F, args.xOffset ?? 0]));
  encodeKernel(gpu, pass, repeatVectorKernel(false), [args.x, args.y, params], flatWorkgroups(gpu, args.B * args.N * args.F), `repeat vector (N=${args.N})`, {
    workgroupSize: WG,
    work: () => repeatVectorWork(args),
  });
}

/** Encodes dx [B, F] = Σ_t dy[b, t, :] of dy [B, N, F] (batch-major, from dyOffset): one dispatch. */
export function encodeRepeatVectorBackward(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: RepeatGeometry & { dy: GPUBuffer; dyOffset?: number; dx: GPUBuffer },
): void {
  const params = run.uniform(new Uint32Array([args.B, args.N, args.F, args.dyOffset ?? 0]));
  encodeKernel(gpu, pass, repeatVectorKernel(true), [args.dy, args.dx, params], flatWorkgroups(gpu, args.B * args.F), `repeat vector backward (N=${args.N})`, {
    workgroupSize: WG,
    work: () => repeatVectorBackwardWork(args),
  });
}
