// The adapter's limits, measured with our own kernels in the same process as the cases:
// the best rate of our GEMM kernel, and the cost of one empty dispatch inside a pass.
import type { Gpu as DistGpu } from 'webgpu-rnn';
// The GEMM kernel module is not part of the package's exports: it is taken from the source
// (Vite resolves its `?raw` WGSL imports in the browser; bench/raw-hooks.mjs does in Node).
import { encodeGemm } from '../../src/kernels/gemm.js';
import type { Gpu, RunScope } from '../../src/runtime/device.js';
import { median } from './stats.js';
import type { Limits } from './types.js';

export interface LimitsOptions {
  /** Square GEMM sizes to try, ascending; a size whose run would exceed stopMs is skipped. */
  sizes: number[];
  stopMs: number;
  runs: number;
  emptyDispatches: number;
  onPhase?: (phase: string) => void;
}

/** Times `encode` (one pass, one submit) until the queue is idle; returns milliseconds. */
async function timePass(gpu: Gpu, encode: (pass: GPUComputePassEncoder, run: RunScope) => void): Promise<number> {
  const t0 = performance.now();
  const done = gpu.submit('bench limits', (encoder, run) => {
    const pass = encoder.beginComputePass();
    encode(pass, run);
    pass.end();
  });
  await gpu.device.queue.onSubmittedWorkDone();
  const ms = performance.now() - t0;
  await done;
  return ms;
}

export async function measureLimits(distGpu: DistGpu, options: LimitsOptions): Promise<Limits> {
  // The package's Gpu and the source's are the same class, built twice.
  const gpu = distGpu as unknown as Gpu;
  const gemmSizes: Limits['gemmSizes'] = [];
  for (const n of options.sizes) {
    const prev = gemmSizes[gemmSizes.length - 1];
    // Skip a size that would take over stopMs a run, judged from the last at O(n³).
    if (prev && prev.medianMs * (n / prev.size) ** 3 > options.stopMs) break;
    options.onPhase?.(`GEMM ${n}³`);
    const a = gpu.pool.acquire(n * n * 4, 0x80 | 0x08, 'bench A');
    const b = gpu.pool.acquire(n * n * 4, 0x80 | 0x08, 'bench B');
    const y = gpu.pool.acquire(n * n * 4, 0x80 | 0x08 | 0x04, 'bench Y');
    const values = new Float32Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
    gpu.device.queue.writeBuffer(a, 0, values);
    gpu.device.queue.writeBuffer(b, 0, values);
    const gemm = (pass: GPUComputePassEncoder, run: RunScope) => encodeGemm(gpu, pass, run, { a, b, y, M: n, N: n, K: n });
    await timePass(gpu, gemm); // compiles the pipeline
    const samples: number[] = [];
    for (let i = 0; i < options.runs; i++) samples.push(await timePass(gpu, gemm));
    for (const buf of [a, b, y]) gpu.pool.release(buf);
    // A limit is the best the adapter does: the fastest run (other work on a shared machine
    // only ever slows a run down).
    const best = Math.min(...samples);
    gemmSizes.push({ size: n, medianMs: median(samples), bestMs: best, gflops: (2 * n * n * n) / best / 1e6 });
  }
  const best = gemmSizes.reduce((m, s) => (s.gflops > m.gflops ? s : m), { size: 0, medianMs: 0, bestMs: 0, gflops: 0 });

  // An empty kernel with one storage binding, dispatched as ours are: pipeline, bind group, 1
  // workgroup. The fastest pass of N of them less the fastest pass of one, over N − 1.
  options.onPhase?.('empty dispatch');
  const kernel = gpu.kernel({
    name: 'bench empty',
    cacheKey: 'bench-empty',
    getShaderSource: () => '@group(0) @binding(0) var<storage, read_write> unused: array<u32>;\n@compute @workgroup_size(1) fn main() {}',
    bindings: ['storage'],
  });
  const scratch = gpu.pool.acquire(16, 0x80, 'bench empty');
  const group = gpu.bindGroup(kernel, [scratch]);
  const empties = (count: number) => (pass: GPUComputePassEncoder) => {
    for (let i = 0; i < count; i++) {
      pass.setPipeline(kernel.pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(1);
    }
  };
  const n = options.emptyDispatches;
  await timePass(gpu, empties(n));
  const one: number[] = [];
  const many: number[] = [];
  for (let i = 0; i < Math.max(5, options.runs); i++) {
    one.push(await timePass(gpu, empties(1)));
    many.push(await timePass(gpu, empties(n)));
  }
  gpu.pool.release(scratch);
  const emptyDispatchUs = (Math.max(0, Math.min(...many) - Math.min(...one)) / (n - 1)) * 1000;
  return { gemmGflops: best.gflops, gemmSize: best.size, gemmSizes, emptyDispatchUs, emptyDispatchCount: n };
}
