// Import of PyTorch weights: the fixtures in test/fixtures were written once by
// scripts/make-pytorch-fixture.py, which implements torch.nn.LSTM / nn.GRU / nn.Linear's
// documented equations in PyTorch's layout (see its header). Our import of its .safetensors
// file, run on the GPU, reproduces its outputs.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { layers, sequential, tensor, type Sequential } from '../../src/index.js';
import { importTfjsModel } from '../../src/io/importers.js';
import { ModelFormatError } from '../../src/spec/ioErrors.js';
import { importPytorchGru, importPytorchLstm, onnxLstmToKeras, pytorchLinearToDense } from '../../src/io/pytorch.js';
import { bfloat16ToFloat32, float16ToFloat32, readSafetensors, readSafetensorsHeader } from '../../src/io/safetensors.js';
import { expectClose, useGpu } from '../helpers/gpu.js';

const env = useGpu();
const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(join(fixtures, name)));

interface LstmFixture {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  outFeatures: number;
  batch: number;
  steps: number;
  x: number[];
  output: number[];
  head: number[];
}
interface GruFixture {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  batch: number;
  steps: number;
  x: number[];
  output: number[];
  h_n: number[];
}
const lstmFixture = JSON.parse(readFileSync(join(fixtures, 'pytorch-lstm.json'), 'utf8')) as LstmFixture;
const gruFixture = JSON.parse(readFileSync(join(fixtures, 'pytorch-gru.json'), 'utf8')) as GruFixture;

// The fixture is float64 math on the f32 weights and inputs stored in the files; the GPU runs
// f32. Each gate pre-activation sums ≤ 15 products of O(1) values (error ~1e-7), σ and tanh
// are 1-Lipschitz and the state passes through 6 steps and 2 layers: ~1e-6 at most. 1e-5 is a
// 10× margin; a wrong gate order, a missing transpose or a dropped bias gives errors ≥ 1e-2
// (the outputs reach ±0.2).
const ATOL = 1e-5;
const RTOL = 1e-5;

async function run(model: Sequential, x: number[], shape: number[]): Promise<Float32Array> {
  const input = tensor(env.gpu, Float32Array.from(x), shape);
  const y = model.predict(input);
  const out = await y.data();
  input.dispose();
  y.dispose();
  return out;
}

