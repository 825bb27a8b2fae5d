// kernels/lstmStepBackward (with the transpose it needs) against reference.lstmBackward's
// gate gradients dG and dc_0, on the activations the reference's forward kept, in each form
// the shape takes (`main`; `main_persistent` where runsPersistent).
import { describe, test } from 'vitest';
import { tensor } from '../../src/index.js';
import { encodeLstmStepsBackward } from '../../src/kernels/lstmStepBackward.js';
import { encodeTranspose } from '../../src/kernels/transpose.js';
import { lstmBackward, lstmForwardTrain } from '../../src/reference/backward.js';
import { Random } from '../../src/init/random.js';
import { expectClose, readBuffer, runPass, useGpu } from '../helpers/gpu.js';
import { withBackwardForms, BACKWARD_STEP_CASES } from '../helpers/stepInputs.js';

const env = useGpu();

// The kernel's inputs (kept activations and cells) are the reference's, rounded to f32; per
// step it adds 4H f32 products to dh. dG stays O(1) and errors do not grow through the ≤ 6
// steps here (|f| < 1 scales dc down each step): 1e-5 is ~10× the f32 rounding of these sums,
// while a wrong gate or index is off by ≥ 1e-2.
const ATOL = 1e-5;
const RTOL = 1e-4;

describe('LSTM backward step kernel vs reference', () => {
  test.each(withBackwardForms([...BACKWARD_STEP_CASES, { B: 3, T: 2, D: 4, H: 256, sequence: true }]))(
    'B=$B T=$T H=$H, gradient of the $sequence sequence, $form',
    async ({ B, T, D, H, sequence, form }) => {
      const { gpu } = env;
      const random = new Random(B * 31 + T * 7 + H);
      const options = { activation: 'tanh', recurrentActivation: 'sigmoid' } as const;
      const f32 = (n: number, scale: number) => Float64Array.from(random.uniformArray(n, -scale, scale));
      const x = f32(B * T * D, 1);
      const weights = { kernel: f32(D * 4 * H, 0.5), recurrentKernel: f32(H * 4 * H, 1 / Math.sqrt(H)), bias: f32(4 * H, 0.2) };
      const cache = lstmForwardTrain(x, { B, T, D, H }, weights, options);
      const dYBatchMajor = f32(sequence ? B * T * H : B * H, 1);
      const expected = lstmBackward(x, { B, T, D, H }, weights, options, cache, sequence ? { sequence: dYBatchMajor } : { last: dYBatchMajor });

      // The kernel takes dY time-major.
      const dY = new Float32Array(dYBatchMajor.length);
      if (sequence)
        for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) dY[(t * B + b) * H + j] = dYBatchMajor[(b * T + t) * H + j];
      else dY.set(dYBatchMajor);
      const toGpu = (v: ArrayLike<number>) => tensor(gpu, Float32Array.from(v), [v.length]);
      const [wh, dy, acts, cseq] = [toGpu(weights.recurrentKernel), toGpu(dY), toGpu(cache.acts), toGpu(cache.cseq)];
      const whT = toGpu(new Float32Array(4 * H * H));
      const dG = toGpu(new Float32Array(T * B * 4 * H));
      const dc = toGpu(new Float32Array(B * H));
      await runPass(gpu, (pass, run) => {
        encodeTranspose(gpu, pass, run, { x: wh.buffer, y: whT.buffer, R: H, C: 4 * H });
        encodeLstmStepsBackward(gpu, pass, run, {
          ...options,
          dG: dG.buffer,
          whT: whT.buffer,
          dY: dy.buffer,
          dySeq: sequence,
          acts: acts.buffer,
          cseq: cseq.buffer,
          dc: dc.buffer,
          T,
          B,
          H,
          form,
        });
      });
      expectClose(await readBuffer(gpu, dG.buffer, T * B * 4 * H), expected.dG, ATOL, RTOL, 'dG');
      expectClose(await readBuffer(gpu, dc.buffer, B * H), expected.dc0, ATOL, RTOL, 'dc0');
      for (const t of [wh, dy, acts, cseq, whT, dG, dc]) t.dispose();
    },
  );
});
