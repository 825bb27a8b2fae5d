// kernels/optimizers (gradient control + fused update) against reference/optimizers over
// several steps, on weights of 1, 37 and 1000 values (1000 is not a multiple of the 256-wide
// workgroup nor of a partials pass's 1024 elements); the twin's own values checked by hand;
// the non-finite guard and its sticky status; resolveOptimizer's defaults and errors.
import { describe, expect, test } from 'vitest';
import { encodeGradientControl, encodeOptimizerUpdate } from '../../src/kernels/optimizers.js';
import {
  OPTIMIZER_NAMES,
  optimizerSlotCount,
  resolveOptimizer,
  slotInitialValue,
  type OptimizerConfig,
  type OptimizerSpec,
} from '../../src/spec/optimizerConfig.js';
import { ReferenceOptimizer } from '../../src/reference/optimizers.js';
import { Random } from '../../src/init/random.js';
import type { Gpu } from '../../src/runtime/device.js';
import { TENSOR_USAGE } from '../../src/runtime/gpuConstants.js';
import { expectClose, readBuffer, runPass, useGpu } from '../helpers/gpu.js';

const env = useGpu();

const SIZES = [1, 37, 1000];
const STEPS = 5;

// Tolerances. Both sides start from the same f32 weights and gradients; the GPU rounds every
// intermediate and the stored weight to f32 (2⁻²⁴ ≈ 6e-8 relative), the twin keeps Float64.
// Weights (|w| ≤ ~1.5): each step adds one rounding of w (≤ 9e-8) plus the update's relative
// rounding (a dozen f32 operations, ≲ 1e-6 of an update ≤ 0.5), so 5 steps stay ≲ 1e-6;
// 2e-6 absolute is a 2× margin yet far below the 1e-3-sized updates, so a wrong rule or a
// wrong factor (errors ~1e-4 and up) fails. State buffers: a few f32 operations per step
// each, relative error ≲ 5·10·6e-8 = 3e-6 → rtol 1e-5; their absolute floor 1e-7 covers the
// cancellation in m ← m + (g − m)(1 − β1) and m ← momentum·m − lr·g near m = 0 (terms ≤ 1,
// a few f32 ulps of 1).
const W_ATOL = 2e-6;
const W_RTOL = 1e-6;
const S_ATOL = 1e-7;
const S_RTOL = 1e-5;

type Regularizer = { l1?: number; l2?: number } | undefined;

/** The GPU side of a test: weights, gradients, slots, control and loss buffers. */
class GpuOptimizer {
  readonly weights: GPUBuffer[];
  readonly grads: GPUBuffer[];
  readonly slots: GPUBuffer[][];
  readonly control: GPUBuffer;
  readonly loss: GPUBuffer;
  readonly sizes: number[];

  constructor(
    readonly gpu: Gpu,
    readonly config: OptimizerConfig,
    init: Float32Array[],
    readonly regularizers: Regularizer[] = [],
  ) {
    const buffer = (values: Float32Array) => {
      const b = gpu.pool.acquire(values.byteLength, TENSOR_USAGE, 'test');
      gpu.device.queue.writeBuffer(b, 0, values);
      return b;
    };
    this.sizes = init.map((w) => w.length);
    this.weights = init.map(buffer);
    this.grads = init.map((w) => buffer(new Float32Array(w.length)));
    const count = optimizerSlotCount(config.name);
    this.slots = init.map((w) => Array.from({ length: count }, (_, s) => buffer(new Float32Array(w.length).fill(slotInitialValue(config, s)))));
    this.control = buffer(new Float32Array(1 + init.length));
    this.loss = buffer(new Float32Array([0, 0.25, 0]));
  }

  /** Gradient control and every weight's update in one pass. */
  async step(grads: Float32Array[], iteration: number, loss = 0.25): Promise<void> {
    const { gpu, config } = this;
    grads.forEach((g, i) => gpu.device.queue.writeBuffer(this.grads[i], 0, g));
    gpu.device.queue.writeBuffer(this.loss, 4, new Float32Array([loss]));
    await runPass(gpu, (pass, run) => {
      encodeGradientControl(gpu, pass, run, {
        grads: this.grads.map((buffer, i) => ({ buffer, size: grads[i].length })),
        control: this.control,
        loss: this.loss,
        lossIndex: 1,
        config,
      });
      this.weights.forEach((weight, i) =>
        encodeOptimizerUpdate(gpu, pass, run, {
          config,
          weight,
          grad: this.grads[i],
          slots: this.slots[i],
          size: grads[i].length,
          iteration,
          control: this.control,
          controlIndex: i,
          l1: this.regularizers[i]?.l1,
          l2: this.regularizers[i]?.l2,
        }),
      );
    });
  }

