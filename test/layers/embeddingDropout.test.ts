// Embedding, Dropout and TimeDistributed in models: gradients and a few training steps on the
// GPU against the CPU reference, inference identities, and the API's checks.
import { describe, expect, test } from 'vitest';
import { layers, reference, sequential, ShapeError, tensor, RnnError, type LossName } from '../../src/index.js';
import { Dropout } from '../../src/layers/dropout.js';
import { checkTokenIds, Embedding } from '../../src/layers/embedding.js';
import { materialize, type Flow, type Layer } from '../../src/layers/layer.js';
import { TimeDistributed } from '../../src/layers/timeDistributed.js';
import { ReferenceDropout } from '../../src/reference/dropout.js';
import { ReferenceEmbedding } from '../../src/reference/embedding.js';
import type { ReferenceLayer } from '../../src/reference/sequential.js';
import { expectClose, readBuffer, useGpu } from '../helpers/gpu.js';

const env = useGpu();

interface Case {
  name: string;
  V: number;
  E: number;
  B: number;
  T: number;
  H: number;
  /** Dropout rate after the embedding and after the LSTM (0: no Dropout layers). */
  rate: number;
  /** Per-step head through timeDistributed (the LSTM returns sequences). */
  perStep: boolean;
  head: { units: number; activation: 'linear' | 'softmax' | 'tanh' };
  loss: LossName;
}

const cases: Case[] = [
  { name: 'batch 1, one step', V: 2, E: 1, B: 1, T: 1, H: 1, rate: 0, perStep: false, head: { units: 1, activation: 'linear' }, loss: 'meanSquaredError' },
  {
    name: 'embedding → lstm → dense softmax',
    V: 11,
    E: 6,
    B: 4,
    T: 5,
    H: 7,
    rate: 0,
    perStep: false,
    head: { units: 3, activation: 'softmax' },
    loss: 'sparseCategoricalCrossentropy',
  },
  // Dropout on a batch-major [B, T, E] flow (after the embedding; its gradient comes back
  // time-major from the LSTM) and on the LSTM's last output [B, H].
  { name: 'with dropout', V: 9, E: 70, B: 3, T: 6, H: 5, rate: 0.4, perStep: false, head: { units: 2, activation: 'tanh' }, loss: 'meanSquaredError' },
];
// A per-step head (LSTM returnSequences → timeDistributed(dense)) trained through the Trainer
// is in embeddingIntegration.test.ts (it needs the Trainer to take the steps of token ids
// [N, T] from xShape[0]); the 'layer chain' tests below drive that model through
// encodeTrain / encodeBackward directly.

function buildBoth(c: Case, deterministic = true) {
  const seeds = { embedding: 1, lstm: 2, dense: 3, dropout: [7, 8] };
  const gpuLayers: Layer[] = [new Embedding({ inputDim: c.V, outputDim: c.E, inputLength: c.T, seed: seeds.embedding, deterministic })];
  // The reference Sequential builds its first layer from inputShape with the LSTM's rules:
  // give its embedding none (it builds on first use).
  const refLayers: unknown[] = [new ReferenceEmbedding({ inputDim: c.V, outputDim: c.E })];
  if (c.rate > 0) {
    gpuLayers.push(new Dropout({ rate: c.rate, seed: seeds.dropout[0] }));
    refLayers.push(new ReferenceDropout({ rate: c.rate, seed: seeds.dropout[0] }));
  }
  gpuLayers.push(layers.lstm({ units: c.H, returnSequences: c.perStep, seed: seeds.lstm }));
  refLayers.push(reference.layers.lstm({ units: c.H, returnSequences: c.perStep }));
  if (c.rate > 0) {
    gpuLayers.push(new Dropout({ rate: c.rate, seed: seeds.dropout[1] }));
    refLayers.push(new ReferenceDropout({ rate: c.rate, seed: seeds.dropout[1] }));
  }
  const dense = layers.dense({ ...c.head, seed: seeds.dense });
  gpuLayers.push(c.perStep ? new TimeDistributed({ layer: dense }) : dense);
  refLayers.push(reference.layers.dense({ ...c.head }));
  const model = sequential(env.gpu, gpuLayers);
  // ReferenceSequential's type lists LSTM and Dense only; at run time it drives any layer with
  // forwardTrain(x) / backward(saved, dY), which the twins have.
  const ref = reference.sequential(refLayers as ReferenceLayer[]);
  return { model, ref };
}

