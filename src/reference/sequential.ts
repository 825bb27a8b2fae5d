// The Sequential model on the CPU, the twin of lstm/sequential.
import { ShapeError } from '../runtime/errors.js';
import type { LstmConfig } from '../lstm/config.js';
import { ReferenceLstm } from './lstm.js';
import type { CpuTensor } from './tensor.js';

export class ReferenceSequential {
  constructor(readonly layers: ReferenceLstm[]) {
    const first = layers[0]?.config.inputShape;
    if (first) {
      let features = first[1];
      for (const layer of layers) {
        layer.build(features);
        features = layer.config.units;
      }
    }
  }

  predict(x: CpuTensor): CpuTensor {
    let value = x;
    for (const layer of this.layers) value = layer.apply(value) as CpuTensor;
    return value;
  }

  getWeights(): Float64Array[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  setWeights(weights: readonly ArrayLike<number>[]): void {
    const counts = this.layers.map((l) => (l.config.useBias ? 3 : 2));
    const total = counts.reduce((a, b) => a + b, 0);
    if (weights.length !== total) throw new ShapeError(`The reference model has ${total} weights, got ${weights.length}.`);
    let at = 0;
    for (const [i, layer] of this.layers.entries()) layer.setWeights(weights.slice(at, (at += counts[i])));
  }
}

export function sequential(layers: ReferenceLstm[]): ReferenceSequential {
  return new ReferenceSequential(layers);
}

export const layers = {
  lstm: (config: LstmConfig): ReferenceLstm => new ReferenceLstm(config),
};