describe('PyTorch nn.LSTM from a .safetensors state_dict', () => {
  const dict = readSafetensors(bytes('pytorch-lstm.safetensors'));
  const { inputSize: D, hiddenSize: H, numLayers: L, outFeatures: O, batch: B, steps: T } = lstmFixture;

  test('the .safetensors file reads with its names and shapes', () => {
    const header = readSafetensorsHeader(bytes('pytorch-lstm.safetensors'));
    expect(Object.keys(dict).sort()).toEqual(
      ['head.bias', 'head.weight', ...[0, 1].flatMap((k) => ['bias_hh', 'bias_ih', 'weight_hh', 'weight_ih'].map((n) => `lstm.${n}_l${k}`))].sort(),
    );
    expect(header.tensors['lstm.weight_ih_l0']).toMatchObject({ dtype: 'F32', shape: [4 * H, D] });
    expect(header.tensors['lstm.weight_ih_l1'].shape).toEqual([4 * H, H]);
    expect(header.metadata.generator).toBe('scripts/make-pytorch-fixture.py');
    expect(dict['lstm.weight_hh_l1'].length).toBe(4 * H * H);
  });

  test('imported into two stacked layers.lstm, the GPU forward reproduces the output sequence', async () => {
    const weights = importPytorchLstm(dict); // sizes and the 'lstm.' prefix inferred
    expect(weights.map((w) => w.length)).toEqual([D * 4 * H, H * 4 * H, 4 * H, H * 4 * H, H * 4 * H, 4 * H]);
    expect(importPytorchLstm(dict, { inputSize: D, hiddenSize: H, numLayers: L, prefix: 'lstm.' })).toEqual(weights);
    const model = sequential(env.gpu, [layers.lstm({ units: H, inputShape: [T, D], returnSequences: true }), layers.lstm({ units: H, returnSequences: true })]);
    model.setWeights(weights);
    const y = await run(model, lstmFixture.x, [B, T, D]);
    expect(Math.max(...lstmFixture.output.map(Math.abs))).toBeGreaterThan(0.1);
    expectClose(y, lstmFixture.output, ATOL, RTOL, 'nn.LSTM output');
    model.dispose();
  });

  test('with the nn.Linear head on the last step', async () => {
    const model = sequential(env.gpu, [
      layers.lstm({ units: H, inputShape: [T, D], returnSequences: true }),
      layers.lstm({ units: H }),
      layers.dense({ units: O }),
    ]);
    model.setWeights([...importPytorchLstm(dict), ...pytorchLinearToDense(dict['head.weight'], dict['head.bias'], { inFeatures: H, outFeatures: O })]);
    expectClose(await run(model, lstmFixture.x, [B, T, D]), lstmFixture.head, ATOL, RTOL, 'LSTM + Linear head');
    model.dispose();
  });

  test('the layout: kernel = weight_ihᵀ, bias = bias_ih + bias_hh, gate blocks in place', () => {
    const [kernel, recurrent, bias] = importPytorchLstm(dict);
    const ih = dict['lstm.weight_ih_l0'];
    const hh = dict['lstm.weight_hh_l0'];
    for (const [row, col] of [
      [0, 0],
      [2 * H + 3, 4],
      [4 * H - 1, D - 1],
    ])
      expect(kernel[col * 4 * H + row]).toBe(ih[row * D + col]);
    for (const [row, col] of [
      [H + 1, 2],
      [4 * H - 1, H - 1],
    ])
      expect(recurrent[col * 4 * H + row]).toBe(hh[row * H + col]);
    expect(bias[5]).toBe(Math.fround(dict['lstm.bias_ih_l0'][5] + dict['lstm.bias_hh_l0'][5]));
  });

  test('ONNX LSTM (gates i, o, f, c; B = [Wb, Rb]) gives the same Keras weights', () => {
    const torch = { ih: dict['lstm.weight_ih_l0'], hh: dict['lstm.weight_hh_l0'], bih: dict['lstm.bias_ih_l0'], bhh: dict['lstm.bias_hh_l0'] };
    // PyTorch blocks i, f, g, o → ONNX i, o, f, c, as torch.onnx.export writes them.
    const toOnnx = (m: Float32Array, cols: number): Float32Array => {
      const out = new Float32Array(m.length);
      [0, 3, 1, 2].forEach((from, to) => out.set(m.subarray(from * H * cols, (from + 1) * H * cols), to * H * cols));
      return out;
    };
    const W = toOnnx(torch.ih, D);
    const R = toOnnx(torch.hh, H);
    const Bias = new Float32Array(8 * H);
    Bias.set(toOnnx(torch.bih, 1), 0);
    Bias.set(toOnnx(torch.bhh, 1), 4 * H);
    const expected = importPytorchLstm(dict).slice(0, 3);
    expect(onnxLstmToKeras({ W, R, B: Bias }, { inputSize: D, hiddenSize: H })).toEqual(expected);
    // The second direction of a bidirectional node.
    const two = (a: Float32Array): Float32Array => {
      const out = new Float32Array(2 * a.length);
      out.set(a, a.length);
      return out;
    };
    expect(onnxLstmToKeras({ W: two(W), R: two(R), B: two(Bias) }, { inputSize: D, hiddenSize: H, direction: 1 })).toEqual(expected);
  });

  test('a state_dict that does not fit gives a ModelFormatError naming the key', () => {
    const missing = { ...dict };
    delete missing['lstm.weight_hh_l1'];
    expect(() => importPytorchLstm(missing)).toThrowError(/'lstm\.weight_hh_l1' is missing for layer 1 of 2/);
    expect(() => importPytorchLstm(dict, { hiddenSize: 5 })).toThrowError(ModelFormatError);
    expect(() => importPytorchLstm({ ...dict, 'other.weight_ih_l0': dict['lstm.weight_ih_l0'] })).toThrowError(
      /several modules.*'lstm\.'.*'other\.'.*pass prefix/,
    );
    expect(() => importPytorchLstm({ ...dict, 'lstm.weight_ih_l0_reverse': dict['lstm.weight_ih_l0'] })).toThrowError(/bidirectional.*direction/);
    const noBias = Object.fromEntries(Object.entries(dict).filter(([k]) => !k.includes('bias_ih_l1')));
    expect(() => importPytorchLstm(noBias)).toThrowError(/layer 1 has only one of bias_ih and bias_hh/);
  });
});

