// The GRU (both resetAfter modes) and SimpleRNN layers on the GPU against the CPU reference:
// sequences, initial state and returned state, stacks with any sequence length, a long
// sequence, seeded initial weights, and the dispatches, submits and buffers of a predict.
import { describe, expect, test } from 'vitest';
import { layers, sequential, tensor, type Tensor } from '../../src/index.js';
import { runsPersistent } from '../../src/kernels/steps.js';
import { Gru } from '../../src/lstm/gru.js';
import type { GruConfig, SimpleRnnConfig } from '../../src/spec/recurrentConfig.js';
import { SimpleRnn } from '../../src/lstm/simpleRnn.js';
import { ReferenceGru } from '../../src/reference/gru.js';
import { ReferenceLstm } from '../../src/reference/lstm.js';
import { Random } from '../../src/init/random.js';
import { ReferenceSimpleRnn } from '../../src/reference/simpleRnn.js';
import { cpuTensor, type CpuTensor } from '../../src/reference/tensor.js';
import { countDispatches } from '../helpers/count.js';
import { expectClose, maxAbsError, useGpu } from '../helpers/gpu.js';

const env = useGpu();

// The GPU's layer forward against Float64: per-step errors ~1e-6 (see the step kernel tests),
// plus the input projection's f32 sums over D ≤ 64 terms. The GRU's state is a convex mix of
// the previous state and a saturating candidate, and the SimpleRNN's tanh saturates, so the
// recurrence does not amplify them: as the LSTM layer test, 1e-4 covers T up to 300 with margin
// (measured: see the drift test's log line).
const ATOL = 1e-4;
const RTOL = 1e-4;

function input(seed: number, B: number, T: number, D: number): Float32Array {
  return new Random(seed).uniformArray(B * T * D);
}

interface Family {
  name: string;
  gpu: (c: GruConfig) => Gru | SimpleRnn;
  ref: (c: GruConfig) => ReferenceGru | ReferenceSimpleRnn;
  /** Dispatches a step of the per-step forward (where not runsPersistent). */
  perStep: number;
}

const families: Family[] = [
  {
    name: 'GRU resetAfter=true',
    gpu: (c) => new Gru({ ...c, resetAfter: true }),
    ref: (c) => new ReferenceGru({ ...c, resetAfter: true }),
    perStep: 1,
  },
  {
    name: 'GRU resetAfter=false',
    gpu: (c) => new Gru({ ...c, resetAfter: false }),
    ref: (c) => new ReferenceGru({ ...c, resetAfter: false }),
    perStep: 2,
  },
  { name: 'SimpleRNN', gpu: (c: SimpleRnnConfig) => new SimpleRnn(c), ref: (c: SimpleRnnConfig) => new ReferenceSimpleRnn(c), perStep: 1 },
];

/** The reference's forward of a stack of its layers. */
function referencePredict(stack: (ReferenceGru | ReferenceSimpleRnn)[], x: CpuTensor): CpuTensor {
  return stack.reduce((value, layer) => layer.forwardTrain(value).y, x);
}

