// The benchmark page (`npm run bench:browser`): runs bench/lib/suite.ts in Chromium on
// navigator.gpu, with TF.js's webgpu, cpu and wasm backends as peers. Options come in the URL
// (`?options=<json>`); progress and log lines go out through functions that bench/browser.ts
// exposes; the result is published on `window.__benchResult`.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
// Registers the 'webgpu' backend on navigator.gpu when the page has it.
import '@tensorflow/tfjs-backend-webgpu';
import { createDevice } from 'webgpu-rnn';
import { runSuite, type SuiteEnvironment } from '../lib/suite.js';
import { ortWebSystems } from './ortWeb.js';
import type { TfjsSystem } from '../lib/systems.js';
import type { BenchOptions, BenchResult, ProgressEvent } from '../lib/types.js';

declare global {
  interface Window {
    __benchProgress?: (event: ProgressEvent) => Promise<void>;
    __benchLog?: (line: string) => Promise<void>;
    __benchResult?: BenchResult | { error: string };
  }
}

const logEl = document.getElementById('log')!;
const statusEl = document.getElementById('status')!;

function log(line: string): void {
  logEl.textContent += `${line}\n`;
  void window.__benchLog?.(line);
}

async function tryBackend(name: string): Promise<true | string> {
  try {
    return (await tf.setBackend(name)) ? true : `TF.js backend '${name}' failed to initialize`;
  } catch (e) {
    return `TF.js backend '${name}': ${(e as Error).message}`;
  }
}

async function main(): Promise<BenchResult> {
  const options = JSON.parse(new URLSearchParams(location.search).get('options') ?? '{}') as BenchOptions;
  tf.enableProdMode();
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlain,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
  });
  const gpu = await createDevice();
  // Chromium picks the adapter itself; a run that asked for one must not report another.
  const want = { swiftshader: /swiftshader/i, lavapipe: /llvmpipe|lavapipe|mesa/i }[options.adapter as 'swiftshader' | 'lavapipe'];
  const got = `${gpu.info.vendor} ${gpu.info.architecture} ${gpu.info.description}`;
  if (want && !want.test(got)) {
    gpu.destroy();
    throw new Error(`--adapter ${options.adapter} was asked for, but Chromium gave WebGPU "${got}"`);
  }
  log(`adapter: ${gpu.info.vendor} / ${gpu.info.architecture} — "${gpu.info.description}"${gpu.info.isSoftware ? ' (software: not a GPU)' : ''}`);

  const tfjsAvailable: SuiteEnvironment['tfjsAvailable'] = {};
  const wanted = (s: TfjsSystem) => options.systems.includes(s);
  if (wanted('tfjs-webgpu')) tfjsAvailable['tfjs-webgpu'] = await tryBackend('webgpu');
  if (wanted('tfjs-cpu')) tfjsAvailable['tfjs-cpu'] = await tryBackend('cpu');
  let wasmFlavor: string | undefined;
  if (wanted('tfjs-wasm')) {
    tfjsAvailable['tfjs-wasm'] = await tryBackend('wasm');
    if (tfjsAvailable['tfjs-wasm'] === true) {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      wasmFlavor = `${simd ? 'SIMD' : 'no SIMD'}, ${threads ? `multi-threaded (${navigator.hardwareConcurrency} cores)` : 'one thread'}`;
    }
  }
  if (tfjsAvailable['tfjs-webgpu'] === true) {
    // TF.js's device is its own, on the adapter Chromium gives every page: check it is ours.
    const backend = tf.findBackend('webgpu') as unknown as { adapterInfo?: { vendor?: string; architecture?: string } };
    const info = backend.adapterInfo;
    if (info && (info.vendor !== gpu.info.vendor || info.architecture !== gpu.info.architecture)) {
      tfjsAvailable['tfjs-webgpu'] = `TF.js got another adapter (${info.vendor} ${info.architecture}) than ours`;
    }
  }

  const onnx = ortWebSystems(gpu, options.systems);
  const result = await runSuite({ gpu, runtime: 'chromium', tfjsAvailable, onnx, onProgress: (e) => void window.__benchProgress?.(e), log }, options);
  result.environment = { userAgent: navigator.userAgent, cpus: navigator.hardwareConcurrency, tfjs: tf.version_core, wasmFlavor };
  gpu.destroy();
  return result;
}

main().then(
  (result) => {
    statusEl.textContent = 'done';
    window.__benchResult = result;
  },
  (e: unknown) => {
    const error = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
    statusEl.textContent = `failed: ${error}`;
    window.__benchResult = { error };
  },
);
