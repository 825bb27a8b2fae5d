// The autotuner: which variant of a kernel runs is timed on this adapter instead of guessed.
// On first use of a (kernel family, rounded shape) the encoder gets the cost-model choice at
// once and a trial is queued: once the device's queue is idle, every candidate runs on zeroed
// buffers of that shape, a warm-up then `reps` timed submits, all on one clock (GPU timestamps
// where the device has 'timestamp-query' and they resolve every run, else the wall time to
// onSubmittedWorkDone), and the lowest median wins from then on (a tie keeps the cost model's
// choice). Trials record no dispatches. Choices are keyed by adapter, kept in memory and, with
// a TuneStore, persisted; what fails (a candidate, a save) is kept in `failures`.
import { BufferUsage, MapMode, READBACK_USAGE } from './gpuConstants.js';

/** 'off': always the cost-model choice (deterministic); 'fast': 3 timed runs a candidate; 'full': 10, on longer trials. */
export type TuneMode = 'off' | 'fast' | 'full';

export const TUNE_MODES: readonly TuneMode[] = ['off', 'fast', 'full'];

/** Where tuned choices persist between sessions: a file in Node, IndexedDB in a browser (tuneStore.*.ts). */
export interface TuneStore {
  /** Adds `entries` to what the store holds (merged with choices others saved meanwhile). */
  save(entries: Readonly<Record<string, string>>): Promise<void>;
}

/** What the tuner uses of its device (device.ts's Gpu, whose runs are RunScopes). */
export interface TunerHost<Run> {
  readonly device: GPUDevice;
  readonly info: { vendor: string; architecture: string; description: string; runtime: string; features: readonly string[] };
  /** Lost or destroyed: nothing runs on it any more. */
  readonly isGone: boolean;
  submit(what: string, encode: (encoder: GPUCommandEncoder, run: Run) => void): Promise<void>;
  /** `encode` with no dispatch recorded (a trial is not the caller's work). */
  unrecorded(encode: () => void): void;
}

/** One trial: buffers made for it, and the encoding of one candidate into a pass. */
export interface Trial<V extends string, Run> {
  buffers: GPUBuffer[];
  encode(pass: GPUComputePassEncoder, run: Run, variant: V): void;
}

/** What a tuned choice was timed at: each candidate's median in ms. */
export interface TuneRecord {
  key: string;
  winner: string;
  medians: Record<string, number>;
  clock: 'timestamp' | 'wall';
}

const REPS: Record<Exclude<TuneMode, 'off'>, number> = { fast: 3, full: 10 };

