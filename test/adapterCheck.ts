// vitest globalSetup: names the adapter the tests run on, and fails the whole run when it is not
// the one meant (RNN_EXPECT_ADAPTER = swiftshader | lavapipe | gpu): a machine with lavapipe
// installed would otherwise hide what a fresh machine (SwiftShader only) gets.
import { createDevice } from '../src/index.js';
import type { DeviceInfo } from '../src/runtime/device.js';

const PATTERNS: Record<string, (info: DeviceInfo) => boolean> = {
  swiftshader: (info) => /swiftshader/i.test(describe(info)),
  lavapipe: (info) => /llvmpipe|lavapipe/i.test(describe(info)),
  gpu: (info) => !info.isSoftware,
};

function describe(info: DeviceInfo): string {
  return `${info.description} (${info.vendor}, ${info.architecture})`;
}

export default async function setup(): Promise<void> {
  const expected = process.env.RNN_EXPECT_ADAPTER;
  if (expected !== undefined && !(expected in PATTERNS)) {
    throw new Error(`RNN_EXPECT_ADAPTER=${expected}: expected one of ${Object.keys(PATTERNS).join(', ')}.`);
  }
  const gpu = await createDevice({ quiet: true });
  const info = gpu.info;
  gpu.destroy();
  console.log(`Node tests run on: ${describe(info)}${info.isSoftware ? ', a software adapter' : ''}`);
  if (expected !== undefined && !PATTERNS[expected](info)) {
    throw new Error(`RNN_EXPECT_ADAPTER=${expected}, but the adapter is ${describe(info)}: set VK_ICD_FILENAMES to that driver's ICD.`);
  }
}
