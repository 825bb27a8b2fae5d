// What the layers without weights share: no weight shapes or values, and a forward that is the
// training forward's output.
import type { RunScope } from '../runtime/device.js';
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

  /** Throws a ShapeError unless the flow has `rank` dimensions (batch included). */
  protected checkFlowRank(input: Flow, rank: number, expected: string): void {
    if (input.shape.length !== rank) throw new ShapeError(`${this.name} expects inputs ${expected}, got ${formatShape(input.shape)}.`);
  }
}
