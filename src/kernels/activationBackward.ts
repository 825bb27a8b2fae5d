// Kernel: gradient through an activation from its output (shaders/activation_backward.wgsl).
import source from '../../shaders/activation_backward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationId } from './activations.js';
import { withActivations } from './compose.js';
import { ceilDiv, encodeKernel } from './dispatch.js';

const WG = 64;

/** Elementwise activations by name, or 'softmax' over the last axis. */
export type HeadActivationName = 'tanh' | 'sigmoid' | 'hardSigmoid' | 'relu' | 'linear' | 'softmax';

export function activationBackwardKernel(activation: HeadActivationName): KernelSource {
  const softmax = activation === 'softmax';
  const id = softmax ? 4 : activationId(activation, 'activation');
  return {
    name: 'activation_backward',
    cacheKey: `activation_backward:wg${WG}:a${id}:sm${+softmax}`,
    getShaderSource: () => withActivations(source),
    constants: { WG, ACTIVATION: id, SOFTMAX: +softmax },
    bindings: ['read', 'read', 'storage', 'uniform'],
  };
}

/** Encodes dZ = dY ⊙ act'(Z), with act' from Y = act(Z), over [R, C]: one dispatch. */
export function encodeActivationBackward(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { activation: HeadActivationName; y: GPUBuffer; dy: GPUBuffer; dz: GPUBuffer; R: number; C: number },
): void {
  const params = run.uniform(new Uint32Array([args.R, args.C, 0, 0]));
  encodeKernel(
    gpu,
    pass,
    activationBackwardKernel(args.activation),
    [args.y, args.dy, args.dz, params],
    [ceilDiv(args.R * args.C, WG)],
    `${args.activation} backward`,
  );
}
