// lstm_step_forward and lstm_step_backward: one dispatch a call where runsPersistent,
// otherwise one a step.
import { encodeLstmStepsBackward } from '../../src/kernels/lstmStepBackward.js';
import { encodeLstmStepsForward } from '../../src/kernels/lstmStepForward.js';
import { lstmBackward, lstmForwardTrain } from '../../src/reference/backward.js';
import { lstmStep } from '../../src/reference/math.js';
import { defineBench, stepDispatches, upload } from './harness.js';
import { f64, timeMajor, transposed } from './layout.js';

/** B: batch, T: steps, H: units. */
interface StepShape {
  B: number;
  T: number;
  H: number;
}

const options = { activation: 'tanh', recurrentActivation: 'sigmoid' } as const;
const label = ({ B, T, H }: StepShape) => `B=${B} T=${T} H=${H}`;
// The form lstmForwardForm picks: main_persistent (runsPersistent: one dispatch), main_split_k
// (where main would launch < MIN_STEP_WORKGROUPS a step), main.
const cases = (quick: boolean): StepShape[] =>
  quick
    ? [
        { B: 1, T: 8, H: 64 },
        { B: 8, T: 8, H: 128 },
      ]
    : [
        { B: 1, T: 100, H: 128 },
        { B: 32, T: 100, H: 256 },
        { B: 64, T: 50, H: 512 },
      ];

export const lstmStepForward = defineBench<StepShape>({
  name: 'lstm_step_forward',
  what: 'encodeLstmStepsForward (inference: keep = false) vs reference lstmStep, step by step',
  cases,
  label,
  prepare(gpu, { B, T, H }, random) {
    const H4 = 4 * H;
    // g [T, B, 4H] in ±2, Wh [H, 4H] in ±1/√H, h0 and c0 [B, H] in ±1.
    const g = random.uniformArray(T * B * H4, -2, 2);
    const wh = random.uniformArray(H * H4, -1 / Math.sqrt(H), 1 / Math.sqrt(H));
    const h0 = random.uniformArray(B * H);
    const c0 = random.uniformArray(B * H);
    const hseqInit = new Float32Array((T + 1) * B * H);
    hseqInit.set(h0);
    const buffers = { g: upload(gpu, g), wh: upload(gpu, wh), hseq: upload(gpu, hseqInit), cseq: upload(gpu, c0) };
    return {
      encode: (pass, run) => encodeLstmStepsForward(gpu, pass, run, { ...options, ...buffers, T, B, H, keep: false }),
      dispatches: stepDispatches(B, T, H),
      // A step: the recurrent matmul h[t-1]·Wh (2·B·H·4H) plus g; reads g, Wh, h[t-1], c;
      // writes h[t], c (the cell's few elementwise FLOPs a unit are not counted).
      flops: T * (8 * B * H * H + 4 * B * H),
      bytes: T * 4 * (B * H4 + H * H4 + 4 * B * H),
      expected() {
        // Per step the GPU adds H f32 products (|h| ≤ 1, |Wh| ≤ 1/√H) to g, ~1e-6 of rounding;
        // the recurrence does not amplify it (|f| < 1, saturating gates): the kernel test's
        // 2e-5, while a wrong index or gate order is off by ~0.1.
        const hseq = new Float64Array((T + 1) * B * H);
        hseq.set(h0);
        let h: ArrayLike<number> = h0;
        let c: ArrayLike<number> = c0;
        for (let t = 0; t < T; t++) {
          const step = lstmStep(g.subarray(t * B * H4, (t + 1) * B * H4), h, c, wh, B, H, options);
          hseq.set(step.h, (t + 1) * B * H);
          [h, c] = [step.h, step.c];
        }
        return [
          { name: 'hseq', buffer: buffers.hseq, expected: hseq, atol: 2e-5, rtol: 1e-5 },
          { name: 'c_T', buffer: buffers.cseq, expected: c, atol: 2e-5, rtol: 1e-5 },
        ];
      },
      buffers: Object.values(buffers),
    };
  },
});

export const lstmStepBackward = defineBench<StepShape>({
  name: 'lstm_step_backward',
  what: 'encodeLstmStepsBackward (gradient of the whole sequence) vs reference lstmBackward',
  cases,
  label,
  prepare(gpu, { B, T, H }, random) {
    const H4 = 4 * H;
    const D = 8;
    const f32 = (n: number, scale: number) => f64(random.uniformArray(n, -scale, scale));
    const x = f32(B * T * D, 1);
    const weights = { kernel: f32(D * H4, 0.5), recurrentKernel: f32(H * H4, 1 / Math.sqrt(H)), bias: f32(H4, 0.2) };
    // The kept activations [T, B, 4H] and cells [T+1, B, H] are the reference forward's.
    const cache = lstmForwardTrain(x, { B, T, D, H }, weights, options);
    const dY = f32(B * T * H, 1);
    const buffers = {
      dG: upload(gpu, T * B * H4),
      whT: upload(gpu, transposed(weights.recurrentKernel, H, H4)),
      dY: upload(gpu, timeMajor(dY, B, T, H)),
      acts: upload(gpu, cache.acts),
      cseq: upload(gpu, cache.cseq),
      dc: upload(gpu, B * H),
    };
    return {
      encode: (pass, run) => encodeLstmStepsBackward(gpu, pass, run, { ...options, ...buffers, dySeq: true, T, B, H }),
      dispatches: stepDispatches(B, T, H),
      // A step: dh = dY[t] + dG[t+1]·Whᵀ (2·B·4H·H) plus ~14 FLOPs a unit for the gate
      // gradients; reads Whᵀ, dG[t+1], acts[t], c[t], c[t-1], dY[t], dc; writes dG[t], dc.
      flops: T * (8 * B * H * H + 14 * B * H),
      bytes: T * 4 * (H4 * H + 3 * B * H4 + 5 * B * H),
      expected() {
        // Inputs are the reference's rounded to f32; per step 4H f32 products are added to dh.
        // dG stays O(1) and errors shrink backwards through |f| < 1: the kernel test's 1e-5,
        // ~10× that rounding, while a wrong gate or index is off by ≥ 1e-2.
        const ref = lstmBackward(x, { B, T, D, H }, weights, options, cache, { sequence: dY });
        return [
          { name: 'dG', buffer: buffers.dG, expected: ref.dG, atol: 1e-5, rtol: 1e-4 },
          { name: 'dc_0', buffer: buffers.dc, expected: ref.dc0, atol: 1e-5, rtol: 1e-4 },
        ];
      },
      buffers: Object.values(buffers),
    };
  },
});
