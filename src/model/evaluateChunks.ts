// evaluate's data given on the CPU (not as Tensors), split into chunks of whole batches of at
// most evaluateChunking.bytes of x: each chunk is uploaded, evaluated and freed before the
// next, so the GPU never holds the whole input. The batches are those of one run over all
// samples, so the chunks' logs, weighted by their samples, are the logs of that run.
import type { Layer } from '../layers/layer.js';
import { inferShape, type TensorData, toFloat32 } from '../runtime/tensor.js';
import { flatSampleShape, flatValues, naming } from './trainingData.js';

/** The most bytes of x one chunk holds (whole batches, at least one). Tests lower it. */
export const evaluateChunking = { bytes: 1 << 24 };

export interface HostChunk {
  /** [n, ...sample] values of x. */
  x: Float32Array;
  xShape: number[];
  /** The chunk's targets and sample weights, as many per sample as the whole data has. */
  y: Float32Array;
  sampleWeight?: Float32Array;
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
  const perSample = sample.reduce((a, b) => a * b, 1);
  const batchesPerChunk = Math.max(1, Math.floor(evaluateChunking.bytes / (4 * perSample * batchSize)));
  const chunk = batchesPerChunk * batchSize;
  if (!(n > chunk)) return undefined;
  const xs = naming('evaluate', 'x', () => toFloat32(x, shape, 'x'));
  const ys = Float32Array.from(naming('evaluate', 'y', () => flatValues(y)));
  const ws = sampleWeight === undefined ? undefined : Float32Array.from(naming('evaluate', 'sampleWeight', () => flatValues(sampleWeight)));
  if (ys.length % n !== 0 || (ws && ws.length % n !== 0)) return undefined;
  const [yPer, wPer] = [ys.length / n, (ws?.length ?? 0) / n];
  const chunks: HostChunk[] = [];
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    chunks.push({
      x: xs.subarray(start * perSample, end * perSample),
      xShape: [end - start, ...sample],
      y: ys.subarray(start * yPer, end * yPer),
      sampleWeight: ws?.subarray(start * wPer, end * wPer),
    });
  }
  return chunks;
}
