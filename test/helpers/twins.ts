// A GPU model and its Float64 twin built from one list of layer factories, and the check that
// their loss and gradients agree. Tolerance, as test/lstm/recurrentTraining.test.ts derives it:
// each gradient sums f32 products of O(1) values over B·T rows (relative error ~1e-7·√(BT)),
// so 1e-6 absolute + 1e-4 relative, and the loss 1e-5 + 1e-5 relative; a wrong term or index
// errs by the size of the gradient itself.
import { expect } from 'vitest';
import { layers, reference, type Sequential, sequential, type Tensor, tensor, type Weighting } from '../../src/index.js';
import type { ReferenceLayer, ReferenceSequential } from '../../src/reference/index.js';
import { cpuTensor } from '../../src/reference/tensor.js';
import type { Gpu } from '../../src/runtime/device.js';
import { expectClose } from './gpu.js';

export type Factories = typeof layers | typeof reference.layers;

/** `build(layers)` on the GPU and `build(reference.layers)` on the CPU, the twin given the model's weights. */
export async function modelAndTwin(gpu: Gpu, build: (f: Factories) => unknown[]): Promise<{ model: Sequential; twin: ReferenceSequential }> {
  const model = sequential(gpu, build(layers) as never);
  const twin = reference.sequential(build(reference.layers) as ReferenceLayer[]);
  twin.setWeights(await model.getWeightData());
  return { model, twin };
}

/** The model's loss and gradients on x [shape], y (weighted by `sampleWeight`) against the twin's; returns both. */
export async function expectGradientsLikeTwin(
  model: Sequential,
  twin: ReferenceSequential,
  x: Float32Array,
  shape: number[],
  y: Float32Array | Tensor,
  weighting: Weighting = {},
  what = '',
) {
  const ours = await model.gradients(tensor(model.gpu, x, shape), y, weighting);
  const sampleWeight = weighting.sampleWeight as Float32Array | undefined;
  const expected = twin.gradients(cpuTensor(x, shape), y as Float32Array, sampleWeight);
  expect(Math.abs(ours.loss - expected.loss), `${what} loss`).toBeLessThan(1e-5 + 1e-5 * expected.loss);
  expected.grads.forEach((g, i) => expectClose(ours.grads[i], g, 1e-6, 1e-4, `${what ? `${what}: ` : ''}gradient of weight ${i}`));
  return { ours, expected };
}
