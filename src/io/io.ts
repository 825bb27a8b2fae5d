// Save and load: a JSON topology (format name and version, each layer's class name and
// options, the input shape, a manifest of the weights) plus ONE binary file holding every
// weight as little-endian f32, in Keras order and layout, at the offsets the manifest gives.
//
//   model.json                                         weights.bin
//   { format: 'webgpu-rnn', formatVersion: 1,          lstm_1/kernel            [D, 4H]
//     modelTopology: { className: 'Sequential',        lstm_1/recurrent_kernel  [H, 4H]
//       inputShape: [steps | null, features],          lstm_1/bias              [4H]
//       layers: [{ className: 'LSTM', config }, …] },  dense_2/kernel           [H, U]
//     weightsManifest: { path: 'weights.bin',          …
//       byteLength, crc32,
//       weights: [{ name, shape, dtype: 'float32', byteOffset }, …] } }
//
// Every check (JSON, format version, file length and checksum, layer types, weight names and
// shapes, finite values) runs before a weight is written: a failed load changes nothing.
import type { Gpu } from '../runtime/device.js';
import { formatShape, RnnError } from '../spec/errors.js';
import { ModelFormatError, ModelIOError } from '../spec/ioErrors.js';
import { readerFor, toArrayBuffer, toJsonValue, writerFor, downloadName, DOWNLOADS_SCHEME, type ArtifactReader } from './ioHandlers.js';
import type { Layer } from '../layers/layer.js';
import { instantiateLayer, layerTypeFor, layerTypeOf, registeredClassNames, type LayerType } from './layerRegistry.js';
import { persistence, Sequential } from '../model/sequential.js';
import { crc32, readF32, writeF32 } from './binary.js';
import {
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelArtifacts,
  type ModelJson,
  type ModelSource,
  type SaveTarget,
  type SavedLayer,
  type WeightEntry,
} from '../spec/modelFormat.js';

export {
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelArtifacts,
  type ModelJson,
  type ModelSource,
  type SaveHandler,
  type SaveTarget,
  type SavedLayer,
  type WeightEntry,
} from '../spec/modelFormat.js';

// Sequential.save / loadWeights call these (model/ does not import io/).
persistence.save = saveModel;
persistence.loadWeights = loadWeights;

/**
 * Saves `model` (built: its weights exist) to `target`, and returns what was saved. The
 * weights are read back from the GPU once; loading them gives bit-identical predictions.
 *
 * @example
 * ```ts
 * await saveModel(model, './models/sine');        // Node: a directory (model.json + weights.bin)
 * await saveModel(model, 'indexeddb://sine');     // browser: IndexedDB
 * await saveModel(model, 'downloads://sine');     // browser: two downloaded files
 * const { modelJson, weights } = await saveModel(model); // in memory
 * ```
 */
export async function saveModel(model: Sequential, target?: SaveTarget): Promise<ModelArtifacts> {
  if (!(model instanceof Sequential)) throw new RnnError('saveModel saves a Sequential model (made with sequential(gpu, [...layers])).');
  const weightsFile = typeof target === 'string' && target.startsWith(DOWNLOADS_SCHEME) ? `${downloadName(target)}.weights.bin` : 'weights.bin';
  // Resolve the writer first: an unusable target fails before the GPU read-back.
  const writer = typeof target === 'string' ? writerFor(target, weightsFile) : undefined;
  const artifacts = await serializeModel(model, weightsFile);
  if (writer) await writer.write(artifacts.modelJson, { [weightsFile]: artifacts.weights });
  else if (target && typeof target !== 'string') await target.save(artifacts);
  return artifacts;
}

/**
 * A new model from a saved one (see ModelSource), on `gpu`: a directory or file path (Node),
 * an http(s) URL, 'indexeddb://name', or the files / objects themselves. TF.js layers models
 * (model.json + shards) load the same way.
 *
 * @example
 * ```ts
 * const model = await loadModel(gpu, './models/sine');
 * const fromFiles = await loadModel(gpu, { modelJson: jsonFile, weights: binFile }); // <input type="file">
 * ```
 */
export async function loadModel(gpu: Gpu, source: ModelSource): Promise<Sequential> {
  const { modelJson, weights, where } = await readArtifacts(source);
  const topology = modelJson.modelTopology;
  const layers: Layer[] = [];
  const restores: (() => void)[] = [];
  let model: Sequential | undefined;
  try {
    topology.layers.forEach((saved, i) => {
      const { layer, restore } = createLayer(saved, i, where);
      layers.push(layer);
      restores.push(restore);
    });
    model = assembleSequential(gpu, layers, topology.inputShape, where);
    for (const restore of restores) restore();
    const values = collectWeights(modelJson, weights, layers, where);
    setAll(model, values, where);
    return model;
  } catch (error) {
    if (model) model.dispose();
    else for (const layer of layers) layer.dispose();
    throw error;
  }
}

