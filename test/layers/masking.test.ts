// Keras masking on the GPU: masked steps carry the state of LSTM, GRU (both resetAfter modes)
// and SimpleRNN through inside the step kernel, forward and backward, against the CPU reference
// (itself checked by finite differences), and the padded-batch equivalence with Masking and
// Embedding maskZero.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, test } from 'vitest';
import { layers, loadModel, reference, sequential, tensor, type Tensor } from '../../src/index.js';
import { lstmBackward, lstmForwardTrain } from '../../src/reference/backward.js';
import { ReferenceGru, gruBackward, gruForwardTrain } from '../../src/reference/gru.js';
import { ReferenceSimpleRnn, simpleRnnBackward, simpleRnnForwardTrain } from '../../src/reference/simpleRnn.js';
import { expectClose, maxAbsError, useGpu } from '../helpers/gpu.js';

const env = useGpu();

// Forward as the unmasked layer test (forward.test.ts): f32 step errors ~1e-6 and the input
// projection's f32 sums; a masked step only copies, so it adds no error.
const ATOL = 1e-4;
const RTOL = 1e-4;
// Gradients: f32 sums over T·B rows (≤ 60 here) of products of O(1) terms, as the unmasked
// gradient tests (training.test.ts) state; masked steps add exact zeros and copies only.
const GRAD_ATOL = 1e-4;
const GRAD_RTOL = 1e-3;

/** [B, T] masks: sample 0 fully masked, sample 1 with holes in the middle, the rest post-padded. */
function makeMask(B: number, T: number): Float32Array {
  const m = new Float32Array(B * T).fill(1);
  for (let t = 0; t < T; t++) m[t] = 0;
  if (B > 1) for (const t of [1, 2, Math.floor(T / 2) + 1]) if (t < T) m[T + t] = 0;
  for (let b = 2; b < B; b++) for (let t = T - b + 1; t < T; t++) if (t > 0) m[b * T + t] = 0;
  return m;
}

type Cell = 'lstm' | 'gruAfter' | 'gruBefore' | 'simpleRnn';

interface GpuCell {
  apply(x: Tensor, options: { mask?: Tensor }): Tensor | Tensor[];
  gradients(
    x: Tensor,
    dY: Tensor,
    options: { mask?: Tensor; initialState?: never },
  ): Promise<{ weights: Float32Array[]; x: Float32Array; initialState: Float32Array[] }>;
  getWeightData(): Promise<Float32Array[]>;
  dispose(): void;
}
interface RefCell {
  setWeights(w: readonly ArrayLike<number>[]): void;
  forwardTrain(x: ReturnType<typeof reference.tensor>, state: undefined, mask: ArrayLike<number>): { y: { data: Float64Array; shape: number[] }; saved: never };
  backward(saved: never, dY: Float64Array): { grads: Float64Array[]; dX: Float64Array };
}

function makeCells(cell: Cell, config: { units: number; returnSequences: boolean; goBackwards: boolean }): { gpu: GpuCell; ref: RefCell } {
  switch (cell) {
    case 'lstm':
      return { gpu: layers.lstm({ ...config, seed: 7 }) as unknown as GpuCell, ref: reference.layers.lstm(config) as unknown as RefCell };
    case 'gruAfter':
    case 'gruBefore': {
      const resetAfter = cell === 'gruAfter';
      return {
        gpu: layers.gru({ ...config, resetAfter, seed: 7 }) as unknown as GpuCell,
        ref: new ReferenceGru({ ...config, resetAfter }) as unknown as RefCell,
      };
    }
    case 'simpleRnn':
      return { gpu: layers.simpleRNN({ ...config, seed: 7 }) as unknown as GpuCell, ref: new ReferenceSimpleRnn(config) as unknown as RefCell };
  }
}

const shapes = [
  { B: 1, T: 3, D: 2, H: 1, goBackwards: false },
  { B: 4, T: 7, D: 5, H: 9, goBackwards: false },
  { B: 4, T: 7, D: 5, H: 9, goBackwards: true },
  { B: 5, T: 6, D: 13, H: 70, goBackwards: false },
];
const cases = (['lstm', 'gruAfter', 'gruBefore', 'simpleRnn'] as Cell[]).flatMap((cell) => shapes.map((s) => ({ cell, ...s })));

