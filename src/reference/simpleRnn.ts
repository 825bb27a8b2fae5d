// The SimpleRNN layer on the CPU in Float64: the spec of kernels/simpleRnnStep* and
// lstm/simpleRnn. Layouts follow the GPU: time-major inside, batch-major at the boundary.
//   h[t] = act(x[t]·W + h[t-1]·U + b)
import {
  resolveSimpleRnnConfig,
  initialRecurrentWeights,
  simpleRnnWeightShapes,
  type ResolvedSimpleRnnConfig,
  type SimpleRnnConfig,
} from '../spec/recurrentConfig.js';
import { activationGradFromOutput } from './backward.js';
import { initialize } from '../init/initializers.js';
import { activate, gemm, type Activation } from './math.js';
import { Random } from '../init/random.js';
import { carryMaskedStep, inputGradient, processingInput, processingMask, ReferenceKeptState } from './sequenceOptions.js';
import { checkWeights, cpuTensor, type CpuTensor } from './tensor.js';
import { maskSequence, maskStates, ReferenceRecurrentDropout, type ReferenceDropoutDraw } from './dropout.js';

export interface SimpleRnnWeights {
  /** [D, H] */
  kernel: ArrayLike<number>;
  /** [H, H] */
  recurrentKernel: ArrayLike<number>;
  /** [H], or undefined without bias */
  bias?: ArrayLike<number>;
}

export interface RecurrentDims {
  B: number;
  T: number;
  D: number;
  H: number;
}

/**
 * One step: the twin of kernels/simpleRnnStepForward.
 * @param g [B, H] x[t]·W + b; hPrev [B, H]; u [H, H]. Returns h [B, H].
 */
export function simpleRnnStep(
  g: ArrayLike<number>,
  hPrev: ArrayLike<number>,
  u: ArrayLike<number>,
  B: number,
  H: number,
  activation: Activation,
): Float64Array {
  const z = gemm(hPrev, u, undefined, { M: B, N: H, K: H }, g);
  return z.map((v) => activate(activation, v));
}

/** The layer forward; the kept state sequence is all the backward needs. x: [B, T, D]. */
export function simpleRnnForwardTrain(
  x: ArrayLike<number>,
  dims: RecurrentDims,
  weights: SimpleRnnWeights,
  options: { activation: Activation; initialState?: ArrayLike<number>; mask?: ArrayLike<number>; recurrentMask?: ArrayLike<number> },
): { hseq: Float64Array } {
  const { B, T, D, H } = dims;
  const g = gemm(x, weights.kernel, weights.bias, { M: T * B, N: H, K: D, aRowsBatchMajor: { steps: T, batch: B } });
  // [T+1, B, H], slot 0 = h0
  const hseq = new Float64Array((T + 1) * B * H);
  if (options.initialState) hseq.set(Array.from(options.initialState));
  for (let t = 0; t < T; t++) {
    // recurrentDropout: the recurrent matmul takes h[t-1]⊙m.
    const prev = hseq.subarray(t * B * H, (t + 1) * B * H);
    const hPrev = options.recurrentMask ? maskStates(prev, options.recurrentMask) : prev;
    const h = simpleRnnStep(g.subarray(t * B * H, (t + 1) * B * H), hPrev, weights.recurrentKernel, B, H, options.activation);
    hseq.set(h, (t + 1) * B * H);
    carryMaskedStep(hseq, options.mask, t, B, T, H);
  }
  return { hseq };
}

export interface SimpleRnnGradients {
  /** [D, H], [H, H], [H] */
  dKernel: Float64Array;
  dRecurrentKernel: Float64Array;
  dBias: Float64Array;
  /** [B, T, D] batch-major */
  dX: Float64Array;
  /** [B, H] */
  dh0: Float64Array;
  /** [T, B, H] pre-activation gradients (the GPU's dG) */
  dG: Float64Array;
}

/**
 * BPTT. dY is the gradient of the output: `sequence` [B, T, H] or `last` [B, H]; dhT that of a
 * returned final state.
 */
