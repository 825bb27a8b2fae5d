// Keras's `dropout` and `recurrentDropout` on LSTM, GRU and SimpleRNN: the GPU's masks and
// gradients against the CPU reference (same hash, same step counter, so the masks are equal bit
// for bit), SGD steps alike, and the identity in inference. The masks themselves and the options:
// recurrentDropoutMasks.test.ts; the reference's gradients: recurrentDropoutGradients.test.ts.
import { describe, expect, test } from 'vitest';
import { layers, reference, sequential, tensor, type LossName } from '../../src/index.js';
import type { Layer } from '../../src/layers/layer.js';
import type { Lstm } from '../../src/lstm/lstm.js';
import type { RecurrentLayer } from '../../src/lstm/recurrent.js';
import type { ReferenceLayer } from '../../src/reference/sequential.js';
import { expectClose, useGpu } from '../helpers/gpu.js';
import { gpuLayer, type Kind, KINDS, type RecurrentOptions, refLayer } from './recurrentDropoutFixtures.js';

const env = useGpu();

interface Case {
  name: string;
  B: number;
  T: number;
  D: number;
  H: number;
  dropout: number;
  recurrentDropout: number;
  returnSequences?: boolean;
  goBackwards?: boolean;
  /** A second recurrent layer (with its own masks) on top. */
  stack?: boolean;
  /** Wrapped in Bidirectional (concat): the directions' input gradients add up through their masks. */
  bidirectional?: boolean;
  loss: LossName;
}

const cases: Case[] = [
  { name: 'batch 1, one step', B: 1, T: 1, D: 3, H: 2, dropout: 0.5, recurrentDropout: 0.5, loss: 'meanSquaredError' },
  { name: 'sizes off the workgroup, both masks', B: 5, T: 6, D: 70, H: 65, dropout: 0.3, recurrentDropout: 0.4, loss: 'meanSquaredError' },
  {
    name: 'recurrent dropout only, per-step head',
    B: 3,
    T: 5,
    D: 4,
    H: 9,
    dropout: 0,
    recurrentDropout: 0.5,
    returnSequences: true,
    loss: 'meanAbsoluteError',
  },
  {
    name: 'input dropout only, goBackwards, stack',
    B: 4,
    T: 4,
    D: 6,
    H: 5,
    dropout: 0.5,
    recurrentDropout: 0,
    goBackwards: true,
    stack: true,
    loss: 'meanSquaredError',
  },
  { name: 'bidirectional', B: 3, T: 4, D: 5, H: 6, dropout: 0.25, recurrentDropout: 0.25, bidirectional: true, loss: 'meanSquaredError' },
];

function buildBoth(kind: Kind, c: Case) {
  const options = (seed: number, returnSequences = c.returnSequences ?? false): RecurrentOptions => ({
    units: c.H,
    dropout: c.dropout,
    recurrentDropout: c.recurrentDropout,
    goBackwards: c.goBackwards,
    returnSequences,
    seed,
  });
  const first = (seed: number, returnSequences?: boolean) => ({ ...options(seed, returnSequences), inputShape: [c.T, c.D] as [number, number] });
  const gpuLayers: Layer[] = [];
  const refLayers: ReferenceLayer[] = [];
  if (c.bidirectional) {
    gpuLayers.push(layers.bidirectional({ layer: gpuLayer(kind, first(11)) as never, mergeMode: 'concat' }));
    refLayers.push(reference.layers.bidirectional({ layer: refLayer(kind, options(11)) as never, mergeMode: 'concat' }) as unknown as ReferenceLayer);
  } else {
    gpuLayers.push(gpuLayer(kind, first(11, c.stack ? true : undefined)));
    refLayers.push(refLayer(kind, options(11, c.stack ? true : undefined)));
    if (c.stack) {
      gpuLayers.push(gpuLayer(kind, options(12)));
      refLayers.push(refLayer(kind, options(12)));
    }
  }
  const head = { units: 2, activation: 'tanh' as const, seed: 13 };
  gpuLayers.push(layers.dense(head));
  refLayers.push(reference.layers.dense(head));
  return { model: sequential(env.gpu, gpuLayers), ref: reference.sequential(refLayers) };
}

function makeData(c: Case, seed: number) {
  const random = new reference.Random(seed);
  const x = random.uniformArray(c.B * c.T * c.D);
  const rows = c.returnSequences ? c.B * c.T : c.B;
  return { x, y: random.uniformArray(rows * 2, -0.8, 0.8) };
}

