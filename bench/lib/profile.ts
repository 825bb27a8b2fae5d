// `npm run bench -- --profile`: per case, the dispatches one run of ours encodes (Gpu.recordDispatches,
// the kernels' work formulas) and what the roofline cost model makes of them on each device
// profile, beside the modeled ideal of the case. Nothing is timed: every figure but the adapter's
// name is *modeled* or counted, and holds on any adapter.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DispatchLog, type DispatchRecord, type Gpu } from 'webgpu-rnn';
import { caseInputs } from './cases.js';
import { RESULTS_DIR } from './cli.js';
import { type KernelSummary, modelIdeal, modelRecords, PROFILE_LIST, summarizeByKernel, totalWork, workgroupCount } from './costModel.js';
import { idealForward, idealGenerate, idealTrain } from './idealWork.js';
import { type PassTime, summarizePasses, timePasses } from './passTiming.js';
import { caseLabel } from './stats.js';
import { oursSystem } from './systems.js';
import { type CaseSpec, GENERATE_PROMPT_LENGTH, GENERATE_VOCABULARY } from './types.js';

export interface ProfiledCase {
  label: string;
  dispatches: number;
  workgroupsMin: number;
  workgroupsMedian: number;
  flops: number;
  bytes: number;
  kernels: KernelSummary[];
  /** Per device profile: modeled seconds of ours and of the ideal (one dispatch, minimum work). */
  modeled: { profile: string; oursS: number; idealS: number; dispatchBoundS: number }[];
  /** Measured on this adapter (timestamp queries; absent without them): each pass's GPU time, summed over a run's repeats. */
  passes?: PassTime[];
}

export interface ProfileResult {
  adapter: string;
  profiles: { name: string; label: string }[];
  cases: ProfiledCase[];
}

/** Records one run of ours (after its warm-up run) of each case. */
export async function profileCases(gpu: Gpu, cases: readonly CaseSpec[], log: (line: string) => void): Promise<ProfileResult> {
  const result: ProfileResult = {
    adapter: `${gpu.info.vendor} / ${gpu.info.architecture} — "${gpu.info.description}"`,
    profiles: PROFILE_LIST.map(({ name, label }) => ({ name, label })),
    cases: [],
  };
  for (const spec of cases) {
    const { kind, shape } = spec;
    const label = caseLabel(kind, shape);
    const problem = { kind, shape, ...caseInputs(kind, shape, 1) };
    const runner = await oursSystem(gpu).prepare(problem);
    try {
      await runner.run();
      // With --tune: the trials the first run queued, then once more so that the chosen forms are compiled.
      if (gpu.tuner.mode !== 'off') {
        await gpu.tuner.settled();
        await runner.run();
      }
      const records = new DispatchLog();
      await gpu.recordDispatches(records, () => runner.run());
      const passes = await timePasses(gpu, () => runner.run());
      result.cases.push({ ...profiledCase(label, spec, records.records), passes: passes && summarizePasses(passes) });
      log(`profiled ${label}: ${records.records.length} dispatches${passes ? `, ${passes.length} passes timed` : ''}`);
    } finally {
      runner.dispose();
    }
  }
  return result;
}

function profiledCase(label: string, { kind, shape }: CaseSpec, records: readonly DispatchRecord[]): ProfiledCase {
  const groups = records.map(workgroupCount).sort((a, b) => a - b);
  const mid = groups.length >> 1;
  const work = totalWork(records);
  const ideal =
    kind === 'forward'
      ? idealForward({ cell: 'lstm', shape })
      : kind === 'train'
        ? idealTrain({ cell: 'lstm', shape, denseUnits: 1 })
        : idealGenerate({ cell: 'lstm', shape, V: GENERATE_VOCABULARY, promptLength: GENERATE_PROMPT_LENGTH });
  return {
    label,
    dispatches: records.length,
    workgroupsMin: groups[0] ?? 0,
    workgroupsMedian: groups.length % 2 ? groups[mid] : (groups[mid - 1] + groups[mid]) / 2,
    flops: work.flops,
    bytes: work.bytesRead + work.bytesWritten,
    kernels: summarizeByKernel(records),
    modeled: PROFILE_LIST.map((p) => {
      const ours = modelRecords(records, p);
      return { profile: p.name, oursS: ours.seconds, idealS: modelIdeal(ideal, p), dispatchBoundS: ours.byBound.dispatch };
    }),
  };
}

