// gru_step_forward and gru_step_backward: one dispatch a call where runsPersistent; otherwise
// T with resetAfter, 2T without (gates, then candidate); the backward's initialStateGrad adds one.
import { encodeGruStepsBackward } from '../../src/kernels/gruStepBackward.js';
import { encodeGruStepsForward } from '../../src/kernels/gruStepForward.js';
import { gruBackward, gruForwardTrain, gruStep, splitGruBias } from '../../src/reference/gru.js';
import { defineBench, stepDispatches, upload } from './harness.js';
import { f64, timeMajor, transposed } from './layout.js';

/** B: batch, T: steps, H: units. */
interface GruShape {
  B: number;
  T: number;
  H: number;
  resetAfter: boolean;
}

const cellOptions = (resetAfter: boolean) => ({ activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter }) as const;
const label = ({ B, T, H, resetAfter }: GruShape) => `B=${B} T=${T} H=${H} resetAfter=${resetAfter}`;
const cases = (quick: boolean): GruShape[] =>
  (quick
    ? [
        { B: 1, T: 8, H: 64 },
        { B: 8, T: 8, H: 128 },
      ]
    : [
        { B: 1, T: 100, H: 128 },
        { B: 32, T: 100, H: 256 },
      ]
  ).flatMap((s) => [true, false].map((resetAfter) => ({ ...s, resetAfter })));

export const gruStepForward = defineBench<GruShape>({
  name: 'gru_step_forward',
  what: 'encodeGruStepsForward (inference: keep = false) vs reference gruStep, step by step',
  cases,
  label,
  prepare(gpu, { B, T, H, resetAfter }, random) {
    const H3 = 3 * H;
    const options = cellOptions(resetAfter);
    // g [T, B, 3H] in ±2, U [H, 3H] in ±1/√H, bias [2, 3H] (resetAfter) or [3H] in ±0.5, h0 in ±1.
    const g = random.uniformArray(T * B * H3, -2, 2);
    const u = random.uniformArray(H * H3, -1 / Math.sqrt(H), 1 / Math.sqrt(H));
    const bias = random.uniformArray((resetAfter ? 2 : 1) * H3, -0.5, 0.5);
    const h0 = random.uniformArray(B * H);
    const hseqInit = new Float32Array((T + 1) * B * H);
    hseqInit.set(h0);
    const buffers = { g: upload(gpu, g), u: upload(gpu, u), bias: upload(gpu, bias), hseq: upload(gpu, hseqInit) };
    return {
      encode: (pass, run) => encodeGruStepsForward(gpu, pass, run, { ...options, ...buffers, T, B, H, keep: false }),
      dispatches: stepDispatches(B, T, H, resetAfter ? 1 : 2),
      // A step: h[t-1]·U (2·B·H·3H; U read once over the step's dispatches) plus g; reads g, U,
      // h[t-1], the recurrent bias; writes h[t]. Without resetAfter the step also writes and
      // reads back q = r⊙h[t-1] [B, H] between its two dispatches.
      flops: T * (6 * B * H * H + 3 * B * H),
      bytes: T * 4 * (B * H3 + H * H3 + H3 + 2 * B * H + (resetAfter ? 0 : 2 * B * H)),
      expected() {
        // As lstm_step_forward: H (or 2H) f32 products a step, ~1e-6, not amplified (h is a
        // convex mix of h[t-1] and a saturating n): the kernel test's 2e-5.
        const recurrentBias = splitGruBias({ kernel: [], recurrentKernel: [], bias }, H, resetAfter).recurrent;
        const hseq = new Float64Array((T + 1) * B * H);
        hseq.set(h0);
        let h: ArrayLike<number> = h0;
        for (let t = 0; t < T; t++) {
          h = gruStep(g.subarray(t * B * H3, (t + 1) * B * H3), h, u, recurrentBias, B, H, options).h;
          hseq.set(h, (t + 1) * B * H);
        }
        return [{ name: 'hseq', buffer: buffers.hseq, expected: hseq, atol: 2e-5, rtol: 1e-5 }];
      },
      buffers: Object.values(buffers),
    };
  },
});

export const gruStepBackward = defineBench<GruShape>({
  name: 'gru_step_backward',
  what: 'encodeGruStepsBackward (gradient of the whole sequence, dh0 too) vs reference gruBackward',
  cases,
  label,
  prepare(gpu, { B, T, H, resetAfter }, random) {
    const H3 = 3 * H;
    const D = 8;
    const options = cellOptions(resetAfter);
    const f32 = (n: number, scale: number) => f64(random.uniformArray(n, -scale, scale));
    const x = f32(B * T * D, 1);
    const weights = { kernel: f32(D * H3, 0.5), recurrentKernel: f32(H * H3, 1 / Math.sqrt(H)), bias: f32((resetAfter ? 2 : 1) * H3, 0.2) };
    const h0 = f32(B * H, 1);
    const dims = { B, T, D, H };
    // The kept states [T+1, B, H], z, r, n [T, B, 3H] and aux [T, B, H] are the reference forward's.
    const cache = gruForwardTrain(x, dims, weights, { ...options, initialState: h0 });
    const dY = f32(B * T * H, 1);
    const buffers = {
      dG: upload(gpu, T * B * H3),
      dGm: upload(gpu, T * B * (resetAfter ? H3 : H)),
      uT: upload(gpu, transposed(weights.recurrentKernel, H, H3)),
      dY: upload(gpu, timeMajor(dY, B, T, H)),
      hseq: upload(gpu, cache.hseq),
      acts: upload(gpu, cache.acts),
      aux: upload(gpu, cache.aux),
      carry: upload(gpu, B * H),
    };
    return {
      encode: (pass, run) => encodeGruStepsBackward(gpu, pass, run, { ...options, ...buffers, dySeq: true, initialStateGrad: true, T, B, H }),
      dispatches: stepDispatches(B, T, H, resetAfter ? 1 : 2) + 1,
      // A step: dh = dY[t] + dGm[t+1]·Uᵀ (2·B·3H·H) plus ~12 FLOPs a unit; reads Uᵀ, dGm[t+1],
      // z, r, n, aux, h[t-1], dY[t], the carry; writes dG[t], dGm[t], the carry.
      flops: T * (6 * B * H * H + 12 * B * H),
      bytes: T * 4 * (H3 * H + 3 * B * H3 + 5 * B * H + B * (resetAfter ? H3 : H)),
      expected() {
        // As lstm_step_backward: 3H f32 products a step added to dh, errors shrinking backwards
        // (|z| < 1, saturating derivatives): the kernel test's 1e-5.
        const ref = gruBackward(x, dims, weights, options, cache, { sequence: dY });
        let dGm: Float64Array = ref.dGm;
        if (!resetAfter) {
          // Reset before: dGm holds dG's candidate block again, [T, B, H].
          dGm = new Float64Array(T * B * H);
          for (let row = 0; row < T * B; row++) dGm.set(ref.dGx.subarray(row * H3 + 2 * H, (row + 1) * H3), row * H);
        }
        return [
          { name: 'dG', buffer: buffers.dG, expected: ref.dGx, atol: 1e-5, rtol: 1e-4 },
          { name: resetAfter ? 'dGm' : 'dGh', buffer: buffers.dGm, expected: dGm, atol: 1e-5, rtol: 1e-4 },
          { name: 'dh_0', buffer: buffers.carry, expected: ref.dh0, atol: 1e-5, rtol: 1e-4 },
        ];
      },
      buffers: Object.values(buffers),
    };
  },
});
