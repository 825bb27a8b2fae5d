// kernels/gruStepForward and kernels/gruStepBackward against the reference's gruStep and
// gruBackward, in both resetAfter modes, on seeded inputs: batch 1, one step, one unit, batches
// that the rows per invocation do not divide, units that are not multiples of the 64-wide
// workgroup, the `keep` variant used by training, other activations and no bias; every form of
// of each (persistent forward and backward in both modes).
import { describe, expect, test } from 'vitest';
import { tensor } from '../../src/index.js';
import type { Activation } from '../../src/kernels/activations.js';
import { encodeGruStepsBackward } from '../../src/kernels/gruStepBackward.js';
import { encodeGruStepsForward } from '../../src/kernels/gruStepForward.js';
import { encodeTranspose } from '../../src/kernels/transpose.js';
import { gruBackward, gruForwardTrain, gruStep, splitGruBias } from '../../src/reference/gru.js';
import { Random } from '../../src/init/random.js';
import { recurrentDropoutMask, stepMask, withBackwardForms, BACKWARD_STEP_CASES } from '../helpers/stepInputs.js';
import { expectClose, readBuffer, runPass, useGpu } from '../helpers/gpu.js';
import { runsPersistent } from '../../src/kernels/steps.js';

const env = useGpu();

interface Case {
  name: string;
  B: number;
  T: number;
  H: number;
  keep?: boolean;
  activation?: Activation;
  recurrentActivation?: Activation;
  noBias?: boolean;
}

const forwardCases: Case[] = [
  { name: 'one unit, one step, batch 1', B: 1, T: 1, H: 1 },
  { name: 'batch 1', B: 1, T: 4, H: 37 },
  { name: 'batch 3 (one partial row block)', B: 3, T: 3, H: 37 },
  { name: 'batch 9 (rows per invocation do not divide it)', B: 9, T: 2, H: 65 },
  { name: 'units a multiple of the workgroup', B: 4, T: 2, H: 128 },
  { name: 'keep activations', B: 5, T: 3, H: 37, keep: true },
  { name: 'keep, one unit, one step', B: 1, T: 1, H: 1, keep: true },
  { name: 'hardSigmoid gates, relu activation', B: 2, T: 3, H: 20, activation: 'relu', recurrentActivation: 'hardSigmoid', keep: true },
  { name: 'no bias', B: 2, T: 2, H: 9, noBias: true, keep: true },
];

// Per step the GPU adds H (or 2H) f32 products (|h| ≤ 1, |U| ≤ 1/√H) to a and applies
// exp-based activations (a few ulp): rounding ~1e-6 a step, which the recurrence does not
// amplify (h is a convex mix of h[t-1] and a saturating n). As the LSTM step test: 2e-5 leaves
// room for other adapters' exp, while a wrong index or gate order gives errors of order 0.1.
const ATOL = 2e-5;
const RTOL = 1e-5;

