// Kernel: the fused GRU backward step (shaders/gru_step_backward.wgsl with
// persistent_backward.wgsl): one dispatch a step with resetAfter, two without, or where
// runsPersistent one for the whole sequence (main_persistent); one more for the initial state's
// gradient when asked.
import source from '../../shaders/gru_step_backward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationFlops, f32Work, totalWork, type Work } from '../runtime/dispatchRecord.js';
import { activationId, type Activation } from './activations.js';
import { withPersistentBackward } from './compose.js';
import {
  persistentOrMain,
  tunedForm,
  type BackwardForm,
  backwardStepForm,
  backwardStepTerms,
  encodePersistentSequence,
  encodeSequenceSteps,
  persistentBackwardConstants,
  persistentWork,
  rowsPerInvocation,
  stepKernel,
} from './steps.js';

/** The shader with persistent_backward.wgsl (main_persistent) after it. */
const body = withPersistentBackward(source);

export interface GruStepBackwardArgs {
  activation: Activation;
  recurrentActivation: Activation;
  resetAfter: boolean;
  /** [T, B, 3H], written: the gradient of the input projection a (and of the matmuls without resetAfter). */
  dG: GPUBuffer;
  /** Written. resetAfter: [T, B, 3H], the gradient of m = h[t-1]·U + b_rec; otherwise [T, B, H], dG's h block again. */
  dGm: GPUBuffer;
  /** [3H, H]: the recurrent kernel transposed. */
  uT: GPUBuffer;
  /** dySeq: [T, B, H] time-major gradient of every h[t]; otherwise [B, H], of the last h. */
  dY: GPUBuffer;
  dySeq: boolean;
  /** Kept by the forward: [T+1, B, H], [T, B, 3H] z, r, n, and [T, B, H] m_h or q. */
  hseq: GPUBuffer;
  acts: GPUBuffer;
  aux: GPUBuffer;
  /** [B, H]: zeros (or the gradient of a returned h) in; with initialStateGrad, dh0 out. */
  carry: GPUBuffer;
  /** Encode the last dispatch, which leaves dh0 in `carry`. */
  initialStateGrad?: boolean;
  T: number;
  B: number;
  H: number;
  /** Masking: `carry` is [B·H + B·T], the mask [B, T] (f32 1/0) packed after the carry. */
  masked?: boolean;
  /** recurrentDropout: the forward's multipliers [B, H] of h[t-1], packed after those (and the mask). */
  recurrentDropout?: boolean;
  backwards?: boolean;
}

/** `phase` selects `main`'s phase (PHASE); the persistent form runs every phase of every step. */
export function gruStepBackwardKernel(options: {
  activation: Activation;
  recurrentActivation: Activation;
  resetAfter: boolean;
  dySeq: boolean;
  rows: number;
  phase: 0 | 1;
  masked?: boolean;
  recurrentDropout?: boolean;
  form?: BackwardForm;
}): KernelSource {
  const persistent = options.form === 'persistent';
  const constants = {
    RECURRENT_ACTIVATION: activationId(options.recurrentActivation, 'recurrentActivation'),
    DY_SEQ: +options.dySeq,
    RESET_AFTER: +options.resetAfter,
    PHASE: persistent ? 0 : options.phase,
    ...(persistent ? persistentBackwardConstants(3) : {}),
  };
  const bindings = ['storage', 'storage', 'read', 'read', 'read', 'read', 'read', 'storage', 'uniform-dynamic'] as const;
  return stepKernel('gru_step_backward', body, options, constants, bindings, persistent ? 'main_persistent' : 'main');
}

/** What the backward's work formulas see of a sequence. */
export interface GruBackwardShape {
  activation: Activation;
  recurrentActivation: Activation;
  resetAfter: boolean;
  dySeq: boolean;
  B: number;
  H: number;
  T: number;
  masked?: boolean;
  recurrentDropout?: boolean;
}

/**
 * Work of one dispatch: step t's `phase`, or the final pass. Per (b, j) of [B, H]; with
 * recurrentDropout (m) each product with m costs 1; [dY] = dySeq or t = T−1:
 *   resetAfter, t: dh = (dGm[t+1]·Uᵀ)·m + carry (+ dY)   2·3H when t + 1 < T (→ 6·B·H²), 1 (+ 1)
 *     dz = dh·(h'−n)·σ'(z)  σ + 3;  dn = dh·(1−z)·act'(n)  act + 3;  dr = dn·m_h·σ'(r)  σ + 2
 *     dGm_h = dn·r  1;  carry = dh·z (·m)  1;  h' = h·m;  m: 3 products
 *     reads [t+1<T]: UT [3H, H], dGm[t+1] [B, 3H]; acts[t] [B, 3H]; h[t-1], aux[t], carry [B, H]
 *     (+ [dY] dY[t] [B, H], masked: mask [B], m [B, H]); writes dG[t], dGm[t] [B, 3H], carry [B, H]
 *   reset before, phase 0, t: recurrent term over dG[t+1]_zr, 2·2H (→ 4·B·H²); dh, dz, dn and
 *     carry as above: 1 (+ 1) + σ + 3 + act + 3 + 1; m: 3 products
 *     reads [t+1<T]: UT_zr [2H, H], dG[t+1]_zr [B, 2H]; z, n, h[t-1], carry (+ dY, mask, m);
 *     writes dG[t]_z, dG[t]_h, dGh[t], carry [B, H]
 *   reset before, phase 1, t: dq = dGh[t]·U_hᵀ  2H (→ 2·B·H²);  dG_r = dq·h'·σ'(r)  σ + 2;
 *     carry += dq·r (·m)  2;  m: 2 products
 *     reads UT_h [H, H], dGh[t], r, h[t-1], carry [B, H] (+ mask, m); writes dG[t]_r, carry [B, H]
 *   final pass: carry += (slice 0·Uᵀ)·m: 2·K·H + 1 (+ 1), K = 3H (resetAfter) or 2H
 *     reads UT [K, H], dGm[0] or dG[0]_zr [B, K], carry (+ m) [B, H]; writes carry [B, H]
 */
