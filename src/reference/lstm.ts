// The LSTM layer forward on the CPU: the spec the GPU layer is tested against.
import { resolveLstmConfig, lstmWeightShapes, type LstmConfig, type ResolvedLstmConfig } from '../spec/config.js';
import { lstmBackward, lstmForwardTrain, type LstmCache, type LstmWeights } from './backward.js';

export type { LstmWeights };
import { initialize } from '../init/initializers.js';
import type { LstmCellOptions } from './math.js';
import { Random } from '../init/random.js';
import { inputGradient, processingInput, processingMask, ReferenceKeptState } from './sequenceOptions.js';
import { checkWeights, cpuTensor, type CpuTensor } from './tensor.js';
import { maskSequence, ReferenceRecurrentDropout, type ReferenceDropoutDraw } from './dropout.js';

export interface LstmForwardResult {
  /** [B, T, H] */
  sequence: Float64Array;
  /** [B, H] final states */
  h: Float64Array;
  c: Float64Array;
}

/**
 * The full layer forward: G = X·Wx + b for all steps (time-major rows), then T steps.
 * @param x [B, T, D] batch-major
 */
export function lstmForward(
  x: ArrayLike<number>,
  dims: { B: number; T: number; D: number; H: number },
  weights: LstmWeights,
  options: LstmCellOptions & { initialState?: { h: ArrayLike<number>; c: ArrayLike<number> } },
): LstmForwardResult {
  const { B, T, H } = dims;
  const cache = lstmForwardTrain(x, dims, weights, options);
  return { sequence: batchMajorSequence(cache.hseq, B, T, H), h: cache.hseq.slice(T * B * H), c: cache.cseq.slice(T * B * H) };
}

/** Steps 1 … T of a time-major [T+1, B, H] state sequence, batch-major [B, T, H]. */
function batchMajorSequence(hseq: Float64Array, B: number, T: number, H: number): Float64Array {
  const sequence = new Float64Array(B * T * H);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) sequence.set(hseq.subarray(((t + 1) * B + b) * H, ((t + 1) * B + b + 1) * H), (b * T + t) * H);
  return sequence;
}

/** What ReferenceLstm.backward needs from its forwardTrain. */
export interface LstmSaved {
  /** The processed input (dropped, reversed with goBackwards) [B, T, D]. */
  x: CpuTensor;
  cache: LstmCache;
  mask?: Float64Array;
  draw?: ReferenceDropoutDraw;
}

/** The LSTM layer on the CPU, with the configuration and weights of the GPU layer. */
export class ReferenceLstm {
  readonly config: ResolvedLstmConfig;
  private weights: Float64Array[] | undefined;
  private features: number | undefined;
  private readonly kept: ReferenceKeptState;
  /** dropout / recurrentDropout masks, as the GPU layer's `dropoutMasks`. */
  readonly dropoutMasks: ReferenceRecurrentDropout;