const num = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : `${n}`);
const ms = (s: number) => `${(s * 1e3).toPrecision(3)} ms`;

/** The profile as Markdown: a table of cases, a modeled-time table, one kernel table per case. */
export function profileMarkdown(r: ProfileResult): string {
  const lines = [
    '# Dispatch profile and *modeled* GPU time',
    '',
    `Records from one run of each case on ${r.adapter}. Modeled times come from bench/lib/costModel.ts`,
    '(a roofline per dispatch; see bench/README.md): *modeled*, they rank designs, they are not measurements.',
    '',
    '| case | dispatches | workgroups / dispatch (min / median) | FLOPs | bytes |',
    '|---|---:|---:|---:|---:|',
    ...r.cases.map((c) => `| ${c.label} | ${c.dispatches} | ${c.workgroupsMin} / ${c.workgroupsMedian} | ${num(c.flops)} | ${num(c.bytes)}B |`),
    '',
    `| case | ${r.profiles.map((p) => `${p.name}: ours / ideal (× of ideal; dispatch-bound share)`).join(' | ')} |`,
    `|---|${r.profiles.map(() => '---:').join('|')}|`,
    ...r.cases.map(
      (c) =>
        `| ${c.label} | ${c.modeled.map((m) => `${ms(m.oursS)} / ${ms(m.idealS)} (${(m.oursS / m.idealS).toFixed(1)}×; ${((100 * m.dispatchBoundS) / m.oursS).toFixed(0)} %)`).join(' | ')} |`,
    ),
    '',
    ...r.profiles.map((p) => `- ${p.name}: ${p.label}`),
  ];
  for (const c of r.cases) {
    lines.push('', `## ${c.label}`, '', '| kernel | dispatches | workgroups (min / median) | FLOPs | bytes |', '|---|---:|---:|---:|---:|');
    for (const k of c.kernels)
      lines.push(`| ${k.kernel} | ${k.dispatches} | ${k.workgroupsMin} / ${k.workgroupsMedian} | ${num(k.flops)} | ${num(k.bytes)}B |`);
    if (c.passes?.length) {
      const total = c.passes.reduce((sum, p) => sum + p.measuredMs, 0);
      lines.push(
        '',
        `Measured GPU time per pass on ${r.adapter} (timestamp queries, one run: ${total.toPrecision(3)} ms in passes), beside the *modeled* time of the same dispatches:`,
        '',
        `| pass | kernels | dispatches | measured | ${r.profiles.map((p) => `${p.name} *modeled*`).join(' | ')} |`,
        `|---|---|---:|---:|${r.profiles.map(() => '---:').join('|')}|`,
      );
      for (const p of c.passes)
        lines.push(
          `| ${p.label} | ${p.kernels.join(', ')} | ${p.dispatches} | ${p.measuredMs.toPrecision(3)} ms | ${r.profiles.map((q) => `${(p.modeledMs[q.name] ?? 0).toPrecision(3)} ms`).join(' | ')} |`,
        );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Writes results/profile[-quick].json and .md (or `out` and its .md beside); returns the Markdown. */
export async function writeProfile(r: ProfileResult, quick: boolean, out?: string): Promise<{ markdown: string; files: string[] }> {
  const base = out ? out.replace(/\.json$/, '') : join(RESULTS_DIR, quick ? 'profile-quick' : 'profile');
  await mkdir(dirname(base), { recursive: true });
  const markdown = profileMarkdown(r);
  await writeFile(`${base}.json`, `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(`${base}.md`, markdown);
  return { markdown, files: [`${base}.json`, `${base}.md`] };
}
