// kernels/lstmStepForward against reference.lstmStep, step by step, on seeded inputs: batch 1,
// one step, one unit, batches that are not multiples of the rows per invocation, units that
// are not multiples of the 64-wide workgroup (or of the split form's 8 units), the `keep`
// variant used by training, each in every entry point; the persistent form with a mask,
// goBackwards and recurrent dropout against `main` (the same fma order: equal to the bit).
import { describe, expect, test } from 'vitest';
import { tensor } from '../../src/index.js';
import type { Activation } from '../../src/kernels/activations.js';
import { encodeLstmStepsForward } from '../../src/kernels/lstmStepForward.js';
import { runsPersistent } from '../../src/kernels/steps.js';
import { lstmStep } from '../../src/reference/math.js';
import { Random } from '../../src/init/random.js';
import { recurrentDropoutMask, stepMask } from '../helpers/stepInputs.js';
import { expectClose, readBuffer, runPass, useGpu } from '../helpers/gpu.js';

const env = useGpu();

// Per step the GPU adds H f32 products (|h| ≤ 1, |Wh| ≤ 1/√H) to G and applies exp-based
// activations (≤ a few ulp). Each step's rounding is ~1e-6; the recurrence does not amplify
// it (|f| < 1, saturating activations). Measured on SwiftShader: ≤ 1e-6 over these cases;
// 2e-5 leaves room for other adapters' exp, and a wrong index or gate order gives errors of
// order 0.1.
const ATOL = 2e-5;
const RTOL = 1e-5;

interface Case {
  name: string;
  B: number;
  T: number;
  H: number;
  keep?: boolean;
  activation?: Activation;
  recurrentActivation?: Activation;
}

const cases: Case[] = [
  { name: 'one unit, one step, batch 1', B: 1, T: 1, H: 1 },
  { name: 'batch 1', B: 1, T: 4, H: 37 },
  { name: 'batch 3 (one partial row block)', B: 3, T: 3, H: 37 },
  { name: 'batch 9 (rows per invocation do not divide it)', B: 9, T: 2, H: 65 },
  { name: 'units a multiple of the workgroup', B: 4, T: 2, H: 128 },
  { name: 'H = 256', B: 2, T: 2, H: 256 },
  { name: 'keep activations and cells', B: 5, T: 3, H: 37, keep: true },
  { name: 'hardSigmoid gates, relu activation', B: 2, T: 3, H: 20, activation: 'relu', recurrentActivation: 'hardSigmoid' },
  { name: 'linear activation, tanh gates', B: 2, T: 2, H: 9, activation: 'linear', recurrentActivation: 'tanh' },
];

// Every entry point on every case it takes: `main`, `main_split_k`, and `main_persistent`
// (where runsPersistent: which the layer picks there).
const forms = cases.flatMap((c) =>
  (['main', 'splitK', 'persistent'] as const).filter((form) => form !== 'persistent' || runsPersistent(c.B, c.H)).map((form) => ({ ...c, form })),
);

describe('LSTM forward step kernel vs reference', () => {
  test.each(forms)('$name (B=$B, T=$T, H=$H, $form)', async (c) => {
    const { gpu } = env;
    const { B, T, H } = c;
    const H4 = 4 * H;
    const options = { activation: c.activation ?? 'tanh', recurrentActivation: c.recurrentActivation ?? 'sigmoid' } as const;
    const keep = !!c.keep;
    const random = new Random(B * 7919 + T * 31 + H);
    const g = random.uniformArray(T * B * H4, -2, 2);
    const wh = random.uniformArray(H * H4, -1 / Math.sqrt(H), 1 / Math.sqrt(H));
    const h0 = random.uniformArray(B * H);
    const c0 = random.uniformArray(B * H);
    const hseqInit = new Float32Array((T + 1) * B * H);
    hseqInit.set(h0);
    const cInit = new Float32Array((keep ? T + 1 : 1) * B * H);
    cInit.set(c0);
    const tg = tensor(gpu, g, [g.length]);
    const twh = tensor(gpu, wh, [wh.length]);
    const thseq = tensor(gpu, hseqInit, [hseqInit.length]);
    const tc = tensor(gpu, cInit, [cInit.length]);
    const tacts = keep ? tensor(gpu, new Float32Array(T * B * H4), [T * B * H4]) : undefined;
    await runPass(gpu, (pass, run) =>
      encodeLstmStepsForward(gpu, pass, run, {
        g: tg.buffer,
        wh: twh.buffer,
        hseq: thseq.buffer,
        cseq: tc.buffer,
        acts: tacts?.buffer,
        T,
        B,
        H,
        keep,
        ...options,
        form: c.form,
      }),
    );
    const hseq = await readBuffer(gpu, thseq.buffer, (T + 1) * B * H);
    const cseq = await readBuffer(gpu, tc.buffer, cInit.length);
    const acts = tacts && (await readBuffer(gpu, tacts.buffer, T * B * H4));

    let h: ArrayLike<number> = h0;
    let cell: ArrayLike<number> = c0;
    for (let t = 0; t < T; t++) {
      const step = lstmStep(g.subarray(t * B * H4, (t + 1) * B * H4), h, cell, wh, B, H, options);
      expectClose(hseq.subarray((t + 1) * B * H, (t + 2) * B * H), step.h, ATOL, RTOL, `h[${t}]`);
      if (keep) {
        expectClose(cseq.subarray((t + 1) * B * H, (t + 2) * B * H), step.c, ATOL, RTOL, `c[${t}]`);
        expectClose(acts!.subarray(t * B * H4, (t + 1) * B * H4), step.acts, ATOL, RTOL, `gates[${t}]`);
      }
      h = step.h;
      cell = step.c;
    }
    if (!keep) expectClose(cseq, cell, ATOL, RTOL, 'final c');
    expect(Array.from(hseq.subarray(0, B * H))).toEqual(Array.from(h0)); // slot 0 is left as h0
    for (const t of [tg, twh, thseq, tc, tacts]) t?.dispose();
  });
});