  clearStatus(): void {
    this.gpu.device.queue.writeBuffer(this.control, 0, new Float32Array([0]));
  }

  async read(): Promise<{ weights: Float32Array[]; slots: Float32Array[][]; control: Float32Array }> {
    const { gpu } = this;
    const { sizes } = this;
    const weights = await Promise.all(this.weights.map((b, i) => readBuffer(gpu, b, sizes[i])));
    const slots = await Promise.all(this.slots.map((ss, i) => Promise.all(ss.map((b) => readBuffer(gpu, b, sizes[i])))));
    const control = await readBuffer(gpu, this.control, 1 + this.weights.length);
    return { weights, slots, control };
  }

  release(): void {
    for (const b of [...this.weights, ...this.grads, ...this.slots.flat(), this.control, this.loss]) this.gpu.pool.release(b);
  }
}

function randomSet(random: Random, low = -1, high = 1): Float32Array[] {
  return SIZES.map((n) => random.uniformArray(n, low, high));
}

const f64 = (values: Float32Array[]) => values.map((v) => Float64Array.from(v));

function compare(got: Awaited<ReturnType<GpuOptimizer['read']>>, ref: ReferenceOptimizer, weights: Float64Array[], what: string): void {
  weights.forEach((w, i) => expectClose(got.weights[i], w, W_ATOL, W_RTOL, `${what}: weight ${i} [${w.length}]`));
  ref.slots.forEach((ss, i) => ss.forEach((s, k) => expectClose(got.slots[i][k], s, S_ATOL, S_RTOL, `${what}: weight ${i} slot ${k}`)));
}

interface Case {
  name: string;
  spec: OptimizerSpec;
  regularizers?: Regularizer[];
  /** Gradients drawn from [−scale, scale]. */
  scale?: number;
}

const cases: Case[] = [
  { name: 'sgd (defaults, no momentum)', spec: 'sgd' },
  { name: 'sgd with momentum', spec: { name: 'sgd', learningRate: 0.1, momentum: 0.9 } },
  { name: 'sgd with nesterov momentum', spec: { name: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true } },
  { name: 'rmsprop (defaults)', spec: 'rmsprop' },
  { name: 'rmsprop with momentum', spec: { name: 'rmsprop', learningRate: 0.01, momentum: 0.5, rho: 0.8 } },
  { name: 'adagrad (defaults)', spec: 'adagrad' },
  { name: 'adadelta (learning rate 1)', spec: { name: 'adadelta', learningRate: 1 } },
  { name: 'adam (defaults)', spec: 'adam' },
  { name: 'adamax (defaults)', spec: 'adamax' },
  { name: 'nadam (defaults)', spec: 'nadam' },
  // ‖g‖ of the 1-value gradient is < 2 (not clipped); of the 37- and 1000-value ones ≈ 3.5 and 18 (clipped).
  { name: 'adam with clipnorm 2', spec: { name: 'adam', clipnorm: 2 } },
  // The joint norm of all three ≈ 19: every gradient is scaled by ≈ 0.26.
  { name: 'sgd with momentum and globalClipnorm 5', spec: { name: 'sgd', learningRate: 0.1, momentum: 0.9, globalClipnorm: 5 } },
  { name: 'rmsprop with clipvalue 0.3', spec: { name: 'rmsprop', clipvalue: 0.3 } },
  {
    name: 'sgd with L1 / L2 regularizers',
    spec: { name: 'sgd', learningRate: 0.1, momentum: 0.5 },
    regularizers: [undefined, { l2: 0.05 }, { l1: 0.02, l2: 0.01 }],
  },
  {
    name: 'adagrad with an L1 regularizer and clipvalue',
    spec: { name: 'adagrad', learningRate: 0.01, clipvalue: 0.5 },
    regularizers: [{ l1: 0.1 }, undefined, { l1: 0.05 }],
  },
  {
    name: 'nadam, large gradients, clipnorm 1, L2',
    spec: { name: 'nadam', learningRate: 0.01, clipnorm: 1 },
    scale: 30,
    regularizers: [{ l2: 0.1 }, { l2: 0.1 }, undefined],
  },
];

