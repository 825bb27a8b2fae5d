// kernels/embedding and kernels/dropout against their CPU twins (src/reference/embedding.ts,
// src/reference/dropout.ts): the lookup is an exact copy; both gradients' f32 sums are checked
// against a bound derived from their rounding, and the sorted one's bit for bit against sums
// in row order; the dropout mask is checked bit for bit.
import { describe, expect, test } from 'vitest';
import { tensor } from '../../src/index.js';
import { encodeDropout } from '../../src/kernels/dropout.js';
import { encodeEmbeddingGather, encodeEmbeddingScatterAdd } from '../../src/kernels/embedding.js';
import { encodeEmbeddingSortedGradient } from '../../src/kernels/embeddingSorted.js';
import { dropoutHash, dropoutMask, dropoutThreshold, pcgHash } from '../../src/init/dropoutMask.js';
import { embeddingBackward, embeddingForward } from '../../src/reference/embedding.js';
import { Random } from '../../src/init/random.js';
import { readBuffer, runPass, useGpu } from '../helpers/gpu.js';

const env = useGpu();

const U = 2 ** -24; // unit roundoff of f32

interface EmbeddingCase {
  name: string;
  V: number;
  E: number;
  B: number;
  T: number;
  /** dY stored time-major [T, B, E] (as an LSTM's input gradient). */
  timeMajor?: boolean;
  /** Element offset of the ids in their buffer. */
  idsOffset?: number;
  /** Ids drawn from [0, vocabUsed) only, to force many additions into few rows. */
  vocabUsed?: number;
}

const embeddingCases: EmbeddingCase[] = [
  { name: 'vocab 1, batch 1, one step, E 1', V: 1, E: 1, B: 1, T: 1 },
  { name: 'batch 1, one step', V: 9, E: 67, B: 1, T: 1 },
  { name: 'E not a multiple of the workgroup, repeated ids', V: 7, E: 67, B: 3, T: 5 },
  { name: 'time-major dY, ids at an offset', V: 13, E: 130, B: 4, T: 6, timeMajor: true, idsOffset: 5 },
  { name: '2400 rows into 3: heavy contention', V: 50, E: 5, B: 60, T: 40, vocabUsed: 3 },
  { name: '513 ids: the sort merges two tiles', V: 20, E: 3, B: 1, T: 513, timeMajor: true },
  { name: '1500 ids: the sort merges across tiles in two stages', V: 40, E: 2, B: 30, T: 50, idsOffset: 3 },
];

type GradientVariant = 'scatter-add' | 'sorted';

/** dW += the Embedding gradient by one variant, in `pass`. */
function encodeGradient(variant: GradientVariant, ...call: Parameters<typeof encodeEmbeddingScatterAdd>): void {
  if (variant === 'sorted') encodeEmbeddingSortedGradient(...call);
  else encodeEmbeddingScatterAdd(...call);
}

/** Ids in [0, used) that include 0 and V − 1 (when used = V) and repeat. */
function makeIds(random: Random, n: number, V: number, used = V): Float32Array {
  const ids = Float32Array.from({ length: n }, () => random.int(used));
  ids[0] = 0;
  if (n > 1) ids[n - 1] = used - 1;
  if (n > 2) ids[1] = ids[0]; // a repeat even in small batches
  return ids;
}

describe('embedding lookup', () => {
  test.each(embeddingCases)('$name (V=$V E=$E B=$B T=$T)', async (c) => {
    const { gpu } = env;
    const random = new Random(c.V * 31 + c.E);
    const rows = c.B * c.T;
    const off = c.idsOffset ?? 0;
    const ids = makeIds(random, rows, c.V, c.vocabUsed);
    const padded = new Float32Array(off + rows).fill(-1);
    padded.set(ids, off);
    const table = random.uniformArray(c.V * c.E);
    const [tIds, tTable, tY] = [
      tensor(gpu, padded, [off + rows]),
      tensor(gpu, table, [c.V, c.E]),
      tensor(gpu, new Float32Array(rows * c.E).fill(7), [rows, c.E]),
    ];
    await runPass(gpu, (pass, run) =>
      encodeEmbeddingGather(gpu, pass, run, { ids: tIds.buffer, idsOffset: off, table: tTable.buffer, y: tY.buffer, rows, E: c.E, V: c.V }),
    );
    // A copy of f32 values: exact.
    expect(await tY.data()).toEqual(Float32Array.from(embeddingForward(ids, table, c.V, c.E)));
    for (const t of [tIds, tTable, tY]) t.dispose();
  });

  test('ids that select no row (out of range, negative, fractional, NaN) give zero rows', async () => {
    const { gpu } = env;
    const [V, E] = [4, 3];
    const ids = Float32Array.from([0, 3, 4, -1, 2.5, NaN, 1e9, -0, 2]);
    const table = new Random(1).uniformArray(V * E);
    const rows = ids.length;
    const [tIds, tTable, tY] = [
      tensor(gpu, new Float32Array(rows), [rows]),
      tensor(gpu, table, [V, E]),
      tensor(gpu, new Float32Array(rows * E).fill(7), [rows, E]),
    ];
    gpu.device.queue.writeBuffer(tIds.buffer, 0, ids); // tensor() rejects NaN, as it should
    await runPass(gpu, (pass, run) => encodeEmbeddingGather(gpu, pass, run, { ids: tIds.buffer, table: tTable.buffer, y: tY.buffer, rows, E, V }));
    const y = await tY.data();
    expect(y).toEqual(Float32Array.from(embeddingForward(ids, table, V, E)));
    expect(Array.from(y.subarray(2 * E, 7 * E)).every((v) => v === 0)).toBe(true);
    for (const t of [tIds, tTable, tY]) t.dispose();
  });
});

