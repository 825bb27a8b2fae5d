// Kernel: the fused SimpleRNN forward step (shaders/simple_rnn_step_forward.wgsl): one dispatch
// a step, or where runsPersistent one workgroup for the whole sequence (main_persistent).
// Training uses the same pipelines: hseq is all the backward needs.
import source from '../../shaders/simple_rnn_step_forward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationFlops, f32Work, type Work } from '../runtime/dispatchRecord.js';
import type { Activation } from './activations.js';
import { withForwardSteps } from './compose.js';
import {
  persistentOrMain,
  tunedForm,
  encodePersistentSequence,
  encodeSequenceSteps,
  PERSIST_CONSTANTS,
  rowsPerInvocation,
  type StepSequence,
  stepKernel,
} from './steps.js';

/** The shader with forward_steps.wgsl (main) and persistent_steps.wgsl (main_persistent) after it: one module for every entry point. */
const body = withForwardSteps(source);

export interface SimpleRnnStepArgs extends StepSequence {
  activation: Activation;
  /** [T, B, H] pre-activations of the input projection X·W + b; with keepPre, each step's full pre-activation is written back here. */
  g: GPUBuffer;
  /** Training with gelu or swish (gradientNeedsInput): g[t] becomes z[t] = g[t] + h[t-1]·U, for the backward. */
  keepPre?: boolean;
  /** [H, H]. */
  u: GPUBuffer;
  /** [T+1, B, H], slot 0 holding h0; step t writes slot t+1. */
  hseq: GPUBuffer;
}

/** 'persistent': main_persistent, one dispatch for the sequence; 'main': one a step. */
export type SimpleRnnForwardForm = 'main' | 'persistent';

export function simpleRnnStepForwardKernel(options: {
  activation: Activation;
  rows: number;
  masked?: boolean;
  recurrentDropout?: boolean;
  keepPre?: boolean;
  form?: SimpleRnnForwardForm;
}): KernelSource {
  const persistent = options.form === 'persistent';
  return stepKernel(
    'simple_rnn_step_forward',
    body,
    options,
    { KEEP_PRE: +!!options.keepPre, ...(persistent ? PERSIST_CONSTANTS : {}) },
    ['storage', 'read', 'storage', 'read', 'uniform-dynamic', 'read'],
    persistent ? 'main_persistent' : 'main',
  );
}

/** What the work formulas read of a step sequence. */
interface StepShape {
  activation: Activation;
  B: number;
  H: number;
  masked?: boolean;
  recurrentDropout?: boolean;
  keepPre?: boolean;
}

/**
 * Work of one step dispatch, per (b, j) of [B, H]: h[t] = act(G[t] + (h[t-1]⊙m)·U): 2H + 1
 * + act (+ 1 for ⊙m). flops = 2·B·H² + B·H·(1 + act (+ 1)).
 * Reads U [H, H], G[t], h[t-1] [B, H] (+ mask column [B], + m [B, H]); writes h[t] [B, H]
 * (+ keepPre: z[t] [B, H]).
 */
export function simpleRnnStepForwardWork(a: StepShape): Work {
  const { B, H } = a;
  const BH = B * H;
  const m = a.recurrentDropout ? 1 : 0;
  return f32Work(2 * BH * H + BH * (1 + activationFlops(a.activation) + m), H * H + 2 * BH + (a.masked ? B : 0) + m * BH, BH * (a.keepPre ? 2 : 1));
}

/**
 * Work of main_persistent over T steps: T steps' FLOPs; reads U once, G [T, B, H], h0, the mask
 * [B, T], m, and each h[t] again to stage it (T·B·H); writes h[1…T].
 */
export function simpleRnnPersistentWork(a: StepShape & { T: number }): Work {
  const { T, B, H } = a;
  const BH = B * H;
  const read = H * H + T * BH + BH + T * BH + (a.masked ? B * T : 0) + (a.recurrentDropout ? BH : 0);
  return f32Work(T * simpleRnnStepForwardWork(a).flops, read, T * BH * (a.keepPre ? 2 : 1));
}

/**
 * Encodes steps t = 0 … T-1 into `pass`: one dispatch (where runsPersistent) or T, no CPU round
 * trip between them. `form` overrides the choice (tests run both).
 */
export function encodeSimpleRnnStepsForward(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  args: SimpleRnnStepArgs & { form?: SimpleRnnForwardForm },
): void {
  const forms = persistentOrMain(args.B, args.H);
  const form = args.form ?? tunedForm(gpu, 'simple_rnn_step_forward', args, forms, forms[0], (p, r, t) => encodeSimpleRnnStepsForward(gpu, p, r, t));
  const flags = { ...args, rows: rowsPerInvocation(args.B), masked: !!args.mask, recurrentDropout: !!args.recurrentMask };
  const kernel = simpleRnnStepForwardKernel({ ...flags, form });
  const bindings = (step: GPUBufferBinding) => [
    args.g,
    args.u,
    args.hseq,
    args.mask ?? run.scratch(16, 'no mask'),
    step,
    args.recurrentMask ?? run.scratch(16, 'no recurrent mask'),
  ];
  const what = `SimpleRNN step (B=${args.B}, H=${args.H})`;
  if (form === 'persistent') {
    encodePersistentSequence(gpu, pass, run, args, { kernel, bindings, what, work: () => simpleRnnPersistentWork(flags) });
    return;
  }
  encodeSequenceSteps(gpu, pass, run, args, { phases: [kernel], bindings, backward: false, work: () => simpleRnnStepForwardWork(flags), what });
}