/** The power of two ≥ n: the shape buckets a choice holds for. */
export function shapeBucket(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

export class Tuner<Run> {
  private readonly chosen = new Map<string, string>();
  private readonly queued = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  /** The trials run so far, in order (what `--profile` and tests read). */
  readonly records: TuneRecord[] = [];
  /** What failed: a candidate that threw (left out of its trial), a trial's buffers, a save. */
  readonly failures: { key: string; error: string }[] = [];

  constructor(
    private readonly gpu: TunerHost<Run>,
    readonly mode: TuneMode,
    private readonly store?: TuneStore,
    stored: Readonly<Record<string, string>> = {},
  ) {
    for (const [key, variant] of Object.entries(stored)) this.chosen.set(key, variant);
  }

  /** Whether choose() can return anything but the cost model's choice (callers skip building a trial's key and arguments otherwise). */
  get active(): boolean {
    return this.mode !== 'off';
  }

  /** Steps a trial of a sequence kernel runs (of the sequence's T). */
  get trialSteps(): number {
    return this.mode === 'full' ? 64 : 16;
  }

  /**
   * The variant of `family` to encode for `shape` (a key of rounded sizes): the tuned one when
   * known and among `candidates`, else `fallback`; with tuning on, an untimed key queues
   * `trial()` (made when it runs, its buffers destroyed after).
   */
  choose<V extends string>(family: string, shape: string, candidates: readonly V[], fallback: V, trial: () => Trial<V, Run>): V {
    if (this.mode === 'off') return fallback;
    const key = `${this.adapterKey}|${family}|${shape}`;
    const known = this.chosen.get(key) as V | undefined;
    if (known !== undefined && candidates.includes(known)) return known;
    if (candidates.length < 2 || this.queued.has(key)) return fallback;
    this.queued.add(key);
    this.queue = this.queue.then(() => this.runTrial(key, candidates, fallback, trial)).catch((e: unknown) => void this.fail(key, e));
    return fallback;
  }

  /** Resolves when every queued trial has run (and the choices are saved, with a store). */
  settled(): Promise<void> {
    return this.queue;
  }

  /** The tuned choices, key → variant. */
  entries(): Record<string, string> {
    return Object.fromEntries(this.chosen);
  }

  private get adapterKey(): string {
    const { vendor, architecture, description, runtime } = this.gpu.info;
    return [vendor, architecture, description, runtime].join('/');
  }

  private fail(key: string, error: unknown): void {
    this.failures.push({ key, error: error instanceof Error ? error.message : String(error) });
  }

  private async runTrial<V extends string>(key: string, candidates: readonly V[], fallback: V, makeTrial: () => Trial<V, Run>): Promise<void> {
    if (this.gpu.isGone) return;
    const { device } = this.gpu;
    device.pushErrorScope('out-of-memory');
    const trial = makeTrial();
    const oom = await device.popErrorScope();
    try {
      if (oom) throw new Error(`no memory for the trial's buffers: ${oom.message}`);
      await device.queue.onSubmittedWorkDone(); // the caller's work is not timed with the trial's
      const reps = REPS[this.mode as Exclude<TuneMode, 'off'>];
      let clock: TuneRecord['clock'] = this.gpu.info.features.includes('timestamp-query') ? 'timestamp' : 'wall';
      let medians = await this.timeCandidates(key, trial, candidates, reps, clock);
      // A run whose timestamps did not resolve (0, or quantized to one tick): the whole trial on the wall clock.
      if (medians === undefined) {
        clock = 'wall';
        medians = (await this.timeCandidates(key, trial, candidates, reps, clock))!;
      }
      const timed = candidates.filter((v) => medians[v] !== undefined);
      if (timed.length === 0) return;
      const winner = timed.reduce((best, v) => (medians[v] < medians[best] ? v : best), timed.includes(fallback) ? fallback : timed[0]);
      this.chosen.set(key, winner);
      this.records.push({ key, winner, medians, clock });
      await this.store?.save(this.entries()).catch((e: unknown) => this.fail(key, e));
    } finally {
      for (const b of trial.buffers) b.destroy();
    }
  }

  /** Each candidate's median ms on `clock` (a candidate that throws is left out); undefined where a timestamp did not resolve. */
  private async timeCandidates<V extends string>(
    key: string,
    trial: Trial<V, Run>,
    candidates: readonly V[],
    reps: number,
    clock: TuneRecord['clock'],
  ): Promise<Record<string, number> | undefined> {
    const medians: Record<string, number> = {};
    for (const variant of candidates) {
      if (this.gpu.isGone) return medians;
      try {
        await this.time(trial, variant, clock); // warm-up: the pipeline's compilation
        const times: number[] = [];
        for (let r = 0; r < reps; r++) times.push(await this.time(trial, variant, clock));
        if (clock === 'timestamp' && times.some((t) => !(t > 0))) return undefined;
        times.sort((a, b) => a - b);
        medians[variant] = times[Math.floor(times.length / 2)];
      } catch (error) {
        this.fail(`${key} ${variant}`, error);
      }
    }
    return medians;
  }

  /** One run of `variant` in ms: between the pass's GPU timestamps (0 where they did not resolve), or submit to done. */
  private async time<V extends string>(trial: Trial<V, Run>, variant: V, clock: TuneRecord['clock']): Promise<number> {
    const { device } = this.gpu;
    const timestamps = clock === 'timestamp';
    const querySet = timestamps ? device.createQuerySet({ type: 'timestamp', count: 2 }) : undefined;
    const resolved = querySet && device.createBuffer({ size: 16, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    const readback = querySet && device.createBuffer({ size: 16, usage: READBACK_USAGE });
    try {
      const start = performance.now();
      await this.gpu.submit(`tune ${variant}`, (encoder, run) => {
        for (const b of trial.buffers) encoder.clearBuffer(b);
        const pass = encoder.beginComputePass({
          label: `tune ${variant}`,
          timestampWrites: querySet && { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
        });
        this.gpu.unrecorded(() => trial.encode(pass, run, variant));
        pass.end();
        if (querySet && resolved && readback) {
          encoder.resolveQuerySet(querySet, 0, 2, resolved, 0);
          encoder.copyBufferToBuffer(resolved, 0, readback, 0, 16);
        }
      });
      await device.queue.onSubmittedWorkDone();
      const wall = performance.now() - start;
      if (!readback) return wall;
      await readback.mapAsync(MapMode.READ);
      const [begin, end] = new BigUint64Array(readback.getMappedRange());
      readback.unmap();
      // A device may report equal stamps (quantized, e.g. to 100 µs in a browser, or disabled): 0, and the trial goes to the wall clock.
      return end > begin ? Number(end - begin) / 1e6 : 0;
    } finally {
      querySet?.destroy();
      resolved?.destroy();
      readback?.destroy();
    }
  }
}
