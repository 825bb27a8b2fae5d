// Kernel: gradient through an activation from its output (shaders/activation_backward.wgsl).
import source from '../../shaders/activation_backward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationFlops, f32Work, type Work } from '../runtime/dispatchRecord.js';
import { activationId } from './activations.js';
import { type ActivationOrSoftmax, gradientNeedsInput } from '../spec/names.js';
import { withActivations } from './compose.js';
import { ceilDiv, encodeKernel } from './dispatch.js';

const WG = 64;

/** Elementwise activations by name, or 'softmax' over the last axis. */
export type HeadActivationName = ActivationOrSoftmax;

export function activationBackwardKernel(activation: HeadActivationName): KernelSource {
  const softmax = activation === 'softmax';
  const id = softmax ? 4 : activationId(activation, 'activation');
  const fromInput = gradientNeedsInput(activation);
  return {
    name: 'activation_backward',
    cacheKey: `activation_backward:wg${WG}:a${id}:sm${+softmax}:in${+fromInput}`,
    getShaderSource: () => withActivations(source),
    constants: { WG, ACTIVATION: id, SOFTMAX: +softmax, FROM_INPUT: +fromInput },
    bindings: ['read', 'read', 'storage', 'uniform'],
  };
}

/**
 * Work of the activation gradient over [R, C], per element: dY·act'(Y)  act' + 1; softmax:
 * each invocation recomputes its row's dot Σ_k dY·Y (2C), then Y·(dY − dot) 2.
 * Reads Y, dY [R, C]; writes dZ [R, C].
 */
export function activationBackwardWork(a: { activation: HeadActivationName; R: number; C: number }): Work {
  const n = a.R * a.C;
  const perElement = a.activation === 'softmax' ? 2 * a.C + 2 : activationFlops(a.activation) + 1;
  return f32Work(n * perElement, 2 * n, n);
}

/**
 * Encodes dZ = dY ⊙ act'(Z) over [R, C]: one dispatch. act' comes from Y = act(Z) (`y`), or,
 * for gelu and swish (gradientNeedsInput), from Z itself (`z`; `y` unused).
 */
export function encodeActivationBackward(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { activation: HeadActivationName; y?: GPUBuffer; z?: GPUBuffer; dy: GPUBuffer; dz: GPUBuffer; R: number; C: number },
): void {
  const from = gradientNeedsInput(args.activation) ? args.z : args.y;
  if (!from) throw new Error(`encodeActivationBackward: ${args.activation} needs its ${gradientNeedsInput(args.activation) ? 'input z' : 'output y'}.`);
  const params = run.uniform(new Uint32Array([args.R, args.C, 0, 0]));
  encodeKernel(
    gpu,
    pass,
    activationBackwardKernel(args.activation),
    [from, args.dy, args.dz, params],
    [ceilDiv(args.R * args.C, WG)],
    `${args.activation} backward`,
    { workgroupSize: WG, work: () => activationBackwardWork(args) },
  );
}