function makeData(c: Case, seed: number) {
  const random = new reference.Random(seed);
  const ids = Float32Array.from({ length: c.B * c.T }, () => random.int(c.V));
  ids[0] = 0;
  ids[ids.length - 1] = c.V - 1;
  if (ids.length > 2) ids[1] = ids[2]; // a repeated id
  const rows = c.perStep ? c.B * c.T : c.B;
  const y =
    c.loss === 'sparseCategoricalCrossentropy'
      ? Float32Array.from({ length: rows }, () => random.int(c.head.units))
      : random.uniformArray(rows * c.head.units, -0.8, 0.8);
  return { ids, y };
}

describe('gradients: GPU vs reference', () => {
  // As the LSTM model test (test/lstm/training.test.ts): f32 sums over B·T rows of O(1) terms
  // give errors ~1e-7; 1e-6 absolute plus 1e-4 relative. The embedding's gradient adds the
  // LSTM's input gradient rows into the table in (b, t) order, or by f32 atomics in an
  // unspecified order (deterministic: false): at most (n−1)·2⁻²⁴·Σ|terms| more for n ≤ B·T = 20
  // rows, ≤ 1.2e-6·Σ|terms| ≈ 1e-8 here. Dropout masks are equal bit for bit (same hash, same
  // step counter), so they add only one rounding.
  test.each(cases.flatMap((c) => [true, false].map((deterministic) => ({ ...c, deterministic }))))(
    '$name (V=$V E=$E B=$B T=$T H=$H rate=$rate, deterministic $deterministic)',
    async (c) => {
      const { model, ref } = buildBoth(c, c.deterministic);
      model.compile({ optimizer: 'sgd', loss: c.loss });
      ref.compile({ optimizer: 'sgd', loss: c.loss });
      ref.setWeights(await model.getWeightData());
      const { ids, y } = makeData(c, c.V * 10 + c.T);
      const gpu = await model.gradients(tensor(env.gpu, ids, [c.B, c.T]), y);
      const expected = ref.gradients(reference.tensor(ids, [c.B, c.T]), y);
      expect(Math.abs(gpu.loss - expected.loss)).toBeLessThan(1e-5 + 1e-5 * Math.abs(expected.loss));
      expect(gpu.grads.length).toBe(expected.grads.length);
      let worst = 0;
      expected.grads.forEach((g, i) => {
        for (let k = 0; k < g.length; k++) worst = Math.max(worst, Math.abs(gpu.grads[i][k] - g[k]));
        expectClose(gpu.grads[i], g, 1e-6, 1e-4, `gradient of weight ${i}`);
      });
      // The table's rows that no id selects have exactly zero gradient.
      const E = c.E;
      for (let v = 0; v < c.V; v++) if (!ids.includes(v)) expect(gpu.grads[0].subarray(v * E, (v + 1) * E).every((g) => g === 0)).toBe(true);
      if (process.env.SHOW_ERR) console.log(`${c.name}: max |gradient error| ${worst.toExponential(2)}`);
      model.dispose();
    },
  );
});

describe('determinism', () => {
  test('two fits from one seed give bit-identical weights (the gradient adds in a fixed order)', async () => {
    // 96 ids of 3 tokens: every row of the table is fed by ~32 rows of the LSTM's input gradient.
    const c = { ...cases[1], V: 3, B: 16, T: 6 };
    const { ids, y } = makeData(c, 5);
    const train = async () => {
      const { model } = buildBoth(c);
      model.compile({ optimizer: 'adam', loss: c.loss });
      await model.fit(tensor(env.gpu, ids, [c.B, c.T]), y, { epochs: 2, batchSize: 8, seed: 3, verbose: 0 });
      const weights = await model.getWeightData();
      model.dispose();
      return weights;
    };
    const [first, second] = [await train(), await train()];
    first.forEach((w, i) => expect(second[i], `weight ${i}`).toEqual(w));
  });
});

