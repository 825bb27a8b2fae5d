// The Dense layer on the CPU, the twin of lstm/dense.
import { resolveDenseConfig, type DenseConfig } from '../spec/config.js';
import { denseBackward, denseForward } from './backward.js';
import { activate } from './math.js';
import { gradientNeedsInput } from '../spec/names.js';
import { initialize } from '../init/initializers.js';
import { Random } from '../init/random.js';
import { checkWeights, cpuTensor, type CpuTensor } from './tensor.js';

export class ReferenceDense {
  readonly config: ReturnType<typeof resolveDenseConfig>;
  private weights: Float64Array[] | undefined;
  private features: number | undefined;

  constructor(config: DenseConfig) {
    this.config = resolveDenseConfig(config);
  }

  get units(): number {
    return this.config.units;
  }

  build(features: number): void {
    if (this.weights) return;
    const random = new Random(this.config.seed);
    this.weights = [initialize(this.config.kernelInitializer, features, this.units, random)];
    if (this.config.useBias) this.weights.push(initialize(this.config.biasInitializer, 1, this.units, random));
    this.features = features;
  }

  weightCount(): number {
    return this.config.useBias ? 2 : 1;
  }

  getWeights(): Float64Array[] {
    return this.weights!.map((w) => w.slice());
  }

  setWeights(weights: readonly ArrayLike<number>[]): void {
    const features = this.features ?? weights[0].length / this.units;
    const shapes = this.config.useBias ? [[features, this.units], [this.units]] : [[features, this.units]];
    this.weights = checkWeights(weights, shapes, this.config.name);
    this.features = features;
  }

  regularizers() {
    return [this.config.kernelRegularizer, ...(this.config.useBias ? [this.config.biasRegularizer] : [])];
  }

  apply(x: CpuTensor): CpuTensor {
    return this.forwardTrain(x).y;
  }

  /** x: [..., features]. gelu and swish keep the pre-activation z for the backward. */
  forwardTrain(x: CpuTensor): { y: CpuTensor; saved: { x: CpuTensor; y: Float64Array; z?: Float64Array } } {
    const F = x.shape[x.shape.length - 1];
    this.build(F);
    const rows = x.data.length / F;
    const [kernel, bias] = this.weights!;
    const { activation } = this.config;
    const z = gradientNeedsInput(activation) ? denseForward(x.data, kernel, bias, rows, F, this.units, 'linear') : undefined;
    const y = z && activation !== 'softmax' ? z.map((v) => activate(activation, v)) : denseForward(x.data, kernel, bias, rows, F, this.units, activation);
    return { y: cpuTensor(y, [...x.shape.slice(0, -1), this.units]), saved: { x, y, z } };
  }

  backward(saved: { x: CpuTensor; y: Float64Array; z?: Float64Array }, dY: Float64Array, preActivation = false): { grads: Float64Array[]; dX: Float64Array } {
    const F = saved.x.shape[saved.x.shape.length - 1];
    const rows = saved.x.data.length / F;
    const g = denseBackward(saved.x.data, this.weights![0], saved.y, dY, rows, F, this.units, this.config.activation, preActivation, saved.z);
    return { grads: this.config.useBias ? [g.dKernel, g.dBias] : [g.dKernel], dX: g.dX };
  }
}