describe.each([true, false])('GRU forward step kernel vs reference, resetAfter=%s', (resetAfter) => {
  // Every form: `main`, and `main_persistent` where runsPersistent.
  const forms = forwardCases.flatMap((c) =>
    (['main', 'persistent'] as const).filter((form) => form === 'main' || runsPersistent(c.B, c.H)).map((form) => ({ ...c, form })),
  );
  test.each(forms)('$name (B=$B, T=$T, H=$H, $form)', async (c) => {
    const { gpu } = env;
    const { B, T, H } = c;
    const H3 = 3 * H;
    const keep = !!c.keep;
    const options = { activation: c.activation ?? 'tanh', recurrentActivation: c.recurrentActivation ?? 'sigmoid', resetAfter } as const;
    const random = new Random(B * 7919 + T * 31 + H + (resetAfter ? 1 : 0));
    const g = random.uniformArray(T * B * H3, -2, 2);
    const u = random.uniformArray(H * H3, -1 / Math.sqrt(H), 1 / Math.sqrt(H));
    const bias = c.noBias ? undefined : random.uniformArray((resetAfter ? 2 : 1) * H3, -0.5, 0.5);
    const h0 = random.uniformArray(B * H);
    const hseqInit = new Float32Array((T + 1) * B * H);
    hseqInit.set(h0);
    const [tg, tu, thseq] = [tensor(gpu, g, [g.length]), tensor(gpu, u, [u.length]), tensor(gpu, hseqInit, [hseqInit.length])];
    const tbias = bias && tensor(gpu, bias, [bias.length]);
    const tacts = keep ? tensor(gpu, new Float32Array(T * B * H3), [T * B * H3]) : undefined;
    const taux = keep ? tensor(gpu, new Float32Array(T * B * H), [T * B * H]) : undefined;
    await runPass(gpu, (pass, run) =>
      encodeGruStepsForward(gpu, pass, run, {
        g: tg.buffer,
        u: tu.buffer,
        bias: tbias?.buffer,
        hseq: thseq.buffer,
        acts: tacts?.buffer,
        aux: taux?.buffer,
        T,
        B,
        H,
        keep,
        ...options,
        form: c.form,
      }),
    );
    const hseq = await readBuffer(gpu, thseq.buffer, (T + 1) * B * H);
    const acts = tacts && (await readBuffer(gpu, tacts.buffer, T * B * H3));
    const aux = taux && (await readBuffer(gpu, taux.buffer, T * B * H));

    const recurrentBias = splitGruBias({ kernel: [], recurrentKernel: [], bias }, H, resetAfter).recurrent;
    let h: ArrayLike<number> = h0;
    for (let t = 0; t < T; t++) {
      const step = gruStep(g.subarray(t * B * H3, (t + 1) * B * H3), h, u, recurrentBias, B, H, options);
      expectClose(hseq.subarray((t + 1) * B * H, (t + 2) * B * H), step.h, ATOL, RTOL, `h[${t}]`);
      if (keep) {
        expectClose(acts!.subarray(t * B * H3, (t + 1) * B * H3), step.acts, ATOL, RTOL, `z, r, n[${t}]`);
        expectClose(aux!.subarray(t * B * H, (t + 1) * B * H), step.aux, ATOL, RTOL, `${resetAfter ? 'm_h' : 'q'}[${t}]`);
      }
      h = step.h;
    }
    expect(Array.from(hseq.subarray(0, B * H))).toEqual(Array.from(h0)); // slot 0 is left as h0
    for (const t of [tg, tu, thseq, tbias, tacts, taux]) t?.dispose();
  });
});

test.each(
  [
    { B: 1, T: 6, H: 37, keep: false },
    { B: 3, T: 4, H: 70, keep: true },
    { B: 9, T: 3, H: 65, keep: true },
  ].flatMap((c) => [true, false].map((resetAfter) => ({ ...c, resetAfter }))),
)(
  'GRU persistent forward resetAfter=$resetAfter B=$B T=$T H=$H keep=$keep, masked, goBackwards, recurrent dropout: equal to main',
  async ({ B, T, H, keep, resetAfter }) => {
    const { gpu } = env;
    const H3 = 3 * H;
    const random = new Random(B * 13 + T * 5 + H + (resetAfter ? 0 : 1));
    const inputs = [
      tensor(gpu, random.uniformArray(T * B * H3, -2, 2), [T * B * H3]),
      tensor(gpu, random.uniformArray(H * H3, -1 / Math.sqrt(H), 1 / Math.sqrt(H)), [H * H3]),
      tensor(gpu, random.uniformArray(2 * H3, -0.5, 0.5), [2 * H3]),
      tensor(gpu, stepMask(random, B, T), [B * T]),
      tensor(gpu, recurrentDropoutMask(random, B, H), [B * H]),
    ];
    const hInit = new Float32Array((T + 1) * B * H);
    hInit.set(random.uniformArray(B * H));
    const run = async (form: 'main' | 'persistent') => {
      const out = [
        tensor(gpu, hInit, [hInit.length]),
        tensor(gpu, new Float32Array(T * B * H3), [T * B * H3]),
        tensor(gpu, new Float32Array(T * B * H), [T * B * H]),
      ];
      await runPass(gpu, (pass, scope) =>
        encodeGruStepsForward(gpu, pass, scope, {
          activation: 'tanh',
          recurrentActivation: 'sigmoid',
          resetAfter,
          g: inputs[0].buffer,
          u: inputs[1].buffer,
          bias: inputs[2].buffer,
          hseq: out[0].buffer,
          acts: keep ? out[1].buffer : undefined,
          aux: keep ? out[2].buffer : undefined,
          mask: inputs[3].buffer,
          backwards: true,
          recurrentMask: inputs[4].buffer,
          keep,
          T,
          B,
          H,
          form,
        }),
      );
      const values = await Promise.all(out.map((t) => t.data()));
      for (const t of out) t.dispose();
      return values;
    };
    const main = await run('main');
    expect(await run('persistent')).toEqual(main);
    expect(Array.from(main[0].subarray(B * H))).not.toEqual(Array.from(hInit.subarray(B * H)));
    for (const t of inputs) t.dispose();
  },
);

