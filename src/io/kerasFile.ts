// Keras model files read directly: a Keras 3 `.keras` archive (a zip of config.json,
// metadata.json and model.weights.h5) and a legacy Keras `.h5` file (Keras 2 or 3's
// `model.save('m.h5')`: the config in the root attribute model_config, the weights under
// model_weights/<layer>/<weight name>). fflate reads the zip and jsfive the HDF5; both are
// imported on first use, so that a page that never loads a Keras file never downloads them.
import type { Gpu } from '../runtime/device.js';
import type { Sequential } from '../model/sequential.js';
import { ModelFormatError } from '../spec/ioErrors.js';
import { type FileWeight, sequentialFromKeras } from './importers.js';
import { type ModelFile, readModelFile } from './ioHandlers.js';

/** A Keras file: its bytes, a Blob / File, or a location (a URL; in Node also a path). */
export type KerasSource = ModelFile;

// What this module uses of jsfive's File, Group and Dataset.
interface Hdf5Group {
  readonly keys: string[];
  readonly attrs: Record<string, unknown>;
  get(path: string): Hdf5Group | Hdf5Dataset | undefined;
}
type Hdf5File = Hdf5Group;
interface Hdf5Dataset {
  readonly shape: number[];
  readonly dtype: unknown;
  readonly value: unknown;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Loads a Keras model file as a Sequential model on `gpu`, with its weights: a Keras 3
 * `.keras` file or a Keras `.h5` file (the format is read from the bytes, not the name).
 *
 * The model must be a `keras.Sequential` of layers this library has (LSTM, GRU, SimpleRNN,
 * Bidirectional, Dense, Embedding, Conv1D, MaxPooling1D, Dropout, Masking, Activation, Flatten,
 * RepeatVector, GlobalAveragePooling1D, GlobalMaxPooling1D); anything else is a
 * ModelFormatError naming the first layer or option it cannot take. Training-only options
 * (initializers, constraints) are dropped; the compile config is not applied: call
 * `model.compile` to train further.
 *
 * @example
 * ```ts
 * const model = await loadKerasModel(gpu, 'https://example.com/sentiment.keras');
 * const y = await model.predict(tensor(gpu, ids, [1, 80]));
 * ```
 */
export async function loadKerasModel(gpu: Gpu, source: KerasSource): Promise<Sequential> {
  const { bytes, where } = await readModelFile(source, 'loadKerasModel', 'the Keras file');
  const head = new Uint8Array(bytes, 0, Math.min(8, bytes.byteLength));
  const starts = (magic: number[]): boolean => magic.every((b, i) => head[i] === b);
  if (starts(ZIP_MAGIC)) return fromKerasArchive(gpu, bytes, where);
  if (starts(HDF5_MAGIC)) return fromLegacyH5(gpu, bytes, where);
  throw new ModelFormatError(`${where} is neither a .keras archive (zip) nor a Keras .h5 file (HDF5): its first bytes are ${hex(head)}.`);
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

// ---- .keras ---------------------------------------------------------------------------------

async function fromKerasArchive(gpu: Gpu, bytes: ArrayBuffer, where: string): Promise<Sequential> {
  const { unzipSync, strFromU8 } = await import('fflate');
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(new Uint8Array(bytes));
  } catch (cause) {
    throw new ModelFormatError(`${where}: the .keras archive cannot be unzipped (${(cause as Error).message}).`, { cause });
  }
  const json = (name: string, required: boolean): Record<string, unknown> | undefined => {
    const file = files[name];
    if (!file) {
      if (required) throw new ModelFormatError(`${where}: the .keras archive has no ${name} (it holds ${Object.keys(files).join(', ') || 'nothing'}).`);
      return undefined;
    }
    try {
      return JSON.parse(strFromU8(file)) as Record<string, unknown>;
    } catch (cause) {
      throw new ModelFormatError(`${where}: ${name} in the archive is not valid JSON.`, { cause });
    }
  };
  const config = json('config.json', true)!;
  const metadata = json('metadata.json', false);
  const weightsFile = files['model.weights.h5'];
  if (!weightsFile) throw new ModelFormatError(`${where}: the .keras archive has no model.weights.h5.`);
  const h5 = await openHdf5(weightsFile, `${where}: model.weights.h5`);
  const layersGroup = child(h5, 'layers');
  const weights = layersGroup
    ? archiveLayerPaths(config).flatMap((path) => {
        const group = child(layersGroup, path);
        return group ? archiveLayerWeights(group, path, where) : [];
      })
    : [];
  return sequentialFromKeras(gpu, { model_config: config, keras_version: metadata?.keras_version }, weights, where);
}

/**
 * The group of each layer of a Sequential config under `layers/` in model.weights.h5, in order:
 * Keras 3 names it after the class, not the layer (saving_lib: the class name in snake_case,
 * `_<n>` added from its second use on): LSTM, LSTM, Dense → lstm, lstm_1, dense.
 */
function archiveLayerPaths(config: Record<string, unknown>): string[] {
  const inner = config.config as { layers?: unknown } | undefined;
  const list = Array.isArray(inner?.layers) ? (inner.layers as { class_name?: unknown }[]) : [];
  const used = new Map<string, number>();
  return list
    .filter((l) => l?.class_name !== 'InputLayer')
    .map((l) => {
      const base = snakeCase(String(l?.class_name ?? ''));
      const n = used.get(base) ?? 0;
      used.set(base, n + 1);
      return n === 0 ? base : `${base}_${n}`;
    });
}

/** Keras's naming.to_snake_case: 'SimpleRNN' → 'simple_rnn', 'MaxPooling1D' → 'max_pooling1d'. */
function snakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

// A layer's group in model.weights.h5 holds `vars/<i>` (its own variables, in Keras order) and
// one subgroup per sublayer that has state: `cell` of a recurrent layer, `forward_layer` and
// `backward_layer` of Bidirectional. Own variables come first, then the sublayers, forward first.
const SUBLAYER_ORDER = ['cell', 'forward_layer', 'backward_layer'];

function archiveLayerWeights(group: Hdf5Group, path: string, where: string): FileWeight[] {
  const out: FileWeight[] = [];
  const vars = child(group, 'vars');
  if (vars?.keys) {
    const indices = vars.keys.map(Number).sort((a, b) => a - b);
    for (const i of indices) out.push(datasetWeight(vars.get(String(i)) as Hdf5Dataset, `${path}/vars/${i}`, where));
  }
  const rank = (k: string): number => (SUBLAYER_ORDER.includes(k) ? SUBLAYER_ORDER.indexOf(k) : SUBLAYER_ORDER.length);
  const children = group.keys.filter((k) => k !== 'vars').sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const key of children) {
    const sub = child(group, key);
    if (sub?.keys) out.push(...archiveLayerWeights(sub, `${path}/${key}`, where));
  }
  return out;
}

