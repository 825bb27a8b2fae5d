// The two inputs of an encoder–decoder, checked and joined side by side: shapes, sample counts,
// and (an Embedding first) token ids.
import { Embedding } from '../layers/embedding.js';
import type { Layer } from '../layers/layer.js';
import type { Gpu } from '../runtime/device.js';
import { Tensor, tensor, toFloat32, type TensorData } from '../runtime/tensor.js';
import { formatShape, ShapeError } from '../spec/errors.js';
import type { EncoderDecoderLayer } from './encoderDecoderLayer.js';

/** The two inputs of an encoder–decoder: the source [N, …] and the decoder's input [N, …]. */
export type SequencePair = readonly [Tensor | TensorData, Tensor | TensorData];

/** The pairs side by side, flat, as a new tensor [N, sourceSize + targetSize]. */
export async function joinPair(gpu: Gpu, core: EncoderDecoderLayer, inputs: SequencePair, what: string): Promise<Tensor> {
  const [source, target] = checkPair(inputs, what);
  const side = async (data: Tensor | TensorData, shape: readonly number[], first: Layer, name: string) => {
    const label = `${what}: the ${name}`;
    let result: { values: Float32Array; n: number };
    if (data instanceof Tensor) {
      data.assertUsable(label);
      checkTensorShape(data, shape, label);
      result = { values: await data.data(), n: data.shape[0] };
    } else result = sideValues(data, shape, label);
    if (first instanceof Embedding) first.checkIds(result.values, label);
    return result;
  };
  const s = await side(source, core.sourceShape, core.encoder[0], 'source');
  const t = await side(target, core.targetShape, core.decoder[0], 'decoder input');
  if (s.n !== t.n) throw new ShapeError(`${what}: the source has ${s.n} samples but the decoder input has ${t.n}: give one decoder input per source.`);
  const [Ls, Lt] = [core.sourceSize, core.targetSize];
  const x = new Float32Array(s.n * (Ls + Lt));
  for (let i = 0; i < s.n; i++) {
    x.set(s.values.subarray(i * Ls, (i + 1) * Ls), i * (Ls + Lt));
    x.set(t.values.subarray(i * Lt, (i + 1) * Lt), i * (Ls + Lt) + Ls);
  }
  return tensor(gpu, x, [s.n, Ls + Lt]);
}

export function checkPair(inputs: SequencePair, what: string): SequencePair {
  if (!Array.isArray(inputs) || inputs.length !== 2) {
    throw new ShapeError(
      `${what}: an encoder–decoder takes two inputs, [source, decoderInput]; got ${Array.isArray(inputs) ? `${inputs.length}` : typeof inputs}.`,
    );
  }
  return inputs;
}

export function checkTensorShape(t: Tensor, shape: readonly number[], what: string): void {
  if (t.rank !== shape.length + 1 || t.shape.slice(1).some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${what} must have shape [samples, ${shape.join(', ')}], got ${formatShape(t.shape)}.`);
  }
}

/** One side's samples as flat values: nested [N, …shape] or flat N·size values, checked (finite, whole rows). */
export function sideValues(data: TensorData, shape: readonly number[], what: string): { values: Float32Array; n: number } {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = toFloat32(data, undefined, what);
  const nested = Array.isArray(data) && data.length > 0 && Array.isArray(data[0]);
  const n = nested ? data.length : values.length / size;
  if (!Number.isInteger(n) || n < 1 || values.length !== n * size) {
    throw new ShapeError(
      `${what} must have shape [samples, ${shape.join(', ')}] (${size} values a sample); got ${values.length} values${nested ? ` in ${data.length} rows` : ''}.`,
    );
  }
  return { values, n };
}
