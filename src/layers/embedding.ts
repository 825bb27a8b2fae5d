import { encodeMasking } from '../kernels/masking.js';
// The Embedding layer on the GPU: token ids [B, T] (f32) → vectors [B, T, outputDim], one
// gather dispatch forward; backward, a clear of the table's gradient and one scatter-add of
// the output gradient into the rows the ids select.
import { encodeEmbeddingGather, encodeEmbeddingScatterAdd } from '../kernels/embedding.js';
import { encodeEmbeddingSortedGradient } from '../kernels/embeddingSorted.js';
import type { Gpu, RunScope } from '../runtime/device.js';
import { formatShape, ShapeError } from '../spec/errors.js';
import { initialize } from '../init/initializers.js';
import { Random } from '../init/random.js';
import { checkTokenIds, resolveEmbeddingConfig, type EmbeddingConfig, type ResolvedEmbeddingConfig } from '../spec/embeddingConfig.js';
import { Layer, type Flow, type Regularizer } from './layer.js';

export { checkTokenIds, type EmbeddingConfig } from '../spec/embeddingConfig.js';

interface EmbeddingSaved {
  /** The ids [B, T], batch-major. */
  input: Flow;
}

export class Embedding extends Layer {
  readonly config: ResolvedEmbeddingConfig;

  constructor(config: EmbeddingConfig) {
    const resolved = resolveEmbeddingConfig(config);
    super(resolved.name);
    this.config = resolved;
  }

  get inputDim(): number {
    return this.config.inputDim;
  }

  get outputDim(): number {
    return this.config.outputDim;
  }

  /** [steps] → [steps, outputDim]. */
  computeOutputShape(inputShape: readonly number[]): number[] {
    return [inputShape[0], this.outputDim];
  }

  weightShapes(): number[][] {
    return [[this.inputDim, this.outputDim]];
  }

  protected initialWeights(): Float32Array[] {
    const { embeddingsInitializer, inputDim, outputDim, seed } = this.config;
    return [Float32Array.from(initialize(embeddingsInitializer, inputDim, outputDim, new Random(seed)))];
  }

  override regularizers(): (Regularizer | undefined)[] {
    return [this.config.embeddingsRegularizer];
  }

  /** Builds for ids of shape [steps] (no batch dimension); any length unless inputLength was given. */
  override build(gpu: Gpu, inputShape: readonly number[]): void {
    if (inputShape.length !== 1) {
      throw new ShapeError(`${this.name} takes token ids of shape [batch, steps], got inputs of shape [batch, ${inputShape.join(', ')}].`);
    }
    super.build(gpu, [this.config.inputShape?.[0] ?? -1]);
    this.checkInputShape(inputShape);
  }

  override checkInputShape(inputShape: readonly number[]): void {
    const expected = this.inputShape;
    if (!expected) return;
    if (inputShape.length !== 1 || (expected[0] >= 0 && inputShape[0] >= 0 && inputShape[0] !== expected[0])) {
      const steps = expected[0] < 0 ? 'steps' : expected[0];
      throw new ShapeError(`${this.name} expects token ids of shape [batch, ${steps}], got [batch, ${inputShape.join(', ')}].`);
    }
  }

  /**
   * Throws a ShapeError naming the first id that is not a whole number in [0, inputDim):
   * for ids handed over from the CPU, before they are uploaded.
   */
  checkIds(ids: ArrayLike<number>, what = `${this.name}: the input`): void {
    checkTokenIds(ids, this.inputDim, what);
  }

  encode(encoder: GPUCommandEncoder, run: RunScope, input: Flow): Flow {
    return this.encodeTrain(encoder, run, input).output;
  }

  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow): { output: Flow; saved: EmbeddingSaved } {
    const gpu = this.requireBuilt();
    if (input.shape.length !== 2) {
      throw new ShapeError(`${this.name} takes token ids of shape [batch, steps], got ${formatShape(input.shape)}.`);
    }
    // No check of T against inputLength here: a window of truncated BPTT has fewer steps. The
    // caller checks the whole input once (checkInputShape).
    const [B, T] = input.shape;
    const E = this.outputDim;
    gpu.checkBindingSize(B * T * E * 4, `${this.name}: the output [batch=${B}, steps=${T}, outputDim=${E}]`);
    const y = run.scratch(B * T * E * 4, `${this.name}/y`);
    const pass = encoder.beginComputePass({ label: this.name });
    encodeEmbeddingGather(gpu, pass, run, { ids: input.buffer, idsOffset: input.offset, table: this.weights[0].buffer, y, rows: B * T, E, V: this.inputDim });
    // maskZero: id 0 is padding, the steps with it are masked for the layers that follow.
    let mask: GPUBuffer | undefined;
    if (this.config.maskZero) {
      mask = run.scratch(B * T * 4, `${this.name}/mask`);
      encodeMasking(gpu, pass, run, { x: input.buffer, xOffset: input.offset, mask, B, T, F: 1, timeMajor: false, maskValue: 0 });
    }
    pass.end();
    return { output: { buffer: y, offset: 0, shape: [B, T, E], timeMajor: false, mask }, saved: { input } };
  }

  /**
   * dW = 0, then dW[id] += dY row for every id (dOutput batch- or time-major): each id's rows
   * in (b, t) order (deterministic), or by compare-exchange (deterministic: false). The ids have
   * no gradient: with `needInputGrad` (the layer is not first) the input gradient is zeros.
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
    const { input } = saved as EmbeddingSaved;
    const [B, T] = input.shape;
    const E = this.outputDim;
    encoder.clearBuffer(grads[0], 0, this.inputDim * E * 4);
    const pass = encoder.beginComputePass({ label: `${this.name} backward` });
    const encodeGradient = this.config.deterministic ? encodeEmbeddingSortedGradient : encodeEmbeddingScatterAdd;
    encodeGradient(gpu, pass, run, {
      ids: input.buffer,
      idsOffset: input.offset,
      dY: dOutput.buffer,
      dyOffset: dOutput.offset,
      timeMajor: dOutput.timeMajor,
      dW: grads[0],
      B,
      T,
      E,
      V: this.inputDim,
    });
    pass.end();
    if (!needInputGrad) return undefined;
    const dX = run.scratch(B * T * 4, `${this.name}/dX`);
    encoder.clearBuffer(dX, 0, B * T * 4);
    return { buffer: dX, offset: 0, shape: [B, T], timeMajor: false };
  }
}