export function simpleRnnBackward(
  x: ArrayLike<number>,
  dims: RecurrentDims,
  weights: SimpleRnnWeights,
  options: { activation: Activation },
  cache: { hseq: Float64Array },
  dY: { sequence: ArrayLike<number> } | { last: ArrayLike<number> },
  finalStateGrads: { dhT?: ArrayLike<number> } = {},
  mask?: ArrayLike<number>,
  recurrentMask?: ArrayLike<number>,
): SimpleRnnGradients {
  const { B, T, D, H } = dims;
  const dG = new Float64Array(T * B * H);
  let dhNext: Float64Array = Float64Array.from(finalStateGrads.dhT ?? new Float64Array(B * H));
  for (let t = T - 1; t >= 0; t--) {
    // A masked step passes dh through unchanged; its pre-activation gradient is zero.
    const carried = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      const masked = mask !== undefined && mask[b * T + t] === 0;
      for (let j = 0; j < H; j++) {
        let dh = dhNext[b * H + j];
        if ('sequence' in dY) dh += dY.sequence[(b * T + t) * H + j];
        else if (t === T - 1) dh += dY.last[b * H + j];
        if (masked) {
          carried[b * H + j] = dh;
          continue;
        }
        const h = cache.hseq[((t + 1) * B + b) * H + j];
        dG[(t * B + b) * H + j] = dh * activationGradFromOutput(options.activation, h);
      }
    }
    // dh[t-1] = (dG[t]·Uᵀ)⊙m
    dhNext = gemm(dG.subarray(t * B * H, (t + 1) * B * H), weights.recurrentKernel, undefined, { M: B, N: H, K: H, transB: true });
    if (recurrentMask) dhNext = maskStates(dhNext, recurrentMask);
    for (let e = 0; e < B * H; e++) dhNext[e] += carried[e];
  }
  const rows = T * B;
  const dKernel = gemm(x, dG, undefined, { M: D, N: H, K: rows, transA: true, aRowsBatchMajor: { steps: T, batch: B } });
  const hPrev = recurrentMask ? maskStates(cache.hseq.subarray(0, rows * H), recurrentMask) : cache.hseq;
  const dRecurrentKernel = gemm(hPrev, dG, undefined, { M: H, N: H, K: rows, transA: true });
  const dBias = columnSums(dG, rows, H);
  const dX = toBatchMajor(gemm(dG, weights.kernel, undefined, { M: rows, N: D, K: H, transB: true }), B, T, D);
  return { dKernel, dRecurrentKernel, dBias, dX, dh0: dhNext, dG };
}

export function columnSums(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let n = 0; n < cols; n++) out[n] += x[r * cols + n];
  return out;
}

/** A time-major [T, B, F] array as batch-major [B, T, F]. */
export function toBatchMajor(timeMajor: ArrayLike<number>, B: number, T: number, F: number): Float64Array {
  const out = new Float64Array(B * T * F);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let f = 0; f < F; f++) out[(b * T + t) * F + f] = timeMajor[(t * B + b) * F + f];
  return out;
}

/** The recurrent layer's output from its kept [T+1, B, H] state sequence: the sequence or the last h. */
export function recurrentOutput(hseq: Float64Array, B: number, T: number, H: number, returnSequences: boolean): CpuTensor {
  return returnSequences ? cpuTensor(toBatchMajor(hseq.subarray(B * H), B, T, H), [B, T, H]) : cpuTensor(hseq.subarray(T * B * H), [B, H]);
}

/** What ReferenceSimpleRnn.backward needs from its forwardTrain. */
export interface SimpleRnnSaved {
  /** The processed input (dropped, reversed with goBackwards) [B, T, D]. */
  x: CpuTensor;
  hseq: Float64Array;
  mask?: Float64Array;
  draw?: ReferenceDropoutDraw;
}

/** The SimpleRNN layer on the CPU, with the configuration and weights of the GPU layer. */
export class ReferenceSimpleRnn {
  readonly config: ResolvedSimpleRnnConfig;
  private weights: Float64Array[] | undefined;
  private features: number | undefined;
  private readonly kept: ReferenceKeptState;
  /** dropout / recurrentDropout masks, as the GPU layer's `dropoutMasks`. */
  readonly dropoutMasks: ReferenceRecurrentDropout;

  constructor(config: SimpleRnnConfig) {
    this.config = resolveSimpleRnnConfig(config);
    this.kept = new ReferenceKeptState(this.config.name, this.config.units, false);
    this.dropoutMasks = new ReferenceRecurrentDropout(
      this.config.dropout,
      this.config.recurrentDropout,
      this.config.seed ?? Math.floor(Math.random() * 2 ** 32),
    );
    if (config.inputShape) this.build(config.inputShape[1]);
  }

  /** Zeros the state a stateful layer keeps. */
  resetStates(): void {
    this.kept.reset();
  }

