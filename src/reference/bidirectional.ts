// The Bidirectional wrapper on the CPU in Float64, the spec of lstm/bidirectional: a forward
// copy and a goBackwards copy of the wrapped layer's configuration; the backward direction's
// output sequence is reversed back to the input's step order, then merged.
import { RnnError } from '../spec/errors.js';
import { ReferenceGru } from './gru.js';
import { ReferenceLstm } from './lstm.js';
import { reverseSteps } from './sequenceOptions.js';
import { ReferenceSimpleRnn } from './simpleRnn.js';
import { cpuTensor, type CpuTensor } from './tensor.js';

export type ReferenceMergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;
export type ReferenceWrappable = ReferenceLstm | ReferenceGru | ReferenceSimpleRnn;

let counter = 0;

function recreate(layer: ReferenceWrappable, overrides: { name: string; goBackwards: boolean; seed: number | undefined }): ReferenceWrappable {
  if (layer instanceof ReferenceLstm) return new ReferenceLstm({ ...layer.config, ...overrides });
  if (layer instanceof ReferenceGru) return new ReferenceGru({ ...layer.config, ...overrides });
  return new ReferenceSimpleRnn({ ...layer.config, ...overrides });
}

/** y = merge(f, r) elementwise over [rows, H] (concat: [rows, 2H]). */
export function mergeOutputs(mode: Exclude<ReferenceMergeMode, null>, f: Float64Array, r: Float64Array, H: number): Float64Array {
  const rows = f.length / H;
  if (mode === 'concat') {
    const y = new Float64Array(rows * 2 * H);
    for (let i = 0; i < rows; i++) {
      y.set(f.subarray(i * H, (i + 1) * H), i * 2 * H);
      y.set(r.subarray(i * H, (i + 1) * H), i * 2 * H + H);
    }
    return y;
  }
  return f.map((v, i) => (mode === 'sum' ? v + r[i] : mode === 'mul' ? v * r[i] : (v + r[i]) / 2));
}

/** The gradients of merge's inputs f and r from dY. */
export function mergeBackward(
  mode: Exclude<ReferenceMergeMode, null>,
  dY: ArrayLike<number>,
  f: Float64Array,
  r: Float64Array,
  H: number,
): { dF: Float64Array; dR: Float64Array } {
  const rows = f.length / H;
  const dF = new Float64Array(rows * H);
  const dR = new Float64Array(rows * H);
  for (let i = 0; i < rows * H; i++) {
    if (mode === 'concat') {
      const [row, j] = [Math.floor(i / H), i % H];
      dF[i] = dY[row * 2 * H + j];
      dR[i] = dY[row * 2 * H + H + j];
    } else if (mode === 'sum') [dF[i], dR[i]] = [dY[i], dY[i]];
    else if (mode === 'mul') [dF[i], dR[i]] = [dY[i] * r[i], dY[i] * f[i]];
    else [dF[i], dR[i]] = [dY[i] / 2, dY[i] / 2];
  }
  return { dF, dR };
}

/** Zeros steps t of b where mask[b, t] = 0 in each [B, T, H] batch-major array (in place). */
function zeroMaskedSteps(arrays: Float64Array[], mask: ArrayLike<number>, B: number, T: number, H: number): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) if (mask[b * T + t] === 0) for (const a of arrays) a.fill(0, (b * T + t) * H, (b * T + t + 1) * H);
  }
}

export class ReferenceBidirectional {
  readonly config: { mergeMode: ReferenceMergeMode; inputShape?: readonly [number | null, number]; name: string };
  readonly forwardLayer: ReferenceWrappable;
  readonly backwardLayer: ReferenceWrappable;

  constructor(config: { layer: ReferenceWrappable; mergeMode?: ReferenceMergeMode; inputShape?: readonly [number | null, number]; name?: string }) {
    const inner = config.layer;
    if (!(inner instanceof ReferenceLstm || inner instanceof ReferenceGru || inner instanceof ReferenceSimpleRnn)) {
      throw new RnnError('reference bidirectional wraps a reference lstm, gru or simpleRNN.');
    }
    const mergeMode = config.mergeMode === undefined ? 'concat' : config.mergeMode;
    this.config = { mergeMode, inputShape: config.inputShape ?? inner.config.inputShape, name: config.name ?? `bidirectional_${++counter}` };
    const { seed, goBackwards } = inner.config;
    const name = inner.config.name;
    this.forwardLayer = recreate(inner, { name: `forward_${name}`, goBackwards, seed });
    this.backwardLayer = recreate(inner, { name: `backward_${name}`, goBackwards: !goBackwards, seed: seed === undefined ? undefined : seed + 1 });
    if (this.config.inputShape) this.build(this.config.inputShape[1]);
  }

