// One step of training or evaluation encoded into a command buffer: the batch gathered, the
// layers' forward, the loss (weighted by the rows' sample or class weights when given, and
// over the unmasked steps of a masked sequence output), and
// unless evaluating the backward and, to update, the gradient control and the optimizer.
import { encodeActivation } from '../kernels/activation.js';
import { encodeGatherRows } from '../kernels/gatherRows.js';
import { encodeLoss, type HeadActivation, type LossName, type MetricName } from '../kernels/loss.js';
import { encodeMaskWeights } from '../kernels/maskWeights.js';
import { encodeSoftmax } from '../kernels/softmax.js';
import { Activation } from '../layers/activation.js';
import { Dense } from '../layers/dense.js';
import { Embedding } from '../layers/embedding.js';
import type { Flow, RecurrentState } from '../layers/layer.js';
import { TimeDistributed } from '../layers/timeDistributed.js';
import type { RunScope } from '../runtime/device.js';
import type { Tensor } from '../runtime/tensor.js';
import type { OptimizerState } from './optimizerState.js';
import { contiguous, type Data, sequenceSteps, type Window } from './trainingData.js';
import type { Trainable } from './trainingTypes.js';

/** What a step encodes with. */
export interface StepContext {
  model: Trainable;
  loss: LossName;
  metrics: readonly MetricName[];
  /** The outputs are logits: the loss takes their sigmoid / softmax. */
  fromLogits: boolean;
  /** Every layer's weights, in Keras order. */
  weights: readonly Tensor[];
  state: OptimizerState;
}

/** The activation of the model's last layer (a TimeDistributed's own): sigmoid and softmax fuse with their cross-entropy. */
export function headActivation(model: Trainable): HeadActivation {
  let last = model.layers[model.layers.length - 1];
  while (last instanceof TimeDistributed) last = last.layer;
  return last instanceof Dense || last instanceof Activation ? last.config.activation : 'linear';
}

/**
 * Encodes one step on the samples order[start … start+size), steps of `window`: gather,
 * forward, and unless 'forward' the loss into stats[statsIndex…]; with 'update' or
 * 'gradients' the backward, and with 'update' the gradient control and the optimizer.
 * Returns the gradient buffers (valid until the submit).
 */
