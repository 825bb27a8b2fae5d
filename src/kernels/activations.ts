import { ShapeError } from '../spec/errors.js';
import type { Activation } from '../spec/names.js';

/** Every activation's id in shaders/activations.wgsl. */
export const ACTIVATION_IDS = {
  tanh: 0,
  sigmoid: 1,
  hardSigmoid: 2,
  relu: 3,
  linear: 4,
  elu: 5,
  selu: 6,
  softplus: 7,
  softsign: 8,
  gelu: 9,
  swish: 10,
} as const satisfies Record<Activation, number>;
export type { Activation };

export function activationId(name: string, option: string): number {
  const id = (ACTIVATION_IDS as Record<string, number>)[name];
  if (id === undefined) {
    throw new ShapeError(`${option} '${name}' is not supported: use one of ${Object.keys(ACTIVATION_IDS).join(', ')}.`);
  }
  return id;
}
