// Kernel: the fused LSTM forward step (shaders/lstm_step_forward.wgsl), one dispatch a step.
import source from '../../shaders/lstm_step_forward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationFlops, f32Work, type Work } from '../runtime/dispatchRecord.js';
import { activationId, type Activation } from './activations.js';
import { encodeSequenceSteps, rowsPerInvocation, type StepSequence, stepKernel } from './steps.js';

/** main_split_k: units a workgroup (STEP_WG / SPLIT_UNITS lanes split each unit's sum over k). */
const SPLIT_UNITS = 8;

/**
 * Whether a step of B rows runs `main_split_k`: when the whole batch fits one row block
 * (rowsPerInvocation), `main` would run only ceil(H / WG) workgroups (2 at H = 128), far too
 * few for a GPU; the split form runs ceil(H / SPLIT_UNITS) (16 there) for the same reads.
 */
export function lstmStepSplitsK(B: number): boolean {
  return B <= 4;
}

export interface LstmStepOptions {
  activation: Activation;
  recurrentActivation: Activation;
  /** Keep the activated gates and every cell state for the backward pass. */
  keep: boolean;
}

export interface LstmStepArgs extends LstmStepOptions, StepSequence {
  /** [T, B, 4H] gate pre-activations from the input projection. */
  g: GPUBuffer;
  /** [H, 4H]. */
  wh: GPUBuffer;
  /** [T+1, B, H], slot 0 holding h0. */
  hseq: GPUBuffer;
  /** keep: [T+1, B, H] with slot 0 holding c0; otherwise [B, H] holding c0, updated in place. */
  cseq: GPUBuffer;
  /** keep: [T, B, 4H]. */
  acts?: GPUBuffer;
}

export function lstmStepForwardKernel(
  options: LstmStepOptions & { rows: number; masked?: boolean; recurrentDropout?: boolean; splitK?: boolean },
): KernelSource {
  const split: Record<string, number> = options.splitK ? { SPLIT_UNITS } : {};
  return stepKernel(
    'lstm_step_forward',
    source,
    options,
    { RECURRENT_ACTIVATION: activationId(options.recurrentActivation, 'recurrentActivation'), KEEP: +options.keep, ...split },
    ['read', 'read', 'storage', 'storage', 'storage', 'read', 'uniform-dynamic', 'read'],
    options.splitK ? 'main_split_k' : 'main',
  );
}

/**
 * Work of one step dispatch (either entry point; every step alike), per (b, j) of [B, H]:
 *   z = G[t] + h[t-1]·Wh        4 gates × (2H + 1)                   → 8·B·H² + 4·B·H
 *   i, f, o = σ(z), g = act(z)  3·σ + act
 *   c = f⊙c[t-1] + i⊙g          3;   h = o⊙act(c)   act + 1
 *   recurrentDropout: h[t-1]⊙m  1
 * flops = 8·B·H² + B·H·(8 + 3·σ + 2·act) (+ B·H).
 * Reads Wh [H, 4H], G[t] [B, 4H], h[t-1], c[t-1] [B, H] (+ mask column [B], + m [B, H]);
 * writes h[t], c[t] [B, H] (+ keep: acts[t] [B, 4H]).
 */
export function lstmStepForwardWork(a: LstmStepOptions & { B: number; H: number; masked?: boolean; recurrentDropout?: boolean }): Work {
  const { B, H } = a;
  const BH = B * H;
  const pointwise = 8 + 3 * activationFlops(a.recurrentActivation) + 2 * activationFlops(a.activation) + (a.recurrentDropout ? 1 : 0);
  const read = 4 * H * H + 4 * BH + 2 * BH + (a.masked ? B : 0) + (a.recurrentDropout ? BH : 0);
  return f32Work(8 * BH * H + BH * pointwise, read, 2 * BH + (a.keep ? 4 * BH : 0));
}

/**
 * Encodes steps t = 0 … T-1 into `pass`: T dispatches, no CPU round trip between them.
 * `splitK` overrides the choice of lstmStepSplitsK (tests run both forms).
 */
export function encodeLstmStepsForward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: LstmStepArgs & { splitK?: boolean }): void {
  const splitK = args.splitK ?? lstmStepSplitsK(args.B);
  const kernel = lstmStepForwardKernel({ ...args, rows: rowsPerInvocation(args.B), masked: !!args.mask, recurrentDropout: !!args.recurrentMask, splitK });
  encodeSequenceSteps(gpu, pass, run, args, {
    phases: [kernel],
    bindings: (step) => [
      args.g,
      args.wh,
      args.hseq,
      args.cseq,
      args.acts ?? run.scratch(16, 'no acts'),
      args.mask ?? run.scratch(16, 'no mask'),
      step,
      args.recurrentMask ?? run.scratch(16, 'no recurrent mask'),
    ],
    backward: false,
    unitsPerGroup: splitK ? SPLIT_UNITS : undefined,
    work: () => lstmStepForwardWork({ ...args, masked: !!args.mask, recurrentDropout: !!args.recurrentMask }),
    what: `LSTM step (B=${args.B}, H=${args.H})`,
  });
}
