// Kernels: gradient control (shaders/grad_control.wgsl) and the fused optimizer update
// (shaders/optimizers.wgsl). The CPU twin is reference/optimizers.ts.
//
// The protocol of one training step, all in one compute pass:
//   encodeGradientControl(…)          norms, non-finite check, clip factors → control
//   encodeOptimizerUpdate(…) per weight   skipped entirely when control[0] ≠ 0
// control[0] is sticky: after a non-finite loss or gradient every later update is skipped
// until the host writes 0 there. The host reads control[0] back when it chooses to (e.g. with
// the loss), restores what it needs, clears it and rewinds its iteration count to the last
// applied step — the kernels never learn whether an update was applied.
import controlSource from '../../shaders/grad_control.wgsl?raw';
import source from '../../shaders/optimizers.wgsl?raw';
import { optimizerSlotCount, type OptimizerConfig, type OptimizerName, stepScalars } from '../spec/optimizerConfig.js';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { f32Work, FUNCTION_FLOPS, type Work } from '../runtime/dispatchRecord.js';
import { ShapeError } from '../spec/errors.js';
import { ceilDiv, dispatch } from './dispatch.js';

export { optimizerSlotCount, optimizerSlotNames, slotInitialValue } from '../spec/optimizerConfig.js';

/** Invocations per workgroup of the update and of a partials pass. */
const WG = 256;
/** Partial sums per gradient, at most; also the finalize workgroup's size. */
const PARTIALS = 64;
/** Elements each partials invocation sums before the grid grows past one workgroup's worth. */
const ITEMS = 4;

const RULE_IDS: Record<OptimizerName, number> = { sgd: 0, rmsprop: 1, adagrad: 2, adadelta: 3, adam: 4, adamax: 5, nadam: 6 };

export function optimizerKernel(config: OptimizerConfig): KernelSource {
  const nesterov = config.name === 'sgd' && config.nesterov;
  const clipValue = config.clipvalue !== undefined;
  return {
    name: 'optimizer update',
    cacheKey: `optimizer:${config.name}:wg${WG}:nesterov${+nesterov}:clipvalue${+clipValue}`,
    getShaderSource: () => source,
    constants: { WG, RULE: RULE_IDS[config.name], NESTEROV: +nesterov, CLIP_VALUE: +clipValue },
    bindings: ['storage', 'read', 'storage', 'storage', 'read', 'uniform'],
  };
}

export function gradControlKernel(phase: 'partials' | 'finalize'): KernelSource {
  const wg = phase === 'partials' ? WG : PARTIALS;
  return {
    name: `gradient control (${phase})`,
    cacheKey: `grad_control:${phase}:wg${wg}:p${PARTIALS}`,
    getShaderSource: () => controlSource,
    constants: { WG: wg, PARTIALS, PHASE: phase === 'partials' ? 0 : 1 },
    bindings: ['read', 'read', 'storage', 'uniform'],
  };
}

/**
 * FLOPs per value of each update rule after the common gradient prefix (g·factor 1, the
 * regularizer l1·sign(w) + 2·l2·w and its two adds 6, a clip 2 more).
 */
const RULE_FLOPS: Record<OptimizerName, number> = {
  sgd: 5,
  rmsprop: 11 + FUNCTION_FLOPS,
  adagrad: 6 + FUNCTION_FLOPS,
  adadelta: 17 + 2 * FUNCTION_FLOPS,
  adam: 13 + FUNCTION_FLOPS,
  adamax: 12,
  nadam: 17 + FUNCTION_FLOPS,
};
/** Nesterov momentum's extra FLOPs per value over plain momentum. */
const NESTEROV_FLOPS = 4;

/**
 * Work of one update of `size` values (the skipped path counts as applied): reads the weight,
 * the gradient, the rule's slots and control[0], control[1 + w]; writes the weight and slots.
 */
export function optimizerUpdateWork(a: { config: OptimizerConfig; size: number }): Work {
  const { config, size } = a;
  const slots = optimizerSlotCount(config.name);
  const perValue = 7 + (config.clipvalue !== undefined ? 2 : 0) + RULE_FLOPS[config.name] + (config.name === 'sgd' && config.nesterov ? NESTEROV_FLOPS : 0);
  return f32Work(perValue * size, (2 + slots) * size + 2, (1 + slots) * size);
}

