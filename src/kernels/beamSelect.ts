// Kernel: one step of beam search over the head's rows of every beam (shaders/beam_select.wgsl;
// CPU twin: reference/beamSearch's beamStep).
import source from '../../shaders/beam_select.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, FUNCTION_FLOPS, type Work } from '../runtime/dispatchRecord.js';
import { encodeKernel } from './dispatch.js';

const WG = 256;
/** The widest beam the kernel keeps in workgroup memory. */
export const MAX_BEAM_WIDTH = 16;

export const beamSelectKernel: KernelSource = {
  name: 'beam_select',
  cacheKey: `beam_select:wg${WG}`,
  getShaderSource: () => source,
  constants: { WG },
  bindings: ['read', 'storage', 'storage', 'storage', 'storage', 'uniform'],
};

export interface BeamSelectArgs {
  /** Beam row r = b·K + k's V values from element base + r·strideB. */
  probs: GPUBuffer;
  base: number;
  strideB: number;
  B: number;
  K: number;
  V: number;
  /** The head gives logits (log-softmax taken here), not probabilities. */
  logits: boolean;
  /** [2, B·K] f32: the beams' scores, then their finished flags; updated. */
  beams: GPUBuffer;
  /** [B·K] f32: the new beams' tokens. */
  ids: GPUBuffer;
  /** (token, parent) pairs: this step's at elements 2·(historyAt + r). */
  history: GPUBuffer;
  historyAt: number;
  /** [B·K] u32: b·K + each new beam's parent. */
  parentRows: GPUBuffer;
  endToken?: number;
  first: boolean;
}

/**
 * Work of one step over B rows of K·V candidates: the logits' normalizers (max, exp, sum: 2
 * reads and 3 + exp FLOPs a value), then K rounds each reading and scoring every candidate
 * (an add and a comparison) and checking the ones chosen before (≤ K comparisons); writes 5 values a beam.
 */
export function beamSelectWork(a: { B: number; K: number; V: number; logits: boolean }): Work {
  const n = a.B * a.K * a.V;
  const normalize = a.logits ? n * (3 + FUNCTION_FLOPS) : 0;
  return f32Work(normalize + a.K * n * (2 + a.K), (a.logits ? 2 * n : 0) + a.K * n + 2 * a.B * a.K, 5 * a.B * a.K);
}

/** Encodes one beam-search step for B source rows: one dispatch, a workgroup a row. */
export function encodeBeamSelect(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: BeamSelectArgs): void {
  const { B, K, V } = args;
  const words = new Uint32Array([
    V,
    K,
    B,
    args.base,
    args.strideB,
    args.endToken ?? 0xffffffff,
    args.first ? 1 : 0,
    args.historyAt,
    args.logits ? 1 : 0,
    0,
    0,
    0,
  ]);
  encodeKernel(
    gpu,
    pass,
    beamSelectKernel,
    [args.probs, args.beams, args.ids, args.history, args.parentRows, run.uniform(words)],
    [B],
    `beam step [${B}×${K}×${V}]`,
    {
      workgroupSize: WG,
      work: () => beamSelectWork(args),
    },
  );
}
