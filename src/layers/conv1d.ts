// The Conv1D layer on the GPU (channels last, as Keras): im2col, then one GEMM with the bias
// and the activation fused (softmax: one more row-wise kernel).
//   forward  (2 dispatches): cols [B·To, K·C] = im2col(x); y = act(cols·W + b), W [K·C, F]
//   backward (≤ 5): dZ = act'(dY); dW = colsᵀ·dZ; db = Σ_rows dZ; dcols = dZ·Wᵀ; dx = col2im(dcols)
// The input may be batch- or time-major (read and its gradient written in its layout); the
// output is batch-major [B, To, F].
import { encodeCol2im, encodeIm2col, type Conv1dGeometry } from '../kernels/conv1d.js';
import { encodeGemm } from '../kernels/gemm.js';
import { encodeReduceRows } from '../kernels/reduceRows.js';
import type { RunScope } from '../runtime/device.js';
import { formatShape, ShapeError } from '../spec/errors.js';
import { convKernelInitial, initialize } from '../init/initializers.js';
import { Random } from '../init/random.js';
import { resolveConv1dConfig, window1d, type Conv1dConfig, type ResolvedConv1dConfig } from '../spec/convConfig.js';
import { Layer, type Flow, type Regularizer } from './layer.js';
import { encodeActivatedGemm, encodeActivationGradient } from './activatedGemm.js';

interface Conv1dSaved {
  input: Flow;
  geometry: Conv1dGeometry;
  /** [B·To, K·C] */
  cols: GPUBuffer;
  /** [B·To, F] after the activation */
  y: GPUBuffer;
  /** gelu, swish: [B·To, F] the pre-activation */
  z?: GPUBuffer;
}

export class Conv1d extends Layer {
  readonly config: ResolvedConv1dConfig;

  constructor(config: Conv1dConfig) {
    const resolved = resolveConv1dConfig(config);
    super(resolved.name);
    this.config = resolved;
  }

  get filters(): number {
    return this.config.filters;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    this.checkRank(inputShape);
    const { kernelSize, strides, padding, dilationRate } = this.config;
    return [window1d(inputShape[0], kernelSize, strides, padding, this.name, dilationRate).outSteps, this.filters];
  }

  weightShapes(inputShape: readonly number[]): number[][] {
    this.checkRank(inputShape);
    const { kernelSize: K, filters: F } = this.config;
    const C = inputShape[1];
    return this.config.useBias ? [[K, C, F], [F]] : [[K, C, F]];
  }

  protected initialWeights(inputShape: readonly number[]): Float32Array[] {
    const { kernelSize: K, filters: F } = this.config;
    const random = new Random(this.config.seed);
    const values = [convKernelInitial(this.config.kernelInitializer, K, inputShape[1], F, random)];
    if (this.config.useBias) values.push(initialize(this.config.biasInitializer, 1, F, random));
    return values.map((v) => Float32Array.from(v));
  }

  override regularizers(): (Regularizer | undefined)[] {
    return [this.config.kernelRegularizer, ...(this.config.useBias ? [this.config.biasRegularizer] : [])];
  }

  /** Inference: the activation fused into the GEMM's epilogue (gelu and swish too: no backward follows). */
  encode(encoder: GPUCommandEncoder, run: RunScope, input: Flow): Flow {
    return this.encodeForward(encoder, run, input, false).output;
  }

  encodeTrain(encoder: GPUCommandEncoder, run: RunScope, input: Flow): { output: Flow; saved: Conv1dSaved } {
    return this.encodeForward(encoder, run, input, true);
  }

  private encodeForward(encoder: GPUCommandEncoder, run: RunScope, input: Flow, train: boolean): { output: Flow; saved: Conv1dSaved } {
    const gpu = this.requireBuilt();
    const [B, T, C] = this.checkFlow(input);
    const { kernelSize: K, strides: S, padding, filters: F, dilationRate: D } = this.config;
    const { outSteps: To, padBefore: pad } = window1d(T, K, S, padding, this.name, D);
    const geometry: Conv1dGeometry = { B, T, C, To, K, S, pad, D };
    const rows = B * To;
    gpu.checkBindingSize(rows * K * C * 4, `${this.name}: the im2col rows [${rows}, ${K * C}]`);
    gpu.checkBindingSize(rows * F * 4, `${this.name}: the output [${rows}, ${F}]`);
    const cols = run.scratch(rows * K * C * 4, `${this.name}/cols`);
    const y = run.scratch(rows * F * 4, `${this.name}/y`);
    const [kernel, bias] = this.weights;
    const pass = encoder.beginComputePass({ label: this.name });
    encodeIm2col(gpu, pass, run, { ...geometry, x: input.buffer, xOffset: input.offset, timeMajor: input.timeMajor, cols });
    const gemm = { a: cols, b: kernel.buffer, bias: bias?.buffer, y, M: rows, N: F, K: K * C };
    const z = encodeActivatedGemm(gpu, pass, run, gemm, this.config.activation, this.name, train);
    pass.end();
    return { output: { buffer: y, offset: 0, shape: [B, To, F], timeMajor: false }, saved: { input, geometry, cols, y, z } };
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
    const { input, geometry, cols, y, z } = saved as Conv1dSaved;
    const { B, To, K, C } = geometry;
    const F = this.filters;
    const rows = B * To;
    const [kernel, bias] = this.weights;
    const dy = atOffsetZero(encoder, run, dOutput, rows * F);
    const pass = encoder.beginComputePass({ label: `${this.name} backward` });
    const { activation } = this.config;
    const dz = encodeActivationGradient(gpu, pass, run, { activation, y, z, dy, R: rows, C: F, preActivation: dOutput.preActivation }, this.name);
    encodeGemm(gpu, pass, run, { a: cols, transA: true, b: dz, y: grads[0], M: K * C, N: F, K: rows });
    if (bias) encodeReduceRows(gpu, pass, run, { x: dz, y: grads[1], R: rows, N: F });
    let dx: GPUBuffer | undefined;
    if (needInputGrad) {
      const dcols = run.scratch(rows * K * C * 4, `${this.name}/dcols`);
      encodeGemm(gpu, pass, run, { a: dz, b: kernel.buffer, transB: true, y: dcols, M: rows, N: K * C, K: F });
      dx = run.scratch(geometry.B * geometry.T * C * 4, `${this.name}/dx`);
      encodeCol2im(gpu, pass, run, { ...geometry, dcols, dx, timeMajor: input.timeMajor });
    }
    pass.end();
    return dx && { buffer: dx, offset: 0, shape: [...input.shape], timeMajor: input.timeMajor };
  }

  private checkRank(inputShape: readonly number[]): void {
    if (inputShape.length !== 2) throw new ShapeError(`${this.name} expects inputs of shape [batch, steps, channels], got [batch, ${inputShape.join(', ')}].`);
  }

  private checkFlow(input: Flow): [number, number, number] {
    const C = this.inputShape![1];
    if (input.shape.length !== 3 || input.shape[2] !== C) {
      throw new ShapeError(`${this.name} expects inputs [batch, steps, ${C}], got ${formatShape(input.shape)}.`);
    }
    return input.shape as [number, number, number];
  }
}

/** `flow`'s first `count` values at element 0 of a buffer: itself, or a copy when offset. */
export function atOffsetZero(encoder: GPUCommandEncoder, run: RunScope, flow: Flow, count: number): GPUBuffer {
  if (flow.offset === 0) return flow.buffer;
  const copy = run.scratch(count * 4, 'gradient at offset 0');
  encoder.copyBufferToBuffer(flow.buffer, flow.offset * 4, copy, 0, count * 4);
  return copy;
}
