// The LSTM layer on the GPU: input projection GEMM over all steps, then one fused step kernel a
// step, all in one command buffer.
import { encodeGemm } from '../kernels/gemm.js';
import { encodeLstmStepsBackward } from '../kernels/lstmStepBackward.js';
import { encodeLstmStepsForward } from '../kernels/lstmStepForward.js';
import { encodeReduceRows } from '../kernels/reduceRows.js';
import { encodeTranspose } from '../kernels/transpose.js';
import type { Gpu, RunScope } from '../runtime/device.js';
import { formatShape, ShapeError } from '../spec/errors.js';
import { emptyTensor, Tensor } from '../runtime/tensor.js';
import { encodeTimeToBatchMajor } from '../kernels/sequenceLayout.js';
import { initialize } from '../init/initializers.js';
import { Random } from '../init/random.js';
import { lstmWeightShapes, resolveLstmConfig, type LstmConfig, type ResolvedLstmConfig } from '../spec/config.js';
import { flowOf, withMask, inputGradientFlow, Layer, materialize, type Flow, type RecurrentState, type Regularizer } from '../layers/layer.js';
import { checkCarry, inputGradRows, inputRows, StatefulState, type InputGradTarget } from './sequenceOptions.js';
import { RecurrentDropout, type DropoutDraw } from './recurrentDropout.js';

/** Buffers of one encoded sequence, alive until the submit. */
interface EncodedSequence {
  input: Flow;
  /** [T+1, B, H] time-major, slot 0 = h0 */
  hseq: GPUBuffer;
  /** [B, H] final cell state; when kept, [T+1, B, H] with slot 0 = c0 */
  c: GPUBuffer;
  /** When kept: [T, B, 4H] activated gates */
  acts?: GPUBuffer;
  B: number;
  T: number;
  /** Training with dropout / recurrentDropout: the masks' step and the recurrent mask. */
  draw?: DropoutDraw;
}

export class Lstm extends Layer {
  readonly config: ResolvedLstmConfig;
  /** stateful: the state kept between calls. */
  private readonly kept: StatefulState;
  /** dropout / recurrentDropout masks of training; set `dropoutMasks.step` to replay a run's masks. */
  readonly dropoutMasks: RecurrentDropout;

