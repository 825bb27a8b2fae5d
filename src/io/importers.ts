// Import of TensorFlow.js layers models: a model.json in the tfjs-layers format
// ({ modelTopology, weightsManifest: [{ paths, weights }] }, as written by tfjs.io or
// tensorflowjs_converter from Keras) and its weight shards. Sequential models of the layer
// types registered in ./layerRegistry.ts with a Keras reader (LSTM, Dense, …); Keras 2 names.
import type { Gpu } from '../runtime/device.js';
import { formatShape } from '../spec/errors.js';
import { assembleSequential, wrap } from './io.js';
import { ModelFormatError, ModelIOError } from '../spec/ioErrors.js';
import { readerFor, toArrayBuffer, toJsonValue } from './ioHandlers.js';
import { KerasConfigReader, normalizeKerasConfig } from './kerasConfig.js';
import type { Layer } from '../layers/layer.js';
import { instantiateLayer, layerTypeFor, layerTypeOf, registeredClassNames, type JsonConfig } from './layerRegistry.js';
import { float16ToFloat32 } from './safetensors.js';
import type { Sequential } from '../model/sequential.js';

/** One weight of a tfjs weights manifest. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | string;
  /** Quantized storage: value = q·scale + min (uint8 / uint16), or IEEE half (float16). */
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
  /** 'optimizer' for optimizer state saved with includeOptimizer (skipped). */
  group?: string;
}

/** A tfjs-layers model.json. */
export interface TfjsModelJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

/** What tfjs's `model.save(tf.io.withSaveHandler(...))` hands over, also accepted. */
export interface TfjsModelArtifacts {
  modelTopology: unknown;
  weightSpecs: TfjsWeightSpec[];
  weightData: ArrayBuffer | ArrayBuffer[];
}

type Binary = ArrayBuffer | ArrayBufferView | Blob;

/**
 * The weight shards: in the order of the manifest's paths (all groups, in order), or keyed by
 * path (the file name alone also matches).
 */
export type TfjsShards = readonly Binary[] | Record<string, Binary>;

/**
 * Imports a TensorFlow.js layers model as a Sequential model on `gpu`, with its weights.
 *
 * `modelJson` is the parsed model.json (or its text, or a Blob / File), with `shards` the
 * weight files; or tfjs's save artifacts `{ modelTopology, weightSpecs, weightData }`; or a
 * location (a URL, or in Node a path) of the model.json, the shards then read beside it.
 *
 * Keras options that only matter in training (dropout, constraints, other initializers) are
 * dropped; options that change the results and that this library lacks (return_state,
 * time_major, Keras 3's hard_sigmoid) are a ModelFormatError.
 */
export async function importTfjsModel(gpu: Gpu, modelJson: TfjsModelJson | TfjsModelArtifacts | string | Blob, shards?: TfjsShards): Promise<Sequential> {
  const { json, groups, where } = await readTfjs(modelJson, shards);
  return sequentialFromKeras(gpu, json.modelTopology, decodeGroups(groups, where), where);
}

/** One weight of a model file: its name there, shape and values (as f32). */
export interface FileWeight {
  name: string;
  shape: readonly number[];
  values: Float32Array;
}

/**
 * A Sequential model on `gpu` from a Keras / TF.js model config (`{ class_name: 'Sequential',
 * config }`, Keras 2, Keras 3 or tfjs-layers) with `weights`, matched to the layers by name, else
 * by position (see matchWeights). `where` names the file in errors.
 */
export function sequentialFromKeras(gpu: Gpu, topology: unknown, weights: readonly FileWeight[], where: string): Sequential {
  const { layers: saved, inputShape } = readTopology(topology, where);
  const layers: Layer[] = [];
  const restores: (() => void)[] = [];
  let model: Sequential | undefined;
  try {
    for (const s of saved) {
      const { layer, restore } = s.create();
      layers.push(layer);
      restores.push(restore);
    }
    const shape = inputShape ?? inferInputShape(saved[0], weights, where);
    model = assembleSequential(gpu, layers, shape, where);
    for (const restore of restores) restore();
    const values = matchWeights(
      layers,
      saved.map((s) => s.name),
      weights,
      where,
    );
    try {
      model.setWeights(values);
    } catch (cause) {
      throw wrap(cause, `${where}: the weights were rejected`);
    }
    return model;
  } catch (error) {
    if (model) model.dispose();
    else for (const layer of layers) layer.dispose();
    throw error;
  }
}

