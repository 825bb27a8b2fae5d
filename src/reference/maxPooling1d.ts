// MaxPooling1D on the CPU in Float64, the twin of lstm/maxPooling1d.
//   y[b, o, c] = max over t in [o·s − pad, o·s − pad + P) ∩ [0, T) of x[b, t, c]
// The backward routes dY[b, o, c] to the first t that reaches the max (TF's tie rule).
import { resolveMaxPooling1dConfig, window1d, type MaxPooling1dConfig, type ResolvedMaxPooling1dConfig } from '../spec/convConfig.js';
import { ShapeError } from '../spec/errors.js';
import { WeightlessReference } from './shapeLayers.js';
import { cpuTensor, type CpuTensor } from './tensor.js';

export interface Pool1dDims {
  B: number;
  T: number;
  C: number;
  poolSize: number;
  strides: number;
  padding: 'valid' | 'same';
}

/** y [B, T', C] and the input step of each max, argmax [B, T', C]. */
export function maxPool1dForward(x: ArrayLike<number>, d: Pool1dDims): { y: Float64Array; argmax: Int32Array } {
  const { B, T, C, poolSize: P, strides: s } = d;
  const { outSteps: To, padBefore } = window1d(T, P, s, d.padding, 'maxPooling1d');
  const y = new Float64Array(B * To * C);
  const argmax = new Int32Array(B * To * C);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < To; o++) {
      const lo = Math.max(0, o * s - padBefore);
      const hi = Math.min(T, o * s - padBefore + P);
      for (let c = 0; c < C; c++) {
        let best = -Infinity;
        let at = lo;
        for (let t = lo; t < hi; t++) {
          const v = x[(b * T + t) * C + c];
          if (v > best) {
            best = v;
            at = t;
          }
        }
        y[(b * To + o) * C + c] = best;
        argmax[(b * To + o) * C + c] = at;
      }
    }
  }
  return { y, argmax };
}

/** dX [B, T, C] from dY [B, T', C] and the forward's argmax. */
export function maxPool1dBackward(argmax: Int32Array, dY: ArrayLike<number>, d: Pool1dDims): Float64Array {
  const { B, T, C } = d;
  const To = argmax.length / (B * C);
  const dX = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++)
    for (let o = 0; o < To; o++) for (let c = 0; c < C; c++) dX[(b * T + argmax[(b * To + o) * C + c]) * C + c] += dY[(b * To + o) * C + c];
  return dX;
}

export class ReferenceMaxPooling1d extends WeightlessReference {
  readonly config: ResolvedMaxPooling1dConfig;

  constructor(config: MaxPooling1dConfig = {}) {
    super();
    this.config = resolveMaxPooling1dConfig(config);
  }

  private dims(x: CpuTensor): Pool1dDims {
    if (x.shape.length !== 3) throw new ShapeError(`${this.config.name} expects [batch, steps, channels], got [${x.shape.join(', ')}].`);
    const [B, T, C] = x.shape;
    return { B, T, C, poolSize: this.config.poolSize, strides: this.config.strides, padding: this.config.padding };
  }

  forwardTrain(x: CpuTensor): { y: CpuTensor; saved: { dims: Pool1dDims; argmax: Int32Array } } {
    const dims = this.dims(x);
    const { y, argmax } = maxPool1dForward(x.data, dims);
    return { y: cpuTensor(y, [dims.B, y.length / (dims.B * dims.C), dims.C]), saved: { dims, argmax } };
  }

  backward(saved: { dims: Pool1dDims; argmax: Int32Array }, dY: Float64Array): { grads: Float64Array[]; dX: Float64Array } {
    return { grads: [], dX: maxPool1dBackward(saved.argmax, dY, saved.dims) };
  }
}