describe('masked recurrent layers vs reference', () => {
  test.each(cases)('$cell forward and gradients, B=$B T=$T D=$D H=$H goBackwards=$goBackwards', async ({ cell, B, T, D, H, goBackwards }) => {
    const { gpu } = env;
    const random = new reference.Random(B * 100 + T + H);
    const xs = random.uniformArray(B * T * D);
    const mask = makeMask(B, T);
    for (const returnSequences of [false, true]) {
      const { gpu: layer, ref } = makeCells(cell, { units: H, returnSequences, goBackwards });
      const x = tensor(gpu, xs, [B, T, D]);
      const m = tensor(gpu, mask, [B, T]);
      const y = layer.apply(x, { mask: m }) as Tensor;
      ref.setWeights(await layer.getWeightData());
      const { y: refY, saved } = ref.forwardTrain(reference.tensor(xs, [B, T, D]), undefined, mask);
      const got = await y.data();
      expectClose(got, refY.data, ATOL, RTOL, `forward returnSequences=${returnSequences}`);
      if (process.env.SHOW_ERR)
        console.log(`${cell} masked forward B=${B} T=${T} H=${H} seq=${returnSequences}: ${maxAbsError(got, refY.data).toExponential(2)}`);
      // A fully masked sample keeps h0 = 0 throughout.
      expect(Array.from(got.subarray(0, returnSequences ? T * H : H)).every((v) => v === 0)).toBe(true);

      const dYs = random.uniformArray(refY.data.length);
      const g = await layer.gradients(x, tensor(gpu, dYs, refY.shape), { mask: m });
      const refG = ref.backward(saved, Float64Array.from(dYs));
      refG.grads.forEach((w, i) => expectClose(g.weights[i], w, GRAD_ATOL, GRAD_RTOL, `dW${i} returnSequences=${returnSequences}`));
      expectClose(g.x, refG.dX, GRAD_ATOL, GRAD_RTOL, `dX returnSequences=${returnSequences}`);
      if (process.env.SHOW_ERR)
        console.log(`${cell} masked grads: dU ${maxAbsError(g.weights[1], refG.grads[1]).toExponential(2)} dX ${maxAbsError(g.x, refG.dX).toExponential(2)}`);
      // Masked input steps get no gradient.
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) if (mask[b * T + t] === 0) for (let d = 0; d < D; d++) expect(g.x[(b * T + t) * D + d]).toBe(0);
      layer.dispose();
    }
  });

  test('dh0 and dc0 pass through masked first steps (GPU vs reference)', async () => {
    const { gpu } = env;
    const [B, T, D, H] = [3, 5, 4, 6];
    const random = new reference.Random(77);
    const xs = random.uniformArray(B * T * D);
    const mask = new Float32Array([0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    const h0 = random.uniformArray(B * H);
    const c0 = random.uniformArray(B * H);
    const layer = layers.lstm({ units: H, returnSequences: true, seed: 3 });
    const dYs = random.uniformArray(B * T * H);
    const g = await layer.gradients(tensor(gpu, xs, [B, T, D]), tensor(gpu, dYs, [B, T, H]), {
      mask: tensor(gpu, mask, [B, T]),
      initialState: [tensor(gpu, h0, [B, H]), tensor(gpu, c0, [B, H])],
    });
    const [kernel, recurrentKernel, bias] = await layer.getWeightData();
    const weights = { kernel, recurrentKernel, bias };
    const options = { activation: 'tanh' as const, recurrentActivation: 'sigmoid' as const };
    const dims = { B, T, D, H };
    const cache = lstmForwardTrain(xs, dims, weights, { ...options, initialState: { h: h0, c: c0 }, mask });
    const refG = lstmBackward(xs, dims, weights, options, cache, { sequence: dYs }, {}, mask);
    expectClose(g.initialState[0], refG.dh0, GRAD_ATOL, GRAD_RTOL, 'dh0');
    expectClose(g.initialState[1], refG.dc0, GRAD_ATOL, GRAD_RTOL, 'dc0');
  });
});

describe('dh0 through masked first steps, GRU and SimpleRNN', () => {
  test.each(['gruAfter', 'gruBefore', 'simpleRnn'] as const)('%s', async (cell) => {
    const { gpu } = env;
    const [B, T, D, H] = [3, 5, 4, 6];
    const random = new reference.Random(78);
    const xs = random.uniformArray(B * T * D);
    const mask = new Float32Array([0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    const h0 = random.uniformArray(B * H);
    const dYs = random.uniformArray(B * T * H);
    const resetAfter = cell === 'gruAfter';
    const layer =
      cell === 'simpleRnn'
        ? layers.simpleRNN({ units: H, returnSequences: true, seed: 3 })
        : layers.gru({ units: H, returnSequences: true, resetAfter, seed: 3 });
    const g = await layer.gradients(tensor(gpu, xs, [B, T, D]), tensor(gpu, dYs, [B, T, H]), {
      mask: tensor(gpu, mask, [B, T]),
      initialState: tensor(gpu, h0, [B, H]),
    });
    const [kernel, recurrentKernel, bias] = await layer.getWeightData();
    const weights = { kernel, recurrentKernel, bias };
    const dims = { B, T, D, H };
    let dh0: Float64Array;
    if (cell === 'simpleRnn') {
      const cache = simpleRnnForwardTrain(xs, dims, weights, { activation: 'tanh', initialState: h0, mask });
      dh0 = simpleRnnBackward(xs, dims, weights, { activation: 'tanh' }, cache, { sequence: dYs }, {}, mask).dh0;
    } else {
      const options = { activation: 'tanh' as const, recurrentActivation: 'sigmoid' as const, resetAfter };
      const cache = gruForwardTrain(xs, dims, weights, { ...options, initialState: h0, mask });
      dh0 = gruBackward(xs, dims, weights, options, cache, { sequence: dYs }, {}, mask).dh0;
    }
    expectClose(g.initialState[0], dh0, GRAD_ATOL, GRAD_RTOL, 'dh0');
    layer.dispose();
  });
});

describe('masked GRU and SimpleRNN reference', () => {
  test.each(['gruAfter', 'gruBefore', 'simpleRnn'] as const)('%s gradients match central finite differences in Float64', (cell) => {
    const [B, T, D, H] = [3, 5, 3, 4];
    const random = new reference.Random(6);
    const G = cell === 'simpleRnn' ? 1 : 3;
    const resetAfter = cell === 'gruAfter';
    const x = Float64Array.from(random.uniformArray(B * T * D));
    const mask = new Float64Array([0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0]);
    const weights = {
      kernel: Float64Array.from(random.uniformArray(D * G * H)),
      recurrentKernel: Float64Array.from(random.uniformArray(H * G * H)),
      bias: Float64Array.from(random.uniformArray((resetAfter ? 2 : 1) * G * H)),
    };
    const h0 = Float64Array.from(random.uniformArray(B * H));
    const dY = Float64Array.from(random.uniformArray(B * T * H));
    const dims = { B, T, D, H };
    const options = { activation: 'tanh' as const, recurrentActivation: 'sigmoid' as const, resetAfter };
    const forward = () =>
      cell === 'simpleRnn'
        ? simpleRnnForwardTrain(x, dims, weights, { activation: 'tanh', initialState: h0, mask })
        : gruForwardTrain(x, dims, weights, { ...options, initialState: h0, mask });
    const loss = () => {
      const { hseq } = forward();
      let sum = 0;
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) sum += hseq[((t + 1) * B + b) * H + j] * dY[(b * T + t) * H + j];
      return sum;
    };
    const g =
      cell === 'simpleRnn'
        ? simpleRnnBackward(x, dims, weights, { activation: 'tanh' }, forward(), { sequence: dY }, {}, mask)
        : gruBackward(x, dims, weights, options, forward() as ReturnType<typeof gruForwardTrain>, { sequence: dY }, {}, mask);
    const eps = 1e-6;
    const check = (values: Float64Array, grad: Float64Array, what: string) => {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        values[i] = v + eps;
        const up = loss();
        values[i] = v - eps;
        const down = loss();
        values[i] = v;
        // Central differences in Float64: truncation ~eps² and rounding ~1e-16/eps ≈ 1e-10.
        expect(Math.abs((up - down) / (2 * eps) - grad[i]), `${what}[${i}]`).toBeLessThan(1e-7);
      }
    };
    check(weights.kernel, g.dKernel, 'dKernel');
    check(weights.recurrentKernel, g.dRecurrentKernel, 'dRecurrentKernel');
    check(weights.bias, g.dBias, 'dBias');
    check(x, g.dX, 'dX');
    check(h0, g.dh0, 'dh0');
  });
});

describe('masked LSTM reference', () => {
  test('gradients match central finite differences in Float64', () => {
    const [B, T, D, H] = [3, 5, 3, 4];
    const random = new reference.Random(5);
    const x = Float64Array.from(random.uniformArray(B * T * D));
    const mask = new Float64Array([0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0]);
    const weights = {
      kernel: Float64Array.from(random.uniformArray(D * 4 * H)),
      recurrentKernel: Float64Array.from(random.uniformArray(H * 4 * H)),
      bias: Float64Array.from(random.uniformArray(4 * H)),
    };
    const h0 = Float64Array.from(random.uniformArray(B * H));
    const c0 = Float64Array.from(random.uniformArray(B * H));
    const dY = Float64Array.from(random.uniformArray(B * T * H));
    const options = { activation: 'tanh' as const, recurrentActivation: 'sigmoid' as const };
    const dims = { B, T, D, H };
    const loss = () => {
      const cache = lstmForwardTrain(x, dims, weights, { ...options, initialState: { h: h0, c: c0 }, mask });
      let sum = 0;
      for (let t = 0; t < T; t++)
        for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) sum += cache.hseq[((t + 1) * B + b) * H + j] * dY[(b * T + t) * H + j];
      return sum;
    };
    const cache = lstmForwardTrain(x, dims, weights, { ...options, initialState: { h: h0, c: c0 }, mask });
    const g = lstmBackward(x, dims, weights, options, cache, { sequence: dY }, {}, mask);
    const eps = 1e-6;
    const check = (values: Float64Array, grad: Float64Array, what: string) => {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        values[i] = v + eps;
        const up = loss();
        values[i] = v - eps;
        const down = loss();
        values[i] = v;
        // Central differences in Float64: truncation ~eps² and rounding ~1e-16/eps ≈ 1e-10.
        expect(Math.abs((up - down) / (2 * eps) - grad[i]), `${what}[${i}]`).toBeLessThan(1e-7);
      }
    };
    check(weights.kernel, g.dKernel, 'dKernel');
    check(weights.recurrentKernel, g.dRecurrentKernel, 'dRecurrentKernel');
    check(weights.bias, g.dBias, 'dBias');
    check(x, g.dX, 'dX');
    check(h0, g.dh0, 'dh0');
    check(c0, g.dc0, 'dc0');
  });
});