describe('PyTorch nn.GRU → Keras GRU (resetAfter: true)', () => {
  const dict = readSafetensors(bytes('pytorch-gru.safetensors'));
  const { inputSize: D, hiddenSize: H, batch: B, steps: T } = gruFixture;

  /** Keras GRU, resetAfter = true, on Keras-layout weights, in float64: the layout's spec. */
  function kerasGru(x: ArrayLike<number>, Din: number, kernel: Float32Array, recurrent: Float32Array, bias: Float32Array): Float64Array {
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    const out = new Float64Array(B * T * H);
    for (let b = 0; b < B; b++) {
      let h = new Float64Array(H);
      for (let t = 0; t < T; t++) {
        const a = new Float64Array(3 * H);
        const m = new Float64Array(3 * H);
        for (let j = 0; j < 3 * H; j++) {
          a[j] = bias[j];
          m[j] = bias[3 * H + j];
          for (let d = 0; d < Din; d++) a[j] += x[(b * T + t) * Din + d] * kernel[d * 3 * H + j];
          for (let k = 0; k < H; k++) m[j] += h[k] * recurrent[k * 3 * H + j];
        }
        const next = new Float64Array(H);
        for (let j = 0; j < H; j++) {
          const z = sig(a[j] + m[j]);
          const r = sig(a[H + j] + m[H + j]);
          const n = Math.tanh(a[2 * H + j] + r * m[2 * H + j]);
          next[j] = z * h[j] + (1 - z) * n;
        }
        h = next;
        out.set(h, (b * T + t) * H);
      }
    }
    return out;
  }

  test('the converted weights, run by the Keras equations, reproduce nn.GRU', () => {
    const w = importPytorchGru(dict);
    expect(w.map((v) => v.length)).toEqual([D * 3 * H, H * 3 * H, 6 * H, H * 3 * H, H * 3 * H, 6 * H]);
    const layer0 = kerasGru(gruFixture.x, D, w[0], w[1], w[2]);
    const layer1 = kerasGru(layer0, H, w[3], w[4], w[5]);
    // float64 on both sides from the same f32 weights: only summation order differs.
    expectClose(layer1, gruFixture.output, 1e-12, 1e-12, 'Keras-equation GRU vs nn.GRU');
    // The reorder r, z, n → z, r, h, at feature d = 2, unit 1 of each gate block:
    const ih = dict.weight_ih_l0;
    expect(w[0][2 * 3 * H + 1]).toBe(ih[(H + 1) * D + 2]); // Keras z ← PyTorch block 1
    expect(w[0][2 * 3 * H + H + 1]).toBe(ih[1 * D + 2]); // Keras r ← PyTorch block 0
    expect(w[0][2 * 3 * H + 2 * H + 1]).toBe(ih[(2 * H + 1) * D + 2]); // Keras h ← PyTorch n
    // Both biases kept: row 0 input (b_iz first), row 1 recurrent (b_hz first).
    expect(w[2][0]).toBe(dict.bias_ih_l0[H]);
    expect(w[2][3 * H]).toBe(dict.bias_hh_l0[H]);
  });
});

