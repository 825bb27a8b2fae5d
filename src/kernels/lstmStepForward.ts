// Kernel: the fused LSTM forward step (shaders/lstm_step_forward.wgsl): one dispatch a step, or
// for small shapes one persistent workgroup for the whole sequence (lstmForwardForm).
import source from '../../shaders/lstm_step_forward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationFlops, f32Work, type Work } from '../runtime/dispatchRecord.js';
import { activationId, type Activation } from './activations.js';
import { withForwardSteps } from './compose.js';
import { ceilDiv } from './dispatch.js';
import {
  tunedForm,
  encodePersistentSequence,
  encodeSequenceSteps,
  PERSIST_CONSTANTS,
  rowsPerInvocation,
  runsPersistent,
  STEP_WG,
  type StepSequence,
  stepKernel,
} from './steps.js';

/** The shader with forward_steps.wgsl (main) and persistent_steps.wgsl (main_persistent) after it: one module for every entry point. */
const body = withForwardSteps(source);

/** main_split_k: units a workgroup (STEP_WG / SPLIT_UNITS lanes split each unit's sum over k). */
const SPLIT_UNITS = 8;

/**
 * Fewer workgroups than this leave a discrete GPU's compute units idle (H200: 132 SMs); below
 * it `main` gives way to `main_split_k`.
 */
export const MIN_STEP_WORKGROUPS = 128;

/** Workgroups a step of `main` launches: ceil(H / WG) · ceil(B / rows). */
export function mainStepWorkgroups(B: number, H: number): number {
  return ceilDiv(H, STEP_WG) * ceilDiv(B, rowsPerInvocation(B));
}

/**
 * The entry point a sequence of B rows and H units runs:
 * - 'persistent' (`main_persistent`, shaders/persistent_steps.wgsl) where runsPersistent: one
 *   dispatch for all T steps.
 * - 'splitK' (`main_split_k`) where `main` would launch fewer than MIN_STEP_WORKGROUPS: the
 *   split form launches WG / SPLIT_UNITS (8) times as many, ceil(H / SPLIT_UNITS) ·
 *   ceil(B / rows), for the same Wh reads (each workgroup still serves `rows` batch rows).
 * - 'main' otherwise: ceil(H / WG) · ceil(B / rows) workgroups a step.
 */
export type LstmForwardForm = 'main' | 'splitK' | 'persistent';

/** The forms that can run B rows of H units: the candidates the tuner times. */
export function lstmForwardForms(B: number, H: number): LstmForwardForm[] {
  return runsPersistent(B, H) ? ['persistent', 'main', 'splitK'] : ['main', 'splitK'];
}

export function lstmForwardForm(B: number, H: number): LstmForwardForm {
  if (runsPersistent(B, H)) return 'persistent';
  return mainStepWorkgroups(B, H) < MIN_STEP_WORKGROUPS ? 'splitK' : 'main';
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

const ENTRY_POINTS: Record<LstmForwardForm, string> = { main: 'main', splitK: 'main_split_k', persistent: 'main_persistent' };

export function lstmStepForwardKernel(
  options: LstmStepOptions & { rows: number; masked?: boolean; recurrentDropout?: boolean; form: LstmForwardForm },
): KernelSource {
  const own: Record<string, number> = options.form === 'splitK' ? { SPLIT_UNITS } : options.form === 'persistent' ? PERSIST_CONSTANTS : {};
  return stepKernel(
    'lstm_step_forward',
    body,
    options,
    { RECURRENT_ACTIVATION: activationId(options.recurrentActivation, 'recurrentActivation'), KEEP: +options.keep, ...own },
    ['read', 'read', 'storage', 'storage', 'storage', 'read', 'uniform-dynamic', 'read'],
    ENTRY_POINTS[options.form],
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
 * Work of main_persistent over T steps: T steps' FLOPs; reads Wh once, G [T, B, 4H], h0, c0, the
 * mask [B, T], m, and each h[t] again from hseq to stage it (T·B·H); writes h[1…T], and c (keep:
 * c[1…T] and the acts).
 */
export function lstmPersistentWork(a: LstmStepOptions & { T: number; B: number; H: number; masked?: boolean; recurrentDropout?: boolean }): Work {
  const { T, B, H } = a;
  const BH = B * H;
  const step = lstmStepForwardWork(a);
  const read = 4 * H * H + T * 4 * BH + 2 * BH + T * BH + (a.masked ? B * T : 0) + (a.recurrentDropout ? BH : 0);
  const written = T * BH + (a.keep ? T * BH + T * 4 * BH : BH);
  return f32Work(T * step.flops, read, written);
}

/**
 * Encodes steps t = 0 … T-1 into `pass`: one dispatch ('persistent') or T, no CPU round trip
 * between them. `form` overrides lstmForwardForm (tests run every form).
 */
export function encodeLstmStepsForward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: LstmStepArgs & { form?: LstmForwardForm }): void {
  const form =
    args.form ??
    tunedForm(gpu, `lstm_step_forward${args.keep ? '/keep' : ''}`, args, lstmForwardForms(args.B, args.H), lstmForwardForm(args.B, args.H), (p, r, trial) =>
      encodeLstmStepsForward(gpu, p, r, trial),
    );
  const flags = { ...args, rows: rowsPerInvocation(args.B), masked: !!args.mask, recurrentDropout: !!args.recurrentMask };
  const kernel = lstmStepForwardKernel({ ...flags, form });
  const bindings = (step: GPUBufferBinding) => [
    args.g,
    args.wh,
    args.hseq,
    args.cseq,
    args.acts ?? run.scratch(16, 'no acts'),
    args.mask ?? run.scratch(16, 'no mask'),
    step,
    args.recurrentMask ?? run.scratch(16, 'no recurrent mask'),
  ];
  const what = `LSTM step (B=${args.B}, H=${args.H})`;
  if (form === 'persistent') {
    encodePersistentSequence(gpu, pass, run, args, { kernel, bindings, what, work: () => lstmPersistentWork(flags) });
    return;
  }
  encodeSequenceSteps(gpu, pass, run, args, {
    phases: [kernel],
    bindings,
    backward: false,
    unitsPerGroup: form === 'splitK' ? SPLIT_UNITS : undefined,
    work: () => lstmStepForwardWork(flags),
    what,
  });
}
