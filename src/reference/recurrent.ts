// What the recurrent twins (LSTM, GRU, SimpleRNN) share on the CPU, as lstm/recurrent on the
// GPU: weights and their shapes, the state a stateful layer keeps, dropout / recurrentDropout
// masks, goBackwards, masking, the output (sequence or last h), and apply() with initialState /
// returnState. Each cell class runs only its own forward and BPTT (forwardSequence /
// backwardSequence) over the processed input, time-major inside.
import type { RegularizerConfig } from '../spec/config.js';
import { initialRecurrentWeights, type ResolvedSimpleRnnConfig } from '../spec/recurrentConfig.js';
import { initialize } from '../init/initializers.js';
import { Random } from '../init/random.js';
import { toBatchMajor } from './math.js';
import { inputGradient, processingInput, processingMask, ReferenceKeptState, type KeptState } from './sequenceOptions.js';
import { checkWeights, cpuTensor, type CpuTensor } from './tensor.js';
import { drawSeed } from '../spec/seed.js';
import { maskSequence, ReferenceRecurrentDropout, type ReferenceDropoutDraw } from './dropout.js';

export interface RecurrentDims {
  B: number;
  T: number;
  D: number;
  H: number;
}

/** A recurrent layer's weights in Keras order: kernel [D, N], recurrentKernel [H, N], bias (N = gates·H). */
export interface RecurrentWeights {
  kernel: Float64Array;
  recurrentKernel: Float64Array;
  bias?: Float64Array;
}

/** What one forward or backward of a cell runs on. */
export interface RecurrentRun {
  /** The processed input (dropped, reversed with goBackwards) [B, T, D] batch-major. */
  x: Float64Array;
  dims: RecurrentDims;
  weights: RecurrentWeights;
  /** [B, T] in processing order; a step with 0 keeps the state. */
  mask?: Float64Array;
  /** [B, H] recurrent-dropout multipliers of h[t-1]. */
  recurrentMask?: Float64Array;
}

/** The gradient of a recurrent layer's output: `sequence` [B, T, H] (returnSequences) or `last` [B, H]. */
export type RecurrentOutputGrad = { sequence: ArrayLike<number> } | { last: ArrayLike<number> };

/** What a cell's BPTT gives the layer: its weights' gradients (Keras shapes) and dX [B, T, D]. */
export interface RecurrentLayerGradients {
  dKernel: Float64Array;
  dRecurrentKernel: Float64Array;
  dBias: Float64Array;
  dX: Float64Array;
}

/** What a recurrent layer's backward needs from its forwardTrain. */
export interface ReferenceRecurrentSaved<Cache> {
  /** The processed input (dropped, reversed with goBackwards) [B, T, D]. */
  x: CpuTensor;
  cache: Cache;
  /** [B, T] in processing order */
  mask?: Float64Array;
  draw?: ReferenceDropoutDraw;
}

/** The carried state of a layer without a cell state: h [B, H] (c stays undefined). */
export type HiddenState = { h: Float64Array; c?: undefined };
/** forwardTrain()'s initial state: { h, c } with a cell state, { h } otherwise ([B, H] each). */
export type RecurrentStateIn<S> = S extends { c: Float64Array } ? S : { h: Float64Array };
/** The state list of getStates(): [h] or, with a cell state, [h, c] ([B, H] each). */
export type RecurrentStateList<S> = S extends { c: Float64Array } ? [Float64Array, Float64Array] : [Float64Array];
/** apply()'s initialState: [h0, c0] with a cell state; h0 alone or as [h0] otherwise. */
export type RecurrentInitialState<S> = S extends { c: Float64Array } ? [CpuTensor, CpuTensor] : CpuTensor | [CpuTensor];

/** The recurrent layer's output from its kept [T+1, B, H] state sequence: the sequence [B, T, H] or the last h [B, H]. */
export function recurrentOutput(hseq: Float64Array, B: number, T: number, H: number, returnSequences: boolean): CpuTensor {
  return returnSequences ? cpuTensor(toBatchMajor(hseq.subarray(B * H), B, T, H), [B, T, H]) : cpuTensor(hseq.subarray(T * B * H), [B, H]);
}

