// The MaxPooling1D layer on the GPU (channels last, as Keras): one dispatch forward, one
// backward (a gather: each input value sums the gradients of the windows whose first max it
// is). The output keeps the input's layout (batch- or time-major).
import { encodeMaxPool1d, encodeMaxPool1dBackward, type Pool1dGeometry } from '../kernels/maxPool1d.js';
import type { RunScope } from '../runtime/device.js';
import { formatShape, ShapeError } from '../spec/errors.js';
import { atOffsetZero } from './conv1d.js';
import { resolveMaxPooling1dConfig, window1d, type MaxPooling1dConfig, type ResolvedMaxPooling1dConfig } from '../spec/convConfig.js';
import type { Flow } from './layer.js';
import { WeightlessLayer } from './weightless.js';

interface PoolSaved {
  input: Flow;
  geometry: Pool1dGeometry;
}

export class MaxPooling1d extends WeightlessLayer {
  readonly config: ResolvedMaxPooling1dConfig;

  constructor(config: MaxPooling1dConfig = {}) {
    const resolved = resolveMaxPooling1dConfig(config);
    super(resolved.name);
    this.config = resolved;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    this.checkRank(inputShape);
    const { poolSize, strides, padding } = this.config;
    return [window1d(inputShape[0], poolSize, strides, padding, this.name).outSteps, inputShape[1]];
  }

  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow): { output: Flow; saved: PoolSaved } {
    const gpu = this.requireBuilt();
    const C = this.inputShape![1];
    if (input.shape.length !== 3 || input.shape[2] !== C)
      throw new ShapeError(`${this.name} expects inputs [batch, steps, ${C}], got ${formatShape(input.shape)}.`);
    const [B, T] = input.shape;
    const { poolSize: P, strides: S, padding } = this.config;
    const { outSteps: To, padBefore: pad } = window1d(T, P, S, padding, this.name);
    const geometry: Pool1dGeometry = { B, T, C, To, P, S, pad };
    gpu.checkBindingSize(B * To * C * 4, `${this.name}: the output [${B}, ${To}, ${C}]`);
    const y = run.scratch(B * To * C * 4, `${this.name}/y`);
    this.inPass(encoder, this.name, (pass, gpu) =>
      encodeMaxPool1d(gpu, pass, run, { ...geometry, x: input.buffer, xOffset: input.offset, y, timeMajor: input.timeMajor }),
    );
    return { output: { buffer: y, offset: 0, shape: [B, To, C], timeMajor: input.timeMajor }, saved: { input, geometry } };
  }

  protected encodeInputGradient(encoder: GPUCommandEncoder, run: RunScope, saved: unknown, dOutput: Flow): Flow {
    const gpu = this.requireBuilt();
    const { input, geometry } = saved as PoolSaved;
    const { B, T, C, To } = geometry;
    const dy = atOffsetZero(encoder, run, dOutput, B * To * C);
    const dx = run.scratch(B * T * C * 4, `${this.name}/dx`);
    const pass = encoder.beginComputePass({ label: `${this.name} backward` });
    encodeMaxPool1dBackward(gpu, pass, run, { ...geometry, x: input.buffer, xOffset: input.offset, dy, dx, timeMajor: input.timeMajor });
    pass.end();
    return { buffer: dx, offset: 0, shape: [...input.shape], timeMajor: input.timeMajor };
  }

  protected checkRank(inputShape: readonly number[]): void {
    if (inputShape.length !== 2) throw new ShapeError(`${this.name} expects inputs of shape [batch, steps, channels], got [batch, ${inputShape.join(', ')}].`);
  }
}
