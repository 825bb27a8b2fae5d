// The persistent backward step kernels (persistent_backward.wgsl main_persistent) of LSTM,
// SimpleRNN and GRU (both modes, with dh0) against their per-step `main`, with a mask,
// goBackwards, recurrent dropout and dY of every step or of the last only: both sum
// (dG[t+1]·Whᵀ) with fma in ascending k, so they agree to the bit (the per-step forms are tested
// against the Float64 reference beside them).
// Shapes: batch 1, one step, one row block with H = 256 (the widest staged dG row), and three
// row blocks with a partial one and H off the workgroup.
import { describe, expect, test } from 'vitest';
import { tensor } from '../../src/index.js';
import { encodeGruStepsBackward } from '../../src/kernels/gruStepBackward.js';
import { encodeLstmStepsBackward } from '../../src/kernels/lstmStepBackward.js';
import { encodeSimpleRnnStepsBackward } from '../../src/kernels/simpleRnnStepBackward.js';
import { type BackwardForm, runsPersistent } from '../../src/kernels/steps.js';
import { Random } from '../../src/init/random.js';
import type { RunScope } from '../../src/runtime/device.js';
import type { Tensor } from '../../src/runtime/tensor.js';
import { runPass, useGpu } from '../helpers/gpu.js';
import { recurrentDropoutMask, stepMask } from '../helpers/stepInputs.js';

const env = useGpu();

const shapes = [
  { B: 1, T: 1, H: 5, dySeq: true },
  { B: 1, T: 6, H: 37, dySeq: false },
  { B: 3, T: 3, H: 256, dySeq: true },
  { B: 9, T: 4, H: 65, dySeq: true },
  { B: 6, T: 3, H: 128, dySeq: false },
];

/** Runs one form on fresh copies of the read_write buffers (their initial values given); returns them after. */
async function runForm(initial: Float32Array[], encode: (pass: GPUComputePassEncoder, scope: RunScope, rw: Tensor[]) => void) {
  const { gpu } = env;
  const rw = initial.map((v) => tensor(gpu, v, [v.length]));
  await runPass(gpu, (pass, scope) => encode(pass, scope, rw));
  const out = await Promise.all(rw.map((t) => t.data()));
  for (const t of rw) t.dispose();
  return out;
}

/** The persistent form leaves every read_write buffer equal to the bit to `main`'s, and the steps wrote something; then frees `inputs`. */
async function expectFormsAgree(run: (form: BackwardForm) => Promise<Float32Array[]>, inputs: Tensor[]): Promise<void> {
  const main = await run('main');
  expect(await run('persistent')).toEqual(main);
  expect(main[0].some((v) => v !== 0)).toBe(true); // the steps ran
  for (const t of inputs) t.dispose();
}

