// Seeded masks for the step-kernel tests: a Keras step mask and recurrent-dropout multipliers.
import type { Random } from '../../src/init/random.js';
import { type BackwardForm, runsPersistent } from '../../src/kernels/steps.js';

/** [B, T] f32 1/0, batch-major: row 0 keeps every step, the others keep each with p = 0.6. */
export function stepMask(random: Random, B: number, T: number): Float32Array {
  return Float32Array.from({ length: B * T }, (_, i) => (i < T || random.uniform(0, 1) < 0.6 ? 1 : 0));
}

/** [B, H] recurrent-dropout multipliers at rate 0.25: 0, or 1 / 0.75. */
export function recurrentDropoutMask(random: Random, B: number, H: number): Float32Array {
  return Float32Array.from({ length: B * H }, () => (random.uniform(0, 1) < 0.25 ? 0 : 1 / 0.75));
}

/** Each case once per backward form its shape takes: `main`, and `persistent` where runsPersistent. */
export function withBackwardForms<C extends { B: number; H: number }>(cases: C[]): (C & { form: BackwardForm })[] {
  return cases.flatMap((c) => (['main', 'persistent'] as const).filter((form) => form === 'main' || runsPersistent(c.B, c.H)).map((form) => ({ ...c, form })));
}

/**
 * The shapes every backward step kernel's reference test runs (D: input features; sequence: dY
 * of every step, or of the last only): batch 1, one step and one unit, H off the 64-wide
 * workgroup, a batch the 4 rows per invocation do not divide, H = 128.
 */
export const BACKWARD_STEP_CASES = [
  { B: 1, T: 1, D: 2, H: 1, sequence: true },
  { B: 1, T: 5, D: 3, H: 37, sequence: false },
  { B: 3, T: 4, D: 5, H: 37, sequence: true },
  { B: 9, T: 3, D: 4, H: 65, sequence: true },
  { B: 2, T: 2, D: 8, H: 128, sequence: false },
];
