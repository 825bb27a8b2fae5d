// What the recurrent layers (LSTM, GRU, SimpleRNN) share on the GPU: shapes, the state they
// carry (h, and c for a cell with one), the stateful carry, the dropout stream, the input
// projection GEMM, the output flow, BPTT's GEMMs over all steps (dW, dU, db, dX), apply() with
// initialState / returnState, and the layer's vector–Jacobian product. Each cell encodes its
// own step kernels, forward and backward.
import { encodeGemm } from '../kernels/gemm.js';
import { encodeReduceRows } from '../kernels/reduceRows.js';
import { encodeTranspose } from '../kernels/transpose.js';
import type { Gpu, RunScope } from '../runtime/device.js';
import { formatShape, RnnError, ShapeError } from '../spec/errors.js';
import { emptyTensor, type Tensor } from '../runtime/tensor.js';
import { initialize } from '../init/initializers.js';
import { drawSeed } from '../spec/seed.js';
import { Random } from '../init/random.js';
import { flowOf, inputGradientFlow, withMask, Layer, materialize, type Flow, type RecurrentState, type Regularizer } from '../layers/layer.js';
import { initialRecurrentWeights, type ResolvedSimpleRnnConfig } from '../spec/recurrentConfig.js';
import { checkCarry, inputGradRows, inputRows, StatefulState, type InputGradTarget } from './sequenceOptions.js';
import { RecurrentDropout, type DropoutDraw } from './recurrentDropout.js';
import type { Bptt, CellBackward, HiddenStateTypes, RecurrentSequence, StateTypes } from './recurrentTypes.js';
import { checkApplyInput, checkGradientInput, checkInitialState, checkOutputGradient, timeMajorGradient } from './layerCalls.js';

/** Any recurrent layer (LSTM, GRU, SimpleRNN), with its state typed as a list. */
export type AnyRecurrentLayer = RecurrentLayer<ResolvedSimpleRnnConfig, StateTypes>;

export abstract class RecurrentLayer<C extends ResolvedSimpleRnnConfig = ResolvedSimpleRnnConfig, S extends StateTypes = HiddenStateTypes> extends Layer {
  readonly config: C;
  /** stateful: the h (and c) kept between calls. */
  private readonly kept: StatefulState;
  /** dropout / recurrentDropout masks of training; set `dropoutMasks.step` to replay a run's masks. */
  readonly dropoutMasks: RecurrentDropout;
  /** Columns a unit of the input projection and of dG: 4 (LSTM), 3 (GRU), 1 (SimpleRNN). */
  protected abstract readonly gates: number;

  /** `withCell`: the layer carries a cell state c besides h (LSTM). */
  constructor(
    config: C,
    private readonly withCell = false,
  ) {
    super(config.name);
    this.config = config;
    this.kept = new StatefulState(config.name, config.units, withCell);
    this.dropoutMasks = new RecurrentDropout(config.dropout, config.recurrentDropout, config.seed ?? drawSeed());
  }

  get units(): number {
    return this.config.units;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return this.config.returnSequences ? [inputShape[0], this.units] : [this.units];
  }

  /** Keras order (kernel, recurrentKernel, bias), drawn in that order from the layer's seed. */
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
   * A carried state is read at the start and written at the end (a single-state layer uses
   * its h only). A stateful layer starts from its kept state and leaves its final state there
   * (a carried state of truncated BPTT is then not used: the kept one carries across windows
   * and batches).
   */
  encode(encoder: GPUCommandEncoder, run: RunScope, input: Flow, carry?: RecurrentState): Flow {
    const state = this.carriedState(input, carry);
    return this.outputFlow(this.encodeSequence(encoder, run, input, state, state, false));
  }

