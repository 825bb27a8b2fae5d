// Kernel: global average / max pooling over steps, forward and backward (shaders/global_pool1d.wgsl).
import source from '../../shaders/global_pool1d.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, type Work } from '../runtime/dispatchRecord.js';
import { flatWorkgroups } from './conv1d.js';
import { encodeKernel } from './dispatch.js';

const WG = 64;

export type GlobalPoolKind = 'average' | 'max';

export interface GlobalPool1dArgs {
  kind: GlobalPoolKind;
  B: number;
  T: number;
  C: number;
  /** x [B, T, C] (time-major [T, B, C] with timeMajor) from element xOffset. */
  x: GPUBuffer;
  xOffset?: number;
  timeMajor?: boolean;
  /** [B, T] of 1 / 0: masked steps leave the mean (average only). */
  mask?: GPUBuffer;
}

export function globalPool1dKernel(kind: GlobalPoolKind, backward: boolean, timeMajor: boolean, masked: boolean): KernelSource {
  return {
    name: 'global_pool1d',
    cacheKey: `global_pool1d:wg${WG}:max${+(kind === 'max')}:bw${+backward}:tm${+timeMajor}:m${+masked}`,
    getShaderSource: () => source,
    constants: { WG, MAX: +(kind === 'max'), BACKWARD: +backward, TIME_MAJOR: +timeMajor, MASKED: +masked },
    bindings: ['read', 'read', 'read', 'storage', 'uniform'],
  };
}

/**
 * Work of the forward over x [B, T, C]: average 2 a step (× and +, the mask's weight counted
 * with it), Σm (T), the scale 1 and the final × 1 per (b, c); max 1 comparison a step. Reads x (and the mask
 * [B, T] once per (b, c) when masked), writes y [B, C].
 */
export function globalPool1dWork(a: GlobalPool1dArgs): Work {
  const { B, T, C } = a;
  const masked = a.kind === 'average' && !!a.mask;
  const flops = a.kind === 'max' ? B * C * (T - 1) : B * C * (3 * T + 2);
  return f32Work(flops, B * T * C + (masked ? B * C * T : 0), B * C);
}

/**
 * Work of the backward: average, Σm (T), the scale and one × a step; max, the max found
 * again (T − 1) and one select a step. Reads x (max) or the mask (masked average) and dy
 * [B, C]; writes dx [B, T, C].
 */
export function globalPool1dBackwardWork(a: GlobalPool1dArgs): Work {
  const { B, T, C } = a;
  const masked = a.kind === 'average' && !!a.mask;
  const flops = a.kind === 'max' ? B * C * (2 * T - 1) : B * C * (2 * T + 2);
  const read = (a.kind === 'max' ? B * T * C : masked ? B * C * T : 0) + B * C;
  return f32Work(flops, read, B * T * C);
}

function encode(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, a: GlobalPool1dArgs, dy: GPUBuffer | undefined, out: GPUBuffer): void {
  const backward = dy !== undefined;
  const masked = a.kind === 'average' && !!a.mask;
  const unused = run.scratch(16, 'global_pool1d: unused');
  const params = run.uniform(new Uint32Array([a.B, a.T, a.C, a.xOffset ?? 0]));
  encodeKernel(
    gpu,
    pass,
    globalPool1dKernel(a.kind, backward, !!a.timeMajor, masked),
    [a.x, dy ?? unused, masked ? a.mask! : unused, out, params],
    flatWorkgroups(gpu, a.B * a.C),
    `global ${a.kind} pool 1d${backward ? ' backward' : ''} (B=${a.B}, T=${a.T}, C=${a.C})`,
    { workgroupSize: WG, work: () => (backward ? globalPool1dBackwardWork(a) : globalPool1dWork(a)) },
  );
}

/** Encodes y [B, C] = the mean (mask-weighted) or max of x over its steps: one dispatch. */
export function encodeGlobalPool1d(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: GlobalPool1dArgs & { y: GPUBuffer }): void {
  encode(gpu, pass, run, args, undefined, args.y);
}

/** Encodes dx [B, T, C] (in x's layout, overwritten) from dy [B, C]: one dispatch. */
export function encodeGlobalPool1dBackward(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: GlobalPool1dArgs & { dy: GPUBuffer; dx: GPUBuffer },
): void {
  encode(gpu, pass, run, args, args.dy, args.dx);
}
