// The elementwise kernels of the layers: activation (an Activation layer's forward), its
// gradient (activation_backward, from the output) and dropout (a training forward's mask),
// each against its CPU twin.
import { dropoutMask, dropoutThreshold } from '../../src/init/dropoutMask.js';
import { encodeActivation } from '../../src/kernels/activation.js';
import { encodeActivationBackward, type HeadActivationName } from '../../src/kernels/activationBackward.js';
import { encodeDropout } from '../../src/kernels/dropout.js';
import { preActivationGrad } from '../../src/reference/backward.js';
import { softmax } from '../../src/reference/losses.js';
import { activate, type Activation } from '../../src/reference/math.js';
import { defineBench, unwritten, upload } from './harness.js';

interface ElementwiseCase {
  /** [B, T, F] values. */
  B: number;
  T: number;
  F: number;
}

const label = ({ B, T, F }: ElementwiseCase) => `[${B}×${T}×${F}]`;
const cases = (quick: boolean): ElementwiseCase[] => (quick ? [{ B: 8, T: 50, F: 64 }] : [{ B: 64, T: 200, F: 256 }]);

/** The shapes once a listed activation, and their label. */
function byActivation<A extends string>(activations: readonly A[]) {
  return {
    cases: (quick: boolean) => cases(quick).flatMap((c) => activations.map((activation) => ({ ...c, activation }))),
    label: (c: ElementwiseCase & { activation: A }) => `${c.activation} ${label(c)}`,
  };
}

export const activationBench = defineBench<ElementwiseCase & { activation: Activation }>({
  name: 'activation',
  what: 'encodeActivation (tanh, elu) vs reference activate',
  ...byActivation(['tanh', 'elu'] as const),
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

export const activationBackwardBench = defineBench<ElementwiseCase & { activation: HeadActivationName }>({
  name: 'activation_backward',
  what: 'encodeActivationBackward (tanh; softmax over F) vs reference preActivationGrad',
  // tanh: the elementwise path; softmax: a row's dot Σ dY·y first (a classifier head's).
  ...byActivation(['tanh', 'softmax'] as const),
  prepare(gpu, { B, T, F, activation }, random) {
    const [R, n] = [B * T, B * T * F];
    // y = act(z) for z in ±3, rounded to f32 as the forward stores it; dY in ±1.
    const z = random.uniformArray(n, -3, 3);
    const y = Float32Array.from(activation === 'softmax' ? softmax(z, R, F) : Array.from(z, (v) => activate(activation, v)));
    const dy = random.uniformArray(n);
    const buffers = { y: upload(gpu, y), dy: upload(gpu, dy), dz: unwritten(gpu, n) };
    return {
      encode: (pass, run) => encodeActivationBackward(gpu, pass, run, { activation, ...buffers, R, C: F }),
      dispatches: 1,
      // tanh: dY·(1 − y²), 3 FLOPs a value; softmax: each value recomputes its row's dot
      // (2F) then y·(dY − dot) (2). Reads y and dY, writes dZ.
      flops: activation === 'softmax' ? n * (2 * F + 2) : 3 * n,
      bytes: 12 * n,
      expected() {
        // The kernel test's bound: one or two f32 products a value (softmax: an F-term dot, whose
        // rounding, ≤ F·2⁻²⁴·Σ|dY·y| ≤ F·2⁻²⁴, reaches dZ times y): 2e-6 + 1e-5·|dZ| at F = 67,
        // the dot's term kept for wider rows.
        const dotBound = activation === 'softmax' ? F * 2 ** -24 * y.reduce((m, v) => Math.max(m, v), 0) : 0;
        return [{ name: 'dz', buffer: buffers.dz, expected: preActivationGrad(y, dy, R, F, activation, false), atol: Math.max(2e-6, dotBound), rtol: 1e-5 }];
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