describe('optimizer update kernels vs reference', () => {
  test.each(cases)('$name: weights of 1, 37, 1000 over 5 steps', async (c) => {
    const { gpu } = env;
    const config = resolveOptimizer(c.spec);
    const random = new Random(cases.indexOf(c) + 101);
    const init = randomSet(random);
    const onGpu = new GpuOptimizer(gpu, config, init, c.regularizers);
    const ref = new ReferenceOptimizer(config);
    const weights = f64(init);
    for (let t = 1; t <= STEPS; t++) {
      const grads = randomSet(random, -(c.scale ?? 1), c.scale ?? 1);
      await onGpu.step(grads, t);
      expect(ref.step(weights, f64(grads), { loss: 0.25, regularizers: c.regularizers })).toBe(true);
    }
    const got = await onGpu.read();
    expect(got.control[0]).toBe(0);
    compare(got, ref, weights, c.name);
    // Not vacuous: the weights moved by far more than the tolerance.
    const moved = Math.max(...weights.map((w, i) => Math.max(...w.map((x, k) => Math.abs(x - init[i][k])))));
    expect(moved).toBeGreaterThan(100 * W_ATOL);
    onGpu.release();
  });

  test('clipping factors in control: clipnorm per gradient, globalClipnorm over all, 1 otherwise', async () => {
    const { gpu } = env;
    const random = new Random(7);
    // First a step with larger gradients (5 partial sums each), so that the pooled scratch
    // buffer of partial sums reused below holds stale values past each small gradient's one.
    const large = SIZES.map(() => random.uniformArray(5000));
    const warm = new GpuOptimizer(gpu, resolveOptimizer('sgd'), large);
    await warm.step(large, 1);
    warm.release();
    const init = randomSet(random);
    const grads = randomSet(random);
    const norms = grads.map((g) => Math.sqrt(g.reduce((s, x) => s + x * x, 0)));
    const total = Math.hypot(...norms);
    const expected: Record<string, number[]> = {
      none: norms.map(() => 1),
      clipnorm: norms.map((n) => 2 / Math.max(n, 2)),
      global: norms.map(() => 5 / Math.max(total, 5)),
    };
    const specs: Record<string, OptimizerSpec> = { none: 'sgd', clipnorm: { name: 'sgd', clipnorm: 2 }, global: { name: 'sgd', globalClipnorm: 5 } };
    for (const [key, spec] of Object.entries(specs)) {
      const onGpu = new GpuOptimizer(gpu, resolveOptimizer(spec), init);
      await onGpu.step(grads, 1);
      const { control } = await onGpu.read();
      // The factors come from f32 sums of ≤ 1000 squares ≤ 1 (relative error ≲ 1e-6).
      expectClose(control.subarray(1), expected[key], 0, 1e-5, `${key} factors`);
      expect(control[0]).toBe(0);
      onGpu.release();
    }
  });
});

describe('non-finite guard', () => {
  async function guardCase(spec: OptimizerSpec, spoil: { loss?: number; grad?: [number, number, number] }) {
    const { gpu } = env;
    const config = resolveOptimizer(spec);
    const random = new Random(31);
    const init = randomSet(random);
    const onGpu = new GpuOptimizer(gpu, config, init);
    const ref = new ReferenceOptimizer(config);
    const weights = f64(init);

    // Step 1 is applied on both sides.
    const g1 = randomSet(random);
    await onGpu.step(g1, 1);
    expect(ref.step(weights, f64(g1), { loss: 0.25 })).toBe(true);
    const before = await onGpu.read();
    expect(before.control[0]).toBe(0);

    // Step 2 sees the non-finite value: nothing changes anywhere, status is set.
    const g2 = randomSet(random);
    if (spoil.grad) g2[spoil.grad[0]][spoil.grad[1]] = spoil.grad[2];
    await onGpu.step(g2, 2, spoil.loss ?? 0.25);
    const refWeights = weights.map((w) => w.slice());
    const refSlots = ref.slots.map((ss) => ss.map((s) => s.slice()));
    expect(ref.step(weights, f64(g2), { loss: spoil.loss ?? 0.25 })).toBe(false);
    expect(weights).toEqual(refWeights);
    expect(ref.slots).toEqual(refSlots);
    expect(ref.iteration).toBe(1);
    const after = await onGpu.read();
    expect(after.control[0]).toBe(1);
    expect(after.weights).toEqual(before.weights);
    expect(after.slots).toEqual(before.slots);

    // Step 3 is clean, but the status is sticky: still nothing changes.
    await onGpu.step(randomSet(random), 2);
    const sticky = await onGpu.read();
    expect(sticky.control[0]).toBe(1);
    expect(sticky.weights).toEqual(before.weights);
    expect(sticky.slots).toEqual(before.slots);

    // The host clears the status and rewinds to iteration 2: both sides agree again.
    onGpu.clearStatus();
    const g4 = randomSet(random);
    await onGpu.step(g4, 2);
    expect(ref.step(weights, f64(g4), { loss: 0.25 })).toBe(true);
    const resumed = await onGpu.read();
    expect(resumed.control[0]).toBe(0);
    compare(resumed, ref, weights, 'after clearing the status');
    onGpu.release();
  }

  test('a NaN loss leaves every weight and slot unchanged and sets the status (adam)', () => guardCase('adam', { loss: NaN }));
  test('an infinite gradient leaves every weight and slot unchanged and sets the status (sgd, momentum)', () =>
    guardCase({ name: 'sgd', momentum: 0.9 }, { grad: [2, 999, Infinity] }));
  test('a NaN gradient in a 1-value weight, with globalClipnorm (rmsprop with momentum)', () =>
    guardCase({ name: 'rmsprop', momentum: 0.5, globalClipnorm: 1 }, { grad: [0, 0, NaN] }));
  test('an infinite loss with clipnorm (nadam)', () => guardCase({ name: 'nadam', clipnorm: 1 }, { loss: -Infinity }));
});

