// Kernel: loss value, metrics and loss gradient of the model's head (shaders/loss.wgsl).
// The names and the rules (which heads fuse, which accuracy) are the reference's.
import source from '../../shaders/loss.wgsl?raw';
import { accuracyKind, isFusedLoss, type HeadActivation, type LossName, type MetricName } from '../spec/losses.js';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, FUNCTION_FLOPS, type Work } from '../runtime/dispatchRecord.js';
import { ShapeError } from '../spec/errors.js';
import { ceilDiv, dispatch } from './dispatch.js';

export type { HeadActivation, LossName, MetricName } from '../spec/losses.js';

/** Invocations of a workgroup of the per-row pass, and of the single reducing workgroup. */
const ROW_WG = 64;
const REDUCE_WG = 256;
const LOSS_IDS: Record<LossName, number> = {
  meanSquaredError: 0,
  meanAbsoluteError: 1,
  binaryCrossentropy: 2,
  categoricalCrossentropy: 3,
  sparseCategoricalCrossentropy: 4,
};
const ACCURACY_IDS = { binary: 0, categorical: 1, sparseCategorical: 2 } as const;
/** Component of a row's stats vec4 that metric m reads. */
const METRIC_COMPONENT: Record<MetricName, number> = { mae: 1, accuracy: 2 };
const MAX_METRICS = 8;

export function lossKernel(loss: LossName, fused: boolean, reduce: boolean, weighted = false, masked = false): KernelSource {
  const id = LOSS_IDS[loss];
  const wg = reduce ? REDUCE_WG : ROW_WG;
  const w = weighted && !reduce;
  const m = masked && !reduce;
  return {
    name: reduce ? 'loss_reduce' : 'loss',
    cacheKey: reduce ? `loss:reduce:wg${wg}` : `loss:rows:wg${wg}:l${id}:f${+fused}:w${+w}:m${+m}`,
    getShaderSource: () => source,
    constants: { WG: wg, LOSS: reduce ? 0 : id, FUSED: +(fused && !reduce), REDUCE: +reduce, WEIGHTED: +w, MASKED: +m },
    bindings: ['read', 'read', 'storage', 'storage', 'storage', 'uniform', 'read', 'read'],
  };
}

/**
 * FLOPs per element of the row pass beyond its common 12 (sweep 1: two sums and two argmax
 * tests of 2 comparisons; sweep 2: d, |d| summed, the 0.5-threshold hit test): the loss term
 * of sweep 2, then the gradient of sweep 3 [unfused, fused].
 */
const LOSS_TERM_FLOPS: Record<LossName, [number, number, number]> = {
  meanSquaredError: [2, 3, 3],
  meanAbsoluteError: [2, 3, 3],
  binaryCrossentropy: [8 + 2 * FUNCTION_FLOPS, 9, 2],
  categoricalCrossentropy: [9 + FUNCTION_FLOPS, 8, 3],
  sparseCategoricalCrossentropy: [9 + FUNCTION_FLOPS, 8, 3],
};
/** FLOPs per row of the row pass's last lane (the row loss, mae and accuracy). */
const LOSS_ROW_FLOPS = 4;

/**
 * Work of the per-row pass over [rows, cols]: reads yPred and yTrue ([rows] for the sparse
 * loss, whose truth test j = label counts 1 in each of the 3 sweeps); writes grad and the
 * row stats vec4 [rows].
 */
export function lossRowsWork(a: { loss: LossName; fused: boolean; rows: number; cols: number; weighted?: boolean; masked?: boolean }): Work {
  const n = a.rows * a.cols;
  const sparse = a.loss === 'sparseCategoricalCrossentropy';
  const [term, gradUnfused, gradFused] = LOSS_TERM_FLOPS[a.loss];
  const perElement = 12 + term + (a.fused ? gradFused : gradUnfused) + (sparse ? 3 : 0);
  // Weighted: the row's weight read once and multiplied into its two scales and its loss.
  // Masked: the row's metric weight read once and multiplied into its two metrics.
  const weighting = (a.weighted ? 3 : 0) * a.rows + (a.masked ? 2 : 0) * a.rows;
  return f32Work(
    n * perElement + a.rows * LOSS_ROW_FLOPS + weighting,
    n + (sparse ? a.rows : n) + (a.weighted ? a.rows : 0) + (a.masked ? a.rows : 0),
    n + 4 * a.rows,
  );
}

/** Work of the reducing workgroup: sums the row stats [rows] of 4 and divides 4; writes the loss and the metrics. */
export function lossReduceWork(a: { rows: number; metrics: number }): Work {
  return f32Work(4 * a.rows + 4, 4 * a.rows, 1 + a.metrics);
}

