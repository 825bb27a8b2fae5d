// The Masking layer (Keras `Masking`): passes its input through and marks the steps whose
// features all equal `maskValue` as masked, for the recurrent layers that follow (they carry
// their state through a masked step, inside the step kernel). One dispatch, no copy of x.
import { encodeMasking } from '../kernels/masking.js';
import type { RunScope } from '../runtime/device.js';
import { RnnError, ShapeError } from '../spec/errors.js';
import { checkOptions, type OptionSchema } from '../spec/options.js';
import type { Flow } from './layer.js';
import { WeightlessLayer } from './weightless.js';

export interface MaskingConfig {
  /** Steps whose features all equal this are masked (default 0). */
  maskValue?: number;
  /** [steps, features] (steps null for any length). */
  inputShape?: readonly (number | null)[];
  name?: string;
}

export interface ResolvedMaskingConfig {
  maskValue: number;
  inputShape?: readonly (number | null)[];
  name: string;
}

let maskingCounter = 0;

const MASKING_OPTIONS: OptionSchema<MaskingConfig> = { maskValue: 'any', inputShape: 'shape', name: 'string' };

export function resolveMaskingConfig(config: MaskingConfig = {}): ResolvedMaskingConfig {
  checkOptions('masking', config, MASKING_OPTIONS);
  const maskValue = config.maskValue ?? 0;
  if (typeof maskValue !== 'number' || !Number.isFinite(maskValue)) throw new RnnError(`masking: maskValue must be a finite number, got ${maskValue}.`);
  if (config.inputShape !== undefined && config.inputShape.length !== 2) {
    throw new RnnError(`masking: inputShape is [steps, features], got [${config.inputShape.join(', ')}].`);
  }
  return { maskValue, inputShape: config.inputShape, name: config.name ?? `masking_${++maskingCounter}` };
}

export class Masking extends WeightlessLayer {
  readonly config: ResolvedMaskingConfig;

  constructor(config: MaskingConfig = {}) {
    const resolved = resolveMaskingConfig(config);
    super(resolved.name);
    this.config = resolved;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return [...inputShape];
  }

  protected checkRank(inputShape: readonly number[]): void {
    if (inputShape.length !== 2) throw new ShapeError(`${this.name} expects input of shape [batch, steps, features], got [batch, ${inputShape.join(', ')}].`);
  }

  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow): { output: Flow; saved: undefined } {
    const gpu = this.requireBuilt();
    this.checkFlowRank(input, 3, 'of shape [batch, steps, features]');
    const [B, T, F] = input.shape;
    const mask = run.scratch(B * T * 4, `${this.name}/mask`);
    const pass = encoder.beginComputePass({ label: this.name });
    encodeMasking(gpu, pass, run, { x: input.buffer, xOffset: input.offset, mask, B, T, F, timeMajor: input.timeMajor, maskValue: this.config.maskValue });
    pass.end();
    return { output: { ...input, shape: [...input.shape], mask }, saved: undefined };
  }

  /** The gradient passes through unchanged (Keras: masked steps get none from the layers above). */
  protected encodeInputGradient(_encoder: GPUCommandEncoder, _run: RunScope, _saved: unknown, dOutput: Flow): Flow {
    this.requireBuilt();
    return { buffer: dOutput.buffer, offset: dOutput.offset, shape: [...dOutput.shape], timeMajor: dOutput.timeMajor };
  }
}
