import { defineConfig } from 'vitest/config';

// `npm test`: every kernel against its CPU twin, the layers, the model, io and the browser
// tests — under 10 minutes on 2 cores with SwiftShader. The learning runs and the README's
// example (minutes each on a software adapter) are `npm run test:slow` (vitest.slow.config.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/slow/**', '**/node_modules/**'],
    // One GPU device per test file; a software adapter on 2 cores runs best with two at once.
    // Names the adapter and refuses a run on another than RNN_EXPECT_ADAPTER.
    globalSetup: ['test/adapterCheck.ts'],
    maxWorkers: 2,
    // test/runtime/device.test.ts forces garbage collection to prove the device survives it.
    execArgv: ['--expose-gc'],
    // Generous: a limit here only stops a hung test. No test asserts on time.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