  constructor(config: LstmConfig) {
    const resolved = resolveLstmConfig(config);
    super(resolved.name);
    this.config = resolved;
    this.kept = new StatefulState(resolved.name, resolved.units, true);
    this.dropoutMasks = new RecurrentDropout(resolved.dropout, resolved.recurrentDropout, resolved.seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  get units(): number {
    return this.config.units;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return this.config.returnSequences ? [inputShape[0], this.units] : [this.units];
  }

  weightShapes(inputShape: readonly number[]): number[][] {
    return lstmWeightShapes(this.config, inputShape[1]);
  }

  protected initialWeights(inputShape: readonly number[]): Float32Array[] {
    const c = this.config;
    const H = c.units;
    const random = new Random(c.seed);
    const weights = [initialize(c.kernelInitializer, inputShape[1], 4 * H, random), initialize(c.recurrentInitializer, H, 4 * H, random)];
    if (c.useBias) {
      const bias = initialize(c.biasInitializer, 1, 4 * H, random);
      if (c.unitForgetBias) bias.fill(1, H, 2 * H);
      weights.push(bias);
    }
    return weights.map((w) => Float32Array.from(w));
  }

  override build(gpu: Gpu, inputShape: readonly number[]): void {
    const [declaredSteps, declaredFeatures] = this.config.inputShape ?? [null, inputShape[1]];
    super.build(gpu, [declaredSteps ?? -1, declaredFeatures]);
    this.checkInputShape(inputShape);
  }

  override get stateUnits(): number {
    return this.units;
  }

  /**
   * A stateful layer starts from its kept state and leaves its final state there (a carried
   * state of truncated BPTT is then not used: the kept one carries across windows and batches).
   */
  encode(encoder: GPUCommandEncoder, run: RunScope, input: Flow, carry?: RecurrentState): Flow {
    const state = this.carriedState(input, carry);
    return this.outputFlow(this.encodeSequence(encoder, run, input, state, state, false));
  }

  /** The forward of training: with dropout / recurrentDropout, the masks of the next step. */
  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow, carry?: RecurrentState): { output: Flow; saved: EncodedSequence } {
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

  /** The state kept by a stateful layer, read back: [h, c], each [batch, units] (undefined before the first call). */
  async getStates(): Promise<[Float32Array, Float32Array] | undefined> {
    const state = this.kept.buffers;
    if (!state) return undefined;
    const gpu = this.requireBuilt();
    const B = this.kept.batchSize!;
    const [h, c] = [emptyTensor(gpu, [B, this.units], 'h'), emptyTensor(gpu, [B, this.units], 'c')];
    gpu.submit(`${this.name}.getStates`, (encoder) => {
      encoder.copyBufferToBuffer(state.h, 0, h.buffer, 0, h.byteLength);
      encoder.copyBufferToBuffer(state.c, 0, c.buffer, 0, c.byteLength);
    });
    try {
      return [await h.data(), await c.data()];
    } finally {
      h.dispose();
      c.dispose();
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
   * BPTT: one transpose of Wh, T fused backward steps, then over all steps at once
   * dWx = Xᵀ·dG, dWh = Hprevᵀ·dG, db = Σ dG and (when needed) dX = dG·Wxᵀ. Everything runs
   * in processing order; with goBackwards the GEMMs that touch X or dX read dG's step t as input
   * step T−1−t. With `inputGrad`, dX is written (or added) there, time-major in the input's step
   * order, and nothing is returned. `finalCellGrad` [B, H]: the gradient of the final c (when
   * that state feeds something else, as an encoder's feeds a decoder); zeros without it.
   */
  encodeBackward(
    encoder: GPUCommandEncoder,
    run: RunScope,
    saved: unknown,
    dOutput: Flow,
    grads: readonly GPUBuffer[],
    needInputGrad: boolean,
    stateGrads?: RecurrentState,
    inputGrad?: InputGradTarget,
    finalCellGrad?: GPUBuffer,
  ): Flow | undefined {
    const gpu = this.requireBuilt();
    const { input, hseq, c: cseq, acts, B, T, draw } = saved as EncodedSequence;
    const backwards = this.config.goBackwards;
    const H = this.units;
    const D = input.shape[2];
    const rows = T * B;
    const [kernel, recurrentKernel, bias] = this.weights;
    const dG = run.scratch(rows * 4 * H * 4, `${this.name}/dG`);
    const whT = run.scratch(4 * H * H * 4, `${this.name}/WhT`);
    const mask = input.mask;
    const recurrentMask = draw?.recurrentMask;
    // With a mask, dc's second half carries dh through masked steps.
    const dc = run.scratch((mask ? 2 : 1) * B * H * 4, `${this.name}/dc`);
    const dX = this.dropoutMasks.inputGradBuffer(run, draw, rows * D * 4, needInputGrad, inputGrad);
    // The recurrent matmul multiplied h[t-1]⊙m: dWh = (Hprev⊙m)ᵀ·dG.
    const hPrev = recurrentMask ? this.dropoutMasks.encodeRecurrent(gpu, encoder, run, hseq, T, B, H, draw!) : hseq;
    // dc starts at the gradient of the final cell state (an encoder's, handed to a decoder), or 0.
    if (finalCellGrad) {
      encoder.copyBufferToBuffer(finalCellGrad, 0, dc, 0, B * H * 4);
      if (mask) encoder.clearBuffer(dc, B * H * 4, B * H * 4);
    } else encoder.clearBuffer(dc);
    const pass = encoder.beginComputePass({ label: `${this.name} backward` });
    encodeTranspose(gpu, pass, run, { x: recurrentKernel.buffer, y: whT, R: H, C: 4 * H });
    encodeLstmStepsBackward(gpu, pass, run, {
      activation: this.config.activation,
      recurrentActivation: this.config.recurrentActivation,
      dG,
      whT,
      dY: dOutput.buffer,
      dySeq: this.config.returnSequences,
      acts: acts!,
      cseq,
      dc,
      T,
      B,
      H,
      mask,
      backwards,
      recurrentMask,
    });
    const xRows = inputRows(input, T, B, backwards);
    encodeGemm(gpu, pass, run, { a: input.buffer, aOffset: input.offset, transA: true, ...xRows, b: dG, y: grads[0], M: D, N: 4 * H, K: rows });
    encodeGemm(gpu, pass, run, { a: hPrev, transA: true, b: dG, y: grads[1], M: H, N: 4 * H, K: rows });
    if (bias) encodeReduceRows(gpu, pass, run, { x: dG, y: grads[2], R: rows, N: 4 * H });
    if (dX.buffer) {
      encodeGemm(gpu, pass, run, {
        a: dG,
        ...inputGradRows(T, B, backwards),
        b: kernel.buffer,
        transB: true,
        y: dX.buffer,
        M: rows,
        N: D,
        K: 4 * H,
        accumulate: dX.accumulate,
      });
    }
    // The initial state's gradients: dh0 = (dG[0]·Whᵀ)⊙m (+ the dh carried through masked
    // first steps), dc0 = dc after step 0.
    if (stateGrads) {
      this.dropoutMasks.encodeInitialStateGrad(gpu, encoder, run, pass, {
        target: stateGrads.h,
        B,
        H,
        draw,
        carried: mask && dc,
        carriedOffset: B * H,
        encodeProduct: (p, y, accumulate) => encodeGemm(gpu, p, run, { a: dG, b: recurrentKernel.buffer, transB: true, y, M: B, N: H, K: 4 * H, accumulate }),
      });
      encoder.copyBufferToBuffer(dc, 0, stateGrads.c, 0, B * H * 4);
    } else pass.end();
    if (!dX.buffer) return undefined;
    const dXInput = this.dropoutMasks.encodeInputGrad(gpu, encoder, run, dX.buffer, [B, T, D], draw, inputGrad);
    if (inputGrad) return undefined;
    return inputGradientFlow(gpu, encoder, run, dXInput, input);
  }

  /**
   * The layer's vector–Jacobian product: given x [batch, steps, features] and dOutput, the
   * gradient of the output (the output's shape: [batch, steps, units] with returnSequences,
   * else [batch, units]), returns the gradients of the weights (Keras order), of x and of the
   * initial state [h0, c0] (zeros when none is given). For custom training loops such as an
   * encoder–decoder, where the decoder's initial state comes from the encoder.
   */
  async gradients(
    x: Tensor,
    dOutput: Tensor,
    options: { initialState?: [Tensor, Tensor]; mask?: Tensor } = {},
  ): Promise<{ weights: Float32Array[]; x: Float32Array; initialState: [Float32Array, Float32Array] }> {
    if (!(x instanceof Tensor) || x.rank !== 3) throw new ShapeError(`${this.name}.gradients expects x of shape [batch, steps, features].`);
    if (!this.built) this.build(x.gpu, x.shape.slice(1));
    const gpu = this.requireBuilt();
    const [B, T, D] = x.shape;
    const H = this.units;
    const outShape = this.config.returnSequences ? [B, T, H] : [B, H];
    if (!(dOutput instanceof Tensor) || formatShape(dOutput.shape) !== formatShape(outShape)) {
      throw new ShapeError(`${this.name}.gradients: dOutput must have the output's shape ${formatShape(outShape)}.`);
    }
    if (options.initialState) checkInitialState(options.initialState, B, H, this.name);
    const state = options.initialState && { h: options.initialState[0].buffer, c: options.initialState[1].buffer };
    const grads = this.weights.map((w) => emptyTensor(gpu, w.shape, 'gradient'));
    const dX = emptyTensor(gpu, [B, T, D], 'dX');
    const dState = { h: emptyTensor(gpu, [B, H], 'dh0'), c: emptyTensor(gpu, [B, H], 'dc0') };
    try {
      await gpu.submit(`${this.name}.gradients`, (encoder, run) => {
        const seq = this.encodeSequence(encoder, run, withMask(flowOf(x), options.mask), state, undefined, true);
        // The backward takes a sequence gradient time-major.
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
          { h: dState.h.buffer, c: dState.c.buffer },
        )!;
        encoder.copyBufferToBuffer(dx.buffer, 0, dX.buffer, 0, dX.byteLength);
      });
      const dxBatchMajor = await dX.data(); // the input was batch-major, and so is its gradient
      return {
        weights: await Promise.all(grads.map((g) => g.data())),
        x: dxBatchMajor,
        initialState: [await dState.h.data(), await dState.c.data()],
      };
    } finally {
      for (const t of [...grads, dX, dState.h, dState.c]) t.dispose();
    }
  }

  override regularizers(): (Regularizer | undefined)[] {
    const c = this.config;
    return [c.kernelRegularizer, c.recurrentRegularizer, ...(c.useBias ? [c.biasRegularizer] : [])];
  }

  /** The layer's output within `seq`: the whole sequence (time-major) or the last h. */
  private outputFlow({ hseq, B, T, input }: EncodedSequence): Flow {
    const H = this.units;
    return this.config.returnSequences
      ? { buffer: hseq, offset: B * H, shape: [B, T, H], timeMajor: true, mask: input.mask }
      : { buffer: hseq, offset: T * B * H, shape: [B, H], timeMajor: false };
  }

  /**
   * Runs the layer on `x` [batch, steps, features] in one submit. Returns the output, or with
   * `returnState` [output, h, c]. `initialState` is [h0, c0], each [batch, units]; a stateful
   * layer starts from its kept state without it, and keeps its final state.
   */
  apply(x: Tensor, options: { initialState?: [Tensor, Tensor]; mask?: Tensor } = {}): Tensor | Tensor[] {
    if (!(x instanceof Tensor)) throw new ShapeError(`${this.name}.apply takes a Tensor: make one with tensor(gpu, data, shape).`);
    x.assertUsable('The input tensor');
    if (x.rank !== 3) throw new ShapeError(`${this.name} expects input of shape [batch, steps, features], got ${formatShape(x.shape)}.`);
    if (!this.built) this.build(x.gpu, x.shape.slice(1));
    const gpu = this.requireBuilt();
    if (options.initialState) checkInitialState(options.initialState, x.shape[0], this.units, this.name);
    const state = options.initialState && { h: options.initialState[0].buffer, c: options.initialState[1].buffer };
    const outputs: Tensor[] = [];
    const done = gpu.submit(`${this.name} forward ${formatShape(x.shape)}`, (encoder, run) => {
      const kept = this.config.stateful ? this.kept.forBatch(gpu, x.shape[0]) : undefined;
      const seq = this.encodeSequence(encoder, run, withMask(flowOf(x), options.mask), state ?? kept, kept);
      outputs.push(materialize(gpu, encoder, run, this.outputFlow(seq)));
      if (this.config.returnState) {
        const H = this.units;
        outputs.push(materialize(gpu, encoder, run, { buffer: seq.hseq, offset: seq.T * seq.B * H, shape: [seq.B, H], timeMajor: false }));
        outputs.push(materialize(gpu, encoder, run, { buffer: seq.c, offset: 0, shape: [seq.B, H], timeMajor: false }));
      }
    });
    for (const t of outputs) t.ready = done;
    return this.config.returnState ? outputs : outputs[0];
  }

  /**
   * Encodes the input projection and the T steps, in processing order (with goBackwards the
   * projection's row t reads input step T−1−t). The state starts from `stateIn` (zeros without
   * it); the final h and c are copied to `stateOut` when given.
   */
  private encodeSequence(
    encoder: GPUCommandEncoder,
    run: RunScope,
    input: Flow,
    stateIn?: RecurrentState,
    stateOut?: RecurrentState,
    keep = false,
    draw?: DropoutDraw,
  ): EncodedSequence {
    const gpu = this.requireBuilt();
    if (input.shape.length !== 3) {
      throw new ShapeError(`${this.name} expects input of shape [batch, steps, features], got ${formatShape(input.shape)}.`);
    }
    const [B, T, D] = input.shape;
    // A chunk of a longer sequence (truncated BPTT carries the state in) may have fewer steps.
    this.checkInputShape([stateIn && stateOut ? this.inputShape![0] : T, D]);
    const H = this.units;
    const stateBytes = B * H * 4;
    gpu.checkBindingSize(T * B * 4 * H * 4, `${this.name}: the gate buffer [steps=${T}, batch=${B}, 4·units=${4 * H}]`);
    gpu.checkBindingSize((T + 1) * stateBytes, `${this.name}: the hidden-state sequence [steps+1=${T + 1}, batch=${B}, units=${H}]`);

    const g = run.scratch(T * B * 4 * H * 4, `${this.name}/gates`);
    const hseq = run.scratch((T + 1) * stateBytes, `${this.name}/hseq`);
    const c = run.scratch((keep ? T + 1 : 1) * stateBytes, `${this.name}/c`);
    const acts = keep ? run.scratch(T * B * 4 * H * 4, `${this.name}/acts`) : undefined;
    if (stateIn) {
      encoder.copyBufferToBuffer(stateIn.h, 0, hseq, 0, stateBytes);
      encoder.copyBufferToBuffer(stateIn.c, 0, c, 0, stateBytes);
    } else {
      encoder.clearBuffer(hseq, 0, stateBytes);
      encoder.clearBuffer(c, 0, stateBytes);
    }
    const [kernel, recurrentKernel, bias] = this.weights;
    const pass = encoder.beginComputePass({ label: this.name });
    encodeGemm(gpu, pass, run, {
      a: input.buffer,
      aOffset: input.offset,
      b: kernel.buffer,
      bias: bias?.buffer,
      y: g,
      M: T * B,
      N: 4 * H,
      K: D,
      ...inputRows(input, T, B, this.config.goBackwards),
    });
    encodeLstmStepsForward(gpu, pass, run, {
      g,
      wh: recurrentKernel.buffer,
      hseq,
      cseq: c,
      acts,
      T,
      B,
      H,
      activation: this.config.activation,
      recurrentActivation: this.config.recurrentActivation,
      keep,
      mask: input.mask,
      backwards: this.config.goBackwards,
      recurrentMask: draw?.recurrentMask,
    });
    pass.end();
    if (stateOut) {
      encoder.copyBufferToBuffer(hseq, T * stateBytes, stateOut.h, 0, stateBytes);
      encoder.copyBufferToBuffer(c, keep ? T * stateBytes : 0, stateOut.c, 0, stateBytes);
    }
    return { input, hseq, c, acts, B, T, draw };
  }
}

function checkInitialState(state: [Tensor, Tensor], B: number, H: number, owner: string): void {
  if (!Array.isArray(state) || state.length !== 2) {
    throw new ShapeError(`${owner}: initialState is [h0, c0], two tensors of shape [${B}, ${H}].`);
  }
  state.forEach((s, i) => {
    if (!(s instanceof Tensor)) throw new ShapeError(`${owner}: initialState[${i}] must be a Tensor of shape [${B}, ${H}].`);
    s.assertUsable(`${owner}: initialState[${i}]`);
    if (s.rank !== 2 || s.shape[0] !== B || s.shape[1] !== H) {
      throw new ShapeError(`${owner}: initialState[${i}] must have shape [${B}, ${H}] ([batch, units]), got ${formatShape(s.shape)}.`);
    }
  });
}