  /** The kept state [h] of a stateful layer (undefined before its first call). */
  getStates(): [Float64Array] | undefined {
    const s = this.kept.current();
    return s && [s.h];
  }

  build(features: number): void {
    if (this.weights) return;
    const random = new Random(this.config.seed);
    this.weights = initialRecurrentWeights(this.config, this.weightShapes(features), (name, rows, cols) => initialize(name, rows, cols, random));
    this.features = features;
  }

  weightShapes(features: number): number[][] {
    return simpleRnnWeightShapes(this.config, features);
  }

  getWeights(): Float64Array[] {
    if (!this.weights) throw new Error(`${this.config.name} has no weights until it is built (give inputShape or call it once).`);
    return this.weights.map((w) => w.slice());
  }

  setWeights(weights: readonly ArrayLike<number>[]): void {
    const features = this.features ?? weights[0].length / this.config.units;
    this.weights = checkWeights(weights, this.weightShapes(features), this.config.name);
    this.features = features;
  }

  weightCount(): number {
    return this.config.useBias ? 3 : 2;
  }

  regularizers() {
    const c = this.config;
    return [c.kernelRegularizer, c.recurrentRegularizer, ...(c.useBias ? [c.biasRegularizer] : [])];
  }

  /**
   * The forward of training. x: [B, T, D]; `state.h` [B, H], zeros without it (a stateful
   * layer's kept state). With goBackwards the layer runs on x reversed in time and its output
   * stays in processing order. In training (not in apply), dropout / recurrentDropout draw the
   * masks of the next step.
   */
  forwardTrain(
    x: CpuTensor,
    state?: { h: Float64Array },
    mask?: ArrayLike<number>,
    training = true,
  ): { y: CpuTensor; saved: SimpleRnnSaved; state: { h: Float64Array } } {
    const [B, T, D] = x.shape;
    this.build(D);
    const H = this.config.units;
    const draw = training ? this.dropoutMasks.draw(B, D, H) : undefined;
    const dropped = draw?.input ? cpuTensor(maskSequence(x.data, draw.input, B, T, D), x.shape) : x;
    const processed = processingInput(dropped, this.config.goBackwards);
    const start = state ?? (this.config.stateful ? this.kept.get(B) : undefined);
    const processedMask = processingMask(mask, B, T, this.config.goBackwards);
    const { hseq } = simpleRnnForwardTrain(processed.data, { B, T, D, H }, this.namedWeights(), {
      activation: this.config.activation,
      initialState: start?.h,
      mask: processedMask,
      recurrentMask: draw?.recurrent,
    });
    const final = { h: hseq.slice(T * B * H) };
    if (this.config.stateful) this.kept.set(final);
    return { y: recurrentOutput(hseq, B, T, H, this.config.returnSequences), saved: { x: processed, hseq, mask: processedMask, draw }, state: final };
  }

  /** Gradients of the weights (Keras order) and of the input [B, T, D] from dY (the output's layout). */
  backward(saved: SimpleRnnSaved, dY: Float64Array): { grads: Float64Array[]; dX: Float64Array } {
    const [B, T, D] = saved.x.shape;
    const H = this.config.units;
    const dYs = this.config.returnSequences ? { sequence: dY } : { last: dY };
    const g = simpleRnnBackward(saved.x.data, { B, T, D, H }, this.namedWeights(), this.config, saved, dYs, {}, saved.mask, saved.draw?.recurrent);
    const dDropped = inputGradient(g.dX, B, T, D, this.config.goBackwards);
    const dX = saved.draw?.input ? maskSequence(dDropped, saved.draw.input, B, T, D) : dDropped;
    return { grads: this.config.useBias ? [g.dKernel, g.dRecurrentKernel, g.dBias] : [g.dKernel, g.dRecurrentKernel], dX };
  }

  /** x: [B, T, D]. Returns the output (and with returnState, [output, h]). */
  apply(x: CpuTensor, options: { initialState?: CpuTensor | [CpuTensor] } = {}): CpuTensor | CpuTensor[] {
    const h0 = Array.isArray(options.initialState) ? options.initialState[0] : options.initialState;
    const { y, state } = this.forwardTrain(x, h0 && { h: h0.data }, undefined, false);
    return this.config.returnState ? [y, cpuTensor(state.h, [x.shape[0], this.config.units])] : y;
  }

  private namedWeights(): SimpleRnnWeights {
    const [kernel, recurrentKernel, bias] = this.weights!;
    return { kernel, recurrentKernel, bias };
  }
}