export function encodeTrainingStep(
  ctx: StepContext,
  encoder: GPUCommandEncoder,
  run: RunScope,
  data: Data,
  idx: GPUBuffer,
  start: number,
  size: number,
  stats: GPUBuffer,
  statsIndex: number,
  mode: 'update' | 'gradients' | 'evaluate' | 'forward',
  window?: Window,
  carry?: (RecurrentState | undefined)[],
): GPUBuffer[] {
  const gpu = ctx.model.gpu;
  const layers = ctx.model.layers;
  const tokenIds = layers[0] instanceof Embedding;
  const xSteps = sequenceSteps(data.xShape, layers[0]);
  const { t0, steps } = window ?? { t0: 0, steps: xSteps };
  // Token ids [N, T] are gathered as [N, T, 1]: a window of steps is a slice of each row.
  const xFeatures = tokenIds ? 1 : data.xShape[data.xShape.length - 1];
  const xBatch = run.scratch(size * steps * xFeatures * 4, 'x batch');
  let pass = encoder.beginComputePass({ label: 'gather x' });
  encodeGatherRows(gpu, pass, run, { src: data.x.buffer, idx, out: xBatch, start, B: size, T: steps, F: xFeatures, timeMajor: false, srcT: xSteps, t0 });
  pass.end();

  // 'forward' windows (truncated BPTT chunks that only carry the state) occur only in
  // training: they run the training forward too (dropout masks, steps).
  const training = mode !== 'evaluate';
  const saved: unknown[] = [];
  const xShape = tokenIds ? [steps] : data.xShape.length === 2 ? [steps, xFeatures] : data.xShape;
  let flow: Flow = { buffer: xBatch, offset: 0, shape: [size, ...xShape], timeMajor: false };
  layers.forEach((layer, i) => {
    if (training) {
      const step = layer.encodeTrain(encoder, run, flow, carry?.[i]);
      saved.push(step.saved);
      flow = step.output;
    } else flow = layer.encode(encoder, run, flow, carry?.[i]);
  });
  if (mode === 'forward') return [];
  const out = contiguous(encoder, run, flow);
  const cols = out.shape[out.shape.length - 1];
  const rows = out.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const yPerStep = data.yPerSample / data.ySteps;
  // A sequence target has x's steps, or a window of them; a model whose output sequence
  // differs from x's steps (an encoder–decoder) takes all its steps in one window.
  const ySteps = data.ySteps > 1 ? (steps === xSteps ? data.ySteps : steps) : 1;
  const yBatch = run.scratch(size * ySteps * yPerStep * 4, 'y batch');
  const grad = run.scratch(rows * cols * 4, 'loss gradient');
  // From logits: the loss sees their sigmoid / softmax and gives d(loss)/d(logits), the gradient
  // of the model's output itself.
  const probabilities = ctx.fromLogits ? (ctx.loss === 'binaryCrossentropy' ? 'sigmoid' : 'softmax') : undefined;
  const yPred = probabilities ? run.scratch(rows * cols * 4, 'probabilities') : out.buffer;
  if (probabilities === 'softmax') encoder.copyBufferToBuffer(out.buffer, 0, yPred, 0, rows * cols * 4);
  pass = encoder.beginComputePass({ label: 'loss' });
  if (probabilities === 'softmax') encodeSoftmax(gpu, pass, run, { x: yPred, rows, cols });
  if (probabilities === 'sigmoid') encodeActivation(gpu, pass, run, { activation: 'sigmoid', x: out.buffer, y: yPred, n: rows * cols });
  encodeGatherRows(gpu, pass, run, {
    src: data.y.buffer,
    idx,
    out: yBatch,
    start,
    B: size,
    T: ySteps,
    F: yPerStep,
    timeMajor: out.timeMajor,
    srcT: data.ySteps,
    t0: data.ySteps > 1 ? t0 : 0,
  });
  let weights: GPUBuffer | undefined;
  if (data.w) {
    // One weight a loss row, gathered in the rows' order as the targets are.
    weights = run.scratch(size * ySteps * 4, 'row weights');
    encodeGatherRows(gpu, pass, run, {
      src: data.w.buffer,
      idx,
      out: weights,
      start,
      B: size,
      T: ySteps,
      F: 1,
      timeMajor: out.timeMajor,
      srcT: data.ySteps,
      t0: data.ySteps > 1 ? t0 : 0,
    });
  }
  // A masked sequence output (Keras 3): masked steps weigh 0, the rest rows/Σm, so the loss and
  // the metrics are means over the unmasked steps.
  let metricWeights: GPUBuffer | undefined;
  if (out.mask && out.shape.length === 3) {
    const [B, T] = out.shape;
    const lossWeights = run.scratch(rows * 4, 'masked loss weights');
    metricWeights = run.scratch(rows * 4, 'masked metric weights');
    encodeMaskWeights(gpu, pass, run, { mask: out.mask, sampleWeights: weights, lossWeights, metricWeights, B, T, timeMajor: out.timeMajor });
    weights = lossWeights;
  }
  const { gradIsPreActivation } = encodeLoss(gpu, pass, run, {
    loss: ctx.loss,
    metrics: ctx.metrics,
    yPred,
    yTrue: yBatch,
    rows,
    cols,
    headActivation: probabilities ?? headActivation(ctx.model),
    weights,
    metricWeights,
    grad,
    out: stats,
    outIndex: statsIndex,
  });
  pass.end();
  if (!training) return [];

  const grads = ctx.weights.map((w) => run.scratch(w.byteLength, 'gradient'));
  let at = ctx.weights.length;
  let dFlow: (Flow & { preActivation?: boolean }) | undefined = { ...out, buffer: grad, offset: 0, preActivation: gradIsPreActivation && !probabilities };
  for (let i = layers.length - 1; i >= 0; i--) {
    const count = layers[i].weightTensors.length;
    at -= count;
    dFlow = layers[i].encodeBackward(encoder, run, saved[i], dFlow!, grads.slice(at, at + count), i > 0);
  }
  if (mode === 'update')
    ctx.state.encodeUpdate(
      encoder,
      run,
      grads,
      ctx.model.layers.flatMap((l) => l.regularizers()),
      stats,
      statsIndex,
    );
  return grads;
}
