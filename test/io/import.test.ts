// Import of TensorFlow.js layers models: a model saved by TF.js itself (cpu backend) in this
// test, imported from its model.json and weight shards, predicts what TF.js predicts.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, test } from 'vitest';
import { reference, tensor, type Sequential } from '../../src/index.js';
import { importTfjsModel, type TfjsModelJson, type TfjsWeightSpec } from '../../src/io/importers.js';
import { ModelFormatError } from '../../src/spec/ioErrors.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Both sides compute in f32, in another order (TF.js: separate matmuls and pointwise ops; ours:
// one GEMM over all steps and a fused step kernel). The differences are f32 rounding, ~1e-6
// after a few steps of O(1) values; 1e-5 absolute and relative is a 10× margin, while a wrong
// gate order, transposed kernel or missing bias gives differences ≥ 1e-2.
const ATOL = 1e-5;
const RTOL = 1e-5;

const [B, T, D, H] = [3, 6, 5, 8];
// TF.js's orthogonal initializer needs chained ops that tfjs-core alone does not register.
const recurrentInitializer = 'glorotUniform';

function tfModel(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.lstm({ units: H, inputShape: [T, D], returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer }),
      // TF.js's default recurrentActivation, hardSigmoid, and a bias that is not the unit-forget one.
      tfl.layers.lstm({ units: H + 3, recurrentInitializer, biasInitializer: 'randomNormal', unitForgetBias: false }),
      tfl.layers.dense({ units: 4, activation: 'softmax', biasInitializer: 'randomNormal' }),
    ],
  });
}

interface Saved {
  artifacts: tf.io.ModelArtifacts;
  /** One buffer with every weight, as tfjs lays them out. */
  data: ArrayBuffer;
}

