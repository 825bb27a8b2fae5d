// The page's settings: defaults sized for the adapter, overridable from the query string, e.g.
// `?units=32&steps=16&batch=16&batches=20&autostart=1` (what the browser test uses).
import type { ModelSize } from './charModel.js';

export interface DemoOptions extends ModelSize {
  /** Windows per training batch. */
  batchSize: number;
  learningRate: number;
  /** Measure the validation loss every this many batches (a training round). */
  validateEvery: number;
  /** Show a generated passage every this many batches while training. */
  sampleEvery: number;
  /** Characters a generated passage has. */
  sampleLength: number;
  /** Start training as soon as the page is ready. */
  autostart: boolean;
  /** With autostart: stop after this many batches (0: train until Stop). */
  batches: number;
  /** Seed of the weights, the batch order and the sampling. */
  seed: number;
}

/** A real GPU trains the larger model in well under a second a batch. */
const GPU_DEFAULTS: DemoOptions = {
  units: 256,
  steps: 64,
  embedding: 32,
  batchSize: 64,
  learningRate: 0.01,
  validateEvery: 100,
  sampleEvery: 50,
  sampleLength: 300,
  autostart: false,
  batches: 0,
  seed: 1851,
};

/** A software adapter runs on the CPU: a smaller model, so that the loss still moves visibly. */
const SOFTWARE_DEFAULTS: DemoOptions = {
  ...GPU_DEFAULTS,
  units: 64,
  embedding: 16,
  steps: 24,
  batchSize: 32,
  learningRate: 0.02,
  validateEvery: 25,
  sampleEvery: 25,
  sampleLength: 100,
};

const NUMERIC: Record<string, keyof DemoOptions> = {
  units: 'units',
  steps: 'steps',
  embedding: 'embedding',
  batch: 'batchSize',
  lr: 'learningRate',
  validateEvery: 'validateEvery',
  sampleEvery: 'sampleEvery',
  sampleLength: 'sampleLength',
  batches: 'batches',
  seed: 'seed',
};

/** The defaults for the adapter, with every valid query-string value applied (others ignored). */
export function readOptions(search: string, software: boolean): DemoOptions {
  const options = { ...(software ? SOFTWARE_DEFAULTS : GPU_DEFAULTS) };
  const params = new URLSearchParams(search);
  for (const [param, key] of Object.entries(NUMERIC)) {
    const raw = params.get(param);
    if (raw === null) continue;
    const value = Number(raw);
    const whole = key !== 'learningRate';
    if (Number.isFinite(value) && value >= 0 && (!whole || Number.isInteger(value))) (options[key] as number) = value;
  }
  for (const key of ['units', 'steps', 'embedding', 'batchSize', 'validateEvery', 'sampleEvery'] as const) options[key] = Math.max(1, options[key]);
  const autostart = params.get('autostart');
  if (autostart !== null) options.autostart = autostart !== '0' && autostart !== 'false';
  return options;
}
