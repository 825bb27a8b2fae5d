// The saved-model format (io/io.ts reads and writes it): model.json's shape, the weight manifest,
// and where a model is saved to or loaded from. Pure data, shared by model/ and io/.

/** Plain JSON data: a layer's options as saved. */
export type JsonConfig = Record<string, unknown>;

export const MODEL_FORMAT = 'webgpu-rnn';
export const MODEL_FORMAT_VERSION = 1;

/** One weight in the binary file: `shape` f32 values, row-major, from `byteOffset`. */
export interface WeightEntry {
  /** `<layer name>/<Keras weight name>`, e.g. 'lstm_1/recurrent_kernel'. */
  name: string;
  shape: number[];
  dtype: 'float32';
  byteOffset: number;
}

export interface SavedLayer {
  /** Keras class name: 'LSTM', 'Dense', … (see registerLayerType). */
  className: string;
  /** The layer's options, this library's names (those of layers.lstm({...}) etc.). */
  config: JsonConfig;
}

/** The parsed model.json. */
export interface ModelJson {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  generatedBy: string;
  modelTopology: {
    className: 'Sequential';
    /** The first layer's input without the batch dimension; null for any number of steps. */
    inputShape: (number | null)[];
    layers: SavedLayer[];
  };
  weightsManifest: {
    /** The weight file, relative to model.json. */
    path: string;
    /** Exact length of the weight file. */
    byteLength: number;
    /** CRC-32 (IEEE) of the weight file. */
    crc32: number;
    weights: WeightEntry[];
  };
}

/** A saved model in memory. */
export interface ModelArtifacts {
  modelJson: ModelJson;
  /** The weight file: little-endian f32 values at the manifest's offsets. */
  weights: ArrayBuffer;
}

/**
 * Where loadModel / loadWeights read a model:
 * - an object `{ modelJson, weights }`: the JSON as an object, a text or a Blob / File; the
 *   weights as an ArrayBuffer, a typed array or a Blob / File (works everywhere);
 * - 'indexeddb://name' (browser);
 * - 'http(s)://…/model.json', or in a browser a relative URL; the weight file is fetched
 *   beside it;
 * - in Node, a directory holding model.json and weights.bin, or the path of the model.json.
 */
export type ModelSource = string | { modelJson: ModelJson | string | Blob | ArrayBuffer; weights: ArrayBuffer | ArrayBufferView | Blob };

/** Receives a saved model: for storage this library does not know. */
export interface SaveHandler {
  save(artifacts: ModelArtifacts): Promise<void> | void;
}

/**
 * Where saveModel writes a model:
 * - nothing: only the returned `{ modelJson, weights }` (works everywhere);
 * - 'downloads://name' (browser): downloads name.json and name.weights.bin;
 * - 'indexeddb://name' (browser);
 * - in Node, a directory path: writes model.json and weights.bin there (created if needed);
 * - a SaveHandler, given the artifacts.
 */
export type SaveTarget = string | SaveHandler;
