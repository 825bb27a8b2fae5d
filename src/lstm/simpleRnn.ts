// The SimpleRNN layer on the GPU: h[t] = act(x[t]·W + h[t-1]·U + b). The input projection
// GEMM over all steps, then one fused step kernel a step, all in one command buffer.
import { encodeGemm } from '../kernels/gemm.js';
import { encodeReduceRows } from '../kernels/reduceRows.js';
import { encodeSimpleRnnStepsBackward } from '../kernels/simpleRnnStepBackward.js';
import { encodeSimpleRnnStepsForward } from '../kernels/simpleRnnStepForward.js';
import { encodeTranspose } from '../kernels/transpose.js';
import type { RunScope } from '../runtime/device.js';
import { inputGradientFlow, type Flow } from '../layers/layer.js';
import { RecurrentLayer, type HiddenStateGrad, type RecurrentSequence } from './recurrent.js';
import { inputGradRows, inputRows, type InputGradTarget } from './sequenceOptions.js';
import { resolveSimpleRnnConfig, simpleRnnWeightShapes, type SimpleRnnConfig } from '../spec/recurrentConfig.js';
import type { DropoutDraw } from './recurrentDropout.js';

export class SimpleRnn extends RecurrentLayer {
  constructor(config: SimpleRnnConfig) {
    super(resolveSimpleRnnConfig(config));
  }

  weightShapes(inputShape: readonly number[]): number[][] {
    return simpleRnnWeightShapes(this.config, inputShape[1]);
  }

  /** The training forward keeps nothing beyond hseq, which every forward writes whole. */
  protected encodeSequence(
    encoder: GPUCommandEncoder,
    run: RunScope,
    input: Flow,
    stateIn?: GPUBuffer,
    stateOut?: GPUBuffer,
    _keep?: boolean,
    draw?: DropoutDraw,
  ): RecurrentSequence {
    const gpu = this.requireBuilt();
    const { B, T, D, H } = this.sequenceDims(input, stateIn, stateOut, this.units);
    const g = run.scratch(T * B * H * 4, `${this.name}/pre-activations`);
    const hseq = run.scratch((T + 1) * B * H * 4, `${this.name}/hseq`);
    this.encodeInitialState(encoder, hseq, stateIn, B);
    const [kernel, recurrentKernel, bias] = this.weights;
    const pass = encoder.beginComputePass({ label: this.name });
    encodeGemm(gpu, pass, run, {
      a: input.buffer,
      aOffset: input.offset,
      b: kernel.buffer,
      bias: bias?.buffer,
      y: g,
      M: T * B,
      N: H,
      K: D,
      ...inputRows(input, T, B, this.config.goBackwards),
    });
    encodeSimpleRnnStepsForward(gpu, pass, run, {
      activation: this.config.activation,
      g,
      u: recurrentKernel.buffer,
      hseq,
      T,
      B,
      H,
      mask: input.mask,
      backwards: this.config.goBackwards,
      recurrentMask: draw?.recurrentMask,
    });
    pass.end();
    this.encodeFinalState(encoder, hseq, stateOut, B, T);
    return { input, hseq, B, T, draw };
  }

  /**
   * BPTT: one transpose of U, T fused backward steps, then over all steps at once
   * dW = Xᵀ·dG, dU = Hprevᵀ·dG, db = Σ dG and (when needed) dX = dG·Wᵀ, dh0 = dG[0]·Uᵀ.
   * Everything runs in processing order; with goBackwards the GEMMs that touch X or dX read
   * dG's step t as input step T−1−t. With `inputGrad`, dX is written (or added) there,
   * time-major in the input's step order, and nothing is returned.
   */
  encodeBackward(
    encoder: GPUCommandEncoder,
    run: RunScope,
    saved: unknown,
    dOutput: Flow,
    grads: readonly GPUBuffer[],
    needInputGrad: boolean,
    stateGrads?: HiddenStateGrad,
    inputGrad?: InputGradTarget,
  ): Flow | undefined {
    const gpu = this.requireBuilt();
    const backwards = this.config.goBackwards;
    const { input, hseq, B, T, draw } = saved as RecurrentSequence;
    const H = this.units;
    const D = input.shape[2];
    const rows = T * B;
    const [kernel, recurrentKernel, bias] = this.weights;
    const dG = run.scratch(rows * H * 4, `${this.name}/dG`);
    const uT = run.scratch(H * H * 4, `${this.name}/UT`);
    const dX = this.dropoutMasks.inputGradBuffer(run, draw, rows * D * 4, needInputGrad, inputGrad);
    const recurrentMask = draw?.recurrentMask;
    // The recurrent matmul multiplied h[t-1]⊙m: dU = (Hprev⊙m)ᵀ·dG.
    const hPrev = recurrentMask ? this.dropoutMasks.encodeRecurrent(gpu, encoder, run, hseq, T, B, H, draw!) : hseq;
    // With a mask, the dh carried through masked steps (dh0 adds what is left of it).
    const mask = input.mask;
    const carry = mask ? run.scratch(B * H * 4, `${this.name}/carry`) : undefined;
    if (carry) encoder.clearBuffer(carry);
    const pass = encoder.beginComputePass({ label: `${this.name} backward` });
    encodeTranspose(gpu, pass, run, { x: recurrentKernel.buffer, y: uT, R: H, C: H });
    encodeSimpleRnnStepsBackward(gpu, pass, run, {
      activation: this.config.activation,
      dG,
      uT,
      dY: dOutput.buffer,
      dySeq: this.config.returnSequences,
      hseq,
      T,
      B,
      H,
      mask,
      carry,
      backwards,
      recurrentMask,
    });
    encodeGemm(gpu, pass, run, {
      a: input.buffer,
      aOffset: input.offset,
      transA: true,
      ...inputRows(input, T, B, backwards),
      b: dG,
      y: grads[0],
      M: D,
      N: H,
      K: rows,
    });
    encodeGemm(gpu, pass, run, { a: hPrev, transA: true, b: dG, y: grads[1], M: H, N: H, K: rows });
    if (bias) encodeReduceRows(gpu, pass, run, { x: dG, y: grads[2], R: rows, N: H });
    if (dX.buffer)
      encodeGemm(gpu, pass, run, {
        a: dG,
        ...inputGradRows(T, B, backwards),
        b: kernel.buffer,
        transB: true,
        y: dX.buffer,
        M: rows,
        N: D,
        K: H,
        accumulate: dX.accumulate,
      });
    if (stateGrads) {
      this.dropoutMasks.encodeInitialStateGrad(gpu, encoder, run, pass, {
        target: stateGrads.h,
        B,
        H,
        draw,
        carried: carry,
        encodeProduct: (p, y, accumulate) => encodeGemm(gpu, p, run, { a: dG, b: recurrentKernel.buffer, transB: true, y, M: B, N: H, K: H, accumulate }),
      });
    } else pass.end();
    if (!dX.buffer) return undefined;
    const dXInput = this.dropoutMasks.encodeInputGrad(gpu, encoder, run, dX.buffer, [B, T, D], draw, inputGrad);
    if (inputGrad) return undefined;
    return inputGradientFlow(gpu, encoder, run, dXInput, input);
  }
}
