// Kernels: the Bidirectional merge and its backward (shaders/bidirectional_merge*.wgsl).
import source from '../../shaders/bidirectional_merge.wgsl?raw';
import backwardSource from '../../shaders/bidirectional_merge_backward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
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
  );
}
