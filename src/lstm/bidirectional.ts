// Bidirectional (Keras): a forward copy and a goBackwards copy of a recurrent layer, built from
// its configuration, run on the same input in the same command buffer; the backward
// direction's output sequence is put back in the input's step order as the two are merged
// (one dispatch). Weights in Keras order: the forward layer's, then the backward layer's.
import { encodeBidirectionalMerge, encodeBidirectionalMergeBackward, type MergeKernelMode } from '../kernels/bidirectionalMerge.js';
import type { Gpu, RunScope } from '../runtime/device.js';
import { formatShape, RnnError } from '../spec/errors.js';
import { checkOptions, type OptionSchema } from '../spec/options.js';
import { emptyTensor, type Tensor } from '../runtime/tensor.js';
import { Gru } from './gru.js';
import { flowOf, inputGradientFlow, Layer, materialize, withMask, type Flow, type Regularizer } from '../layers/layer.js';
import { Lstm } from './lstm.js';
import { SimpleRnn } from './simpleRnn.js';
import { checkApplyInput, checkGradientInput, checkOutputGradient, timeMajorGradient } from './layerCalls.js';

/** How the two directions' outputs combine (Keras); null keeps both (apply() only). */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;
export const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave', null];

/** The layers a Bidirectional wraps. */
export type WrappableLayer = Lstm | Gru | SimpleRnn;

export interface BidirectionalConfig {
  /** The recurrent layer to run both ways; its configuration is copied, its weights are not. */
  layer: WrappableLayer;
  /** 'concat' (default: [forward, backward] on the last axis), 'sum', 'mul', 'ave', or null. */
  mergeMode?: MergeMode;
  /** [steps, features] of the input when this is the first layer (the wrapped layer's by default). */
  inputShape?: readonly [number | null, number];
  name?: string;
}

const BIDIRECTIONAL_OPTIONS: OptionSchema<BidirectionalConfig> = { layer: 'any', mergeMode: 'any', inputShape: 'shape', name: 'string' };

/** What the training forward keeps. */
interface BidirectionalSaved {
  input: Flow;
  forward: unknown;
  backward: unknown;
  forwardOut: Flow;
  backwardOut: Flow;
}

let bidirectionalCounter = 0;

/**
 * A new layer of `layer`'s class and configuration with `overrides`: the way Keras's
 * Bidirectional recreates the wrapped layer for each direction.
 */
function recreate(layer: WrappableLayer, overrides: { name: string; goBackwards: boolean; seed: number | undefined }): WrappableLayer {
  if (layer instanceof Lstm) return new Lstm({ ...layer.config, ...overrides });
  if (layer instanceof Gru) return new Gru({ ...layer.config, ...overrides });
  return new SimpleRnn({ ...layer.config, ...overrides });
}

export class Bidirectional extends Layer {
  readonly config: { mergeMode: MergeMode; inputShape?: readonly [number | null, number]; name: string };
  /** The wrapped layer's configuration, as given (saved with the model). */
  readonly template: WrappableLayer;
  /** Runs over the input in its order; named forward_<layer>. */
  readonly forwardLayer: WrappableLayer;
  /** Runs over the input backwards (goBackwards flipped); named backward_<layer>. */
  readonly backwardLayer: WrappableLayer;

  constructor(config: BidirectionalConfig) {
    checkOptions('bidirectional', config, BIDIRECTIONAL_OPTIONS);
    const inner = config?.layer;
    if (!(inner instanceof Lstm || inner instanceof Gru || inner instanceof SimpleRnn)) {
      const given = inner as unknown;
      const what = given instanceof Layer ? `${given.name} (${given.constructor.name})` : String(given);
      throw new RnnError(`bidirectional wraps a recurrent layer (lstm, gru or simpleRNN); got ${what}.`);
    }
    const mergeMode = config.mergeMode === undefined ? 'concat' : config.mergeMode;
    if (!MERGE_MODES.includes(mergeMode)) {
      throw new RnnError(`bidirectional: mergeMode ${JSON.stringify(mergeMode)} is not one of 'concat', 'sum', 'mul', 'ave' or null.`);
    }
    if (inner.config.returnState) {
      throw new RnnError(`bidirectional: the wrapped layer ${inner.name} has returnState, which a Bidirectional layer does not support yet; leave it false.`);
    }
    const name = config.name ?? `bidirectional_${++bidirectionalCounter}`;
    super(name);
    this.template = inner;
    this.config = { mergeMode, inputShape: config.inputShape ?? inner.config.inputShape, name };
    const { seed, goBackwards } = inner.config;
    this.forwardLayer = recreate(inner, { name: `forward_${inner.name}`, goBackwards, seed });
    // Another seed for the other direction: seeded layers do not start with equal directions.
    this.backwardLayer = recreate(inner, { name: `backward_${inner.name}`, goBackwards: !goBackwards, seed: seed === undefined ? undefined : seed + 1 });
  }

