// The Dropout layer on the GPU: the identity in inference; in training, inverted dropout with a
// mask drawn on the GPU from a counter-based hash of (seed, step, element index). Each training
// forward advances the layer's step, so each step draws a new mask; the backward recomputes the
// same mask from the step it saved instead of keeping it.
import { encodeDropout } from '../kernels/dropout.js';
import type { RunScope } from '../runtime/device.js';
import { dropoutThreshold } from '../init/dropoutMask.js';
import { resolveDropoutConfig, type DropoutConfig, type ResolvedDropoutConfig } from '../spec/embeddingConfig.js';
import { ShapeError } from '../spec/errors.js';
import type { Flow } from './layer.js';
import { WeightlessLayer } from './weightless.js';

export type { DropoutConfig } from '../spec/embeddingConfig.js';

interface DropoutSaved {
  /** The training step whose mask the forward drew; undefined for rate 0 (identity). */
  step: number | undefined;
  input: Flow;
}

export class Dropout extends WeightlessLayer {
  readonly config: ResolvedDropoutConfig;
  /** One mask [B, F] for every step of a [B, T, F] input (SpatialDropout1D), else one a value. */
  protected readonly perSequence: boolean = false;
  /**
   * The next training step: the mask of a training forward is that of this step, after which
   * it advances (wrapping at 2³²). Set it to replay or continue a run's masks.
   */
  step = 0;

  constructor(config: DropoutConfig) {
    const resolved = resolveDropoutConfig(config);
    super(resolved.name);
    this.config = resolved;
  }

  get rate(): number {
    return this.config.rate;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return [...inputShape];
  }

  /** Any rank: the mask is one a value. */
  protected checkRank(_inputShape: readonly number[]): void {}

  /** Inference: the identity (the input flow itself, no copy). */
  override encode(_encoder: GPUCommandEncoder, _run: RunScope, input: Flow): Flow {
    this.requireBuilt();
    return input;
  }

  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow): { output: Flow; saved: DropoutSaved } {
    this.requireBuilt();
    const step = this.step;
    this.step = (this.step + 1) % 2 ** 32;
    if (this.rate === 0) return { output: input, saved: { step: undefined, input } };
    const count = input.shape.reduce((a, b) => a * b, 1);
    const y = run.scratch(count * 4, `${this.name}/y`);
    this.encodeMask(encoder, run, input, y, step);
    return { output: { buffer: y, offset: 0, shape: [...input.shape], timeMajor: input.timeMajor, mask: input.mask }, saved: { step, input } };
  }

  /** dX = dY ⊙ mask / (1 − rate), the forward's mask, in dOutput's layout. */
  protected encodeInputGradient(encoder: GPUCommandEncoder, run: RunScope, saved: unknown, dOutput: Flow): Flow {
    this.requireBuilt();
    const { step } = saved as DropoutSaved;
    const dFlow: Flow = { buffer: dOutput.buffer, offset: dOutput.offset, shape: [...dOutput.shape], timeMajor: dOutput.timeMajor };
    if (step === undefined) return dFlow;
    const count = dFlow.shape.reduce((a, b) => a * b, 1);
    const dX = run.scratch(count * 4, `${this.name}/dX`);
    this.encodeMask(encoder, run, dFlow, dX, step);
    return { buffer: dX, offset: 0, shape: dFlow.shape, timeMajor: dFlow.timeMajor };
  }

  private encodeMask(encoder: GPUCommandEncoder, run: RunScope, x: Flow, y: GPUBuffer, step: number): void {
    const gpu = this.requireBuilt();
    const pass = encoder.beginComputePass({ label: this.name });
    encodeDropout(gpu, pass, run, {
      x: x.buffer,
      xOffset: x.offset,
      y,
      shape: x.shape,
      timeMajor: x.timeMajor,
      seed: this.config.seed,
      step,
      threshold: dropoutThreshold(this.rate),
      scale: 1 / (1 - this.rate),
      perSequence: this.perSequence,
    });
    pass.end();
  }
}

/**
 * Keras's SpatialDropout1D: on [batch, steps, channels], whole channels dropped — one mask
 * [B, F] for every step, the hash of (seed, step, b·F + f) — so neighbouring steps, which are
 * correlated, cannot stand in for a dropped value. The identity in inference, as Dropout.
 */
export class SpatialDropout1d extends Dropout {
  protected override readonly perSequence = true;

  protected override checkRank(inputShape: readonly number[]): void {
    if (inputShape.length !== 2) {
      throw new ShapeError(`${this.name} (SpatialDropout1D) takes [batch, steps, channels]; got [batch, ${inputShape.join(', ')}].`);
    }
  }
}
