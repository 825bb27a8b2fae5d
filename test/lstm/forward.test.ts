// The LSTM layer and Sequential model on the GPU against the CPU reference: sequences, state,
// initial state, stacks, long sequences, and the steady state of buffers and pipelines.
import { describe, expect, test } from 'vitest';
import { layers, reference, sequential, tensor, type Tensor } from '../../src/index.js';
import { countDispatches } from '../helpers/count.js';
import { expectClose, maxAbsError, useGpu } from '../helpers/gpu.js';

const env = useGpu();

// The GPU's layer forward against Float64: per-step errors ~1e-6 (see the step kernel test),
// plus the input projection's f32 sums over D ≤ 64 terms. The recurrence does not amplify
// them (saturating gates), so 1e-4 covers T up to 300 with margin (measured: see the drift
// test's log line).
const ATOL = 1e-4;
const RTOL = 1e-4;

function input(seed: number, B: number, T: number, D: number): Float32Array {
  return new reference.Random(seed).uniformArray(B * T * D);
}

describe('LSTM layer vs reference', () => {
  test.each([
    { B: 1, T: 1, D: 1, H: 1 },
    { B: 1, T: 10, D: 13, H: 37 },
    { B: 4, T: 6, D: 13, H: 37 },
    { B: 5, T: 3, D: 64, H: 128 },
    { B: 2, T: 4, D: 16, H: 256 },
  ])('returnSequences both ways, B=$B T=$T D=$D H=$H', async ({ B, T, D, H }) => {
    const { gpu } = env;
    const xs = input(B + T + D + H, B, T, D);
    for (const returnSequences of [false, true]) {
      const model = sequential(gpu, [layers.lstm({ units: H, inputShape: [T, D], returnSequences, seed: 3 })]);
      const y = model.predict(tensor(gpu, xs, [B, T, D]));
      expect(y.shape).toEqual(returnSequences ? [B, T, H] : [B, H]);
      const ref = reference.sequential([reference.layers.lstm({ units: H, inputShape: [T, D], returnSequences })]);
      ref.setWeights(await model.getWeightData());
      expectClose(await y.data(), ref.predict(reference.tensor(xs, [B, T, D])).data, ATOL, RTOL, `returnSequences=${returnSequences}`);
      model.dispose();
    }
  });

  test('stack of three layers with any sequence length', async () => {
    const { gpu } = env;
    const [B, D, H] = [3, 13, 37];
    const config = (i: number, returnSequences: boolean) => ({ units: H + i, returnSequences, seed: 10 + i });
    const model = sequential(gpu, [layers.lstm({ ...config(0, true), inputShape: [null, D] }), layers.lstm(config(1, true)), layers.lstm(config(2, false))]);
    const ref = reference.sequential([
      reference.layers.lstm({ ...config(0, true), inputShape: [null, D] }),
      reference.layers.lstm(config(1, true)),
      reference.layers.lstm(config(2, false)),
    ]);
    ref.setWeights(await model.getWeightData());
    for (const T of [1, 5, 9]) {
      const xs = input(T, B, T, D);
      const y = model.predict(xs, [B, T, D]);
      expect(y.shape).toEqual([B, H + 2]);
      expectClose(await y.data(), ref.predict(reference.tensor(xs, [B, T, D])).data, ATOL, RTOL, `T=${T}`);
      y.dispose();
    }
  });

  test('the same seed gives the same initial weights on the GPU and in the reference', async () => {
    const { gpu } = env;
    const model = sequential(gpu, [layers.lstm({ units: 5, inputShape: [3, 4], seed: 42 })]);
    const ref = reference.sequential([reference.layers.lstm({ units: 5, inputShape: [3, 4], seed: 42 })]);
    const gpuWeights = await model.getWeightData();
    const refWeights = ref.getWeights();
    gpuWeights.forEach((w, i) => expectClose(w, refWeights[i], 1e-7, 1e-6, `weight ${i}`));
    // unitForgetBias: the forget-gate slice of the bias starts at 1, the others at 0.
    expect(Array.from(gpuWeights[2])).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  test('returnState and initialState', async () => {
    const { gpu } = env;
    const [B, T, D, H] = [2, 5, 6, 7];
    const xs = input(5, B, T, D);
    const random = new reference.Random(9);
    const h0 = random.uniformArray(B * H);
    const c0 = random.uniformArray(B * H);
    const layer = layers.lstm({ units: H, returnSequences: true, returnState: true, seed: 4 });
    const [out, h, c] = layer.apply(tensor(gpu, xs, [B, T, D]), { initialState: [tensor(gpu, h0, [B, H]), tensor(gpu, c0, [B, H])] }) as Tensor[];
    expect([out.shape, h.shape, c.shape]).toEqual([
      [B, T, H],
      [B, H],
      [B, H],
    ]);

    const ref = reference.layers.lstm({ units: H, returnSequences: true, returnState: true });
    ref.setWeights(await layer.getWeightData());
    const [rOut, rh, rc] = ref.apply(reference.tensor(xs, [B, T, D]), {
      initialState: [reference.tensor(h0, [B, H]), reference.tensor(c0, [B, H])],
    }) as reference.CpuTensor[];
    expectClose(await out.data(), rOut.data, ATOL, RTOL, 'sequence');
    expectClose(await h.data(), rh.data, ATOL, RTOL, 'h');
    expectClose(await c.data(), rc.data, ATOL, RTOL, 'c');
    // The last step of the sequence is the returned h.
    const seq = await out.data();
    expectClose(seq.subarray((T - 1) * H, T * H), (await h.data()).subarray(0, H), 0, 0, 'last step = h');
  });

  test('a long sequence does not drift (T = 300, H = 64)', async () => {
    const { gpu } = env;
    const [B, T, D, H] = [2, 300, 8, 64];
    const xs = input(300, B, T, D);
    const model = sequential(gpu, [layers.lstm({ units: H, inputShape: [T, D], returnSequences: true, seed: 5 })]);
    const ref = reference.sequential([reference.layers.lstm({ units: H, inputShape: [T, D], returnSequences: true })]);
    ref.setWeights(await model.getWeightData());
    const got = await model.predict(xs, [B, T, D]).data();
    const expected = ref.predict(reference.tensor(xs, [B, T, D])).data;
    console.log(`T=300 drift: max |err| ${maxAbsError(got, expected).toExponential(2)}`);
    expectClose(got, expected, ATOL, RTOL, 'T=300');
  });
});

describe('steady state', () => {
  test('a repeated predict creates no buffers and compiles no pipelines', async () => {
    const { gpu } = env;
    const [B, T, D, H] = [4, 8, 5, 16];
    const model = sequential(gpu, [layers.lstm({ units: H, inputShape: [T, D], returnSequences: true, seed: 1 }), layers.lstm({ units: H, seed: 2 })]);
    const x = tensor(gpu, input(1, B, T, D), [B, T, D]);
    const first = model.predict(x);
    const expected = await first.data();
    first.dispose();
    const buffers = gpu.pool.created;
    const pipelines = gpu.pipelineCount;
    for (let i = 0; i < 3; i++) {
      const y = model.predict(x);
      expect(await y.data()).toEqual(expected);
      y.dispose();
    }
    expect(gpu.pool.created - buffers).toBe(0);
    expect(gpu.pipelineCount - pipelines).toBe(0);
  });

  // Per layer the input projection, then the steps: one persistent dispatch where runsPersistent
  // (B ≤ 4 and H ≤ 256, or H ≤ 128: a workgroup a row block), T step dispatches otherwise; +1 to
  // return the sequence.
  test.each([
    { B: 2, H: 8, stepDispatches: 1 },
    { B: 8, H: 8, stepDispatches: 1 },
    { B: 8, H: 200, stepDispatches: 12 },
  ])('one submit and 1 + $stepDispatches dispatches per layer (B=$B, H=$H, T=12)', async ({ B, H, stepDispatches }) => {
    const { gpu } = env;
    const [T, D] = [12, 3];
    const model = sequential(gpu, [
      layers.lstm({ units: H, inputShape: [T, D], returnSequences: true, seed: 1 }),
      layers.lstm({ units: H, returnSequences: true, seed: 2 }),
    ]);
    const x = tensor(gpu, input(2, B, T, D), [B, T, D]);
    await model.predict(x).data(); // compile first
    const { result: y, dispatches, submits } = countDispatches(gpu, () => model.predict(x));
    expect({ dispatches, submits }).toEqual({ dispatches: 2 * (1 + stepDispatches) + 1, submits: 1 });
    await y.data();
    y.dispose();
  });
});
