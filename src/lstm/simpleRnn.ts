// The SimpleRNN layer on the GPU: h[t] = act(x[t]·W + h[t-1]·U + b). The input projection
// GEMM over all steps, then one fused step kernel a step, all in one command buffer.
import { encodeSimpleRnnStepsBackward } from '../kernels/simpleRnnStepBackward.js';
import { encodeSimpleRnnStepsForward } from '../kernels/simpleRnnStepForward.js';
import type { RunScope } from '../runtime/device.js';
import { gradientNeedsInput } from '../spec/names.js';
import { RecurrentLayer } from './recurrent.js';
import type { Bptt, CellBackward, RecurrentSequence } from './recurrentTypes.js';
import { resolveSimpleRnnConfig, simpleRnnWeightShapes, type SimpleRnnConfig } from '../spec/recurrentConfig.js';

export class SimpleRnn extends RecurrentLayer {
  protected readonly gates = 1;

  constructor(config: SimpleRnnConfig) {
    super(resolveSimpleRnnConfig(config));
  }

  weightShapes(inputShape: readonly number[]): number[][] {
    return simpleRnnWeightShapes(this.config, inputShape[1]);
  }

  /**
   * The training forward keeps nothing beyond hseq, which every forward writes whole; with gelu
   * or swish also the pre-activations, written over the projection `g` (seq.pre).
   */
  protected encodeSteps(pass: GPUComputePassEncoder, run: RunScope, seq: RecurrentSequence, g: GPUBuffer, keep: boolean): RecurrentSequence {
    const keepPre = keep && gradientNeedsInput(this.config.activation);
    encodeSimpleRnnStepsForward(this.requireBuilt(), pass, run, {
      activation: this.config.activation,
      g,
      keepPre,
      u: this.weights[1].buffer,
      hseq: seq.hseq,
      T: seq.T,
      B: seq.B,
      H: this.units,
      mask: seq.input.mask,
      backwards: this.config.goBackwards,
      recurrentMask: seq.draw?.recurrentMask,
    });
    return keepPre ? { ...seq, pre: g } : seq;
  }

  /** With a mask, `carry` [B, H] holds the dh carried through masked steps (dh0 adds what is left of it). */
  protected prepareBackward(encoder: GPUCommandEncoder, run: RunScope, b: Bptt): CellBackward {
    const { input, hseq, B, T, draw, pre } = b.seq;
    const H = this.units;
    const mask = input.mask;
    const carry = mask ? run.scratch(B * H * 4, `${this.name}/carry`) : undefined;
    if (carry) encoder.clearBuffer(carry);
    return {
      encodeSteps: (pass) =>
        encodeSimpleRnnStepsBackward(this.requireBuilt(), pass, run, {
          activation: this.config.activation,
          dG: b.dG,
          uT: b.uT,
          dY: b.dOutput.buffer,
          dySeq: this.config.returnSequences,
          hseq,
          T,
          B,
          H,
          mask,
          carry,
          pre,
          backwards: this.config.goBackwards,
          recurrentMask: draw?.recurrentMask,
        }),
      finish: (pass) => this.encodeHiddenStateGrad(encoder, run, pass, b, carry),
    };
  }
}