// The kernel's inputs (kept activations and states) are the reference's, rounded to f32; per
// step it adds 3H f32 products to dh (in one or two dispatches). Gradients stay O(1) and errors
// do not grow through the ≤ 5 steps here (|z| < 1 and the saturating derivatives scale them
// down): as the LSTM backward step test, 1e-5 is ~10× the f32 rounding of these sums, while a
// wrong gate or index is off by ≥ 1e-2.
const BACK_ATOL = 1e-5;
const BACK_RTOL = 1e-4;

describe.each([true, false])('GRU backward step kernel vs reference, resetAfter=%s', (resetAfter) => {
  test.each(withBackwardForms(BACKWARD_STEP_CASES))('B=$B T=$T H=$H, gradient of the $sequence sequence, $form', async ({ B, T, D, H, sequence, form }) => {
    const { gpu } = env;
    const H3 = 3 * H;
    const random = new Random(B * 31 + T * 7 + H + (resetAfter ? 1 : 0));
    const options = { activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter } as const;
    const f32 = (n: number, scale: number) => Float64Array.from(random.uniformArray(n, -scale, scale));
    const x = f32(B * T * D, 1);
    const weights = { kernel: f32(D * H3, 0.5), recurrentKernel: f32(H * H3, 1 / Math.sqrt(H)), bias: f32((resetAfter ? 2 : 1) * H3, 0.2) };
    const h0 = f32(B * H, 1);
    const dims = { B, T, D, H };
    const cache = gruForwardTrain(x, dims, weights, { ...options, initialState: h0 });
    const dYBatchMajor = f32(sequence ? B * T * H : B * H, 1);
    const expected = gruBackward(x, dims, weights, options, cache, sequence ? { sequence: dYBatchMajor } : { last: dYBatchMajor });

    // The kernel takes dY time-major.
    const dY = new Float32Array(dYBatchMajor.length);
    if (sequence)
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) dY[(t * B + b) * H + j] = dYBatchMajor[(b * T + t) * H + j];
    else dY.set(dYBatchMajor);
    const toGpu = (v: ArrayLike<number>) => tensor(gpu, Float32Array.from(v), [v.length]);
    const [u, dy, hseq, acts, aux] = [toGpu(weights.recurrentKernel), toGpu(dY), toGpu(cache.hseq), toGpu(cache.acts), toGpu(cache.aux)];
    const uT = toGpu(new Float32Array(H3 * H));
    const dG = toGpu(new Float32Array(T * B * H3));
    const dGm = toGpu(new Float32Array(T * B * (resetAfter ? H3 : H)));
    const carry = toGpu(new Float32Array(B * H));
    await runPass(gpu, (pass, run) => {
      encodeTranspose(gpu, pass, run, { x: u.buffer, y: uT.buffer, R: H, C: H3 });
      encodeGruStepsBackward(gpu, pass, run, {
        ...options,
        dG: dG.buffer,
        dGm: dGm.buffer,
        uT: uT.buffer,
        dY: dy.buffer,
        dySeq: sequence,
        hseq: hseq.buffer,
        acts: acts.buffer,
        aux: aux.buffer,
        carry: carry.buffer,
        initialStateGrad: true,
        T,
        B,
        H,
        form,
      });
    });
    expectClose(await readBuffer(gpu, dG.buffer, T * B * H3), expected.dGx, BACK_ATOL, BACK_RTOL, 'dG');
    let dGmExpected: Float64Array = expected.dGm;
    if (!resetAfter) {
      // Reset before: dGm holds dG's h block again, [T, B, H].
      dGmExpected = new Float64Array(T * B * H);
      for (let row = 0; row < T * B; row++) dGmExpected.set(expected.dGx.subarray(row * H3 + 2 * H, (row + 1) * H3), row * H);
    }
    expectClose(await readBuffer(gpu, dGm.buffer, dGmExpected.length), dGmExpected, BACK_ATOL, BACK_RTOL, resetAfter ? 'dGm' : 'dGh');
    expectClose(await readBuffer(gpu, carry.buffer, B * H), expected.dh0, BACK_ATOL, BACK_RTOL, 'dh0');
    for (const t of [u, dy, hseq, acts, aux, uT, dG, dGm, carry]) t.dispose();
  });
});

