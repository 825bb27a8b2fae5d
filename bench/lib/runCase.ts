// One case of the suite: ours checked against the Float64 reference and timed, then each peer
// checked against ours and timed (see bench/README.md, "What one run does").
import { caseInputs, prefix } from './cases.js';
import { bytesPerRun, flops, maxAbsDiff, median, tokensPerSecond } from './stats.js';
import type { Problem, Runner, System } from './systems.js';
import { type Budget, type DispatchCounter, timeRuns } from './timing.js';
import type { CaseResult, CaseSpec, Kind, Shape, SystemName } from './types.js';
import { type StepResult, TOLERANCES, tokenError, trainError, trainStep } from './validate.js';

export interface CaseContext {
  ours: System;
  reference: System;
  peers: System[];
  counter: DispatchCounter;
  budget: Budget;
  progress(phase: string, system?: string): void;
  log(line: string): void;
  seed: number;
  /** With --tune: resolves when the trials ours' first run queued have run (ours runs once more after, so that the chosen forms compile before timing). */
  settleTuning?: () => Promise<void>;
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
    tokensPerSecond: null,
    maxError: null,
    tolerance: TOLERANCES[kind],
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

export async function runCase(spec: CaseSpec, ctx: CaseContext): Promise<CaseResult[]> {
  const { kind, shape } = spec;
  const { T } = shape;
  const tolerance = TOLERANCES[kind];
  const unit = kind === 'generate' ? 'tokens' : 'steps';
  const differs = (whom: string, error: number | null, steps: number): string =>
    kind === 'generate' ? `${error} of ${shape.B * steps} token ids differ from ${whom}'s` : `differs from ${whom} by ${error} > ${tolerance}`;
  const { x, y, weights } = caseInputs(kind, shape, ctx.seed);
  const problem = (steps: number): Problem => ({ kind, shape: { ...shape, T: steps }, x: prefix(kind, x, shape, steps), y, weights });
  const results: CaseResult[] = [];
  const skip = (system: SystemName, note: string): void => {
    results.push({ ...emptyResult(kind, shape, system), note });
    ctx.log(`${system.padEnd(12)} ${note}`);
  };

  /** The first result of a fresh model: the forward output or the tokens, or the first training step. */
  const firstResult = async (runner: Runner): Promise<ArrayLike<number> | StepResult> =>
    kind === 'train' ? trainStep(runner, weights) : ((await runner.run()) as ArrayLike<number>);

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
   * update that does not depend on T and is small against the rest (< 1 % at these shapes);
   * so does a generated token (every system steps a carried state, one token at a time).
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
    if (kind === 'train') return trainError(against as StepResult, got as StepResult);
    const [ours, other] = [against, got] as ArrayLike<number>[];
    return kind === 'generate' ? tokenError(ours, other) : maxAbsDiff(ours, other);
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
    result.tokensPerSecond = tokensPerSecond(kind, shape, result.medianMs);
    if (steps < T)
      result.note = [result.note, `${system.name === 'ours' ? '' : 'checked and '}timed on the first ${steps} of ${T} ${unit}, times ×${scale.toFixed(2)}`]
        .filter(Boolean)
        .join('; ');
    const scaled = steps < T ? ` (timed on ${steps} of ${T} ${unit}, ×${scale.toFixed(2)})` : '';
    const disp = result.dispatchesPerRun !== null ? `, ${result.dispatchesPerRun} dispatches` : '';
    const error =
      kind === 'generate'
        ? `, ${result.tokensPerSecond?.toFixed(1)} tokens/s, ${result.maxError} tokens differ`
        : `, max error ${result.maxError?.toExponential(1)}`;
    ctx.log(`${system.name.padEnd(12)} median ${result.medianMs.toFixed(2)} ms over ${samples.length} runs${scaled}${disp}${error}`);
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
    if (ctx.settleTuning) {
      ctx.progress('tuning', 'ours');
      await ctx.settleTuning();
      await oursRunner.run();
    }
    ctx.progress('checking', 'reference');
    ({ steps: refSteps, runner: refRunner } = await chooseSteps(ctx.reference));
    oursResult.maxError = await check(refRunner, refSteps, await oursOn(refSteps));
    oursResult.valid = oursResult.maxError <= tolerance;
    if (refSteps < T) oursResult.note = `checked against the reference on the first ${refSteps} of ${T} ${unit}`;
  } catch (e) {
    oursRunner?.dispose();
    refRunner?.dispose();
    oursResult.note = `failed: ${errorText(e)}`;
    ctx.log(`ours         ${oursResult.note}`);
    for (const p of ctx.peers) skip(p.name, 'not run: ours failed');
    return results;
  }
  if (!oursResult.valid) {
    oursResult.note = `${differs('the reference', oursResult.maxError, refSteps)}: not timed`;
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
    if (system.kinds && !system.kinds.includes(kind)) {
      skip(system.name, `runs ${system.kinds.join(' and ')} cases only`);
      continue;
    }
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
        result.note = `${differs('ours', result.maxError, steps)}: not timed`;
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
