// The encoder–decoder (sequence-to-sequence) core as ONE layer, so that the Sequential model,
// its Trainer and save / load drive it unchanged: its input is a sample's source and target
// inputs side by side, flat ([sourceSize + targetSize] values: token ids, or steps·features),
// and its output is the decoder's output sequence [targetSteps, features], on which a head
// (e.g. a softmax Dense) follows as the next layer.
//
//   flow [B, Ls + Lt] ──split──► source [B, …sourceShape] ─► encoder layers ─► final (h, c)
//                          └───► target [B, …targetShape] ─► decoder layers ─► [B, Tt, F]
//                                                              ▲ first recurrent layer starts from (h, c)
//
// The final state of the encoder's last (recurrent) layer is the initial state of the decoder's
// first recurrent layer; backward, the gradient of that initial state is the gradient of the
// encoder's final state. Forward and backward are encoded into the caller's command buffer.
import { encodeGatherRows } from '../kernels/gatherRows.js';
import type { Gpu, RunScope } from '../runtime/device.js';
import { formatShape, RnnError, ShapeError } from '../spec/errors.js';
import type { Tensor } from '../runtime/tensor.js';
import { Bidirectional } from '../lstm/bidirectional.js';
import { Dense } from '../layers/dense.js';
import { Dropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { Layer, type Flow, type RecurrentState, type Regularizer } from '../layers/layer.js';
import { Lstm } from '../lstm/lstm.js';
import { Masking } from '../layers/masking.js';
import { RecurrentLayer } from '../lstm/recurrent.js';
import { checkStack, declaredShape, describe, gcd, sliceGrads } from './encoderDecoderStack.js';
import { contiguous } from './trainingData.js';
import { TimeDistributed } from '../layers/timeDistributed.js';

/** A layer that carries a state: LSTM (h and c), GRU and SimpleRNN (h). */
export type StateLayer = Lstm | RecurrentLayer;

export function isStateLayer(layer: Layer): layer is StateLayer {
  return layer instanceof Lstm || layer instanceof RecurrentLayer;
}

export interface EncoderDecoderLayerConfig {
  /** Runs over the source; its last layer is an LSTM, GRU or SimpleRNN without returnSequences. */
  encoder: Layer[];
  /** Runs over the target input (teacher forcing); its first recurrent layer starts from the encoder's final state. */
  decoder: Layer[];
  name?: string;
}

/** What the training forward keeps for the backward. */
interface EncoderDecoderSaved {
  source: unknown[];
  target: unknown[];
  B: number;
}

/** Layers a decoder may hold: each acts on every step by itself, or carries its state forward in time. */
const STEPWISE = [Embedding, Masking, Dropout, Dense, TimeDistributed, Lstm, RecurrentLayer];

let encoderDecoderCounter = 0;

export class EncoderDecoderLayer extends Layer {
  readonly encoder: readonly Layer[];
  readonly decoder: readonly Layer[];
  /** inputShape: [sourceSize + targetSize], the flat per-sample input. */
  readonly config: { name: string; inputShape: [number] };
  /** A source sample without the batch dimension: [steps] token ids or [steps, features]. */
  readonly sourceShape: readonly number[];
  /** A target input sample without the batch dimension: [steps] token ids or [steps, features]. */
  readonly targetShape: readonly number[];
  /** The encoder's last layer, whose final state seeds the decoder. */
  readonly encoderState: StateLayer;
  /** Index in `decoder` of the first recurrent layer, which starts from the encoder's state. */
  readonly decoderStateIndex: number;

  constructor(config: EncoderDecoderLayerConfig) {
    const name = config?.name ?? `encoder_decoder_${++encoderDecoderCounter}`;
    super(name);
    const encoder = checkStack(config?.encoder, 'encoder');
    const decoder = checkStack(config?.decoder, 'decoder');
    for (const [side, stack] of [
      ['encoder', encoder],
      ['decoder', decoder],
    ] as const) {
      if (stack.some((l) => l instanceof EncoderDecoderLayer)) throw new RnnError(`encoderDecoder: the ${side} cannot hold another encoder–decoder.`);
    }
    this.sourceShape = declaredShape(encoder[0], 'encoder');
    this.targetShape = declaredShape(decoder[0], 'decoder');
    const last = encoder[encoder.length - 1];
    if (!isStateLayer(last)) {
      throw new RnnError(
        `encoderDecoder: the encoder must end with an LSTM, GRU or SimpleRNN layer (its final state seeds the decoder); it ends with ${describe(last)}.`,
      );
    }
    if (last.config.returnSequences) {
      throw new RnnError(`encoderDecoder: the encoder's last layer ${last.name} has returnSequences; leave it false (only its final state is used).`);
    }
    for (const layer of decoder) {
      if (!STEPWISE.some((type) => layer instanceof type)) {
        throw new RnnError(
          `encoderDecoder: the decoder holds ${describe(layer)}; a decoder runs step by step (greedy decoding), so it takes Embedding, Masking, Dropout, LSTM, GRU, SimpleRNN, Dense and TimeDistributed layers only.`,
        );
      }
      if (isStateLayer(layer) && !layer.config.returnSequences) {
        throw new RnnError(`encoderDecoder: the decoder's ${layer.name} needs returnSequences: true (the head reads every step of the decoder).`);
      }
    }
    for (const layer of [...encoder, ...decoder]) {
      if (isStateLayer(layer) && layer.config.stateful)
        throw new RnnError(`encoderDecoder: ${layer.name} is stateful; an encoder–decoder starts every sequence from the encoder's state.`);
      if (isStateLayer(layer) && layer.config.goBackwards && (layer === last || decoder.includes(layer))) {
        throw new RnnError(
          `encoderDecoder: ${layer.name} has goBackwards; the encoder's last layer and the decoder's layers run forward in time (reverse the source sequences in the data instead).`,
        );
      }
      if (layer instanceof Bidirectional && layer.stateful) throw new RnnError(`encoderDecoder: ${layer.name} is stateful.`);
    }
    const first = decoder.findIndex(isStateLayer);
    if (first < 0) throw new RnnError("encoderDecoder: the decoder needs a recurrent layer (LSTM, GRU or SimpleRNN) to start from the encoder's state.");
    const receiver = decoder[first] as StateLayer;
    if (receiver instanceof Lstm !== last instanceof Lstm) {
      throw new RnnError(
        `encoderDecoder: the encoder's ${describe(last)} and the decoder's ${describe(receiver)} carry different states; use LSTM for both, or GRU / SimpleRNN for both.`,
      );
    }
    if (receiver.units !== last.units) {
      throw new RnnError(
        `encoderDecoder: the encoder's ${last.name} has ${last.units} units but the decoder's ${receiver.name} has ${receiver.units}; its initial state is the encoder's final state, so they must be equal.`,
      );
    }
    const names = new Set<string>();
    for (const layer of [...encoder, ...decoder]) {
      if (names.has(layer.name)) throw new RnnError(`encoderDecoder: two layers are named '${layer.name}'; give each layer its own name.`);
      names.add(layer.name);
    }
    this.encoder = encoder;
    this.decoder = decoder;
    this.encoderState = last;
    this.decoderStateIndex = first;
    this.config = { name, inputShape: [this.sourceSize + this.targetSize] };
    // The decoder's output must be a sequence: computed now, so that a wrong stack fails here.
    const out = this.computeOutputShape(this.config.inputShape);
    if (out.length !== 2)
      throw new RnnError(`encoderDecoder: the decoder's output has shape [batch, ${out.join(', ')}]; it must be a sequence [batch, steps, features].`);
  }

  /** Values a source sample holds: steps, or steps·features. */
  get sourceSize(): number {
    return this.sourceShape.reduce((a, b) => a * b, 1);
  }

  /** Values a target input sample holds: steps, or steps·features. */
  get targetSize(): number {
    return this.targetShape.reduce((a, b) => a * b, 1);
  }

  /** Every sub-layer: the encoder's, then the decoder's. */
  get sublayers(): Layer[] {
    return [...this.encoder, ...this.decoder];
  }

  /** The decoder's recurrent layers, in order; the first starts from the encoder's state. */
  get decoderStateLayers(): StateLayer[] {
    return this.decoder.filter(isStateLayer);
  }

  /** [sourceSize + targetSize] → the decoder's output [targetSteps, features]. */
  computeOutputShape(inputShape: readonly number[]): number[] {
    this.checkInputShape(inputShape);
    return this.decoder.reduce<number[]>((shape, l) => l.computeOutputShape(shape), [...this.targetShape]);
  }

  weightShapes(inputShape: readonly number[]): number[][] {
    this.checkInputShape(inputShape);
    const shapes = (stack: readonly Layer[], input: readonly number[]) => {
      let shape = [...input];
      return stack.flatMap((l) => {
        const own = l.weightShapes(shape);
        shape = l.computeOutputShape(shape);
        return own;
      });
    };
    return [...shapes(this.encoder, this.sourceShape), ...shapes(this.decoder, this.targetShape)];
  }

  protected initialWeights(): Float32Array[] {
    throw new RnnError(`${this.name} has no weights of its own: they are its encoder's and decoder's layers'.`);
  }

  override build(gpu: Gpu, inputShape: readonly number[]): void {
    if (this.gpu) {
      super.build(gpu, inputShape); // checks the device and the shape
      return;
    }
    this.checkInputShape(inputShape);
    for (const [stack, input] of [
      [this.encoder, this.sourceShape],
      [this.decoder, this.targetShape],
    ] as const) {
      let shape = [...input];
      for (const layer of stack) {
        layer.build(gpu, shape);
        shape = layer.computeOutputShape(shape);
      }
    }
    this.gpu = gpu;
    this.inputShape = [...this.config.inputShape];
    // The same tensors: getWeights / setWeights of the composite and of each sub-layer agree.
    this.weights = this.sublayers.flatMap((l) => [...l.weightTensors]);
  }

  override checkInputShape(inputShape: readonly number[]): void {
    const size = this.sourceSize + this.targetSize;
    if (inputShape.length !== 1 || inputShape[0] !== size) {
      throw new ShapeError(
        `${this.name} takes each sample's source [${this.sourceShape.join(', ')}] and target input [${this.targetShape.join(', ')}] side by side, flat: [batch, ${size}]; got [batch, ${inputShape.join(', ')}].`,
      );
    }
  }

  override regularizers(): (Regularizer | undefined)[] {
    return this.sublayers.flatMap((l) => l.regularizers());
  }

  override get weightTensors(): readonly Tensor[] {
    return this.weights;
  }

  encode(encoder: GPUCommandEncoder, run: RunScope, input: Flow): Flow {
    const { source, target } = this.split(encoder, run, input);
    return this.encodeSides(encoder, run, source, target, false).output;
  }

  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow): { output: Flow; saved: EncoderDecoderSaved } {
    const { source, target } = this.split(encoder, run, input);
    return this.encodeSides(encoder, run, source, target, true);
  }

  /**
   * The forward on the two inputs, source [B, …sourceShape] and target [B, …targetShape]
   * (flows of the same batch); with `train`, the training forward of every sub-layer.
   */
  encodeSides(encoder: GPUCommandEncoder, run: RunScope, source: Flow, target: Flow, train: boolean): { output: Flow; saved: EncoderDecoderSaved } {
    const gpu = this.requireBuilt();
    const B = source.shape[0];
    this.checkSide(source, this.sourceShape, 'source');
    this.checkSide(target, this.targetShape, 'target input');
    if (target.shape[0] !== B)
      throw new ShapeError(`${this.name}: the source has ${B} samples but the target input has ${target.shape[0]}: give one target input per source.`);
    gpu.checkBindingSize(B * this.encoderState.units * 4, `${this.name}: the encoder's state [batch=${B}, units=${this.encoderState.units}]`);
    const state = this.stateBuffers(run, B);
    encoder.clearBuffer(state.h);
    if (state.c !== state.h) encoder.clearBuffer(state.c);
    const run1 = (stack: readonly Layer[], input: Flow, carryAt: number) => {
      const saved: unknown[] = [];
      let flow = input;
      stack.forEach((layer, i) => {
        const carry = i === carryAt ? state : undefined;
        if (train) {
          const step = layer.encodeTrain(encoder, run, flow, carry);
          saved.push(step.saved);
          flow = step.output;
        } else flow = layer.encode(encoder, run, flow, carry);
      });
      return { saved, flow };
    };
    // The encoder's last layer leaves its final state in `state`, where the decoder's first
    // recurrent layer starts from (and leaves its own final state, unused).
    const sourceRun = run1(this.encoder, source, this.encoder.length - 1);
    const targetRun = run1(this.decoder, target, this.decoderStateIndex);
    return { output: targetRun.flow, saved: { source: sourceRun.saved, target: targetRun.saved, B } };
  }

  /**
   * The encoder's forward on `source`, leaving its final state in `state` (buffers [B, units]
   * of the caller's, alive across submits): the start of greedy decoding.
   */
  encodeSource(encoder: GPUCommandEncoder, run: RunScope, source: Flow, state: RecurrentState): void {
    this.requireBuilt();
    this.checkSide(source, this.sourceShape, 'source');
    encoder.clearBuffer(state.h);
    if (state.c !== state.h) encoder.clearBuffer(state.c);
    let flow = source;
    this.encoder.forEach((layer, i) => {
      flow = layer.encode(encoder, run, flow, i === this.encoder.length - 1 ? state : undefined);
    });
  }

  /**
   * The decoder's forward on a few target steps `target` [B, steps(, features)], each
   * recurrent layer k starting from `states[k]` and leaving its final state there (k = 0: the
   * encoder's state at first): one step of greedy decoding.
   */
  encodeTargetSteps(encoder: GPUCommandEncoder, run: RunScope, target: Flow, states: readonly RecurrentState[]): Flow {
    this.requireBuilt();
    let k = 0;
    let flow = target;
    for (const layer of this.decoder) flow = layer.encode(encoder, run, flow, isStateLayer(layer) ? states[k++] : undefined);
    return flow;
  }

  /**
   * The decoder's backward with the gradient of its first recurrent layer's initial state,
   * which is the gradient of the encoder's final state; then the encoder's backward from it.
   * The composite takes the model's input: it has no input gradient to give.
   */
  encodeBackward(
    encoder: GPUCommandEncoder,
    run: RunScope,
    saved: unknown,
    dOutput: Flow & { preActivation?: boolean },
    grads: readonly GPUBuffer[],
    needInputGrad: boolean,
  ): Flow | undefined {
    this.requireBuilt();
    if (needInputGrad) throw new RnnError(`${this.name} takes the model's input (token ids or features): it must be the model's first layer.`);
    const { source, target, B } = saved as EncoderDecoderSaved;
    const H = this.encoderState.units;
    const cell = this.encoderState instanceof Lstm;
    const dh = run.scratch(B * H * 4, `${this.name}/d state h`);
    const dState: RecurrentState = { h: dh, c: cell ? run.scratch(B * H * 4, `${this.name}/d state c`) : dh };
    // grads holds the encoder's weights' gradients, then the decoder's.
    const slices = sliceGrads(this.sublayers, grads);
    const encoderGrads = slices.slice(0, this.encoder.length);
    const decoderGrads = slices.slice(this.encoder.length);

    let d: Flow | undefined = dOutput;
    for (let j = this.decoder.length - 1; j >= 0; j--) {
      const layer = this.decoder[j];
      if (j !== this.decoderStateIndex) d = layer.encodeBackward(encoder, run, target[j], d!, decoderGrads[j], j > 0);
      else if (layer instanceof Lstm) d = layer.encodeBackward(encoder, run, target[j], d!, decoderGrads[j], j > 0, dState);
      else d = (layer as RecurrentLayer).encodeBackward(encoder, run, target[j], d!, decoderGrads[j], j > 0, { h: dState.h });
    }

    // The encoder's last layer: dh_T is its output's gradient; an LSTM's dc starts at dc_T.
    const last = this.encoder.length - 1;
    const dFinal: Flow = { buffer: dState.h, offset: 0, shape: [B, H], timeMajor: false };
    if (this.encoderState instanceof Lstm) {
      d = this.encoderState.encodeBackward(encoder, run, source[last], dFinal, encoderGrads[last], last > 0, undefined, undefined, dState.c);
    } else {
      d = this.encoderState.encodeBackward(encoder, run, source[last], dFinal, encoderGrads[last], last > 0);
    }
    for (let i = last - 1; i >= 0; i--) d = this.encoder[i].encodeBackward(encoder, run, source[i], d!, encoderGrads[i], i > 0);
    return undefined;
  }

  override dispose(): void {
    for (const layer of this.sublayers) layer.dispose();
    this.weights = [];
    this.gpu = undefined;
  }

  /**
   * Splits the flat input [B, Ls + Lt] into the source [B, Ls] and the target input [B, Lt],
   * each in a buffer of its own, batch-major: two gathers of the row windows, viewing a row as
   * [(Ls + Lt) / g, g] with g = gcd(Ls, Lt).
   */
  private split(encoder: GPUCommandEncoder, run: RunScope, input: Flow): { source: Flow; target: Flow } {
    const gpu = this.requireBuilt();
    if (input.shape.length !== 2)
      throw new ShapeError(`${this.name} expects inputs of shape [batch, ${this.config.inputShape[0]}], got ${formatShape(input.shape)}.`);
    this.checkInputShape(input.shape.slice(1));
    const flat = contiguous(encoder, run, input);
    const B = input.shape[0];
    const [Ls, Lt] = [this.sourceSize, this.targetSize];
    const g = gcd(Ls, Lt);
    const idx = run.scratch(B * 4, `${this.name}/rows`);
    gpu.device.queue.writeBuffer(
      idx,
      0,
      Uint32Array.from({ length: B }, (_, i) => i),
    );
    const source = run.scratch(B * Ls * 4, `${this.name}/source`);
    const target = run.scratch(B * Lt * 4, `${this.name}/target`);
    const pass = encoder.beginComputePass({ label: `${this.name} split` });
    const srcT = (Ls + Lt) / g;
    encodeGatherRows(gpu, pass, run, { src: flat.buffer, idx, out: source, start: 0, B, T: Ls / g, F: g, timeMajor: false, srcT, t0: 0 });
    encodeGatherRows(gpu, pass, run, { src: flat.buffer, idx, out: target, start: 0, B, T: Lt / g, F: g, timeMajor: false, srcT, t0: Ls / g });
    pass.end();
    return {
      source: { buffer: source, offset: 0, shape: [B, ...this.sourceShape], timeMajor: false },
      target: { buffer: target, offset: 0, shape: [B, ...this.targetShape], timeMajor: false },
    };
  }

  private checkSide(flow: Flow, shape: readonly number[], what: string): void {
    if (flow.shape.length !== shape.length + 1 || flow.shape.slice(1).some((d, i) => d !== shape[i])) {
      throw new ShapeError(`${this.name}: the ${what} must have shape [batch, ${shape.join(', ')}], got ${formatShape(flow.shape)}.`);
    }
  }

  /** Scratch buffers [B, units] for the state handed from the encoder to the decoder (c = h for a single-state layer). */
  private stateBuffers(run: RunScope, B: number): RecurrentState {
    const bytes = B * this.encoderState.units * 4;
    const h = run.scratch(bytes, `${this.name}/state h`);
    return { h, c: this.encoderState instanceof Lstm ? run.scratch(bytes, `${this.name}/state c`) : h };
  }
}
