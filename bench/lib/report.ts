// The markdown report of a result: the adapter and its measured limits, the headline ratios,
// one row per case and system, and ours against the adapter's limits.
import { caseLabel, fmtDuration, fmtErr, fmtMs, fmtNum, fmtRatio } from './stats.js';
import type { BenchResult, CaseResult } from './types.js';

export function adapterLine(r: BenchResult): string {
  const a = r.adapter;
  const soft = a.isSoftware ? 'a software adapter (CPU), not a GPU' : 'hardware adapter';
  return `${a.vendor} / ${a.architecture} — "${a.description}" (${soft}; runtime ${r.runtime}, --adapter ${r.adapterChoice}${r.tune && r.tune !== 'off' ? `, --tune ${r.tune}` : ''})`;
}

/** 'swiftshader', 'lavapipe', or vendor-architecture for anything else. */
export function adapterName(r: BenchResult): string {
  const a = r.adapter;
  const all = `${a.vendor} ${a.architecture} ${a.description}`;
  if (/swiftshader/i.test(all)) return 'swiftshader';
  if (/llvmpipe|lavapipe/i.test(all)) return 'lavapipe';
  return (
    `${a.vendor}-${a.architecture}`
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'adapter'
  );
}

/** The lines that say, per case, ours against each peer (printed first, and in the report). */
export function headline(r: BenchResult): string[] {
  const lines: string[] = [];
  const labels = [...new Set(r.cases.map((c) => caseLabel(c.kind, c.shape)))];
  for (const label of labels) {
    const rows = r.cases.filter((c) => caseLabel(c.kind, c.shape) === label);
    const ours = rows.find((c) => c.system === 'ours');
    if (!ours) continue;
    if (!ours.valid || ours.medianMs === null) {
      lines.push(`${label}: ours ${ours.note ?? 'invalid'}`);
      continue;
    }
    const time = (c: CaseResult) => `${fmtMs(c.medianMs)}${c.kind !== 'generate' ? '' : `, ${fmtNum(c.tokensPerSecond, 1)} tokens/s`}`;
    const parts = rows
      .filter((c) => c.system !== 'ours')
      .map((c) => (c.valid && c.medianMs !== null ? `${c.system} ${time(c)} (${ratioWords(c.ratioToOurs)})` : `${c.system} ${c.note ?? 'invalid'}`));
    const check = ours.kind === 'generate' ? `${ours.maxError} token ids differ from the reference's` : `max |ours − reference| ${fmtErr(ours.maxError)}`;
    lines.push(`${label}: ours ${time(ours)}, ${check}${parts.length ? ` · ${parts.join(' · ')}` : ''}`);
  }
  return lines;
}