// ---- Reading the files ------------------------------------------------------------------------

interface Group {
  specs: TfjsWeightSpec[];
  data: ArrayBuffer;
}

async function readTfjs(
  given: TfjsModelJson | TfjsModelArtifacts | string | Blob,
  shards: TfjsShards | undefined,
): Promise<{ json: { modelTopology: unknown }; groups: Group[]; where: string }> {
  if (typeof given === 'string' && !given.trimStart().startsWith('{')) {
    // A location: read model.json there, then each shard beside it.
    const reader = readerFor(given);
    const json = checkModelJson(await toJsonValue(await reader.json(), `${reader.where}`), reader.where);
    const groups: Group[] = [];
    for (const g of json.weightsManifest) groups.push({ specs: g.weights, data: concat(await Promise.all(g.paths.map((p) => reader.file(p)))) });
    return { json, groups, where: reader.where };
  }
  const where = 'the TensorFlow.js model';
  const value = await toJsonValue(given, 'The model.json');
  if (typeof value === 'object' && value !== null && 'weightSpecs' in value) {
    const a = value as TfjsModelArtifacts;
    if (!Array.isArray(a.weightSpecs)) throw new ModelFormatError(`${where}: weightSpecs must be a list.`);
    const data = Array.isArray(a.weightData) ? concat(a.weightData) : await toArrayBuffer(a.weightData, 'weightData');
    return { json: a, groups: [{ specs: a.weightSpecs, data }], where };
  }
  const json = checkModelJson(value, where);
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  if (!shards) throw new ModelIOError(`${where}: give the weight shards (${paths.join(', ')}) as the third argument.`);
  const byPath = new Map<string, Binary>();
  if (Array.isArray(shards)) {
    if (shards.length !== paths.length) {
      throw new ModelFormatError(`${where}: the manifest names ${paths.length} shard(s) (${paths.join(', ')}) but ${shards.length} were given.`);
    }
    paths.forEach((p, i) => byPath.set(p, (shards as readonly Binary[])[i]));
  } else {
    const record = shards as Record<string, Binary>;
    for (const p of paths) {
      const base = p.split('/').pop()!;
      const shard = record[p] ?? record[base] ?? record[`./${base}`];
      if (!shard) throw new ModelFormatError(`${where}: the shard ${p} is missing (given: ${Object.keys(record).join(', ') || 'none'}).`);
      byPath.set(p, shard);
    }
  }
  const groups: Group[] = [];
  for (const g of json.weightsManifest) {
    groups.push({ specs: g.weights, data: concat(await Promise.all(g.paths.map((p) => toArrayBuffer(byPath.get(p), `The shard ${p}`)))) });
  }
  return { json, groups, where };
}

function checkModelJson(value: unknown, where: string): TfjsModelJson {
  const j = value as Partial<TfjsModelJson> & { format?: unknown };
  if (typeof j !== 'object' || j === null) throw new ModelFormatError(`${where}: model.json must hold a JSON object.`);
  if ((j.format as string) === 'webgpu-rnn') throw new ModelFormatError(`${where}: this is a webgpu-rnn model: load it with loadModel(gpu, source).`);
  if (j.format !== undefined && j.format !== 'layers-model') {
    throw new ModelFormatError(`${where}: format '${String(j.format)}' is not a TensorFlow.js layers model ('layers-model'); graph models cannot be imported.`);
  }
  if (!j.modelTopology) throw new ModelFormatError(`${where}: model.json has no modelTopology.`);
  if (!Array.isArray(j.weightsManifest) || !j.weightsManifest.every((g) => Array.isArray(g?.paths) && Array.isArray(g?.weights))) {
    throw new ModelFormatError(`${where}: weightsManifest must be a list of { paths, weights }.`);
  }
  return j as TfjsModelJson;
}

function concat(parts: readonly ArrayBuffer[]): ArrayBuffer {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out.buffer;
}

// ---- Decoding the weights -----------------------------------------------------------------------

