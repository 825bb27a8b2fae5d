// Save and load: round trips give bit-identical predictions; a bad file (truncated, another
// version, a missing weight, a wrong shape, a corrupt byte) gives a ModelFormatError and
// changes nothing.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { layers, reference, type RnnError, sequential, tensor, type Sequential } from '../../src/index.js';
import { Gru } from '../../src/lstm/gru.js';
import { SimpleRnn } from '../../src/lstm/simpleRnn.js';
import { crc32 } from '../../src/io/binary.js';
import { loadModel, loadWeights, MODEL_FORMAT_VERSION, saveModel, type ModelArtifacts, type ModelJson } from '../../src/io/io.js';
import { ModelFormatError, ModelIOError } from '../../src/spec/ioErrors.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();
const [B, T, D, H] = [3, 5, 4, 6];
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'webgpu-rnn-io-'));
  dirs.push(dir);
  return dir;
}

function stack(seed = 1): Sequential {
  return sequential(env.gpu, [
    layers.lstm({ units: H, inputShape: [T, D], returnSequences: true, seed }),
    layers.lstm({ units: H + 1, recurrentActivation: 'hardSigmoid', unitForgetBias: false, seed: seed + 1 }),
    layers.dense({ units: 3, activation: 'softmax', seed: seed + 2 }),
  ]);
}

const x = (): Float32Array => new reference.Random(7).uniformArray(B * T * D, -2, 2);

async function predict(model: Sequential, data = x(), shape = [B, T, D]): Promise<Float32Array> {
  const input = tensor(env.gpu, data, shape);
  const y = model.predict(input);
  const values = await y.data();
  y.dispose();
  input.dispose();
  return values;
}

/** A deep copy of saved artifacts, to corrupt. */
function copy(a: ModelArtifacts): ModelArtifacts {
  return { modelJson: structuredClone(a.modelJson), weights: a.weights.slice(0) };
}