/** dW of ids and batch-major dY as f32 sums, each id's rows added in row order from 0. */
function sequentialSums(ids: ArrayLike<number>, dY: Float32Array, V: number, E: number): Float32Array {
  const dW = new Float32Array(V * E);
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r];
    if (Number.isInteger(id) && id >= 0 && id < V) for (let e = 0; e < E; e++) dW[id * E + e] = Math.fround(dW[id * E + e] + dY[r * E + e]);
  }
  return dW;
}

/**
 * The gradient's dW against the Float64 sum, with a bound from f32 rounding: n terms added
 * one by one in any order err by at most γ(n−1)·Σ|terms|, γ(k) = k·u / (1 − k·u) (Higham,
 * Accuracy and Stability, §4.2), whatever order the atomics took. Per element.
 */
function expectWithinSumBound(gpu: Float32Array, ids: ArrayLike<number>, dYbatchMajor: Float32Array, V: number, E: number, what: string): number {
  const exact = embeddingBackward(ids, dYbatchMajor, V, E);
  const absSum = new Float64Array(V * E);
  const count = new Uint32Array(V);
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r];
    if (!(Number.isInteger(id) && id >= 0 && id < V)) continue;
    count[id]++;
    for (let e = 0; e < E; e++) absSum[id * E + e] += Math.abs(dYbatchMajor[r * E + e]);
  }
  let worst = 0;
  for (let i = 0; i < V * E; i++) {
    const k = Math.max(0, count[Math.floor(i / E)] - 1);
    const bound = ((k * U) / (1 - k * U)) * absSum[i];
    const err = Math.abs(gpu[i] - exact[i]);
    worst = Math.max(worst, err);
    if (!(err <= bound))
      throw new Error(
        `${what}: dW[${i}] = ${gpu[i]}, exact ${exact[i]}, |err| ${err.toExponential(2)} > rounding bound ${bound.toExponential(2)} (${k + 1} terms)`,
      );
  }
  return worst;
}

