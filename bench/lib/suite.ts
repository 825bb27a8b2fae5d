// The benchmark suite, the same in Node and in the browser page: for every case, give every
// system our weights, check its result against ours (ours against the Float64 reference),
// then time it. All systems run in this one process on the same adapter, one after another.
import * as tf from '@tensorflow/tfjs-core';
import type { Gpu } from 'webgpu-rnn';
import { casesFor } from './cases.js';
import { measureLimits } from './limits.js';
import { runCase } from './runCase.js';
import { caseLabel, flops } from './stats.js';
import { predictLoopSystem } from './generateSystems.js';
import type { OnnxSystemName } from './onnxSystem.js';
import { LEARNING_RATE, oursSystem, referenceSystem, tfjsSystem, type System, type TfjsSystem } from './systems.js';
import { type Budget, DispatchCounter } from './timing.js';
import {
  type BenchOptions,
  type BenchResult,
  type CaseResult,
  GENERATE_PROMPT_LENGTH,
  GENERATE_VOCABULARY,
  type Limits,
  type ProgressEvent,
  type Shape,
} from './types.js';

export { casesFor } from './cases.js';
export { FORWARD_TOLERANCE, GENERATE_TOLERANCE, TRAIN_TOLERANCE } from './validate.js';

export interface SuiteEnvironment {
  gpu: Gpu;
  runtime: 'node' | 'chromium';
  /** Peers whose TF.js backend is registered here (others are reported unavailable). */
  tfjsAvailable: Partial<Record<TfjsSystem, true | string>>;
  /** ONNX Runtime's peers (bench/lib/onnxSystem.ts; Node: onnxruntime, Chromium: ort-web-*), or why each is unavailable. */
  onnx?: Partial<Record<OnnxSystemName, System | string>>;
  onProgress(event: ProgressEvent): void;
  /** One line of log (a finished measurement, a note). */
  log(line: string): void;
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
    if (name === 'reference' || name === 'predict-loop') {
      peers.push(name === 'reference' ? referenceSystem() : predictLoopSystem(gpu));
      continue;
    }
    if (name === 'onnxruntime' || name.startsWith('ort-web-')) {
      const peer = env.onnx?.[name as OnnxSystemName];
      if (typeof peer === 'object') peers.push(peer);
      else
        unavailable.push({
          system: name,
          reason: peer ?? `not in this runtime (${name === 'onnxruntime' ? 'Node only: onnxruntime-node' : 'Chromium only: onnxruntime-web'})`,
        });
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
      settleTuning: gpu.tuner.mode === 'off' ? undefined : () => gpu.tuner.settled(),
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
      "Where five runs of the full sequence did not fit a system's time budget, it was timed on the first timedSteps steps and its times multiplied by T / timedSteps (see the note of each row): a forward, a training step or a generated token does the same work at every step, so this scales exactly up to the fixed cost of a call, which it overstates (against that system) by well under 1 % at these sizes. Ours always runs the full sequence.",
    );
  }
  notes.push(
    `Every run reads its result back to the CPU (the output of a forward, the loss of a training step, the tokens of a generation). Training: plain SGD, lr ${LEARNING_RATE}, MSE on a Dense(1) head, FLOPs counted as 3× the LSTM forward.`,
  );
  if (cases.some((c) => c.kind === 'generate')) {
    notes.push(
      `Generate: Embedding(${GENERATE_VOCABULARY} → D) → LSTM(H) → Dense(${GENERATE_VOCABULARY}, softmax), greedy (temperature 0), T tokens after a prompt of ${GENERATE_PROMPT_LENGTH} seeded ids in each of B rows; every system must produce ours' tokens. tokens/s = T·B / median seconds. Ours: generate(), 32 tokens a submit; predict-loop: a stateful copy of the model, one predict, one readback and a CPU argmax a token; reference: the Float64 twin stepping one token a predict; TF.js: a stateful model, argMax kept on the backend, one readback at the end.`,
    );
  }
  notes.push(
    'All ratios come from one process and one adapter; the machine may have been shared with other work, which slows every system alike only on average.',
  );

  return {
    adapter: { vendor: gpu.info.vendor, architecture: gpu.info.architecture, description: gpu.info.description, isSoftware: gpu.info.isSoftware },
    runtime: env.runtime,
    adapterChoice: options.adapter,
    tune: gpu.tuner.mode,
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