/**
 * Replaces the weights of `model` with those of a saved model of the same architecture (same
 * layer types in the same order and the same weight shapes; layer names may differ). All is
 * checked first: on any error the model keeps its weights.
 */
export async function loadWeights(model: Sequential, source: ModelSource): Promise<void> {
  if (!(model instanceof Sequential)) throw new RnnError('loadWeights loads into a Sequential model.');
  if (!model.built) throw new RnnError('The model has no weights yet: give the first layer an inputShape or call predict once, then load the weights.');
  const { modelJson, weights, where } = await readArtifacts(source);
  const saved = modelJson.modelTopology.layers;
  const ours = model.layers.map((l) => layerTypeFor(l).className);
  const theirs = saved.map((l) => l.className);
  if (ours.join() !== theirs.join()) {
    throw new ModelFormatError(
      `${where} holds the layers [${theirs.join(', ')}] but the model has [${ours.join(', ')}]: load it with loadModel(gpu, source) instead.`,
    );
  }
  setAll(model, collectWeights(modelJson, weights, model.layers, where), where);
}

/**
 * Builds `layers` in order for inputs of `inputShape` (no batch dimension, null for any number
 * of steps) and makes them a Sequential model. Throws a ModelFormatError naming the layer that
 * does not fit; the caller disposes the layers then.
 */
export function assembleSequential(gpu: Gpu, layers: Layer[], inputShape: readonly (number | null)[], where: string): Sequential {
  let shape = inputShape.map((d) => d ?? -1);
  layers.forEach((layer, i) => {
    try {
      layer.build(gpu, shape);
      shape = layer.computeOutputShape(shape);
    } catch (cause) {
      const dims = shape.map((d) => (d < 0 ? 'steps' : d)).join(', ');
      throw wrap(cause, `${where}: layer ${i} ('${layer.name}') cannot take inputs of shape [batch, ${dims}]`);
    }
  });
  try {
    return new Sequential(gpu, layers);
  } catch (cause) {
    throw wrap(cause, `${where}: the layers do not make a Sequential model`);
  }
}

/** The model's JSON and weight file, in memory. */
export async function serializeModel(model: Sequential, weightsFile = 'weights.bin'): Promise<ModelArtifacts> {
  if (!model.built) throw new RnnError('The model has no weights yet: give the first layer an inputShape or call predict once before saving it.');
  const types = model.layers.map((l) => layerTypeFor(l));
  const names = new Set<string>();
  for (const layer of model.layers) {
    if (names.has(layer.name)) throw new RnnError(`Two layers are named '${layer.name}': layer names must be unique within a model to save it.`);
    names.add(layer.name);
  }
  const data = await model.getWeightData();
  const entries: WeightEntry[] = [];
  let offset = 0;
  let at = 0;
  model.layers.forEach((layer, i) => {
    const weightNames = types[i].weightNames(layer);
    if (weightNames.length !== layer.weightTensors.length) {
      throw new RnnError(`The layer type ${types[i].className} names ${weightNames.length} weights but ${layer.name} has ${layer.weightTensors.length}.`);
    }
    layer.weightTensors.forEach((w, j) => {
      entries.push({ name: `${layer.name}/${weightNames[j]}`, shape: [...w.shape], dtype: 'float32', byteOffset: offset });
      offset += data[at++].length * 4;
    });
  });
  const weights = new ArrayBuffer(offset);
  entries.forEach((entry, k) => writeF32(weights, entry.byteOffset, data[k]));
  const modelJson: ModelJson = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    generatedBy: 'webgpu-rnn',
    modelTopology: {
      className: 'Sequential',
      inputShape: model.layers[0].inputShape!.map((d) => (d < 0 ? null : d)),
      layers: model.layers.map((layer, i) => ({ className: types[i].className, config: types[i].getConfig(layer) })),
    },
    weightsManifest: { path: weightsFile, byteLength: offset, crc32: crc32(new Uint8Array(weights)), weights: entries },
  };
  return { modelJson, weights };
}

// ---- Reading and checking ---------------------------------------------------------------------

