import { defineConfig } from 'vitest/config';

// `npm run test:slow`: training to a loss target within a fixed step budget (the seeds' examples),
// the README's lead example, and the soak (10,000 predicts, 1,000 training steps, memory flat). Each takes minutes on a software adapter; the limits only stop
// a hung run (CI runs this too).
export default defineConfig({
  test: {
    include: ['test/slow/**/*.test.ts'],
    // Names the adapter and refuses a run on another than RNN_EXPECT_ADAPTER.
    globalSetup: ['test/adapterCheck.ts'],
    maxWorkers: 2,
    execArgv: ['--expose-gc'],
    testTimeout: 1_800_000,
    hookTimeout: 600_000,
  },
});
