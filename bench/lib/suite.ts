// The benchmark suite, the same in Node and in the browser page: for every case, give every
// system our weights, check its result against ours (ours against the Float64 reference),
// then time it. All systems run in this one process on the same adapter, one after another.
import * as tf from '@tensorflow/tfjs-core';
import { reference as ref, type Gpu } from 'webgpu-rnn';
import { measureLimits } from './limits.js';
import { bytesPerRun, caseLabel, flops, maxAbs, maxAbsDiff, median } from './stats.js';
import { LEARNING_RATE, oursSystem, referenceSystem, tfjsSystem, type Problem, type Runner, type System, type TfjsSystem } from './systems.js';
import type { BenchOptions, BenchResult, CaseResult, CaseSpec, Kind, Limits, ProgressEvent, Shape, SystemName } from './types.js';

/**
 * Tolerances of the checks, with their reasons.
 *
 * Forward: every system computes in f32 except the reference (Float64). The outputs h are in
 * (−1, 1); each gate pre-activation is a sum of D + H + 1 ≤ 1 100 products, rounded at 2⁻²⁴
 * relative, and σ / tanh do not amplify errors (Lipschitz ≤ 1), so over T = 100 steps the
 * difference between two f32 orders of summation stays far below 1e-5 (measured here: ≤ 1.2e-7
 * at H = 128, ≤ 3.2e-7 at H = 256, on SwiftShader, lavapipe and Chromium). 1e-4 leaves a wide
 * margin and still fails any wrong gate order, index or missing term (errors ≥ 1e-2).
 */
export const FORWARD_TOLERANCE = 1e-4;
/**
 * Train: after one SGD step from the same weights, the gradient each system applied,
 * (w₀ − w₁)/lr, against ours, relative to ours' largest gradient element; and the loss,
 * relative. f32 differences in the forward (~1e-6) and in the BPTT sums over B·T = 1 600 rows
 * give ~1e-5 relative; the subtraction w₀ − w₁ (|w| ≤ 0.3, lr = 0.01) adds 0.3·2⁻²⁴/0.01 ≈ 2e-6
 * absolute per element. Measured: 1.6e-5 – 6.3e-5 for ours against the reference, ≤ 1e-5 for
 * TF.js against ours. 1e-3 is a 15× margin; a wrong gradient term is off by ≥ 1e-1.
 */
export const TRAIN_TOLERANCE = 1e-3;

export interface SuiteEnvironment {
  gpu: Gpu;
  runtime: 'node' | 'chromium';
  /** Peers whose TF.js backend is registered here (others are reported unavailable). */
  tfjsAvailable: Partial<Record<TfjsSystem, true | string>>;
  onProgress(event: ProgressEvent): void;
  /** One line of log (a finished measurement, a note). */
  log(line: string): void;
}

/** How long a system may take for one case (check, warm-up, ≥ 5 timed runs) before it is
 *  timed on a prefix of the steps instead; and the time the timed runs aim to fill. */
interface Budget {
  cpuCaseMs: number;
  /** The same for a system on the GPU adapter (ours included). */
  gpuCaseMs: number;
  targetMs: number;
  minRuns: number;
  maxRuns: number;
}

export function casesFor(options: Pick<BenchOptions, 'quick' | 'filter' | 'train'>): CaseSpec[] {
  const fwd = (B: number, T: number, D: number, H: number, sweep = false): CaseSpec => ({ kind: 'forward', shape: { B, T, D, H }, sweep });
  const cases: CaseSpec[] = [fwd(1, 100, 32, 128), fwd(32, 100, 128, 256)];
  if (options.train) cases.push({ kind: 'train', shape: { B: 32, T: 50, D: 64, H: 128 }, sweep: false });
  if (!options.quick) {
    for (const B of [1, 8, 64]) for (const H of [32, 64, 128, 256, 512]) cases.push(fwd(B, 100, 64, H, true));
  }
  const filter = options.filter ? new RegExp(options.filter, 'i') : undefined;
  return filter ? cases.filter((c) => filter.test(caseLabel(c.kind, c.shape))) : cases;
}

