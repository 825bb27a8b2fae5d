// The weightless shape layers on the CPU in Float64, the twins of layers/activation.ts,
// layers/reshape.ts and layers/globalPooling1d.ts. Values are batch-major [B, …].
//   Activation:  y = act(x) elementwise, or softmax over the last axis
//   Flatten:     [B, d1, …] → [B, d1·…] (the same values)
//   RepeatVector [B, F] → [B, n, F], dX[b, f] = Σ_t dY[b, t, f]
//   GlobalAveragePooling1D  y[b, c] = Σ_t m·x[b, t, c] / Σ_t m (m the mask, 1 without; 0 when all masked)
//   GlobalMaxPooling1D      y[b, c] = max_t x[b, t, c]; dY to the first max (ties: TF splits it)
import { ShapeError } from '../spec/errors.js';
import {
  type ActivationConfig,
  type LayerActivation,
  type RepeatVectorConfig,
  resolveActivationConfig,
  resolveRepeatVectorConfig,
  resolveShapeLayerConfig,
  type ShapeLayerConfig,
} from '../spec/shapeConfig.js';
import { preActivationGrad } from './backward.js';
import { softmax } from './losses.js';
import { activate } from './math.js';
import { cpuTensor, type CpuTensor } from './tensor.js';

/** What the twins without weights share. */
export abstract class WeightlessReference {
  abstract readonly config: { name: string };

  build(_features: number): void {}

  weightCount(): number {
    return 0;
  }

  getWeights(): Float64Array[] {
    return [];
  }

  setWeights(weights: readonly ArrayLike<number>[]): void {
    if (weights.length) throw new ShapeError(`${this.config.name} has no weights, got ${weights.length}.`);
  }

  regularizers(): undefined[] {
    return [];
  }

  apply(x: CpuTensor): CpuTensor {
    return this.forwardTrain(x).y;
  }

  abstract forwardTrain(x: CpuTensor): { y: CpuTensor; saved: unknown };
}

export class ReferenceActivation extends WeightlessReference {
  readonly config: { activation: LayerActivation; name: string };

  constructor(config: ActivationConfig) {
    super();
    this.config = resolveActivationConfig(config);
  }

  forwardTrain(x: CpuTensor): { y: CpuTensor; saved: { y: CpuTensor; x: CpuTensor } } {
    const C = x.shape[x.shape.length - 1];
    const { activation } = this.config;
    const y = activation === 'softmax' ? softmax(x.data, x.data.length / C, C) : Float64Array.from(x.data, (v) => activate(activation, v));
    const out = cpuTensor(y, x.shape);
    return { y: out, saved: { y: out, x } };
  }

  /** With `preActivation` (a fused loss), dY already is the gradient before the activation. */
  backward(saved: { y: CpuTensor; x: CpuTensor }, dY: Float64Array, preActivation = false): { grads: Float64Array[]; dX: Float64Array } {
    const { y, x } = saved;
    const C = y.shape[y.shape.length - 1];
    return { grads: [], dX: preActivationGrad(y.data, dY, y.data.length / C, C, this.config.activation, preActivation, x.data) };
  }
}

export class ReferenceFlatten extends WeightlessReference {
  readonly config: { name: string };

  constructor(config: ShapeLayerConfig = {}) {
    super();
    this.config = resolveShapeLayerConfig('flatten', config);
  }

  forwardTrain(x: CpuTensor): { y: CpuTensor; saved: readonly number[] } {
    const B = x.shape[0];
    return { y: cpuTensor(x.data, [B, x.data.length / B]), saved: x.shape };
  }

  backward(_saved: readonly number[], dY: Float64Array): { grads: Float64Array[]; dX: Float64Array } {
    return { grads: [], dX: Float64Array.from(dY) };
  }
}

export class ReferenceRepeatVector extends WeightlessReference {
  readonly config: { n: number; name: string };

  constructor(config: RepeatVectorConfig) {
    super();
    this.config = resolveRepeatVectorConfig(config);
  }

  forwardTrain(x: CpuTensor): { y: CpuTensor; saved: readonly number[] } {
    if (x.shape.length !== 2) throw new ShapeError(`${this.config.name} expects [batch, features], got [${x.shape.join(', ')}].`);
    const [B, F] = x.shape;
    const N = this.config.n;
    const y = new Float64Array(B * N * F);
    for (let b = 0; b < B; b++) for (let t = 0; t < N; t++) for (let f = 0; f < F; f++) y[(b * N + t) * F + f] = x.data[b * F + f];
    return { y: cpuTensor(y, [B, N, F]), saved: x.shape };
  }

