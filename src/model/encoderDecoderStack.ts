// The encoder's and decoder's layer stacks of an encoder–decoder: their checks, the input shape
// each declares, and their gradients cut per layer.
import { Embedding } from '../layers/embedding.js';
import { Layer } from '../layers/layer.js';
import { RnnError } from '../spec/errors.js';

/** `grads` (every layer's weights' gradients, in order) cut per layer. */
export function sliceGrads(stack: readonly Layer[], grads: readonly GPUBuffer[]): GPUBuffer[][] {
  let at = 0;
  return stack.map((l) => grads.slice(at, (at += l.weightTensors.length)));
}

export function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export function describe(layer: Layer): string {
  return `${layer.name} (${layer.constructor.name})`;
}

export function checkStack(stack: unknown, side: 'encoder' | 'decoder'): Layer[] {
  if (!Array.isArray(stack) || stack.length === 0 || !stack.every((l) => l instanceof Layer)) {
    throw new RnnError(
      `encoderDecoder: ${side} must be a non-empty list of layers, e.g. [layers.embedding({ inputDim, outputDim, inputShape: [steps] }), layers.lstm({ units })].`,
    );
  }
  return [...stack];
}

/** The first layer's declared input: [steps] token ids (Embedding) or [steps, features], steps known. */
export function declaredShape(first: Layer, side: 'encoder' | 'decoder'): number[] {
  const declared = (first as Layer & { config?: { inputShape?: readonly (number | null)[] } }).config?.inputShape;
  const ids = first instanceof Embedding;
  const ok = declared !== undefined && declared.length === (ids ? 1 : 2) && declared.every((d) => Number.isInteger(d) && (d as number) > 0);
  if (!ok) {
    const example = ids ? 'inputShape: [steps]' : 'inputShape: [steps, features]';
    throw new RnnError(
      `encoderDecoder: the ${side}'s first layer ${describe(first)} must declare its input with a fixed number of steps (${example}); got ${declared ? `[${declared.join(', ')}]` : 'none'}. Pad the sequences to that length.`,
    );
  }
  return declared!.map((d) => d as number);
}
