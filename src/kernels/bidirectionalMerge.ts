// Kernels: the Bidirectional merge and its backward (shaders/bidirectional_merge*.wgsl).
import source from '../../shaders/bidirectional_merge.wgsl?raw';
import backwardSource from '../../shaders/bidirectional_merge_backward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, type Work } from '../runtime/dispatchRecord.js';
import { ceilDiv, encodeKernel } from './dispatch.js';

const WG = 64;

/** Keras merge modes; 'backward' copies the backward direction alone (mergeMode null). */
export type MergeKernelMode = 'concat' | 'sum' | 'mul' | 'ave' | 'backward';
const MODE_IDS: Record<MergeKernelMode, number> = { concat: 0, sum: 1, mul: 2, ave: 3, backward: 4 };

export function bidirectionalMergeKernel(mode: MergeKernelMode, reverse: boolean, masked = false): KernelSource {
  return {
    name: 'bidirectional_merge',
    cacheKey: `bidirectional_merge:wg${WG}:m${MODE_IDS[mode]}:rev${+reverse}:mask${+masked}`,
    getShaderSource: () => source,
    constants: { WG, MODE: MODE_IDS[mode], REVERSE: +reverse, MASKED: +masked },
    bindings: ['read', 'read', 'storage', 'uniform', 'read'],
  };
}

export function bidirectionalMergeBackwardKernel(mode: Exclude<MergeKernelMode, 'backward'>, reverse: boolean, masked = false): KernelSource {
  return {
    name: 'bidirectional_merge_backward',
    cacheKey: `bidirectional_merge_backward:wg${WG}:m${MODE_IDS[mode]}:rev${+reverse}:mask${+masked}`,
    getShaderSource: () => backwardSource,
    constants: { WG, MODE: MODE_IDS[mode], REVERSE: +reverse, MASKED: +masked },
    bindings: ['read', 'read', 'read', 'storage', 'storage', 'uniform', 'read'],
  };
}

/** A time-major [T, B, H] operand from element `offset` of `buffer`. */
export interface SequenceOperand {
  buffer: GPUBuffer;
  offset: number;
}

/**
 * Work of the merge over n = T·B·H values: flops per value concat 0, backward 0, sum 1, mul 1,
 * ave 2. Reads f (not for 'backward') and r [T, B, H] and the mask [B, T]; writes y [T, B, W]
 * (W = 2H for concat).
 */
export function bidirectionalMergeWork(a: { mode: MergeKernelMode; T: number; B: number; H: number; masked: boolean }): Work {
  const n = a.T * a.B * a.H;
  const perValue = { concat: 0, backward: 0, sum: 1, mul: 1, ave: 2 }[a.mode];
  const mask = a.masked ? a.B * a.T : 0;
  return f32Work(perValue * n, (a.mode === 'backward' ? n : 2 * n) + mask, a.mode === 'concat' ? 2 * n : n);
}

/**
 * Work of the merge backward over n = T·B·H values: flops per value mul 2, ave 2, sum and
 * concat 0. Reads dY [T, B, W], f and r for 'mul', the mask [B, T]; writes dF and dR.
 */
export function bidirectionalMergeBackwardWork(a: { mode: Exclude<MergeKernelMode, 'backward'>; T: number; B: number; H: number; masked: boolean }): Work {
  const n = a.T * a.B * a.H;
  const perValue = a.mode === 'mul' || a.mode === 'ave' ? 2 : 0;
  const read = (a.mode === 'concat' ? 2 * n : n) + (a.mode === 'mul' ? 2 * n : 0) + (a.masked ? a.B * a.T : 0);
  return f32Work(perValue * n, read, 2 * n);
}

/**
 * Encodes y [T, B, W] = merge(f[t], r[T−1−t] (or r[t] without `reverse`)) into `pass`: one
 * dispatch. A last-step output is T = 1. With `mask` [B, T], masked steps are zeros.
 */
export function encodeBidirectionalMerge(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { mode: MergeKernelMode; reverse: boolean; f: SequenceOperand; r: SequenceOperand; y: GPUBuffer; T: number; B: number; H: number; mask?: GPUBuffer },
): void {
  const params = run.uniform(new Uint32Array([args.T, args.B, args.H, args.f.offset, args.r.offset, 0, 0, 0]));
  const mask = args.mask ?? run.scratch(16, 'no mask');
  encodeKernel(
    gpu,
    pass,
    bidirectionalMergeKernel(args.mode, args.reverse, !!args.mask),
    [args.f.buffer, args.r.buffer, args.y, params, mask],
    [ceilDiv(args.B * args.H, WG), args.T],
    `bidirectional ${args.mode} (T=${args.T}, B=${args.B}, H=${args.H})`,
    { workgroupSize: WG, work: () => bidirectionalMergeWork({ ...args, masked: !!args.mask }) },
  );
}

/** Encodes dF, dR [T, B, H] from dY [T, B, W] (and f, r for 'mul') into `pass`: one dispatch. */
export function encodeBidirectionalMergeBackward(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: {
    mode: Exclude<MergeKernelMode, 'backward'>;
    reverse: boolean;
    dY: SequenceOperand;
    f: SequenceOperand;
    r: SequenceOperand;
    dF: GPUBuffer;
    dR: GPUBuffer;
    T: number;
    B: number;
    H: number;
    mask?: GPUBuffer;
  },
): void {
  const params = run.uniform(new Uint32Array([args.T, args.B, args.H, args.dY.offset, args.f.offset, args.r.offset, 0, 0]));
  const mask = args.mask ?? run.scratch(16, 'no mask');
  encodeKernel(
    gpu,
    pass,
    bidirectionalMergeBackwardKernel(args.mode, args.reverse, !!args.mask),
    [args.dY.buffer, args.f.buffer, args.r.buffer, args.dF, args.dR, params, mask],
    [ceilDiv(args.B * args.H, WG), args.T],
    `bidirectional ${args.mode} backward (T=${args.T}, B=${args.B}, H=${args.H})`,
    { workgroupSize: WG, work: () => bidirectionalMergeBackwardWork({ ...args, masked: !!args.mask }) },
  );
}