describe('reference optimizer by hand', () => {
  // Keras's docstring example: var = 1, loss = var²/2 so g = var, SGD(0.1).
  test('sgd: w − lr·g, and with momentum 0.9 the second step is 0.18 (Keras docstring)', () => {
    const plain = new ReferenceOptimizer(resolveOptimizer({ name: 'sgd', learningRate: 0.1 }));
    const w = [new Float64Array([1])];
    plain.step(w, [new Float64Array([1])]);
    expect(w[0][0]).toBeCloseTo(0.9, 15);

    const momentum = new ReferenceOptimizer(resolveOptimizer({ name: 'sgd', learningRate: 0.1, momentum: 0.9 }));
    const v = [new Float64Array([1])];
    momentum.step(v, [new Float64Array([v[0][0]])]);
    expect(1 - v[0][0]).toBeCloseTo(0.1, 15);
    const v1 = v[0][0];
    momentum.step(v, [new Float64Array([v[0][0]])]);
    expect(v1 - v[0][0]).toBeCloseTo(0.18, 15); // m = 0.9·(−0.1) − 0.1·0.9
    expect(momentum.slots[0][0][0]).toBeCloseTo(-0.18, 15);

    // Nesterov: m = −0.1, then w = 1 + 0.9·(−0.1) − 0.1 = 0.81.
    const nesterov = new ReferenceOptimizer(resolveOptimizer({ name: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true }));
    const n = [new Float64Array([1])];
    nesterov.step(n, [new Float64Array([1])]);
    expect(n[0][0]).toBeCloseTo(0.81, 15);
  });

  test('adam, one step from w = 1 with g = 0.5 (defaults)', () => {
    const adam = new ReferenceOptimizer(resolveOptimizer('adam'));
    const w = [new Float64Array([1])];
    adam.step(w, [new Float64Array([0.5])]);
    // m = 0.1·0.5 = 0.05, v = 0.001·0.25 = 0.00025, α = 0.001·√0.001/0.1 = 3.16227766e-4,
    // w = 1 − α·0.05/(√0.00025 + 1e-7) = 1 − 1.58113883e-5/0.0158114883 = 0.99900000632452.
    expect(adam.slots[0][0][0]).toBeCloseTo(0.05, 15);
    expect(adam.slots[0][1][0]).toBeCloseTo(0.00025, 15);
    expect(w[0][0]).toBeCloseTo(0.99900000632452, 13);
  });

  test('nadam, one step from w = 1 with g = 0.5 (defaults)', () => {
    const nadam = new ReferenceOptimizer(resolveOptimizer('nadam'));
    const w = [new Float64Array([1])];
    nadam.step(w, [new Float64Array([0.5])]);
    // u1 = 0.9·(1 − 0.5·0.96^0.004) = 0.450073474, u2 = 0.9·(1 − 0.5·0.96^0.008) = 0.450146935,
    // m̂ = u2·0.05/(1 − u1·u2) + (1 − u1)·0.5/(1 − u1) = 0.028225889 + 0.5, v̂ = 0.00025/0.001 = 0.25,
    // w = 1 − 0.001·0.528225889/(0.5 + 1e-7) = 0.99894354843.
    expect(w[0][0]).toBeCloseTo(0.99894354843, 10);
  });

  test('clipnorm and globalClipnorm factors, a skipped step returns false', () => {
    const clip = new ReferenceOptimizer(resolveOptimizer({ name: 'sgd', learningRate: 1, clipnorm: 1 }));
    const w = [new Float64Array([0, 0]), new Float64Array([0])];
    clip.step(w, [new Float64Array([3, 4]), new Float64Array([0.5])]); // ‖(3,4)‖ = 5 → ×0.2; 0.5 unclipped
    expect(w[0][0]).toBeCloseTo(-0.6, 15);
    expect(w[0][1]).toBeCloseTo(-0.8, 15);
    expect(w[1][0]).toBe(-0.5);
    const global = new ReferenceOptimizer(resolveOptimizer({ name: 'sgd', learningRate: 1, globalClipnorm: 1 }));
    const u = [new Float64Array([0, 0]), new Float64Array([0])];
    global.step(u, [new Float64Array([3, 4]), new Float64Array([12])]); // joint norm 13
    expect(u[0][0]).toBeCloseTo(-3 / 13, 15);
    expect(u[1][0]).toBeCloseTo(-12 / 13, 15);
    expect(global.step(u, [new Float64Array([3, 4]), new Float64Array([1e20])])).toBe(false); // Σg² over f32's range
  });
});

