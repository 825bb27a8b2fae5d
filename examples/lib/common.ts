// Shared by the examples: option parsers for commander, the adapter line, epoch logs (for fits
// without `verbose: 1`), and timing.
import { InvalidArgumentError } from 'commander';
import { createDevice, type AdapterChoice, type FitCallbacks, type Gpu, type Logs } from '../../src/index.js';

const ADAPTERS: readonly AdapterChoice[] = ['default', 'swiftshader', 'lavapipe'];
let adapter: AdapterChoice = 'default';

/** The adapter openGpu asks for (examples/run.ts's `--adapter`, shared by every example). */
export function setAdapter(name: string): void {
  if (!ADAPTERS.includes(name as AdapterChoice)) throw new InvalidArgumentError(`--adapter is one of ${ADAPTERS.join(', ')}, got '${name}'.`);
  adapter = name as AdapterChoice;
}

/** commander parser: a whole number ≥ `min`. */
export function wholeNumber(min = 1): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}, got '${value}'.`);
    return n;
  };
}

/** commander parser: a finite number in [min, max]. */
export function realNumber(min = -Infinity, max = Infinity): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a number in [${min}, ${max}], got '${value}'.`);
    }
    return n;
  };
}

/** The device the example runs on, after printing which adapter it is. */
export async function openGpu(): Promise<Gpu> {
  const gpu = await createDevice({ adapter, quiet: true });
  const { description, vendor, isSoftware } = gpu.info;
  const name = description || vendor || 'unnamed adapter';
  console.log(`Adapter: ${name}${isSoftware ? ' (a software adapter: a CPU emulating a GPU, so timings say nothing of a GPU)' : ''}`);
  return gpu;
}

/** Callbacks printing one line per epoch: its losses and metrics and the seconds it took. */
export function epochLogger(epochs: number): FitCallbacks {
  let start = performance.now();
  return {
    onEpochBegin: () => {
      start = performance.now();
    },
    onEpochEnd: (epoch: number, logs: Logs) => {
      const figures = Object.entries(logs).map(([k, v]) => `${k} ${v.toFixed(4)}`);
      console.log(`  epoch ${epoch + 1}/${epochs}: ${figures.join(', ')} (${seconds(start)})`);
    },
  };
}

/** Seconds since `start` (a performance.now() reading), as "12.3 s". */
export function seconds(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(1)} s`;
}

/** `value` as a percentage with one decimal. */
export function percent(value: number): string {
  return `${(100 * value).toFixed(1)} %`;
}