describe('padded batch equals the sequences one by one', () => {
  const lengths = [5, 1, 3, 4];
  const [T, D, H] = [5, 3, 8];

  test('Masking (post-padded with maskValue) + LSTM', async () => {
    const { gpu } = env;
    const B = lengths.length;
    const random = new reference.Random(11);
    const maskValue = -1;
    const seqs = lengths.map((L) => random.uniformArray(L * D));
    const padded = new Float32Array(B * T * D).fill(maskValue);
    seqs.forEach((s, b) => padded.set(s, b * T * D));
    const model = sequential(gpu, [
      layers.masking({ maskValue, inputShape: [null, D] }),
      layers.lstm({ units: H, returnSequences: true, seed: 1 }),
      layers.lstm({ units: H, seed: 2 }),
    ]);
    const batch = await model.predict(padded, [B, T, D]).data();
    let worst = 0;
    for (let b = 0; b < B; b++) {
      const alone = await model.predict(seqs[b], [1, lengths[b], D]).data();
      // Same kernels, same f32 arithmetic per sample except batch tiling: equal to rounding.
      expectClose(batch.subarray(b * H, (b + 1) * H), alone, 1e-6, 1e-5, `sample ${b} (length ${lengths[b]})`);
      worst = Math.max(worst, maxAbsError(batch.subarray(b * H, (b + 1) * H), alone));
    }
    if (process.env.SHOW_ERR) console.log(`padded vs alone (Masking): ${worst.toExponential(2)}`);
    model.dispose();
  });

  test('Embedding maskZero + LSTM, and the mask survives Dropout and training', async () => {
    const { gpu } = env;
    const B = lengths.length;
    const random = new reference.Random(12);
    const seqs = lengths.map((L, b) => Array.from({ length: L }, (_, i) => 1 + ((b * 7 + i * 3 + Math.floor(Math.abs(random.uniformArray(1)[0]) * 5)) % 9)));
    const padded = new Float32Array(B * T);
    seqs.forEach((s, b) => padded.set(s, b * T));
    const model = sequential(gpu, [
      layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true }),
      layers.dropout({ rate: 0.2, seed: 1 }),
      layers.lstm({ units: H, seed: 3 }),
      layers.dense({ units: 1 }),
    ]);
    const batch = await model.predict(padded, [B, T]).data();
    for (let b = 0; b < B; b++) {
      const alone = await model.predict(Float32Array.from(seqs[b]), [1, lengths[b]]).data();
      expectClose(batch.subarray(b, b + 1), alone, 1e-6, 1e-5, `sample ${b} (length ${lengths[b]})`);
    }
    // Training runs through the masked path (forward and backward kernels) and learns.
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const y = new Float32Array(B).map((_, b) => lengths[b] / T);
    const history = await model.fit(tensor(gpu, padded, [B, T]), tensor(gpu, y, [B, 1]), { epochs: 30, batchSize: B });
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    model.dispose();
  });

  test.each(['gruAfter', 'gruBefore', 'simpleRnn'] as const)('Masking + %s: padded batch equals each sequence alone', async (cell) => {
    const { gpu } = env;
    const B = lengths.length;
    const random = new reference.Random(13);
    const seqs = lengths.map((L) => random.uniformArray(L * D));
    const padded = new Float32Array(B * T * D);
    seqs.forEach((s, b) => padded.set(s, b * T * D));
    const recurrent = (returnSequences: boolean, seed: number) =>
      cell === 'simpleRnn'
        ? layers.simpleRNN({ units: H, returnSequences, seed })
        : layers.gru({ units: H, returnSequences, seed, resetAfter: cell === 'gruAfter' });
    const model = sequential(gpu, [layers.masking({ inputShape: [null, D] }), recurrent(true, 1), recurrent(false, 2)]);
    const batch = await model.predict(padded, [B, T, D]).data();
    for (let b = 0; b < B; b++) {
      const alone = await model.predict(seqs[b], [1, lengths[b], D]).data();
      expectClose(batch.subarray(b * H, (b + 1) * H), alone, 1e-6, 1e-5, `sample ${b} (length ${lengths[b]})`);
    }
    model.dispose();
  });
});

