// The encoder–decoder (sequence-to-sequence) model: an encoder stack reads the source, its last
// recurrent layer's final state seeds the decoder stack, and a head (a softmax Dense, say) reads
// every decoder step. Trained with teacher forcing (the decoder reads the target shifted by one
// step), run with greedy decoding (the decoder reads its own previous prediction).
//
// It is a Sequential model [EncoderDecoderLayer, …head] underneath: the Trainer, save and load
// drive it unchanged. The two inputs go side by side, flat, into the composite first layer
// ([N, sourceSize + targetSize], joined on the CPU for fit / evaluate; predict and decode hand
// the GPU the two inputs as they are).
import type { Gpu } from '../runtime/device.js';
import { formatShape, RnnError, ShapeError } from '../spec/errors.js';
import { Tensor, tensor, type TensorData } from '../runtime/tensor.js';
import { Dense } from '../layers/dense.js';
import { Dropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { checkPair, checkTensorShape, joinPair, type SequencePair, sideValues } from './encoderDecoderInputs.js';
import { decodeBeam, decodeGreedy } from './encoderDecoderDecode.js';
import { MAX_BEAM_WIDTH } from '../kernels/beamSelect.js';
import { Activation } from '../layers/activation.js';
import { EncoderDecoderLayer, type EncoderDecoderLayerConfig } from './encoderDecoderLayer.js';
import type { ModelArtifacts, ModelSource, SaveTarget } from '../spec/modelFormat.js';
import { flowOf, materialize, type Layer, type WeightValue } from '../layers/layer.js';
import { Sequential } from './sequential.js';
import { TimeDistributed } from '../layers/timeDistributed.js';
import type { CompileArgs, FitArgs, History, Logs } from './trainingTypes.js';
import { type PrintFn, printSummary } from './summary.js';

export { EncoderDecoderLayer, type EncoderDecoderLayerConfig } from './encoderDecoderLayer.js';

export type { SequencePair } from './encoderDecoderInputs.js';

export interface EncoderDecoderConfig extends EncoderDecoderLayerConfig {
  /** Applied to every decoder step: Dense (e.g. softmax over the target vocabulary), TimeDistributed or Dropout layers. */
  head: Layer | Layer[];
}

/** fit's options (FitArgs) with validationData as [[source, decoderInput], target]; no tbptt. */
export type EncoderDecoderFitArgs = Omit<FitArgs, 'validationData' | 'tbptt'> & { validationData?: readonly [SequencePair, Tensor | TensorData] };

export interface DecodeOptions {
  /** The token the decoder reads first (a start-of-sequence id of the decoder's Embedding). */
  startToken: number;
  /** A class of the head that ends a sequence (not returned); without it every sequence runs maxLength steps. */
  endToken?: number;
  /** The most tokens to generate (default: the decoder's steps). */
  maxLength?: number;
  /** Sources decoded at once (default 256). */
  batchSize?: number;
  /** Decoding steps a command buffer, with one readback each (default 16). */
  tokensPerSubmit?: number;
  /**
   * Beam search with this many beams a source (1 … 16; default 1: greedy): the sequence of the
   * highest total log probability among those the beams keep. The head must end in a softmax
   * (probabilities) or be linear (logits).
   */
  beamWidth?: number;
  /**
   * Beam search's final choice: the total log probability ÷ length^lengthPenalty (default 0:
   * the total, which favours short sequences; 1: the mean a token).
   */
  lengthPenalty?: number;
}

export class EncoderDecoder {
  /** The composite first layer: encoder and decoder. */
  readonly core: EncoderDecoderLayer;
  /** The layers after the core, applied to every decoder step. */
  readonly head: readonly Layer[];

  constructor(readonly sequential: Sequential) {
    const [core, ...head] = sequential.layers;
    if (!(core instanceof EncoderDecoderLayer)) throw new RnnError('An EncoderDecoder is a Sequential model whose first layer is an EncoderDecoderLayer.');
    checkHead(head);
    this.core = core;
    this.head = head;
  }

  get gpu(): Gpu {
    return this.sequential.gpu;
  }

  get layers(): Layer[] {
    return this.sequential.layers;
  }

  /** The output shape without the batch dimension: [targetSteps, classes]. */
  outputShape(): number[] {
    return this.sequential.outputShape();
  }

  compile(args: CompileArgs): void {
    this.sequential.compile(args);
  }

  /**
   * Teacher forcing: trains the model to give `y` (e.g. the target's token ids [N, steps] for
   * sparseCategoricalCrossentropy) from the source and the decoder's input (the target shifted
   * by one step, behind a start token). validationData takes a pair the same way.
   */
  async fit(inputs: SequencePair, y: Tensor | TensorData, args: EncoderDecoderFitArgs = {}): Promise<History> {
    if ((args as FitArgs).tbptt !== undefined) throw new RnnError('fit: an encoder–decoder trains on whole sequences; tbptt does not apply to it.');
    const owned: Tensor[] = [];
    try {
      const x = await this.join(inputs, 'fit', owned);
      let validationData: FitArgs['validationData'];
      if (args.validationData !== undefined) {
        const pair = args.validationData;
        if (!Array.isArray(pair) || pair.length !== 2) throw new ShapeError('fit: validationData is [[source, decoderInput], target].');
        validationData = [await this.join(pair[0], 'validationData', owned), pair[1]];
      }
      return await this.sequential.fit(x, y, { ...args, validationData });
    } finally {
      for (const t of owned) t.dispose();
    }
  }

  /** Loss and metrics over the pairs and `y`, without training. */
  evaluate(inputs: SequencePair, y: Tensor | TensorData, args?: { batchSize?: number }): Promise<Logs> {
    return this.withJoined(inputs, 'evaluate', (x) => this.sequential.evaluate(x, y, args));
  }

  /** One optimizer step on a batch; resolves to [loss, ...metrics]. */
  trainOnBatch(inputs: SequencePair, y: Tensor | TensorData): Promise<number[]> {
    return this.withJoined(inputs, 'trainOnBatch', (x) => this.sequential.trainOnBatch(x, y));
  }

  /** The loss and every weight's gradient (the encoder's, the decoder's, the head's), without updating. */
  gradients(inputs: SequencePair, y: Tensor | TensorData): Promise<{ loss: number; grads: Float32Array[] }> {
    return this.withJoined(inputs, 'gradients', (x) => this.sequential.gradients(x, y));
  }

  /**
   * The head's output at every step of the decoder's input (teacher forcing): [N, steps,
   * classes], one command buffer. Read it with `await y.data()`.
   */
  predict(inputs: SequencePair): Tensor {
    const gpu = this.gpu;
    const [source, target] = checkPair(inputs, 'predict');
    const owned: Tensor[] = [];
    const upload = (data: Tensor | TensorData, shape: readonly number[], first: Layer, what: string): Tensor => {
      if (data instanceof Tensor) {
        data.assertUsable(`predict: the ${what}`);
        if (data.gpu !== gpu) throw new RnnError(`predict: the ${what} lives on another device than the model.`);
        return data;
      }
      const { values, n } = sideValues(data, shape, `predict: the ${what}`);
      if (first instanceof Embedding) first.checkIds(values, `predict: the ${what}`);
      const t = tensor(gpu, values, [n, ...shape]);
      owned.push(t);
      return t;
    };
    try {
      const src = upload(source, this.core.sourceShape, this.core.encoder[0], 'source');
      const tgt = upload(target, this.core.targetShape, this.core.decoder[0], 'decoder input');
      checkTensorShape(src, this.core.sourceShape, 'predict: the source');
      checkTensorShape(tgt, this.core.targetShape, 'predict: the decoder input');
      if (src.shape[0] !== tgt.shape[0])
        throw new ShapeError(`predict: the source has ${src.shape[0]} samples but the decoder input has ${tgt.shape[0]}: give one decoder input per source.`);
      let output: Tensor | undefined;
      const done = gpu.submit(`predict ${formatShape(src.shape)} → ${formatShape(tgt.shape)}`, (encoder, run) => {
        let flow = this.core.encodeSides(encoder, run, flowOf(src), flowOf(tgt), false).output;
        for (const layer of this.head) flow = layer.encode(encoder, run, flow);
        output = materialize(gpu, encoder, run, flow);
      });
      output!.ready = done;
      return output!;
    } finally {
      for (const t of owned) t.dispose();
    }
  }

  /**
   * Greedy decoding: the encoder reads each source once; then step by step the decoder reads
   * its previous token (`startToken` first), each recurrent layer carrying its state, and the
   * head's likeliest class is the next token, taken and fed back on the GPU. Resolves to the
   * tokens of each source, up to (without) `endToken`, at most `maxLength`. One submit and one
   * readback of the tokens each `tokensPerSubmit` steps.
   */
  async decode(source: Tensor | TensorData, options: DecodeOptions): Promise<number[][]> {
    const core = this.core;
    const embedding = core.decoder[0];
    if (!(embedding instanceof Embedding)) {
      throw new RnnError(
        `decode feeds each predicted token back to the decoder, so the decoder must start with an Embedding (token ids); it starts with ${embedding.name}.`,
      );
    }
    const classes = this.outputShape()[1];
    const { startToken, endToken } = options ?? ({} as DecodeOptions);
    const maxLength = options?.maxLength ?? core.targetShape[0];
    const batchSize = options?.batchSize ?? 256;
    const tokensPerSubmit = options?.tokensPerSubmit ?? 16;
    const beamWidth = options?.beamWidth ?? 1;
    const lengthPenalty = options?.lengthPenalty ?? 0;
    if (!(Number.isInteger(startToken) && startToken >= 0 && startToken < embedding.inputDim)) {
      throw new RnnError(`decode: startToken must be a token id of the decoder's Embedding, a whole number in [0, ${embedding.inputDim}); got ${startToken}.`);
    }
    if (endToken !== undefined && !(Number.isInteger(endToken) && endToken >= 0 && endToken < classes)) {
      throw new RnnError(`decode: endToken must be a class of the head, a whole number in [0, ${classes}); got ${endToken}.`);
    }
    if (!(Number.isInteger(maxLength) && maxLength >= 1)) throw new RnnError(`decode: maxLength must be a whole number ≥ 1, got ${maxLength}.`);
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RnnError(`decode: batchSize must be a whole number ≥ 1, got ${batchSize}.`);
    if (!(Number.isInteger(tokensPerSubmit) && tokensPerSubmit >= 1))
      throw new RnnError(`decode: tokensPerSubmit must be a whole number ≥ 1, got ${tokensPerSubmit}.`);
    if (!(Number.isInteger(beamWidth) && beamWidth >= 1 && beamWidth <= MAX_BEAM_WIDTH)) {
      throw new RnnError(`decode: beamWidth must be a whole number in [1, ${MAX_BEAM_WIDTH}], got ${beamWidth}.`);
    }
    if (!(Number.isFinite(lengthPenalty) && lengthPenalty >= 0)) throw new RnnError(`decode: lengthPenalty must be a finite number ≥ 0, got ${lengthPenalty}.`);
    let last = this.head[this.head.length - 1] as Layer | undefined;
    while (last instanceof TimeDistributed) last = last.layer;
    const activation = last instanceof Dense || last instanceof Activation ? last.config.activation : 'linear';
    if (beamWidth > 1 && activation !== 'softmax' && activation !== 'linear') {
      throw new RnnError(`decode: beam search scores log probabilities: the head must end in a softmax or be linear (logits); it ends in ${activation}.`);
    }
    const shape = core.sourceShape;
    let values: Float32Array;
    let n: number;
    if (source instanceof Tensor) {
      source.assertUsable('decode: the source');
      checkTensorShape(source, shape, 'decode: the source');
      [values, n] = [await source.data(), source.shape[0]];
    } else ({ values, n } = sideValues(source, shape, 'decode: the source'));
    const first = core.encoder[0];
    if (first instanceof Embedding) first.checkIds(values, 'decode: the source');
    const out: number[][] = [];
    for (let start = 0; start < n; start += batchSize) {
      const B = Math.min(batchSize, n - start);
      const chunk = values.subarray(start * core.sourceSize, (start + B) * core.sourceSize);
      const run = { startToken, endToken, maxLength, classes, tokensPerSubmit };
      out.push(
        ...(await (beamWidth > 1
          ? decodeBeam(this.gpu, this.core, this.head, chunk, B, { ...run, beamWidth, lengthPenalty, logits: activation === 'linear' })
          : decodeGreedy(this.gpu, this.core, this.head, chunk, B, run))),
      );
    }
    return out;
  }

  /** Copies of every weight as tensors: the encoder's layers', the decoder's, then the head's. */
  getWeights(): Tensor[] {
    return this.sequential.getWeights();
  }

  getWeightData(): Promise<Float32Array[]> {
    return this.sequential.getWeightData();
  }

  /** Replaces every weight (the order of getWeights); all are checked before any is written. */
  setWeights(weights: readonly WeightValue[]): void {
    this.sequential.setWeights(weights);
  }

  /** Saves the model (see Sequential.save); load it with loadEncoderDecoder(gpu, source). */
  save(target?: SaveTarget): Promise<ModelArtifacts> {
    return this.sequential.save(target);
  }

  loadWeights(source: ModelSource): Promise<void> {
    return this.sequential.loadWeights(source);
  }

  countParams(): number {
    return this.sequential.countParams();
  }

  /**
   * The encoder's, the decoder's and the head's layers as TF.js and Keras print them (see
   * Sequential.summary): prints each line with `printFn` (console.log; null: nothing), returns the text.
   */
  summary(printFn: PrintFn = console.log): string {
    const sections = [
      { title: 'encoder', layers: this.core.encoder, inputShape: this.core.sourceShape },
      { title: 'decoder', layers: this.core.decoder, inputShape: this.core.targetShape },
      { title: 'head', layers: this.head, inputShape: this.core.computeOutputShape(this.core.config.inputShape) },
    ];
    return printSummary('encoderDecoder', sections, this.countParams(), printFn);
  }

  dispose(): void {
    this.sequential.dispose();
  }

  /**
   * The pairs side by side, flat, as a tensor [N, sourceSize + targetSize] (added to `owned`),
   * after checking both sides' shapes, their sample counts and (Embedding inputs) token ids.
   */
  private async withJoined<R>(inputs: SequencePair, what: string, use: (x: Tensor) => Promise<R>): Promise<R> {
    const owned: Tensor[] = [];
    try {
      return await use(await this.join(inputs, what, owned));
    } finally {
      for (const t of owned) t.dispose();
    }
  }

  private async join(inputs: SequencePair, what: string, owned: Tensor[]): Promise<Tensor> {
    const joined = await joinPair(this.gpu, this.core, inputs, what);
    owned.push(joined);
    return joined;
  }
}

/**
 * An encoder–decoder model on `gpu`: `encoder` reads the source (its last layer an LSTM, GRU or
 * SimpleRNN without returnSequences), `decoder` reads the decoder's input starting from the
 * encoder's final state (its first recurrent layer of the same kind and units), `head` reads
 * every decoder step. Both stacks' first layers declare their inputs' steps.
 *
 * @example
 * ```ts
 * const model = encoderDecoder(gpu, {
 *   encoder: [layers.embedding({ inputDim: 40, outputDim: 16, inputShape: [30] }), layers.lstm({ units: 128 })],
 *   decoder: [layers.embedding({ inputDim: 14, outputDim: 16, inputShape: [11] }), layers.lstm({ units: 128, returnSequences: true })],
 *   head: layers.dense({ units: 14, activation: 'softmax' }),
 * });
 * model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
 * await model.fit([source, decoderInput], target, { epochs: 10 });
 * ```
 */
export function encoderDecoder(gpu: Gpu, config: EncoderDecoderConfig): EncoderDecoder {
  const head = config?.head === undefined ? [] : Array.isArray(config.head) ? config.head : [config.head];
  checkHead(head);
  const core = new EncoderDecoderLayer(config);
  try {
    return new EncoderDecoder(new Sequential(gpu, [core, ...head]));
  } catch (error) {
    for (const layer of [core, ...head]) layer.dispose();
    throw error;
  }
}

/** The head is applied to each decoder step by itself (greedy decoding runs it a step at a time). */
function checkHead(head: readonly unknown[]): void {
  if (head.length === 0) throw new RnnError("encoderDecoder needs a head, e.g. layers.dense({ units: targetVocabulary, activation: 'softmax' }).");
  for (const layer of head) {
    if (!(layer instanceof Dense || layer instanceof TimeDistributed || layer instanceof Dropout)) {
      const what = layer instanceof Object ? `${(layer as Layer).name} (${layer.constructor.name})` : String(layer);
      throw new RnnError(
        `encoderDecoder: the head holds ${what}; it is applied to each decoder step by itself, so it takes Dense, TimeDistributed and Dropout layers.`,
      );
    }
  }
}
