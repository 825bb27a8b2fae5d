// Kernel: the fused GRU forward step (shaders/gru_step_forward.wgsl): one dispatch a step with
// resetAfter, two (gates, then candidate) without; where runsPersistent, one dispatch for the
// whole sequence (main_persistent) in either mode.
import source from '../../shaders/gru_step_forward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationFlops, f32Work, totalWork, type Work } from '../runtime/dispatchRecord.js';
import { activationId, type Activation } from './activations.js';
import { withForwardSteps } from './compose.js';
import {
  persistentOrMain,
  tunedForm,
  encodePersistentSequence,
  encodeSequenceSteps,
  PERSIST_CONSTANTS,
  persistentWork,
  rowsPerInvocation,
  type StepSequence,
  stepKernel,
} from './steps.js';

/** The shader with forward_steps.wgsl (main) and persistent_steps.wgsl (main_persistent) after it: one module for every entry point. */
const body = withForwardSteps(source);

export interface GruStepOptions {
  activation: Activation;
  recurrentActivation: Activation;
  resetAfter: boolean;
  /** Keep z, r, n and aux of every step for the backward pass. */
  keep: boolean;
}

export interface GruStepArgs extends GruStepOptions, StepSequence {
  /** [T, B, 3H] the input projection X·W + b_in. */
  g: GPUBuffer;
  /** [H, 3H]. */
  u: GPUBuffer;
  /** The layer's [2, 3H] bias (resetAfter; its row 1 is b_rec); undefined without bias. */
  bias?: GPUBuffer;
  /** [T+1, B, H], slot 0 holding h0. */
  hseq: GPUBuffer;
  /** keep: [T, B, 3H] z, r, n (otherwise scratch is taken from `run` where needed). */
  acts?: GPUBuffer;
  /** keep: [T, B, H] m_h (resetAfter) or q = r⊙h[t-1]. */
  aux?: GPUBuffer;
}

/** 'persistent': main_persistent, one dispatch for the sequence; 'main': one or two a step. */
export type GruForwardForm = 'main' | 'persistent';

export function gruStepForwardKernel(
  options: GruStepOptions & { hasBias: boolean; rows: number; phase: 0 | 1; masked?: boolean; recurrentDropout?: boolean; form?: GruForwardForm },
): KernelSource {
  const persistent = options.form === 'persistent';
  const constants = {
    RECURRENT_ACTIVATION: activationId(options.recurrentActivation, 'recurrentActivation'),
    KEEP: +options.keep,
    RESET_AFTER: +options.resetAfter,
    HAS_BIAS: +(options.resetAfter && options.hasBias),
    PHASE: persistent ? 0 : options.phase,
    ...(persistent ? PERSIST_CONSTANTS : {}),
  };
  const bindings = ['read', 'read', 'read', 'storage', 'storage', 'storage', 'read', 'uniform-dynamic', 'read'] as const;
  return stepKernel('gru_step_forward', body, options, constants, bindings, persistent ? 'main_persistent' : 'main');
}

/**
 * Work of one dispatch of `phase` (every step alike), per (b, j) of [B, H]; h' = h[t-1]⊙m
 * costs 1 with recurrentDropout:
 *   resetAfter: m = h'·U (+ b_rec)        3·2H (→ 6·B·H²) (+ 3)
 *     z, r = σ(a + m)  2·(1 + σ);  n = act(a_h + r·m_h)  2 + act;  h = z·h' + (1−z)·n  4
 *     reads U [H, 3H], G[t] [B, 3H], h[t-1] [B, H] (+ b_rec [3H], mask [B], m [B, H]);
 *     writes h[t] [B, H] (+ keep: acts [B, 3H], aux [B, H])
 *   reset before, phase 0: z, r = σ(a + h'·U_zr)  2·(2H + 1 + σ) (→ 4·B·H²);  q = r·h'  1
 *     reads U_zr [H, 2H], G[t]_zr [B, 2H], h[t-1] (+ m); writes acts_zr [B, 2H], q [B, H]
 *   reset before, phase 1: n = act(a_h + q·U_h)  2H + 1 + act (→ 2·B·H²);  h  4
 *     reads U_h [H, H], q, G[t]_h, z, h[t-1] [B, H] (+ mask, m); writes h[t] (+ keep: n) [B, H]
 */
