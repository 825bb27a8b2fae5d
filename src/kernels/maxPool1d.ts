// Kernel: 1-D max pooling forward and backward (shaders/max_pool1d.wgsl).
import source from '../../shaders/max_pool1d.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, type Work } from '../runtime/dispatchRecord.js';
import { flatWorkgroups } from './conv1d.js';
import { encodeKernel } from './dispatch.js';

const WG = 64;

export interface Pool1dGeometry {
  B: number;
  T: number;
  C: number;
  To: number;
  /** pool size */
  P: number;
  /** stride */
  S: number;
  /** steps before step 0 that no window takes ('same' padding) */
  pad: number;
}

export function maxPool1dKernel(timeMajor: boolean, backward: boolean): KernelSource {
  return {
    name: 'max_pool1d',
    cacheKey: `max_pool1d:wg${WG}:tm${+timeMajor}:bw${+backward}`,
    getShaderSource: () => source,
    constants: { WG, TIME_MAJOR: +timeMajor, BACKWARD: +backward },
    bindings: ['read', 'read', 'storage', 'uniform'],
  };
}

function params(run: RunScope, g: Pool1dGeometry, xOffset: number): GPUBuffer {
  return run.uniform(new Uint32Array([g.B, g.T, g.C, g.To, g.P, g.S, g.pad, xOffset]));
}

/** Work of the pooling: P − 1 comparisons per output [B, To, C]; reads x [B, T, C] (each value once). */
export function maxPool1dWork(g: Pool1dGeometry): Work {
  const out = g.B * g.To * g.C;
  return f32Work(out * (g.P - 1), g.B * g.T * g.C, out);
}

/**
 * Work of the pooling backward: every window (B·To·C of them) is searched again, P − 1
 * comparisons, once for each of its P taps, and a tap adds dy 1: B·To·C·P². Reads x and dy;
 * writes dx [B, T, C].
 */
export function maxPool1dBackwardWork(g: Pool1dGeometry): Work {
  const windows = g.B * g.To * g.C;
  return f32Work(windows * g.P * g.P, g.B * g.T * g.C + windows, g.B * g.T * g.C);
}

/** Encodes y [B, To, C] = window maxima of x [B, T, C] (both [·, B, C] with `timeMajor`): one dispatch. */
export function encodeMaxPool1d(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: Pool1dGeometry & { x: GPUBuffer; xOffset?: number; y: GPUBuffer; timeMajor?: boolean },
): void {
  const unused = run.scratch(16, 'max_pool1d: no dy');
  encodeKernel(
    gpu,
    pass,
    maxPool1dKernel(!!args.timeMajor, false),
    [args.x, unused, args.y, params(run, args, args.xOffset ?? 0)],
    flatWorkgroups(gpu, args.B * args.To * args.C),
    `max pool 1d (B=${args.B}, T=${args.T}, C=${args.C}, P=${args.P})`,
    { workgroupSize: WG, work: () => maxPool1dWork(args) },
  );
}

/**
 * Encodes dx [B, T, C] (overwritten) from dy [B, To, C]: each input value gathers dy of the
 * windows whose first max it is: one dispatch.
 */
export function encodeMaxPool1dBackward(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: Pool1dGeometry & { x: GPUBuffer; xOffset?: number; dy: GPUBuffer; dx: GPUBuffer; timeMajor?: boolean },
): void {
  encodeKernel(
    gpu,
    pass,
    maxPool1dKernel(!!args.timeMajor, true),
    [args.x, args.dy, args.dx, params(run, args, args.xOffset ?? 0)],
    flatWorkgroups(gpu, args.B * args.T * args.C),
    `max pool 1d backward (B=${args.B}, T=${args.T}, C=${args.C}, P=${args.P})`,
    { workgroupSize: WG, work: () => maxPool1dBackwardWork(args) },
  );
}
