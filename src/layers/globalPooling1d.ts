// GlobalAveragePooling1D and GlobalMaxPooling1D (Keras, channels last): [B, T, C] → [B, C], one
// dispatch forward and one backward (shaders/global_pool1d.wgsl), in either input layout. The
// average leaves masked steps out (Keras: Σ m·x / Σ m) and consumes the mask; the max ignores it.
import { encodeGlobalPool1d, encodeGlobalPool1dBackward, type GlobalPool1dArgs, type GlobalPoolKind } from '../kernels/globalPool1d.js';
import type { RunScope } from '../runtime/device.js';
import { ShapeError } from '../spec/errors.js';
import { type ResolvedShapeLayerConfig, resolveShapeLayerConfig, type ShapeLayerConfig } from '../spec/shapeConfig.js';
import { atOffsetZero } from './conv1d.js';
import type { Flow } from './layer.js';
import { WeightlessLayer } from './weightless.js';

abstract class GlobalPooling1d extends WeightlessLayer {
  readonly config: ResolvedShapeLayerConfig;

  constructor(
    private readonly kind: GlobalPoolKind,
    config: ShapeLayerConfig,
  ) {
    const resolved = resolveShapeLayerConfig(`global_${kind}_pooling1d`, config, 2);
    super(resolved.name);
    this.config = resolved;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    this.checkRank(inputShape);
    return [inputShape[1]];
  }

  protected checkRank(inputShape: readonly number[]): void {
    if (inputShape.length !== 2) throw new ShapeError(`${this.name} expects inputs of shape [batch, steps, channels], got [batch, ${inputShape.join(', ')}].`);
  }

  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow): { output: Flow; saved: GlobalPool1dArgs } {
    this.requireBuilt();
    this.checkFlowRank(input, 3, '[batch, steps, channels]');
    const [B, T, C] = input.shape;
    const args: GlobalPool1dArgs = { kind: this.kind, B, T, C, x: input.buffer, xOffset: input.offset, timeMajor: input.timeMajor, mask: input.mask };
    const y = run.scratch(B * C * 4, `${this.name}/y`);
    this.inPass(encoder, this.name, (pass, gpu) => encodeGlobalPool1d(gpu, pass, run, { ...args, y }));
    return { output: { buffer: y, offset: 0, shape: [B, C], timeMajor: false }, saved: args };
  }

  protected encodeInputGradient(encoder: GPUCommandEncoder, run: RunScope, saved: unknown, dOutput: Flow): Flow {
    const gpu = this.requireBuilt();
    const args = saved as GlobalPool1dArgs;
    const { B, T, C } = args;
    const dy = atOffsetZero(encoder, run, dOutput, B * C);
    const dx = run.scratch(B * T * C * 4, `${this.name}/dx`);
    const pass = encoder.beginComputePass({ label: `${this.name} backward` });
    encodeGlobalPool1dBackward(gpu, pass, run, { ...args, dy, dx });
    pass.end();
    return { buffer: dx, offset: 0, shape: [B, T, C], timeMajor: !!args.timeMajor };
  }
}

export class GlobalAveragePooling1d extends GlobalPooling1d {
  constructor(config: ShapeLayerConfig = {}) {
    super('average', config);
  }
}

export class GlobalMaxPooling1d extends GlobalPooling1d {
  constructor(config: ShapeLayerConfig = {}) {
    super('max', config);
  }
}