describe('persistent LSTM forward (one dispatch for the sequence)', () => {
  test.each([
    { B: 1, T: 6, H: 37, keep: false },
    { B: 3, T: 5, H: 70, keep: true },
    { B: 4, T: 1, H: 256, keep: true },
    // Row blocks: three workgroups, the last with one row.
    { B: 9, T: 4, H: 65, keep: true },
    { B: 6, T: 3, H: 128, keep: false },
  ])('B=$B T=$T H=$H keep=$keep, masked, goBackwards, recurrent dropout: equal to main', async ({ B, T, H, keep }) => {
    const { gpu } = env;
    const H4 = 4 * H;
    const random = new Random(B * 131 + T * 17 + H);
    const g = random.uniformArray(T * B * H4, -2, 2);
    const wh = random.uniformArray(H * H4, -1 / Math.sqrt(H), 1 / Math.sqrt(H));
    const hInit = new Float32Array((T + 1) * B * H);
    hInit.set(random.uniformArray(B * H));
    const cInit = new Float32Array((keep ? T + 1 : 1) * B * H);
    cInit.set(random.uniformArray(B * H));
    // Row 0 keeps every step; the others drop steps at random (Keras masking).
    const mask = stepMask(random, B, T);
    const recurrentMask = recurrentDropoutMask(random, B, H);
    const inputs = [tensor(gpu, g, [g.length]), tensor(gpu, wh, [wh.length]), tensor(gpu, mask, [B, T]), tensor(gpu, recurrentMask, [B * H])];
    const run = async (form: 'main' | 'persistent') => {
      const hseq = tensor(gpu, hInit, [hInit.length]);
      const cseq = tensor(gpu, cInit, [cInit.length]);
      const acts = tensor(gpu, new Float32Array(keep ? T * B * H4 : 4), [keep ? T * B * H4 : 4]);
      await runPass(gpu, (pass, scope) =>
        encodeLstmStepsForward(gpu, pass, scope, {
          g: inputs[0].buffer,
          wh: inputs[1].buffer,
          hseq: hseq.buffer,
          cseq: cseq.buffer,
          acts: keep ? acts.buffer : undefined,
          mask: inputs[2].buffer,
          backwards: true,
          recurrentMask: inputs[3].buffer,
          T,
          B,
          H,
          keep,
          activation: 'tanh',
          recurrentActivation: 'sigmoid',
          form,
        }),
      );
      const out = [await hseq.data(), await cseq.data(), await acts.data()];
      for (const t of [hseq, cseq, acts]) t.dispose();
      return out;
    };
    const [main, persistent] = [await run('main'), await run('persistent')];
    expect(persistent[0]).toEqual(main[0]);
    expect(persistent[1]).toEqual(main[1]);
    expect(persistent[2]).toEqual(main[2]);
    // Not the initial values: the steps ran.
    expect(Array.from(main[0].subarray(B * H))).not.toEqual(Array.from(hInit.subarray(B * H)));
    for (const t of inputs) t.dispose();
  });

  test('refuses a shape over its limits', async () => {
    const { gpu } = env;
    const buffer = gpu.pool.acquire(16, 0x80, 'unused');
    await expect(
      runPass(gpu, (pass, run) =>
        encodeLstmStepsForward(gpu, pass, run, {
          g: buffer,
          wh: buffer,
          hseq: buffer,
          cseq: buffer,
          T: 1,
          B: 5,
          H: 200,
          keep: false,
          activation: 'tanh',
          recurrentActivation: 'sigmoid',
          form: 'persistent',
        }),
      ),
    ).rejects.toThrow(/H ≤ 128 at any batch, or B ≤ 4 and H ≤ 256; got B=5, H=200/);
    gpu.pool.release(buffer);
  });
});