/** Bitwise equality of two f32 arrays (NaN-safe, -0 ≠ +0). */
function bitEqual(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('round trip', () => {
  test('in memory: same topology, bit-identical weights and predictions', async () => {
    const model = stack();
    const saved = await saveModel(model);
    expect(saved.modelJson.format).toBe('webgpu-rnn');
    expect(saved.modelJson.formatVersion).toBe(MODEL_FORMAT_VERSION);
    expect(saved.modelJson.modelTopology.inputShape).toEqual([T, D]);
    expect(saved.modelJson.modelTopology.layers.map((l) => l.className)).toEqual(['LSTM', 'LSTM', 'Dense']);
    const names = saved.modelJson.weightsManifest.weights.map((w) => w.name.split('/')[1]);
    expect(names).toEqual(['kernel', 'recurrent_kernel', 'bias', 'kernel', 'recurrent_kernel', 'bias', 'kernel', 'bias']);
    const shapes = saved.modelJson.weightsManifest.weights.map((w) => w.shape);
    expect(shapes).toEqual([[D, 4 * H], [H, 4 * H], [4 * H], [H, 4 * (H + 1)], [H + 1, 4 * (H + 1)], [4 * (H + 1)], [H + 1, 3], [3]]);
    expect(saved.weights.byteLength).toBe(model.countParams() * 4);

    const loaded = await loadModel(env.gpu, saved);
    const [a, b] = [await model.getWeightData(), await loaded.getWeightData()];
    b.forEach((w, i) => expect(bitEqual(w, a[i]), `weight ${i}`).toBe(true));
    expect(bitEqual(await predict(loaded), await predict(model))).toBe(true);
    // The options survive, initializers included (the load builds with zeros, then restores them).
    expect((await saveModel(loaded)).modelJson.modelTopology).toEqual(saved.modelJson.modelTopology);
    const lstm2 = loaded.layers[1] as unknown as { config: Record<string, unknown> };
    expect(lstm2.config).toMatchObject({ recurrentActivation: 'hardSigmoid', unitForgetBias: false, recurrentInitializer: 'orthogonal' });
    model.dispose();
    loaded.dispose();
  });

  test('GRU (both resetAfter forms) and SimpleRNN layers', async () => {
    const model = sequential(env.gpu, [
      layers.gru({ units: H, inputShape: [T, D], returnSequences: true, seed: 1 }),
      layers.gru({ units: H, resetAfter: false, recurrentActivation: 'hardSigmoid', returnSequences: true, seed: 2 }),
      layers.simpleRNN({ units: 4, activation: 'relu', seed: 3 }),
      layers.dense({ units: 2, seed: 4 }),
    ]);
    const saved = await saveModel(model);
    expect(saved.modelJson.modelTopology.layers.map((l) => l.className)).toEqual(['GRU', 'GRU', 'SimpleRNN', 'Dense']);
    expect(saved.modelJson.weightsManifest.weights.map((w) => w.shape).slice(0, 6)).toEqual([
      [D, 3 * H],
      [H, 3 * H],
      [2, 3 * H],
      [H, 3 * H],
      [H, 3 * H],
      [3 * H],
    ]);
    const loaded = await loadModel(env.gpu, saved);
    expect(loaded.layers[0]).toBeInstanceOf(Gru);
    expect(loaded.layers[2]).toBeInstanceOf(SimpleRnn);
    expect(bitEqual(await predict(loaded), await predict(model))).toBe(true);
    expect((await saveModel(loaded)).modelJson.modelTopology).toEqual(saved.modelJson.modelTopology);
    // Another architecture; a GRU's bias of the other resetAfter form does not fit.
    const other = sequential(env.gpu, [layers.gru({ units: H, inputShape: [T, D] })]);
    await expect(loadWeights(other, saved)).rejects.toThrowError(/holds the layers \[GRU, GRU, SimpleRNN, Dense\] but the model has \[GRU\]/);
    const wrongBias = sequential(env.gpu, [
      layers.gru({ units: H, inputShape: [T, D], returnSequences: true, resetAfter: false }),
      layers.gru({ units: H, resetAfter: false, returnSequences: true }),
      layers.simpleRNN({ units: 4 }),
      layers.dense({ units: 2 }),
    ]);
    await expect(loadWeights(wrongBias, saved)).rejects.toThrowError(/has shape \[2, 18\] in the file but layer 0 needs \[18\]/);
    for (const m of [model, loaded, other, wrongBias]) m.dispose();
  });

  test('to a directory in Node: model.json + weights.bin, loaded by directory or by file', async () => {
    const model = stack(10);
    const dir = join(await tempDir(), 'nested', 'model');
    const saved = await saveModel(model, dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJson;
    expect(json).toEqual(saved.modelJson);
    expect(json.weightsManifest.path).toBe('weights.bin');
    const bin = await readFile(join(dir, 'weights.bin'));
    expect(bin.byteLength).toBe(json.weightsManifest.byteLength);
    expect(crc32(bin)).toBe(json.weightsManifest.crc32);
    // Little-endian f32: the first value of the file is the first kernel's first value.
    expect(bin.readFloatLE(0)).toBe((await model.getWeightData())[0][0]);

    const expected = await predict(model);
    for (const source of [dir, join(dir, 'model.json'), `file://${dir}`]) {
      const loaded = await loadModel(env.gpu, source);
      expect(bitEqual(await predict(loaded), expected), source).toBe(true);
      loaded.dispose();
    }
    model.dispose();
  });

  test('a model built by predict (any number of steps), no bias, and a Dense-only model', async () => {
    const model = sequential(env.gpu, [layers.lstm({ units: H, useBias: false, returnSequences: true }), layers.dense({ units: 2, activation: 'tanh' })]);
    const y = await predict(model); // builds for [steps = any, D]
    const saved = await saveModel(model);
    expect(saved.modelJson.modelTopology.inputShape).toEqual([null, D]);
    expect(saved.modelJson.weightsManifest.weights.map((w) => w.name.split('/')[1])).toEqual(['kernel', 'recurrent_kernel', 'kernel', 'bias']);
    const loaded = await loadModel(env.gpu, saved);
    expect(bitEqual(await predict(loaded), y)).toBe(true);
    // Any number of steps still.
    const longer = new reference.Random(3).uniformArray(2 * 9 * D);
    expect(bitEqual(await predict(loaded, longer, [2, 9, D]), await predict(model, longer, [2, 9, D]))).toBe(true);

    const dense = sequential(env.gpu, [layers.dense({ units: 5, inputShape: [D], activation: 'relu' }), layers.dense({ units: 1 })]);
    const rows = new reference.Random(4).uniformArray(7 * D, -1, 1);
    const loadedDense = await loadModel(env.gpu, await saveModel(dense));
    expect(bitEqual(await predict(loadedDense, rows, [7, D]), await predict(dense, rows, [7, D]))).toBe(true);
    for (const m of [model, loaded, dense, loadedDense]) m.dispose();
  });

  test('the JSON and weights given as text and bytes (e.g. read from files), and a custom save handler', async () => {
    const model = stack(20);
    let received: ModelArtifacts | undefined;
    await saveModel(model, { save: (a) => void (received = a) });
    expect(received).toBeDefined();
    const text = JSON.stringify(received!.modelJson);
    const bytes = new Uint8Array(received!.weights.byteLength + 3);
    bytes.set(new Uint8Array(received!.weights), 3); // unaligned view
    const loaded = await loadModel(env.gpu, { modelJson: text, weights: bytes.subarray(3) });
    expect(bitEqual(await predict(loaded), await predict(model))).toBe(true);
    model.dispose();
    loaded.dispose();
  });

  test('loadWeights into a model of the same architecture (other layer names)', async () => {
    const source = stack(30);
    const target = stack(40);
    expect(bitEqual(await predict(target), await predict(source))).toBe(false);
    await loadWeights(target, await saveModel(source));
    expect(bitEqual(await predict(target), await predict(source))).toBe(true);
    source.dispose();
    target.dispose();
  });
});

describe('a bad file changes nothing and says what is wrong', () => {
  let saved: ModelArtifacts;
  let model: Sequential;

  /**
   * loadModel (unless `only` is 'loadWeights') and loadWeights (unless 'loadModel') reject
   * `bad` with `error` and `message`; the model loaded into keeps its weights.
   */
  async function rejects(bad: ModelArtifacts | string, error: typeof RnnError, message: RegExp, only?: 'loadModel' | 'loadWeights'): Promise<void> {
    saved ??= await saveModel(stack(50));
    model ??= stack(60);
    const before = await model.getWeightData();
    const yBefore = await predict(model);
    if (only !== 'loadWeights') {
      await expect(loadModel(env.gpu, bad)).rejects.toThrowError(error);
      await expect(loadModel(env.gpu, bad)).rejects.toThrowError(message);
    }
    if (only !== 'loadModel') {
      await expect(loadWeights(model, bad)).rejects.toThrowError(error);
      await expect(loadWeights(model, bad)).rejects.toThrowError(message);
    }
    const after = await model.getWeightData();
    after.forEach((w, i) => expect(bitEqual(w, before[i]), `weight ${i} changed`).toBe(true));
    expect(bitEqual(await predict(model), yBefore)).toBe(true);
  }

  test('truncated weight file', async () => {
    saved ??= await saveModel(stack(50));
    const bad = copy(saved);
    bad.weights = bad.weights.slice(0, bad.weights.byteLength - 10);
    await rejects(bad, ModelFormatError, /holds \d+ bytes but model\.json expects \d+: it is truncated/);
  });

  test('truncated model.json', async () => {
    saved ??= await saveModel(stack(50));
    const text = JSON.stringify(saved.modelJson);
    await rejects({ modelJson: text.slice(0, text.length / 2), weights: saved.weights } as never, ModelFormatError, /not valid JSON.*truncated/);
  });

  test('another format version, another format, a TF.js file', async () => {
    saved ??= await saveModel(stack(50));
    const newer = copy(saved);
    newer.modelJson.formatVersion = 2;
    await rejects(newer, ModelFormatError, /format version 2; this version of webgpu-rnn reads version 1: the file was written by a newer webgpu-rnn/);
    const other = copy(saved);
    (other.modelJson as { format: string }).format = 'keras';
    await rejects(other, ModelFormatError, /not a webgpu-rnn model/);
    const tfjs = { modelJson: { modelTopology: {}, weightsManifest: [] }, weights: new ArrayBuffer(0) };
    await rejects(tfjs as never, ModelFormatError, /TensorFlow\.js model\.json.*importTfjsModel/);
  });

  test('a missing weight', async () => {
    saved ??= await saveModel(stack(50));
    const bad = copy(saved);
    const [removed] = bad.modelJson.weightsManifest.weights.splice(4, 1);
    await rejects(bad, ModelFormatError, new RegExp(`the weight '${removed.name}' of layer 1 \\(LSTM, shape \\[7, 28\\]\\) is missing`));
  });

  test('a weight of another shape, and a model of another architecture', async () => {
    saved ??= await saveModel(stack(50));
    const bad = copy(saved);
    bad.modelJson.weightsManifest.weights[0].shape = [4 * H, D]; // same size, transposed
    await rejects(bad, ModelFormatError, /has shape \[24, 4\] in the file but layer 0 needs \[4, 24\]/);

    const other = sequential(env.gpu, [
      layers.lstm({ units: H, inputShape: [T, D], returnSequences: true }),
      layers.lstm({ units: H + 1 }),
      layers.dense({ units: 4 }),
    ]);
    await rejects(await saveModel(other), ModelFormatError, /has shape \[7, 4\] in the file but layer 2 needs \[7, 3\]/, 'loadWeights');
    const shorter = sequential(env.gpu, [layers.lstm({ units: H, inputShape: [T, D] }), layers.dense({ units: 3 })]);
    await rejects(await saveModel(shorter), ModelFormatError, /holds the layers \[LSTM, Dense\] but the model has \[LSTM, LSTM, Dense\]/, 'loadWeights');
    other.dispose();
    shorter.dispose();
  });

  test('a corrupt byte, a NaN in the weights, a weight past the end, an unknown layer type', async () => {
    saved ??= await saveModel(stack(50));
    const flipped = copy(saved);
    new Uint8Array(flipped.weights)[17] ^= 0x40;
    await rejects(flipped, ModelFormatError, /does not match model\.json \(CRC-32/);

    const nan = copy(saved);
    new Float32Array(nan.weights)[5] = NaN;
    nan.modelJson.weightsManifest.crc32 = crc32(new Uint8Array(nan.weights));
    await rejects(nan, ModelFormatError, /saved weights were rejected.*NaN at flat index 5/);

    const past = copy(saved);
    past.modelJson.weightsManifest.weights[7].byteOffset += 8;
    await rejects(past, ModelFormatError, /ends at byte \d+, past the weight file/);

    const unknown = copy(saved);
    unknown.modelJson.modelTopology.layers[2].className = 'Conv2D';
    await expect(loadModel(env.gpu, unknown)).rejects.toThrowError(/layer 2 is a Conv2D, a layer type this version cannot load \(known: LSTM, Dense/);
  });

  test('invalid layer options are a ModelFormatError', async () => {
    saved ??= await saveModel(stack(50));
    const bad = copy(saved);
    bad.modelJson.modelTopology.layers[0].config.recurrentActivation = 'mish';
    // loadWeights takes only the weights: the options are loadModel's.
    await rejects(bad, ModelFormatError, /recurrentActivation "mish" is not one of/, 'loadModel');
    const state = copy(saved);
    state.modelJson.modelTopology.layers[1].config.returnState = true;
    await expect(loadModel(env.gpu, state)).rejects.toThrowError(/do not make a Sequential model: .*returnState/);
  });

  test('storage that cannot be reached is a ModelIOError', async () => {
    const dir = await tempDir();
    await expect(loadModel(env.gpu, join(dir, 'nothing-here'))).rejects.toThrowError(ModelIOError);
    await expect(loadModel(env.gpu, 'indexeddb://m')).rejects.toThrowError(/no IndexedDB/);
    await expect(loadModel(env.gpu, 'downloads://m')).rejects.toThrowError(/downloads:\/\/ is a place to save to/);
    model ??= stack(60);
    await expect(saveModel(model, 'downloads://m')).rejects.toThrowError(/downloads need a browser page/);
    // A directory whose weights.bin is missing.
    await writeFile(join(dir, 'model.json'), JSON.stringify((saved ??= await saveModel(stack(50))).modelJson));
    await expect(loadModel(env.gpu, dir)).rejects.toThrowError(/Cannot read .*weights\.bin/);
    // A model.json cannot make the loader read a file elsewhere.
    for (const path of ['../weights.bin', '/etc/passwd', 'file:///etc/passwd']) {
      const json = structuredClone(saved.modelJson);
      json.weightsManifest.path = path;
      await writeFile(join(dir, 'model.json'), JSON.stringify(json));
      await expect(loadModel(env.gpu, dir)).rejects.toThrowError(/must be a path relative to model\.json/);
    }
  });

  test('saving a model that is not built', async () => {
    const unbuilt = sequential(env.gpu, [layers.lstm({ units: 2 })]);
    await expect(saveModel(unbuilt)).rejects.toThrowError(/no weights yet/);
  });
});
