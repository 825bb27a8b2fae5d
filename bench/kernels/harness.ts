// The kernel micro-benchmarks' harness, after llm.c's dev/cuda: for each case of a kernel,
// seeded inputs; one run of the GPU kernel checked against its CPU twin in src/reference
// (|gpu − ref| ≤ atol + |ref|·rtol, the first mismatches printed); then, if it passed, the
// timing: warm-up runs, then ≥ 5 timed runs, each one compute pass submitted alone and waited
// for (queue.onSubmittedWorkDone), median wall time; FLOPs and bytes a dispatch.
import { Random } from '../../src/init/random.js';
import type { Gpu, RunScope } from '../../src/runtime/device.js';
import { MapMode, READBACK_USAGE, TENSOR_USAGE } from '../../src/runtime/gpuConstants.js';
import { runsPersistent } from '../../src/kernels/steps.js';
import { median } from '../lib/stats.js';

/** Step dispatches of a recurrent kernel's call: one where runsPersistent, else `perStep` a step. */
export function stepDispatches(B: number, T: number, H: number, perStep = 1): number {
  return runsPersistent(B, H) ? 1 : perStep * T;
}

/** A kernel's two directions; a shader that holds both (a BACKWARD override) is timed apart in each. */
export type Direction = 'forward' | 'backward';

/** Each case twice: forward, then backward. */
export function bothDirections<C>(cases: C[]): (C & { direction: Direction })[] {
  return cases.flatMap((c) => (['forward', 'backward'] as const).map((direction) => ({ ...c, direction })));
}

/** One output of a kernel run and the twin's values for it. */
export interface Expected {
  name: string;
  buffer: GPUBuffer;
  /** Element offset of the compared values in `buffer`. */
  offset?: number;
  expected: ArrayLike<number>;
  atol: number;
  rtol: number;
}

/** A case set up on the device: inputs written, outputs allocated, nothing run yet. */
export interface Prepared {
  /** Encodes the kernel call under test into one compute pass (the call may dispatch several times). */
  encode(pass: GPUComputePassEncoder, run: RunScope): void;
  /** Compute dispatches of one call. */
  dispatches: number;
  /** FLOPs and bytes read + written by one call (napkin counts, stated at each bench). */
  flops: number;
  bytes: number;
  /** What the first call must have produced; called after it, so the twin may run late. */
  expected(): Expected[];
  /** Buffers to hand back to the pool. */
  buffers: GPUBuffer[];
}

export interface KernelBench<C = Record<string, number | string | boolean>> {
  /** The kernel's name: its shader's file name under shaders/, without .wgsl. */
  name: string;
  /** The entry point exercised and its twin, e.g. "encodeGemm vs reference gemm". */
  what: string;
  /** quick: shapes that run in seconds on a 2-core software adapter. */
  cases(quick: boolean): C[];
  label(c: C): string;
  prepare(gpu: Gpu, c: C, random: Random): Prepared;
}

/** Any bench, whatever its case type (the registry's element type). */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds benches of different case types.
export type AnyKernelBench = KernelBench<any>;

export function defineBench<C>(bench: KernelBench<C>): KernelBench<C> {
  return bench;
}

/** A storage buffer holding `values` (f32), or `floats` zeros. */
export function upload(gpu: Gpu, values: ArrayLike<number> | number, label = 'bench'): GPUBuffer {
  const data = typeof values === 'number' ? new Float32Array(values) : Float32Array.from(values);
  const buffer = gpu.pool.acquire(Math.max(16, data.byteLength), TENSOR_USAGE, label);
  gpu.device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/** An output buffer of `floats` NaNs, for a kernel that overwrites it: a value it fails to write fails the check. */
export function unwritten(gpu: Gpu, floats: number, label = 'bench output'): GPUBuffer {
  return upload(gpu, new Float32Array(floats).fill(Number.NaN), label);
}

/** `count` floats of `buffer` from element `offset`. */
export async function readBack(gpu: Gpu, buffer: GPUBuffer, count: number, offset = 0): Promise<Float32Array> {
  const staging = gpu.device.createBuffer({ size: count * 4, usage: READBACK_USAGE, label: 'bench readback' });
  await gpu.submit('bench readback', (encoder) => encoder.copyBufferToBuffer(buffer, offset * 4, staging, 0, count * 4));
  await staging.mapAsync(MapMode.READ);
  const values = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return values;
}

export interface CheckResult {
  ok: boolean;
  maxError: number;
  /** The first mismatches, "[i] gpu …, ref … (|err| …)". */
  mismatches: string[];
  count: number;
  bad: number;
}

/** |got − ref| ≤ atol + |ref|·rtol everywhere (NaN fails); keeps the first `show` mismatches. */
export function allClose(got: ArrayLike<number>, ref: ArrayLike<number>, atol: number, rtol: number, show = 5): CheckResult {
  const mismatches: string[] = [];
  let maxError = 0;
  let bad = 0;
  let nan = false;
  if (got.length !== ref.length)
    return { ok: false, maxError: Number.NaN, mismatches: [`length ${got.length} ≠ ${ref.length}`], count: ref.length, bad: ref.length };
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(got[i] - ref[i]);
    if (Number.isNaN(err)) nan = true;
    else if (err > maxError) maxError = err;
    if (!(err <= atol + Math.abs(ref[i]) * rtol)) {
      bad++;
      if (mismatches.length < show) mismatches.push(`[${i}] gpu ${got[i]}, ref ${ref[i]} (|err| ${err.toExponential(2)})`);
    }
  }
  return { ok: bad === 0, maxError: nan ? Number.NaN : maxError, mismatches, count: ref.length, bad };
}

