// What the single-state recurrent layers (GRU, SimpleRNN) share on the GPU: shapes, the state
// they carry (h only), the output flow, apply() with initialState / returnState, and the
// layer's vector–Jacobian product. Each layer encodes its own sequence and BPTT.
import { encodeTimeToBatchMajor } from '../kernels/sequenceLayout.js';
import type { Gpu, RunScope } from '../runtime/device.js';
import { formatShape, ShapeError } from '../spec/errors.js';
import { emptyTensor, Tensor } from '../runtime/tensor.js';
import { initialize } from '../init/initializers.js';
import { Random } from '../init/random.js';
import { flowOf, withMask, Layer, materialize, type Flow, type RecurrentState, type Regularizer } from '../layers/layer.js';
import { initialRecurrentWeights, type ResolvedSimpleRnnConfig } from '../spec/recurrentConfig.js';
import { checkCarry, StatefulState, type InputGradTarget } from './sequenceOptions.js';
import { RecurrentDropout, type DropoutDraw } from './recurrentDropout.js';

/** The buffers of one encoded sequence, alive until the submit. */
export interface RecurrentSequence {
  input: Flow;
  /** [T+1, B, H] time-major, slot 0 = h0 */
  hseq: GPUBuffer;
  B: number;
  T: number;
  /** Training with dropout / recurrentDropout: the masks' step and the recurrent mask. */
  draw?: DropoutDraw;
}

/** The gradient of a single-state layer's initial state, written by encodeBackward when asked. */
export interface HiddenStateGrad {
  /** [B, H] */
  h: GPUBuffer;
}

/** An initial state: h0 [batch, units], alone or in a one-element list (as TF.js). */
export type InitialHiddenState = Tensor | [Tensor];

export abstract class RecurrentLayer<C extends ResolvedSimpleRnnConfig = ResolvedSimpleRnnConfig> extends Layer {
  readonly config: C;
  /** stateful: the h kept between calls. */
  private readonly kept: StatefulState;
  /** dropout / recurrentDropout masks of training; set `dropoutMasks.step` to replay a run's masks. */
  readonly dropoutMasks: RecurrentDropout;

