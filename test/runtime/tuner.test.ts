// The autotuner (createDevice({ tune, tuneCache })): off by default (the cost model's choice,
// deterministic); with 'fast' the first use of a shape queues a timed trial of every candidate
// form (step kernels) or variant (GEMM), whose winner later runs; choices persist in a file and are read back by a new device.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createDevice, DeviceError, DispatchLog, layers, reference, sequential } from '../../src/index.js';
import { expectClose } from '../helpers/gpu.js';

const [T, D, H] = [6, 3, 16];

async function lstmOutput(gpu: Awaited<ReturnType<typeof createDevice>>, B: number, x: Float32Array, train = false): Promise<Float32Array> {
  const model = sequential(gpu, [layers.lstm({ units: H, inputShape: [T, D], seed: 7 }), layers.dense({ units: 1, seed: 8 })]);
  if (train) {
    model.compile({ loss: 'meanSquaredError', optimizer: 'sgd' });
    await model.fit(x, new Float32Array(B), { epochs: 1, batchSize: B });
  }
  const y = await model.predict(x, [B, T, D]).data();
  model.dispose();
  return y;
}

describe('createDevice({ tune })', () => {
  test('refuses an unknown mode and an empty tuneCache before opening a device', async () => {
    await expect(createDevice({ quiet: true, tune: 'fastest' as never })).rejects.toThrow(DeviceError);
    await expect(createDevice({ quiet: true, tune: 'fastest' as never })).rejects.toThrow(/tune must be one of 'off', 'fast', 'full'/);
    await expect(createDevice({ quiet: true, tune: 'fast', tuneCache: '' })).rejects.toThrow(/tuneCache/);
    await expect(createDevice({ quiet: true, tuneCache: join(tmpdir(), 'x.json') })).rejects.toThrow(/with tune 'off' \(the default\) nothing is tuned/);
    // A directory is no file: a DeviceError naming it, before a device is opened.
    await expect(createDevice({ quiet: true, tune: 'fast', tuneCache: tmpdir() })).rejects.toThrow(DeviceError);
  });

  test("trials record no dispatches of the caller's; a save merges with the file's choices", async () => {
    const cache = join(mkdtempSync(join(tmpdir(), 'tune-')), 'tuning.json');
    const other = { 'another/adapter|gemm|M1 N1 K1 ·': 'rows' };
    writeFileSync(cache, JSON.stringify({ format: 'webgpu-rnn-tuning', version: 1, choices: other }));
    const x = new reference.Random(3).uniformArray(2 * T * D);
    const count = async (gpu: Awaited<ReturnType<typeof createDevice>>) => {
      const log = new DispatchLog();
      await gpu.recordDispatches(log, async () => {
        await lstmOutput(gpu, 2, x);
        await gpu.tuner.settled();
      });
      return log.records.length;
    };
    const off = await createDevice({ quiet: true });
    const untuned = await count(off);
    off.destroy();
    const gpu = await createDevice({ quiet: true, tune: 'fast', tuneCache: cache });
    expect(await count(gpu)).toBe(untuned);
    expect(gpu.tuner.records.length).toBeGreaterThan(0);
    expect(gpu.tuner.failures).toEqual([]);
    const saved = JSON.parse(readFileSync(cache, 'utf8')) as { choices: Record<string, string> };
    expect(saved.choices).toEqual({ ...other, ...gpu.tuner.entries() });
    gpu.destroy();
  });

  test("'off' (the default) runs the cost model's choice and times nothing", async () => {
    const gpu = await createDevice({ quiet: true });
    expect(gpu.tuner.mode).toBe('off');
    await lstmOutput(gpu, 2, new reference.Random(1).uniformArray(2 * T * D));
    await gpu.tuner.settled();
    expect(gpu.tuner.records).toEqual([]);
    gpu.destroy();
  });

  test("'fast': the first use times each form, the winner runs after (same outputs), and a new device reads the choices back", async () => {
    const cache = join(mkdtempSync(join(tmpdir(), 'tune-')), 'tuning.json');
    const B = 2;
    const x = new reference.Random(2).uniformArray(B * T * D);
    const off = await createDevice({ quiet: true });
    const expected = await lstmOutput(off, B, x, true);
    off.destroy();

    const gpu = await createDevice({ quiet: true, tune: 'fast', tuneCache: cache });
    const first = await lstmOutput(gpu, B, x, true);
    await gpu.tuner.settled();
    const families = gpu.tuner.records.map((r) => r.key.split('|')[1]);
    expect(families).toEqual(expect.arrayContaining(['lstm_step_forward/keep', 'lstm_step_backward', 'lstm_step_forward', 'gemm']));
    // The GEMMs (input projection, head, weight gradients): every variant timed at each shape
    // (main_rows where M ≤ 16: M is B = 2 or a weight's rows, up to 16 here).
    for (const r of gpu.tuner.records.filter((r) => r.key.includes('|gemm|'))) {
      const rows = Number(/\|gemm\|M(\d+)/.exec(r.key)![1]) <= 16;
      expect(Object.keys(r.medians).sort(), r.key).toEqual(rows ? ['registers', 'rows', 'tiled'] : ['registers', 'tiled']);
    }
    const forward = gpu.tuner.records.find((r) => r.key.endsWith('|lstm_step_forward|B2 H16'))!;
    // B = 2, H = 16 can run every form: each was timed (a positive median), the fastest won.
    expect(Object.keys(forward.medians).sort()).toEqual(['main', 'persistent', 'splitK']);
    for (const ms of Object.values(forward.medians)) expect(ms).toBeGreaterThan(0);
    expect(forward.medians[forward.winner]).toBe(Math.min(...Object.values(forward.medians)));
    expect(forward.clock).toBe(gpu.info.features.includes('timestamp-query') ? 'timestamp' : 'wall');
    // Every form computes the same cell in f32; the forms' sums differ only in order (the
    // kernel tests' bound: a few ulp of the gate sums over H = 16 terms).
    expectClose(first, expected, 1e-5, 1e-5, 'tuning run');
    expectClose(await lstmOutput(gpu, B, x, true), expected, 1e-5, 1e-5, 'tuned run');
    const saved = JSON.parse(readFileSync(cache, 'utf8')) as { format: string; choices: Record<string, string> };
    expect(saved.format).toBe('webgpu-rnn-tuning');
    expect(saved.choices).toEqual(gpu.tuner.entries());
    gpu.destroy();

    const again = await createDevice({ quiet: true, tune: 'fast', tuneCache: cache });
    expect(again.tuner.entries()).toEqual(saved.choices);
    await lstmOutput(again, B, x, true);
    await again.tuner.settled();
    expect(again.tuner.records).toEqual([]); // every shape was known: nothing timed again
    again.destroy();
  });
});