/** What tfjs's model.save hands a save handler. */
async function save(model: tfl.LayersModel): Promise<Saved> {
  let saved: Saved | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData!;
      saved = { artifacts, data: Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
}

/**
 * The model.json and shards tfjs.io's file handlers write: weights split into shards of
 * `shardBytes` (tfjs: 4 MB; small here so that weights span shards).
 */
function toModelJson(saved: Saved, shardBytes: number, transform?: (json: TfjsModelJson) => void): { modelJson: TfjsModelJson; shards: ArrayBuffer[] } {
  const shards: ArrayBuffer[] = [];
  for (let at = 0; at < saved.data.byteLength; at += shardBytes) shards.push(saved.data.slice(at, at + shardBytes));
  const modelJson: TfjsModelJson = {
    modelTopology: structuredClone(saved.artifacts.modelTopology),
    format: 'layers-model',
    generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
    convertedBy: null,
    weightsManifest: [
      { paths: shards.map((_, i) => `group1-shard${i + 1}of${shards.length}.bin`), weights: structuredClone(saved.artifacts.weightSpecs!) as TfjsWeightSpec[] },
    ],
  };
  transform?.(modelJson);
  return { modelJson, shards };
}

const xs = new reference.Random(11).uniformArray(B * T * D, -2, 2);

function tfPredict(model: tfl.LayersModel): Float32Array {
  return (model.predict(tf.tensor3d(xs, [B, T, D])) as tf.Tensor).dataSync() as Float32Array;
}

async function ourPredict(model: Sequential): Promise<Float32Array> {
  const x = tensor(env.gpu, xs, [B, T, D]);
  const y = model.predict(x);
  const out = await y.data();
  x.dispose();
  y.dispose();
  return out;
}

describe('TensorFlow.js layers model import', () => {
  test('model.json + weight shards (weights spanning shards): the same predictions as TF.js', async () => {
    const source = tfModel();
    const expected = tfPredict(source);
    const { modelJson, shards } = toModelJson(await save(source), 700);
    expect(shards.length).toBeGreaterThan(2);
    const model = await importTfjsModel(env.gpu, modelJson, shards);
    expect(model.layers.map((l) => l.name)).toEqual(source.layers.map((l) => l.name));
    expect(model.outputShape()).toEqual([4]);
    expectClose(await ourPredict(model), expected, ATOL, RTOL, 'imported vs TF.js');
    // The weights are TF.js's, bit for bit, in the same order.
    const ours = await model.getWeightData();
    source.getWeights().forEach((w, i) => expect(ours[i]).toEqual(w.dataSync()));
    // The options that change results were read.
    const configs = model.layers.map((l) => (l as unknown as { config: Record<string, unknown> }).config);
    expect(configs[0]).toMatchObject({ returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [T, D] });
    expect(configs[1]).toMatchObject({ returnSequences: false, recurrentActivation: 'hardSigmoid', unitForgetBias: false });
    expect(configs[2]).toMatchObject({ activation: 'softmax', units: 4 });
    model.dispose();
  });

  test("tfjs's save artifacts, JSON text, and shards keyed by file name", async () => {
    const source = tfModel();
    const expected = tfPredict(source);
    const saved = await save(source);
    const fromArtifacts = await importTfjsModel(env.gpu, saved.artifacts as never);
    expectClose(await ourPredict(fromArtifacts), expected, ATOL, RTOL, 'from artifacts');
    const { modelJson, shards } = toModelJson(saved, 1000);
    const byName = Object.fromEntries(modelJson.weightsManifest[0].paths.map((p, i) => [p, new Uint8Array(shards[i])]));
    const fromText = await importTfjsModel(env.gpu, JSON.stringify(modelJson), byName);
    expectClose(await ourPredict(fromText), expected, ATOL, RTOL, 'from text');
    fromArtifacts.dispose();
    fromText.dispose();
  });

  test('a Keras file (tensorflowjs_converter): model_config, InputLayer, camelCase or snake_case keys, Keras weight names', async () => {
    const source = tfModel();
    const expected = tfPredict(source);
    const saved = await save(source);
    for (const camel of [false, true]) {
      const { modelJson, shards } = toModelJson(saved, 4 << 20, (json) => {
        const top = json.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
        const layerList = top.config.layers;
        const first = layerList[0].config;
        const input = { class_name: 'InputLayer', config: { batch_input_shape: first.batch_input_shape, dtype: 'float32', sparse: false, name: 'input_1' } };
        delete first.batch_input_shape;
        // Keras names: 'lstm', 'lstm_1', 'dense'; weights 'lstm/lstm_cell/kernel'.
        const renames = new Map<string, string>();
        layerList.forEach((l, i) => {
          const kerasName = ['lstm', 'lstm_1', 'dense'][i];
          renames.set(l.config.name as string, kerasName);
          l.config.name = kerasName;
          if (camel) l.config = Object.fromEntries(Object.entries(l.config).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
        });
        json.modelTopology = {
          keras_version: '2.15.0',
          backend: 'tensorflow',
          model_config: { class_name: 'Sequential', config: { name: 'sequential', layers: [input, ...layerList] } },
        };
        for (const w of json.weightsManifest[0].weights) {
          const [layer, weight] = w.name.split('/');
          const kerasLayer = renames.get(layer)!;
          w.name = kerasLayer.startsWith('dense') ? `${kerasLayer}/${weight}` : `${kerasLayer}/lstm_cell${kerasLayer.slice(4)}/${weight}`;
        }
      });
      const model = await importTfjsModel(env.gpu, modelJson, shards);
      expect(model.layers.map((l) => l.name)).toEqual(['lstm', 'lstm_1', 'dense']);
      expectClose(await ourPredict(model), expected, ATOL, RTOL, `Keras-style file (camelCase keys: ${camel})`);
      model.dispose();
    }
  });

  test('GRU (resetAfter: false, the form TF.js has) and SimpleRNN layers', async () => {
    const source = tfl.sequential({
      layers: [
        tfl.layers.gru({ units: H, inputShape: [T, D], returnSequences: true, recurrentInitializer, biasInitializer: 'randomNormal' }),
        tfl.layers.gru({ units: 6, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer, biasInitializer: 'randomNormal' }),
        tfl.layers.simpleRNN({ units: 5, recurrentInitializer, biasInitializer: 'randomNormal' }),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const expected = tfPredict(source);
    const { modelJson, shards } = toModelJson(await save(source), 500);
    const model = await importTfjsModel(env.gpu, modelJson, shards);
    const configs = model.layers.map((l) => (l as unknown as { config: Record<string, unknown> }).config);
    expect(configs[0]).toMatchObject({ resetAfter: false, recurrentActivation: 'hardSigmoid', returnSequences: true });
    expect(configs[1]).toMatchObject({ resetAfter: false, recurrentActivation: 'sigmoid' });
    expect(configs[2]).toMatchObject({ activation: 'tanh', units: 5, returnSequences: false });
    expectClose(await ourPredict(model), expected, ATOL, RTOL, 'GRU + SimpleRNN vs TF.js');
    model.dispose();
  });

  test('weights matched by position when their names do not say; the input shape inferred when the file has none', async () => {
    const source = tfModel();
    const expected = tfPredict(source);
    const { modelJson, shards } = toModelJson(await save(source), 1 << 20, (json) => {
      json.weightsManifest[0].weights.forEach((w, i) => (w.name = `variable_${i}`));
      delete (json.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0].config.batch_input_shape;
    });
    const model = await importTfjsModel(env.gpu, modelJson, shards);
    expect(model.layers[0].inputShape).toEqual([-1, D]);
    expectClose(await ourPredict(model), expected, ATOL, RTOL, 'by position');
    model.dispose();
  });

  test('uint8-quantized weights (tensorflowjs_converter --quantize_uint8) are dequantized', async () => {
    const source = tfModel();
    const saved = await save(source);
    // Quantize the Dense kernel as the converter does: q = round((v − min) / scale).
    const specs = saved.artifacts.weightSpecs!;
    const index = specs.findIndex((s) => s.name.endsWith('dense_Dense1/kernel') || (s.name.includes('dense') && s.name.endsWith('/kernel')));
    const values = source.getWeights()[index].dataSync() as Float32Array;
    const min = Math.min(...values);
    const scale = (Math.max(...values) - min) / 255;
    const q = Uint8Array.from(values, (v) => Math.round((v - min) / scale));
    // TF.js given the dequantized values is the expectation.
    const weights = source.getWeights().map((w) => w.clone());
    weights[index] = tf.tensor(
      Float32Array.from(q, (v) => v * scale + min),
      weights[index].shape,
    );
    source.setWeights(weights);
    const expected = tfPredict(source);
    // Rebuild the weight data with that weight stored as uint8.
    const parts: ArrayBuffer[] = [];
    let at = 0;
    specs.forEach((s, i) => {
      const bytes = s.shape.reduce((a, b) => a * b, 1) * 4;
      parts.push(i === index ? q.slice().buffer : saved.data.slice(at, at + bytes));
      at += bytes;
    });
    const quantizedSpecs = specs.map((s, i) => (i === index ? { ...s, quantization: { dtype: 'uint8' as const, scale, min } } : s));
    const model = await importTfjsModel(env.gpu, { ...saved.artifacts, weightSpecs: quantizedSpecs, weightData: parts } as never);
    expectClose(await ourPredict(model), expected, ATOL, RTOL, 'uint8-quantized');
    model.dispose();
  });
});

describe('TensorFlow.js import errors', () => {
  let saved: Saved;
  const get = async (): Promise<Saved> => (saved ??= await save(tfModel()));

  test('a truncated or missing shard', async () => {
    const { modelJson, shards } = toModelJson(await get(), 700);
    const truncated = [...shards];
    truncated[1] = truncated[1].slice(0, 300);
    await expect(importTfjsModel(env.gpu, modelJson, truncated)).rejects.toThrowError(ModelFormatError);
    await expect(importTfjsModel(env.gpu, modelJson, truncated)).rejects.toThrowError(/a shard is truncated or missing/);
    await expect(importTfjsModel(env.gpu, modelJson, shards.slice(1))).rejects.toThrowError(/names \d+ shard\(s\).* but \d+ were given/);
    await expect(importTfjsModel(env.gpu, modelJson, { 'other.bin': shards[0] })).rejects.toThrowError(/the shard group1-shard1of\d+\.bin is missing/);
  });

  test('layers and options this library does not implement', async () => {
    const edit = async (change: (layers: { class_name: string; config: Record<string, unknown> }[]) => void): Promise<TfjsModelJson> => {
      const { modelJson } = toModelJson(await get(), 1 << 20, (json) => change((json.modelTopology as { config: { layers: never[] } }).config.layers));
      return modelJson;
    };
    const shards = toModelJson(await get(), 1 << 20).shards;
    const conv = await edit((l) => void (l[1].class_name = 'Conv2D'));
    await expect(importTfjsModel(env.gpu, conv, shards)).rejects.toThrowError(/layer 1 is a Conv2D, which cannot be imported \(importable: LSTM, Dense/);
    const timeMajor = await edit((l) => void (l[0].config.time_major = true));
    await expect(importTfjsModel(env.gpu, timeMajor, shards)).rejects.toThrowError(
      /LSTM layer 'lstm_LSTM\d+' \(layer 0 of the file\): time_major=True is not supported/,
    );
    const gelu = await edit((l) => void (l[1].config.activation = 'mish'));
    await expect(importTfjsModel(env.gpu, gelu, shards)).rejects.toThrowError(/activation 'mish' is not supported/);
    const keras3 = await edit((l) => void (l[1].config.recurrent_activation = 'hard_sigmoid'));
    (keras3.modelTopology as Record<string, unknown>).keras_version = '3.3.3';
    await expect(importTfjsModel(env.gpu, keras3, shards)).rejects.toThrowError(/'hard_sigmoid' of Keras 3/);
    const functional = await edit(() => undefined);
    (functional.modelTopology as Record<string, unknown>).class_name = 'Functional';
    await expect(importTfjsModel(env.gpu, functional, shards)).rejects.toThrowError(/the model is a Functional; only Sequential models/);
  });

  test('weights that do not fit the layers', async () => {
    const { modelJson, shards } = toModelJson(await get(), 1 << 20, (json) => {
      const w = json.weightsManifest[0].weights;
      [w[0].shape, w[1].shape] = [[...w[0].shape].reverse(), w[1].shape]; // kernel [D, 4H] labelled [4H, D]
    });
    await expect(importTfjsModel(env.gpu, modelJson, shards)).rejects.toThrowError(
      /the weight 'lstm_LSTM\d+\/kernel' has shape \[32, 5\] but layer 0 .* needs \[5, 32\]/,
    );
  });
});

describe('TensorFlow.js import of TimeDistributed', () => {
  test('timeDistributed over Dense, Activation and Dropout: the same predictions as TF.js', async () => {
    const source = tfl.sequential({
      layers: [
        tfl.layers.lstm({ units: H, inputShape: [T, D], returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer }),
        tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 4, activation: 'tanh', biasInitializer: 'randomNormal' }) }),
        tfl.layers.timeDistributed({ layer: tfl.layers.dropout({ rate: 0.5 }) }),
        tfl.layers.timeDistributed({ layer: tfl.layers.activation({ activation: 'softplus' }) }),
        tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 2 }) }),
      ],
    });
    const expected = tfPredict(source);
    const { modelJson, shards } = toModelJson(await save(source), 1 << 20);
    const model = await importTfjsModel(env.gpu, modelJson, shards);
    expect(model.layers.map((l) => l.constructor.name)).toEqual(['Lstm', 'TimeDistributed', 'TimeDistributed', 'TimeDistributed', 'TimeDistributed']);
    expect(model.outputShape()).toEqual([T, 2]);
    expectClose(await ourPredict(model), expected, ATOL, RTOL, 'imported vs TF.js');
    model.dispose();
  });
});
