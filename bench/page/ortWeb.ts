// onnxruntime-web's peers in the bench page: its WebGPU execution provider (on the adapter
// Chromium gives the page, the one ours runs on) and its wasm backend (multi-threaded: the
// page is cross-origin isolated). bench/browser.ts serves the package's .wasm files under
// ./ort/ beside the page.
import * as ort from 'onnxruntime-web/webgpu';
import type { Gpu } from 'webgpu-rnn';
import { type OnnxSystemName, onnxSystem, type OrtApi } from '../lib/onnxSystem.js';
import type { System } from '../lib/systems.js';

export function ortWebSystems(gpu: Gpu, wanted: readonly string[]): Partial<Record<OnnxSystemName, System | string>> {
  ort.env.wasm.wasmPaths = new URL('./ort/', location.href).href;
  const api = ort as unknown as OrtApi;
  const out: Partial<Record<OnnxSystemName, System | string>> = {};
  if (wanted.includes('ort-web-webgpu')) {
    out['ort-web-webgpu'] = navigator.gpu ? onnxSystem('ort-web-webgpu', gpu, api, 'webgpu', true) : 'the page has no navigator.gpu';
  }
  if (wanted.includes('ort-web-wasm')) out['ort-web-wasm'] = onnxSystem('ort-web-wasm', gpu, api, 'wasm', false);
  return out;
}