  backward(saved: readonly number[], dY: Float64Array): { grads: Float64Array[]; dX: Float64Array } {
    const [B, F] = saved;
    const N = this.config.n;
    const dX = new Float64Array(B * F);
    for (let b = 0; b < B; b++) for (let t = 0; t < N; t++) for (let f = 0; f < F; f++) dX[b * F + f] += dY[(b * N + t) * F + f];
    return { grads: [], dX };
  }
}

interface PoolSaved {
  x: CpuTensor;
  mask?: ArrayLike<number>;
}

abstract class ReferenceGlobalPooling1d extends WeightlessReference {
  readonly config: { name: string };

  constructor(kind: 'average' | 'max', config: ShapeLayerConfig) {
    super();
    this.config = resolveShapeLayerConfig(`global_${kind}_pooling1d`, config, 2);
  }

  protected dims(x: CpuTensor): [number, number, number] {
    if (x.shape.length !== 3) throw new ShapeError(`${this.config.name} expects [batch, steps, channels], got [${x.shape.join(', ')}].`);
    return x.shape as [number, number, number];
  }
}

export class ReferenceGlobalAveragePooling1d extends ReferenceGlobalPooling1d {
  constructor(config: ShapeLayerConfig = {}) {
    super('average', config);
  }

  /** `mask` [B, T] of 1 / 0: masked steps leave the mean. */
  forwardTrain(x: CpuTensor, mask?: ArrayLike<number>): { y: CpuTensor; saved: PoolSaved } {
    const [B, T, C] = this.dims(x);
    const y = new Float64Array(B * C);
    for (let b = 0; b < B; b++) {
      const scale = inverseCount(mask, b, T);
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let t = 0; t < T; t++) sum += (mask ? mask[b * T + t] : 1) * x.data[(b * T + t) * C + c];
        y[b * C + c] = sum * scale;
      }
    }
    return { y: cpuTensor(y, [B, C]), saved: { x, mask } };
  }

  backward(saved: PoolSaved, dY: Float64Array): { grads: Float64Array[]; dX: Float64Array } {
    const [B, T, C] = this.dims(saved.x);
    const { mask } = saved;
    const dX = new Float64Array(B * T * C);
    for (let b = 0; b < B; b++) {
      const scale = inverseCount(mask, b, T);
      for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) dX[(b * T + t) * C + c] = dY[b * C + c] * scale * (mask ? mask[b * T + t] : 1);
    }
    return { grads: [], dX };
  }
}

/** 1 / Σ_t m[b, t] (1 / T without a mask), 0 when every step is masked. */
function inverseCount(mask: ArrayLike<number> | undefined, b: number, T: number): number {
  let count = T;
  if (mask) {
    count = 0;
    for (let t = 0; t < T; t++) count += mask[b * T + t];
  }
  return count > 0 ? 1 / count : 0;
}

export class ReferenceGlobalMaxPooling1d extends ReferenceGlobalPooling1d {
  constructor(config: ShapeLayerConfig = {}) {
    super('max', config);
  }

  forwardTrain(x: CpuTensor): { y: CpuTensor; saved: { x: CpuTensor; argmax: Int32Array } } {
    const [B, T, C] = this.dims(x);
    const y = new Float64Array(B * C);
    const argmax = new Int32Array(B * C);
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) {
        let best = -Infinity;
        for (let t = 0; t < T; t++) {
          const v = x.data[(b * T + t) * C + c];
          if (v > best) {
            best = v;
            argmax[b * C + c] = t;
          }
        }
        y[b * C + c] = best;
      }
    }
    return { y: cpuTensor(y, [B, C]), saved: { x, argmax } };
  }

  backward(saved: { x: CpuTensor; argmax: Int32Array }, dY: Float64Array): { grads: Float64Array[]; dX: Float64Array } {
    const [B, T, C] = this.dims(saved.x);
    const dX = new Float64Array(B * T * C);
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) dX[(b * T + saved.argmax[b * C + c]) * C + c] = dY[b * C + c];
    return { grads: [], dX };
  }
}
