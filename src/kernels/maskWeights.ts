// Kernel: the loss rows' weights of a masked sequence output, Keras 3's mask-aware loss and
// metrics (shaders/mask_weights.wgsl; CPU twin: reference/losses's maskedRowWeights).
import source from '../../shaders/mask_weights.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, type Work } from '../runtime/dispatchRecord.js';
import { encodeKernel } from './dispatch.js';

const WG = 256;

export function maskWeightsKernel(weighted: boolean): KernelSource {
  return {
    name: 'mask_weights',
    cacheKey: `mask_weights:wg${WG}:w${+weighted}`,
    getShaderSource: () => source,
    constants: { WG, WEIGHTED: +weighted },
    bindings: ['read', 'read', 'storage', 'storage', 'uniform'],
  };
}

/** Work over rows = B·T: the mask summed, then read again and scaled twice (and times the sample weight). */
export function maskWeightsWork(a: { B: number; T: number; weighted: boolean }): Work {
  const rows = a.B * a.T;
  return f32Work(rows * (a.weighted ? 4 : 3) + 1, 2 * rows + (a.weighted ? rows : 0), 2 * rows);
}

/**
 * Encodes lossWeights and metricWeights [rows = B·T] (the output's row order: time-major
 * t·B + b, or b·T + t) from the mask [B, T] and, when given, the rows' sample weights: one dispatch.
 */
export function encodeMaskWeights(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { mask: GPUBuffer; sampleWeights?: GPUBuffer; lossWeights: GPUBuffer; metricWeights: GPUBuffer; B: number; T: number; timeMajor: boolean },
): void {
  const { B, T } = args;
  const weighted = args.sampleWeights !== undefined;
  const params = run.uniform(new Uint32Array([B, T, args.timeMajor ? 1 : 0, 0]));
  encodeKernel(
    gpu,
    pass,
    maskWeightsKernel(weighted),
    [args.mask, args.sampleWeights ?? args.mask, args.lossWeights, args.metricWeights, params],
    [1],
    `mask weights [${B}×${T}]`,
    { workgroupSize: WG, work: () => maskWeightsWork({ B, T, weighted }) },
  );
}
