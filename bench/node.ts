// `npm run bench`: the suite in Node, on Dawn (the `webgpu` package), against the built
// package in dist/. TF.js's webgpu backend runs on a second Dawn instance of the same adapter.
//   npm run bench -- [--quick] [--filter REGEX] [--out FILE] [--adapter default|swiftshader|lavapipe]
//   npm run bench -- --kernel NAME|all|list [--quick] [--adapter …]   (bench/kernels, on src/)
//   npm run bench -- --profile [--quick] [--filter REGEX] [--adapter …]  (records and modeled GPU time)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { cpus } from 'node:os';
import { create, globals } from 'webgpu';
import { createDevice, type Gpu } from 'webgpu-rnn';
import { casesFor } from './lib/cases.js';
import { parseArgs, printSummary, Progress, writeResults } from './lib/cli.js';
import { runSuite, type SuiteEnvironment } from './lib/suite.js';
import { onnxRuntimeSystem } from './lib/onnxSystem.js';
import type { TfjsSystem } from './lib/systems.js';

// Dawn's classes (GPUComputePassEncoder, GPUBufferUsage, …) as globals: TF.js's webgpu backend
// needs them, and the dispatch counter wraps GPUComputePassEncoder.prototype.
Object.assign(globalThis, globals);

/** Dawn instances must outlive their devices (if one is collected, the process dies). */
const keepAlive: unknown[] = [];

/**
 * Registers TF.js's 'webgpu' backend on a Dawn instance of the adapter `gpu` runs on
 * (createDevice has set VK_ICD_FILENAMES for a software adapter, which the new instance sees).
 * TF.js checks for `navigator.gpu`, which Node 20 lacks: it gets the Dawn instance.
 */
async function registerTfjsWebgpu(gpu: Gpu): Promise<true | string> {
  const instance = create([]);
  keepAlive.push(instance);
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: instance, configurable: true });
  else (globalThis as { navigator?: object }).navigator = { gpu: instance };
  const adapter = await instance.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return 'Dawn gave TF.js no adapter';
  const info = adapter.info;
  const want = gpu.info;
  if (info.vendor !== want.vendor || info.architecture !== want.architecture || (info.description || info.device) !== want.description) {
    return `Dawn gave TF.js another adapter (${info.vendor} ${info.architecture} "${info.description}") than ours`;
  }
  tf.registerBackend(
    'webgpu',
    async () => {
      // As @tensorflow/tfjs-backend-webgpu's own factory (src/base.ts), on this adapter.
      const l = adapter.limits;
      const device = await adapter.requestDevice({
        requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        },
      });
      return new WebGPUBackend(device, info);
    },
    1,
  );
  return true;
}

async function tryBackend(name: string): Promise<true | string> {
  try {
    return (await tf.setBackend(name)) ? true : `TF.js backend '${name}' failed to initialize`;
  } catch (e) {
    return `TF.js backend '${name}': ${(e as Error).message}`;
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2), 'node');
  if (options.kernel !== undefined) {
    const { runKernelBenches } = await import('./kernels/run.js');
    process.exitCode = await runKernelBenches({ kernel: options.kernel, quick: options.quick, adapter: options.adapter });
    return;
  }
  if (options.profile) {
    const gpu = await createDevice({ adapter: options.adapter, tune: options.tune });
    const { profileCases, writeProfile } = await import('./lib/profile.js');
    const result = await profileCases(gpu, casesFor(options), (line) => console.error(line));
    const { markdown, files } = await writeProfile(result, options.quick, options.out);
    console.log(markdown);
    console.log(`written: ${files.join(', ')}`);
    gpu.destroy();
    return;
  }
  const progress = new Progress();
  tf.enableProdMode();
  const gpu = await createDevice({ adapter: options.adapter, tune: options.tune });
  progress.log(`adapter: ${gpu.info.vendor} / ${gpu.info.architecture} — "${gpu.info.description}"${gpu.info.isSoftware ? ' (software: not a GPU)' : ''}`);

  const tfjsAvailable: SuiteEnvironment['tfjsAvailable'] = {};
  const wanted = (s: TfjsSystem) => options.systems.includes(s);
  if (wanted('tfjs-webgpu')) {
    const registered = await registerTfjsWebgpu(gpu).catch((e: Error) => `TF.js webgpu on Dawn: ${e.message}`);
    tfjsAvailable['tfjs-webgpu'] = registered === true ? await tryBackend('webgpu') : registered;
  }
  if (wanted('tfjs-cpu')) tfjsAvailable['tfjs-cpu'] = await tryBackend('cpu');
  let wasmFlavor: string | undefined;
  if (wanted('tfjs-wasm')) {
    tfjsAvailable['tfjs-wasm'] = await tryBackend('wasm');
    if (tfjsAvailable['tfjs-wasm'] === true) {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      wasmFlavor = `${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'multi-threaded' : 'one thread'}`;
    }
  }

  const onnx = options.systems.includes('onnxruntime') ? { onnxruntime: await onnxRuntimeSystem(gpu) } : undefined;
  const result = await runSuite(
    { gpu, runtime: 'node', tfjsAvailable, onnx, onProgress: (e) => progress.update(e), log: (line) => progress.log(line) },
    options,
  );
  progress.done();
  result.environment = { userAgent: `Node ${process.version}`, cpus: cpus().length, tfjs: tf.version_core, wasmFlavor };
  const { markdown, files } = await writeResults(result, options.out);
  printSummary(result, markdown, files);
  gpu.destroy();
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
