// The GRU layer on the GPU (Keras 2: gates z, r, h; resetAfter true or false): the input
// projection GEMM over all steps, then the fused step kernel (one dispatch a step with
// resetAfter, two without), all in one command buffer.
import { encodeGemm } from '../kernels/gemm.js';
import { encodeGruStepsBackward } from '../kernels/gruStepBackward.js';
import { encodeGruStepsForward } from '../kernels/gruStepForward.js';
import { encodeReduceRows } from '../kernels/reduceRows.js';
import { encodeTranspose } from '../kernels/transpose.js';
import type { RunScope } from '../runtime/device.js';
import { inputGradientFlow, type Flow } from '../layers/layer.js';
import { RecurrentLayer, type HiddenStateGrad, type RecurrentSequence } from './recurrent.js';
import { inputGradRows, inputRows, type InputGradTarget } from './sequenceOptions.js';
import { gruWeightShapes, resolveGruConfig, type GruConfig, type ResolvedGruConfig } from '../spec/recurrentConfig.js';
import type { DropoutDraw } from './recurrentDropout.js';

/** What the training forward keeps. */
interface GruSequence extends RecurrentSequence {
  /** [T, B, 3H] z, r, n */
  acts?: GPUBuffer;
  /** [T, B, H] m_h = h[t-1]·U_h + b_rec,h (resetAfter) or q = r⊙h[t-1] */
  aux?: GPUBuffer;
}

export class Gru extends RecurrentLayer<ResolvedGruConfig> {
  constructor(config: GruConfig) {
    super(resolveGruConfig(config));
  }

  weightShapes(inputShape: readonly number[]): number[][] {
    return gruWeightShapes(this.config, inputShape[1]);
  }

  protected encodeSequence(
    encoder: GPUCommandEncoder,
    run: RunScope,
    input: Flow,
    stateIn?: GPUBuffer,
    stateOut?: GPUBuffer,
    keep = false,
    draw?: DropoutDraw,
  ): GruSequence {
    const gpu = this.requireBuilt();
    const { B, T, D, H } = this.sequenceDims(input, stateIn, stateOut, 3 * this.units);
    const g = run.scratch(T * B * 3 * H * 4, `${this.name}/gates`);
    const hseq = run.scratch((T + 1) * B * H * 4, `${this.name}/hseq`);
    const acts = keep ? run.scratch(T * B * 3 * H * 4, `${this.name}/acts`) : undefined;
    const aux = keep ? run.scratch(T * B * H * 4, `${this.name}/aux`) : undefined;
    this.encodeInitialState(encoder, hseq, stateIn, B);
    const [kernel, recurrentKernel, bias] = this.weights;
    const pass = encoder.beginComputePass({ label: this.name });
    // a = X·W + b_in: the GEMM reads the bias's first 3H values, its input row with resetAfter.
    encodeGemm(gpu, pass, run, {
      a: input.buffer,
      aOffset: input.offset,
      b: kernel.buffer,
      bias: bias?.buffer,
      y: g,
      M: T * B,
      N: 3 * H,
      K: D,
      ...inputRows(input, T, B, this.config.goBackwards),
    });
    encodeGruStepsForward(gpu, pass, run, {
      g,
      u: recurrentKernel.buffer,
      bias: bias?.buffer,
      hseq,
      acts,
      aux,
      T,
      B,
      H,
      activation: this.config.activation,
      recurrentActivation: this.config.recurrentActivation,
      resetAfter: this.config.resetAfter,
      keep,
      mask: input.mask,
      backwards: this.config.goBackwards,
      recurrentMask: draw?.recurrentMask,
    });
    pass.end();
    this.encodeFinalState(encoder, hseq, stateOut, B, T);
    return { input, hseq, acts, aux, B, T, draw };
  }