  get units(): number {
    return this.forwardLayer.units;
  }

  get returnSequences(): boolean {
    return this.forwardLayer.config.returnSequences;
  }

  /** Features of the merged output: 2·units for 'concat', units otherwise. */
  get outputUnits(): number {
    return this.config.mergeMode === 'concat' ? 2 * this.units : this.units;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    if (this.config.mergeMode === null) {
      throw new RnnError(
        `${this.name} has mergeMode null, so it gives two outputs [forward, backward]; a Sequential model passes one tensor between layers. Use mergeMode 'concat', 'sum', 'mul' or 'ave', or call layer.apply(x).`,
      );
    }
    const inner = this.forwardLayer.computeOutputShape(inputShape);
    return [...inner.slice(0, -1), this.outputUnits];
  }

  weightShapes(inputShape: readonly number[]): number[][] {
    return [...this.forwardLayer.weightShapes(inputShape), ...this.backwardLayer.weightShapes(inputShape)];
  }

  protected initialWeights(): Float32Array[] {
    throw new RnnError(`${this.name} has no weights of its own: they are ${this.forwardLayer.name}'s and ${this.backwardLayer.name}'s.`);
  }

  override build(gpu: Gpu, inputShape: readonly number[]): void {
    if (this.gpu) {
      super.build(gpu, inputShape); // checks the device and the shape
      return;
    }
    const shape = this.config.inputShape ? [this.config.inputShape[0] ?? -1, this.config.inputShape[1]] : inputShape;
    this.forwardLayer.build(gpu, shape);
    this.backwardLayer.build(gpu, shape);
    this.forwardLayer.checkInputShape(inputShape);
    this.gpu = gpu;
    // A declared [steps, features] stays the wrapper's (its output shape keeps the steps, as Keras's summary).
    this.inputShape = this.config.inputShape ? [...shape] : this.forwardLayer.inputShape;
    // The same tensors: getWeights / setWeights of the wrapper and of each direction agree.
    this.weights = [...this.forwardLayer.weightTensors, ...this.backwardLayer.weightTensors];
  }

  override checkInputShape(inputShape: readonly number[]): void {
    this.forwardLayer.checkInputShape(inputShape);
  }

  override regularizers(): (Regularizer | undefined)[] {
    return [...this.forwardLayer.regularizers(), ...this.backwardLayer.regularizers()];
  }

  /** Whether the directions keep their states between calls (the wrapped layer's `stateful`). */
  get stateful(): boolean {
    return this.forwardLayer.stateful;
  }

  /** Zeros both directions' kept states (stateful); a no-op otherwise. */
  resetStates(): void {
    this.forwardLayer.resetStates();
    this.backwardLayer.resetStates();
  }

