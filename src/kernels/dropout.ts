// Kernel: inverted dropout with a counter-based hash mask (shaders/dropout.wgsl).
import source from '../../shaders/dropout.wgsl?raw';
import hash from '../../shaders/hash.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, type Work } from '../runtime/dispatchRecord.js';
import { composeShader } from './compose.js';
import { encodeKernel } from './dispatch.js';
import { flatGrid } from './embedding.js';

const WG = 64;

export const dropoutKernel: KernelSource = {
  name: 'dropout',
  cacheKey: `dropout:wg${WG}`,
  getShaderSource: () => composeShader(hash, source),
  constants: { WG },
  bindings: ['read', 'storage', 'uniform'],
};

export interface DropoutArgs {
  x: GPUBuffer;
  /** Element offset of the values in x. */
  xOffset?: number;
  y: GPUBuffer;
  /** Logical shape [B, T, F] or [B, F] of the values. */
  shape: readonly number[];
  /** With a rank-3 shape: x is stored time-major [T, B, F]. */
  timeMajor: boolean;
  seed: number;
  step: number;
  /** Values whose hash is below it are dropped: floor(rate·2³²). */
  threshold: number;
  /** 1 / (1 − rate). */
  scale: number;
  /** One mask [B, F] for every step (the recurrent layers' dropout, as Keras). */
  perSequence?: boolean;
  /** 'multiply' (default): y = x ⊙ mask·scale; 'mask': y = mask·scale; 'accumulate': y += x ⊙ mask·scale. */
  mode?: 'multiply' | 'mask' | 'accumulate';
}

const MODES = { multiply: 0, mask: 1, accumulate: 2 } as const;

/**
 * Work of dropout over `count` values: multiply 1 flop and reads x; mask 0 and reads nothing;
 * accumulate 2 and reads x and y. Writes y.
 */
export function dropoutWork(a: { count: number; mode: 'multiply' | 'mask' | 'accumulate' }): Work {
  const perValue = { multiply: 1, mask: 0, accumulate: 2 }[a.mode];
  return f32Work(perValue * a.count, perValue * a.count, a.count);
}

/** Encodes y = x ⊙ mask(seed, step) · scale (or the mask, or y +=), y in x's layout: one dispatch. */
export function encodeDropout(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: DropoutArgs): void {
  const count = args.shape.reduce((a, b) => a * b, 1);
  const rank3 = args.shape.length === 3;
  const [B, T, F] = rank3 ? args.shape : [args.shape[0], 1, count / Math.max(1, args.shape[0])];
  const words = new Uint32Array(12);
  words.set([count, args.xOffset ?? 0, args.seed >>> 0, args.step >>> 0, args.threshold >>> 0, rank3 && args.timeMajor ? 1 : 0, B, T, F]);
  new Float32Array(words.buffer)[9] = args.scale;
  words[10] = args.perSequence ? 1 : 0;
  words[11] = MODES[args.mode ?? 'multiply'];
  const params = run.uniform(words);
  encodeKernel(gpu, pass, dropoutKernel, [args.x, args.y, params], flatGrid(gpu, count), `dropout [${args.shape.join(', ')}]`, {
    workgroupSize: WG,
    work: () => dropoutWork({ count, mode: args.mode ?? 'multiply' }),
  });
}
