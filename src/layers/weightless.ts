// What the layers without weights share: no weight shapes or values, a forward that is the
// training forward's output, and a backward that is only the input's gradient.
import type { Gpu, RunScope } from '../runtime/device.js';
import { formatShape, ShapeError } from '../spec/errors.js';
import { type Flow, Layer } from './layer.js';

export abstract class WeightlessLayer extends Layer {
  /** Throws a ShapeError unless `inputShape` (no batch dimension) suits the layer. */
  protected abstract checkRank(inputShape: readonly number[]): void;

  weightShapes(inputShape: readonly number[]): number[][] {
    this.checkRank(inputShape);
    return [];
  }

  protected initialWeights(): Float32Array[] {
    return [];
  }

  encode(encoder: GPUCommandEncoder, run: RunScope, input: Flow): Flow {
    return this.encodeTrain(encoder, run, input).output;
  }

  /** The input's gradient from the output's (`saved`: what encodeTrain saved). */
  protected abstract encodeInputGradient(encoder: GPUCommandEncoder, run: RunScope, saved: unknown, dOutput: Flow & { preActivation?: boolean }): Flow;

  encodeBackward(
    encoder: GPUCommandEncoder,
    run: RunScope,
    saved: unknown,
    dOutput: Flow & { preActivation?: boolean },
    _grads: readonly GPUBuffer[],
    needInputGrad: boolean,
  ): Flow | undefined {
    return needInputGrad ? this.encodeInputGradient(encoder, run, saved, dOutput) : undefined;
  }

  /** `encode` in one compute pass labelled `label`, on the layer's device. */
  protected inPass(encoder: GPUCommandEncoder, label: string, encode: (pass: GPUComputePassEncoder, gpu: Gpu) => void): void {
    const gpu = this.requireBuilt();
    const pass = encoder.beginComputePass({ label });
    encode(pass, gpu);
    pass.end();
  }

  /** Throws a ShapeError unless the flow has `rank` dimensions (batch included). */
  protected checkFlowRank(input: Flow, rank: number, expected: string): void {
    if (input.shape.length !== rank) throw new ShapeError(`${this.name} expects inputs ${expected}, got ${formatShape(input.shape)}.`);
  }
}