describe('resolveOptimizer', () => {
  test('Keras defaults by name', () => {
    expect(resolveOptimizer('sgd')).toMatchObject({ learningRate: 0.01, momentum: 0, nesterov: false });
    expect(resolveOptimizer('rmsprop')).toMatchObject({ learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7 });
    expect(resolveOptimizer('adagrad')).toMatchObject({ learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7 });
    expect(resolveOptimizer('adadelta')).toMatchObject({ learningRate: 0.001, rho: 0.95, epsilon: 1e-7 });
    for (const name of ['adam', 'adamax', 'nadam'] as const) {
      expect(resolveOptimizer(name)).toMatchObject({ name, learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    }
    expect(resolveOptimizer({ name: 'adam', learningRate: 0.01 }).learningRate).toBe(0.01);
    expect(resolveOptimizer('Adam' as never).name).toBe('adam');
    const resolved = resolveOptimizer({ name: 'rmsprop', momentum: 0.5, clipvalue: 1 });
    expect(resolveOptimizer(resolved)).toEqual(resolved); // a resolved config resolves to itself
    for (const name of OPTIMIZER_NAMES) expect(resolveOptimizer(resolveOptimizer(name))).toEqual(resolveOptimizer(name));
    expect(optimizerSlotCount('sgd')).toBe(1);
    expect(optimizerSlotCount('adam')).toBe(2);
    expect(slotInitialValue(resolveOptimizer({ name: 'adagrad', initialAccumulatorValue: 0.5 }), 0)).toBe(0.5);
  });

  test('clear errors for bad names and values', () => {
    expect(() => resolveOptimizer('adamw' as never)).toThrow(/Unknown optimizer "adamw": use one of sgd, rmsprop/);
    expect(() => resolveOptimizer({ name: 'adam', lr: 0.1 } as never)).toThrow(/no option 'lr' \(the learning rate is `learningRate`\)/);
    expect(() => resolveOptimizer({ name: 'adam', momentum: 0.9 })).toThrow(/'adam' has no option 'momentum'/);
    expect(() => resolveOptimizer({ name: 'sgd', learningRate: -1 })).toThrow(/learningRate must be > 0/);
    expect(() => resolveOptimizer({ name: 'sgd', momentum: 1.5 })).toThrow(/momentum must be in \[0, 1\]/);
    expect(() => resolveOptimizer({ name: 'adam', beta2: 1 })).toThrow(/beta2 must be in \[0, 1\)/);
    expect(() => resolveOptimizer({ name: 'adam', learningRate: NaN })).toThrow(/finite/);
    expect(() => resolveOptimizer({ name: 'adam', clipnorm: 0 })).toThrow(/clipnorm must be a finite number > 0/);
    expect(() => resolveOptimizer({ name: 'adam', clipnorm: 1, globalClipnorm: 1 })).toThrow(/at most one of clipnorm and globalClipnorm/);
    expect(() => resolveOptimizer({ name: 'adam', clipnorm: 1, clipvalue: 1 })).toThrow(/clipvalue cannot be combined/);
  });
});
