// The LSTM layer on the GPU: input projection GEMM over all steps, then one fused step kernel a
// step, all in one command buffer. State: h and the cell state c.
import { encodeLstmStepsBackward } from '../kernels/lstmStepBackward.js';
import { encodeLstmStepsForward } from '../kernels/lstmStepForward.js';
import type { RunScope } from '../runtime/device.js';
import type { Tensor } from '../runtime/tensor.js';
import { lstmWeightShapes, resolveLstmConfig, type LstmConfig, type ResolvedLstmConfig } from '../spec/config.js';
import type { RecurrentState } from '../layers/layer.js';
import { RecurrentLayer } from './recurrent.js';
import type { Bptt, CellBackward, RecurrentSequence, StateTypes } from './recurrentTypes.js';

/** An LSTM's state in its API: [h0, c0], [h, c] and {h, c}, each [batch, units]. */
export interface LstmStateTypes extends StateTypes {
  initial: [Tensor, Tensor];
  values: [Float32Array, Float32Array];
  grad: RecurrentState;
}

/** What the training forward keeps. */
interface LstmSequence extends RecurrentSequence {
  /** [T+1, B, H], slot 0 = c0 */
  c: GPUBuffer;
  /** [T, B, 4H] activated gates */
  acts?: GPUBuffer;
}

export class Lstm extends RecurrentLayer<ResolvedLstmConfig, LstmStateTypes> {
  protected readonly gates = 4;

  constructor(config: LstmConfig) {
    super(resolveLstmConfig(config), true);
  }

  weightShapes(inputShape: readonly number[]): number[][] {
    return lstmWeightShapes(this.config, inputShape[1]);
  }

  /** With unitForgetBias, the forget gate's bias (columns H..2H) starts at 1. */
  protected override initialWeights(inputShape: readonly number[]): Float32Array[] {
    const weights = super.initialWeights(inputShape);
    const H = this.units;
    if (this.config.useBias && this.config.unitForgetBias) weights[2].fill(1, H, 2 * H);
    return weights;
  }

  protected encodeSteps(pass: GPUComputePassEncoder, run: RunScope, seq: RecurrentSequence, g: GPUBuffer, keep: boolean): LstmSequence {
    const { B, T } = seq;
    const H = this.units;
    const acts = keep ? run.scratch(T * B * 4 * H * 4, `${this.name}/acts`) : undefined;
    encodeLstmStepsForward(this.requireBuilt(), pass, run, {
      g,
      wh: this.weights[1].buffer,
      hseq: seq.hseq,
      cseq: seq.c!,
      acts,
      T,
      B,
      H,
      activation: this.config.activation,
      recurrentActivation: this.config.recurrentActivation,
      keep,
      mask: seq.input.mask,
      backwards: this.config.goBackwards,
      recurrentMask: seq.draw?.recurrentMask,
    });
    return { ...seq, c: seq.c!, acts };
  }

  /**
   * dc [B, H] (with a mask, [2, B, H]: the second half carries dh through masked steps) starts
   * at `finalCellGrad` or 0; after step 0 it is dc0. dh0 = (dG[0]·Whᵀ)⊙m (+ the dh carried).
   */
  protected prepareBackward(encoder: GPUCommandEncoder, run: RunScope, b: Bptt<LstmStateTypes>): CellBackward {
    const { input, c: cseq, acts, B, T, draw } = b.seq as LstmSequence;
    const H = this.units;
    const mask = input.mask;
    const dc = run.scratch((mask ? 2 : 1) * B * H * 4, `${this.name}/dc`);
    if (b.finalCellGrad) {
      encoder.copyBufferToBuffer(b.finalCellGrad, 0, dc, 0, B * H * 4);
      if (mask) encoder.clearBuffer(dc, B * H * 4, B * H * 4);
    } else encoder.clearBuffer(dc);
    return {
      encodeSteps: (pass) =>
        encodeLstmStepsBackward(this.requireBuilt(), pass, run, {
          activation: this.config.activation,
          recurrentActivation: this.config.recurrentActivation,
          dG: b.dG,
          whT: b.uT,
          dY: b.dOutput.buffer,
          dySeq: this.config.returnSequences,
          acts: acts!,
          cseq,
          dc,
          T,
          B,
          H,
          mask,
          backwards: this.config.goBackwards,
          recurrentMask: draw?.recurrentMask,
        }),
      finish: (pass) => {
        this.encodeHiddenStateGrad(encoder, run, pass, b, mask && dc, B * H);
        if (b.stateGrads) encoder.copyBufferToBuffer(dc, 0, b.stateGrads.c, 0, B * H * 4);
      },
    };
  }
}
