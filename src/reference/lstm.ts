// The LSTM layer on the CPU: the spec the GPU layer is tested against. Its cell math
// (lstmForwardTrain / lstmBackward) is in backward.ts; the layer's plumbing in recurrent.ts.
import { resolveLstmConfig, lstmWeightShapes, type LstmConfig, type ResolvedLstmConfig } from '../spec/config.js';
import { lstmBackward, lstmForwardTrain, type LstmCache, type LstmWeights } from './backward.js';
import { toBatchMajor, type LstmCellOptions } from './math.js';
import { ReferenceRecurrent, type RecurrentOutputGrad, type RecurrentRun, type ReferenceRecurrentSaved } from './recurrent.js';

export type { LstmWeights };

export interface LstmForwardResult {
  /** [B, T, H] */
  sequence: Float64Array;
  /** [B, H] final states */
  h: Float64Array;
  c: Float64Array;
}

/**
 * The full layer forward: G = X·Wx + b for all steps (time-major rows), then T steps.
 * @param x [B, T, D] batch-major
 */
export function lstmForward(
  x: ArrayLike<number>,
  dims: { B: number; T: number; D: number; H: number },
  weights: LstmWeights,
  options: LstmCellOptions & { initialState?: { h: ArrayLike<number>; c: ArrayLike<number> } },
): LstmForwardResult {
  const { B, T, H } = dims;
  const cache = lstmForwardTrain(x, dims, weights, options);
  // Steps 1 … T of the time-major [T+1, B, H] hseq, batch-major.
  return { sequence: toBatchMajor(cache.hseq.subarray(B * H), B, T, H), h: cache.hseq.slice(T * B * H), c: cache.cseq.slice(T * B * H) };
}

/** What ReferenceLstm.backward needs from its forwardTrain. */
export type LstmSaved = ReferenceRecurrentSaved<LstmCache>;

/** The carried state [B, H] each. */
type LstmState = { h: Float64Array; c: Float64Array };

/** The LSTM layer on the CPU (Keras gate order i, f, c, o), with the configuration and weights of the GPU layer. */
export class ReferenceLstm extends ReferenceRecurrent<ResolvedLstmConfig, LstmCache, LstmState> {
  constructor(config: LstmConfig) {
    super(resolveLstmConfig(config), { gates: 4, withCell: true, weightShapes: lstmWeightShapes });
  }

  /** As the other recurrent layers; unitForgetBias then sets the forget gate's bias to 1. */
  protected override initialWeights(features: number): Float64Array[] {
    const weights = super.initialWeights(features);
    const H = this.config.units;
    if (this.config.useBias && this.config.unitForgetBias) weights[2].fill(1, H, 2 * H);
    return weights;
  }

  protected forwardSequence({ x, dims, weights, mask, recurrentMask }: RecurrentRun, start: LstmState | undefined): LstmCache {
    return lstmForwardTrain(x, dims, weights, { ...this.config, initialState: start, mask, recurrentMask });
  }

  protected override finalState(cache: LstmCache, at: number): LstmState {
    return { h: cache.hseq.slice(at), c: cache.cseq.slice(at) };
  }

  protected backwardSequence({ x, dims, weights, mask, recurrentMask }: RecurrentRun, cache: LstmCache, dY: RecurrentOutputGrad) {
    return lstmBackward(x, dims, weights, this.config, cache, dY, {}, mask, recurrentMask);
  }
}