describe.each(families)('$name layer vs reference', (family) => {
  test.each([
    { B: 1, T: 1, D: 1, H: 1 },
    { B: 1, T: 10, D: 13, H: 37 },
    { B: 4, T: 6, D: 13, H: 37 },
    { B: 5, T: 3, D: 64, H: 128 },
  ])('returnSequences both ways, B=$B T=$T D=$D H=$H', async ({ B, T, D, H }) => {
    const { gpu } = env;
    const xs = input(B + T + D + H, B, T, D);
    for (const returnSequences of [false, true]) {
      const model = sequential(gpu, [family.gpu({ units: H, inputShape: [T, D], returnSequences, seed: 3 })]);
      const y = model.predict(tensor(gpu, xs, [B, T, D]));
      expect(y.shape).toEqual(returnSequences ? [B, T, H] : [B, H]);
      const ref = family.ref({ units: H, inputShape: [T, D], returnSequences });
      ref.setWeights(await model.getWeightData());
      expectClose(await y.data(), referencePredict([ref], cpuTensor(xs, [B, T, D])).data, ATOL, RTOL, `returnSequences=${returnSequences}`);
      model.dispose();
    }
  });

  test('stack of three layers (the middle one an LSTM) with any sequence length, no bias in the last', async () => {
    const { gpu } = env;
    const [B, D, H] = [3, 13, 37];
    const first = { units: H, returnSequences: true, seed: 10, inputShape: [null, D] as [null, number] };
    const last = { units: H + 2, returnSequences: false, seed: 12, useBias: false };
    const model = sequential(gpu, [family.gpu(first), layers.lstm({ units: H + 1, returnSequences: true, seed: 11 }), family.gpu(last)]);
    const weights = await model.getWeightData();
    const ref0 = family.ref(first);
    const ref2 = family.ref(last);
    ref0.setWeights(weights.slice(0, 3));
    ref2.build(H + 1);
    ref2.setWeights(weights.slice(6));
    const refLstm = new ReferenceLstm({ units: H + 1, returnSequences: true });
    refLstm.setWeights(weights.slice(3, 6));
    for (const T of [1, 5, 9]) {
      const xs = input(T, B, T, D);
      const y = model.predict(xs, [B, T, D]);
      expect(y.shape).toEqual([B, H + 2]);
      const expected = ref2.forwardTrain(refLstm.forwardTrain(ref0.forwardTrain(cpuTensor(xs, [B, T, D])).y).y).y;
      expectClose(await y.data(), expected.data, ATOL, RTOL, `T=${T}`);
      y.dispose();
    }
    model.dispose();
  });

  test('the same seed gives the same initial weights on the GPU and in the reference', async () => {
    const { gpu } = env;
    const config = { units: 5, inputShape: [3, 4] as [number, number], seed: 42, biasInitializer: 'randomUniform' as const };
    const model = sequential(gpu, [family.gpu(config)]);
    const ref = family.ref(config);
    const gpuWeights = await model.getWeightData();
    const refWeights = ref.getWeights();
    gpuWeights.forEach((w, i) => expectClose(w, refWeights[i], 1e-7, 1e-6, `weight ${i}`));
    // Keras shapes: kernel [D, gates·u], recurrentKernel [u, gates·u], bias [gates·u] or [2, 3u].
    const gates = family.name.startsWith('GRU') ? 3 : 1;
    const biasShape = family.name.includes('resetAfter=true') ? [2, 15] : [5 * gates];
    expect(model.layers[0].weightTensors.map((w) => w.shape)).toEqual([[4, 5 * gates], [5, 5 * gates], biasShape]);
    model.dispose();
  });

  test('returnState and initialState; two halves carried through the state equal the whole', async () => {
    const { gpu } = env;
    const [B, T, D, H] = [2, 6, 5, 7];
    const xs = input(5, B, T, D);
    const h0 = new Random(9).uniformArray(B * H);
    const layer = family.gpu({ units: H, returnSequences: true, returnState: true, seed: 4 });
    const [out, h] = layer.apply(tensor(gpu, xs, [B, T, D]), { initialState: tensor(gpu, h0, [B, H]) }) as Tensor[];
    expect([out.shape, h.shape]).toEqual([
      [B, T, H],
      [B, H],
    ]);
    const ref = family.ref({ units: H, returnSequences: true, returnState: true });
    ref.setWeights(await layer.getWeightData());
    const [rOut, rh] = ref.apply(cpuTensor(xs, [B, T, D]), { initialState: cpuTensor(h0, [B, H]) }) as CpuTensor[];
    expectClose(await out.data(), rOut.data, ATOL, RTOL, 'sequence');
    expectClose(await h.data(), rh.data, ATOL, RTOL, 'h');
    const seq = await out.data();
    expectClose(seq.subarray((T - 1) * H, T * H), (await h.data()).subarray(0, H), 0, 0, 'last step = h');

    // The first half's returned h as the second half's initial state ([h] as TF.js takes it).
    const half = (from: number) => {
      const part = new Float32Array(B * (T / 2) * D);
      for (let b = 0; b < B; b++) part.set(xs.subarray((b * T + from) * D, (b * T + from + T / 2) * D), b * (T / 2) * D);
      return tensor(gpu, part, [B, T / 2, D]);
    };
    const [, hHalf] = layer.apply(half(0), { initialState: [tensor(gpu, h0, [B, H])] }) as Tensor[];
    const [, hWhole] = layer.apply(half(T / 2), { initialState: [hHalf] }) as Tensor[];
    expectClose(await hWhole.data(), await h.data(), 1e-6, 0, 'two halves = whole');
  });

  test('a long sequence does not drift (T = 300, H = 64)', async () => {
    const { gpu } = env;
    const [B, T, D, H] = [2, 300, 8, 64];
    const xs = input(300, B, T, D);
    const model = sequential(gpu, [family.gpu({ units: H, inputShape: [T, D], returnSequences: true, seed: 5 })]);
    const ref = family.ref({ units: H, inputShape: [T, D], returnSequences: true });
    ref.setWeights(await model.getWeightData());
    const got = await model.predict(xs, [B, T, D]).data();
    const expected = referencePredict([ref], cpuTensor(xs, [B, T, D])).data;
    console.log(`${family.name} T=300 drift: max |err| ${maxAbsError(got, expected).toExponential(2)}`);
    expectClose(got, expected, ATOL, RTOL, 'T=300');
    model.dispose();
  });

  // The steps of a layer: one persistent dispatch where runsPersistent, else (dispatches a step)·T.
  test.each([
    { B: 2, H: 8 },
    { B: 8, H: 8 },
    { B: 8, H: 200 },
  ])(
    'B=$B H=$H: one submit and 1 + the step dispatches per layer (+1 for a returned sequence); no new buffers or pipelines when repeated',
    async ({ B, H }) => {
      const { gpu } = env;
      const [T, D] = [12, 3];
      const stepDispatches = runsPersistent(B, H) ? 1 : family.perStep * T;
      const model = sequential(gpu, [
        family.gpu({ units: H, inputShape: [T, D], returnSequences: true, seed: 1 }),
        family.gpu({ units: H, returnSequences: true, seed: 2 }),
      ]);
      const x = tensor(gpu, input(2, B, T, D), [B, T, D]);
      const first = model.predict(x); // compiles, and fills the pool
      const expected = await first.data();
      first.dispose();
      const buffers = gpu.pool.created;
      const pipelines = gpu.pipelineCount;
      const { result: y, dispatches, submits } = countDispatches(gpu, () => model.predict(x));
      expect({ dispatches, submits }).toEqual({ dispatches: 2 * (1 + stepDispatches) + 1, submits: 1 });
      expect(await y.data()).toEqual(expected);
      y.dispose();
      expect(gpu.pool.created - buffers).toBe(0);
      expect(gpu.pipelineCount - pipelines).toBe(0);
      model.dispose();
    },
  );
});

