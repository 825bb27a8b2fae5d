// evaluate's data given on the CPU (not as Tensors), split into chunks of whole batches of at
// most evaluateChunking.bytes of x, y and sample weights: each chunk is uploaded, evaluated and freed before the
// next, so the GPU never holds the whole input. The batches are those of one run over all
// samples, so the chunks' logs, weighted by their samples, are the logs of that run.
import type { Layer } from '../layers/layer.js';
import { inferShape, type TensorData, toFloat32 } from '../runtime/tensor.js';
import { flatSampleShape, flatValues, naming } from './trainingData.js';

/** The most bytes of x, y and sample weights one chunk holds (whole batches, at least one). Tests lower it. */
export const evaluateChunking = { bytes: 1 << 24 };

export interface HostChunk {
  /** [n, ...sample] values of x. */
  x: Float32Array;
  xShape: number[];
  /** The chunk's targets and sample weights, as many per sample as the whole data has, as given (checked by evaluate as whole data is). */
  y: TensorData;
  sampleWeight?: TensorData;
}

/** Elements [start, end) of flat values: a view of a typed array, a copy of a plain one (its values unconverted). */
function rows(values: ArrayLike<number>, start: number, end: number): TensorData {
  return ArrayBuffer.isView(values) ? (values as Float32Array).subarray(start, end) : Array.prototype.slice.call(values, start, end);
}

/**
 * x, y and sampleWeight cut into chunks of whole batches of `batchSize`; undefined when one
 * chunk would hold them all, or when their sizes do not divide into samples (evaluating the
 * data whole then gives the error).
 */
export function hostChunks(
  x: TensorData,
  y: TensorData,
  sampleWeight: TensorData | undefined,
  xShape: readonly number[] | undefined,
  first: Layer,
  batchSize: number,
): HostChunk[] | undefined {
  const shape = naming('evaluate', 'x', () => [...(xShape ?? flatSampleShape(x, first) ?? inferShape(x, 'x'))]);
  const [n, ...sample] = shape;
  const xPer = sample.reduce((a, b) => a * b, 1);
  const ys = naming('evaluate', 'y', () => flatValues(y));
  const ws = sampleWeight === undefined ? undefined : naming('evaluate', 'sampleWeight', () => flatValues(sampleWeight));
  if (!(n >= 1) || ys.length % n !== 0 || (ws && ws.length % n !== 0)) return undefined;
  const [yPer, wPer] = [ys.length / n, (ws?.length ?? 0) / n];
  // A chunk's x, y and weights together: targets (one-hot, per step) may outweigh x.
  const batchesPerChunk = Math.max(1, Math.floor(evaluateChunking.bytes / (4 * (xPer + yPer + wPer) * batchSize)));
  const chunk = batchesPerChunk * batchSize;
  if (!(n > chunk)) return undefined;
  const xs = naming('evaluate', 'x', () => toFloat32(x, shape, 'x'));
  const chunks: HostChunk[] = [];
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    chunks.push({
      x: xs.subarray(start * xPer, end * xPer),
      xShape: [end - start, ...sample],
      y: rows(ys, start * yPer, end * yPer),
      sampleWeight: ws && rows(ws, start * wPer, end * wPer),
    });
  }
  return chunks;
}