describe('persistent backward steps: equal to the per-step form', () => {
  test('every shape here runs persistent', () => {
    for (const { B, H } of shapes) expect(runsPersistent(B, H)).toBe(true);
  });

  test.each(shapes)('LSTM B=$B T=$T H=$H dySeq=$dySeq, masked, goBackwards, recurrent dropout', async ({ B, T, H, dySeq }) => {
    const { gpu } = env;
    const random = new Random(B * 977 + T * 13 + H);
    const BH = B * H;
    const inputs = [
      random.uniformArray(4 * H * H, -1 / Math.sqrt(H), 1 / Math.sqrt(H)), // WhT [4H, H]
      random.uniformArray(dySeq ? T * BH : BH), // dY
      random.uniformArray(T * 4 * BH, 0.05, 0.95), // acts: activated gates in (0, 1)
      random.uniformArray((T + 1) * BH), // cseq
      stepMask(random, B, T),
      recurrentDropoutMask(random, B, H),
    ].map((v) => tensor(gpu, v, [v.length]));
    const [whT, dY, acts, cseq, mask, recurrentMask] = inputs;
    const dcInit = new Float32Array(2 * BH);
    dcInit.set(random.uniformArray(BH)); // dc_T from a returned c; the carried dh starts at 0
    const run = (form: BackwardForm) =>
      runForm([new Float32Array(T * 4 * BH), dcInit], (pass, scope, [dG, dc]) =>
        encodeLstmStepsBackward(gpu, pass, scope, {
          activation: 'tanh',
          recurrentActivation: 'sigmoid',
          dG: dG.buffer,
          whT: whT.buffer,
          dY: dY.buffer,
          dySeq,
          acts: acts.buffer,
          cseq: cseq.buffer,
          dc: dc.buffer,
          mask: mask.buffer,
          backwards: true,
          recurrentMask: recurrentMask.buffer,
          T,
          B,
          H,
          form,
        }),
      );
    await expectFormsAgree(run, inputs);
  });

  test.each(shapes)('SimpleRNN B=$B T=$T H=$H dySeq=$dySeq, masked, goBackwards, recurrent dropout', async ({ B, T, H, dySeq }) => {
    const { gpu } = env;
    const random = new Random(B * 389 + T * 29 + H);
    const BH = B * H;
    const inputs = [
      random.uniformArray(H * H, -1 / Math.sqrt(H), 1 / Math.sqrt(H)), // UT [H, H]
      random.uniformArray(dySeq ? T * BH : BH), // dY
      random.uniformArray((T + 1) * BH), // hseq
      stepMask(random, B, T),
      recurrentDropoutMask(random, B, H),
    ].map((v) => tensor(gpu, v, [v.length]));
    const [uT, dY, hseq, mask, recurrentMask] = inputs;
    const run = (form: BackwardForm) =>
      runForm([new Float32Array(T * BH), new Float32Array(BH)], (pass, scope, [dG, carry]) =>
        encodeSimpleRnnStepsBackward(gpu, pass, scope, {
          activation: 'tanh',
          dG: dG.buffer,
          uT: uT.buffer,
          dY: dY.buffer,
          dySeq,
          hseq: hseq.buffer,
          carry: carry.buffer,
          mask: mask.buffer,
          backwards: true,
          recurrentMask: recurrentMask.buffer,
          T,
          B,
          H,
          form,
        }),
      );
    await expectFormsAgree(run, inputs);
  });

  test.each(shapes.flatMap((shape) => [true, false].map((resetAfter) => ({ ...shape, resetAfter }))))(
    'GRU resetAfter=$resetAfter B=$B T=$T H=$H dySeq=$dySeq, masked, goBackwards, recurrent dropout, dh0',
    async ({ B, T, H, dySeq, resetAfter }) => {
      const { gpu } = env;
      const random = new Random(B * 571 + T * 17 + H + (resetAfter ? 1 : 0));
      const BH = B * H;
      const inputs = [
        random.uniformArray(3 * H * H, -1 / Math.sqrt(H), 1 / Math.sqrt(H)), // UT [3H, H]
        random.uniformArray(dySeq ? T * BH : BH), // dY
        random.uniformArray((T + 1) * BH), // hseq
        random.uniformArray(T * 3 * BH, 0.05, 0.95), // acts: z, r, n
        random.uniformArray(T * BH), // aux: m_h or q
      ].map((v) => tensor(gpu, v, [v.length]));
      const [uT, dY, hseq, acts, aux] = inputs;
      // carry: a returned h's gradient, then the mask [B, T] and the multipliers m [B, H] packed after.
      const carryInit = Float32Array.from([...random.uniformArray(BH), ...stepMask(random, B, T), ...recurrentDropoutMask(random, B, H)]);
      const run = (form: BackwardForm) =>
        runForm([new Float32Array(T * 3 * BH), new Float32Array(T * (resetAfter ? 3 : 1) * BH), carryInit], (pass, scope, [dG, dGm, carry]) =>
          encodeGruStepsBackward(gpu, pass, scope, {
            activation: 'tanh',
            recurrentActivation: 'sigmoid',
            resetAfter,
            dG: dG.buffer,
            dGm: dGm.buffer,
            uT: uT.buffer,
            dY: dY.buffer,
            dySeq,
            hseq: hseq.buffer,
            acts: acts.buffer,
            aux: aux.buffer,
            carry: carry.buffer,
            initialStateGrad: true,
            masked: true,
            recurrentDropout: true,
            backwards: true,
            T,
            B,
            H,
            form,
          }),
        );
      await expectFormsAgree(run, inputs);
    },
  );
});