async function readArtifacts(source: ModelSource): Promise<{ modelJson: ModelJson; weights: ArrayBuffer; where: string }> {
  let reader: ArtifactReader;
  if (typeof source === 'string') reader = readerFor(source);
  else if (typeof source === 'object' && source !== null && 'modelJson' in source && 'weights' in source) {
    reader = { where: 'the model in memory', json: async () => source.modelJson, file: () => toArrayBuffer(source.weights, 'weights') };
  } else {
    throw new ModelIOError('A model source is a location string or { modelJson, weights }.');
  }
  const where = reader.where;
  const modelJson = parseModelJson(await toJsonValue(await reader.json(), `The model.json of ${where}`), where);
  const weights = await reader.file(modelJson.weightsManifest.path);
  checkWeightFile(modelJson, weights, where);
  return { modelJson, weights, where };
}

/** Checks the JSON's structure; returns it typed. Throws a ModelFormatError naming the first problem. */
export function parseModelJson(json: unknown, where = 'model.json'): ModelJson {
  const fail = (message: string): never => {
    throw new ModelFormatError(`${where}: ${message}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('model.json must hold a JSON object.');
  const j = json as Record<string, unknown>;
  if (j.format !== MODEL_FORMAT) {
    if ('modelTopology' in j && Array.isArray(j.weightsManifest)) {
      fail('this is a TensorFlow.js model.json (tfjs-layers format): import it with importTfjsModel(gpu, modelJson, shards).');
    }
    fail(`not a webgpu-rnn model (its format is ${JSON.stringify(j.format ?? null)}, expected '${MODEL_FORMAT}').`);
  }
  if (j.formatVersion !== MODEL_FORMAT_VERSION) {
    const newer = typeof j.formatVersion === 'number' && j.formatVersion > MODEL_FORMAT_VERSION;
    fail(
      `format version ${JSON.stringify(j.formatVersion)}; this version of webgpu-rnn reads version ${MODEL_FORMAT_VERSION}` +
        (newer ? ': the file was written by a newer webgpu-rnn, update the library to load it.' : '.'),
    );
  }
  const topology = j.modelTopology as Record<string, unknown> | undefined;
  if (typeof topology !== 'object' || topology === null) fail('modelTopology is missing.');
  if (topology!.className !== 'Sequential') fail(`modelTopology.className is ${JSON.stringify(topology!.className)}; only 'Sequential' is supported.`);
  const inputShape = topology!.inputShape;
  if (!Array.isArray(inputShape) || inputShape.length === 0 || !inputShape.every((d) => d === null || (Number.isInteger(d) && d > 0))) {
    fail(`modelTopology.inputShape must be a list of positive whole numbers (or null for any number of steps), got ${JSON.stringify(inputShape)}.`);
  }
  const layers = topology!.layers;
  if (!Array.isArray(layers) || layers.length === 0) fail('modelTopology.layers must be a non-empty list.');
  (layers as unknown[]).forEach((l, i) => {
    const layer = l as Record<string, unknown>;
    if (typeof layer !== 'object' || layer === null || typeof layer.className !== 'string' || typeof layer.config !== 'object' || layer.config === null) {
      fail(`modelTopology.layers[${i}] must be { className, config }.`);
    }
  });
  const manifest = j.weightsManifest as Record<string, unknown> | undefined;
  if (typeof manifest !== 'object' || manifest === null) fail('weightsManifest is missing.');
  const m = manifest!;
  if (typeof m.path !== 'string' || m.path.length === 0) fail('weightsManifest.path must name the weight file.');
  if (!Number.isInteger(m.byteLength) || (m.byteLength as number) < 0) fail('weightsManifest.byteLength must be a whole number.');
  if (m.crc32 !== undefined && !(Number.isInteger(m.crc32) && (m.crc32 as number) >= 0)) fail('weightsManifest.crc32 must be a whole number.');
  if (!Array.isArray(m.weights)) fail('weightsManifest.weights must be a list.');
  const byteLength = m.byteLength as number;
  const seen = new Set<string>();
  (m.weights as unknown[]).forEach((w, i) => {
    const e = w as Record<string, unknown>;
    const what = `weightsManifest.weights[${i}]`;
    if (typeof e !== 'object' || e === null || typeof e.name !== 'string') fail(`${what} must have a name.`);
    if (seen.has(e.name as string)) fail(`the weight '${e.name}' is listed twice.`);
    seen.add(e.name as string);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d > 0))
      fail(`the weight '${e.name}' has shape ${JSON.stringify(e.shape)}: positive whole numbers expected.`);
    if (e.dtype !== 'float32') fail(`the weight '${e.name}' has dtype ${JSON.stringify(e.dtype)}; only 'float32' is supported.`);
    const offset = e.byteOffset;
    if (!Number.isInteger(offset) || (offset as number) < 0 || (offset as number) % 4 !== 0)
      fail(`the weight '${e.name}' has byteOffset ${JSON.stringify(offset)}: a whole multiple of 4 expected.`);
    const end = (offset as number) + 4 * (e.shape as number[]).reduce((a, b) => a * b, 1);
    if (end > byteLength) fail(`the weight '${e.name}' ends at byte ${end}, past the weight file's ${byteLength} bytes.`);
  });
  return json as ModelJson;
}