export interface LossArgs {
  loss: LossName;
  /** Written in this order to out[outIndex + 1 …]. */
  metrics: readonly MetricName[];
  /** [rows, cols]: the head's output after its activation. */
  yPred: GPUBuffer;
  /** [rows, cols]; for the sparse loss [rows] class indices stored as f32 (validated by the host). */
  yTrue: GPUBuffer;
  rows: number;
  cols: number;
  headActivation: HeadActivation;
  /** [rows]: each row's weight (sample or class weights) scaling its loss and gradient; the metrics are unweighted. */
  weights?: GPUBuffer;
  /** [rows]: each row's metric weight (a Keras mask scaled to mean 1, kernels/maskWeights); the metrics unmasked without. */
  metricWeights?: GPUBuffer;
  /** [rows, cols], overwritten with d(loss)/d(yPred), or d(loss)/d(logits) when the head fuses. */
  grad: GPUBuffer;
  /** out[outIndex] = the loss, out[outIndex + 1 + m] = metric m, each a mean over rows. */
  out: GPUBuffer;
  outIndex: number;
}

/**
 * Encodes the loss, the metrics and the loss gradient into `pass`: two dispatches (a per-row
 * pass, then one workgroup that reduces over rows). Nothing is read back.
 * `gradIsPreActivation` is true for sigmoid + binaryCrossentropy and softmax +
 * (sparse)categoricalCrossentropy: `grad` then holds the gradient with respect to the logits.
 */
export function encodeLoss(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: LossArgs): { gradIsPreActivation: boolean } {
  const { rows, cols, metrics } = args;
  const what = `${args.loss} over [${rows}, ${cols}]`;
  if (!(Number.isInteger(rows) && rows > 0 && Number.isInteger(cols) && cols > 0)) {
    throw new ShapeError(`${what}: rows and cols must be positive whole numbers.`);
  }
  if (!(args.loss in LOSS_IDS)) throw new ShapeError(`Unknown loss '${args.loss}': use one of ${Object.keys(LOSS_IDS).join(', ')}.`);
  if (metrics.length > MAX_METRICS) throw new ShapeError(`${what}: at most ${MAX_METRICS} metrics, got ${metrics.length}.`);
  for (const m of metrics) if (!(m in METRIC_COMPONENT)) throw new ShapeError(`Unknown metric '${m}': use one of ${Object.keys(METRIC_COMPONENT).join(', ')}.`);
  const sparse = args.loss === 'sparseCategoricalCrossentropy';
  const need: [GPUBuffer, number, string][] = [
    [args.yPred, rows * cols, 'yPred'],
    [args.yTrue, sparse ? rows : rows * cols, 'yTrue'],
    [args.grad, rows * cols, 'grad'],
    [args.out, args.outIndex + 1 + metrics.length, 'out'],
  ];
  if (args.weights) need.push([args.weights, rows, 'weights']);
  if (args.metricWeights) need.push([args.metricWeights, rows, 'metricWeights']);
  for (const [buffer, floats, name] of need) {
    if (buffer.size < floats * 4) throw new ShapeError(`${what}: ${name} holds ${buffer.size / 4} floats, fewer than the ${floats} it needs.`);
  }
  gpu.checkBindingSize(rows * cols * 4, `${what}: yPred`);

  const fused = isFusedLoss(args.loss, args.headActivation);
  // About one invocation per column, up to the whole workgroup for a row; the rest of the
  // workgroup takes the next rows.
  const lanes = Math.min(ROW_WG, 2 ** Math.ceil(Math.log2(cols)));
  const groups = ceilDiv(rows, ROW_WG / lanes);
  const groupsX = Math.min(groups, gpu.limits.maxComputeWorkgroupsPerDimension);
  const words = new Uint32Array(16);
  words.set([rows, cols, lanes, ACCURACY_IDS[accuracyKind(args.loss, cols)], groupsX, args.outIndex, metrics.length, 0]);
  metrics.forEach((m, i) => (words[8 + i] = METRIC_COMPONENT[m]));
  const params = run.uniform(words);
  const rowStats = run.scratch(rows * 16, 'loss row stats');
  const weighted = args.weights !== undefined;
  const masked = args.metricWeights !== undefined;
  const none = weighted && masked ? undefined : run.scratch(16, 'loss: no weights');
  const bindings = [args.yPred, args.yTrue, args.grad, rowStats, args.out, params, args.weights ?? none!, args.metricWeights ?? none!];
  const rowKernel = lossKernel(args.loss, fused, false, weighted, masked);
  const rowPass = gpu.kernel(rowKernel);
  pass.setPipeline(rowPass.pipeline);
  pass.setBindGroup(0, gpu.bindGroup(rowPass, bindings));
  const rowCost = { workgroupSize: ROW_WG, work: () => lossRowsWork({ loss: args.loss, fused, rows, cols, weighted, masked }) };
  dispatch(gpu, pass, what, rowKernel, rowCost, groupsX, ceilDiv(groups, groupsX));

  const reduceKernel = lossKernel(args.loss, false, true);
  const reduce = gpu.kernel(reduceKernel);
  pass.setPipeline(reduce.pipeline);
  pass.setBindGroup(0, gpu.bindGroup(reduce, bindings));
  const reduceCost = { workgroupSize: REDUCE_WG, work: () => lossReduceWork({ rows, metrics: metrics.length }) };
  dispatch(gpu, pass, `${what}: mean over rows`, reduceKernel, reduceCost, 1);
  return { gradIsPreActivation: fused };
}
