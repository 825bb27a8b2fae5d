// `npm run bench -- --kernel NAME|all|list [--quick] [--adapter …]`: the kernel
// micro-benchmarks, on a device of the source's runtime (src/, not dist/).
import { createDevice } from '../../src/runtime/createDevice.js';
import type { AdapterChoice } from '../lib/types.js';
import { type CaseReport, FULL_TIMING, QUICK_TIMING, runBench } from './harness.js';
import { KERNEL_BENCHES } from './registry.js';

export interface KernelRunOptions {
  /** A kernel name, 'all' or 'list'. */
  kernel: string;
  quick: boolean;
  adapter: AdapterChoice;
}

/** Runs the selected benches; returns the process's exit code (1 if any check failed). */
export async function runKernelBenches(options: KernelRunOptions, log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  if (options.kernel === 'list') {
    const width = Math.max(...[...KERNEL_BENCHES.keys()].map((k) => k.length));
    for (const b of KERNEL_BENCHES.values()) log(`${b.name.padEnd(width)}  ${b.what}`);
    return 0;
  }
  const selected = options.kernel === 'all' ? [...KERNEL_BENCHES.values()] : [KERNEL_BENCHES.get(options.kernel)];
  if (selected[0] === undefined) {
    throw new Error(`--kernel ${options.kernel}: no such kernel bench; the kernels are ${[...KERNEL_BENCHES.keys()].join(', ')} (or all, list).`);
  }
  const gpu = await createDevice({ adapter: options.adapter, quiet: true });
  const { info } = gpu;
  log(`adapter: ${info.vendor} / ${info.architecture} — "${info.description}"${info.isSoftware ? ' (software: not a GPU)' : ''}`);
  log(`shapes: ${options.quick ? 'quick (small)' : 'full'}; a timed run is one compute pass, submitted and waited for`);
  const reports: CaseReport[] = [];
  try {
    for (const bench of selected) {
      if (!bench) continue;
      log('');
      log(`== ${bench.name}: ${bench.what}`);
      reports.push(...(await runBench(gpu, bench, options.quick, options.quick ? QUICK_TIMING : FULL_TIMING, log)));
    }
  } finally {
    gpu.destroy();
  }
  const failed = reports.filter((r) => !r.ok);
  log('');
  log(
    `${reports.length - failed.length} of ${reports.length} cases matched their twin${failed.length ? `; failed: ${failed.map((r) => `${r.kernel} ${r.label}`).join(', ')}` : ''}.`,
  );
  return failed.length ? 1 : 0;
}