/** Every weight of every group (optimizer weights skipped) in manifest order, as f32. */
function decodeGroups(groups: Group[], where: string): FileWeight[] {
  const out: FileWeight[] = [];
  groups.forEach((group, g) => {
    const view = new DataView(group.data);
    let offset = 0;
    for (const spec of group.specs) {
      if (typeof spec?.name !== 'string' || !Array.isArray(spec.shape)) throw new ModelFormatError(`${where}: a weight of group ${g} has no name or shape.`);
      const count = spec.shape.reduce((a: number, b: number) => a * b, 1);
      const storage = spec.quantization?.dtype ?? spec.dtype;
      const size = ({ float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 } as Record<string, number>)[storage];
      if (!size) throw new ModelFormatError(`${where}: the weight '${spec.name}' is stored as ${storage}, which cannot be imported.`);
      const end = offset + count * size;
      if (end > group.data.byteLength) {
        throw new ModelFormatError(
          `${where}: the weight '${spec.name}' ends at byte ${end} but the shards of group ${g} hold ${group.data.byteLength} bytes: a shard is truncated or missing.`,
        );
      }
      if (spec.group !== 'optimizer') out.push({ name: spec.name, shape: spec.shape, values: decode(view, offset, count, spec) });
      offset = end;
    }
    if (offset !== group.data.byteLength) {
      throw new ModelFormatError(
        `${where}: the shards of group ${g} hold ${group.data.byteLength} bytes but the manifest describes ${offset}: the shards do not belong to this model.json.`,
      );
    }
  });
  return out;
}

function decode(view: DataView, offset: number, count: number, spec: TfjsWeightSpec): Float32Array {
  const out = new Float32Array(count);
  const q = spec.quantization;
  if (q) {
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    for (let i = 0; i < count; i++) {
      if (q.dtype === 'float16') out[i] = float16ToFloat32(view.getUint16(offset + 2 * i, true));
      else if (q.dtype === 'uint16') out[i] = view.getUint16(offset + 2 * i, true) * scale + min;
      else out[i] = view.getUint8(offset + i) * scale + min;
    }
    return out;
  }
  for (let i = 0; i < count; i++) {
    if (spec.dtype === 'float32') out[i] = view.getFloat32(offset + 4 * i, true);
    else if (spec.dtype === 'int32') out[i] = view.getInt32(offset + 4 * i, true);
    else out[i] = view.getUint8(offset + i);
  }
  return out;
}

// ---- The topology --------------------------------------------------------------------------------

interface KerasLayer {
  className: string;
  /** The layer's name in the file (prefix of its weight names). */
  name: string;
  /** A new layer with the Keras config's options (this library's names); see instantiateLayer. */
  create(): { layer: Layer; restore(): void };
  inputShape?: (number | null)[];
}

function readTopology(topology: unknown, where: string): { layers: KerasLayer[]; inputShape?: (number | null)[]; kerasVersion?: string } {
  if (typeof topology !== 'object' || topology === null) throw new ModelFormatError(`${where}: modelTopology is not an object.`);
  const top = topology as Record<string, unknown>;
  // tensorflowjs_converter from a Keras .h5 nests the model under model_config.
  const model = (top.model_config ?? top) as Record<string, unknown>;
  const kerasVersion = (top.keras_version ?? model.keras_version) as string | undefined;
  const className = model.class_name ?? model.className;
  if (className !== 'Sequential') {
    throw new ModelFormatError(
      `${where}: the model is a ${String(className)}; only Sequential models can be imported (rebuild it as keras.Sequential, or copy its weights with model.setWeights).`,
    );
  }
  const config = model.config as Record<string, unknown> | unknown[];
  const list = Array.isArray(config) ? config : (config?.layers as unknown[]);
  if (!Array.isArray(list) || list.length === 0) throw new ModelFormatError(`${where}: the Sequential model lists no layers.`);
  let inputShape: (number | null)[] | undefined;
  const buildShape = !Array.isArray(config) ? (config as Record<string, unknown>).build_input_shape : undefined;
  if (Array.isArray(buildShape)) inputShape = (buildShape as (number | null)[]).slice(1);
  const layers: KerasLayer[] = [];
  list.forEach((entry, index) => {
    const e = entry as { class_name?: string; className?: string; config?: unknown };
    const cls = e.class_name ?? e.className ?? '?';
    const raw = normalizeKerasConfig(e.config, `${where}: layer ${index} (${cls})`);
    if (cls === 'InputLayer') {
      const shape = (raw.batch_input_shape ?? raw.batch_shape) as (number | null)[] | undefined;
      if (Array.isArray(shape)) inputShape = shape.slice(1);
      return;
    }
    const type = layerTypeOf(cls);
    if (!type?.fromKeras) {
      const importable = registeredClassNames().filter((n) => layerTypeOf(n)?.fromKeras);
      throw new ModelFormatError(`${where}: layer ${index} is a ${cls}, which cannot be imported (importable: ${importable.join(', ')}, and InputLayer).`);
    }
    const name = typeof raw.name === 'string' ? raw.name : `${cls.toLowerCase()}_${index}`;
    const own = new KerasConfigReader({ className: cls, index, kerasVersion }, raw).inputShape();
    const isFirst = layers.length === 0;
    layers.push({
      className: cls,
      name,
      inputShape: own,
      create: () => {
        const reader = new KerasConfigReader({ className: cls, index, kerasVersion }, raw);
        const ours: JsonConfig = type.fromKeras!(reader);
        // The model's input shape is given once, to the first layer.
        if (!isFirst) delete ours.inputShape;
        else if (inputShape && ours.inputShape === undefined) ours.inputShape = inputShape;
        try {
          return instantiateLayer(type, ours);
        } catch (cause) {
          throw wrap(cause, `${where}: ${reader.where} has options this library rejects`);
        }
      },
    });
  });
  if (layers.length === 0) throw new ModelFormatError(`${where}: the model has only an InputLayer.`);
  return { layers, inputShape: layers[0].inputShape ?? inputShape, kerasVersion };
}