/** What the layer plumbing needs to know of a cell. */
export interface RecurrentCellSpec<C> {
  /** Kernel columns per unit: kernel [D, gates·H]. */
  gates: number;
  /** The state carries c besides h (LSTM). */
  withCell: boolean;
  /** Shapes of the weights in Keras order: kernel, recurrentKernel, bias (if used). */
  weightShapes(config: C, features: number): number[][];
}

/**
 * A recurrent layer on the CPU, with the configuration and weights of the GPU layer.
 * C: the resolved configuration; Cache: what the cell's forward keeps ([T+1, B, H] hseq at
 * least, slot 0 = h0); S: the carried state, HiddenState or { h, c } ([B, H] each).
 */
export abstract class ReferenceRecurrent<C extends ResolvedSimpleRnnConfig, Cache extends { hseq: Float64Array }, S extends KeptState = HiddenState> {
  readonly config: C;
  private weights: Float64Array[] | undefined;
  private features: number | undefined;
  private readonly kept: ReferenceKeptState;
  /** dropout / recurrentDropout masks, as the GPU layer's `dropoutMasks`. */
  readonly dropoutMasks: ReferenceRecurrentDropout;

  constructor(
    config: C,
    private readonly cell: RecurrentCellSpec<C>,
  ) {
    this.config = config;
    this.kept = new ReferenceKeptState(config.name, config.units, cell.withCell);
    this.dropoutMasks = new ReferenceRecurrentDropout(config.dropout, config.recurrentDropout, config.seed ?? drawSeed());
    if (config.inputShape) this.build(config.inputShape[1]);
  }

  /** Runs the cell over `run` from `start` (zeros without). */
  protected abstract forwardSequence(run: RecurrentRun, start: S | undefined): Cache;

  /** The state after the last step: slot T of the cache's sequences, from element `at` = T·B·H. */
  protected finalState(cache: Cache, at: number): S {
    return { h: cache.hseq.slice(at) } as S;
  }

  /** BPTT of forwardSequence(run) from the output's gradient. */
  protected abstract backwardSequence(run: RecurrentRun, cache: Cache, dY: RecurrentOutputGrad): RecurrentLayerGradients;

  /** Initial weights in Keras order, drawn in that order from one Random(seed). */
  protected initialWeights(features: number): Float64Array[] {
    const random = new Random(this.config.seed);
    return initialRecurrentWeights(this.config, this.weightShapes(features), (name, rows, cols) => initialize(name, rows, cols, random));
  }

  /** Shapes of the weights in Keras order: kernel, recurrentKernel, bias (if used). */
  weightShapes(features: number): number[][] {
    return this.cell.weightShapes(this.config, features);
  }

  build(features: number): void {
    if (this.weights) return;
    this.weights = this.initialWeights(features);
    this.features = features;
  }

  getWeights(): Float64Array[] {
    if (!this.weights) throw new Error(`${this.config.name} has no weights until it is built (give inputShape or call it once).`);
    return this.weights.map((w) => w.slice());
  }

  setWeights(weights: readonly ArrayLike<number>[]): void {
    const features = this.features ?? weights[0].length / (this.cell.gates * this.config.units);
    this.weights = checkWeights(weights, this.weightShapes(features), this.config.name);
    this.features = features;
  }

  weightCount(): number {
    return this.config.useBias ? 3 : 2;
  }

  regularizers(): (RegularizerConfig | undefined)[] {
    const c = this.config;
    return [c.kernelRegularizer, c.recurrentRegularizer, ...(c.useBias ? [c.biasRegularizer] : [])];
  }

  /** Zeros the state a stateful layer keeps. */
  resetStates(): void {
    this.kept.reset();
  }