export function gruStepForwardWork(
  a: GruStepOptions & { B: number; H: number; phase: 0 | 1; hasBias: boolean; masked?: boolean; recurrentDropout?: boolean },
): Work {
  const { B, H } = a;
  const BH = B * H;
  const [sig, act] = [activationFlops(a.recurrentActivation), activationFlops(a.activation)];
  const [m, k] = [a.recurrentDropout ? 1 : 0, a.masked ? 1 : 0];
  if (a.resetAfter) {
    const bias = a.hasBias ? 1 : 0;
    const flops = 6 * BH * H + BH * (8 + 2 * sig + act + 3 * bias + m);
    const read = 3 * H * H + 3 * BH + BH + 3 * H * bias + k * B + m * BH;
    return f32Work(flops, read, BH + (a.keep ? 4 * BH : 0));
  }
  if (a.phase === 0) return f32Work(4 * BH * H + BH * (3 + 2 * sig + m), 2 * H * H + 3 * BH + m * BH, 3 * BH);
  return f32Work(2 * BH * H + BH * (5 + act + m), H * H + 4 * BH + k * B + m * BH, BH + (a.keep ? BH : 0));
}

/**
 * Work of main_persistent over T steps: T steps' FLOPs. resetAfter: reads U and b_rec once, G
 * [T, B, 3H], h0, the mask [B, T], m, and each h[t] again to stage it (T·B·H); writes h[1…T]
 * (+ keep: acts and aux of every step). Reset before: both phases of every step
 * (gruStepForwardWork), U read once.
 */
export function gruPersistentWork(
  a: GruStepOptions & { T: number; B: number; H: number; hasBias: boolean; masked?: boolean; recurrentDropout?: boolean },
): Work {
  const { T, B, H } = a;
  const BH = B * H;
  if (!a.resetAfter) {
    const step = totalWork([0, 1].map((phase) => gruStepForwardWork({ ...a, phase: phase as 0 | 1 })));
    return persistentWork(T, { work: () => step, weightElements: () => 3 * H * H });
  }
  const step = gruStepForwardWork({ ...a, phase: 0 });
  const read = 3 * H * H + (a.hasBias ? 3 * H : 0) + T * 3 * BH + BH + T * BH + (a.masked ? B * T : 0) + (a.recurrentDropout ? BH : 0);
  return f32Work(T * step.flops, read, T * BH * (a.keep ? 5 : 1));
}

/**
 * Encodes steps t = 0 … T-1 into `pass`: one dispatch where runsPersistent, else T with
 * resetAfter and 2T without; no CPU round trip between them. `form` overrides the choice.
 */
export function encodeGruStepsForward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: GruStepArgs & { form?: GruForwardForm }): void {
  const { B, H, keep, resetAfter } = args;
  if (keep && !(args.acts && args.aux)) throw new Error('encodeGruStepsForward: keep needs the acts and aux buffers.');
  const form =
    args.form ??
    tunedForm(
      gpu,
      `gru_step_forward/${resetAfter ? 'after' : 'before'}${keep ? '/keep' : ''}`,
      args,
      persistentOrMain(B, H),
      persistentOrMain(B, H)[0],
      (p, r, trial) => encodeGruStepsForward(gpu, p, r, trial),
    );
  // Reset before hands z and q from phase 0 to phase 1 through one [B, ·] slot.
  const acts = args.acts ?? run.scratch(resetAfter ? 16 : B * 3 * H * 4, 'gru acts');
  const aux = args.aux ?? run.scratch(resetAfter ? 16 : B * H * 4, 'gru aux');
  const bias = args.bias ?? run.scratch(16, 'no bias');
  const mask = args.mask ?? run.scratch(16, 'no mask');
  const recurrentMask = args.recurrentMask ?? run.scratch(16, 'no recurrent mask');
  const flags = { ...args, hasBias: !!args.bias, rows: rowsPerInvocation(B), masked: !!args.mask, recurrentDropout: !!args.recurrentMask };
  const bindings = (step: GPUBufferBinding) => [args.g, args.u, bias, args.hseq, acts, aux, mask, step, recurrentMask];
  const what = `GRU step (B=${B}, H=${H})`;
  if (form === 'persistent') {
    const kernel = gruStepForwardKernel({ ...flags, phase: 0, form });
    encodePersistentSequence(gpu, pass, run, args, { kernel, bindings, what, work: () => gruPersistentWork(flags) });
    return;
  }
  const phases: (0 | 1)[] = resetAfter ? [0] : [0, 1];
  encodeSequenceSteps(gpu, pass, run, args, {
    phases: phases.map((phase) => gruStepForwardKernel({ ...flags, phase })),
    bindings,
    backward: false,
    work: ({ phase }) => gruStepForwardWork({ ...flags, phase: phase as 0 | 1 }),
    what,
  });
}