function checkWeightFile(modelJson: ModelJson, weights: ArrayBuffer, where: string): void {
  const m = modelJson.weightsManifest;
  if (weights.byteLength !== m.byteLength) {
    const how = weights.byteLength < m.byteLength ? 'is truncated' : 'is longer than expected';
    throw new ModelFormatError(
      `${where}: the weight file ${m.path} holds ${weights.byteLength} bytes but model.json expects ${m.byteLength}: it ${how}, or it comes from another save.`,
    );
  }
  if (m.crc32 !== undefined) {
    const actual = crc32(new Uint8Array(weights));
    if (actual !== m.crc32) {
      throw new ModelFormatError(
        `${where}: the weight file ${m.path} does not match model.json (CRC-32 ${actual} ≠ ${m.crc32}): it is corrupt or comes from another save.`,
      );
    }
  }
}

function createLayer(saved: SavedLayer, index: number, where: string): { layer: Layer; restore(): void } {
  const type = layerTypeOf(saved.className);
  if (!type) {
    throw new ModelFormatError(
      `${where}: layer ${index} is a ${saved.className}, a layer type this version cannot load (known: ${registeredClassNames().join(', ')}).`,
    );
  }
  try {
    return instantiateLayer(type, saved.config);
  } catch (cause) {
    throw wrap(cause, `${where}: layer ${index} (${saved.className}) has invalid options`);
  }
}

/** The saved weight values for `layers` (saved layer i ↔ layers[i]), checked, in Keras order. */
function collectWeights(modelJson: ModelJson, weights: ArrayBuffer, layers: readonly Layer[], where: string): Float32Array[] {
  const entries = new Map(modelJson.weightsManifest.weights.map((e) => [e.name, e]));
  const used = new Set<string>();
  const values: Float32Array[] = [];
  layers.forEach((layer, i) => {
    const saved = modelJson.modelTopology.layers[i];
    const savedName = typeof saved.config.name === 'string' ? saved.config.name : layer.name;
    const type: LayerType = layerTypeFor(layer);
    const names = type.weightNames(layer);
    // A wrapper's weight names hold its inner layer's generated name (bidirectional_1/
    // forward_lstm_3/kernel), which differs from model to model: where a name is not in the
    // manifest, the layer's entries are taken in order, their last component (kernel, bias, …)
    // checked.
    const ofLayer = modelJson.weightsManifest.weights.filter((e) => e.name.startsWith(`${savedName}/`));
    const byOrder = (j: number) => {
      const entry = ofLayer.length === names.length ? ofLayer[j] : undefined;
      return entry && lastComponent(entry.name) === lastComponent(names[j]) ? entry : undefined;
    };
    names.forEach((weightName, j) => {
      const expected = layer.weightTensors[j].shape;
      const entry = entries.get(`${savedName}/${weightName}`) ?? byOrder(j);
      const name = entry?.name ?? `${savedName}/${weightName}`;
      if (!entry) {
        throw new ModelFormatError(
          `${where}: the weight '${name}' of layer ${i} (${saved.className}, shape ${formatShape(expected)}) is missing from the manifest.`,
        );
      }
      if (formatShape(entry.shape) !== formatShape(expected)) {
        throw new ModelFormatError(
          `${where}: the weight '${name}' has shape ${formatShape(entry.shape)} in the file but layer ${i} needs ${formatShape(expected)}.`,
        );
      }
      used.add(name);
      values.push(
        readF32(
          weights,
          entry.byteOffset,
          entry.shape.reduce((a, b) => a * b, 1),
        ),
      );
    });
  });
  const unused = [...entries.keys()].filter((n) => !used.has(n));
  if (unused.length) throw new ModelFormatError(`${where}: the manifest lists weights no layer takes: ${unused.join(', ')}.`);
  return values;
}

function lastComponent(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

function setAll(model: Sequential, values: Float32Array[], where: string): void {
  try {
    model.setWeights(values);
  } catch (cause) {
    throw wrap(cause, `${where}: the saved weights were rejected`);
  }
}

export function wrap(cause: unknown, context: string): Error {
  if (cause instanceof ModelFormatError || !(cause instanceof RnnError)) return cause as Error;
  return new ModelFormatError(`${context}: ${cause.message}`, { cause });
}
