// The Dense layer on the GPU: y = act(x·W + b) over the last axis, as one GEMM with the bias and
// the activation fused (softmax: one more row-wise kernel). A rank-3 input keeps its layout.
import { encodeGemm } from '../kernels/gemm.js';
import { encodeReduceRows } from '../kernels/reduceRows.js';
import type { RunScope } from '../runtime/device.js';
import { formatShape, ShapeError } from '../spec/errors.js';
import { initialize } from '../init/initializers.js';
import { Random } from '../init/random.js';
import { resolveDenseConfig, type DenseConfig } from '../spec/config.js';
import { Layer, type Flow, type Regularizer } from './layer.js';
import { encodeActivatedGemm, encodeActivationGradient } from './activatedGemm.js';

interface DenseSaved {
  input: Flow;
  /** [rows, units] the output, after the activation */
  y: GPUBuffer;
  /** gelu, swish: [rows, units] the pre-activation */
  z?: GPUBuffer;
  rows: number;
}

export class Dense extends Layer {
  readonly config: ReturnType<typeof resolveDenseConfig>;

  constructor(config: DenseConfig) {
    const resolved = resolveDenseConfig(config);
    super(resolved.name);
    this.config = resolved;
  }

  get units(): number {
    return this.config.units;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return [...inputShape.slice(0, -1), this.units];
  }

  weightShapes(inputShape: readonly number[]): number[][] {
    const features = inputShape[inputShape.length - 1];
    return this.config.useBias ? [[features, this.units], [this.units]] : [[features, this.units]];
  }

  protected initialWeights(inputShape: readonly number[]): Float32Array[] {
    const random = new Random(this.config.seed);
    return this.weightShapes(inputShape).map((shape, i) =>
      Float32Array.from(
        initialize(i === 0 ? this.config.kernelInitializer : this.config.biasInitializer, shape.length === 2 ? shape[0] : 1, shape[shape.length - 1], random),
      ),
    );
  }

  override regularizers(): (Regularizer | undefined)[] {
    return [this.config.kernelRegularizer, ...(this.config.useBias ? [this.config.biasRegularizer] : [])];
  }

  /** Inference: the activation fused into the GEMM's epilogue (gelu and swish too: no backward follows). */
  encode(encoder: GPUCommandEncoder, run: RunScope, input: Flow): Flow {
    return this.encodeForward(encoder, run, input, false).output;
  }

  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow): { output: Flow; saved: DenseSaved } {
    return this.encodeForward(encoder, run, input, true);
  }

  private encodeForward(encoder: GPUCommandEncoder, run: RunScope, input: Flow, train: boolean): { output: Flow; saved: DenseSaved } {
    const gpu = this.requireBuilt();
    this.checkFlow(input);
    const F = input.shape[input.shape.length - 1];
    const rows = input.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    gpu.checkBindingSize(rows * this.units * 4, `${this.name}: the output [${rows}, ${this.units}]`);
    const y = run.scratch(rows * this.units * 4, `${this.name}/y`);
    const [kernel, bias] = this.weights;
    const pass = encoder.beginComputePass({ label: this.name });
    const gemm = { a: input.buffer, aOffset: input.offset, b: kernel.buffer, bias: bias?.buffer, y, M: rows, N: this.units, K: F };
    const z = encodeActivatedGemm(gpu, pass, run, gemm, this.config.activation, this.name, train);
    pass.end();
    // On a sequence the mask passes on (to the next layer, or to the loss, which skips masked steps).
    const output: Flow = { buffer: y, offset: 0, shape: this.computeOutputShape(input.shape), timeMajor: input.timeMajor, mask: input.mask };
    return { output, saved: { input, y, z, rows } };
  }

  encodeBackward(
    encoder: GPUCommandEncoder,
    run: RunScope,
    saved: unknown,
    dOutput: Flow & { preActivation?: boolean },
    grads: readonly GPUBuffer[],
    needInputGrad: boolean,
  ): Flow | undefined {
    const gpu = this.requireBuilt();
    const { input, y, z, rows } = saved as DenseSaved;
    const F = input.shape[input.shape.length - 1];
    const K = this.units;
    const [kernel, bias] = this.weights;
    const pass = encoder.beginComputePass({ label: `${this.name} backward` });
    const { activation } = this.config;
    const dz = encodeActivationGradient(
      gpu,
      pass,
      run,
      { activation, y, z, dy: dOutput.buffer, R: rows, C: K, preActivation: dOutput.preActivation },
      this.name,
    );
    encodeGemm(gpu, pass, run, { a: input.buffer, aOffset: input.offset, transA: true, b: dz, y: grads[0], M: F, N: K, K: rows });
    if (bias) encodeReduceRows(gpu, pass, run, { x: dz, y: grads[1], R: rows, N: K });
    let dX: GPUBuffer | undefined;
    if (needInputGrad) {
      dX = run.scratch(rows * F * 4, `${this.name}/dX`);
      encodeGemm(gpu, pass, run, { a: dz, b: kernel.buffer, transB: true, y: dX, M: rows, N: F, K });
    }
    pass.end();
    return dX && { buffer: dX, offset: 0, shape: [...input.shape], timeMajor: input.timeMajor };
  }

  private checkFlow(input: Flow): void {
    const F = this.inputShape![this.inputShape!.length - 1];
    if (input.shape.length < 2 || input.shape[input.shape.length - 1] !== F) {
      throw new ShapeError(`${this.name} expects inputs with ${F} features on the last axis, got ${formatShape(input.shape)}.`);
    }
  }
}