describe.each(['scatter-add', 'sorted'] as const)('embedding gradient (%s)', (variant) => {
  test.each(embeddingCases)('$name (V=$V E=$E B=$B T=$T)', async (c) => {
    const { gpu } = env;
    const random = new Random(c.V * 17 + c.T);
    const rows = c.B * c.T;
    const off = c.idsOffset ?? 0;
    const ids = makeIds(random, rows, c.V, c.vocabUsed);
    const padded = new Float32Array(off + rows).fill(-1);
    padded.set(ids, off);
    const dY = random.uniformArray(rows * c.E); // batch-major [B, T, E]
    let stored = dY;
    if (c.timeMajor) {
      stored = new Float32Array(rows * c.E);
      for (let b = 0; b < c.B; b++) for (let t = 0; t < c.T; t++) stored.set(dY.subarray((b * c.T + t) * c.E, (b * c.T + t + 1) * c.E), (t * c.B + b) * c.E);
    }
    const [tIds, tdY] = [tensor(gpu, padded, [off + rows]), tensor(gpu, stored, [rows, c.E])];
    const dW = gpu.pool.acquire(c.V * c.E * 4, 0x80 | 0x4 | 0x8);
    await gpu.submit('test', (encoder, run) => {
      encoder.clearBuffer(dW, 0, c.V * c.E * 4);
      const pass = encoder.beginComputePass();
      encodeGradient(variant, gpu, pass, run, {
        ids: tIds.buffer,
        idsOffset: off,
        dY: tdY.buffer,
        timeMajor: !!c.timeMajor,
        dW,
        B: c.B,
        T: c.T,
        E: c.E,
        V: c.V,
      });
      pass.end();
    });
    const got = await readBuffer(gpu, dW, c.V * c.E);
    const worst = expectWithinSumBound(got, ids, dY, c.V, c.E, c.name);
    if (process.env.SHOW_ERR) console.log(`embedding ${variant} ${c.name}: max |err| ${worst.toExponential(2)}`);
    // Sorted: each id's rows added one by one in (b, t) order, exactly as this f32 loop does.
    if (variant === 'sorted') expect(got).toEqual(sequentialSums(ids, dY, c.V, c.E));
    // Rows no id selects stay exactly zero: the gradient touches only the rows used.
    const used = new Set(Array.from(ids));
    for (let v = 0; v < c.V; v++) if (!used.has(v)) expect(Array.from(got.subarray(v * c.E, (v + 1) * c.E)).every((x) => x === 0)).toBe(true);
    gpu.pool.release(dW);
    for (const t of [tIds, tdY]) t.dispose();
  });

  test('two additions into a value are exact in either order (a + b = b + a in f32)', async () => {
    const { gpu } = env;
    // Every id used exactly twice: each dW value is one f32 addition, whatever the order.
    const [V, E, B, T] = [5, 70, 2, 5];
    const ids = Float32Array.from([0, 1, 2, 3, 4, 4, 3, 2, 1, 0]);
    const dY = new Random(8).uniformArray(B * T * E);
    const [tIds, tdY] = [tensor(gpu, ids, [B, T]), tensor(gpu, dY, [B * T, E])];
    const dW = gpu.pool.acquire(V * E * 4, 0x80 | 0x4 | 0x8);
    await gpu.submit('test', (encoder, run) => {
      encoder.clearBuffer(dW, 0, V * E * 4);
      const pass = encoder.beginComputePass();
      encodeGradient(variant, gpu, pass, run, { ids: tIds.buffer, dY: tdY.buffer, timeMajor: false, dW, B, T, E, V });
      pass.end();
    });
    const expected = new Float32Array(V * E);
    for (let v = 0; v < V; v++) {
      const [r1, r2] = [ids.indexOf(v), ids.lastIndexOf(v)];
      for (let e = 0; e < E; e++) expected[v * E + e] = Math.fround(dY[r1 * E + e] + dY[r2 * E + e]);
    }
    expect(await readBuffer(gpu, dW, V * E)).toEqual(expected);
    gpu.pool.release(dW);
    for (const t of [tIds, tdY]) t.dispose();
  });

  test('ids that select no row add nothing', async () => {
    const { gpu } = env;
    const [V, E] = [3, 4];
    const ids = Float32Array.from([1, 3, -1, 0.5, NaN, 1]);
    const dY = new Random(4).uniformArray(ids.length * E);
    const [tIds, tdY] = [tensor(gpu, new Float32Array(ids.length), [ids.length]), tensor(gpu, dY, [ids.length, E])];
    gpu.device.queue.writeBuffer(tIds.buffer, 0, ids);
    const dW = gpu.pool.acquire(V * E * 4, 0x80 | 0x4 | 0x8);
    await gpu.submit('test', (encoder, run) => {
      encoder.clearBuffer(dW, 0, V * E * 4);
      const pass = encoder.beginComputePass();
      encodeGradient(variant, gpu, pass, run, { ids: tIds.buffer, dY: tdY.buffer, timeMajor: false, dW, B: 1, T: ids.length, E, V });
      pass.end();
    });
    const expected = new Float32Array(V * E);
    for (let e = 0; e < E; e++) expected[E + e] = Math.fround(dY[e] + dY[5 * E + e]);
    expect(await readBuffer(gpu, dW, V * E)).toEqual(expected);
    gpu.pool.release(dW);
    for (const t of [tIds, tdY]) t.dispose();
  });
});

describe('dropout hash', () => {
  test('the TypeScript PCG hash (Math.imul, >>> 0) equals the same formula in exact BigInt arithmetic mod 2³²', () => {
    const big = (v: bigint) => {
      const m = (x: bigint) => x & 0xffffffffn;
      const state = m(v * 747796405n + 2891336453n);
      const word = m(((state >> ((state >> 28n) + 4n)) ^ state) * 277803737n);
      return Number((word >> 22n) ^ word);
    };
    const random = new Random(3);
    for (const v of [0, 1, 2 ** 31, 2 ** 32 - 1, ...Array.from({ length: 200 }, () => Math.floor(random.next() * 2 ** 32))]) {
      expect(pcgHash(v)).toBe(big(BigInt(v)));
    }
  });
});

interface DropoutCase {
  name: string;
  shape: number[];
  timeMajor?: boolean;
  xOffset?: number;
  rate: number;
  step: number;
}

