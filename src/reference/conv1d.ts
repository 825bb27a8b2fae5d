// Conv1D on the CPU in Float64, the twin of lstm/conv1d: direct loops over the taps (the
// spec), no im2col.
//   z[b, o, f] = bias[f] + Σ_k Σ_c x[b, o·s − pad + k·dilation, c] · W[k, c, f]   (out-of-range x = 0)
//   y = act(z)
import { resolveConv1dConfig, window1d, type Conv1dConfig, type Conv1dGeometry, type ResolvedConv1dConfig } from '../spec/convConfig.js';
import { gradientNeedsInput } from '../spec/names.js';
import { ShapeError } from '../spec/errors.js';
import { preActivationGrad } from './backward.js';
import { convKernelInitial, initialize } from '../init/initializers.js';
import { softmax } from './losses.js';
import { activate } from './math.js';
import { Random } from '../init/random.js';
import { checkWeights, cpuTensor, type CpuTensor } from './tensor.js';

export interface Conv1dDims {
  B: number;
  T: number;
  C: number;
  F: number;
  kernelSize: number;
  strides: number;
  padding: ResolvedConv1dConfig['padding'];
  /** steps between taps */
  dilation: number;
}

/** y [B, T', F] (batch-major) from x [B, T, C]. */
export function conv1dForward(
  x: ArrayLike<number>,
  kernel: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  d: Conv1dDims,
  activation: ResolvedConv1dConfig['activation'],
): Float64Array {
  const { B, T, C, F, kernelSize: K, strides: s } = d;
  const { outSteps: To, padBefore } = window1d(T, K, s, d.padding, 'conv1d', d.dilation);
  const y = new Float64Array(B * To * F);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < To; o++) {
      const row = y.subarray((b * To + o) * F, (b * To + o + 1) * F);
      for (let f = 0; f < F; f++) row[f] = bias ? bias[f] : 0;
      for (let k = 0; k < K; k++) {
        const t = o * s - padBefore + k * d.dilation;
        if (t < 0 || t >= T) continue;
        for (let c = 0; c < C; c++) {
          const xv = x[(b * T + t) * C + c];
          for (let f = 0; f < F; f++) row[f] += xv * kernel[(k * C + c) * F + f];
        }
      }
      if (activation === 'softmax') row.set(softmax(row, 1, F));
      else for (let f = 0; f < F; f++) row[f] = activate(activation, row[f]);
    }
  }
  return y;
}

/**
 * The backward of conv1dForward from y and dY (or dZ, with `gradIsPreActivation`): dKernel
 * [K, C, F], dBias [F], dX [B, T, C].
 */
export function conv1dBackward(
  x: ArrayLike<number>,
  kernel: ArrayLike<number>,
  y: ArrayLike<number>,
  dY: ArrayLike<number>,
  d: Conv1dDims,
  activation: ResolvedConv1dConfig['activation'],
  gradIsPreActivation = false,
  z?: ArrayLike<number>,
): { dKernel: Float64Array; dBias: Float64Array; dX: Float64Array } {
  const { B, T, C, F, kernelSize: K, strides: s } = d;
  const { outSteps: To, padBefore } = window1d(T, K, s, d.padding, 'conv1d', d.dilation);
  const rows = B * To;
  const dz = preActivationGrad(y, dY, rows, F, activation, gradIsPreActivation, z);
  const dKernel = new Float64Array(K * C * F);
  const dBias = new Float64Array(F);
  const dX = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < To; o++) {
      const g = dz.subarray((b * To + o) * F, (b * To + o + 1) * F);
      for (let f = 0; f < F; f++) dBias[f] += g[f];
      for (let k = 0; k < K; k++) {
        const t = o * s - padBefore + k * d.dilation;
        if (t < 0 || t >= T) continue;
        for (let c = 0; c < C; c++) {
          const xi = (b * T + t) * C + c;
          let acc = 0;
          for (let f = 0; f < F; f++) {
            dKernel[(k * C + c) * F + f] += x[xi] * g[f];
            acc += kernel[(k * C + c) * F + f] * g[f];
          }
          dX[xi] += acc;
        }
      }
    }
  }
  return { dKernel, dBias, dX };
}