describe('TensorFlow.js equivalence of a masked LSTM', () => {
  test('Masking + LSTM (sequences) + LSTM, padding at the end and holes in the middle', async () => {
    const { gpu } = env;
    await tf.setBackend('cpu');
    const [B, T, D, H] = [4, 7, 3, 10];
    const xs = new reference.Random(21).uniformArray(B * T * D);
    const mask = makeMask(B, T);
    for (let i = 0; i < B * T; i++) if (mask[i] === 0) xs.fill(0, i * D, (i + 1) * D);
    const recurrentInitializer = 'glorotUniform'; // TF.js's orthogonal needs ops tfjs-core alone lacks; the weights are copied anyway
    const tfModel = tfl.sequential({
      layers: [
        tfl.layers.masking({ maskValue: 0, inputShape: [T, D] }),
        tfl.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer }),
        tfl.layers.lstm({ units: H, recurrentActivation: 'sigmoid', recurrentInitializer }),
      ],
    });
    const expected = (tfModel.predict(tf.tensor3d(xs, [B, T, D])) as tf.Tensor).dataSync();
    const ours = sequential(gpu, [layers.masking({ inputShape: [T, D] }), layers.lstm({ units: H, returnSequences: true }), layers.lstm({ units: H })]);
    ours.setWeights(tfModel.getWeights().map((w) => w.dataSync() as Float32Array));
    const got = await ours.predict(tensor(gpu, xs, [B, T, D])).data();
    // Both f32, different operation order (as tfjs.test.ts): ~1e-6 a step, 1e-5 is a 10× margin.
    expectClose(got, expected, 1e-5, 1e-5, 'ours vs TF.js');
    if (process.env.SHOW_ERR) console.log(`masked LSTM vs TF.js: ${maxAbsError(got, expected).toExponential(2)}`);
    ours.dispose();
  });
});

