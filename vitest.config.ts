import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One GPU device per test file; a software adapter on 2 cores runs best with two at once.
    maxWorkers: 2,
    // test/runtime/device.test.ts forces garbage collection to prove the device survives it.
    execArgv: ['--expose-gc'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
