// Kernel: the fused LSTM backward step (shaders/lstm_step_backward.wgsl with backward_steps.wgsl):
// one dispatch a step, or where runsPersistent one for the whole sequence (main_persistent).
import source from '../../shaders/lstm_step_backward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationFlops, f32Work, type Work } from '../runtime/dispatchRecord.js';
import { activationId, type Activation } from './activations.js';
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

export interface LstmStepBackwardArgs extends StepSequence {
  activation: Activation;
  recurrentActivation: Activation;
  /** [T, B, 4H], written: the gate pre-activation gradients. */
  dG: GPUBuffer;
  /** [4H, H]: the recurrent kernel transposed. */
  whT: GPUBuffer;
  /** dySeq: [T, B, H] time-major gradient of every h[t]; otherwise [B, H], of the last h. */
  dY: GPUBuffer;
  dySeq: boolean;
  /** [T, B, 4H] and [T+1, B, H], kept by the forward. */
  acts: GPUBuffer;
  cseq: GPUBuffer;
  /** [B, H]: dc_T in (zeros, or the gradient of a returned c), dc_0 out. With a mask, [2, B, H]: dc, then the dh carried through masked steps (zeros in; out: the part of dh0 not in dG[0]·Whᵀ). */
  dc: GPUBuffer;
}

export function lstmStepBackwardKernel(options: {
  activation: Activation;
  recurrentActivation: Activation;
  dySeq: boolean;
  rows: number;
  masked?: boolean;
  recurrentDropout?: boolean;
  form: BackwardForm;
}): KernelSource {
  const persistent = options.form === 'persistent';
  return stepKernel(
    'lstm_step_backward',
    body,
    options,
    {
      RECURRENT_ACTIVATION: activationId(options.recurrentActivation, 'recurrentActivation'),
      DY_SEQ: +options.dySeq,
      ...(persistent ? persistentBackwardConstants(4) : {}),
    },
    ['storage', 'read', 'read', 'read', 'read', 'storage', 'read', 'uniform-dynamic', 'read'],
    persistent ? 'main_persistent' : 'main',
  );
}

/**
 * Work of the dispatch of step t, per (b, j) of [B, H]:
 *   dh = (dG[t+1]·Whᵀ)⊙m + dY[t] (+ carried dh)   2·4H when t + 1 < T (→ 8·B·H²), ⊙m 1, + dY 1
 *                                                  (dySeq or t = T−1), + carried 1 (masked)
 *   tc = act(c[t]) act;  dc = dc + dh·o·act'(tc)  act + 3
 *   dG_i, dG_f, dG_o = ·σ'  3·(σ + 2);  dG_g = ·act'  act + 2;  dc·f  1
 * flops = [t+1<T]·8·B·H² + B·H·(12 + 3·σ + 3·act + [m] + [dY] + [masked]).
 * Reads [t+1<T]: WhT [4H, H], dG[t+1] [B, 4H]; acts[t] [B, 4H]; c[t], c[t-1], dc [B, H];
 * [dY]: dY[t] [B, H]; masked: mask column [B], carried dh [B, H]; m [B, H].
 * Writes dG[t] [B, 4H], dc [B, H] (+ masked: carried dh [B, H]).
 */
export function lstmStepBackwardWork(a: BackwardStepShape & { activation: Activation; recurrentActivation: Activation }): Work {
  const { B, H } = a;
  const BH = B * H;
  const { next, dy, m, k } = backwardStepTerms(a);
  const pointwise = 12 + 3 * activationFlops(a.recurrentActivation) + 3 * activationFlops(a.activation) + m + dy + k;
  const read = next * (4 * H * H + 4 * BH) + 4 * BH + 3 * BH + dy * BH + k * (B + BH) + m * BH;
  return f32Work(next * 8 * BH * H + BH * pointwise, read, 5 * BH + k * BH);
}

/**
 * Encodes steps t = T-1 … 0 into `pass`: one dispatch ('persistent', where runsPersistent) or T,
 * no CPU round trip between them. `form` overrides backwardStepForm (tests run both).
 */
export function encodeLstmStepsBackward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: LstmStepBackwardArgs & { form?: BackwardForm }): void {
  const form =
    args.form ??
    tunedForm(gpu, 'lstm_step_backward', args, persistentOrMain(args.B, args.H), backwardStepForm(args.B, args.H), (p, r, trial) =>
      encodeLstmStepsBackward(gpu, p, r, trial),
    );
  const flags = { masked: !!args.mask, recurrentDropout: !!args.recurrentMask };
  encodeBackwardSteps(gpu, pass, run, args, form, {
    kernel: lstmStepBackwardKernel({ ...args, ...flags, rows: rowsPerInvocation(args.B), form }),
    bindings: (step) => [
      args.dG,
      args.whT,
      args.dY,
      args.acts,
      args.cseq,
      args.dc,
      args.mask ?? run.scratch(16, 'no mask'),
      step,
      args.recurrentMask ?? run.scratch(16, 'no recurrent mask'),
    ],
    work: (t) => lstmStepBackwardWork({ ...args, ...flags, t }),
    weightElements: 4 * args.H * args.H,
    what: `LSTM backward step (B=${args.B}, H=${args.H})`,
  });
}