/** Work of the partial sums of squares of one gradient: one fma per value; writes PARTIALS (sum, flag) pairs. */
export function gradientPartialsWork(a: { size: number }): Work {
  return f32Work(2 * a.size, a.size, 2 * PARTIALS);
}

/**
 * Work of the finalize over `count` gradients: PARTIALS-term sums (the tree combines count 0),
 * the running total 1 each; with a clipnorm, a factor c / max(√s, c) each (2 + FUNCTION_FLOPS).
 */
export function gradientFinalizeWork(a: { count: number; clip: boolean }): Work {
  return f32Work(a.count * (1 + (a.clip ? 2 + FUNCTION_FLOPS : 0)), a.count * 2 * PARTIALS + 1, 1 + a.count);
}

export interface GradientControlArgs {
  /** Every gradient of the step, in weight order; `size` elements of each are read. */
  grads: { buffer: GPUBuffer; size: number }[];
  /** f32 [1 + grads.length]: status (sticky, set to 1, never cleared here), then one factor per gradient. */
  control: GPUBuffer;
  /** f32 buffer holding the step's loss at element `lossIndex`. */
  loss: GPUBuffer;
  lossIndex: number;
  config: OptimizerConfig;
}

/**
 * Encodes the gradient control of one step: grads.length + 1 dispatches. Writes control[1 + w]
 * = the factor gradient w is scaled by (clipnorm per gradient, globalClipnorm over all, else
 * 1) and sets control[0] = 1 if the loss or any gradient is not finite.
 */
export function encodeGradientControl(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: GradientControlArgs): void {
  const { grads, config } = args;
  if (grads.length === 0) throw new ShapeError('Gradient control needs at least one gradient.');
  if (!Number.isInteger(args.lossIndex) || args.lossIndex < 0) throw new ShapeError(`lossIndex must be a whole number ≥ 0, got ${args.lossIndex}.`);
  grads.forEach((g, w) => checkSize(g.size, g.buffer, `gradient ${w}`));
  checkSize(1 + grads.length, args.control, 'the control buffer');
  checkSize(args.lossIndex + 1, args.loss, 'the loss buffer');

  const partials = run.scratch(grads.length * PARTIALS * 2 * 4, 'gradient partial sums');
  const partialSource = gradControlKernel('partials');
  const partialKernel = gpu.kernel(partialSource);
  pass.setPipeline(partialKernel.pipeline);
  grads.forEach((g, w) => {
    gpu.checkBindingSize(g.size * 4, `Gradient ${w}`);
    const groups = Math.min(ceilDiv(g.size, WG * ITEMS), PARTIALS);
    const params = run.uniform(controlParams({ size: g.size, outOffset: w * PARTIALS * 2, groups }));
    pass.setBindGroup(0, gpu.bindGroup(partialKernel, [g.buffer, args.loss, partials, params]));
    dispatch(gpu, pass, `Gradient ${w} sum of squares`, partialSource, { workgroupSize: WG, work: () => gradientPartialsWork(g) }, groups);
  });

  const mode = config.clipnorm !== undefined ? 1 : config.globalClipnorm !== undefined ? 2 : 0;
  const finalizeSource = gradControlKernel('finalize');
  const finalize = gpu.kernel(finalizeSource);
  const params = run.uniform(controlParams({ count: grads.length, lossIndex: args.lossIndex, mode, clipnorm: config.clipnorm ?? config.globalClipnorm ?? 0 }));
  pass.setPipeline(finalize.pipeline);
  pass.setBindGroup(0, gpu.bindGroup(finalize, [partials, args.loss, args.control, params]));
  const finalizeCost = { workgroupSize: PARTIALS, work: () => gradientFinalizeWork({ count: grads.length, clip: mode !== 0 }) };
  dispatch(gpu, pass, 'Gradient control', finalizeSource, finalizeCost, 1);
}