// ---- legacy .h5 -------------------------------------------------------------------------------

async function fromLegacyH5(gpu: Gpu, bytes: ArrayBuffer, where: string): Promise<Sequential> {
  const h5 = await openHdf5(new Uint8Array(bytes), where);
  const modelConfig = h5.attrs.model_config;
  if (typeof modelConfig !== 'string') {
    const hint = child(h5, 'layers') ? ' It looks like a weights-only file (model.save_weights): load the model it belongs to.' : '';
    throw new ModelFormatError(`${where}: the HDF5 file has no model_config attribute, so it is not a whole Keras model saved with model.save('m.h5').${hint}`);
  }
  let config: unknown;
  try {
    config = JSON.parse(modelConfig);
  } catch (cause) {
    throw new ModelFormatError(`${where}: the model_config attribute is not valid JSON.`, { cause });
  }
  const root = child(h5, 'model_weights') ?? h5;
  const layerNames = stringList(root.attrs.layer_names);
  const weights: FileWeight[] = [];
  for (const layer of layerNames) {
    const group = child(root, layer);
    if (!group) throw new ModelFormatError(`${where}: layer_names lists '${layer}' but the file has no group for it.`);
    for (const name of stringList(group.attrs.weight_names)) {
      const dataset = datasetAt(group, name);
      if (!dataset) throw new ModelFormatError(`${where}: the weight '${name}' of layer '${layer}' is listed but missing.`);
      weights.push(datasetWeight(dataset, `${layer}/${name}`, where));
    }
  }
  return sequentialFromKeras(gpu, { model_config: config, keras_version: h5.attrs.keras_version }, weights, where);
}

/** An HDF5 attribute holding a list of names (bytes or strings; h5py writes either). */
function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (typeof v === 'string' ? v : new TextDecoder().decode(v as Uint8Array)));
}

// ---- HDF5 ---------------------------------------------------------------------------------------

async function openHdf5(bytes: Uint8Array, where: string): Promise<Hdf5File> {
  const jsfive = (await import('jsfive')) as unknown as { File: new (buffer: ArrayBuffer, name?: string) => Hdf5File };
  const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
  try {
    return new jsfive.File(buffer);
  } catch (cause) {
    throw new ModelFormatError(`${where}: the HDF5 data cannot be read (${(cause as Error).message}).`, { cause });
  }
}

/** The subgroup `key` of `group`, or undefined (jsfive's get throws on a missing name). */
function child(group: Hdf5Group, key: string): Hdf5Group | undefined {
  return group.keys.includes(key) ? (group.get(key) as Hdf5Group) : undefined;
}

/** The dataset at `path` below `group`, or undefined. */
function datasetAt(group: Hdf5Group, path: string): Hdf5Dataset | undefined {
  try {
    return group.get(path) as Hdf5Dataset;
  } catch {
    return undefined;
  }
}

const FLOAT_TYPES = ['<f4', '<f8', '<f2', '>f4', '>f8'];

function datasetWeight(dataset: Hdf5Dataset, name: string, where: string): FileWeight {
  if (!dataset || !Array.isArray(dataset.shape)) throw new ModelFormatError(`${where}: the weight '${name}' is not an HDF5 dataset.`);
  const dtype = String(dataset.dtype);
  if (!FLOAT_TYPES.includes(dtype))
    throw new ModelFormatError(`${where}: the weight '${name}' is stored as ${dtype}; only float32, float64 and float16 weights can be loaded.`);
  const values = Float32Array.from(dataset.value as ArrayLike<number>);
  return { name, shape: dataset.shape, values };
}