/** Counts compute dispatches by wrapping GPUComputePassEncoder (ours and TF.js's alike). */
class DispatchCounter {
  count = 0;
  readonly installed: boolean;

  constructor() {
    const proto = (globalThis as { GPUComputePassEncoder?: { prototype: GPUComputePassEncoder } }).GPUComputePassEncoder?.prototype;
    this.installed = !!proto;
    if (!proto) return;
    const marker = proto as GPUComputePassEncoder & { __benchCounter?: DispatchCounter };
    if (marker.__benchCounter) {
      marker.__benchCounter = this;
      return;
    }
    marker.__benchCounter = this;
    const direct = proto.dispatchWorkgroups;
    const indirect = proto.dispatchWorkgroupsIndirect;
    proto.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...args: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) {
      marker.__benchCounter!.count++;
      return direct.apply(this, args);
    };
    proto.dispatchWorkgroupsIndirect = function (this: GPUComputePassEncoder, ...args: Parameters<GPUComputePassEncoder['dispatchWorkgroupsIndirect']>) {
      marker.__benchCounter!.count++;
      return indirect.apply(this, args);
    };
  }

  async countRun(run: () => Promise<unknown>): Promise<number | null> {
    if (!this.installed) return null;
    this.count = 0;
    await run();
    return this.count;
  }
}

/** Seeded uniform values in [lo, hi) (mulberry32), as f32 so every side sees the same. */
function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** The first `steps` steps of x [B, T, D]. */
function prefix(x: Float32Array, s: Shape, steps: number): Float32Array {
  if (steps === s.T) return x;
  const out = new Float32Array(s.B * steps * s.D);
  for (let b = 0; b < s.B; b++) out.set(x.subarray(b * s.T * s.D, b * s.T * s.D + steps * s.D), b * steps * s.D);
  return out;
}

async function timeRuns(run: () => Promise<unknown>, budget: Budget, onRun: (i: number) => void): Promise<number[]> {
  const samples: number[] = [];
  let total = 0;
  while (samples.length < budget.minRuns || (total < budget.targetMs && samples.length < budget.maxRuns)) {
    onRun(samples.length + 1);
    const t0 = performance.now();
    await run();
    const ms = performance.now() - t0;
    samples.push(ms);
    total += ms;
  }
  return samples;
}

/** Result of one training step on a system: the loss and the gradient each weight received. */
interface StepResult {
  loss: number;
  grads: Float64Array[];
}

async function trainStep(runner: Runner, before: readonly Float32Array[]): Promise<StepResult> {
  const loss = (await runner.run()) as number;
  const after = await runner.weights();
  const grads = after.map((w, i) => Float64Array.from(w, (v, j) => (before[i][j] - v) / LEARNING_RATE));
  return { loss, grads };
}

/** max(|Δloss| / |loss|, max over weights |Δg| / max |g_ours|). */
function trainError(ours: StepResult, other: StepResult): number {
  let worst = Math.abs(ours.loss - other.loss) / Math.max(Math.abs(ours.loss), 1e-12);
  if (Number.isNaN(worst)) return Number.NaN;
  const scale = Math.max(...ours.grads.map(maxAbs), 1e-12);
  for (let i = 0; i < ours.grads.length; i++) {
    const d = maxAbsDiff(ours.grads[i], other.grads[i]) / scale;
    if (Number.isNaN(d)) return Number.NaN;
    worst = Math.max(worst, d);
  }
  return worst;
}

