// Kernel: an elementwise activation, Y = act(X) (shaders/activation.wgsl); softmax is
// kernels/softmax.ts.
import source from '../../shaders/activation.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationFlops, f32Work, type Work } from '../runtime/dispatchRecord.js';
import type { Activation } from '../spec/names.js';
import { activationId } from './activations.js';
import { withActivations } from './compose.js';
import { flatWorkgroups } from './conv1d.js';
import { encodeKernel } from './dispatch.js';

const WG = 64;

export function activationKernel(activation: Activation): KernelSource {
  const id = activationId(activation, 'activation');
  return {
    name: 'activation',
    cacheKey: `activation:wg${WG}:a${id}`,
    getShaderSource: () => withActivations(source),
    constants: { WG, ACTIVATION: id },
    bindings: ['read', 'storage', 'uniform'],
  };
}

/** Work of Y = act(X) over n elements: act's FLOPs each; reads X [n], writes Y [n]. */
export function activationWork(a: { activation: Activation; n: number }): Work {
  return f32Work(a.n * activationFlops(a.activation), a.n, a.n);
}

/** Encodes y[e] = act(x[xOffset + e]) for e < n: one dispatch. */
export function encodeActivation(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { activation: Activation; x: GPUBuffer; xOffset?: number; y: GPUBuffer; n: number },
): void {
  const params = run.uniform(new Uint32Array([args.n, args.xOffset ?? 0, 0, 0]));
  encodeKernel(gpu, pass, activationKernel(args.activation), [args.x, args.y, params], flatWorkgroups(gpu, args.n), `${args.activation} (n=${args.n})`, {
    workgroupSize: WG,
    work: () => activationWork(args),
  });
}