describe('configuration', () => {
  test('Keras defaults', () => {
    const gru = new Gru({ units: 4 });
    expect(gru.config).toMatchObject({
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
      useBias: true,
      resetAfter: true,
      kernelInitializer: 'glorotUniform',
      recurrentInitializer: 'orthogonal',
      biasInitializer: 'zeros',
      returnSequences: false,
      returnState: false,
    });
    expect(new SimpleRnn({ units: 4 }).config).toMatchObject({ activation: 'tanh', useBias: true, recurrentInitializer: 'orthogonal' });
  });
  test('bad options name the problem', () => {
    expect(() => new Gru({ units: 0 })).toThrowError(/gru: units must be a positive whole number/);
    expect(() => new SimpleRnn({ units: 3, activation: 'softmax' as 'tanh' })).toThrowError(/activation 'softmax' is not supported/);
    // goBackwards and stateful are supported (test/lstm/goBackwards.test.ts, stateful.test.ts).
    expect(new Gru({ units: 3, goBackwards: true }).config).toMatchObject({ goBackwards: true, stateful: false });
    expect(new SimpleRnn({ units: 3, stateful: true }).config).toMatchObject({ goBackwards: false, stateful: true });
  });
  test('a wrong input or initial state shape is a ShapeError', () => {
    const { gpu } = env;
    const layer = new Gru({ units: 3, inputShape: [4, 2] });
    expect(() => layer.apply(tensor(gpu, new Float32Array(2 * 4 * 3), [2, 4, 3]))).toThrowError(/expects inputs of shape \[batch, 4, 2\]/);
    expect(() => layer.apply(tensor(gpu, new Float32Array(2 * 4 * 2), [2, 4, 2]), { initialState: tensor(gpu, new Float32Array(3), [1, 3]) })).toThrowError(
      /initialState must have shape \[2, 3\]/,
    );
  });
});