  /**
   * BPTT: one transpose of U, the fused backward steps, then over all steps at once
   * dW = Xᵀ·dG, db = Σ dG and (when needed) dX = dG·Wᵀ; with resetAfter dU = Hprevᵀ·dGm and
   * b_rec's gradient Σ dGm; without, dU's z, r columns from Hprev and its h columns from
   * Q = r⊙Hprev (computed transposed, as two GEMMs into one [3H, H] buffer, then transposed).
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
    const { input, hseq, acts, aux, B, T, draw } = saved as GruSequence;
    const { resetAfter } = this.config;
    const H = this.units;
    const H3 = 3 * H;
    const D = input.shape[2];
    const rows = T * B;
    const [kernel, recurrentKernel, bias] = this.weights;
    const dG = run.scratch(rows * H3 * 4, `${this.name}/dG`);
    const dGm = run.scratch(rows * (resetAfter ? H3 : H) * 4, `${this.name}/dGm`);
    const uT = run.scratch(H3 * H * 4, `${this.name}/UT`);
    // With a mask, the mask [B, T] is packed after the carry, and with recurrent dropout its
    // multipliers [B, H] after that (the step kernel's stage is at its 8 storage buffers): one
    // copy each a sequence.
    const mask = input.mask;
    const recurrentMask = draw?.recurrentMask;
    const maskAt = B * H;
    const recurrentMaskAt = maskAt + (mask ? B * T : 0);
    const carry = run.scratch((recurrentMaskAt + (recurrentMask ? B * H : 0)) * 4, `${this.name}/carry`);
    const dX = this.dropoutMasks.inputGradBuffer(run, draw, rows * D * 4, needInputGrad, inputGrad);
    // The cell read h' = h[t-1]⊙m: dU's rows from h[t-1] take h'.
    const hPrev = recurrentMask ? this.dropoutMasks.encodeRecurrent(gpu, encoder, run, hseq, T, B, H, draw!) : hseq;
    const dbRec = resetAfter && bias ? run.scratch(H3 * 4, `${this.name}/dbRec`) : undefined;
    const dUT = resetAfter ? undefined : run.scratch(H3 * H * 4, `${this.name}/dUT`);
    const dUTh = resetAfter ? undefined : run.scratch(H * H * 4, `${this.name}/dUTh`);
    encoder.clearBuffer(carry, 0, B * H * 4);
    if (mask) encoder.copyBufferToBuffer(mask, 0, carry, maskAt * 4, B * T * 4);
    if (recurrentMask) encoder.copyBufferToBuffer(recurrentMask, 0, carry, recurrentMaskAt * 4, B * H * 4);
    let pass = encoder.beginComputePass({ label: `${this.name} backward` });
    encodeTranspose(gpu, pass, run, { x: recurrentKernel.buffer, y: uT, R: H, C: H3 });
    encodeGruStepsBackward(gpu, pass, run, {
      activation: this.config.activation,
      recurrentActivation: this.config.recurrentActivation,
      resetAfter,
      dG,
      dGm,
      uT,
      dY: dOutput.buffer,
      dySeq: this.config.returnSequences,
      hseq,
      acts: acts!,
      aux: aux!,
      carry,
      masked: !!mask,
      recurrentDropout: !!recurrentMask,
      backwards,
      initialStateGrad: !!stateGrads,
      T,
      B,
      H,
    });
    encodeGemm(gpu, pass, run, {
      a: input.buffer,
      aOffset: input.offset,
      transA: true,
      ...inputRows(input, T, B, backwards),
      b: dG,
      y: grads[0],
      M: D,
      N: H3,
      K: rows,
    });
    if (resetAfter) {
      encodeGemm(gpu, pass, run, { a: hPrev, transA: true, b: dGm, y: grads[1], M: H, N: H3, K: rows });
    } else {
      // dUᵀ [3H, H]: rows z, r = dG_{z,r}ᵀ·Hprev, rows h = dGhᵀ·Q (the first GEMM's h rows are
      // overwritten by the second's result below).
      encodeGemm(gpu, pass, run, { a: dG, transA: true, b: hPrev, y: dUT!, M: H3, N: H, K: rows });
      encodeGemm(gpu, pass, run, { a: dGm, transA: true, b: aux!, y: dUTh!, M: H, N: H, K: rows });
    }
    if (bias) encodeReduceRows(gpu, pass, run, { x: dG, y: grads[2], R: rows, N: H3 });
    if (dbRec) encodeReduceRows(gpu, pass, run, { x: dGm, y: dbRec, R: rows, N: H3 });
    if (dX.buffer)
      encodeGemm(gpu, pass, run, {
        a: dG,
        ...inputGradRows(T, B, backwards),
        b: kernel.buffer,
        transB: true,
        y: dX.buffer,
        M: rows,
        N: D,
        K: H3,
        accumulate: dX.accumulate,
      });
    pass.end();
    // The bias [2, 3H]: row 1 (b_rec) from its own column sums.
    if (dbRec) encoder.copyBufferToBuffer(dbRec, 0, grads[2], H3 * 4, H3 * 4);
    if (!resetAfter) {
      encoder.copyBufferToBuffer(dUTh!, 0, dUT!, 2 * H * H * 4, H * H * 4);
      pass = encoder.beginComputePass({ label: `${this.name} dU` });
      encodeTranspose(gpu, pass, run, { x: dUT!, y: grads[1], R: H3, C: H });
      pass.end();
    }
    // The initial state's gradient: the last backward dispatch left it in carry.
    if (stateGrads) encoder.copyBufferToBuffer(carry, 0, stateGrads.h, 0, B * H * 4);
    if (!dX.buffer) return undefined;
    const dXInput = this.dropoutMasks.encodeInputGrad(gpu, encoder, run, dX.buffer, [B, T, D], draw, inputGrad);
    if (inputGrad) return undefined;
    return inputGradientFlow(gpu, encoder, run, dXInput, input);
  }
}