/** Without a declared input shape: [steps = any, features] from the first layer's kernel. */
function inferInputShape(first: KerasLayer, specs: readonly FileWeight[], where: string): (number | null)[] {
  // By name, else the first weight of the file (Keras order starts with the first layer's kernel).
  const kernel = specs.find((s) => s.name.split('/').includes(first.name) && s.shape.length === 2) ?? (specs[0]?.shape.length === 2 ? specs[0] : undefined);
  if (!kernel) throw new ModelFormatError(`${where}: the model declares no input shape and the first layer's kernel is not found to infer it.`);
  return first.className === 'Dense' ? [kernel.shape[0]] : [null, kernel.shape[0]];
}

/**
 * The weights of `layers` in Keras order. By name first: the weight of layer `name` called
 * `w` is the one whose path has `name` as a segment and ends in `w` (tfjs: 'lstm_LSTM1/kernel';
 * Keras: 'lstm/lstm_cell/kernel', possibly with ':0'). Failing that, by position, when the
 * file holds exactly the weights the layers need, in order and of their shapes.
 */
function matchWeights(layers: readonly Layer[], names: readonly string[], specs: readonly FileWeight[], where: string): Float32Array[] {
  const expected = layers.flatMap((layer, i) => {
    const type = layerTypeFor(layer);
    return type.weightNames(layer).map((w, j) => ({ layer: i, short: w, shape: layer.weightTensors[j].shape }));
  });
  const byName: Float32Array[] = [];
  let problem: string | undefined;
  for (const e of expected) {
    const matches = specs.filter((s) => {
      const segments = s.name.replace(/:\d+$/, '').split('/');
      return segments.at(-1) === e.short && segments.slice(0, -1).includes(names[e.layer]);
    });
    if (matches.length !== 1) {
      problem = `${matches.length === 0 ? 'no' : 'more than one'} weight named '…${names[e.layer]}/…/${e.short}'`;
      break;
    }
    const found = matches[0];
    if (formatShape(found.shape) !== formatShape(e.shape)) {
      throw new ModelFormatError(
        `${where}: the weight '${found.name}' has shape ${formatShape(found.shape)} but layer ${e.layer} ('${names[e.layer]}') needs ${formatShape(e.shape)}.`,
      );
    }
    byName.push(found.values);
  }
  if (!problem) return byName;
  const positional = specs.length === expected.length && specs.every((s, k) => formatShape(s.shape) === formatShape(expected[k].shape));
  if (positional) return specs.map((s) => s.values);
  const listing = specs.map((s) => `${s.name} ${formatShape(s.shape)}`).join(', ');
  const wanted = expected.map((e) => `${names[e.layer]}/${e.short} ${formatShape(e.shape)}`).join(', ');
  throw new ModelFormatError(`${where}: ${problem}, and the weights do not match by position either. The file holds: ${listing}. The layers need: ${wanted}.`);
}
