// Kernel: the fused GRU forward step (shaders/gru_step_forward.wgsl): one dispatch a step with
// resetAfter, two (gates, then candidate) without.
import source from '../../shaders/gru_step_forward.wgsl?raw';
import type { Gpu, KernelSource, RunScope } from '../runtime/device.js';
import { activationId, type Activation } from './activations.js';
import { encodeSequenceSteps, rowsPerInvocation, type StepSequence, stepKernel } from './steps.js';

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

/** Dispatches a step takes. */
export function gruForwardDispatchesPerStep(resetAfter: boolean): number {
  return resetAfter ? 1 : 2;
}

export function gruStepForwardKernel(
  options: GruStepOptions & { hasBias: boolean; rows: number; phase: 0 | 1; masked?: boolean; recurrentDropout?: boolean },
): KernelSource {
  const constants = {
    RECURRENT_ACTIVATION: activationId(options.recurrentActivation, 'recurrentActivation'),
    KEEP: +options.keep,
    RESET_AFTER: +options.resetAfter,
    HAS_BIAS: +(options.resetAfter && options.hasBias),
    PHASE: options.phase,
  };
  return stepKernel('gru_step_forward', source, options, constants, [
    'read',
    'read',
    'read',
    'storage',
    'storage',
    'storage',
    'read',
    'uniform-dynamic',
    'read',
  ]);
}

/**
 * Encodes steps t = 0 … T-1 into `pass`: T dispatches with resetAfter, 2T without; no CPU
 * round trip between them.
 */
export function encodeGruStepsForward(gpu: Gpu, pass: GPUComputePassEncoder, run: RunScope, args: GruStepArgs): void {
  const { B, H, keep, resetAfter } = args;
  if (keep && !(args.acts && args.aux)) throw new Error('encodeGruStepsForward: keep needs the acts and aux buffers.');
  const rows = rowsPerInvocation(B);
  // Reset before hands z and q from phase 0 to phase 1 through one [B, ·] slot.
  const acts = args.acts ?? run.scratch(resetAfter ? 16 : B * 3 * H * 4, 'gru acts');
  const aux = args.aux ?? run.scratch(resetAfter ? 16 : B * H * 4, 'gru aux');
  const bias = args.bias ?? run.scratch(16, 'no bias');
  const mask = args.mask ?? run.scratch(16, 'no mask');
  const recurrentMask = args.recurrentMask ?? run.scratch(16, 'no recurrent mask');
  const phases: (0 | 1)[] = resetAfter ? [0] : [0, 1];
  encodeSequenceSteps(gpu, pass, run, args, {
    phases: phases.map((phase) =>
      gruStepForwardKernel({ ...args, hasBias: !!args.bias, rows, phase, masked: !!args.mask, recurrentDropout: !!args.recurrentMask }),
    ),
    bindings: (step) => [args.g, args.u, bias, args.hseq, acts, aux, mask, step, recurrentMask],
    backward: false,
    what: `GRU step (B=${B}, H=${H})`,
  });
}
