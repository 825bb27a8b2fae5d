// simple_rnn_step_forward and simple_rnn_step_backward: one dispatch a call where runsPersistent,
// otherwise one a step.
import { encodeSimpleRnnStepsBackward } from '../../src/kernels/simpleRnnStepBackward.js';
import { encodeSimpleRnnStepsForward } from '../../src/kernels/simpleRnnStepForward.js';
import { simpleRnnBackward, simpleRnnForwardTrain, simpleRnnStep } from '../../src/reference/simpleRnn.js';
import { defineBench, stepDispatches, upload } from './harness.js';
import { f64, timeMajor, transposed } from './layout.js';

/** B: batch, T: steps, H: units. */
interface StepShape {
  B: number;
  T: number;
  H: number;
}

const label = ({ B, T, H }: StepShape) => `B=${B} T=${T} H=${H}`;
const cases = (quick: boolean): StepShape[] =>
  quick
    ? [
        { B: 1, T: 8, H: 64 },
        { B: 8, T: 8, H: 128 },
      ]
    : [
        { B: 1, T: 100, H: 128 },
        { B: 32, T: 100, H: 256 },
        { B: 64, T: 100, H: 512 },
      ];

export const simpleRnnStepForward = defineBench<StepShape>({
  name: 'simple_rnn_step_forward',
  what: 'encodeSimpleRnnStepsForward (tanh) vs reference simpleRnnStep, step by step',
  cases,
  label,
  prepare(gpu, { B, T, H }, random) {
    // g [T, B, H] in ±2, U [H, H] in ±1/√H, h0 [B, H] in ±1.
    const g = random.uniformArray(T * B * H, -2, 2);
    const u = random.uniformArray(H * H, -1 / Math.sqrt(H), 1 / Math.sqrt(H));
    const h0 = random.uniformArray(B * H);
    const hseqInit = new Float32Array((T + 1) * B * H);
    hseqInit.set(h0);
    const buffers = { g: upload(gpu, g), u: upload(gpu, u), hseq: upload(gpu, hseqInit) };
    return {
      encode: (pass, run) => encodeSimpleRnnStepsForward(gpu, pass, run, { activation: 'tanh', ...buffers, T, B, H }),
      dispatches: stepDispatches(B, T, H),
      // A step: h[t-1]·U (2·B·H·H) plus g; reads g, U, h[t-1]; writes h[t].
      flops: T * (2 * B * H * H + B * H),
      bytes: T * 4 * (H * H + 3 * B * H),
      expected() {
        // As lstm_step_forward: H f32 products and one tanh a step, ~1e-6, not amplified by
        // tanh: the kernel test's 2e-5.
        const hseq = new Float64Array((T + 1) * B * H);
        hseq.set(h0);
        let h: ArrayLike<number> = h0;
        for (let t = 0; t < T; t++) {
          h = simpleRnnStep(g.subarray(t * B * H, (t + 1) * B * H), h, u, B, H, 'tanh');
          hseq.set(h, (t + 1) * B * H);
        }
        return [{ name: 'hseq', buffer: buffers.hseq, expected: hseq, atol: 2e-5, rtol: 1e-5 }];
      },
      buffers: Object.values(buffers),
    };
  },
});

export const simpleRnnStepBackward = defineBench<StepShape>({
  name: 'simple_rnn_step_backward',
  what: 'encodeSimpleRnnStepsBackward (tanh, gradient of the whole sequence) vs reference simpleRnnBackward',
  cases,
  label,
  prepare(gpu, { B, T, H }, random) {
    const D = 8;
    const f32 = (n: number, scale: number) => f64(random.uniformArray(n, -scale, scale));
    const x = f32(B * T * D, 1);
    const weights = { kernel: f32(D * H, 0.5), recurrentKernel: f32(H * H, 1 / Math.sqrt(H)), bias: f32(H, 0.2) };
    const h0 = f32(B * H, 1);
    const dims = { B, T, D, H };
    // The kept states [T+1, B, H] are the reference forward's.
    const cache = simpleRnnForwardTrain(x, dims, weights, { activation: 'tanh', initialState: h0 });
    const dY = f32(B * T * H, 1);
    const buffers = {
      dG: upload(gpu, T * B * H),
      uT: upload(gpu, transposed(weights.recurrentKernel, H, H)),
      dY: upload(gpu, timeMajor(dY, B, T, H)),
      hseq: upload(gpu, cache.hseq),
    };
    return {
      encode: (pass, run) => encodeSimpleRnnStepsBackward(gpu, pass, run, { activation: 'tanh', ...buffers, dySeq: true, T, B, H }),
      dispatches: stepDispatches(B, T, H),
      // A step: dh = dY[t] + dG[t+1]·Uᵀ (2·B·H·H) plus the tanh derivative; reads Uᵀ, dG[t+1],
      // h[t], dY[t]; writes dG[t].
      flops: T * (2 * B * H * H + 3 * B * H),
      bytes: T * 4 * (H * H + 4 * B * H),
      expected() {
        // As lstm_step_backward: H f32 products a step added to dh: the kernel test's 1e-5.
        const ref = simpleRnnBackward(x, dims, weights, { activation: 'tanh' }, cache, { sequence: dY });
        return [{ name: 'dG', buffer: buffers.dG, expected: ref.dG, atol: 1e-5, rtol: 1e-4 }];
      },
      buffers: Object.values(buffers),
    };
  },
});