const dropoutCases: DropoutCase[] = [
  { name: 'one value', shape: [1, 1], rate: 0.5, step: 0 },
  { name: '[B, F], not a multiple of the workgroup', shape: [3, 67], rate: 0.3, step: 1 },
  { name: '[B, T, F] batch-major', shape: [4, 5, 33], rate: 0.6, step: 7 },
  { name: '[B, T, F] time-major, at an offset', shape: [3, 7, 19], timeMajor: true, xOffset: 11, rate: 0.25, step: 2 ** 32 - 1 },
];

describe('dropout kernel vs the reference mask', () => {
  test.each(dropoutCases)('$name $shape rate $rate', async (c) => {
    const { gpu } = env;
    const count = c.shape.reduce((a, b) => a * b, 1);
    const seed = 1234;
    const random = new Random(count);
    const x = random.uniformArray(count, 0.5, 2); // no zeros: y = 0 exactly where dropped
    // Store x in the layout the kernel is told, at the offset.
    const off = c.xOffset ?? 0;
    const stored = new Float32Array(off + count);
    const storedIndex = (j: number) => {
      if (!c.timeMajor) return j;
      const [B, T, F] = c.shape;
      const [b, t, f] = [Math.floor(j / (T * F)), Math.floor(j / F) % T, j % F];
      return (t * B + b) * F + f;
    };
    for (let j = 0; j < count; j++) stored[off + storedIndex(j)] = x[j];
    const [tx, ty] = [tensor(gpu, stored, [off + count]), tensor(gpu, new Float32Array(count).fill(9), [count])];
    const scale = 1 / (1 - c.rate);
    await runPass(gpu, (pass, run) =>
      encodeDropout(gpu, pass, run, {
        x: tx.buffer,
        xOffset: off,
        y: ty.buffer,
        shape: c.shape,
        timeMajor: !!c.timeMajor,
        seed,
        step: c.step,
        threshold: dropoutThreshold(c.rate),
        scale,
      }),
    );
    const y = await ty.data();
    const mask = dropoutMask(seed, c.step, count, c.rate);
    let dropped = 0;
    for (let j = 0; j < count; j++) {
      const got = y[storedIndex(j)];
      if (!mask[j]) {
        dropped++;
        expect(got).toBe(0);
        continue;
      }
      // x·f32(scale) rounded to f32: two roundings, |err| ≤ 2u·|x·scale|.
      expect(Math.abs(got - x[j] * scale)).toBeLessThanOrEqual(2 * U * Math.abs(x[j] * scale));
    }
    if (count > 100) expect(dropped).toBeGreaterThan(0);
    for (const t of [tx, ty]) t.dispose();
  });

  test('mask fraction ≈ rate over 4.2M values (more than 65535 workgroups), and steps draw new masks', async () => {
    const { gpu } = env;
    const rate = 0.3;
    const count = 65535 * 64 + 1000; // needs a second row of workgroups
    const x = new Float32Array(count).fill(1);
    const tx = tensor(gpu, x, [count]);
    const [y0, y1] = [tensor(gpu, new Float32Array(count), [count]), tensor(gpu, new Float32Array(count), [count])];
    await runPass(gpu, (pass, run) => {
      for (const [y, step] of [
        [y0, 0],
        [y1, 1],
      ] as const) {
        encodeDropout(gpu, pass, run, {
          x: tx.buffer,
          y: y.buffer,
          shape: [1, count],
          timeMajor: false,
          seed: 99,
          step,
          threshold: dropoutThreshold(rate),
          scale: 1 / (1 - rate),
        });
      }
    });
    const [a, b] = [await y0.data(), await y1.data()];
    let dropped = 0;
    let agree = 0;
    for (let i = 0; i < count; i++) {
      dropped += a[i] === 0 ? 1 : 0;
      agree += (a[i] === 0) === (b[i] === 0) ? 1 : 0;
    }
    // Binomial: the dropped count has std √(n·p(1−p)) ≈ 938 (fraction 2.2e-4); 5σ ≈ 1.1e-3.
    const fraction = dropped / count;
    const sigma = Math.sqrt((rate * (1 - rate)) / count);
    console.log(`dropout: fraction dropped ${fraction.toFixed(5)} (rate ${rate}, σ ${sigma.toExponential(2)})`);
    expect(Math.abs(fraction - rate)).toBeLessThan(5 * sigma);
    // Independent masks agree with probability q = p² + (1−p)² = 0.58; same std formula.
    const q = rate * rate + (1 - rate) * (1 - rate);
    expect(Math.abs(agree / count - q)).toBeLessThan(5 * Math.sqrt((q * (1 - q)) / count));
    // The tail beyond the first 65535 workgroups is written and matches the reference.
    const tail = count - 500;
    for (let i = tail; i < count; i++) expect(a[i] === 0).toBe(dropoutHash(99, 0, i) < dropoutThreshold(rate));
    for (const t of [tx, y0, y1]) t.dispose();
  });
});