describe('training', () => {
  test('three Adam steps with dropout: same losses and weights as the reference', async () => {
    const c = cases[2];
    const { model, ref } = buildBoth(c);
    const optimizer = { name: 'adam', learningRate: 0.01 } as const;
    model.compile({ optimizer, loss: c.loss });
    ref.compile({ optimizer, loss: c.loss });
    ref.setWeights(await model.getWeightData());
    const { ids, y } = makeData(c, 77);
    const x = tensor(env.gpu, ids, [c.B, c.T]);
    for (let step = 0; step < 3; step++) {
      const [gpuLoss] = await model.trainOnBatch(x, y);
      const [refLoss] = ref.trainOnBatch(reference.tensor(ids, [c.B, c.T]), y);
      // Loss of O(0.1–1) from f32 forward passes: 1e-5 relative (as the LSTM training test).
      expect(Math.abs(gpuLoss - refLoss)).toBeLessThan(1e-5 + 1e-5 * Math.abs(refLoss));
    }
    // Each training step drew a new mask: the counters advanced together.
    const dropouts = model.layers.filter((l): l is Dropout => l instanceof Dropout);
    expect(dropouts.map((d) => d.step)).toEqual([3, 3]);
    // Adam steps are ±lr·m̂/(√v̂+ε) ≈ lr in size whatever the gradient's size, so a relative
    // gradient difference δ moves a weight by ~lr·δ: 3 steps at lr 0.01 from gradients equal to
    // ≤ 1e-4 relative give ≤ 3e-6 (measured on SwiftShader: 5.7e-7). 2e-5 absolute still sits
    // three orders below one step (1e-2), which is what a wrong gradient or mask would cost.
    const weights = await model.getWeightData();
    ref.getWeights().forEach((w, i) => expectClose(weights[i], w, 2e-5, 1e-4, `weight ${i} after 3 steps`));
    x.dispose();
    model.dispose();
  });
});

describe('layer chain: embedding → dropout → lstm (sequences) → dropout → timeDistributed(dense)', () => {
  // Forward through encodeTrain, then backward from a given dY through encodeBackward, as the
  // Trainer does; the reference chains forwardTrain / backward the same way. The second
  // Dropout sees the LSTM's time-major sequence, and its gradient comes back time-major.
  test.each([
    { name: 'B=3 T=6 E=70', V: 9, E: 70, B: 3, T: 6, H: 5, K: 2, rate: 0.4 },
    { name: 'batch 1, one step', V: 3, E: 2, B: 1, T: 1, H: 3, K: 1, rate: 0.5 },
  ])('$name', async ({ V, E, B, T, H, K, rate }) => {
    const { gpu } = env;
    const dense = layers.dense({ units: K, seed: 3 });
    const chain: Layer[] = [
      new Embedding({ inputDim: V, outputDim: E, inputLength: T, seed: 1 }),
      new Dropout({ rate, seed: 11 }),
      layers.lstm({ units: H, returnSequences: true, seed: 2 }),
      new Dropout({ rate, seed: 12 }),
      new TimeDistributed({ layer: dense }),
    ];
    const model = sequential(gpu, chain);
    const refChain = [
      new ReferenceEmbedding({ inputDim: V, outputDim: E }),
      new ReferenceDropout({ rate, seed: 11 }),
      reference.layers.lstm({ units: H, returnSequences: true }),
      new ReferenceDropout({ rate, seed: 12 }),
      reference.layers.dense({ units: K }),
    ];
    const weights = await model.getWeightData();
    let at = 0;
    refChain.forEach((l) => l.setWeights(weights.slice(at, (at += l.weightCount()))));

    const random = new reference.Random(B * T + E);
    const ids = Float32Array.from({ length: B * T }, () => random.int(V));
    ids[0] = V - 1;
    const dY = random.uniformArray(B * T * K); // batch-major [B, T, K]
    const dYtimeMajor = new Float32Array(B * T * K);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) dYtimeMajor.set(dY.subarray((b * T + t) * K, (b * T + t + 1) * K), (t * B + b) * K);
    const x = tensor(gpu, ids, [B, T]);
    const dYs = { batch: tensor(gpu, dY, [B, T, K]), time: tensor(gpu, dYtimeMajor, [T, B, K]) };
    const gradTensors = chain.map((l) => l.weightTensors.map((w) => tensor(gpu, new Float32Array(w.size), w.shape)));
    let output: ReturnType<typeof materialize> | undefined;
    await gpu.submit('chain', (encoder, run) => {
      let flow: Flow = { buffer: x.buffer, offset: 0, shape: [B, T], timeMajor: false };
      const saved: unknown[] = [];
      for (const layer of chain) {
        const step = layer.encodeTrain(encoder, run, flow);
        saved.push(step.saved);
        flow = step.output;
      }
      output = materialize(gpu, encoder, run, flow);
      let d: Flow | undefined = { buffer: (flow.timeMajor ? dYs.time : dYs.batch).buffer, offset: 0, shape: [B, T, K], timeMajor: flow.timeMajor };
      for (let i = chain.length - 1; i >= 0; i--) {
        d = chain[i].encodeBackward(
          encoder,
          run,
          saved[i],
          d!,
          gradTensors[i].map((g) => g.buffer),
          i > 0,
        );
      }
    });
    let value = reference.tensor(ids, [B, T]);
    const saved: unknown[] = [];
    for (const layer of refChain) {
      const step = layer.forwardTrain(value);
      saved.push(step.saved);
      value = step.y;
    }
    // Forward: f32 GEMMs and steps over O(1) values, as the LSTM forward tests (≤ 1e-6).
    expectClose(await output!.data(), value.data, 1e-6, 1e-5, 'output');
    let d: Float64Array = Float64Array.from(dY);
    const expectedGrads: Float64Array[][] = [];
    for (let i = refChain.length - 1; i >= 0; i--) {
      const step = (refChain[i] as { backward(s: unknown, d: Float64Array): { grads: Float64Array[]; dX: Float64Array } }).backward(saved[i], d);
      expectedGrads.unshift(step.grads);
      d = step.dX;
    }
    // As the model gradients above: 1e-6 absolute plus 1e-4 relative.
    let worst = 0;
    for (const [i, list] of expectedGrads.entries()) {
      for (const [k, g] of list.entries()) {
        const got = await gradTensors[i][k].data();
        for (let j = 0; j < g.length; j++) worst = Math.max(worst, Math.abs(got[j] - g[j]));
        expectClose(got, g, 1e-6, 1e-4, `layer ${i} weight ${k}`);
      }
    }
    console.log(`layer chain ${B}×${T}: max |gradient error| ${worst.toExponential(2)}`);
    expect(chain.filter((l) => l instanceof Dropout).map((l) => (l as Dropout).step)).toEqual([1, 1]);
    for (const t of [x, dYs.batch, dYs.time, output!, ...gradTensors.flat()]) t.dispose();
    model.dispose();
  });
});

