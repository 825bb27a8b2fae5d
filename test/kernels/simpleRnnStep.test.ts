// kernels/simpleRnnStepForward and kernels/simpleRnnStepBackward against the reference's
// simpleRnnStep and simpleRnnBackward on seeded inputs: batch 1, one step, one unit, batches
// that the rows per invocation do not divide, units that are not multiples of the 64-wide
// workgroup, and every supported activation.
import { describe, expect, test } from 'vitest';
import { tensor } from '../../src/index.js';
import type { Activation } from '../../src/kernels/activations.js';
import { encodeSimpleRnnStepsBackward } from '../../src/kernels/simpleRnnStepBackward.js';
import { encodeSimpleRnnStepsForward } from '../../src/kernels/simpleRnnStepForward.js';
import { encodeTranspose } from '../../src/kernels/transpose.js';
import { gemm } from '../../src/reference/math.js';
import { Random } from '../../src/init/random.js';
import { simpleRnnBackward, simpleRnnForwardTrain, simpleRnnStep } from '../../src/reference/simpleRnn.js';
import { recurrentDropoutMask, stepMask, withBackwardForms, BACKWARD_STEP_CASES } from '../helpers/stepInputs.js';
import { expectClose, readBuffer, runPass, useGpu } from '../helpers/gpu.js';
import { runsPersistent } from '../../src/kernels/steps.js';

const env = useGpu();

// As the LSTM step test: per step H f32 products (|h| ≤ 1, |U| ≤ 1/√H) and one exp-based
// activation, ~1e-6; with tanh the recurrence does not amplify it. relu and linear are not
// saturating, but |U| ≤ 1/√H keeps the states O(1) over these ≤ 4 steps. A wrong index is off
// by order 0.1.
const ATOL = 2e-5;
const RTOL = 1e-5;

describe('SimpleRNN forward step kernel vs reference', () => {
  test.each(
    [
      { name: 'one unit, one step, batch 1', B: 1, T: 1, H: 1, activation: 'tanh' },
      { name: 'batch 1', B: 1, T: 4, H: 37, activation: 'tanh' },
      { name: 'batch 3 (one partial row block)', B: 3, T: 3, H: 37, activation: 'tanh' },
      { name: 'batch 9 (rows per invocation do not divide it)', B: 9, T: 2, H: 65, activation: 'tanh' },
      { name: 'units a multiple of the workgroup', B: 4, T: 2, H: 128, activation: 'tanh' },
      { name: 'relu', B: 2, T: 3, H: 20, activation: 'relu' },
      { name: 'sigmoid', B: 2, T: 3, H: 20, activation: 'sigmoid' },
      { name: 'linear', B: 2, T: 2, H: 9, activation: 'linear' },
      { name: 'hardSigmoid', B: 2, T: 2, H: 9, activation: 'hardSigmoid' },
      { name: 'gelu, pre-activations kept', B: 5, T: 3, H: 70, activation: 'gelu', keepPre: true },
      { name: 'swish, pre-activations kept', B: 2, T: 3, H: 20, activation: 'swish', keepPre: true },
    ]
      .flatMap((c) => (['main', 'persistent'] as const).filter((form) => form === 'main' || runsPersistent(c.B, c.H)).map((form) => ({ ...c, form })))
      .map((c) => c as { name: string; B: number; T: number; H: number; activation: Activation; keepPre?: boolean; form: 'main' | 'persistent' }),
  )('$name (B=$B, T=$T, H=$H, $form)', async ({ B, T, H, activation, keepPre, form }) => {
    const { gpu } = env;
    const random = new Random(B * 7919 + T * 31 + H);
    const g = random.uniformArray(T * B * H, -2, 2);
    const u = random.uniformArray(H * H, -1 / Math.sqrt(H), 1 / Math.sqrt(H));
    const h0 = random.uniformArray(B * H);
    const hseqInit = new Float32Array((T + 1) * B * H);
    hseqInit.set(h0);
    const [tg, tu, thseq] = [tensor(gpu, g, [g.length]), tensor(gpu, u, [u.length]), tensor(gpu, hseqInit, [hseqInit.length])];
    await runPass(gpu, (pass, run) =>
      encodeSimpleRnnStepsForward(gpu, pass, run, { activation, g: tg.buffer, u: tu.buffer, hseq: thseq.buffer, T, B, H, keepPre, form }),
    );
    const hseq = await readBuffer(gpu, thseq.buffer, (T + 1) * B * H);
    const kept = await readBuffer(gpu, tg.buffer, T * B * H);
    let h: ArrayLike<number> = h0;
    for (let t = 0; t < T; t++) {
      const gt = g.subarray(t * B * H, (t + 1) * B * H);
      // keepPre: G[t] holds z[t] = G[t] + h[t-1]·U afterwards (the same H-term sum as h's).
      const z = gemm(h, u, undefined, { M: B, N: H, K: H }, gt);
      expectClose(kept.subarray(t * B * H, (t + 1) * B * H), keepPre ? z : gt, ATOL, RTOL, `G[${t}]`);
      h = simpleRnnStep(gt, h, u, B, H, activation);
      expectClose(hseq.subarray((t + 1) * B * H, (t + 2) * B * H), h, ATOL, RTOL, `h[${t}]`);
    }
    expect(Array.from(hseq.subarray(0, B * H))).toEqual(Array.from(h0));
    for (const t of [tg, tu, thseq]) t.dispose();
  });
});

