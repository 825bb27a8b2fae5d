// The device wrapper: adapter info, survival under forced garbage collection (Dawn's instance
// must stay referenced), the lost device, the pool and the tensor basics.
import { describe, expect, test } from 'vitest';
import { createDevice, DeviceError, layers, reference, sequential, tensor } from '../../src/index.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();

describe('device', () => {
  test('info names the adapter and says whether it is software', () => {
    const { info } = env.gpu;
    expect(info.runtime).toBe('node');
    expect(typeof info.vendor).toBe('string');
    expect(typeof info.description).toBe('string');
    expect(Array.isArray(info.features)).toBe(true);
    if (/swiftshader/i.test(`${info.architecture} ${info.description}`)) expect(info.isSoftware).toBe(true);
  });

  test('a device survives forced garbage collection', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'run with node --expose-gc (vitest.config.ts sets it)').toBeTypeOf('function');
    // Nothing but the Gpu object refers to Dawn's instance here.
    const gpu = await createDevice({ quiet: true });
    const model = sequential(gpu, [layers.lstm({ units: 8, inputShape: [4, 3], seed: 1 })]);
    const x = new reference.Random(1).uniformArray(2 * 4 * 3);
    const expected = await model.predict(x, [2, 4, 3]).data();
    for (let round = 0; round < 5; round++) {
      // Garbage to collect, then a full collection, then work on the device.
      const junk = Array.from({ length: 2000 }, (_, i) => ({ i, data: new Float64Array(64) }));
      expect(junk.length).toBe(2000);
      gc!();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await model.predict(x, [2, 4, 3]).data()).toEqual(expected);
    }
    gpu.destroy();
  });

  test('a lost device gives an error that says what to do', async () => {
    const gpu = await createDevice({ quiet: true });
    const model = sequential(gpu, [layers.lstm({ units: 4, inputShape: [2, 2], seed: 1 })]);
    gpu.device.destroy(); // what a driver reset or a GPU process crash looks like to the page
    await gpu.device.lost;
    expect(gpu.isLost).toBe(true);
    expect(() => model.predict(new Float32Array(4), [1, 2, 2])).toThrowError(DeviceError);
    expect(() => model.predict(new Float32Array(4), [1, 2, 2])).toThrowError(/lost.*createDevice\(\).*weights/);
  });

  test('a destroyed device refuses work', async () => {
    const gpu = await createDevice({ quiet: true });
    gpu.destroy();
    expect(() => tensor(gpu, [1, 2], [2])).toThrowError(/destroyed/);
  });
});

describe('tensor', () => {
  test('round trip from flat and nested data', async () => {
    const { gpu } = env;
    const flat = tensor(gpu, new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    expect(flat.shape).toEqual([2, 3]);
    expect(Array.from(await flat.data())).toEqual([1, 2, 3, 4, 5, 6]);
    const nested = tensor(gpu, [[[1, 2]], [[3, 4]]]);
    expect(nested.shape).toEqual([2, 1, 2]);
    expect(await nested.array()).toEqual([[[1, 2]], [[3, 4]]]);
    const reshaped = nested.reshape([4]);
    expect(Array.from(await reshaped.data())).toEqual([1, 2, 3, 4]);
  });

  test('dispose returns the buffer to the pool for the next tensor of that size', async () => {
    const { gpu } = env;
    const a = tensor(gpu, new Float32Array(1000), [1000]);
    a.dispose();
    const created = gpu.pool.created;
    const b = tensor(gpu, new Float32Array(1000).fill(2), [10, 100]);
    expect(gpu.pool.created).toBe(created);
    expect((await b.data())[999]).toBe(2);
    await expect(a.data()).rejects.toThrowError(/disposed/);
  });
});