describe('GRU dispatches per step', () => {
  test.each([true, false])('resetAfter=%s: forward and backward', async (resetAfter) => {
    const { gpu } = env;
    const [B, T, H] = [2, 5, 8];
    const H3 = 3 * H;
    const buffer = (n: number) => tensor(gpu, new Float32Array(n), [n]);
    const [g, u, bias, hseq, acts, aux, dG, dGm, uT, dY, carry] = [
      T * B * H3,
      H * H3,
      2 * H3,
      (T + 1) * B * H,
      T * B * H3,
      T * B * H,
      T * B * H3,
      T * B * H3,
      H3 * H,
      T * B * H,
      B * H,
    ].map(buffer);
    const options = { activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter } as const;
    const counts: number[] = [];
    await runPass(gpu, (pass, run) => {
      let n = 0;
      // The pass, with its dispatches counted.
      const counting = new Proxy(pass, {
        get(target, key) {
          if (key === 'dispatchWorkgroups') return (...args: [number, number?, number?]) => (n++, target.dispatchWorkgroups(...args));
          const value = Reflect.get(target, key);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      encodeGruStepsForward(gpu, counting, run, {
        ...options,
        g: g.buffer,
        u: u.buffer,
        bias: bias.buffer,
        hseq: hseq.buffer,
        acts: acts.buffer,
        aux: aux.buffer,
        keep: true,
        T,
        B,
        H,
        form: 'main',
      });
      counts.push(n);
      const args = {
        ...options,
        dG: dG.buffer,
        dGm: dGm.buffer,
        uT: uT.buffer,
        dY: dY.buffer,
        dySeq: true,
        hseq: hseq.buffer,
        acts: acts.buffer,
        aux: aux.buffer,
        carry: carry.buffer,
        T,
        B,
        H,
      } as const;
      for (const form of ['main', 'persistent'] as const) {
        for (const initialStateGrad of [false, true]) {
          const before = n;
          encodeGruStepsBackward(gpu, counting, run, { ...args, form, initialStateGrad });
          counts.push(n - before);
        }
      }
    });
    // Forward T steps, then backward per step and persistent, each without and with dh0.
    const perStep = resetAfter ? 1 : 2;
    expect(counts).toEqual([perStep * T, perStep * T, perStep * T + 1, 1, 2]);
    for (const t of [g, u, bias, hseq, acts, aux, dG, dGm, uT, dY, carry]) t.dispose();
  });
});
