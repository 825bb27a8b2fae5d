// kernels/lstmStepForward against reference.lstmStep, step by step, on seeded inputs: batch 1,
// one step, one unit, batches that are not multiples of the rows per invocation, units that
// are not multiples of the 64-wide workgroup (or of the split form's 8 units), the `keep`
// variant used by training, each in both entry points.
import { describe, expect, test } from 'vitest';
import { tensor } from '../../src/index.js';
import type { Activation } from '../../src/kernels/activations.js';
import { encodeLstmStepsForward } from '../../src/kernels/lstmStepForward.js';
import { lstmStep } from '../../src/reference/math.js';
import { Random } from '../../src/init/random.js';
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

// Both entry points on every case: `main` and `main_split_k` (which the layer picks for B ≤ 4).
const forms = cases.flatMap((c) => [false, true].map((splitK) => ({ ...c, splitK })));

describe('LSTM forward step kernel vs reference', () => {
  test.each(forms)('$name (B=$B, T=$T, H=$H, splitK=$splitK)', async (c) => {
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
        splitK: c.splitK,
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
