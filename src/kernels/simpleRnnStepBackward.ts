// Kernel: the fused SimpleRNN backward step (shaders/simple_rnn_step_backward.wgsl with
// backward_steps.wgsl): one dispatch a step, or where runsPersistent one for the whole sequence
// (main_persistent).
import source from '../../shaders/simple_rnn_step_backward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationFlops, f32Work, type Work } from '../runtime/dispatchRecord.js';
import type { Activation } from './activations.js';
import { gradientNeedsInput } from '../spec/names.js';
import { withBackwardSteps } from './compose.js';
import {
  persistentOrMain,
  tunedForm,
  type BackwardForm,
  type BackwardStepShape,
  backwardStepForm,
  backwardStepTerms,
  encodeBackwardSteps,
  persistentBackwardConstants,
  rowsPerInvocation,
  type StepSequence,
  stepKernel,
} from './steps.js';

/** The shader with backward_steps.wgsl (main, main_persistent) after it. */
const body = withBackwardSteps(source);

export interface SimpleRnnStepBackwardArgs extends StepSequence {
  activation: Activation;
  /** [T, B, H], written: the pre-activation gradients. */
  dG: GPUBuffer;
  /** [H, H]: the recurrent kernel transposed. */
  uT: GPUBuffer;
  /** dySeq: [T, B, H] time-major gradient of every h[t]; otherwise [B, H], of the last h. */
  dY: GPUBuffer;
  dySeq: boolean;
  /** [T+1, B, H], kept by the forward. */
  hseq: GPUBuffer;
  /** With `mask`: [B, H], zeros in; out, the dh carried through masked first steps (add to dG[0]·Uᵀ for dh0). */
  carry?: GPUBuffer;
  /** gelu, swish (gradientNeedsInput): [T, B, H] the pre-activations the forward kept (keepPre). */
  pre?: GPUBuffer;
}

export function simpleRnnStepBackwardKernel(options: {
  activation: Activation;
  dySeq: boolean;
  rows: number;
  masked?: boolean;
  recurrentDropout?: boolean;
  form: BackwardForm;
}): KernelSource {
  const persistent = options.form === 'persistent';
  return stepKernel(
    'simple_rnn_step_backward',
    body,
    options,
    { DY_SEQ: +options.dySeq, ...(persistent ? persistentBackwardConstants(1) : {}) },
    ['storage', 'read', 'read', 'read', 'read', 'storage', 'uniform-dynamic', 'read', 'read'],
    persistent ? 'main_persistent' : 'main',
  );
}

/**
 * Work of the dispatch of step t, per (b, j) of [B, H]:
 *   dh = (dG[t+1]·Uᵀ)⊙m + dY[t] (+ carried)   2H when t + 1 < T (→ 2·B·H²), ⊙m 1, + dY 1 (dySeq
 *                                              or t = T−1), + carried 1 (masked)
 *   dG[t] = dh⊙act'(h[t])                     act + 1
 * Reads [t+1<T]: UT [H, H], dG[t+1] [B, H]; h[t] [B, H]; [dY]: dY[t] [B, H]; masked: mask
 * column [B], carry [B, H]; m [B, H]. Writes dG[t] [B, H] (+ masked: carry [B, H]).
 */
export function simpleRnnStepBackwardWork(a: BackwardStepShape & { activation: Activation }): Work {
  const { B, H } = a;
  const BH = B * H;
  const { next, dy, m, k } = backwardStepTerms(a);
  const flops = next * 2 * BH * H + BH * (1 + activationFlops(a.activation) + m + dy + k);
  const read = next * (H * H + BH) + BH + dy * BH + k * (B + BH) + m * BH;
  return f32Work(flops, read, BH + k * BH);
}

/**
 * Encodes steps t = T-1 … 0 into `pass`: one dispatch ('persistent', where runsPersistent) or T,
 * no CPU round trip between them. `form` overrides backwardStepForm (tests run both).
 */
export function encodeSimpleRnnStepsBackward(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: SimpleRnnStepBackwardArgs & { form?: BackwardForm },
): void {
  if (args.mask && !args.carry) throw new Error('encodeSimpleRnnStepsBackward: a mask needs the carry buffer.');
  if (gradientNeedsInput(args.activation) && !args.pre)
    throw new Error(`encodeSimpleRnnStepsBackward: ${args.activation} needs the forward's pre-activations.`);
  const form =
    args.form ??
    tunedForm(gpu, 'simple_rnn_step_backward', args, persistentOrMain(args.B, args.H), backwardStepForm(args.B, args.H), (p, r, trial) =>
      encodeSimpleRnnStepsBackward(gpu, p, r, trial),
    );
  const flags = { masked: !!args.mask, recurrentDropout: !!args.recurrentMask };
  encodeBackwardSteps(gpu, pass, run, args, form, {
    kernel: simpleRnnStepBackwardKernel({ activation: args.activation, dySeq: args.dySeq, rows: rowsPerInvocation(args.B), ...flags, form }),
    bindings: (step) => [
      args.dG,
      args.uT,
      args.dY,
      args.hseq,
      args.mask ?? run.scratch(16, 'no mask'),
      args.carry ?? run.scratch(16, 'no carry'),
      step,
      args.recurrentMask ?? run.scratch(16, 'no recurrent mask'),
      args.pre ?? run.scratch(16, 'no pre-activations'),
    ],
    work: (t) => simpleRnnStepBackwardWork({ ...args, ...flags, t }),
    weightElements: args.H * args.H,
    what: `SimpleRNN backward step (B=${args.B}, H=${args.H})`,
  });
}
