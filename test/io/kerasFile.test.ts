// loadKerasModel on files written by Keras itself: scripts/make-keras-fixture.py saved each
// model as a Keras 3 `.keras` archive and a legacy `.h5` file, with a seeded input and Keras's
// own `model.predict` of it. Loaded from bytes, a Blob or a path, the model on the GPU gives
// Keras's outputs.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync, strToU8 } from 'fflate';
import { describe, expect, test } from 'vitest';
import { loadKerasModel, ModelFormatError, type Sequential, tensor } from '../../src/index.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'keras');
const bytes = (file: string): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(join(dir, file)));

interface Fixture {
  keras: string;
  xShape: number[];
  x: number[];
  yShape: number[];
  y: number[];
}
const fixture = (name: string): Fixture => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Fixture;

// Both sides compute in f32 (Keras on JAX's CPU backend, ours on the GPU), in different orders.
// A pre-activation sums K ≤ 13 products of weights ~N(0, 0.25) and inputs or states of O(1):
// each side rounds it by ≤ K·2⁻²⁴·Σ|terms| ≈ 13 · 6e-8 · 8 ≈ 6e-6, so the two differ by ≤ 1.2e-5
// a step. The recurrences carry that through ≤ 10 steps with a state Jacobian of norm ≲ 1.5
// (|σ'| ≤ ¼, |tanh'| ≤ 1, ‖Wh‖ ~ 0.5·√H): ≤ 1.2e-5 · Σ 1.5ᵏ (k < 10) ≈ 1.4e-3 at worst; the
// heads are 1-Lipschitz. So 2e-3. (The files give 1.2e-7 on SwiftShader.) A wrong gate order,
// transpose or missing bias moves outputs of O(0.5) by ≥ 1e-2.
const ATOL = 2e-3;
const RTOL = 0;

async function predict(model: Sequential, f: Fixture): Promise<Float32Array> {
  const x = tensor(env.gpu, Float32Array.from(f.x), f.xShape);
  const y = model.predict(x);
  expect(y.shape).toEqual(f.yShape);
  const out = await y.data();
  x.dispose();
  y.dispose();
  return out;
}

const MODELS: [name: string, classes: string[]][] = [
  ['lstm-stack', ['Lstm', 'Lstm', 'Dense']],
  ['embedding-bigru', ['Embedding', 'Bidirectional', 'Dense']],
  ['conv-simplernn', ['Conv1d', 'MaxPooling1d', 'SimpleRnn', 'Dropout', 'Dense']],
  ['embedding-pooling', ['Embedding', 'GlobalAveragePooling1d', 'Dense', 'Activation']],
  ['shape-layers', ['Lstm', 'GlobalMaxPooling1d', 'RepeatVector', 'SimpleRnn', 'Flatten', 'Dense']],
  ['causal-conv', ['Conv1d', 'Conv1d', 'Conv1d', 'Gru', 'Dense']],
  ['time-distributed', ['Gru', 'TimeDistributed', 'TimeDistributed', 'TimeDistributed', 'TimeDistributed']],
  ['spatial-dropout', ['Embedding', 'SpatialDropout1d', 'Lstm', 'Dense']],
];

describe.each(MODELS)('loadKerasModel: %s', (name, classes) => {
  const f = fixture(name);

  test(`the .keras archive (bytes) gives Keras ${f.keras}'s outputs`, async () => {
    const model = await loadKerasModel(env.gpu, bytes(`${name}.keras`));
    expect(model.layers.map((l) => l.constructor.name)).toEqual(classes);
    expect(Math.max(...f.y.map(Math.abs))).toBeGreaterThan(0.05);
    expectClose(await predict(model, f), f.y, ATOL, RTOL, `${name}.keras`);
    model.dispose();
  });

  test('the legacy .h5 file (a path) gives the same outputs', async () => {
    const model = await loadKerasModel(env.gpu, join(dir, `${name}.h5`));
    expect(model.layers.map((l) => l.constructor.name)).toEqual(classes);
    expectClose(await predict(model, f), f.y, ATOL, RTOL, `${name}.h5`);
    model.dispose();
  });
});

describe('loadKerasModel: sources and errors', () => {
  test('a Blob, and the layers keep the names the file gives them', async () => {
    const model = await loadKerasModel(env.gpu, new Blob([bytes('lstm-stack.keras')]));
    expect(model.layers.map((l) => l.name)).toEqual(['lstm', 'lstm_1', 'dense']);
    expectClose(await predict(model, fixture('lstm-stack')), fixture('lstm-stack').y, ATOL, RTOL, 'from a Blob');
    model.dispose();
  });

  test('Keras names of activations and initializers become ours', async () => {
    const model = await loadKerasModel(env.gpu, bytes('conv-simplernn.keras'));
    const [conv, , rnn] = model.layers as unknown as { config: Record<string, unknown> }[];
    expect(conv.config).toMatchObject({ activation: 'elu', kernelInitializer: 'heNormal' });
    expect(rnn.config).toMatchObject({ activation: 'softsign' });
    model.dispose();
    const shapes = await loadKerasModel(env.gpu, bytes('shape-layers.h5'));
    expect((shapes.layers[0] as unknown as { config: Record<string, unknown> }).config).toMatchObject({
      recurrentActivation: 'softplus',
      kernelInitializer: 'lecunNormal',
    });
    shapes.dispose();
  });

  test.each(['keras', 'h5'])('a layer this library lacks is named (.%s)', async (ext) => {
    const error = await loadKerasModel(env.gpu, bytes(`unsupported-layer.${ext}`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as Error).message).toMatch(/layer 2 is a LayerNormalization, which cannot be imported \(importable: .*LSTM.*Embedding/);
  });

  test('bytes that are neither a zip nor HDF5', async () => {
    await expect(loadKerasModel(env.gpu, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).rejects.toThrow(
      /neither a \.keras archive \(zip\) nor a Keras \.h5 file \(HDF5\): its first bytes are 01 02 03/,
    );
    await expect(loadKerasModel(env.gpu, 42 as never)).rejects.toThrow(/loadKerasModel: source must be an ArrayBuffer, a typed array or a Blob/);
  });

  test('a truncated archive, and an archive without weights', async () => {
    const whole = bytes('lstm-stack.keras');
    await expect(loadKerasModel(env.gpu, whole.subarray(0, whole.length >> 1))).rejects.toThrow(ModelFormatError);
    const config = JSON.stringify({ class_name: 'Sequential', config: { layers: [] } });
    await expect(loadKerasModel(env.gpu, zipSync({ 'config.json': strToU8(config) }))).rejects.toThrow(/the \.keras archive has no model\.weights\.h5/);
  });

  test('a functional model is refused with what to do', async () => {
    const config = JSON.stringify({ class_name: 'Functional', config: { layers: [] } });
    const archive = zipSync({ 'config.json': strToU8(config), 'model.weights.h5': bytes('lstm-stack.h5') });
    await expect(loadKerasModel(env.gpu, archive)).rejects.toThrow(/the model is a Functional; only Sequential models can be imported/);
  });

  test('a URL is fetched as it is (here a data: URL)', async () => {
    const url = `data:application/octet-stream;base64,${Buffer.from(bytes('lstm-stack.h5')).toString('base64')}`;
    const model = await loadKerasModel(env.gpu, url);
    expectClose(await predict(model, fixture('lstm-stack')), fixture('lstm-stack').y, ATOL, RTOL, 'from a data: URL');
    model.dispose();
  });

  test('a missing path', async () => {
    await expect(loadKerasModel(env.gpu, join(dir, 'nothing-here.keras'))).rejects.toThrow(/no such file or directory/);
  });
});