test.each([
  { B: 1, T: 6, H: 37 },
  { B: 4, T: 3, H: 256 },
  { B: 9, T: 4, H: 65 },
])('SimpleRNN persistent forward B=$B T=$T H=$H, masked, goBackwards, recurrent dropout: equal to main', async ({ B, T, H }) => {
  const { gpu } = env;
  const random = new Random(B * 101 + T * 7 + H);
  const inputs = [
    tensor(gpu, random.uniformArray(T * B * H, -2, 2), [T * B * H]),
    tensor(gpu, random.uniformArray(H * H, -1 / Math.sqrt(H), 1 / Math.sqrt(H)), [H * H]),
    tensor(gpu, stepMask(random, B, T), [B * T]),
    tensor(gpu, recurrentDropoutMask(random, B, H), [B * H]),
  ];
  const hInit = new Float32Array((T + 1) * B * H);
  hInit.set(random.uniformArray(B * H));
  const run = async (form: 'main' | 'persistent') => {
    const hseq = tensor(gpu, hInit, [hInit.length]);
    await runPass(gpu, (pass, scope) =>
      encodeSimpleRnnStepsForward(gpu, pass, scope, {
        activation: 'tanh',
        g: inputs[0].buffer,
        u: inputs[1].buffer,
        hseq: hseq.buffer,
        mask: inputs[2].buffer,
        backwards: true,
        recurrentMask: inputs[3].buffer,
        T,
        B,
        H,
        form,
      }),
    );
    const out = await hseq.data();
    hseq.dispose();
    return out;
  };
  const main = await run('main');
  expect(await run('persistent')).toEqual(main);
  expect(Array.from(main.subarray(B * H))).not.toEqual(Array.from(hInit.subarray(B * H)));
  for (const t of inputs) t.dispose();
});

// As the LSTM backward step test: the kernel's inputs are the reference's states rounded to
// f32, and per step it adds H f32 products to dh; 1e-5 is ~10× that rounding over ≤ 5 steps,
// while a wrong index is off by ≥ 1e-2.
const BACK_ATOL = 1e-5;
const BACK_RTOL = 1e-4;

describe('SimpleRNN backward step kernel vs reference', () => {
  // tanh on every case; gelu (act' from the kept pre-activations, bound `pre`) on the first two.
  const cases = withBackwardForms(BACKWARD_STEP_CASES).flatMap((c, i) => [
    { ...c, activation: 'tanh' as Activation },
    ...(i < 4 ? [{ ...c, activation: 'gelu' as Activation }] : []),
  ]);
  test.each(cases)('B=$B T=$T H=$H, gradient of the $sequence sequence, $activation, $form', async ({ B, T, D, H, sequence, form, activation }) => {
    const { gpu } = env;
    const random = new Random(B * 31 + T * 7 + H);
    const f32 = (n: number, scale: number) => Float64Array.from(random.uniformArray(n, -scale, scale));
    const x = f32(B * T * D, 1);
    const weights = { kernel: f32(D * H, 0.5), recurrentKernel: f32(H * H, 1 / Math.sqrt(H)), bias: f32(H, 0.2) };
    const h0 = f32(B * H, 1);
    const dims = { B, T, D, H };
    const cache = simpleRnnForwardTrain(x, dims, weights, { activation, initialState: h0 });
    const dYBatchMajor = f32(sequence ? B * T * H : B * H, 1);
    const expected = simpleRnnBackward(x, dims, weights, { activation }, cache, sequence ? { sequence: dYBatchMajor } : { last: dYBatchMajor });
    const dY = new Float32Array(dYBatchMajor.length);
    if (sequence)
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) dY[(t * B + b) * H + j] = dYBatchMajor[(b * T + t) * H + j];
    else dY.set(dYBatchMajor);
    const toGpu = (v: ArrayLike<number>) => tensor(gpu, Float32Array.from(v), [v.length]);
    const [u, dy, hseq, pre] = [toGpu(weights.recurrentKernel), toGpu(dY), toGpu(cache.hseq), cache.pre && toGpu(cache.pre)];
    const uT = toGpu(new Float32Array(H * H));
    const dG = toGpu(new Float32Array(T * B * H));
    await runPass(gpu, (pass, run) => {
      encodeTranspose(gpu, pass, run, { x: u.buffer, y: uT.buffer, R: H, C: H });
      encodeSimpleRnnStepsBackward(gpu, pass, run, {
        activation,
        pre: pre?.buffer,
        dG: dG.buffer,
        uT: uT.buffer,
        dY: dy.buffer,
        dySeq: sequence,
        hseq: hseq.buffer,
        T,
        B,
        H,
        form,
      });
    });
    const got = await readBuffer(gpu, dG.buffer, T * B * H);
    expectClose(got, expected.dG, BACK_ATOL, BACK_RTOL, 'dG');
    // dh0 = dG[0]·Uᵀ (the layer's GEMM after the loop), from the GPU's dG[0].
    const dh0 = gemm(got.subarray(0, B * H), weights.recurrentKernel, undefined, { M: B, N: H, K: H, transB: true });
    expectClose(dh0, expected.dh0, BACK_ATOL, BACK_RTOL, 'dh0 from dG[0]');
    for (const t of [u, dy, hseq, uT, dG, pre]) t?.dispose();
  });
});
