// The leak report (gpu.memory()), the pool's refusal of a double release, and DisposedError.
import { describe, expect, test } from 'vitest';
import { DisposedError, layers, RnnError, sequential, tensor } from '../../src/index.js';
import { TENSOR_USAGE } from '../../src/runtime/gpuConstants.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();

describe('gpu.memory()', () => {
  test('counts live tensors and the pool, and stays flat over a steady predict loop', async () => {
    const { gpu } = env;
    const start = gpu.memory();
    const t = tensor(gpu, [1, 2, 3, 4], [2, 2]);
    expect(gpu.memory().tensors).toBe(start.tensors + 1);
    t.dispose();
    t.dispose(); // a second dispose is a no-op, not a second release
    expect(gpu.memory().tensors).toBe(start.tensors);
    expect(gpu.memory().freeBuffers).toBeGreaterThanOrEqual(start.freeBuffers);

    const model = sequential(gpu, [layers.lstm({ units: 5, inputShape: [3, 2], seed: 1 }), layers.dense({ units: 1, seed: 2 })]);
    const x = tensor(gpu, new Float32Array(4 * 3 * 2).fill(0.5), [4, 3, 2]);
    const run = async () => {
      const y = model.predict(x);
      await y.data();
      y.dispose();
    };
    await run(); // builds the weights, compiles the pipelines, fills the pool
    const warm = gpu.memory();
    for (let i = 0; i < 20; i++) await run();
    expect(gpu.memory()).toEqual(warm);
    x.dispose();
    model.dispose();
    expect(gpu.memory().tensors).toBe(start.tensors);
  });
});

describe('the buffer pool', () => {
  test('refuses to take the same buffer back twice, and keeps one copy of it', () => {
    const { pool } = env.gpu;
    const buffer = pool.acquire(64, TENSOR_USAGE, 'twice');
    pool.release(buffer);
    const before = pool.stats();
    expect(() => pool.release(buffer)).toThrowError(RnnError);
    expect(() => pool.release(buffer)).toThrowError(/released to the pool twice/);
    expect(pool.stats()).toEqual(before);
    // Handed out once, and it may then be released again.
    const again = pool.acquire(64, TENSOR_USAGE);
    expect(again).toBe(buffer);
    expect(pool.acquire(64, TENSOR_USAGE)).not.toBe(buffer);
    pool.release(again);
  });
});

describe('a disposed tensor', () => {
  test('throws DisposedError on every use', async () => {
    const t = tensor(env.gpu, [1, 2], [2]);
    t.dispose();
    expect(t.isDisposed).toBe(true);
    await expect(t.data()).rejects.toThrowError(DisposedError);
    await expect(t.array()).rejects.toThrowError(DisposedError);
    expect(() => t.reshape([1, 2])).toThrowError(DisposedError);
    expect(() => t.assertUsable('x')).toThrowError(/x was disposed/);
  });
});