export async function runSuite(env: SuiteEnvironment, options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const { gpu } = env;
  const budget: Budget = options.quick
    ? { cpuCaseMs: 6_000, gpuCaseMs: 30_000, targetMs: 1_500, minRuns: 5, maxRuns: 30 }
    : { cpuCaseMs: 10_000, gpuCaseMs: 60_000, targetMs: 3_000, minRuns: 5, maxRuns: 50 };
  const cases = casesFor(options);
  if (cases.length === 0) {
    const all = casesFor({ ...options, filter: undefined }).map((c) => `"${caseLabel(c.kind, c.shape)}"`);
    throw new Error(`--filter ${options.filter} matches no case of this run; the cases are ${all.join(', ')}.`);
  }
  const counter = new DispatchCounter();
  const notes: string[] = [];
  const unavailable: BenchResult['unavailable'] = [];
  if (!counter.installed) notes.push('GPUComputePassEncoder is not a global here: dispatches were not counted.');

  const peers: System[] = [];
  for (const name of options.systems) {
    if (name === 'ours') continue;
    if (name === 'reference') {
      peers.push(referenceSystem());
      continue;
    }
    const status = env.tfjsAvailable[name as TfjsSystem];
    if (status === true) peers.push(tfjsSystem(name as TfjsSystem));
    else unavailable.push({ system: name, reason: status ?? 'not registered in this runtime' });
  }
  const ours = oursSystem(gpu);
  const reference = referenceSystem();

  // 1. The adapter's limits, before the cases, in the same process.
  const progress = (index: number, label: string, phase: string, system?: string) => env.onProgress({ index, total: cases.length, label, system, phase });
  // Measured before and after the cases; each limit is the better of the two (other work on
  // a shared machine only ever slows a measurement down).
  const limitOptions = (phase: string) => ({
    sizes: [128, 256, 512, 1024],
    stopMs: options.quick ? 2_500 : 4_000,
    runs: 5,
    emptyDispatches: 1000,
    onPhase: (what: string) => progress(0, `adapter limits (${phase})`, what),
  });
  const before = await measureLimits(gpu, limitOptions('before the cases'));
  env.log(`limits before the cases: ${limitsText(before)}`);

  const results: CaseResult[] = [];
  for (const [i, spec] of cases.entries()) {
    const label = caseLabel(spec.kind, spec.shape);
    const index = i + 1;
    env.log(`${label}`);
    const caseResults = await runCase(spec, {
      ours,
      reference,
      peers,
      counter,
      budget,
      progress: (phase, system) => progress(index, label, phase, system),
      log: (line) => env.log(`  ${line}`),
      seed: 1000 + i,
    });
    results.push(...caseResults);
  }

  const after = await measureLimits(gpu, limitOptions('after the cases'));
  env.log(`limits after the cases: ${limitsText(after)}`);
  const limits = betterLimits(before, after);

  // Ratios and ours' fraction of the adapter's limits.
  for (const r of results) {
    const base = results.find((o) => o.system === 'ours' && o.kind === r.kind && sameShape(o.shape, r.shape));
    if (base?.medianMs && r.medianMs) r.ratioToOurs = r.medianMs / base.medianMs;
    if (r.system === 'ours' && r.medianMs && limits.gemmGflops > 0) {
      const dispatches = (r.dispatchesPerStep ?? 0) * r.shape.T;
      const boundMs = (limits.emptyDispatchUs / 1000) * dispatches + flops(r.kind, r.shape) / (limits.gemmGflops * 1e6);
      r.fractionOfLimit = boundMs / r.medianMs;
      r.fractionOfGemmRate = r.gflops! / limits.gemmGflops;
    }
  }
  if (results.some((r) => r.timedSteps < r.shape.T)) {
    notes.push(
      "Where five runs of the full sequence did not fit a system's time budget, it was timed on the first timedSteps steps and its times multiplied by T / timedSteps (see the note of each row): a forward or a training step does the same work at every step, so this scales exactly up to the fixed cost of a call, which it overstates (against that system) by well under 1 % at these sizes. Ours always runs the full sequence.",
    );
  }
  notes.push(
    `Every run reads its result back to the CPU (the output of a forward, the loss of a training step). Training: plain SGD, lr ${LEARNING_RATE}, MSE on a Dense(1) head, FLOPs counted as 3× the LSTM forward.`,
  );
  notes.push(
    'All ratios come from one process and one adapter; the machine may have been shared with other work, which slows every system alike only on average.',
  );

  return {
    adapter: { vendor: gpu.info.vendor, architecture: gpu.info.architecture, description: gpu.info.description, isSoftware: gpu.info.isSoftware },
    runtime: env.runtime,
    adapterChoice: options.adapter,
    date: new Date().toISOString(),
    quick: options.quick,
    durationS: (performance.now() - started) / 1000,
    environment: { userAgent: '', cpus: null, tfjs: tf.version_core },
    limits,
    cases: results,
    unavailable,
    notes,
  };
}