  /** The kept state ([h] or [h, c]) of a stateful layer (undefined before its first call). */
  getStates(): RecurrentStateList<S> | undefined {
    const s = this.kept.current();
    return s && this.stateList(s);
  }

  /**
   * The forward of training: the output, what backward() needs, and the final state.
   * x: [B, T, D]; `state` [B, H] each, zeros without it (a stateful layer's kept state). With
   * goBackwards the layer runs on x reversed in time and its output stays in processing order.
   * In training (not in apply), dropout / recurrentDropout draw the masks of the next step.
   */
  forwardTrain(
    x: CpuTensor,
    state?: RecurrentStateIn<S>,
    mask?: ArrayLike<number>,
    training = true,
  ): { y: CpuTensor; saved: ReferenceRecurrentSaved<Cache>; state: S } {
    const [B, T, D] = x.shape;
    this.build(D);
    const H = this.config.units;
    const draw = training ? this.dropoutMasks.draw(B, D, H) : undefined;
    const dropped = draw?.input ? cpuTensor(maskSequence(x.data, draw.input, B, T, D), x.shape) : x;
    const processed = processingInput(dropped, this.config.goBackwards);
    const start = (state ?? (this.config.stateful ? this.kept.get(B) : undefined)) as S | undefined;
    const processedMask = processingMask(mask, B, T, this.config.goBackwards);
    const run = { x: processed.data, dims: { B, T, D, H }, weights: this.namedWeights(), mask: processedMask, recurrentMask: draw?.recurrent };
    const cache = this.forwardSequence(run, start);
    const final = this.finalState(cache, T * B * H);
    if (this.config.stateful) this.kept.set(final);
    const y = recurrentOutput(cache.hseq, B, T, H, this.config.returnSequences);
    return { y, saved: { x: processed, cache, mask: processedMask, draw }, state: final };
  }

  /** Gradients of the weights (Keras order) and of the input [B, T, D] from dY (the output's layout). */
  backward(saved: ReferenceRecurrentSaved<Cache>, dY: Float64Array): { grads: Float64Array[]; dX: Float64Array } {
    const [B, T, D] = saved.x.shape;
    const H = this.config.units;
    const dYs = this.config.returnSequences ? { sequence: dY } : { last: dY };
    const run = { x: saved.x.data, dims: { B, T, D, H }, weights: this.namedWeights(), mask: saved.mask, recurrentMask: saved.draw?.recurrent };
    const g = this.backwardSequence(run, saved.cache, dYs);
    const dDropped = inputGradient(g.dX, B, T, D, this.config.goBackwards);
    const dX = saved.draw?.input ? maskSequence(dDropped, saved.draw.input, B, T, D) : dDropped;
    return { grads: this.config.useBias ? [g.dKernel, g.dRecurrentKernel, g.dBias] : [g.dKernel, g.dRecurrentKernel], dX };
  }

  /** x: [B, T, D]. Returns the output (and with returnState, [output, h] or [output, h, c]). */
  apply(x: CpuTensor, options: { initialState?: RecurrentInitialState<S> } = {}): CpuTensor | CpuTensor[] {
    const initial = options.initialState as CpuTensor | CpuTensor[] | undefined;
    const list = initial && (Array.isArray(initial) ? initial : [initial]);
    const start = list && ((this.cell.withCell ? { h: list[0].data, c: list[1].data } : { h: list[0].data }) as RecurrentStateIn<S>);
    const { y, state } = this.forwardTrain(x, start, undefined, false);
    if (!this.config.returnState) return y;
    return [y, ...this.stateList(state).map((s) => cpuTensor(s, [x.shape[0], this.config.units]))];
  }

  private stateList(s: KeptState): RecurrentStateList<S> {
    return (this.cell.withCell ? [s.h, s.c!] : [s.h]) as RecurrentStateList<S>;
  }

  private namedWeights(): RecurrentWeights {
    const [kernel, recurrentKernel, bias] = this.weights!;
    return { kernel, recurrentKernel, bias };
  }
}
