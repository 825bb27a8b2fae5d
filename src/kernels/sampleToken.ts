// Kernel: the next token of generation drawn from softmax rows on the GPU
// (shaders/sample_token.wgsl; its CPU twin is reference/sampling's sampleToken).
import hash from '../../shaders/hash.wgsl?raw';
import source from '../../shaders/sample_token.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, FUNCTION_FLOPS, type Work } from '../runtime/dispatchRecord.js';
import { composeShader } from './compose.js';
import { encodeKernel } from './dispatch.js';

const WG = 256;
/** Bisection steps of top-p's threshold: the f32 bit patterns of [0, 1] span < 2³⁰. */
const BISECTIONS = 30;
/** Radix-select passes of top-k's threshold: 8 bits of the 32 each. */
const RADIX_PASSES = 4;

export const sampleTokenKernel: KernelSource = {
  name: 'sample_token',
  cacheKey: `sample_token:wg${WG}`,
  getShaderSource: () => composeShader(hash, source),
  constants: { WG },
  bindings: ['read', 'read', 'storage', 'storage', 'uniform'],
};

export interface SampleTokenArgs {
  /** Row r's V probabilities start at element base + r·strideB. */
  probs: GPUBuffer;
  base: number;
  strideB: number;
  rows: number;
  V: number;
  /** [V] f32: 1 where a token may be drawn, 0 where it is suppressed. */
  keep: GPUBuffer;
  /** Scratch of rows·V f32. */
  weights: GPUBuffer;
  /** Row r's token id is written as f32 at element out + r. */
  tokens: GPUBuffer;
  out: number;
  /** 0: greedy. */
  temperature: number;
  /** Greedy over the values as they are (logits, negative or not) instead of positive probabilities. */
  raw?: boolean;
  /** Off when undefined or ≥ V. */
  topK?: number;
  /** Off when undefined or 1. */
  topP?: number;
  /** The draws' stream: u of (seed, row, position), as init/samplingStream's samplingUniform. */
  seed: number;
  position: number;
}

/**
 * Work of one draw, at most: max and weights (log, exp) over rows·V, then 4 counting sweeps
 * for top-k (radix select) and 31 summing sweeps for top-p, and the draw's sweep; reads probs,
 * keep and the weights of each sweep, writes the weights and one id a row.
 */
export function sampleTokenWork(a: { rows: number; V: number; topK?: number; topP?: number }): Work {
  const n = a.rows * a.V;
  const sweeps = 1 + (a.topK !== undefined && a.topK < a.V ? RADIX_PASSES : 0) + (a.topP !== undefined && a.topP < 1 ? BISECTIONS + 1 : 0);
  return f32Work(n * (2 + 2 * FUNCTION_FLOPS + 2 * sweeps), 2 * n + sweeps * n, n + a.rows);
}

/** Encodes the draw of one token for each of `rows` softmax rows: one dispatch, a workgroup a row. */
export function encodeSampleToken(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: SampleTokenArgs): void {
  const words = new Uint32Array(12);
  const floats = new Float32Array(words.buffer);
  words.set([args.V, args.base, args.strideB, args.out, args.topK ?? 0, args.seed >>> 0, args.position >>> 0, args.temperature === 0 ? 1 : 0]);
  floats[8] = args.temperature === 0 ? 1 : 1 / args.temperature;
  floats[9] = args.topP ?? 1;
  words[10] = args.raw ? 1 : 0;
  encodeKernel(
    gpu,
    pass,
    sampleTokenKernel,
    [args.probs, args.keep, args.weights, args.tokens, run.uniform(words)],
    [args.rows, 1],
    `sample token [${args.rows}×${args.V}]`,
    {
      workgroupSize: WG,
      work: () => sampleTokenWork(args),
    },
  );
}
