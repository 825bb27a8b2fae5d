// What Dense and Conv1D share around their GEMM: the layer's activation on its output, and the
// gradient back through it. An elementwise activation fuses into the GEMM's epilogue and softmax
// runs after it, both keeping only y; gelu and swish, whose derivative needs the pre-activation
// (gradientNeedsInput), write z = the GEMM into its own buffer, then y = act(z), and keep z.
import { encodeActivation } from '../kernels/activation.js';
import { encodeActivationBackward } from '../kernels/activationBackward.js';
import { encodeGemm, type GemmArgs } from '../kernels/gemm.js';
import { encodeSoftmax } from '../kernels/softmax.js';
import type { Gpu, RunScope } from '../runtime/device.js';
import { type ActivationOrSoftmax, gradientNeedsInput } from '../spec/names.js';

/**
 * y [M, N] = act(op(A)·op(B) + bias) into `args.y`; with `train`, returns the pre-activation z
 * where the backward needs it (inference fuses every elementwise activation into the epilogue).
 */
export function encodeActivatedGemm(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: Omit<GemmArgs, 'activation'>,
  activation: ActivationOrSoftmax,
  label: string,
  train: boolean,
): GPUBuffer | undefined {
  const n = args.M * args.N;
  if (activation === 'softmax' || (train && gradientNeedsInput(activation))) {
    const z = activation === 'softmax' ? args.y : run.scratch(n * 4, `${label}/z`);
    encodeGemm(gpu, pass, run, { ...args, y: z });
    if (activation === 'softmax') encodeSoftmax(gpu, pass, run, { x: args.y, rows: args.M, cols: args.N });
    else encodeActivation(gpu, pass, run, { activation, x: z, y: args.y, n });
    return activation === 'softmax' ? undefined : z;
  }
  encodeGemm(gpu, pass, run, { ...args, activation });
  return undefined;
}

/**
 * dZ [R, C] from dY through the activation (from y, or from z where encodeActivatedGemm kept
 * it); dY itself for linear or a gradient that already is the pre-activation's (a fused loss).
 */
export function encodeActivationGradient(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: { activation: ActivationOrSoftmax; y: GPUBuffer; z?: GPUBuffer; dy: GPUBuffer; R: number; C: number; preActivation?: boolean },
  label: string,
): GPUBuffer {
  if (args.preActivation || args.activation === 'linear') return args.dy;
  const dz = run.scratch(args.R * args.C * 4, `${label}/dz`);
  encodeActivationBackward(gpu, pass, run, { ...args, dz });
  return dz;
}
