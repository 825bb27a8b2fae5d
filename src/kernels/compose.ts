// WGSL has no include: a kernel's module is its shader file with the preludes it uses before it.
// The step shaders' header comments name what they take from each prelude.
import activations from '../../shaders/activations.wgsl?raw';
import backwardSteps from '../../shaders/backward_steps.wgsl?raw';
import forwardSteps from '../../shaders/forward_steps.wgsl?raw';
import persistentBackward from '../../shaders/persistent_backward.wgsl?raw';
import persistentSteps from '../../shaders/persistent_steps.wgsl?raw';
import stepPrelude from '../../shaders/step_prelude.wgsl?raw';

/** One WGSL module of `parts`, in order (declarations may refer to later parts). */
export function composeShader(...parts: string[]): string {
  return parts.join('\n');
}

/** `body` after activations.wgsl (activate, activate_grad_from_output / _from_input, kept_activation, from_kept). */
export function withActivations(body: string): string {
  return composeShader(activations, body);
}

/** A step shader's module: activations.wgsl, step_prelude.wgsl (struct Step, staged_matvec, …), then `body`. */
export function stepShaderSource(body: string): string {
  return composeShader(activations, stepPrelude, body);
}

/** A forward step shader's body with forward_steps.wgsl (main) and persistent_steps.wgsl (main_persistent) after it. */
export function withForwardSteps(body: string): string {
  return composeShader(body, forwardSteps, persistentSteps);
}

/** A backward step shader's body (LSTM, SimpleRNN) with backward_steps.wgsl (main, incoming_dh) and persistent_backward.wgsl (main_persistent) after it. */
export function withBackwardSteps(body: string): string {
  return withPersistentBackward(composeShader(body, backwardSteps));
}

/** A backward step shader's body that defines persistent_backward.wgsl's phase hooks, with it (main_persistent) after. */
export function withPersistentBackward(body: string): string {
  return composeShader(body, persistentBackward);
}
