// The autotuner: which variant of a kernel runs is timed on this adapter instead of guessed.
// On first use of a (kernel family, rounded shape) the encoder gets the cost-model choice at
// once and a trial is queued: after the current work, every candidate runs on zeroed buffers
// of that shape, a warm-up then `reps` timed submits (GPU timestamps where the device has
// 'timestamp-query', else the wall time to onSubmittedWorkDone), and the lowest median wins
// from then on. Choices are keyed by adapter, kept in memory and, with a TuneStore, persisted.
import { BufferUsage, MapMode, READBACK_USAGE } from './gpuConstants.js';

/** 'off': always the cost-model choice (deterministic); 'fast': 3 timed runs a candidate; 'full': 10, on longer trials. */
export type TuneMode = 'off' | 'fast' | 'full';

export const TUNE_MODES: readonly TuneMode[] = ['off', 'fast', 'full'];

/** Where tuned choices persist between sessions: a file in Node, IndexedDB in a browser. */
export interface TuneStore {
  load(): Promise<Record<string, string>>;
  save(entries: Readonly<Record<string, string>>): Promise<void>;
}

/** What the tuner uses of its device (device.ts's Gpu, whose runs are RunScopes). */
export interface TunerHost<Run> {
  readonly device: GPUDevice;
  readonly info: { vendor: string; architecture: string; description: string; runtime: string; features: readonly string[] };
  readonly isLost: boolean;
  submit(what: string, encode: (encoder: GPUCommandEncoder, run: Run) => void): Promise<void>;
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

  constructor(
    private readonly gpu: TunerHost<Run>,
    readonly mode: TuneMode,
    private readonly store?: TuneStore,
    stored: Readonly<Record<string, string>> = {},
  ) {
    for (const [key, variant] of Object.entries(stored)) this.chosen.set(key, variant);
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
    const key = `${this.adapterKey}|${family}|${shape}`;
    const known = this.chosen.get(key) as V | undefined;
    if (known !== undefined && candidates.includes(known)) return known;
    if (this.mode === 'off' || candidates.length < 2 || this.queued.has(key)) return fallback;
    this.queued.add(key);
    this.queue = this.queue.then(() => this.runTrial(key, candidates, trial)).catch(() => {});
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

  private async runTrial<V extends string>(key: string, candidates: readonly V[], makeTrial: () => Trial<V, Run>): Promise<void> {
    if (this.gpu.isLost) return;
    const trial = makeTrial();
    const reps = REPS[this.mode as Exclude<TuneMode, 'off'>];
    const timestamps = this.gpu.info.features.includes('timestamp-query');
    const medians: Record<string, number> = {};
    try {
      for (const variant of candidates) {
        await this.time(trial, variant, timestamps); // warm-up: the pipeline's compilation
        const times: number[] = [];
        for (let r = 0; r < reps; r++) times.push(await this.time(trial, variant, timestamps));
        times.sort((a, b) => a - b);
        medians[variant] = times[Math.floor(times.length / 2)];
      }
    } finally {
      for (const b of trial.buffers) b.destroy();
    }
    const winner = candidates.reduce((best, v) => (medians[v] < medians[best] ? v : best));
    this.chosen.set(key, winner);
    this.records.push({ key, winner, medians, clock: timestamps ? 'timestamp' : 'wall' });
    await this.store?.save(this.entries());
  }

  /** One run of `variant` in ms: between the pass's GPU timestamps, or submit to done. */
  private async time<V extends string>(trial: Trial<V, Run>, variant: V, timestamps: boolean): Promise<number> {
    const { device } = this.gpu;
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
        trial.encode(pass, run, variant);
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
      // A device may report 0 for both (timestamps quantized or disabled): the wall time then.
      return end > begin ? Number(end - begin) / 1e6 : wall;
    } finally {
      querySet?.destroy();
      resolved?.destroy();
      readback?.destroy();
    }
  }
}