/** "ours 3.2× faster" / "ours 4.1× slower" for a peer time ÷ ours time. */
export function ratioWords(ratio: number | null): string {
  if (ratio === null) return 'no ratio';
  return ratio >= 1 ? `ours ${fmtRatio(ratio)} faster` : `ours ${fmtRatio(1 / ratio)} slower`;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function markdown(r: BenchResult, chartFile?: string): string {
  const out: string[] = [];
  out.push(`# webgpu-rnn benchmark: ${r.runtime}, ${adapterName(r)}${r.quick ? ' (--quick)' : ' (full run)'}`);
  out.push('');
  out.push(`- Adapter: ${adapterLine(r)}`);
  out.push(
    `- Date: ${r.date}; whole run ${fmtDuration(r.durationS)}; TF.js ${r.environment.tfjs}${r.environment.wasmFlavor ? `, wasm backend: ${r.environment.wasmFlavor}` : ''}`,
  );
  if (r.environment.userAgent)
    out.push(`- ${r.runtime === 'chromium' ? 'Browser' : 'Runtime'}: ${r.environment.userAgent}${r.environment.cpus ? `, ${r.environment.cpus} CPUs` : ''}`);
  const l = r.limits;
  out.push(
    `- Limits measured in this run (fastest of ≥ 5 runs): our GEMM kernel's best ${fmtNum(l.gemmGflops)} GFLOP/s at ${l.gemmSize}³ (${l.gemmSizes
      .map((s) => `${s.size}³: ${fmtMs(s.bestMs ?? s.medianMs)}`)
      .join(', ')}); an empty dispatch in one pass ${fmtNum(l.emptyDispatchUs)} µs (pass of ${l.emptyDispatchCount}).`,
  );
  for (const u of r.unavailable) out.push(`- Not run: ${u.system}: ${u.reason}`);
  out.push('');
  out.push('## Headline');
  out.push('');
  for (const line of headline(r)) out.push(`- ${line}`);
  out.push('');
  out.push('## All cases');
  out.push('');
  out.push(
    'Median, min and max of the timed runs after a warm-up; GFLOP/s = 2·T·B·4H·(D+H) (×3 for a training step; generate: + T·B·(2·H·V + V)) over the median; "peer ÷ ours" is the peer\'s median over ours (above 1: ours is faster); tokens/s (generate) = T·B over the median, and its dispatches / step are per token. Max error: ours against the Float64 reference, a peer against ours (train: relative error of loss and applied gradient; generate: token ids that differ).',
  );
  out.push('');
  out.push(row(['case', 'system', 'median', 'min – max', 'runs', 'GFLOP/s', 'dispatches / step', 'max error', 'valid', 'peer ÷ ours', 'tokens/s', 'note']));
  out.push(row(Array(12).fill('---')));
  for (const c of r.cases) {
    out.push(
      row([
        caseLabel(c.kind, c.shape),
        c.system,
        fmtMs(c.medianMs),
        c.minMs === null ? '—' : `${fmtMs(c.minMs)} – ${fmtMs(c.maxMs)}`,
        String(c.runs),
        fmtNum(c.gflops, 3),
        c.dispatchesPerStep === null ? '—' : fmtNum(c.dispatchesPerStep, 2),
        c.kind === 'generate' ? String(c.maxError ?? '—') : fmtErr(c.maxError),
        c.valid ? 'yes' : '**no**',
        c.system === 'ours' ? '1' : fmtRatio(c.ratioToOurs),
        fmtNum(c.tokensPerSecond, 1),
        c.note ?? '',
      ]),
    );
  }
  out.push('');
  out.push("## Ours against the adapter's limits");
  out.push('');
  out.push(
    'Bound = empty dispatch × dispatches of the run + FLOPs at the best GEMM rate; "of limit" = bound ÷ median (1 would be as fast as this adapter allows our kernels). Bytes: napkin count of one run (inputs, weights, gate buffers, Wh re-read every step).',
  );
  out.push('');
  out.push(row(['case', 'median', 'bound', 'of limit', 'GFLOP/s', 'of GEMM rate', 'dispatches / run', 'MB / run']));
  out.push(row(Array(8).fill('---')));
  for (const c of r.cases.filter((c: CaseResult) => c.system === 'ours' && c.medianMs !== null)) {
    const bound = c.fractionOfLimit === null ? null : c.fractionOfLimit * c.medianMs!;
    out.push(
      row([
        caseLabel(c.kind, c.shape),
        fmtMs(c.medianMs),
        fmtMs(bound),
        fmtNum(c.fractionOfLimit, 3),
        fmtNum(c.gflops, 3),
        fmtNum(c.fractionOfGemmRate, 3),
        String(c.dispatchesPerRun ?? '—'),
        (c.bytesPerRun / 1e6).toFixed(1),
      ]),
    );
  }
  out.push('');
  if (chartFile) {
    out.push(`![time per case per system](${chartFile})`);
    out.push('');
  }
  out.push('## Notes');
  out.push('');
  for (const n of r.notes) out.push(`- ${n}`);
  out.push('');
  return out.join('\n');
}
