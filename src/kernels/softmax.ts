// Kernel: numerically stable row softmax in place (shaders/softmax.wgsl).
import source from '../../shaders/softmax.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, FUNCTION_FLOPS, type Work } from '../runtime/dispatchRecord.js';
import { ShapeError } from '../spec/errors.js';
import { ceilDiv, encodeKernel } from './dispatch.js';

const WG = 64;

export const softmaxKernel: KernelSource = {
  name: 'softmax',
  cacheKey: `softmax:wg${WG}`,
  getShaderSource: () => source,
  constants: { WG },
  bindings: ['storage', 'uniform'],
};

/**
 * Work of the row softmax, per element: max 1, x − max 1, exp, + sum 1, / sum 1.
 * flops = rows·cols·(4 + exp). Reads and writes x [rows, cols] (in place).
 */
export function softmaxWork(a: { rows: number; cols: number }): Work {
  const n = a.rows * a.cols;
  return f32Work(n * (4 + FUNCTION_FLOPS), n, n);
}

/** Encodes x[r, :] = softmax(x[r, :]) for x [rows, cols], in place: one dispatch. */
export function encodeSoftmax(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: { x: GPUBuffer; rows: number; cols: number }): void {
  const { rows, cols } = args;
  if (!(Number.isInteger(rows) && rows > 0 && Number.isInteger(cols) && cols > 0)) {
    throw new ShapeError(`softmax over [${rows}, ${cols}]: rows and cols must be positive whole numbers.`);
  }
  // About one invocation per column, up to the whole workgroup for a row; the rest of the
  // workgroup takes the next rows.
  const lanes = Math.min(WG, 2 ** Math.ceil(Math.log2(cols)));
  const groups = ceilDiv(rows, WG / lanes);
  const groupsX = Math.min(groups, gpu.limits.maxComputeWorkgroupsPerDimension);
  const params = run.uniform(new Uint32Array([rows, cols, lanes, groupsX]));
  encodeKernel(gpu, pass, softmaxKernel, [args.x, params], [groupsX, ceilDiv(groups, groupsX)], `softmax [${rows}×${cols}]`, {
    workgroupSize: WG,
    work: () => softmaxWork(args),
  });
}