describe('inference', () => {
  test('dropout is the identity in predict; the embedding alone is an exact lookup', async () => {
    const [V, E, B, T] = [5, 3, 2, 4];
    const embedding = new Embedding({ inputDim: V, outputDim: E, inputLength: T, seed: 4 });
    const model = sequential(env.gpu, [embedding, new Dropout({ rate: 0.9, seed: 1 })]);
    const ids = Float32Array.from([0, 4, 4, 1, 2, 3, 0, 0]);
    const out = await model.predict(tensor(env.gpu, ids, [B, T])).data();
    const [table] = await embedding.getWeightData();
    const refEmbedding = new ReferenceEmbedding({ inputDim: V, outputDim: E });
    refEmbedding.setWeights([table]);
    const expected = new ReferenceDropout({ rate: 0.9, seed: 1 }).apply(refEmbedding.apply(reference.tensor(ids, [B, T])));
    expect(out).toEqual(Float32Array.from(expected.data)); // copies of f32 values: exact
    expect(model.outputShape()).toEqual([T, E]);
    model.dispose();
  });

  test('an id out of range inside a Tensor: the output of predict rejects naming it, and the kernel wrote a zero vector, not a read out of bounds', async () => {
    const embedding = new Embedding({ inputDim: 3, outputDim: 2, inputLength: 3, seed: 4 });
    const model = sequential(env.gpu, [embedding]);
    const ids = tensor(env.gpu, [[1, 3, -2]], [1, 3]);
    const y = model.predict(ids);
    ids.dispose(); // the ids were copied for the check when predict was called
    await expect(y.data()).rejects.toThrow(/predict: x: token id 3 at flat index 1/);
    const [table] = await embedding.getWeightData();
    expect(Array.from(await readBuffer(env.gpu, y.buffer, 6))).toEqual([table[2], table[3], 0, 0, 0, 0]);
    y.dispose();
    model.dispose();
  });

  test('dropout with rate 0 passes the flow through in training too', async () => {
    const layer = new Dropout({ rate: 0, seed: 3 });
    layer.build(env.gpu, [4]);
    const input = tensor(env.gpu, [1, 2, 3, 4], [1, 4]);
    await env.gpu.submit('test', (encoder, run) => {
      const flow = { buffer: input.buffer, offset: 0, shape: [1, 4], timeMajor: false };
      const { output } = layer.encodeTrain(encoder, run, flow);
      expect(output.buffer).toBe(input.buffer);
    });
    expect(layer.step).toBe(1);
    input.dispose();
  });
});

