// The elementwise kernels of the layers: activation (an Activation layer's forward) and dropout
// (a training forward's mask), each against its CPU twin.
import { dropoutMask, dropoutThreshold } from '../../src/init/dropoutMask.js';
import { encodeActivation } from '../../src/kernels/activation.js';
import { encodeDropout } from '../../src/kernels/dropout.js';
import { activate, type Activation } from '../../src/reference/math.js';
import { defineBench, upload } from './harness.js';

interface ElementwiseCase {
  /** [B, T, F] values. */
  B: number;
  T: number;
  F: number;
}

const label = ({ B, T, F }: ElementwiseCase) => `[${B}×${T}×${F}]`;
const cases = (quick: boolean): ElementwiseCase[] => (quick ? [{ B: 8, T: 50, F: 64 }] : [{ B: 64, T: 200, F: 256 }]);

export const activationBench = defineBench<ElementwiseCase & { activation: Activation }>({
  name: 'activation',
  what: 'encodeActivation (tanh, elu) vs reference activate',
  cases: (quick) => cases(quick).flatMap((c) => (['tanh', 'elu'] as const).map((activation) => ({ ...c, activation }))),
  label: (c) => `${c.activation} ${label(c)}`,
  prepare(gpu, { B, T, F, activation }, random) {
    const n = B * T * F;
    const x = random.uniformArray(n, -3, 3);
    const buffers = { x: upload(gpu, x), y: upload(gpu, n) };
    return {
      encode: (pass, run) => encodeActivation(gpu, pass, run, { activation, ...buffers, n }),
      dispatches: 1,
      // One function evaluation (~4 FLOPs) a value; reads x, writes y.
      flops: 4 * n,
      bytes: 8 * n,
      expected() {
        // WGSL's tanh and exp: a few ulp relative, 1e-6 absolute near 0 (the activation kernel test's bound).
        return [{ name: 'y', buffer: buffers.y, expected: Float64Array.from(x, (v) => activate(activation, v)), atol: 1e-6, rtol: 1e-5 }];
      },
      buffers: Object.values(buffers),
    };
  },
});

export const dropoutBench = defineBench<ElementwiseCase>({
  name: 'dropout',
  what: 'encodeDropout (rate 0.3, batch-major) vs reference dropoutMask',
  cases,
  label,
  prepare(gpu, { B, T, F }, random) {
    const n = B * T * F;
    const [rate, seed, step] = [0.3, 11, 5];
    const x = random.uniformArray(n);
    const buffers = { x: upload(gpu, x), y: upload(gpu, n) };
    return {
      encode: (pass, run) =>
        encodeDropout(gpu, pass, run, { ...buffers, shape: [B, T, F], timeMajor: false, seed, step, threshold: dropoutThreshold(rate), scale: 1 / (1 - rate) }),
      dispatches: 1,
      // A hash and a select a value (integer work), one multiply; reads x, writes y.
      flops: n,
      bytes: 8 * n,
      expected() {
        const mask = dropoutMask(seed, step, n, rate);
        // The same mask bit for bit; a kept value is x·scale in f32 (one rounding).
        return [
          {
            name: 'y',
            buffer: buffers.y,
            expected: Float64Array.from(x, (v, i) => (mask[i] ? Math.fround(v * Math.fround(1 / (1 - rate))) : 0)),
            atol: 0,
            rtol: 1.2e-7,
          },
        ];
      },
      buffers: Object.values(buffers),
    };
  },
});