  /**
   * Both directions on `input`, then the merge; the directions' states are their own (stateful)
   * or zeros. With a mask, each direction skips the masked steps, and a sequence output is
   * zeros there (Keras's Bidirectional) and passes the mask on.
   */
  encode(encoder: GPUCommandEncoder, run: RunScope, input: Flow): Flow {
    this.requireMerge();
    const forwardOut = this.forwardLayer.encode(encoder, run, input);
    const backwardOut = this.backwardLayer.encode(encoder, run, input);
    return this.encodeMerge(encoder, run, forwardOut, backwardOut, this.config.mergeMode!, input.mask);
  }

  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow): { output: Flow; saved: BidirectionalSaved } {
    this.requireMerge();
    const f = this.forwardLayer.encodeTrain(encoder, run, input);
    const b = this.backwardLayer.encodeTrain(encoder, run, input);
    const output = this.encodeMerge(encoder, run, f.output, b.output, this.config.mergeMode!, input.mask);
    return { output, saved: { input, forward: f.saved, backward: b.saved, forwardOut: f.output, backwardOut: b.output } };
  }

  /**
   * The merge's backward (one dispatch: dF and dR, the latter in the backward direction's
   * processing order), then each direction's BPTT; both write their dX into one buffer (the
   * second GEMM adds to the first's), turned into the input's layout once.
   */
  encodeBackward(
    encoder: GPUCommandEncoder,
    run: RunScope,
    saved: unknown,
    dOutput: Flow,
    grads: readonly GPUBuffer[],
    needInputGrad: boolean,
  ): Flow | undefined {
    const gpu = this.requireBuilt();
    const s = saved as BidirectionalSaved;
    const [B, T, D] = s.input.shape;
    const H = this.units;
    const steps = this.returnSequences ? T : 1;
    const dF = run.scratch(steps * B * H * 4, `${this.name}/dForward`);
    const dR = run.scratch(steps * B * H * 4, `${this.name}/dBackward`);
    const pass = encoder.beginComputePass({ label: `${this.name} merge backward` });
    encodeBidirectionalMergeBackward(gpu, pass, run, {
      mode: this.config.mergeMode!,
      reverse: this.returnSequences,
      dY: { buffer: dOutput.buffer, offset: dOutput.offset },
      f: { buffer: s.forwardOut.buffer, offset: s.forwardOut.offset },
      r: { buffer: s.backwardOut.buffer, offset: s.backwardOut.offset },
      dF,
      dR,
      T: steps,
      B,
      H,
      mask: this.returnSequences ? s.input.mask : undefined,
    });
    pass.end();
    const dX = needInputGrad ? run.scratch(T * B * D * 4, `${this.name}/dX`) : undefined;
    const count = this.forwardLayer.weightTensors.length;
    const dFlow = (buffer: GPUBuffer, like: Flow): Flow => ({ buffer, offset: 0, shape: like.shape, timeMajor: like.timeMajor });
    this.forwardLayer.encodeBackward(
      encoder,
      run,
      s.forward,
      dFlow(dF, s.forwardOut),
      grads.slice(0, count),
      false,
      undefined,
      dX && { buffer: dX, accumulate: false },
    );
    this.backwardLayer.encodeBackward(
      encoder,
      run,
      s.backward,
      dFlow(dR, s.backwardOut),
      grads.slice(count),
      false,
      undefined,
      dX && { buffer: dX, accumulate: true },
    );
    return dX && inputGradientFlow(gpu, encoder, run, dX, s.input);
  }

  /**
   * Runs the layer on `x` [batch, steps, features] in one submit. Returns the merged output, or
   * with mergeMode null [forward output, backward output] (the backward sequence in the input's
   * step order, as Keras).
   */
  apply(x: Tensor, options: { mask?: Tensor } = {}): Tensor | Tensor[] {
    checkApplyInput(x, this.name);
    if (!this.built) this.build(x.gpu, x.shape.slice(1));
    const gpu = this.requireBuilt();
    const outputs: Tensor[] = [];
    const done = gpu.submit(`${this.name} forward ${formatShape(x.shape)}`, (encoder, run) => {
      const input = withMask(flowOf(x), options.mask);
      const forwardOut = this.forwardLayer.encode(encoder, run, input);
      const backwardOut = this.backwardLayer.encode(encoder, run, input);
      if (this.config.mergeMode === null) {
        // Each direction alone, zeros at masked steps as in the merged form.
        const zeroed = input.mask && this.returnSequences ? this.encodeMerge(encoder, run, backwardOut, forwardOut, 'backward', input.mask, false) : forwardOut;
        outputs.push(materialize(gpu, encoder, run, zeroed));
        outputs.push(materialize(gpu, encoder, run, this.encodeMerge(encoder, run, forwardOut, backwardOut, 'backward', input.mask)));
      } else {
        outputs.push(materialize(gpu, encoder, run, this.encodeMerge(encoder, run, forwardOut, backwardOut, this.config.mergeMode, input.mask)));
      }
    });
    for (const t of outputs) t.ready = done;
    return this.config.mergeMode === null ? outputs : outputs[0];
  }

  /**
   * The layer's vector–Jacobian product: given x [batch, steps, features] and dOutput, the
   * gradient of the merged output (its shape), returns the gradients of the weights (Keras
   * order: forward's, then backward's) and of x. Stateful directions start from zeros here.
   */
  async gradients(x: Tensor, dOutput: Tensor, options: { mask?: Tensor } = {}): Promise<{ weights: Float32Array[]; x: Float32Array }> {
    checkGradientInput(x, this.name);
    this.requireMerge();
    if (this.stateful) throw new RnnError(`${this.name}.gradients: the directions are stateful; use a model's gradients, or a layer without stateful.`);
    if (!this.built) this.build(x.gpu, x.shape.slice(1));
    const gpu = this.requireBuilt();
    const [B, T, D] = x.shape;
    const W = this.outputUnits;
    checkOutputGradient(dOutput, this.returnSequences ? [B, T, W] : [B, W], this.name);
    const grads = this.weights.map((w) => emptyTensor(gpu, w.shape, 'gradient'));
    const dX = emptyTensor(gpu, [B, T, D], 'dX');
    try {
      await gpu.submit(`${this.name}.gradients`, (encoder, run) => {
        const { saved } = this.encodeTrain(encoder, run, withMask(flowOf(x), options.mask));
        const dx = this.encodeBackward(
          encoder,
          run,
          saved,
          timeMajorGradient(gpu, encoder, run, dOutput),
          grads.map((g) => g.buffer),
          true,
        )!;
        encoder.copyBufferToBuffer(dx.buffer, dx.offset * 4, dX.buffer, 0, dX.byteLength);
      });
      return { weights: await Promise.all(grads.map((g) => g.data())), x: await dX.data() };
    } finally {
      for (const t of [...grads, dX]) t.dispose();
    }
  }

  override dispose(): void {
    this.forwardLayer.dispose();
    this.backwardLayer.dispose();
    this.weights = [];
    this.gpu = undefined;
  }

  /**
   * Merges the directions' outputs into a new flow: time-major [T, B, W] (zeros at the steps
   * `mask` masks, which it carries on), or [B, W]. `reverse` false: r is in the input's step
   * order (to copy the forward direction with 'backward').
   */
  private encodeMerge(encoder: GPUCommandEncoder, run: RunScope, f: Flow, r: Flow, mode: MergeKernelMode, mask?: GPUBuffer, reverse = true): Flow {
    const gpu = this.requireBuilt();
    const H = this.units;
    const sequence = f.shape.length === 3;
    const [B, T] = f.shape;
    const steps = sequence ? T : 1;
    const W = mode === 'concat' ? 2 * H : H;
    const y = run.scratch(steps * B * W * 4, `${this.name}/merged`);
    const pass = encoder.beginComputePass({ label: `${this.name} merge` });
    const seqMask = sequence ? mask : undefined;
    encodeBidirectionalMerge(gpu, pass, run, {
      mode,
      reverse: sequence && reverse,
      f: { buffer: f.buffer, offset: f.offset },
      r: { buffer: r.buffer, offset: r.offset },
      y,
      T: steps,
      B,
      H,
      mask: seqMask,
    });
    pass.end();
    return sequence ? { buffer: y, offset: 0, shape: [B, T, W], timeMajor: true, mask: seqMask } : { buffer: y, offset: 0, shape: [B, W], timeMajor: false };
  }

  private requireMerge(): void {
    if (this.config.mergeMode === null) {
      throw new RnnError(
        `${this.name} has mergeMode null: it gives two outputs, which only layer.apply(x) returns. Use mergeMode 'concat', 'sum', 'mul' or 'ave' in a model.`,
      );
    }
  }
}