  constructor(config: LstmConfig) {
    this.config = resolveLstmConfig(config);
    this.kept = new ReferenceKeptState(this.config.name, this.config.units, true);
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

  /** The kept state [h, c] of a stateful layer (undefined before its first call). */
  getStates(): [Float64Array, Float64Array] | undefined {
    const s = this.kept.current();
    return s && [s.h, s.c!];
  }

  build(features: number): void {
    if (this.weights) return;
    const c = this.config;
    const H = c.units;
    const random = new Random(c.seed);
    const kernel = initialize(c.kernelInitializer, features, 4 * H, random);
    const recurrent = initialize(c.recurrentInitializer, H, 4 * H, random);
    this.weights = [kernel, recurrent];
    if (c.useBias) {
      const bias = initialize(c.biasInitializer, 1, 4 * H, random);
      if (c.unitForgetBias) bias.fill(1, H, 2 * H);
      this.weights.push(bias);
    }
    this.features = features;
  }

  weightShapes(features: number): number[][] {
    return lstmWeightShapes(this.config, features);
  }

  getWeights(): Float64Array[] {
    if (!this.weights) throw new Error(`${this.config.name} has no weights until it is built (give inputShape or call it once).`);
    return this.weights.map((w) => w.slice());
  }

  setWeights(weights: readonly ArrayLike<number>[]): void {
    const features = this.features ?? weights[0].length / (4 * this.config.units);
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
   * The forward of training: the output, what backward() needs, and the final state.
   * x: [B, T, D]; `state` [B, H] each, zeros without it (a stateful layer's kept state). With
   * goBackwards the layer runs on x reversed in time and its output stays in processing order.
   * In training (not in apply), dropout / recurrentDropout draw the masks of the next step.
   */
  forwardTrain(
    x: CpuTensor,
    state?: { h: Float64Array; c: Float64Array },
    mask?: ArrayLike<number>,
    training = true,
  ): { y: CpuTensor; saved: LstmSaved; state: { h: Float64Array; c: Float64Array } } {
    const [B, T, D] = x.shape;
    this.build(D);
    const H = this.config.units;
    const draw = training ? this.dropoutMasks.draw(B, D, H) : undefined;
    const dropped = draw?.input ? cpuTensor(maskSequence(x.data, draw.input, B, T, D), x.shape) : x;
    const processed = processingInput(dropped, this.config.goBackwards);
    const start = state ?? (this.config.stateful ? (this.kept.get(B) as { h: Float64Array; c: Float64Array }) : undefined);
    // The mask [B, T] in processing order (reversed with goBackwards, as the input).
    const processedMask = processingMask(mask, B, T, this.config.goBackwards);
    const cache = lstmForwardTrain(processed.data, { B, T, D, H }, this.namedWeights(), {
      ...this.config,
      initialState: start,
      mask: processedMask,
      recurrentMask: draw?.recurrent,
    });
    const y = this.config.returnSequences ? cpuTensor(batchMajorSequence(cache.hseq, B, T, H), [B, T, H]) : cpuTensor(cache.hseq.subarray(T * B * H), [B, H]);
    const final = { h: cache.hseq.slice(T * B * H), c: cache.cseq.slice(T * B * H) };
    if (this.config.stateful) this.kept.set(final);
    return { y, saved: { x: processed, cache, mask: processedMask, draw }, state: final };
  }

  /** Gradients of the weights (Keras order) and of the input [B, T, D] from dY (the output's layout). */
  backward(saved: LstmSaved, dY: Float64Array): { grads: Float64Array[]; dX: Float64Array } {
    const [B, T, D] = saved.x.shape;
    const H = this.config.units;
    const dYs = this.config.returnSequences ? { sequence: dY } : { last: dY };
    const g = lstmBackward(saved.x.data, { B, T, D, H }, this.namedWeights(), this.config, saved.cache, dYs, {}, saved.mask, saved.draw?.recurrent);
    const dDropped = inputGradient(g.dX, B, T, D, this.config.goBackwards);
    const dX = saved.draw?.input ? maskSequence(dDropped, saved.draw.input, B, T, D) : dDropped;
    return { grads: this.config.useBias ? [g.dKernel, g.dRecurrentKernel, g.dBias] : [g.dKernel, g.dRecurrentKernel], dX };
  }

  private namedWeights(): LstmWeights {
    const [kernel, recurrentKernel, bias] = this.weights!;
    return { kernel, recurrentKernel, bias };
  }

  /** x: [B, T, D]. Returns the output (and with returnState, [output, h, c]). */
  apply(x: CpuTensor, options: { initialState?: [CpuTensor, CpuTensor] } = {}): CpuTensor | CpuTensor[] {
    const B = x.shape[0];
    const H = this.config.units;
    const { y, state } = this.forwardTrain(x, options.initialState && { h: options.initialState[0].data, c: options.initialState[1].data }, undefined, false);
    if (!this.config.returnState) return y;
    return [y, cpuTensor(state.h, [B, H]), cpuTensor(state.c, [B, H])];
  }
}