  constructor(config: C) {
    super(config.name);
    this.config = config;
    this.kept = new StatefulState(config.name, config.units, false);
    this.dropoutMasks = new RecurrentDropout(config.dropout, config.recurrentDropout, config.seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  get units(): number {
    return this.config.units;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return this.config.returnSequences ? [inputShape[0], this.units] : [this.units];
  }

  protected initialWeights(inputShape: readonly number[]): Float32Array[] {
    const random = new Random(this.config.seed);
    const values = initialRecurrentWeights(this.config, this.weightShapes(inputShape), (name, rows, cols) => initialize(name, rows, cols, random));
    return values.map((w) => Float32Array.from(w));
  }

  override build(gpu: Gpu, inputShape: readonly number[]): void {
    // A declared inputShape fixes the features (and steps, unless null); the input is checked against it.
    const declared = this.config.inputShape;
    super.build(gpu, [declared?.[0] ?? -1, declared?.[1] ?? inputShape[1]]);
    this.checkInputShape(inputShape);
  }

  override get stateUnits(): number {
    return this.units;
  }

  override regularizers(): (Regularizer | undefined)[] {
    const c = this.config;
    return [c.kernelRegularizer, c.recurrentRegularizer, ...(c.useBias ? [c.biasRegularizer] : [])];
  }

  /**
   * A carried state's h is read at the start and written at the end; its c is unused. A
   * stateful layer starts from its kept state and leaves its final state there (a carried state
   * of truncated BPTT is then not used: the kept one carries across windows and batches).
   */
  encode(encoder: GPUCommandEncoder, run: RunScope, input: Flow, carry?: RecurrentState): Flow {
    const h = this.carriedState(input, carry);
    return this.outputFlow(this.encodeSequence(encoder, run, input, h, h, false));
  }

  /** The forward of training: with dropout / recurrentDropout, the masks of the next step. */
  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow, carry?: RecurrentState): { output: Flow; saved: RecurrentSequence } {
    const h = this.carriedState(input, carry);
    const gpu = this.requireBuilt();
    const draw = input.shape.length === 3 ? this.dropoutMasks.draw(gpu, encoder, run, input.shape[0], this.units) : undefined;
    const dropped = this.dropoutMasks.encodeInput(gpu, encoder, run, input, draw);
    const seq = this.encodeSequence(encoder, run, dropped, h, h, true, draw);
    return { output: this.outputFlow(seq), saved: seq };
  }

  /** Whether the layer keeps its state between calls (Keras `stateful`). */
  get stateful(): boolean {
    return this.config.stateful;
  }

  /** Zeros the state a stateful layer keeps (Keras resetStates); a no-op otherwise. */
  resetStates(): void {
    this.kept.reset(this.gpu);
  }

  /** The state kept by a stateful layer, read back: [h] of [batch, units] (undefined before the first call). */
  async getStates(): Promise<[Float32Array] | undefined> {
    const state = this.kept.buffers;
    if (!state) return undefined;
    const gpu = this.requireBuilt();
    const h = emptyTensor(gpu, [this.kept.batchSize!, this.units], 'h');
    gpu.submit(`${this.name}.getStates`, (encoder) => encoder.copyBufferToBuffer(state.h, 0, h.buffer, 0, h.byteLength));
    try {
      return [await h.data()];
    } finally {
      h.dispose();
    }
  }

  override dispose(): void {
    this.kept.release(this.gpu);
    super.dispose();
  }

  /** The h a forward starts from and ends in: the kept one (stateful), or truncated BPTT's. */
  private carriedState(input: Flow, carry: RecurrentState | undefined): GPUBuffer | undefined {
    if (this.config.stateful) return this.kept.forBatch(this.requireBuilt(), input.shape[0]).h;
    checkCarry(this.name, this.config.goBackwards, carry);
    return carry?.h;
  }

  /**
   * Encodes the input projection and the T steps, in processing order (with goBackwards the
   * projection's row t reads input step T−1−t); with `keep`, also what the backward needs.
   * The state starts from `stateIn` [B, H] (zeros without it); the final h is copied to
   * `stateOut` when given. `draw` (training with dropout): the recurrent mask to apply.
   */
  protected abstract encodeSequence(
    encoder: GPUCommandEncoder,
    run: RunScope,
    input: Flow,
    stateIn?: GPUBuffer,
    stateOut?: GPUBuffer,
    keep?: boolean,
    draw?: DropoutDraw,
  ): RecurrentSequence;

  abstract override encodeBackward(
    encoder: GPUCommandEncoder,
    run: RunScope,
    saved: unknown,
    dOutput: Flow,
    grads: readonly GPUBuffer[],
    needInputGrad: boolean,
    stateGrads?: HiddenStateGrad,
    inputGrad?: InputGradTarget,
  ): Flow | undefined;

  /** The layer's output within `seq`: the whole sequence (time-major) or the last h. */
  protected outputFlow({ hseq, B, T, input }: RecurrentSequence): Flow {
    const H = this.units;
    return this.config.returnSequences
      ? { buffer: hseq, offset: B * H, shape: [B, T, H], timeMajor: true, mask: input.mask }
      : { buffer: hseq, offset: T * B * H, shape: [B, H], timeMajor: false };
  }

  /** Checks the input flow and the buffer limits; returns its dimensions. */
  protected sequenceDims(
    input: Flow,
    stateIn: GPUBuffer | undefined,
    stateOut: GPUBuffer | undefined,
    gateColumns: number,
  ): { B: number; T: number; D: number; H: number } {
    const gpu = this.requireBuilt();
    if (input.shape.length !== 3) {
      throw new ShapeError(`${this.name} expects input of shape [batch, steps, features], got ${formatShape(input.shape)}.`);
    }
    const [B, T, D] = input.shape;
    // A chunk of a longer sequence (truncated BPTT carries the state in) may have fewer steps.
    this.checkInputShape([stateIn && stateOut ? this.inputShape![0] : T, D]);
    const H = this.units;
    gpu.checkBindingSize(T * B * gateColumns * 4, `${this.name}: the gate buffer [steps=${T}, batch=${B}, ${gateColumns / H}·units=${gateColumns}]`);
    gpu.checkBindingSize((T + 1) * B * H * 4, `${this.name}: the hidden-state sequence [steps+1=${T + 1}, batch=${B}, units=${H}]`);
    return { B, T, D, H };
  }

  /** Writes h0 into slot 0 of `hseq`: `stateIn`, or zeros. */
  protected encodeInitialState(encoder: GPUCommandEncoder, hseq: GPUBuffer, stateIn: GPUBuffer | undefined, B: number): void {
    const bytes = B * this.units * 4;
    if (stateIn) encoder.copyBufferToBuffer(stateIn, 0, hseq, 0, bytes);
    else encoder.clearBuffer(hseq, 0, bytes);
  }

  /** Copies the final h (slot T of `hseq`) to `stateOut` when given. */
  protected encodeFinalState(encoder: GPUCommandEncoder, hseq: GPUBuffer, stateOut: GPUBuffer | undefined, B: number, T: number): void {
    const bytes = B * this.units * 4;
    if (stateOut) encoder.copyBufferToBuffer(hseq, T * bytes, stateOut, 0, bytes);
  }

  /**
   * Runs the layer on `x` [batch, steps, features] in one submit. Returns the output, or with
   * `returnState` [output, h]. `initialState` is h0 [batch, units] (or [h0]); a stateful layer
   * starts from its kept state without it, and keeps its final state.
   */
  apply(x: Tensor, options: { initialState?: InitialHiddenState; mask?: Tensor } = {}): Tensor | Tensor[] {
    if (!(x instanceof Tensor)) throw new ShapeError(`${this.name}.apply takes a Tensor: make one with tensor(gpu, data, shape).`);
    x.assertUsable('The input tensor');
    if (x.rank !== 3) throw new ShapeError(`${this.name} expects input of shape [batch, steps, features], got ${formatShape(x.shape)}.`);
    if (!this.built) this.build(x.gpu, x.shape.slice(1));
    const gpu = this.requireBuilt();
    const h0 = options.initialState && checkInitialState(options.initialState, x.shape[0], this.units, this.name);
    const outputs: Tensor[] = [];
    const done = gpu.submit(`${this.name} forward ${formatShape(x.shape)}`, (encoder, run) => {
      const kept = this.config.stateful ? this.kept.forBatch(gpu, x.shape[0]).h : undefined;
      const seq = this.encodeSequence(encoder, run, withMask(flowOf(x), options.mask), h0?.buffer ?? kept, kept);
      outputs.push(materialize(gpu, encoder, run, this.outputFlow(seq)));
      if (this.config.returnState) {
        outputs.push(materialize(gpu, encoder, run, { buffer: seq.hseq, offset: seq.T * seq.B * this.units, shape: [seq.B, this.units], timeMajor: false }));
      }
    });
    for (const t of outputs) t.ready = done;
    return this.config.returnState ? outputs : outputs[0];
  }

  /**
   * The layer's vector–Jacobian product: given x [batch, steps, features] and dOutput, the
   * gradient of the output (the output's shape: [batch, steps, units] with returnSequences,
   * else [batch, units]), returns the gradients of the weights (Keras order), of x and of the
   * initial state [h0] (zeros when none is given).
   */
  async gradients(
    x: Tensor,
    dOutput: Tensor,
    options: { initialState?: InitialHiddenState; mask?: Tensor } = {},
  ): Promise<{ weights: Float32Array[]; x: Float32Array; initialState: [Float32Array] }> {
    if (!(x instanceof Tensor) || x.rank !== 3) throw new ShapeError(`${this.name}.gradients expects x of shape [batch, steps, features].`);
    if (!this.built) this.build(x.gpu, x.shape.slice(1));
    const gpu = this.requireBuilt();
    const [B, T, D] = x.shape;
    const H = this.units;
    const outShape = this.config.returnSequences ? [B, T, H] : [B, H];
    if (!(dOutput instanceof Tensor) || formatShape(dOutput.shape) !== formatShape(outShape)) {
      throw new ShapeError(`${this.name}.gradients: dOutput must have the output's shape ${formatShape(outShape)}.`);
    }
    const h0 = options.initialState && checkInitialState(options.initialState, B, H, this.name);
    const grads = this.weights.map((w) => emptyTensor(gpu, w.shape, 'gradient'));
    const dX = emptyTensor(gpu, [B, T, D], 'dX');
    const dh0 = emptyTensor(gpu, [B, H], 'dh0');
    try {
      await gpu.submit(`${this.name}.gradients`, (encoder, run) => {
        const seq = this.encodeSequence(encoder, run, withMask(flowOf(x), options.mask), h0?.buffer, undefined, true);
        // The backward takes a sequence gradient time-major ([B, T, H] → [T, B, H] is the
        // time-to-batch-major copy with the roles of T and B swapped).
        let dFlow: Flow = flowOf(dOutput);
        if (this.config.returnSequences) {
          const timeMajor = run.scratch(dOutput.byteLength, 'dY time-major');
          const pass = encoder.beginComputePass();
          encodeTimeToBatchMajor(gpu, pass, run, { src: dOutput.buffer, srcOffset: 0, y: timeMajor, T: B, B: T, H });
          pass.end();
          dFlow = { buffer: timeMajor, offset: 0, shape: outShape, timeMajor: true };
        }
        const dx = this.encodeBackward(
          encoder,
          run,
          seq,
          dFlow,
          grads.map((g) => g.buffer),
          true,
          { h: dh0.buffer },
        )!;
        encoder.copyBufferToBuffer(dx.buffer, 0, dX.buffer, 0, dX.byteLength);
      });
      const dxBatchMajor = await dX.data(); // the input was batch-major, and so is its gradient
      return { weights: await Promise.all(grads.map((g) => g.data())), x: dxBatchMajor, initialState: [await dh0.data()] };
    } finally {
      for (const t of [...grads, dX, dh0]) t.dispose();
    }
  }
}

function checkInitialState(state: InitialHiddenState, B: number, H: number, owner: string): Tensor {
  const list = Array.isArray(state) ? state : [state];
  if (list.length !== 1) throw new ShapeError(`${owner}: initialState is h0, one tensor of shape [${B}, ${H}] (or a list of it).`);
  const h0 = list[0];
  if (!(h0 instanceof Tensor)) throw new ShapeError(`${owner}: initialState must be a Tensor of shape [${B}, ${H}].`);
  h0.assertUsable(`${owner}: initialState`);
  if (h0.rank !== 2 || h0.shape[0] !== B || h0.shape[1] !== H) {
    throw new ShapeError(`${owner}: initialState must have shape [${B}, ${H}] ([batch, units]), got ${formatShape(h0.shape)}.`);
  }
  return h0;
}