  /** The forward of training: with dropout / recurrentDropout, the masks of the next step. */
  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow, carry?: RecurrentState): { output: Flow; saved: RecurrentSequence } {
    const state = this.carriedState(input, carry);
    const gpu = this.requireBuilt();
    const draw = input.shape.length === 3 ? this.dropoutMasks.draw(gpu, encoder, run, input.shape[0], this.units) : undefined;
    const dropped = this.dropoutMasks.encodeInput(gpu, encoder, run, input, draw);
    const seq = this.encodeSequence(encoder, run, dropped, state, state, true, draw);
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

  /** The state kept by a stateful layer, read back: [h] (or [h, c]), each [batch, units] (undefined before the first call). */
  async getStates(): Promise<S['values'] | undefined> {
    const state = this.kept.buffers;
    if (!state) return undefined;
    const gpu = this.requireBuilt();
    const buffers = this.withCell ? [state.h, state.c] : [state.h];
    const copies = buffers.map((_, i) => emptyTensor(gpu, [this.kept.batchSize!, this.units], i === 0 ? 'h' : 'c'));
    gpu.submit(`${this.name}.getStates`, (encoder) => {
      buffers.forEach((b, i) => encoder.copyBufferToBuffer(b, 0, copies[i].buffer, 0, copies[i].byteLength));
    });
    try {
      const values: Float32Array[] = [];
      for (const t of copies) values.push(await t.data());
      return values as S['values'];
    } finally {
      for (const t of copies) t.dispose();
    }
  }

  override dispose(): void {
    this.kept.release(this.gpu);
    super.dispose();
  }

  /** The state a forward starts from and ends in: the kept one (stateful), or truncated BPTT's. */
  private carriedState(input: Flow, carry: RecurrentState | undefined): RecurrentState | undefined {
    if (this.config.stateful) return this.kept.forBatch(this.requireBuilt(), input.shape[0]);
    checkCarry(this.name, this.config.goBackwards, carry);
    return carry;
  }

  /**
   * Encodes the input projection G = X·W + b [T, B, gates·H] and the T steps, in processing
   * order (with goBackwards the projection's row t reads input step T−1−t); with `keep`, also
   * what the backward needs. The state starts from `stateIn` (zeros without it); the final
   * state is copied to `stateOut` when given. `draw` (training with dropout): the masks.
   */
  protected encodeSequence(
    encoder: GPUCommandEncoder,
    run: RunScope,
    input: Flow,
    stateIn?: RecurrentState,
    stateOut?: RecurrentState,
    keep = false,
    draw?: DropoutDraw,
  ): RecurrentSequence {
    const gpu = this.requireBuilt();
    const { B, T, D, H } = this.sequenceDims(input, stateIn, stateOut);
    const N = this.gates * H;
    const bytes = B * H * 4;
    const g = run.scratch(T * B * N * 4, `${this.name}/gates`);
    const hseq = run.scratch((T + 1) * bytes, `${this.name}/hseq`);
    const c = this.withCell ? run.scratch((keep ? T + 1 : 1) * bytes, `${this.name}/c`) : undefined;
    // Slot 0: h0 (and c0) from stateIn, or zeros.
    (c ? [hseq, c] : [hseq]).forEach((slot, i) => {
      const from = stateIn && (i === 0 ? stateIn.h : stateIn.c);
      if (from) encoder.copyBufferToBuffer(from, 0, slot, 0, bytes);
      else encoder.clearBuffer(slot, 0, bytes);
    });
    const [kernel, , bias] = this.weights;
    const pass = encoder.beginComputePass({ label: this.name });
    encodeGemm(gpu, pass, run, {
      a: input.buffer,
      aOffset: input.offset,
      b: kernel.buffer,
      bias: bias?.buffer,
      y: g,
      M: T * B,
      N,
      K: D,
      ...inputRows(input, T, B, this.config.goBackwards),
    });
    const seq = this.encodeSteps(pass, run, { input, hseq, c, B, T, draw }, g, keep);
    pass.end();
    if (stateOut) {
      encoder.copyBufferToBuffer(hseq, T * bytes, stateOut.h, 0, bytes);
      if (c) encoder.copyBufferToBuffer(c, keep ? T * bytes : 0, stateOut.c, 0, bytes);
    }
    return seq;
  }

  /**
   * Encodes the T fused steps into `pass`, from the projection `g` [T, B, gates·H] and h0 (c0)
   * in slot 0 of seq.hseq (seq.c); returns `seq` with, when `keep`, what the cell's backward needs.
   */
  protected abstract encodeSteps(pass: GPUComputePassEncoder, run: RunScope, seq: RecurrentSequence, g: GPUBuffer, keep: boolean): RecurrentSequence;

  /**
   * BPTT: one transpose of the recurrent kernel, the cell's fused backward steps, then over all
   * steps at once dW = Xᵀ·dG, dU (Hprevᵀ·dG unless the cell has its own), db = Σ dG and (when
   * needed) dX = dG·Wᵀ, then the cell's initial-state gradients. Everything runs in processing
   * order; with goBackwards the GEMMs that touch X or dX read dG's step t as input step T−1−t.
   * With `inputGrad`, dX is written (or added) there, time-major in the input's step order, and
   * nothing is returned. `finalCellGrad` [B, H] (a cell with a c): the gradient of the final c,
   * when that state feeds something else (as an encoder's feeds a decoder); zeros without it.
   */
  encodeBackward(
    encoder: GPUCommandEncoder,
    run: RunScope,
    saved: unknown,
    dOutput: Flow,
    grads: readonly GPUBuffer[],
    needInputGrad: boolean,
    stateGrads?: S['grad'],
    inputGrad?: InputGradTarget,
    finalCellGrad?: GPUBuffer,
  ): Flow | undefined {
    const gpu = this.requireBuilt();
    if (finalCellGrad && !this.withCell) throw new RnnError(`${this.name} has no cell state: finalCellGrad is for a layer with one (LSTM).`);
    const seq = saved as RecurrentSequence;
    const { input, hseq, B, T, draw } = seq;
    const backwards = this.config.goBackwards;
    const H = this.units;
    const N = this.gates * H;
    const D = input.shape[2];
    const rows = T * B;
    const [kernel, recurrentKernel, bias] = this.weights;
    const dG = run.scratch(rows * N * 4, `${this.name}/dG`);
    const uT = run.scratch(N * H * 4, `${this.name}/UT`);
    const dX = this.dropoutMasks.inputGradBuffer(run, draw, rows * D * 4, needInputGrad, inputGrad);
    const hPrev = draw?.recurrentMask ? this.dropoutMasks.encodeRecurrent(gpu, encoder, run, hseq, T, B, H, draw) : hseq;
    const cell = this.prepareBackward(encoder, run, { seq, dOutput, grads, dG, uT, hPrev, stateGrads, finalCellGrad });
    const pass = encoder.beginComputePass({ label: `${this.name} backward` });
    encodeTranspose(gpu, pass, run, { x: recurrentKernel.buffer, y: uT, R: H, C: N });
    cell.encodeSteps(pass);
    encodeGemm(gpu, pass, run, {
      a: input.buffer,
      aOffset: input.offset,
      transA: true,
      ...inputRows(input, T, B, backwards),
      b: dG,
      y: grads[0],
      M: D,
      N,
      K: rows,
    });
    if (cell.encodeRecurrentGrad) cell.encodeRecurrentGrad(pass);
    else encodeGemm(gpu, pass, run, { a: hPrev, transA: true, b: dG, y: grads[1], M: H, N, K: rows });
    if (bias) encodeReduceRows(gpu, pass, run, { x: dG, y: grads[2], R: rows, N });
    if (dX.buffer) {
      encodeGemm(gpu, pass, run, {
        a: dG,
        ...inputGradRows(T, B, backwards),
        b: kernel.buffer,
        transB: true,
        y: dX.buffer,
        M: rows,
        N: D,
        K: N,
        accumulate: dX.accumulate,
      });
    }
    cell.finish(pass);
    if (!dX.buffer) return undefined;
    const dXInput = this.dropoutMasks.encodeInputGrad(gpu, encoder, run, dX.buffer, [B, T, D], draw, inputGrad);
    if (inputGrad) return undefined;
    return inputGradientFlow(gpu, encoder, run, dXInput, input);
  }

  /** Before the backward pass: the cell's own buffers and commands; its part of the pass. */
  protected abstract prepareBackward(encoder: GPUCommandEncoder, run: RunScope, b: Bptt<S>): CellBackward;

  /**
   * Ends `pass`; with `b.stateGrads`, dh0 = (dG[0]·Uᵀ)⊙m, plus with a mask the dh carried
   * through masked first steps (`carried`, at element `carriedOffset`). For a cell whose only
   * use of h[t-1] is the recurrent matmul.
   */
  protected encodeHiddenStateGrad(
    encoder: GPUCommandEncoder,
    run: RunScope,
    pass: GPUComputePassEncoder,
    b: Bptt<S>,
    carried?: GPUBuffer,
    carriedOffset?: number,
  ): void {
    if (!b.stateGrads) {
      pass.end();
      return;
    }
    const gpu = this.requireBuilt();
    const { B, draw } = b.seq;
    const H = this.units;
    const u = this.weights[1].buffer;
    this.dropoutMasks.encodeInitialStateGrad(gpu, encoder, run, pass, {
      target: b.stateGrads.h,
      B,
      H,
      draw,
      carried,
      carriedOffset,
      encodeProduct: (p, y, accumulate) => encodeGemm(gpu, p, run, { a: b.dG, b: u, transB: true, y, M: B, N: H, K: this.gates * H, accumulate }),
    });
  }

  /** The layer's output within `seq`: the whole sequence (time-major) or the last h. */
  protected outputFlow({ hseq, B, T, input }: RecurrentSequence): Flow {
    const H = this.units;
    return this.config.returnSequences
      ? { buffer: hseq, offset: B * H, shape: [B, T, H], timeMajor: true, mask: input.mask }
      : { buffer: hseq, offset: T * B * H, shape: [B, H], timeMajor: false };
  }

  /** Checks the input flow and the buffer limits; returns its dimensions. */
  private sequenceDims(input: Flow, stateIn: RecurrentState | undefined, stateOut: RecurrentState | undefined): { B: number; T: number; D: number; H: number } {
    const gpu = this.requireBuilt();
    if (input.shape.length !== 3) {
      throw new ShapeError(`${this.name} expects input of shape [batch, steps, features], got ${formatShape(input.shape)}.`);
    }
    const [B, T, D] = input.shape;
    // A chunk of a longer sequence (truncated BPTT carries the state in) may have fewer steps.
    this.checkInputShape([stateIn && stateOut ? this.inputShape![0] : T, D]);
    const H = this.units;
    const N = this.gates * H;
    gpu.checkBindingSize(T * B * N * 4, `${this.name}: the gate buffer [steps=${T}, batch=${B}, ${this.gates}·units=${N}]`);
    gpu.checkBindingSize((T + 1) * B * H * 4, `${this.name}: the hidden-state sequence [steps+1=${T + 1}, batch=${B}, units=${H}]`);
    return { B, T, D, H };
  }

  /**
   * Runs the layer on `x` [batch, steps, features] in one submit. Returns the output, or with
   * `returnState` [output, h] ([output, h, c] with a cell state). `initialState` is h0
   * [batch, units] or [h0] ([h0, c0] with a cell state); a stateful layer starts from its kept
   * state without it, and keeps its final state.
   */
  apply(x: Tensor, options: { initialState?: S['initial']; mask?: Tensor } = {}): Tensor | Tensor[] {
    checkApplyInput(x, this.name);
    if (!this.built) this.build(x.gpu, x.shape.slice(1));
    const gpu = this.requireBuilt();
    const state = options.initialState && checkInitialState(options.initialState, x.shape[0], this.units, this.name, this.withCell);
    const outputs: Tensor[] = [];
    const done = gpu.submit(`${this.name} forward ${formatShape(x.shape)}`, (encoder, run) => {
      const kept = this.config.stateful ? this.kept.forBatch(gpu, x.shape[0]) : undefined;
      const seq = this.encodeSequence(encoder, run, withMask(flowOf(x), options.mask), state ?? kept, kept);
      outputs.push(materialize(gpu, encoder, run, this.outputFlow(seq)));
      if (this.config.returnState) {
        const { B, T } = seq;
        const H = this.units;
        outputs.push(materialize(gpu, encoder, run, { buffer: seq.hseq, offset: T * B * H, shape: [B, H], timeMajor: false }));
        // Not kept: c holds the final cell state alone.
        if (seq.c) outputs.push(materialize(gpu, encoder, run, { buffer: seq.c, offset: 0, shape: [B, H], timeMajor: false }));
      }
    });
    for (const t of outputs) t.ready = done;
    return this.config.returnState ? outputs : outputs[0];
  }

  /**
   * The layer's vector–Jacobian product: given x [batch, steps, features] and dOutput, the
   * gradient of the output (the output's shape: [batch, steps, units] with returnSequences,
   * else [batch, units]), returns the gradients of the weights (Keras order), of x and of the
   * initial state [h0] ([h0, c0] with a cell state; zeros when none is given). For custom
   * training loops such as an encoder–decoder, where the decoder's initial state comes from
   * the encoder.
   */
  async gradients(
    x: Tensor,
    dOutput: Tensor,
    options: { initialState?: S['initial']; mask?: Tensor } = {},
  ): Promise<{ weights: Float32Array[]; x: Float32Array; initialState: S['values'] }> {
    checkGradientInput(x, this.name);
    if (!this.built) this.build(x.gpu, x.shape.slice(1));
    const gpu = this.requireBuilt();
    const [B, T, D] = x.shape;
    const H = this.units;
    checkOutputGradient(dOutput, this.config.returnSequences ? [B, T, H] : [B, H], this.name);
    const state = options.initialState && checkInitialState(options.initialState, B, H, this.name, this.withCell);
    const grads = this.weights.map((w) => emptyTensor(gpu, w.shape, 'gradient'));
    const gradBuffers = grads.map((g) => g.buffer);
    const dX = emptyTensor(gpu, [B, T, D], 'dX');
    const dState = (this.withCell ? ['dh0', 'dc0'] : ['dh0']).map((label) => emptyTensor(gpu, [B, H], label));
    const stateGrads = { h: dState[0].buffer, c: dState[dState.length - 1].buffer } as S['grad'];
    try {
      await gpu.submit(`${this.name}.gradients`, (encoder, run) => {
        const seq = this.encodeSequence(encoder, run, withMask(flowOf(x), options.mask), state, undefined, true);
        const dx = this.encodeBackward(encoder, run, seq, timeMajorGradient(gpu, encoder, run, dOutput), gradBuffers, true, stateGrads)!;
        encoder.copyBufferToBuffer(dx.buffer, 0, dX.buffer, 0, dX.byteLength);
      });
      const dxBatchMajor = await dX.data(); // the input was batch-major, and so is its gradient
      const weights = await Promise.all(grads.map((g) => g.data()));
      const initialState: Float32Array[] = [];
      for (const t of dState) initialState.push(await t.data());
      return { weights, x: dxBatchMajor, initialState: initialState as S['values'] };
    } finally {
      for (const t of [...grads, dX, ...dState]) t.dispose();
    }
  }
}
