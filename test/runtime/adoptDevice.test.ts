// createDevice({ device }): the library runs on a GPUDevice the application already has, and
// leaves it alive on destroy(); hasSystemDriver: where Dawn's default instance may look for a
// Vulkan driver (so that a machine without one starts without Dawn's loader errors).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createDevice, DeviceError, layers, reference, sequential } from '../../src/index.js';
import { hasSystemDriver } from '../../src/runtime/nodeAdapter.node.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();

describe('createDevice({ device })', () => {
  test('runs a model on the application’s device, equal to the same model on a device of its own', async () => {
    const adopted = await createDevice({ device: env.gpu.device });
    expect(adopted.device).toBe(env.gpu.device);
    expect(adopted.info.description).toBe(env.gpu.info.description);
    expect(adopted.info.isSoftware).toBe(env.gpu.info.isSoftware);
    const build = (gpu: typeof adopted) => sequential(gpu, [layers.gru({ units: 5, inputShape: [3, 2], seed: 4 }), layers.dense({ units: 2, seed: 5 })]);
    const x = new reference.Random(3).uniformArray(2 * 3 * 2);
    const own = await build(env.gpu).predict(x, [2, 3, 2]).data();
    const theirs = await build(adopted).predict(x, [2, 3, 2]).data();
    expect(Array.from(theirs)).toEqual(Array.from(own));
  });

  test('destroy() releases the library’s buffers and leaves the device working', async () => {
    const adopted = await createDevice({ device: env.gpu.device });
    const model = sequential(adopted, [layers.dense({ units: 3, inputShape: [4], seed: 1 })]);
    await model.predict(new Float32Array(8), [2, 4]).data();
    adopted.destroy();
    expect(() => adopted.assertAlive()).toThrow(DeviceError);
    // The application's device, and the Gpu that owns it, still run.
    const again = sequential(env.gpu, [layers.dense({ units: 3, inputShape: [4], seed: 1 })]);
    const out = await again.predict(new Float32Array(8), [2, 4]).data();
    expect(out).toHaveLength(6);
  });

  test('refuses what is not a GPUDevice, and options that choose another device', async () => {
    await expect(createDevice({ device: {} as GPUDevice })).rejects.toThrow(/device must be a GPUDevice/);
    await expect(createDevice({ device: null as unknown as GPUDevice })).rejects.toThrow(DeviceError);
    await expect(createDevice({ device: env.gpu.device, adapter: 'swiftshader' })).rejects.toThrow(/leave them out/);
  });
});

describe('hasSystemDriver', () => {
  const empty = () => {
    const root = mkdtempSync(join(tmpdir(), 'webgpu-rnn-icd-'));
    return { root, env: { HOME: root, XDG_CONFIG_DIRS: join(root, 'etc'), XDG_DATA_DIRS: join(root, 'share') } };
  };
  const linux = process.platform === 'linux';

  test.runIf(linux)('is false where no ICD file lies in the loader’s directories and none is named', () => {
    const { env: vars } = empty();
    // /etc/vulkan/icd.d is searched too; count only the temp dirs.
    const exists = (dir: string) => dir.startsWith(vars.HOME);
    expect(hasSystemDriver(vars, exists)).toBe(false);
  });

  const icd = (root: string, dir: string, file: string, apiVersion: string): void => {
    mkdirSync(join(root, dir, 'vulkan', 'icd.d'), { recursive: true });
    writeFileSync(join(root, dir, 'vulkan', 'icd.d', file), JSON.stringify({ ICD: { api_version: apiVersion, library_path: 'x.so' } }));
  };

  test.runIf(linux)('is true for a hardware ICD under XDG_DATA_DIRS only where a GPU device node exists', () => {
    const a = empty();
    icd(a.root, 'share', 'nvidia_icd.json', '1.3.280');
    expect(hasSystemDriver(a.env, (file) => file.startsWith(a.root))).toBe(false);
    expect(hasSystemDriver(a.env, (file) => file.startsWith(a.root) || file === '/dev/nvidia0')).toBe(true);
    expect(hasSystemDriver(a.env, (file) => file.startsWith(a.root) || file === '/dev/dxg')).toBe(true);
    // A container given another GPU than the first has /dev/nvidiactl and /dev/nvidia3, not /dev/nvidia0.
    expect(hasSystemDriver(a.env, (file) => file.startsWith(a.root) || file === '/dev/nvidiactl')).toBe(true);
  });

  test.runIf(linux)('is true for a current lavapipe under ~/.local/share, false for Mesa 22.3’s (Vulkan 1.1), which Dawn rejects', () => {
    const b = empty();
    icd(b.root, '.local/share', 'lvp_icd.x86_64.json', '1.3.275');
    expect(hasSystemDriver(b.env, (file) => file.startsWith(b.root))).toBe(true);
    const c = empty();
    icd(c.root, 'share', 'lvp_icd.x86_64.json', '1.1.230');
    icd(c.root, 'share', 'radeon_icd.x86_64.json', '1.3.230');
    expect(hasSystemDriver(c.env, (file) => file.startsWith(c.root))).toBe(false);
  });

  test.runIf(linux)('is true for a driver named by VK_ICD_FILENAMES', () => {
    expect(hasSystemDriver({ ...empty().env, VK_ICD_FILENAMES: '/x/icd.json' }, () => false)).toBe(true);
  });
});