/** Keras-initialized weights (glorot kernel, orthogonal recurrent kernel, unit forget bias),
 *  seeded, from the reference's initializers; f32 as every system stores them. */
const referenceLayers = ref.layers;
const referenceSequential = ref.sequential;

function initialWeights(kind: Kind, { T, D, H }: Shape, seed: number): Float32Array[] {
  const lstm = referenceLayers.lstm({ units: H, inputShape: [T, D], seed });
  const model = referenceSequential(kind === 'forward' ? [lstm] : [lstm, referenceLayers.dense({ units: 1, seed: seed + 1 })]);
  return model.getWeights().map((w) => Float32Array.from(w));
}

function limitsText(l: Limits): string {
  return `GEMM ${l.gemmGflops.toFixed(2)} GFLOP/s at ${l.gemmSize}³; empty dispatch ${l.emptyDispatchUs.toFixed(1)} µs (${l.emptyDispatchCount} in one pass)`;
}

function betterLimits(a: Limits, b: Limits): Limits {
  const sizes = [...new Set([...a.gemmSizes, ...b.gemmSizes].map((s) => s.size))].sort((x, y) => x - y);
  const gemmSizes = sizes.map((size) => {
    const both = [...a.gemmSizes, ...b.gemmSizes].filter((s) => s.size === size);
    return both.reduce((m, s) => (s.gflops > m.gflops ? s : m));
  });
  const best = gemmSizes.reduce((m, s) => (s.gflops > m.gflops ? s : m));
  return {
    gemmGflops: best.gflops,
    gemmSize: best.size,
    gemmSizes,
    emptyDispatchUs: Math.min(a.emptyDispatchUs, b.emptyDispatchUs),
    emptyDispatchCount: a.emptyDispatchCount,
  };
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.B === b.B && a.T === b.T && a.D === b.D && a.H === b.H;
}

interface CaseContext {
  ours: System;
  reference: System;
  peers: System[];
  counter: DispatchCounter;
  budget: Budget;
  progress(phase: string, system?: string): void;
  log(line: string): void;
  seed: number;
}

