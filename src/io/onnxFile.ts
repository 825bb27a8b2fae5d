// importOnnx's entry: the ONNX reader (io/onnxImport.ts and what it uses) is a chunk loaded on
// first use, so that an app that never imports an ONNX file does not carry it.
import type { Sequential } from '../model/sequential.js';
import type { Gpu } from '../runtime/device.js';
import type { ModelFile } from './ioHandlers.js';

/**
 * A Sequential on `gpu` from an ONNX model whose graph is a chain of LSTM / GRU / RNN nodes and
 * Dense-like ops (what exportOnnx writes, and those layers in ONNX's standard forms), with its
 * weights; its outputs are the graph's (up to f32 rounding). `source`: the file's bytes, a
 * Blob / File, a URL, or (in Node) a path. A node it cannot read is a ModelFormatError naming it.
 *
 * @example
 * ```ts
 * const model = await importOnnx(gpu, 'model.onnx');      // Node; or bytes, a File, a URL
 * ```
 */
export async function importOnnx(gpu: Gpu, source: ModelFile): Promise<Sequential> {
  const { readOnnxModel } = await import('./onnxImport.js');
  return readOnnxModel(gpu, source);
}
