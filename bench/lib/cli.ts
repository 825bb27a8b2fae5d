// Shared by both entry points: command-line options, the progress line, writing the results.
import { Command, Option } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chartSvg } from './chart.js';
import { adapterName, headline, markdown } from './report.js';
import { fmtDuration } from './stats.js';
import { SYSTEMS, type AdapterChoice, type BenchOptions, type BenchResult, type ProgressEvent, type SystemName } from './types.js';

export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

export interface CliOptions extends BenchOptions {
  out?: string;
  /** Node only: a kernel micro-benchmark (bench/kernels) instead of the suite: a name, 'all' or 'list'. */
  kernel?: string;
  /** Node only: record each case's dispatches and print the cost model's modeled GPU times instead of timing. */
  profile?: boolean;
}

export function parseArgs(argv: string[], runtime: 'node' | 'chromium'): CliOptions {
  const program = new Command()
    .name(runtime === 'node' ? 'npm run bench --' : 'npm run bench:browser --')
    .description(
      `LSTM forward, training step and greedy generation: ours (WebGPU) against our CPU reference and TensorFlow.js, in ${runtime === 'node' ? 'Node (Dawn)' : 'headless Chromium'}, on one adapter, in one process.`,
    )
    .option(
      '--quick',
      'the small set (the main cases: two forwards, a training step, a generation; no sweep): under 5 minutes on a 2-core software adapter',
      false,
    )
    .option('--filter <regex>', 'run only the cases whose label matches, e.g. "forward B=1 ", "H=256" or "generate"')
    .option('--out <file>', 'write the JSON result here (and .md, .svg beside it) instead of bench/results/latest.*')
    .addOption(new Option('--adapter <name>', 'WebGPU adapter').choices(['default', 'swiftshader', 'lavapipe']).default('default'))
    .option('--systems <list>', 'comma-separated peers to time beside ours', SYSTEMS.filter((s) => s !== 'ours').join(','))
    .option('--no-train', 'leave out the training-step cases');
  if (runtime === 'node') {
    program.option(
      '--kernel <name>',
      'instead of the suite, the micro-benchmark of one kernel of src/kernels (its shader\'s name), "all", or "list"; with --quick, small shapes',
    );
    program.addOption(
      new Option('--tune <mode>', "createDevice's tune for ours: the kernel forms timed on this adapter before ours is timed ('off': the cost model's)")
        .choices(['off', 'fast', 'full'])
        .default('off'),
    );
    program.option(
      '--profile',
      'instead of timing: per case and per kernel, dispatches, workgroups, FLOPs and bytes, and the modeled time on each GPU profile (bench/lib/costModel.ts)',
      false,
    );
  }
  program.parse(argv, { from: 'user' });
  const o = program.opts<{
    quick: boolean;
    filter?: string;
    out?: string;
    adapter: AdapterChoice;
    systems: string;
    train: boolean;
    kernel?: string;
    profile?: boolean;
    tune?: 'off' | 'fast' | 'full';
  }>();
  const systems = o.systems
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as SystemName[];
  for (const s of systems) if (!SYSTEMS.includes(s)) program.error(`unknown system '${s}' (known: ${SYSTEMS.join(', ')})`);
  if (o.filter) {
    try {
      new RegExp(o.filter);
    } catch (e) {
      program.error(`--filter: ${(e as Error).message}`);
    }
  }
  return { quick: o.quick, filter: o.filter, out: o.out, adapter: o.adapter, systems, train: o.train, kernel: o.kernel, profile: !!o.profile, tune: o.tune };
}

/** One status line on stderr, redrawn in place on a terminal; log lines print above it. */
export class Progress {
  private readonly tty = !!process.stderr.isTTY;
  private readonly started = performance.now();
  private shown = '';
  private lastPlain = '';
  private timer: NodeJS.Timeout | undefined;
  private event: ProgressEvent | undefined;

  constructor() {
    if (this.tty) this.timer = setInterval(() => this.draw(), 1000).unref();
  }

  update(event: ProgressEvent): void {
    this.event = event;
    this.draw();
  }

  log(line: string): void {
    this.clear();
    process.stdout.write(`${line}\n`);
    this.draw();
  }

  private line(): string {
    const e = this.event;
    if (!e) return '';
    const elapsed = fmtDuration((performance.now() - this.started) / 1000);
    return `[${e.index}/${e.total} · ${elapsed}] ${e.label}${e.system ? ` · ${e.system}` : ''} · ${e.phase}`;
  }

  private draw(): void {
    const line = this.line();
    if (!line) return;
    if (this.tty) {
      const width = process.stderr.columns || 120;
      this.shown = line.slice(0, width - 1);
      process.stderr.write(`\r\x1b[2K${this.shown}`);
    } else {
      // Not a terminal: one line per system and phase kind, not per run.
      const key = line.replace(/^\[[^\]]*\] /, '').replace(/run \d+/, 'runs');
      if (key !== this.lastPlain) {
        this.lastPlain = key;
        process.stderr.write(`${line}\n`);
      }
    }
  }

  private clear(): void {
    if (this.tty && this.shown) process.stderr.write('\r\x1b[2K');
    this.shown = '';
  }

  done(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }
}

/** Writes JSON, markdown and SVG; returns the markdown. */
export async function writeResults(result: BenchResult, out: string | undefined): Promise<{ markdown: string; files: string[] }> {
  const files: string[] = [];
  const svg = await chartSvg(result);
  const write = async (path: string, text: string) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    files.push(relative(process.cwd(), path) || path);
  };
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (out) {
    const base = out.slice(0, out.length - extname(out).length);
    const md = markdown(result, `${basename(base)}.svg`);
    await write(resolve(out), json);
    await write(resolve(`${base}.md`), md);
    await write(resolve(`${base}.svg`), svg);
    return { markdown: md, files };
  }
  // latest.* is the last run; <runtime>-<adapter>[-quick].* the last of each configuration;
  // history/ keeps a dated copy of every JSON.
  const config = `${result.runtime}-${adapterName(result)}${result.quick ? '-quick' : ''}`;
  const md = markdown(result, 'latest.svg');
  await write(join(RESULTS_DIR, 'latest.json'), json);
  await write(join(RESULTS_DIR, 'latest.md'), md);
  await write(join(RESULTS_DIR, 'latest.svg'), svg);
  await write(join(RESULTS_DIR, `${config}.json`), json);
  await write(join(RESULTS_DIR, `${config}.md`), markdown(result, `${config}.svg`));
  await write(join(RESULTS_DIR, `${config}.svg`), svg);
  await write(join(RESULTS_DIR, 'history', `${result.date.replace(/[:.]/g, '-')}-${config}.json`), json);
  return { markdown: md, files };
}

export function printSummary(result: BenchResult, md: string, files: string[]): void {
  process.stdout.write(`\n${md}\n`);
  process.stdout.write('Headline (ratios from one process, on the adapter named above):\n');
  for (const line of headline(result)) process.stdout.write(`  ${line}\n`);
  process.stdout.write(`\nWrote ${files.join(', ')} in ${fmtDuration(result.durationS)}.\n`);
}