/** One pass holding `encode`, submitted alone; wall ms until the queue is idle. */
async function timedPass(gpu: Gpu, encode: Prepared['encode']): Promise<number> {
  const t0 = performance.now();
  const done = gpu.submit('kernel bench', (encoder, run) => {
    const pass = encoder.beginComputePass();
    encode(pass, run);
    pass.end();
  });
  await gpu.device.queue.onSubmittedWorkDone();
  const ms = performance.now() - t0;
  await done;
  return ms;
}

export interface TimingOptions {
  warmup: number;
  minRuns: number;
  maxRuns: number;
  /** Timed runs continue past minRuns until their total reaches this (or maxRuns). */
  targetMs: number;
}

export const QUICK_TIMING: TimingOptions = { warmup: 1, minRuns: 5, maxRuns: 5, targetMs: 0 };
export const FULL_TIMING: TimingOptions = { warmup: 3, minRuns: 5, maxRuns: 100, targetMs: 2_000 };

export interface CaseReport {
  kernel: string;
  label: string;
  ok: boolean;
  medianMs: number | null;
}

const si = (v: number, unit: string): string => {
  const [scale, prefix] = v >= 1e9 ? [1e9, 'G'] : v >= 1e6 ? [1e6, 'M'] : v >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${(v / scale).toFixed(scale === 1 ? 0 : 2)} ${prefix}${unit}`;
};

/** Runs every case of `bench`: check, then time. Returns one report a case. */
export async function runBench(gpu: Gpu, bench: AnyKernelBench, quick: boolean, timing: TimingOptions, log: (line: string) => void): Promise<CaseReport[]> {
  const reports: CaseReport[] = [];
  for (const [i, c] of bench.cases(quick).entries()) {
    const label = bench.label(c);
    log(`${bench.name} ${label}`);
    const report: CaseReport = { kernel: bench.name, label, ok: false, medianMs: null };
    reports.push(report);
    let prepared: Prepared | undefined;
    try {
      prepared = bench.prepare(gpu, c, new Random(0x5eed + 7919 * i));
      const { encode } = prepared;
      // 1. One run on the fresh inputs, checked against the twin.
      await timedPass(gpu, encode);
      report.ok = true;
      for (const e of prepared.expected()) {
        const got = await readBack(gpu, e.buffer, e.expected.length, e.offset ?? 0);
        const r = allClose(got, e.expected, e.atol, e.rtol);
        const tol = `atol ${e.atol.toExponential(0)}, rtol ${e.rtol.toExponential(0)}`;
        log(`  check ${e.name.padEnd(10)} ${r.ok ? 'ok      ' : 'MISMATCH'} max |err| ${r.maxError.toExponential(2)} over ${r.count} values (${tol})`);
        if (!r.ok) {
          log(`    ${r.bad} of ${r.count} values out of tolerance; the first:`);
          for (const m of r.mismatches) log(`      ${m}`);
          report.ok = false;
        }
      }
      if (!report.ok) {
        log('  not timed: the kernel disagrees with its twin');
        continue;
      }
      // 2. Warm-up, then the timed runs (the inputs drift from run to run; the work does not).
      for (let w = 0; w < timing.warmup; w++) await timedPass(gpu, encode);
      const samples: number[] = [];
      let total = 0;
      while (samples.length < timing.minRuns || (total < timing.targetMs && samples.length < timing.maxRuns)) {
        const ms = await timedPass(gpu, encode);
        samples.push(ms);
        total += ms;
      }
      const ms = median(samples);
      report.medianMs = ms;
      const { dispatches, flops, bytes } = prepared;
      log(
        `  time  median ${ms.toFixed(3)} ms over ${samples.length} runs (min ${Math.min(...samples).toFixed(3)}, max ${Math.max(...samples).toFixed(3)}; ${timing.warmup} warm-up), ${dispatches} dispatch${dispatches === 1 ? '' : 'es'}`,
      );
      log(
        `  work  ${si(flops / dispatches, 'FLOP')} and ${si(bytes / dispatches, 'B')} a dispatch; ${((flops / ms) * 1e-6).toFixed(3)} GFLOP/s, ${((bytes / ms) * 1e-6).toFixed(3)} GB/s`,
      );
    } catch (e) {
      report.ok = false;
      log(`  FAILED: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    } finally {
      for (const b of prepared?.buffers ?? []) gpu.pool.release(b);
    }
  }
  return reports;
}
