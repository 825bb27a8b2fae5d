// Kernel: the fused SimpleRNN forward step (shaders/simple_rnn_step_forward.wgsl), one
// dispatch a step. Training uses the same pipeline: hseq is all the backward needs.
import source from '../../shaders/simple_rnn_step_forward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationFlops, f32Work, type Work } from '../runtime/dispatchRecord.js';
import type { Activation } from './activations.js';
import { encodeSequenceSteps, rowsPerInvocation, type StepSequence, stepKernel } from './steps.js';

export interface SimpleRnnStepArgs extends StepSequence {
  activation: Activation;
  /** [T, B, H] pre-activations of the input projection X·W + b. */
  g: GPUBuffer;
  /** [H, H]. */
  u: GPUBuffer;
  /** [T+1, B, H], slot 0 holding h0; step t writes slot t+1. */
  hseq: GPUBuffer;
}

export function simpleRnnStepForwardKernel(options: { activation: Activation; rows: number; masked?: boolean; recurrentDropout?: boolean }): KernelSource {
  return stepKernel('simple_rnn_step_forward', source, options, {}, ['read', 'read', 'storage', 'read', 'uniform-dynamic', 'read']);
}

/**
 * Work of one step dispatch, per (b, j) of [B, H]: h[t] = act(G[t] + (h[t-1]⊙m)·U): 2H + 1
 * + act (+ 1 for ⊙m). flops = 2·B·H² + B·H·(1 + act (+ 1)).
 * Reads U [H, H], G[t], h[t-1] [B, H] (+ mask column [B], + m [B, H]); writes h[t] [B, H].
 */
export function simpleRnnStepForwardWork(a: { activation: Activation; B: number; H: number; masked?: boolean; recurrentDropout?: boolean }): Work {
  const { B, H } = a;
  const BH = B * H;
  const m = a.recurrentDropout ? 1 : 0;
  return f32Work(2 * BH * H + BH * (1 + activationFlops(a.activation) + m), H * H + 2 * BH + (a.masked ? B : 0) + m * BH, BH);
}

/** Encodes steps t = 0 … T-1 into `pass`: T dispatches, no CPU round trip between them. */
export function encodeSimpleRnnStepsForward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: SimpleRnnStepArgs): void {
  const rows = rowsPerInvocation(args.B);
  encodeSequenceSteps(gpu, pass, run, args, {
    phases: [simpleRnnStepForwardKernel({ activation: args.activation, rows, masked: !!args.mask, recurrentDropout: !!args.recurrentMask })],
    bindings: (step) => [args.g, args.u, args.hseq, args.mask ?? run.scratch(16, 'no mask'), step, args.recurrentMask ?? run.scratch(16, 'no recurrent mask')],
    backward: false,
    work: () => simpleRnnStepForwardWork({ ...args, masked: !!args.mask, recurrentDropout: !!args.recurrentMask }),
    what: `SimpleRNN step (B=${args.B}, H=${args.H})`,
  });
}