  get units(): number {
    return this.forwardLayer.config.units;
  }

  get returnSequences(): boolean {
    return this.forwardLayer.config.returnSequences;
  }

  /** Features of the merged output. */
  get outputUnits(): number {
    return this.config.mergeMode === 'concat' ? 2 * this.units : this.units;
  }

  build(features: number): void {
    this.forwardLayer.build(features);
    this.backwardLayer.build(features);
  }

  weightCount(): number {
    return this.forwardLayer.weightCount() + this.backwardLayer.weightCount();
  }

  getWeights(): Float64Array[] {
    return [...this.forwardLayer.getWeights(), ...this.backwardLayer.getWeights()];
  }

  setWeights(weights: readonly ArrayLike<number>[]): void {
    const n = this.forwardLayer.weightCount();
    if (weights.length !== this.weightCount()) throw new RnnError(`${this.config.name} has ${this.weightCount()} weights, got ${weights.length}.`);
    this.forwardLayer.setWeights(weights.slice(0, n));
    this.backwardLayer.setWeights(weights.slice(n));
  }

  regularizers() {
    return [...this.forwardLayer.regularizers(), ...this.backwardLayer.regularizers()];
  }

  resetStates(): void {
    this.forwardLayer.resetStates();
    this.backwardLayer.resetStates();
  }

  /**
   * Both directions and the merge. x: [B, T, D]. The backward direction's sequence is reversed
   * back to the input's step order before the merge (a last-step output is its final state).
   */
  forwardTrain(x: CpuTensor, training = true, mask?: ArrayLike<number>) {
    const mode = this.config.mergeMode;
    if (mode === null) throw new RnnError(`${this.config.name} has mergeMode null: forwardTrain gives one merged output; use apply(x).`);
    const { f, r, forward, backward } = this.directions(x, training, mask);
    const H = this.units;
    const y = cpuTensor(mergeOutputs(mode, f.data, r.data, H), [...f.shape.slice(0, -1), this.outputUnits]);
    return { y, saved: { x, forward: forward.saved, backward: backward.saved, f: f.data, r: r.data, mask } };
  }

  /** Gradients of the weights (forward's, then backward's) and of the input [B, T, D]. */
  backward(saved: ReturnType<ReferenceBidirectional['forwardTrain']>['saved'], dY: Float64Array): { grads: Float64Array[]; dX: Float64Array } {
    const H = this.units;
    const [B, T] = saved.x.shape;
    const { dF, dR } = mergeBackward(this.config.mergeMode!, dY, saved.f, saved.r, H);
    const sequences = this.forwardLayer.config.returnSequences;
    // Masked steps of a sequence output are constant zeros: no gradient flows through them.
    if (sequences && saved.mask) zeroMaskedSteps([dF, dR], saved.mask, B, T, H);
    const f = (this.forwardLayer as ReferenceLstm).backward(saved.forward as never, dF);
    // dR is in the input's step order; the backward direction's output is in its own.
    const b = (this.backwardLayer as ReferenceLstm).backward(saved.backward as never, sequences ? reverseSteps(dR, B, T, H) : dR);
    return { grads: [...f.grads, ...b.grads], dX: f.dX.map((v, i) => v + b.dX[i]) };
  }

  /**
   * x: [B, T, D]. The merged output, or with mergeMode null [forward output, backward output].
   * With a mask [B, T], each direction skips the masked steps, and a sequence output is zeros
   * there (Keras's Bidirectional).
   */
  apply(x: CpuTensor, options: { mask?: ArrayLike<number> } = {}): CpuTensor | CpuTensor[] {
    if (this.config.mergeMode !== null) return this.forwardTrain(x, false, options.mask).y;
    const { f, r } = this.directions(x, false, options.mask);
    return [f, r];
  }

  /** The directions' outputs, the backward one's sequence in the input's step order. */
  private directions(x: CpuTensor, training: boolean, mask?: ArrayLike<number>) {
    const forward = (this.forwardLayer as ReferenceLstm).forwardTrain(x, undefined, mask, training);
    const backward = (this.backwardLayer as ReferenceLstm).forwardTrain(x, undefined, mask, training);
    const r = backward.y;
    const sequence = r.shape.length === 3;
    const reversed = sequence ? cpuTensor(reverseSteps(r.data, r.shape[0], r.shape[1], r.shape[2]), r.shape) : r;
    const f = sequence && mask ? cpuTensor(forward.y.data.slice(), forward.y.shape) : forward.y;
    if (sequence && mask) zeroMaskedSteps([f.data, reversed.data], mask, r.shape[0], r.shape[1], r.shape[2]);
    return { f, r: reversed, forward, backward };
  }
}
