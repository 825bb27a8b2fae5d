// Per-step uniforms and dispatch loop of the step kernels: one 256-byte slot a dispatch in one
// buffer, bound with a dynamic offset, so a whole sequence needs one uniform write and one bind
// group per pipeline.
import type { BindingKind, Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { totalWork, type Work } from '../runtime/dispatchRecord.js';
import { type Activation, activationId } from './activations.js';
import { stepShaderSource } from './compose.js';
import { LimitError } from '../spec/errors.js';
import { shapeBucket } from '../runtime/tuner.js';
import { tunedVariant } from './tuning.js';
import { ceilDiv, dispatch } from './dispatch.js';

/** Invocations a step kernel's workgroup (the prelude's WG). */
export const STEP_WG = 64;

/** Bytes of one step's slot: a multiple of every adapter's uniform offset alignment (≤ 256). */
export const STEP_SLOT = 256;

/** The fields of `struct Step` (shaders/step_prelude.wgsl) in its order, one u32 each. */
export const STEP_FIELDS = ['t', 'B', 'H', 'T', 'tIn', 'finalPass', 'reverse', '_pad0'] as const;
export type StepField = (typeof STEP_FIELDS)[number];

/** Bytes of Step: what a step kernel binds of its slot. */
export const STEP_BYTES = STEP_FIELDS.length * 4;

/** One dispatch's Step by field name; finalPass and the padding default to 0. */
export type StepValues = Record<'t' | 'B' | 'H' | 'T' | 'tIn', number> & Partial<Record<StepField, number>>;

/** `step` as the u32 words of Step, in STEP_FIELDS order. */
export function packStep(step: StepValues): number[] {
  return STEP_FIELDS.map((field) => step[field] ?? 0);
}

/** A uniform buffer holding `slot(t)` (u32 words) for t = 0 … T-1, each at t·STEP_SLOT. */
export function stepUniforms(run: RunScope, T: number, slot: (t: number) => number[]): GPUBuffer {
  const words = STEP_SLOT / 4;
  const data = new Uint32Array(T * words);
  for (let t = 0; t < T; t++) data.set(slot(t), t * words);
  return run.uniform(data);
}

/** Batch rows per invocation: enough to reuse each weight load, no more than the batch has. */
export function rowsPerInvocation(B: number): number {
  return Math.min(B, 4);
}

/** What a step kernel's encoder takes of the sequence. */
export interface StepSequence {
  T: number;
  B: number;
  H: number;
  /** [B, T] f32 1/0 batch-major: steps with 0 carry the state through (Keras masking). */
  mask?: GPUBuffer;
  /** goBackwards: processing step t reads input step T−1−t (the mask column). */
  backwards?: boolean;
  /** [B, H]: multipliers of h[t-1] where the cell reads it (Keras recurrentDropout, in training); the backward takes the forward's. */
  recurrentMask?: GPUBuffer;
}

/** The settings behind the prelude's overrides TB, ACTIVATION, MASKED and REC_DROPOUT. */
export interface StepKernelFlags {
  activation: Activation;
  rows: number;
  masked?: boolean;
  recurrentDropout?: boolean;
}

/**
 * A step kernel: `body` composed with the preludes (stepShaderSource), the prelude's overrides
 * from `flags` followed by the shader's own `constants`, and a cache key naming all of them.
 */
export function stepKernel(
  name: string,
  body: string,
  flags: StepKernelFlags,
  constants: Record<string, number>,
  bindings: readonly BindingKind[],
  entryPoint = 'main',
): KernelSource {
  const all: Record<string, number> = {
    WG: STEP_WG,
    TB: flags.rows,
    ACTIVATION: activationId(flags.activation, 'activation'),
    MASKED: +!!flags.masked,
    REC_DROPOUT: +!!flags.recurrentDropout,
    ...constants,
  };
  const key = Object.entries(all).map(([k, v]) => `${k}=${v}`);
  return { name, cacheKey: [name, entryPoint, ...key].join(':'), getShaderSource: () => stepShaderSource(body), constants: all, bindings, entryPoint };
}

interface StepPipeline {
  kernel: KernelSource;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
}

/** Which dispatch of a sequence a step kernel's work formula is asked about. */
export interface StepDispatch {
  /** The processing step (0 on the final pass). */
  t: number;
  /** Index into StepEncoding.phases. */
  phase: number;
  /** The extra dispatch after the steps (StepEncoding.finalPass). */
  finalPass: boolean;
}

/** How a step kernel's encoder dispatches a sequence. */
export interface StepEncoding {
  /** The kernels of one step, dispatched in this order each step (GRU reset before: two). */
  phases: readonly KernelSource[];
  /** Group-0 bindings of every phase, given the Step binding (one slot, dynamic offset). */
  bindings: (step: GPUBufferBinding) => readonly (GPUBuffer | GPUBufferBinding)[];
  /** Steps run T-1 … 0 (backpropagation through time), otherwise 0 … T-1. */
  backward: boolean;
  /** After the steps, one more dispatch of phases[0] at slot T with Step.finalPass = 1. */
  finalPass?: boolean;
  /** Units one workgroup computes (dispatch x = ceil(H / this)); STEP_WG when absent. */
  unitsPerGroup?: number;
  /** For LimitError messages. */
  what: string;
  /** The kernel's work formula for one dispatch (see dispatchRecord.ts for the convention). */
  work: (d: StepDispatch) => Work;
}

/**
 * Encodes a whole sequence into `pass`: for each step, every phase with its bind group at the
 * step's slot (Step from packStep; tIn = T−1−t with `backwards`); dispatch
 * (ceil(H / unitsPerGroup), ceil(B / rowsPerInvocation(B))). No CPU round trip between them.
 */
export function encodeSequenceSteps(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, seq: StepSequence, enc: StepEncoding): void {
  const { T, B, H } = seq;
  const extra = enc.finalPass ? [{ t: 0, B, H, T, tIn: 0, finalPass: 1 }] : [];
  const reverse = seq.backwards ? 1 : 0;
  const uniforms = stepUniforms(run, T + extra.length, (t) => packStep(t < T ? { t, B, H, T, tIn: reverse ? T - 1 - t : t, reverse } : extra[t - T]));
  const bindings = enc.bindings({ buffer: uniforms, size: STEP_BYTES });
  const phases: StepPipeline[] = enc.phases.map((kernel) => {
    const compiled = gpu.kernel(kernel);
    return { kernel, pipeline: compiled.pipeline, bindGroup: gpu.bindGroup(compiled, bindings) };
  });
  const groupsX = ceilDiv(H, enc.unitsPerGroup ?? STEP_WG);
  const groupsY = ceilDiv(B, rowsPerInvocation(B));
  const slots = Array.from({ length: T }, (_, i) => (enc.backward ? T - 1 - i : i));
  if (phases.length === 1) pass.setPipeline(phases[0].pipeline);
  for (const slot of slots) {
    phases.forEach((p, phase) => {
      if (phases.length > 1) pass.setPipeline(p.pipeline);
      pass.setBindGroup(0, p.bindGroup, [slot * STEP_SLOT]);
      dispatch(gpu, pass, enc.what, p.kernel, { workgroupSize: STEP_WG, work: () => enc.work({ t: slot, phase, finalPass: false }) }, groupsX, groupsY);
    });
  }
  if (enc.finalPass) {
    pass.setPipeline(phases[0].pipeline);
    pass.setBindGroup(0, phases[0].bindGroup, [T * STEP_SLOT]);
    dispatch(gpu, pass, enc.what, phases[0].kernel, { workgroupSize: STEP_WG, work: () => enc.work({ t: 0, phase: 0, finalPass: true }) }, groupsX, groupsY);
  }
}

/** What a backward step's work formula sees of the dispatch. */
export interface BackwardStepShape {
  B: number;
  H: number;
  T: number;
  /** The processing step (BPTT runs T-1 … 0). */
  t: number;
  /** dY is a sequence (every step adds its dY[t]), else only the last step's. */
  dySeq: boolean;
  masked?: boolean;
  recurrentDropout?: boolean;
}

/**
 * The 0/1 terms of a backward step's formula: next (a later step's dG feeds dh: the recurrent
 * mat-vec runs), dy (this step adds dY), m (recurrentDropout), k (masked).
 */
export function backwardStepTerms(a: BackwardStepShape): { next: number; dy: number; m: number; k: number } {
  const next = a.t + 1 < a.T ? 1 : 0;
  return { next, dy: a.dySeq || !next ? 1 : 0, m: a.recurrentDropout ? 1 : 0, k: a.masked ? 1 : 0 };
}

/**
 * main_persistent (shaders/persistent_steps.wgsl, backward_steps.wgsl): invocations of a
 * workgroup; the most units it takes; the most units it takes at any batch (more than one row
 * block).
 */
export const PERSIST_WG = 256;
export const PERSIST_MAX_H = 256;
export const PERSIST_ROW_BLOCKS_MAX_H = 128;

/**
 * Whether a sequence of B rows and H units runs main_persistent: one dispatch for all T steps,
 * one workgroup a block of rowsPerInvocation(B) rows (rows never read each other's state).
 * - B ≤ 4, H ≤ PERSIST_MAX_H: one workgroup. A step there is at most 8·4·256² = 2.1 M FLOPs
 *   (LSTM), ~5 µs on one compute unit of an H200 (455 GFLOP/s): about one dispatch's cost, so
 *   one workgroup doing T steps is never slower than T launches (bench/lib/costModel.ts).
 * - H ≤ PERSIST_ROW_BLOCKS_MAX_H at any B: ceil(B / 4) workgroups, each a quarter of that step
 *   (0.5 M FLOPs, ~1 µs) and a re-read of Wh (≤ 256 KB, from L2) a step. The per-step form
 *   moves the same Wh bytes from L2 a step (every row block of it reads its slice of all of Wh)
 *   and pays a dispatch on top. Beyond 128 units a row block's Wh (1 MB at 256) takes one
 *   compute unit longer to stream than a dispatch costs: the per-step form, spread over all
 *   units, is used there.
 */
export function runsPersistent(B: number, H: number): boolean {
  return H <= PERSIST_MAX_H && (B <= 4 || H <= PERSIST_ROW_BLOCKS_MAX_H);
}

/** The overrides main_persistent is compiled with (after the prelude's). */
export const PERSIST_CONSTANTS: Readonly<Record<string, number>> = { WG: PERSIST_WG, PERSIST_MAX_H };

/** How a persistent step kernel (every step in one dispatch, a workgroup a row block) is encoded. */
export interface PersistentEncoding {
  kernel: KernelSource;
  bindings: StepEncoding['bindings'];
  what: string;
  /** The work of the whole sequence. */
  work: () => Work;
  /**
   * After the sequence, one dispatch of this per-step kernel (Step.finalPass = 1, dispatch
   * (ceil(H / STEP_WG), ceil(B / rows))) on the same bindings: GRU's dh0.
   */
  finalPass?: { kernel: KernelSource; work: () => Work };
}

/**
 * Encodes a whole sequence as one dispatch of ceil(B / rowsPerInvocation(B)) workgroups: Step
 * holds t = 0, T and `reverse` (goBackwards); the kernel loops over the steps itself (forward
 * 0 … T-1, backward T-1 … 0), computing each tIn (input_step). Then enc.finalPass, if given, at
 * the uniform's second slot.
 */
export function encodePersistentSequence(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, seq: StepSequence, enc: PersistentEncoding): void {
  const { T, B, H } = seq;
  if (!runsPersistent(B, H)) {
    throw new LimitError(
      `${enc.what}: the persistent step kernel takes H ≤ ${PERSIST_ROW_BLOCKS_MAX_H} at any batch, or B ≤ 4 and H ≤ ${PERSIST_MAX_H}; got B=${B}, H=${H}.`,
    );
  }
  const reverse = seq.backwards ? 1 : 0;
  const slots = [packStep({ t: 0, B, H, T, tIn: reverse ? T - 1 : 0, reverse }), packStep({ t: 0, B, H, T, tIn: 0, finalPass: 1 })];
  const uniforms = stepUniforms(run, enc.finalPass ? 2 : 1, (slot) => slots[slot]);
  const bindings = enc.bindings({ buffer: uniforms, size: STEP_BYTES });
  const compiled = gpu.kernel(enc.kernel);
  pass.setPipeline(compiled.pipeline);
  pass.setBindGroup(0, gpu.bindGroup(compiled, bindings), [0]);
  dispatch(gpu, pass, enc.what, enc.kernel, { workgroupSize: PERSIST_WG, work: enc.work }, ceilDiv(B, rowsPerInvocation(B)));
  if (enc.finalPass) {
    const final = gpu.kernel(enc.finalPass.kernel);
    pass.setPipeline(final.pipeline);
    pass.setBindGroup(0, gpu.bindGroup(final, bindings), [STEP_SLOT]);
    const work = { workgroupSize: STEP_WG, work: enc.finalPass.work };
    dispatch(gpu, pass, enc.what, enc.finalPass.kernel, work, ceilDiv(H, STEP_WG), ceilDiv(B, rowsPerInvocation(B)));
  }
}

/** The entry point a backward step shader (backward_steps.wgsl) runs a sequence with. */
export type BackwardForm = 'main' | 'persistent';

/** The forms of a GRU or SimpleRNN step (forward) or of any backward step that can run B rows of H units, the cost model's choice first. */
export function persistentOrMain(B: number, H: number): ('persistent' | 'main')[] {
  return runsPersistent(B, H) ? ['persistent', 'main'] : ['main'];
}

export function backwardStepForm(B: number, H: number): BackwardForm {
  return runsPersistent(B, H) ? 'persistent' : 'main';
}

/** The overrides a backward main_persistent is compiled with: dG rows of `gates`·H ≤ gates·PERSIST_MAX_H. */
export function persistentBackwardConstants(gates: number): Record<string, number> {
  return { WG: PERSIST_WG, PERSIST_MAX_K: gates * PERSIST_MAX_H };
}

/** How a backward step shader (LSTM, SimpleRNN) encodes a sequence in either form. */
export interface BackwardStepsEncoding {
  kernel: KernelSource;
  bindings: StepEncoding['bindings'];
  what: string;
  /** The work of the dispatch of step t in the per-step form. */
  work: (t: number) => Work;
  /** Elements of the transposed recurrent kernel each step with t + 1 < T reads (the last step reads none). */
  weightElements: number;
}

/** What persistentWork sees of a sequence's steps. */
export interface PersistentSteps {
  /** The work of step t in the per-step form (every phase of it). */
  work: (t: number) => Work;
  /** Elements of the (transposed) recurrent kernel step t reads; every step's are among the largest step's. */
  weightElements: (t: number) => number;
}

/**
 * Work of a main_persistent as the T steps' work with the recurrent kernel read once
 * (element-once counting per dispatch: Σ_t weightElements(t) counted as the largest step's).
 * The backward kernels' form, and GRU reset before's forward.
 */
export function persistentWork(T: number, enc: PersistentSteps): Work {
  const steps = Array.from({ length: T }, (_, t) => t);
  const total = totalWork(steps.map(enc.work));
  const weights = steps.map(enc.weightElements);
  total.bytesRead -= 4 * (weights.reduce((a, b) => a + b, 0) - weights.reduce((a, b) => Math.max(a, b), 0));
  return total;
}

/** Encodes steps t = T-1 … 0 into `pass`: one dispatch ('persistent') or T, no CPU round trip between them. */
export function encodeBackwardSteps(
  gpu: Gpu,
  pass: GPUComputePassEncoder,
  run: RunScope,
  seq: StepSequence,
  form: BackwardForm,
  enc: BackwardStepsEncoding,
): void {
  if (form === 'persistent') {
    encodePersistentSequence(gpu, pass, run, seq, {
      kernel: enc.kernel,
      bindings: enc.bindings,
      what: enc.what,
      work: () => persistentWork(seq.T, { work: enc.work, weightElements: (t) => (t + 1 < seq.T ? enc.weightElements : 0) }),
    });
    return;
  }
  encodeSequenceSteps(gpu, pass, run, seq, { phases: [enc.kernel], bindings: enc.bindings, backward: true, work: ({ t }) => enc.work(t), what: enc.what });
}

/**
 * The form a step sequence runs in: `fallback` (the cost model's choice) unless the device's
 * tuner has timed `candidates` on this adapter for `family` at this B and H (rounded up to
 * powers of two; T is left out of the key: every form's cost grows alike with it). An untimed
 * shape queues a trial of `encode` with min(T, trialSteps) steps and no mask or recurrent
 * dropout (tunedVariant).
 */
export function tunedForm<A extends { T: number; B: number; H: number }, F extends string>(
  gpu: Gpu,
  family: string,
  args: A,
  candidates: readonly F[],
  fallback: F,
  encode: (pass: GPUComputePassEncoder, run: RunScope, args: A & { form: F }) => void,
): F {
  if (!gpu.tuner.active) return fallback;
  const trialArgs = { ...args, T: Math.min(args.T, gpu.tuner.trialSteps), mask: undefined, recurrentMask: undefined, masked: false, recurrentDropout: false };
  return tunedVariant(gpu, family, `B${shapeBucket(args.B)} H${shapeBucket(args.H)}`, trialArgs, candidates, fallback, (pass, run, form, trial) =>
    encode(pass, run, { ...trial, form }),
  );
}