test('Masking and Embedding maskZero save and load, predictions bit-identical', async () => {
  const { gpu } = env;
  const [B, T, D] = [3, 4, 2];
  const xs = new reference.Random(31).uniformArray(B * T * D);
  xs.fill(-1, (T - 2) * D, T * D); // sample 0 padded with maskValue
  const model = sequential(gpu, [layers.masking({ maskValue: -1, inputShape: [null, D] }), layers.gru({ units: 5, seed: 1 })]);
  const before = await model.predict(xs, [B, T, D]).data();
  const loaded = await loadModel(gpu, await model.save());
  expect(loaded.layers.map((l) => l.constructor.name)).toEqual(['Masking', 'Gru']);
  expect(await loaded.predict(xs, [B, T, D]).data()).toEqual(before);

  const ids = new Float32Array([3, 1, 0, 0, 2, 2, 2, 5]);
  const embedded = sequential(gpu, [
    layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true, inputShape: [null], seed: 2 }),
    layers.simpleRNN({ units: 4, seed: 3 }),
  ]);
  const y = await embedded.predict(ids, [2, 4]).data();
  const back = await loadModel(gpu, await embedded.save());
  expect(await back.predict(ids, [2, 4]).data()).toEqual(y);
  // The masked tail of sample 0 leaves its output at step 1's.
  const prefix = await embedded.predict(new Float32Array([3, 1]), [1, 2]).data();
  expect(Array.from(y.subarray(0, 4))).toEqual(Array.from(prefix));
});
