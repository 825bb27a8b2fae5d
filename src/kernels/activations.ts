import { ShapeError } from '../spec/errors.js';

/** Activations the recurrent step kernels support, with their ids in shaders/activations.wgsl. */
export const ACTIVATION_IDS = { tanh: 0, sigmoid: 1, hardSigmoid: 2, relu: 3, linear: 4 } as const;
export type Activation = keyof typeof ACTIVATION_IDS;

export function activationId(name: string, option: string): number {
  const id = (ACTIVATION_IDS as Record<string, number>)[name];
  if (id === undefined) {
    throw new ShapeError(`${option} '${name}' is not supported: use one of ${Object.keys(ACTIVATION_IDS).join(', ')}.`);
  }
  return id;
}
