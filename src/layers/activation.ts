// The Activation layer (Keras `Activation`): an elementwise activation, or softmax over the last
// axis, on a value of any rank and layout; one dispatch forward (softmax: a copy, then the row
// softmax in place), one backward from the saved output (gelu, swish: the saved input). Passes the mask on.
import { encodeActivation } from '../kernels/activation.js';
import { encodeSoftmax } from '../kernels/softmax.js';
import type { RunScope } from '../runtime/device.js';
import { type ActivationConfig, type ResolvedActivationConfig, resolveActivationConfig } from '../spec/shapeConfig.js';
import { atOffsetZero } from './conv1d.js';
import { encodeActivationGradient } from './activatedGemm.js';
import { gradientNeedsInput } from '../spec/names.js';
import type { Flow } from './layer.js';
import { WeightlessLayer } from './weightless.js';
import { shapeSize } from '../runtime/tensor.js';

interface ActivationSaved {
  y: GPUBuffer;
  /** gelu, swish: the input, from element 0 */
  z?: GPUBuffer;
  shape: number[];
}

export class Activation extends WeightlessLayer {
  readonly config: ResolvedActivationConfig;

  constructor(config: ActivationConfig) {
    const resolved = resolveActivationConfig(config);
    super(resolved.name);
    this.config = resolved;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return [...inputShape];
  }

  protected checkRank(): void {}

  /** Inference: keeps nothing for a backward (gelu's and swish's input is not copied). */
  override encode(encoder: GPUCommandEncoder, run: RunScope, input: Flow): Flow {
    return this.encodeForward(encoder, run, input, false).output;
  }

  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow): { output: Flow; saved: ActivationSaved } {
    return this.encodeForward(encoder, run, input, true);
  }

  private encodeForward(encoder: GPUCommandEncoder, run: RunScope, input: Flow, train: boolean): { output: Flow; saved: ActivationSaved } {
    const gpu = this.requireBuilt();
    const n = shapeSize(input.shape);
    const { activation } = this.config;
    const y = run.scratch(n * 4, `${this.name}/y`);
    if (activation === 'softmax') encoder.copyBufferToBuffer(input.buffer, input.offset * 4, y, 0, n * 4);
    const pass = encoder.beginComputePass({ label: this.name });
    if (activation === 'softmax') {
      const cols = input.shape[input.shape.length - 1];
      encodeSoftmax(gpu, pass, run, { x: y, rows: n / cols, cols });
    } else {
      encodeActivation(gpu, pass, run, { activation, x: input.buffer, xOffset: input.offset, y, n });
    }
    pass.end();
    const output: Flow = { buffer: y, offset: 0, shape: [...input.shape], timeMajor: input.timeMajor, mask: input.mask };
    const z = train && gradientNeedsInput(activation) ? atOffsetZero(encoder, run, input, n) : undefined;
    return { output, saved: { y, z, shape: [...input.shape] } };
  }

  /** With `dOutput.preActivation` (a fused sigmoid / softmax loss), the gradient passes through. */
  protected encodeInputGradient(encoder: GPUCommandEncoder, run: RunScope, saved: unknown, dOutput: Flow & { preActivation?: boolean }): Flow {
    const { activation } = this.config;
    if (dOutput.preActivation || activation === 'linear') return { ...dOutput, preActivation: undefined } as Flow;
    const gpu = this.requireBuilt();
    const { y, z, shape } = saved as ActivationSaved;
    const n = shapeSize(shape);
    const C = shape[shape.length - 1];
    const dy = atOffsetZero(encoder, run, dOutput, n);
    const pass = encoder.beginComputePass({ label: `${this.name} backward` });
    const dz = encodeActivationGradient(gpu, pass, run, { activation, y, z, dy, R: n / C, C }, this.name);
    pass.end();
    return { buffer: dz, offset: 0, shape: [...shape], timeMajor: dOutput.timeMajor };
  }
}