describe('API checks', () => {
  test('checkTokenIds names the first bad id', () => {
    expect(() => checkTokenIds([0, 1, 2], 3)).not.toThrow();
    expect(() => checkTokenIds([0, 3], 3, 'fit: x')).toThrow(ShapeError);
    expect(() => checkTokenIds([0, 3], 3, 'fit: x')).toThrow(/fit: x: token id 3 at flat index 1 is not a whole number in \[0, 3\)/);
    expect(() => checkTokenIds([0.5], 3)).toThrow(/token id 0.5/);
    expect(() => checkTokenIds([NaN], 3)).toThrow(/token id NaN/);
    const embedding = new Embedding({ inputDim: 10, outputDim: 2 });
    expect(() => embedding.checkIds([-1])).toThrow(/token id -1/);
  });

  test('configuration errors and defaults', () => {
    expect(() => new Embedding({ inputDim: 0, outputDim: 2 })).toThrow(/inputDim/);
    expect(() => new Embedding({ inputDim: 2 ** 24 + 1, outputDim: 2 })).toThrow(/inputDim/);
    expect(() => new Embedding({ inputDim: 3, outputDim: 1.5 })).toThrow(/outputDim/);
    expect(() => new Embedding({ inputDim: 3, outputDim: 2, inputLength: 4, inputShape: [5] })).toThrow(/disagree/);
    const e = new Embedding({ inputDim: 3, outputDim: 2, maskZero: true, inputLength: 4 });
    expect(e.config).toMatchObject({ maskZero: true, embeddingsInitializer: 'randomUniform', inputShape: [4] });
    expect(() => new Dropout({ rate: 1 })).toThrow(RnnError);
    expect(() => new Dropout({ rate: -0.1 })).toThrow(/\[0, 1\)/);
    expect(typeof new Dropout({ rate: 0.5 }).config.seed).toBe('number');
  });

  test('the embedding takes ids [batch, steps] of its declared length', () => {
    const e = new Embedding({ inputDim: 3, outputDim: 2, inputLength: 4 });
    expect(() => e.build(env.gpu, [4, 1])).toThrow(/token ids of shape \[batch, steps\]/);
    e.build(env.gpu, [4]);
    expect(() => e.checkInputShape([5])).toThrow(/\[batch, 4\]/);
    e.dispose();
    const any = new Embedding({ inputDim: 3, outputDim: 2 });
    any.build(env.gpu, [6]);
    expect(() => any.checkInputShape([9])).not.toThrow();
    any.dispose();
  });

  test('timeDistributed shares the weights of its Dense; layers of sequences are rejected', async () => {
    expect(() => new TimeDistributed({ layer: layers.lstm({ units: 2 }) })).toThrow(/timeDistributed wraps a layer of \[batch, features\] inputs.*Lstm/);
    expect(() => new TimeDistributed({ layer: {} as Layer })).toThrow(/Dense, Activation or Dropout/);
    const dense = layers.dense({ units: 3, seed: 5 });
    const wrapped = new TimeDistributed({ layer: dense, inputShape: [4, 2] });
    const model = sequential(env.gpu, [wrapped]);
    expect(model.outputShape()).toEqual([4, 3]);
    expect(model.countParams()).toBe(2 * 3 + 3);
    expect(wrapped.weightTensors).toBe(dense.weightTensors);
    const x = new reference.Random(2).uniformArray(4 * 2);
    const out = await model.predict(tensor(env.gpu, x, [1, 4, 2])).data();
    const ref = reference.layers.dense({ units: 3 });
    ref.setWeights(await dense.getWeightData());
    // One f32 dot of 2 terms plus a bias per value: ≤ 3 roundings of O(1) values.
    expectClose(out, ref.apply(reference.tensor(x, [1, 4, 2])).data, 1e-6, 1e-6, 'timeDistributed(dense)');
    expect(() => sequential(env.gpu, [new TimeDistributed({ layer: layers.dense({ units: 1 }), inputShape: [3] as never })])).toThrow(
      /\[batch, steps, features\]/,
    );
    model.dispose();
  });
});