function emptyResult(kind: Kind, shape: Shape, system: SystemName): CaseResult {
  return {
    kind,
    shape,
    system,
    medianMs: null,
    minMs: null,
    maxMs: null,
    runs: 0,
    gflops: null,
    dispatchesPerStep: null,
    dispatchesPerRun: null,
    maxError: null,
    tolerance: kind === 'forward' ? FORWARD_TOLERANCE : TRAIN_TOLERANCE,
    valid: false,
    timedSteps: shape.T,
    ratioToOurs: null,
    fractionOfLimit: null,
    fractionOfGemmRate: null,
    bytesPerRun: bytesPerRun(kind, shape),
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

async function runCase(spec: CaseSpec, ctx: CaseContext): Promise<CaseResult[]> {
  const { kind, shape } = spec;
  const { B, T, D } = shape;
  const tolerance = kind === 'forward' ? FORWARD_TOLERANCE : TRAIN_TOLERANCE;
  const x = uniform(B * T * D, ctx.seed);
  const y = kind === 'train' ? uniform(B, ctx.seed + 1) : undefined;
  const weights = initialWeights(kind, shape, ctx.seed);
  const problem = (steps: number): Problem => ({ kind, shape: { ...shape, T: steps }, x: prefix(x, shape, steps), y, weights });
  const results: CaseResult[] = [];
  const skip = (system: SystemName, note: string): void => {
    results.push({ ...emptyResult(kind, shape, system), note });
    ctx.log(`${system.padEnd(12)} ${note}`);
  };

  /** The first result of a fresh model: the forward output, or the first training step. */
  const firstResult = async (runner: Runner): Promise<ArrayLike<number> | StepResult> =>
    kind === 'forward' ? ((await runner.run()) as ArrayLike<number>) : trainStep(runner, weights);

  // Ours' first result for each number of steps some system is checked on.
  const oursFirst = new Map<number, ArrayLike<number> | StepResult>();
  const oursOn = async (steps: number): Promise<ArrayLike<number> | StepResult> => {
    let out = oursFirst.get(steps);
    if (!out) {
      const r = await ctx.ours.prepare(problem(steps));
      try {
        out = await firstResult(r);
      } finally {
        r.dispose();
      }
      oursFirst.set(steps, out);
    }
    return out;
  };

  /**
   * The steps a system is timed on, and a fresh model for them: all T when the check and ≥ 5
   * runs of the full sequence fit the system's budget, else the longest prefix that does. A forward
   * costs the same at every step; so does a training step (forward, BPTT), plus a weight
   * update that does not depend on T and is small against the rest (< 1 % at these shapes).
   * The estimate comes from a probe of 5 steps (its second run: the first compiles).
   */
  const chooseSteps = async (system: System): Promise<{ steps: number; runner: Runner }> => {
    const caseBudget = system.onGpu ? ctx.budget.gpuCaseMs : ctx.budget.cpuCaseMs;
    const probeSteps = Math.min(T, 5);
    // Ours is the baseline of every ratio: always the full sequence. (Its cost is not linear
    // in T at small T: the input GEMM over T·B rows, the submit and the readback.)
    if (T > probeSteps && system.name !== 'ours') {
      ctx.progress('probing the cost of a step', system.name);
      const probe = await system.prepare(problem(probeSteps));
      const times: number[] = [];
      try {
        for (let i = 0; i < 3; i++) {
          const t0 = performance.now();
          await probe.run();
          times.push(performance.now() - t0);
        }
      } finally {
        probe.dispose();
      }
      const perStep = Math.min(times[1], times[2]) / probeSteps; // the first run compiles
      const runs = ctx.budget.minRuns + 1; // the check (also the warm-up), the timed runs
      if (perStep * T * runs > caseBudget) {
        const steps = Math.max(probeSteps, Math.min(T, Math.floor(caseBudget / (runs * perStep))));
        return { steps, runner: await system.prepare(problem(steps)) };
      }
    }
    return { steps: T, runner: await system.prepare(problem(T)) };
  };

  /** Checks a fresh runner: ours against the reference's result; a peer against ours. */
  const check = async (runner: Runner, _steps: number, against: ArrayLike<number> | StepResult): Promise<number> => {
    const got = await firstResult(runner);
    return kind === 'forward' ? maxAbsDiff(got as ArrayLike<number>, against as ArrayLike<number>) : trainError(against as StepResult, got as StepResult);
  };

  const timeSystem = async (system: System, runner: Runner, steps: number, result: CaseResult): Promise<void> => {
    // The check was the warm-up (first run: pipelines compiled, buffers allocated). The first
    // timed run also counts the dispatches (the counter adds one increment a dispatch).
    let first = true;
    const samples = await timeRuns(
      async () => {
        if (!(first && system.onGpu)) return runner.run();
        first = false;
        const dispatches = await ctx.counter.countRun(() => runner.run());
        result.dispatchesPerRun = dispatches;
        result.dispatchesPerStep = dispatches === null ? null : dispatches / steps;
      },
      ctx.budget,
      (i) => ctx.progress(`timing run ${i}`, system.name),
    );
    const scale = T / steps;
    result.timedSteps = steps;
    result.runs = samples.length;
    result.medianMs = median(samples) * scale;
    result.minMs = Math.min(...samples) * scale;
    result.maxMs = Math.max(...samples) * scale;
    result.gflops = flops(kind, shape) / (result.medianMs * 1e6);
    if (steps < T)
      result.note = [result.note, `${system.name === 'ours' ? '' : 'checked and '}timed on the first ${steps} of ${T} steps, times ×${scale.toFixed(2)}`]
        .filter(Boolean)
        .join('; ');
    const scaled = steps < T ? ` (timed on ${steps} of ${T} steps, ×${scale.toFixed(2)})` : '';
    const disp = result.dispatchesPerRun !== null ? `, ${result.dispatchesPerRun} dispatches` : '';
    ctx.log(
      `${system.name.padEnd(12)} median ${result.medianMs.toFixed(2)} ms over ${samples.length} runs${scaled}${disp}, max error ${result.maxError?.toExponential(1)}`,
    );
  };

  // 1. Ours, checked against the Float64 reference (on the steps the reference can afford).
  const oursResult = emptyResult(kind, shape, 'ours');
  results.push(oursResult);
  let oursRunner: Runner | undefined;
  let refRunner: Runner | undefined;
  let refSteps = T;
  let oursSteps = T;
  try {
    ctx.progress('checking', 'ours');
    ({ steps: oursSteps, runner: oursRunner } = await chooseSteps(ctx.ours));
    oursFirst.set(oursSteps, await firstResult(oursRunner));
    ctx.progress('checking', 'reference');
    ({ steps: refSteps, runner: refRunner } = await chooseSteps(ctx.reference));
    oursResult.maxError = await check(refRunner, refSteps, await oursOn(refSteps));
    oursResult.valid = oursResult.maxError <= tolerance;
    if (refSteps < T) oursResult.note = `checked against the reference on the first ${refSteps} of ${T} steps`;
  } catch (e) {
    oursRunner?.dispose();
    refRunner?.dispose();
    oursResult.note = `failed: ${errorText(e)}`;
    ctx.log(`ours         ${oursResult.note}`);
    for (const p of ctx.peers) skip(p.name, 'not run: ours failed');
    return results;
  }
  if (!oursResult.valid) {
    oursResult.note = `differs from the reference by ${oursResult.maxError} > ${tolerance}: not timed`;
    ctx.log(`ours         INVALID: ${oursResult.note}`);
    oursRunner.dispose();
    refRunner.dispose();
    for (const p of ctx.peers) skip(p.name, 'not timed: ours disagrees with the reference');
    return results;
  }
  try {
    await timeSystem(ctx.ours, oursRunner, oursSteps, oursResult);
  } catch (e) {
    oursResult.valid = false;
    oursResult.note = `failed while timed: ${errorText(e)}`;
    ctx.log(`ours         ${oursResult.note}`);
  } finally {
    oursRunner.dispose();
  }

  // 2. Each peer, checked against ours, then timed.
  for (const system of ctx.peers) {
    const result = emptyResult(kind, shape, system.name);
    results.push(result);
    let runner: Runner | undefined;
    try {
      let steps: number;
      if (system.name === 'reference') {
        // Already checked (its result is ours' check); its model has run once.
        [runner, steps, refRunner] = [refRunner, refSteps, undefined];
        result.maxError = oursResult.maxError;
      } else {
        ctx.progress('checking', system.name);
        ({ steps, runner } = await chooseSteps(system));
        result.maxError = await check(runner, steps, await oursOn(steps));
      }
      result.valid = result.maxError! <= tolerance;
      if (!result.valid) {
        result.note = `differs from ours by ${result.maxError} > ${tolerance}: not timed`;
        ctx.log(`${system.name.padEnd(12)} INVALID: ${result.note}`);
        continue;
      }
      if (oursResult.medianMs !== null) await timeSystem(system, runner!, steps, result);
    } catch (e) {
      result.valid = false;
      result.note = `failed: ${errorText(e)}`;
      ctx.log(`${system.name.padEnd(12)} ${result.note}`);
    } finally {
      runner?.dispose();
    }
  }
  refRunner?.dispose();
  return results;
}
