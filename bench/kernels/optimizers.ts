// optimizers (the fused update of one weight, one dispatch) and grad_control (the gradient
// norms, the non-finite check and the clip factors: one dispatch a gradient, then one).
import { encodeGradientControl, encodeOptimizerUpdate } from '../../src/kernels/optimizers.js';
import { ReferenceOptimizer } from '../../src/reference/optimizers.js';
import { type OptimizerName, optimizerSlotCount, resolveOptimizer, slotInitialValue } from '../../src/spec/optimizerConfig.js';
import { defineBench, type Expected, upload } from './harness.js';
import { f64 } from './layout.js';

interface UpdateCase {
  optimizer: OptimizerName;
  /** Elements of the weight. */
  size: number;
}

/** FLOPs an element of each rule's update (napkin, from reference/optimizers' formulas). */
const FLOPS_PER_ELEMENT: Record<OptimizerName, number> = { sgd: 4, rmsprop: 10, adagrad: 6, adadelta: 14, adam: 11, adamax: 9, nadam: 16 };

export const optimizers = defineBench<UpdateCase>({
  name: 'optimizers',
  what: 'encodeOptimizerUpdate (first step, no clipping) vs ReferenceOptimizer.step',
  // 4H·(D + H + 1) is an LSTM layer's weight count: 1.1 M at D = H = 256, 4.2 M at 512.
  cases: (quick) =>
    (quick ? [65_536] : [1_050_624, 4_196_352]).flatMap((size) => (['sgd', 'adam', 'nadam'] as const).map((optimizer) => ({ optimizer, size }))),
  label: ({ optimizer, size }) => `${optimizer} size=${size}`,
  prepare(gpu, { optimizer, size }, random) {
    // sgd with momentum, so that it keeps a slot; adam and nadam with Keras's defaults.
    const config = resolveOptimizer(optimizer === 'sgd' ? { name: 'sgd', learningRate: 0.01, momentum: 0.9 } : optimizer);
    const slotCount = optimizerSlotCount(config.name);
    // w in ±1, g in ±1; the slots at their initial values; control = [status 0, factor 1].
    const w = random.uniformArray(size);
    const g = random.uniformArray(size);
    const slotInit = Array.from({ length: slotCount }, (_, s) => new Float32Array(size).fill(slotInitialValue(config, s)));
    const buffers = { weight: upload(gpu, w), grad: upload(gpu, g), control: upload(gpu, [0, 1]) };
    const slots = slotInit.map((s) => upload(gpu, s));
    return {
      encode: (pass, run) => encodeOptimizerUpdate(gpu, pass, run, { config, ...buffers, slots, size, iteration: 1, controlIndex: 0 }),
      dispatches: 1,
      // Reads g and w, the slots; writes w and the slots.
      flops: FLOPS_PER_ELEMENT[config.name] * size,
      bytes: 4 * size * (3 + 2 * slotCount),
      expected() {
        // Both sides start from the same f32 values; the GPU rounds each of a dozen operations
        // and the stored weight to f32. The kernel test's tolerances (for 5 steps, here one):
        // weights 2e-6 + 1e-6·|w| against updates ≥ 1e-3 (a wrong rule is off by ≥ 1e-4);
        // slots 1e-7 + 1e-5 relative.
        const ref = new ReferenceOptimizer(config);
        const weights = [f64(w)];
        if (!ref.step(weights, [f64(g)], { loss: 0.25 })) throw new Error('the twin skipped the step');
        const out: Expected[] = [{ name: 'w', buffer: buffers.weight, expected: weights[0], atol: 2e-6, rtol: 1e-6 }];
        ref.slots[0].forEach((s, k) => out.push({ name: `slot ${k}`, buffer: slots[k], expected: s, atol: 1e-7, rtol: 1e-5 }));
        return out;
      },
      buffers: [...Object.values(buffers), ...slots],
    };
  },
});

interface ControlCase {
  /** Elements of each gradient. */
  sizes: number[];
  clipnorm: number;
}

export const gradControl = defineBench<ControlCase>({
  name: 'grad_control',
  what: 'encodeGradientControl (clipnorm factors) vs a plain loop (the twin, ReferenceOptimizer, keeps them private)',
  // An LSTM layer's kernel, recurrent kernel and bias (D = H), and a Dense(1) head.
  cases: (quick) => [
    { sizes: quick ? [16_384, 16_384, 256, 64] : [262_144, 262_144, 1_024, 256], clipnorm: 1 },
    { sizes: quick ? [65_536] : [4_194_304], clipnorm: 1 },
  ],
  label: ({ sizes, clipnorm }) => `sizes=${sizes.join(',')} clipnorm=${clipnorm}`,
  prepare(gpu, { sizes, clipnorm }, random) {
    const grads = sizes.map((n) => random.uniformArray(n));
    const gradBuffers = grads.map((g) => upload(gpu, g));
    const control = upload(gpu, 1 + sizes.length);
    const loss = upload(gpu, [0.25]);
    const config = resolveOptimizer({ name: 'sgd', clipnorm });
    const total = sizes.reduce((a, n) => a + n, 0);
    return {
      encode: (pass, run) =>
        encodeGradientControl(gpu, pass, run, { grads: gradBuffers.map((buffer, i) => ({ buffer, size: sizes[i] })), control, loss, lossIndex: 0, config }),
      dispatches: sizes.length + 1,
      // A square and an add an element; reads every gradient once (the partial sums are noise).
      flops: 2 * total,
      bytes: 4 * total,
      expected() {
        // control = [status 0, then clipnorm / max(‖g_w‖, clipnorm) a gradient]. The factors
        // come from f32 sums of n squares ≤ 1 in a tree: relative error ≲ 1e-6 (the kernel
        // test's 1e-5).
        const factors = grads.map((g) => clipnorm / Math.max(Math.sqrt(g.reduce((s, x) => s + x * x, 0)), clipnorm));
        return [{ name: 'control', buffer: control, expected: [0, ...factors], atol: 0, rtol: 1e-5 }];
      },
      buffers: [...gradBuffers, control, loss],
    };
  },
});