describe('PyTorch nn.GRU on the GPU', () => {
  test('imported into two stacked GRU layers (resetAfter: true), the GPU forward reproduces nn.GRU', async () => {
    const dict = readSafetensors(bytes('pytorch-gru.safetensors'));
    const { inputSize: D, hiddenSize: H, batch: B, steps: T } = gruFixture;
    const model = sequential(env.gpu, [layers.gru({ units: H, inputShape: [T, D], returnSequences: true }), layers.gru({ units: H, returnSequences: true })]);
    model.setWeights(importPytorchGru(dict));
    // Same reasoning and margin as the LSTM's (≤ 9 + 5 terms a gate, 5 steps, 2 layers).
    expectClose(await run(model, gruFixture.x, [B, T, D]), gruFixture.output, ATOL, RTOL, 'nn.GRU output (GPU)');
    model.dispose();
  });

  test('the same weights in a Keras 2 model.json (reset_after=True, bias [2, 3H]) import and run alike', async () => {
    const dict = readSafetensors(bytes('pytorch-gru.safetensors'));
    const { inputSize: D, hiddenSize: H, batch: B, steps: T } = gruFixture;
    const weights = importPytorchGru(dict);
    const gru = (name: string, extra: Record<string, unknown>) => ({
      class_name: 'GRU',
      config: { name, units: H, return_sequences: true, reset_after: true, recurrent_activation: 'sigmoid', ...extra },
    });
    const names = ['kernel', 'recurrent_kernel', 'bias'];
    const specs = weights.map((w, i) => {
      const layer = i < 3 ? 'gru' : 'gru_1';
      const shape = [
        [D, 3 * H],
        [H, 3 * H],
        [2, 3 * H],
        [H, 3 * H],
        [H, 3 * H],
        [2, 3 * H],
      ][i];
      expect(w.length).toBe(shape[0] * shape[1]);
      return { name: `${layer}/${layer}_cell/${names[i % 3]}:0`, shape, dtype: 'float32' };
    });
    const data = new Float32Array(weights.reduce((n, w) => n + w.length, 0));
    weights.reduce((at, w) => (data.set(w, at), at + w.length), 0);
    const modelJson = {
      format: 'layers-model',
      modelTopology: {
        keras_version: '2.15.0',
        backend: 'tensorflow',
        model_config: { class_name: 'Sequential', config: { name: 's', layers: [gru('gru', { batch_input_shape: [null, T, D] }), gru('gru_1', {})] } },
      },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: specs }],
    };
    const model = await importTfjsModel(env.gpu, modelJson, [data.buffer]);
    expectClose(await run(model, gruFixture.x, [B, T, D]), gruFixture.output, ATOL, RTOL, 'Keras GRU file');
    model.dispose();
  });
});

describe('.safetensors reader', () => {
  /** A .safetensors file from a header and raw data. */
  function file(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
    let text = JSON.stringify(header);
    text += ' '.repeat((8 - (text.length % 8)) % 8);
    const head = new TextEncoder().encode(text);
    const out = new Uint8Array(8 + head.length + data.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
    out.set(head, 8);
    out.set(data, 8 + head.length);
    return out;
  }

  test('F16, BF16, F64 and I32 are converted to f32', () => {
    const data = new Uint8Array(12 + 6 + 16 + 8);
    const view = new DataView(data.buffer);
    [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x7c00].forEach((bits, i) => view.setUint16(2 * i, bits, true));
    [0x3f80, 0xc0a0, 0x4049].forEach((bits, i) => view.setUint16(12 + 2 * i, bits, true));
    [0.1, -1e10].forEach((v, i) => view.setFloat64(18 + 8 * i, v, true));
    [-7, 123456].forEach((v, i) => view.setInt32(34 + 4 * i, v, true));
    const bytes = file(
      {
        __metadata__: { format: 'pt' },
        half: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] },
        brain: { dtype: 'BF16', shape: [3], data_offsets: [12, 18] },
        double: { dtype: 'F64', shape: [2], data_offsets: [18, 34] },
        int: { dtype: 'I32', shape: [2], data_offsets: [34, 42] },
      },
      data,
    );
    const t = readSafetensors(bytes);
    expect(Array.from(t.half)).toEqual([1, -2, 0.5, 65504, 2 ** -24, Infinity]);
    expect(Array.from(t.brain)).toEqual([1, -5, 3.140625]);
    expect(Array.from(t.double)).toEqual([Math.fround(0.1), Math.fround(-1e10)]);
    expect(Array.from(t.int)).toEqual([-7, 123456]);
    expect(readSafetensorsHeader(bytes).metadata).toEqual({ format: 'pt' });
    expect(float16ToFloat32(0xfc01)).toBeNaN();
    expect(bfloat16ToFloat32(0x8000)).toBe(-0);
  });

  test('truncated or inconsistent files give a ModelFormatError', () => {
    const good = bytes('pytorch-gru.safetensors');
    expect(() => readSafetensors(good.subarray(0, good.length - 4))).toThrowError(/past its \d+ bytes: the file is truncated/);
    expect(() => readSafetensors(good.subarray(0, 100))).toThrowError(/the header claims \d+ bytes/);
    expect(() => readSafetensors(good.subarray(0, 5))).toThrowError(ModelFormatError);
    const bad = file({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(12));
    expect(() => readSafetensors(bad)).toThrowError(/'a' \(F32 \[3\]\) needs 12 bytes but its data_offsets span 8/);
    const f8 = file({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1));
    expect(() => readSafetensors(f8)).toThrowError(/dtype "F8_E4M3"; supported/);
  });
});
