// The GRU layer on the GPU (Keras 2: gates z, r, h; resetAfter true or false): the input
// projection GEMM over all steps, then the fused step kernel (one dispatch a step with
// resetAfter, two without), all in one command buffer.
import { encodeGemm } from '../kernels/gemm.js';
import { encodeGruStepsBackward } from '../kernels/gruStepBackward.js';
import { encodeGruStepsForward } from '../kernels/gruStepForward.js';
import { encodeReduceRows } from '../kernels/reduceRows.js';
import { encodeTranspose } from '../kernels/transpose.js';
import type { RunScope } from '../runtime/device.js';
import { RecurrentLayer } from './recurrent.js';
import type { Bptt, CellBackward, RecurrentSequence } from './recurrentTypes.js';
import { gruWeightShapes, resolveGruConfig, type GruConfig, type ResolvedGruConfig } from '../spec/recurrentConfig.js';

/** What the training forward keeps. */
interface GruSequence extends RecurrentSequence {
  /** [T, B, 3H] z, r, n */
  acts?: GPUBuffer;
  /** [T, B, H] m_h = h[t-1]·U_h + b_rec,h (resetAfter) or q = r⊙h[t-1] */
  aux?: GPUBuffer;
}

export class Gru extends RecurrentLayer<ResolvedGruConfig> {
  protected readonly gates = 3;

  constructor(config: GruConfig) {
    super(resolveGruConfig(config));
  }

  weightShapes(inputShape: readonly number[]): number[][] {
    return gruWeightShapes(this.config, inputShape[1]);
  }

  /** The projection a = X·W + b_in read the bias's first 3H values (its input row with resetAfter). */
  protected encodeSteps(pass: GPUComputePassEncoder, run: RunScope, seq: RecurrentSequence, g: GPUBuffer, keep: boolean): GruSequence {
    const { B, T } = seq;
    const H = this.units;
    const acts = keep ? run.scratch(T * B * 3 * H * 4, `${this.name}/acts`) : undefined;
    const aux = keep ? run.scratch(T * B * H * 4, `${this.name}/aux`) : undefined;
    const [, recurrentKernel, bias] = this.weights;
    encodeGruStepsForward(this.requireBuilt(), pass, run, {
      g,
      u: recurrentKernel.buffer,
      bias: bias?.buffer,
      hseq: seq.hseq,
      acts,
      aux,
      T,
      B,
      H,
      activation: this.config.activation,
      recurrentActivation: this.config.recurrentActivation,
      resetAfter: this.config.resetAfter,
      keep,
      mask: seq.input.mask,
      backwards: this.config.goBackwards,
      recurrentMask: seq.draw?.recurrentMask,
    });
    return { ...seq, acts, aux };
  }

  /**
   * The fused backward steps also write dGm; with resetAfter dU = Hprevᵀ·dGm and b_rec's
   * gradient Σ dGm; without, dU's z, r columns from Hprev and its h columns from Q = r⊙Hprev
   * (computed transposed, as two GEMMs into one [3H, H] buffer, then transposed). The initial
   * state's gradient: the last backward dispatch leaves it in carry.
   */
  protected prepareBackward(encoder: GPUCommandEncoder, run: RunScope, b: Bptt): CellBackward {
    const gpu = this.requireBuilt();
    const { input, hseq, acts, aux, B, T, draw } = b.seq as GruSequence;
    const { resetAfter } = this.config;
    const H = this.units;
    const H3 = 3 * H;
    const rows = T * B;
    const bias = this.weights[2];
    const dGm = run.scratch(rows * (resetAfter ? H3 : H) * 4, `${this.name}/dGm`);
    // With a mask, the mask [B, T] is packed after the carry, and with recurrent dropout its
    // multipliers [B, H] after that (the step kernel's stage is at its 8 storage buffers): one
    // copy each a sequence.
    const mask = input.mask;
    const recurrentMask = draw?.recurrentMask;
    const maskAt = B * H;
    const recurrentMaskAt = maskAt + (mask ? B * T : 0);
    const carry = run.scratch((recurrentMaskAt + (recurrentMask ? B * H : 0)) * 4, `${this.name}/carry`);
    const dbRec = resetAfter && bias ? run.scratch(H3 * 4, `${this.name}/dbRec`) : undefined;
    const dUT = resetAfter ? undefined : run.scratch(H3 * H * 4, `${this.name}/dUT`);
    const dUTh = resetAfter ? undefined : run.scratch(H * H * 4, `${this.name}/dUTh`);
    encoder.clearBuffer(carry, 0, B * H * 4);
    if (mask) encoder.copyBufferToBuffer(mask, 0, carry, maskAt * 4, B * T * 4);
    if (recurrentMask) encoder.copyBufferToBuffer(recurrentMask, 0, carry, recurrentMaskAt * 4, B * H * 4);
    return {
      encodeSteps: (pass) =>
        encodeGruStepsBackward(gpu, pass, run, {
          activation: this.config.activation,
          recurrentActivation: this.config.recurrentActivation,
          resetAfter,
          dG: b.dG,
          dGm,
          uT: b.uT,
          dY: b.dOutput.buffer,
          dySeq: this.config.returnSequences,
          hseq,
          acts: acts!,
          aux: aux!,
          carry,
          masked: !!mask,
          recurrentDropout: !!recurrentMask,
          backwards: this.config.goBackwards,
          initialStateGrad: !!b.stateGrads,
          T,
          B,
          H,
        }),
      encodeRecurrentGrad: (pass) => {
        if (resetAfter) {
          encodeGemm(gpu, pass, run, { a: b.hPrev, transA: true, b: dGm, y: b.grads[1], M: H, N: H3, K: rows });
        } else {
          // dUᵀ [3H, H]: rows z, r = dG_{z,r}ᵀ·Hprev, rows h = dGhᵀ·Q (the first GEMM's h rows
          // are overwritten by the second's result in finish).
          encodeGemm(gpu, pass, run, { a: b.dG, transA: true, b: b.hPrev, y: dUT!, M: H3, N: H, K: rows });
          encodeGemm(gpu, pass, run, { a: dGm, transA: true, b: aux!, y: dUTh!, M: H, N: H, K: rows });
        }
        if (dbRec) encodeReduceRows(gpu, pass, run, { x: dGm, y: dbRec, R: rows, N: H3 });
      },
      finish: (pass) => {
        pass.end();
        // The bias [2, 3H]: row 1 (b_rec) from its own column sums.
        if (dbRec) encoder.copyBufferToBuffer(dbRec, 0, b.grads[2], H3 * 4, H3 * 4);
        if (!resetAfter) {
          encoder.copyBufferToBuffer(dUTh!, 0, dUT!, 2 * H * H * 4, H * H * 4);
          const transpose = encoder.beginComputePass({ label: `${this.name} dU` });
          encodeTranspose(gpu, transpose, run, { x: dUT!, y: b.grads[1], R: H3, C: H });
          transpose.end();
        }
        if (b.stateGrads) encoder.copyBufferToBuffer(carry, 0, b.stateGrads.h, 0, B * H * 4);
      },
    };
  }
}