export interface OptimizerUpdateArgs {
  config: OptimizerConfig;
  /** [size], updated in place. */
  weight: GPUBuffer;
  /** [size], the raw gradient (scaled by control[1 + controlIndex] here). */
  grad: GPUBuffer;
  /** optimizerSlotCount(config.name) buffers of [size], updated in place; initialized to slotInitialValue. */
  slots: GPUBuffer[];
  size: number;
  /** 1-based count of applied updates, this one included (Keras's iterations + 1). */
  iteration: number;
  /** As written by encodeGradientControl. */
  control: GPUBuffer;
  /** This weight's index w among the gradients given to encodeGradientControl. */
  controlIndex: number;
  /** Keras L1 / L2 regularizer on this weight: adds l1·sign(w) + 2·l2·w to the gradient. */
  l1?: number;
  l2?: number;
}

/** Encodes one optimizer step of one weight: one dispatch, a no-op when control[0] ≠ 0. */
export function encodeOptimizerUpdate(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: OptimizerUpdateArgs): void {
  const { config, size } = args;
  const slotCount = optimizerSlotCount(config.name);
  if (args.slots.length !== slotCount) {
    throw new ShapeError(`Optimizer '${config.name}' keeps ${slotCount} state buffer(s) per weight; got ${args.slots.length}.`);
  }
  if (!Number.isInteger(args.controlIndex) || args.controlIndex < 0) {
    throw new ShapeError(`controlIndex must be a whole number ≥ 0, got ${args.controlIndex}.`);
  }
  const l1 = args.l1 ?? 0;
  const l2 = args.l2 ?? 0;
  if (!(Number.isFinite(l1) && l1 >= 0 && Number.isFinite(l2) && l2 >= 0)) {
    throw new ShapeError(`Regularizer factors must be finite and ≥ 0, got l1 = ${l1}, l2 = ${l2}.`);
  }
  checkSize(size, args.weight, 'the weight');
  checkSize(size, args.grad, 'the gradient');
  args.slots.forEach((s, i) => checkSize(size, s, `state buffer ${i}`));
  checkSize(args.controlIndex + 2, args.control, 'the control buffer');
  gpu.checkBindingSize(size * 4, 'An optimizer update');

  const [c0, c1, c2] = stepScalars(config, args.iteration);
  const bytes = new ArrayBuffer(64);
  new Uint32Array(bytes, 0, 4).set([size, args.controlIndex, 0, 0]);
  new Float32Array(bytes, 16, 12).set([
    config.learningRate,
    config.momentum,
    config.rho,
    config.epsilon,
    config.beta1,
    config.beta2,
    config.clipvalue ?? 0,
    l1,
    l2,
    c0,
    c1,
    c2,
  ]);
  const params = run.uniform(bytes);
  const s1 = args.slots[1] ?? run.scratch(16, 'unused optimizer slot');
  const updateKernel = optimizerKernel(config);
  const compiled = gpu.kernel(updateKernel);
  pass.setPipeline(compiled.pipeline);
  pass.setBindGroup(0, gpu.bindGroup(compiled, [args.weight, args.grad, args.slots[0], s1, args.control, params]));
  const groups = Math.min(ceilDiv(size, WG), gpu.limits.maxComputeWorkgroupsPerDimension);
  dispatch(gpu, pass, `Optimizer update of ${size} values`, updateKernel, { workgroupSize: WG, work: () => optimizerUpdateWork(args) }, groups);
}

function controlParams(p: {
  size?: number;
  outOffset?: number;
  groups?: number;
  count?: number;
  lossIndex?: number;
  mode?: number;
  clipnorm?: number;
}): ArrayBuffer {
  const bytes = new ArrayBuffer(32);
  new Uint32Array(bytes, 0, 6).set([p.size ?? 0, p.outOffset ?? 0, p.groups ?? 0, p.count ?? 0, p.lossIndex ?? 0, p.mode ?? 0]);
  new Float32Array(bytes, 24, 1)[0] = p.clipnorm ?? 0;
  return bytes;
}

function checkSize(elements: number, buffer: GPUBuffer, what: string): void {
  if (!Number.isInteger(elements) || elements < 1) throw new ShapeError(`The size of ${what} must be a whole number ≥ 1, got ${elements}.`);
  if (buffer.size < elements * 4) {
    throw new ShapeError(`${what[0].toUpperCase()}${what.slice(1)} holds ${buffer.size / 4} f32 values; ${elements} are needed.`);
  }
}
