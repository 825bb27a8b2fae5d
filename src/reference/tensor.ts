import { formatShape, ShapeError } from '../spec/errors.js';

/** A CPU tensor of the reference: Float64 values, row-major shape. */
export interface CpuTensor {
  data: Float64Array;
  shape: number[];
}

export function cpuTensor(data: ArrayLike<number>, shape: readonly number[]): CpuTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new ShapeError(`reference.tensor: ${data.length} values do not fill shape ${formatShape(shape)}.`);
  return { data: Float64Array.from(data), shape: [...shape] };
}

/** Copies `weights` after checking their count and lengths against `shapes`. */
export function checkWeights(weights: readonly ArrayLike<number>[], shapes: number[][], owner: string): Float64Array[] {
  if (weights.length !== shapes.length) {
    throw new ShapeError(`${owner} has ${shapes.length} weights (${shapes.map(formatShape).join(', ')}), got ${weights.length}.`);
  }
  return weights.map((w, i) => {
    const size = shapes[i].reduce((a, b) => a * b, 1);
    if (w.length !== size) {
      throw new ShapeError(`${owner}: weight ${i} must have shape ${formatShape(shapes[i])} (${size} values), got ${w.length} values.`);
    }
    return Float64Array.from(w);
  });
}
