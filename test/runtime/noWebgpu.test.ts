// Without WebGPU, createDevice says what to install.
import { afterEach, expect, test, vi } from 'vitest';

afterEach(() => {
  vi.doUnmock('webgpu');
  vi.resetModules();
});

test('Node without the webgpu package', async () => {
  vi.doMock('webgpu', () => {
    throw new Error('Cannot find package webgpu');
  });
  const { createDevice } = await import('../../src/runtime/createDevice.js');
  await expect(createDevice({ quiet: true })).rejects.toThrowError(/npm install webgpu/);
});

test('Node with Dawn but no adapter at all', async () => {
  vi.doMock('webgpu', () => ({ create: () => ({ requestAdapter: async () => null }) }));
  const { createDevice } = await import('../../src/runtime/createDevice.js');
  const { DeviceError } = await import('../../src/spec/errors.js');
  const attempt = createDevice({ quiet: true });
  await expect(attempt).rejects.toThrowError(DeviceError);
  await expect(attempt).rejects.toThrowError(/No WebGPU adapter was found.*apt-get install chromium libvulkan1/);
});