/** visit(e, i) for every tap inside [0, T): e the cols element [B·To, K·C], i the x element (batch- or time-major). */
function forEachTap(g: Conv1dGeometry, timeMajor: boolean, visit: (e: number, i: number) => void): void {
  const width = g.K * g.C;
  for (let b = 0; b < g.B; b++)
    for (let o = 0; o < g.To; o++)
      for (let k = 0; k < g.K; k++) {
        const t = o * g.S - g.pad + k * (g.D ?? 1);
        if (t < 0 || t >= g.T) continue;
        for (let c = 0; c < g.C; c++) visit((b * g.To + o) * width + k * g.C + c, (timeMajor ? t * g.B + b : b * g.T + t) * g.C + c);
      }
}

/** The twin of kernels/conv1d's im2col: cols [B·To, K·C] from x (from element `offset`), zeros outside [0, T). */
export function im2col(x: ArrayLike<number>, g: Conv1dGeometry, timeMajor = false, offset = 0): Float64Array {
  const cols = new Float64Array(g.B * g.To * g.K * g.C);
  forEachTap(g, timeMajor, (e, i) => (cols[e] = x[offset + i]));
  return cols;
}

/** The twin of kernels/conv1d's col2im: dx [B, T, C] (batch- or time-major) = Σ of the dcols [B·To, K·C] taps on each element. */
export function col2im(dcols: ArrayLike<number>, g: Conv1dGeometry, timeMajor = false): Float64Array {
  const dx = new Float64Array(g.B * g.T * g.C);
  forEachTap(g, timeMajor, (e, i) => (dx[i] += dcols[e]));
  return dx;
}

interface Conv1dSaved {
  x: CpuTensor;
  y: Float64Array;
  /** gelu, swish: the pre-activation. */
  z?: Float64Array;
}

export class ReferenceConv1d {
  readonly config: ResolvedConv1dConfig;
  private weights: Float64Array[] | undefined;
  private channels: number | undefined;

  constructor(config: Conv1dConfig) {
    this.config = resolveConv1dConfig(config);
  }

  /** Output features (for a model chaining layers by their features). */
  get units(): number {
    return this.config.filters;
  }

  private shapes(C: number): number[][] {
    const { kernelSize: K, filters: F } = this.config;
    return this.config.useBias ? [[K, C, F], [F]] : [[K, C, F]];
  }

  build(channels: number): void {
    if (this.weights) return;
    const { kernelSize: K, filters: F } = this.config;
    const random = new Random(this.config.seed);
    this.weights = [convKernelInitial(this.config.kernelInitializer, K, channels, F, random)];
    if (this.config.useBias) this.weights.push(initialize(this.config.biasInitializer, 1, F, random));
    this.channels = channels;
  }

  weightCount(): number {
    return this.config.useBias ? 2 : 1;
  }

  getWeights(): Float64Array[] {
    return this.weights!.map((w) => w.slice());
  }

  setWeights(weights: readonly ArrayLike<number>[]): void {
    const C = this.channels ?? weights[0].length / (this.config.kernelSize * this.config.filters);
    this.weights = checkWeights(weights, this.shapes(C), this.config.name);
    this.channels = C;
  }

  regularizers() {
    return [this.config.kernelRegularizer, ...(this.config.useBias ? [this.config.biasRegularizer] : [])];
  }

  private dims(x: CpuTensor): Conv1dDims {
    if (x.shape.length !== 3) throw new ShapeError(`${this.config.name} expects [batch, steps, channels], got [${x.shape.join(', ')}].`);
    const [B, T, C] = x.shape;
    const { filters: F, kernelSize, strides, padding, dilationRate } = this.config;
    return { B, T, C, F, kernelSize, strides, padding, dilation: dilationRate };
  }

  apply(x: CpuTensor): CpuTensor {
    return this.forwardTrain(x).y;
  }

  forwardTrain(x: CpuTensor): { y: CpuTensor; saved: Conv1dSaved } {
    const d = this.dims(x);
    this.build(d.C);
    const [kernel, bias] = this.weights!;
    const { activation } = this.config;
    const z = gradientNeedsInput(activation) ? conv1dForward(x.data, kernel, bias, d, 'linear') : undefined;
    const y = z && activation !== 'softmax' ? z.map((v) => activate(activation, v)) : conv1dForward(x.data, kernel, bias, d, activation);
    return { y: cpuTensor(y, [d.B, y.length / (d.B * d.F), d.F]), saved: { x, y, z } };
  }

  backward(saved: Conv1dSaved, dY: Float64Array, preActivation = false): { grads: Float64Array[]; dX: Float64Array } {
    const g = conv1dBackward(saved.x.data, this.weights![0], saved.y, dY, this.dims(saved.x), this.config.activation, preActivation, saved.z);
    return { grads: this.config.useBias ? [g.dKernel, g.dBias] : [g.dKernel], dX: g.dX };
  }
}
