// Flatten and RepeatVector (Keras): layers that only move values.
// - Flatten: [B, d1, …] → [B, d1·…]. A batch-major value is the same buffer under a new shape;
//   a time-major sequence is copied batch-major first (one dispatch), and its gradient copied
//   back time-major.
// - RepeatVector: [B, F] → [B, n, F], batch-major; the backward sums the n steps.
import { encodeRepeatVector, encodeRepeatVectorBackward } from '../kernels/repeatVector.js';
import { encodeBatchToTimeMajor, encodeTimeToBatchMajor } from '../kernels/sequenceLayout.js';
import type { RunScope } from '../runtime/device.js';
import { ShapeError } from '../spec/errors.js';
import {
  type RepeatVectorConfig,
  type ResolvedRepeatVectorConfig,
  type ResolvedShapeLayerConfig,
  resolveRepeatVectorConfig,
  resolveShapeLayerConfig,
  type ShapeLayerConfig,
} from '../spec/shapeConfig.js';
import type { Flow } from './layer.js';
import { WeightlessLayer } from './weightless.js';
import { shapeSize } from '../runtime/tensor.js';

export class Flatten extends WeightlessLayer {
  readonly config: ResolvedShapeLayerConfig;

  constructor(config: ShapeLayerConfig = {}) {
    const resolved = resolveShapeLayerConfig('flatten', config);
    super(resolved.name);
    this.config = resolved;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    this.checkRank(inputShape);
    return [shapeSize(inputShape)];
  }

  protected checkRank(inputShape: readonly number[]): void {
    if (inputShape.length === 0 || inputShape.some((d) => d < 0)) {
      throw new ShapeError(
        `${this.name} needs a fixed input shape, got [batch, ${inputShape.map((d) => (d < 0 ? 'any' : d)).join(', ')}]: give the first layer an inputShape with the number of steps.`,
      );
    }
  }

  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow): { output: Flow; saved: Flow } {
    this.requireBuilt();
    const [B, ...rest] = input.shape;
    const shape = [B, shapeSize(rest)];
    if (!(input.timeMajor && input.shape.length === 3))
      return { output: { buffer: input.buffer, offset: input.offset, shape, timeMajor: false }, saved: input };
    const [, T, H] = input.shape;
    const y = run.scratch(B * T * H * 4, `${this.name}/y`);
    this.inPass(encoder, this.name, (pass, gpu) => encodeTimeToBatchMajor(gpu, pass, run, { src: input.buffer, srcOffset: input.offset, y, T, B, H }));
    return { output: { buffer: y, offset: 0, shape, timeMajor: false }, saved: input };
  }

  protected encodeInputGradient(encoder: GPUCommandEncoder, run: RunScope, saved: unknown, dOutput: Flow): Flow {
    const input = saved as Flow;
    if (!(input.timeMajor && input.shape.length === 3)) return { buffer: dOutput.buffer, offset: dOutput.offset, shape: [...input.shape], timeMajor: false };
    const gpu = this.requireBuilt();
    const [B, T, H] = input.shape;
    const dx = run.scratch(B * T * H * 4, `${this.name}/dx`);
    const pass = encoder.beginComputePass({ label: `${this.name} backward` });
    encodeBatchToTimeMajor(gpu, pass, run, { src: dOutput.buffer, srcOffset: dOutput.offset, y: dx, T, B, H });
    pass.end();
    return { buffer: dx, offset: 0, shape: [...input.shape], timeMajor: true };
  }
}

export class RepeatVector extends WeightlessLayer {
  readonly config: ResolvedRepeatVectorConfig;

  constructor(config: RepeatVectorConfig) {
    const resolved = resolveRepeatVectorConfig(config);
    super(resolved.name);
    this.config = resolved;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    this.checkRank(inputShape);
    return [this.config.n, inputShape[0]];
  }

  protected checkRank(inputShape: readonly number[]): void {
    if (inputShape.length !== 1) throw new ShapeError(`${this.name} expects inputs of shape [batch, features], got [batch, ${inputShape.join(', ')}].`);
  }

  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow): { output: Flow; saved: number[] } {
    const gpu = this.requireBuilt();
    this.checkFlowRank(input, 2, '[batch, features]');
    const [B, F] = input.shape;
    const N = this.config.n;
    gpu.checkBindingSize(B * N * F * 4, `${this.name}: the output [${B}, ${N}, ${F}]`);
    const y = run.scratch(B * N * F * 4, `${this.name}/y`);
    this.inPass(encoder, this.name, (pass, gpu) => encodeRepeatVector(gpu, pass, run, { B, N, F, x: input.buffer, xOffset: input.offset, y }));
    return { output: { buffer: y, offset: 0, shape: [B, N, F], timeMajor: false }, saved: [B, F] };
  }

  protected encodeInputGradient(encoder: GPUCommandEncoder, run: RunScope, saved: unknown, dOutput: Flow): Flow {
    const gpu = this.requireBuilt();
    const [B, F] = saved as number[];
    const dx = run.scratch(B * F * 4, `${this.name}/dx`);
    const pass = encoder.beginComputePass({ label: `${this.name} backward` });
    encodeRepeatVectorBackward(gpu, pass, run, { B, N: this.config.n, F, dy: dOutput.buffer, dyOffset: dOutput.offset, dx });
    pass.end();
    return { buffer: dx, offset: 0, shape: [B, F], timeMajor: false };
  }
}