describe.each(KINDS)('%s with dropout: GPU vs reference', (kind) => {
  // As the other GPU-vs-reference gradient tests: f32 sums over B·T rows of O(1) terms, 1e-6
  // absolute plus 1e-4 relative. The masks are equal bit for bit, so a wrong mask (or one
  // applied at the wrong place) shows as an O(1) relative error.
  test.each(cases)('$name (B=$B T=$T D=$D H=$H dropout=$dropout recurrentDropout=$recurrentDropout)', async (c) => {
    const { model, ref } = buildBoth(kind, c);
    model.compile({ optimizer: 'sgd', loss: c.loss });
    ref.compile({ optimizer: 'sgd', loss: c.loss });
    ref.setWeights(await model.getWeightData());
    const { x, y } = makeData(c, c.B * 100 + c.H);
    const xt = tensor(env.gpu, x, [c.B, c.T, c.D]);
    // Two draws: step 0 and step 1 masks (the counters advance together).
    for (let draw = 0; draw < 2; draw++) {
      const gpu = await model.gradients(xt, y);
      const expected = ref.gradients(reference.tensor(x, [c.B, c.T, c.D]), y);
      expect(Math.abs(gpu.loss - expected.loss)).toBeLessThan(1e-5 + 1e-5 * Math.abs(expected.loss));
      expected.grads.forEach((g, i) => expectClose(gpu.grads[i], g, 1e-6, 1e-4, `draw ${draw}: gradient of weight ${i}`));
    }
    xt.dispose();
    model.dispose();
  });

  test('three SGD steps: same losses and weights as the reference; predict ignores dropout', async () => {
    const c = cases[1];
    const { model, ref } = buildBoth(kind, c);
    // SGD, so that a weight's error is linear in its gradients' (Adam's m̂/(√v̂+ε) turns a 1e-6
    // absolute error of a gradient near zero into an O(lr) step: no bound holds there).
    const lr = 0.1;
    model.compile({ optimizer: { name: 'sgd', learningRate: lr }, loss: c.loss });
    ref.compile({ optimizer: { name: 'sgd', learningRate: lr }, loss: c.loss });
    ref.setWeights(await model.getWeightData());
    const { x, y } = makeData(c, 5);
    const xt = tensor(env.gpu, x, [c.B, c.T, c.D]);
    const steps = 3;
    // bound[i][j] = Σ over steps of lr·(1e-6 + 1e-4·|g|), the gradient bound of the test above,
    // with lr·|g| read off the reference's own step |Δw| (SGD: Δw = −lr·g), plus f32 rounding of
    // w − lr·g at each step (2⁻²⁴·|w|, written as 1e-7·|w|) and of the step itself.
    const initial = ref.getWeights();
    const bound = initial.map((w) => new Float64Array(w.length));
    for (let step = 0; step < steps; step++) {
      const before = ref.getWeights();
      const [gpuLoss] = await model.trainOnBatch(xt, y);
      const [refLoss] = ref.trainOnBatch(reference.tensor(x, [c.B, c.T, c.D]), y);
      expect(Math.abs(gpuLoss - refLoss)).toBeLessThan(1e-5 + 1e-5 * Math.abs(refLoss));
      ref.getWeights().forEach((w, i) => {
        for (let j = 0; j < w.length; j++) {
          const delta = Math.abs(w[j] - before[i][j]);
          bound[i][j] += lr * 1e-6 + 1e-4 * delta + 1e-7 * (Math.abs(w[j]) + delta);
        }
      });
    }
    const recurrent = model.layers[0] as Lstm | RecurrentLayer;
    expect(recurrent.dropoutMasks.step).toBe(steps);
    const weights = await model.getWeightData();
    ref.getWeights().forEach((w, i) => {
      const bad = [...w].findIndex((v, j) => !(Math.abs(weights[i][j] - v) <= bound[i][j]));
      expect(bad, `weight ${i}[${bad}] after ${steps} steps: ${weights[i][bad]} vs ${w[bad]} (bound ${bound[i][bad]})`).toBe(-1);
    });
    // The bound sits far below the steps themselves, which is what a wrong mask would cost.
    const moved = Math.max(...ref.getWeights().flatMap((w, i) => [...w].map((v, j) => Math.abs(v - initial[i][j]))));
    const widest = Math.max(...bound.flatMap((b) => [...b]));
    expect(moved).toBeGreaterThan(100 * widest);
    // Inference: no masks (the reference's apply draws none either), and the step stays.
    const predicted = await model.predict(xt).data();
    expectClose(predicted, ref.predict(reference.tensor(x, [c.B, c.T, c.D])).data, 1e-5, 1e-4, 'predict');
    expect(recurrent.dropoutMasks.step).toBe(3);
    xt.dispose();
    model.dispose();
  });
});