export function gruStepBackwardWork(a: GruBackwardShape & { t: number; phase: 0 | 1; finalPass?: boolean }): Work {
  const { B, H } = a;
  const BH = B * H;
  const [sig, act] = [activationFlops(a.recurrentActivation), activationFlops(a.activation)];
  const { next, dy, m, k } = backwardStepTerms(a);
  if (a.finalPass) {
    const K = a.resetAfter ? 3 * H : 2 * H;
    return f32Work(2 * B * K * H + BH * (1 + m), K * H + B * K + BH * (1 + m), BH);
  }
  if (a.resetAfter) {
    const flops = next * 6 * BH * H + BH * (11 + 2 * sig + act + dy + 3 * m);
    const read = next * (3 * H * H + 3 * BH) + 3 * BH + 3 * BH + dy * BH + k * B + m * BH;
    return f32Work(flops, read, 7 * BH);
  }
  if (a.phase === 0) {
    const flops = next * 4 * BH * H + BH * (8 + sig + act + dy + 3 * m);
    const read = next * (2 * H * H + 2 * BH) + 4 * BH + dy * BH + k * B + m * BH;
    return f32Work(flops, read, 4 * BH);
  }
  return f32Work(2 * BH * H + BH * (sig + 4 + 2 * m), H * H + 4 * BH + k * B + m * BH, 2 * BH);
}

/**
 * Work of main_persistent: every phase of the T steps (gruStepBackwardWork), UT read once. A step
 * reads UT (resetAfter: all 3H·H) when t + 1 < T; reset before U_zr (2H·H) then and U_h (H·H)
 * every step.
 */
export function gruPersistentBackwardWork(a: GruBackwardShape): Work {
  const phases: (0 | 1)[] = a.resetAfter ? [0] : [0, 1];
  const H2 = a.H * a.H;
  const recurrentReads = (t: number) => {
    const next = t + 1 < a.T ? 1 : 0;
    return a.resetAfter ? next * 3 * H2 : next * 2 * H2 + H2;
  };
  return persistentWork(a.T, {
    work: (t) => totalWork(phases.map((phase) => gruStepBackwardWork({ ...a, t, phase }))),
    weightElements: recurrentReads,
  });
}

/**
 * Encodes steps t = T-1 … 0 into `pass`: one dispatch ('persistent', where runsPersistent), or T
 * with resetAfter and 2T without; then with `initialStateGrad` one more that leaves dh0 in
 * `carry`. No CPU round trip between them. `form` overrides backwardStepForm (tests run both).
 */
export function encodeGruStepsBackward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: GruStepBackwardArgs & { form?: BackwardForm }): void {
  const form =
    args.form ??
    tunedForm(
      gpu,
      `gru_step_backward/${args.resetAfter ? 'after' : 'before'}`,
      args,
      persistentOrMain(args.B, args.H),
      backwardStepForm(args.B, args.H),
      (p, r, trial) => encodeGruStepsBackward(gpu, p, r, trial),
    );
  const rows = rowsPerInvocation(args.B);
  const phases: (0 | 1)[] = args.resetAfter ? [0] : [0, 1];
  const flags = { masked: !!args.masked, recurrentDropout: !!args.recurrentDropout };
  const work = (t: number, phase: 0 | 1, finalPass = false) => gruStepBackwardWork({ ...args, ...flags, t, phase, finalPass });
  const bindings = (step: GPUBufferBinding) => [args.dG, args.dGm, args.uT, args.dY, args.hseq, args.acts, args.aux, args.carry, step];
  const what = `GRU backward step (B=${args.B}, H=${args.H})`;
  const stepKernelOf = (phase: 0 | 1) => gruStepBackwardKernel({ ...args, rows, phase, form: 'main' });
  if (form === 'persistent') {
    encodePersistentSequence(gpu, pass, run, args, {
      kernel: gruStepBackwardKernel({ ...args, rows, phase: 0, form }),
      bindings,
      what,
      work: () => gruPersistentBackwardWork({ ...args, ...flags }),
      finalPass: args.initialStateGrad ? { kernel: stepKernelOf(0), work: () => work(0, 0, true) } : undefined,
    });
    return;
  }
  encodeSequenceSteps(gpu, pass, run, args, {
    phases: phases.map(stepKernelOf),
    bindings,
    backward: true,
    work: ({ t, phase, finalPass }) => work(t, phase as 0 | 1, finalPass),
    // Reads slice 0 and writes only carry: dh0.
    finalPass: args.initialStateGrad,
    what,
  });
}
