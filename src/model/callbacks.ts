// fit's callbacks: an object of hook functions (TF.js) or a list of callback objects (Keras),
// checked and composed into one; the Monitor of an epoch log they share, and earlyStopping
// (the others Keras has are in ./scheduleCallbacks.ts). A callback object may take the model (setModel) before training begins;
// `model.stopTraining = true` from a hook ends fit after the current epoch.
import { RnnError } from '../spec/errors.js';
import type { FitCallbacks, Logs } from './trainingTypes.js';

const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;
type Hook = (typeof HOOKS)[number];

/** What a callback object may use of the model it is given. */
export interface CallbackModel {
  stopTraining: boolean;
  /** The optimizer's learning rate, read and set between steps. */
  learningRate: number;
  getWeightData(): Promise<Float32Array[]>;
  setWeights(weights: readonly Float32Array[]): void;
  /** Saves the model (see saveModel): a directory in Node, indexeddb:// or downloads:// in a browser. */
  save(target: string): Promise<unknown>;
}

/** A callback object of a Keras-style list: any hooks of FitCallbacks, and setModel. */
export interface Callback extends FitCallbacks {
  setModel?(model: CallbackModel): void;
}

/**
 * The callbacks of fit checked (each hook a function, no unknown name) and composed: the hooks
 * of a list run in its order, each awaited. Each object's setModel gets `model` first.
 */
export function composeCallbacks(callbacks: unknown, model: CallbackModel): FitCallbacks {
  if (callbacks === undefined) return {};
  const list = Array.isArray(callbacks) ? callbacks : [callbacks];
  list.forEach((c, i) => checkCallback(c, Array.isArray(callbacks) ? `callbacks[${i}]` : 'callbacks'));
  for (const c of list as Callback[]) c.setModel?.(model);
  const composed: FitCallbacks = {};
  for (const hook of HOOKS) {
    const fns = (list as Callback[]).map((c) => c[hook]?.bind(c)).filter((f) => f !== undefined) as ((...args: never[]) => unknown)[];
    if (fns.length) {
      (composed as Record<Hook, unknown>)[hook] = async (...args: never[]) => {
        for (const fn of fns) await fn(...args);
      };
    }
  }
  return composed;
}

function checkCallback(callback: unknown, what: string): void {
  if (callback === null || typeof callback !== 'object' || Array.isArray(callback)) {
    throw new RnnError(
      `fit: ${what} is an object of hook functions, e.g. { onEpochEnd: (epoch, logs) => … }, or a callback such as earlyStopping(); got ${callback === null ? 'null' : typeof callback}.`,
    );
  }
  // A plain object holds hooks only (a misspelt one is an error); an instance of a class (such
  // as EarlyStopping) has its state besides, and its hooks on the prototype.
  const plain = Object.getPrototypeOf(callback) === Object.prototype;
  const names = plain ? Object.keys(callback) : [...HOOKS, 'setModel'];
  for (const name of names) {
    const fn = (callback as Record<string, unknown>)[name];
    if (name !== 'setModel' && !(HOOKS as readonly string[]).includes(name))
      throw new RnnError(`fit: unknown callback '${name}' in ${what}: use ${HOOKS.join(', ')}.`);
    if (fn !== undefined && typeof fn !== 'function') throw new RnnError(`fit: ${what}.${name} must be a function, got ${typeof fn}.`);
  }
}

/** The epoch log a callback watches, and the best value of it so far (Keras's monitor_op). */
export class Monitor {
  readonly mode: 'min' | 'max';
  best = Number.NaN;

  constructor(
    readonly name: string,
    readonly minDelta: number,
    mode: 'auto' | 'min' | 'max',
    private readonly owner: string,
  ) {
    this.mode = mode === 'auto' ? (/acc/.test(name) ? 'max' : 'min') : mode;
  }

  /** Checks the options a Monitor is made of, with errors naming `owner`. */
  static check(owner: string, name: unknown, minDelta: unknown, mode: unknown): void {
    if (typeof name !== 'string' || name === '') throw new RnnError(`${owner}: monitor is the name of an epoch log such as 'val_loss', got ${String(name)}.`);
    if (!(typeof minDelta === 'number' && Number.isFinite(minDelta) && minDelta >= 0))
      throw new RnnError(`${owner}: minDelta is a number ≥ 0, got ${String(minDelta)}.`);
    if (!['auto', 'min', 'max'].includes(mode as string)) throw new RnnError(`${owner}: mode is 'auto', 'min' or 'max', got ${String(mode)}.`);
  }

  /** Forgets the best value: the next one improves on `baseline` (or on ±∞). */
  reset(baseline?: number): void {
    this.best = baseline ?? (this.mode === 'min' ? Infinity : -Infinity);
  }

  /** The watched value in an epoch's logs; an error naming the logs there are when it is absent. */
  read(logs: Logs): number {
    const current = logs[this.name];
    if (current === undefined) {
      throw new RnnError(
        `${this.owner}: monitor '${this.name}' is not among the epoch's logs (${Object.keys(logs).join(', ')}): monitor one of them, or give fit validationData / validationSplit for the val_ ones.`,
      );
    }
    return current;
  }

  /** Whether `current` improves on the best by more than minDelta (then it becomes the best). */
  improves(current: number): boolean {
    const better = this.mode === 'min' ? current < this.best - this.minDelta : current > this.best + this.minDelta;
    if (better) this.best = current;
    return better;
  }
}

/** Throws unless every key of `options` is one of `known`. */
export function checkKnown(owner: string, options: object, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new RnnError(
      `${owner}: options are an object such as { ${known[0]}: … }, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}.`,
    );
  }
  for (const key of Object.keys(options)) if (!known.includes(key)) throw new RnnError(`${owner}: unknown option '${key}': use ${known.join(', ')}.`);
}

export interface EarlyStoppingOptions {
  /** The epoch log to watch: 'val_loss' (default), 'loss', 'val_accuracy', … */
  monitor?: string;
  /** A change smaller than this is no improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before training stops (default 0). */
  patience?: number;
  /** 'min', 'max', or 'auto' (default: max for an accuracy, min otherwise). */
  mode?: 'auto' | 'min' | 'max';
  /** Stop unless the monitored value gets better than this within `patience` epochs. */
  baseline?: number;
  /** On stopping, put back the weights of the best epoch (read back to the CPU at each improvement). */
  restoreBestWeights?: boolean;
}

/** Keras's EarlyStopping: ends fit once `monitor` has stopped improving for `patience` epochs. */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  /** The epoch training stopped at (0 when it ran to the end). */
  stoppedEpoch = 0;
  /** The epoch of the best monitored value. */
  bestEpoch = -1;
  private model: CallbackModel | undefined;
  private wait = 0;
  private bestWeights: Float32Array[] | undefined;
  private readonly watch: Monitor;

  constructor(options: EarlyStoppingOptions = {}) {
    checkKnown('earlyStopping', options, ['monitor', 'minDelta', 'patience', 'mode', 'baseline', 'restoreBestWeights']);
    const { monitor = 'val_loss', minDelta = 0, patience = 0, mode = 'auto', baseline, restoreBestWeights = false } = options;
    Monitor.check('earlyStopping', monitor, minDelta, mode);
    if (!(Number.isInteger(patience) && patience >= 0)) throw new RnnError(`earlyStopping: patience is a whole number of epochs ≥ 0, got ${patience}.`);
    if (baseline !== undefined && !Number.isFinite(baseline)) throw new RnnError(`earlyStopping: baseline is a finite number, got ${baseline}.`);
    this.watch = new Monitor(monitor, minDelta, mode, 'earlyStopping');
    this.monitor = monitor;
    this.minDelta = minDelta;
    this.patience = patience;
    this.mode = this.watch.mode;
    this.baseline = baseline;
    this.restoreBestWeights = restoreBestWeights === true;
  }

  /** The best monitored value seen. */
  get best(): number {
    return this.watch.best;
  }

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.watch.reset(this.baseline);
    this.bestEpoch = -1;
    this.bestWeights = undefined;
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (this.watch.improves(this.watch.read(logs))) {
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = await this.model?.getWeightData();
      return;
    }
    this.wait++;
    // Keras: the first epoch never stops training.
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      if (this.model) {
        this.model.stopTraining = true;
        if (this.restoreBestWeights && this.bestWeights) this.model.setWeights(this.bestWeights);
      }
    }
  }
}

/**
 * Keras's EarlyStopping (TF.js's tf.callbacks.earlyStopping): in fit's callbacks list, ends
 * training once `monitor` has not improved by more than `minDelta` for `patience` epochs.
 *
 * @example
 * ```ts
 * const stop = earlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true });
 * await model.fit(x, y, { epochs: 100, validationSplit: 0.2, callbacks: [stop] });
 * console.log(`stopped at epoch ${stop.stoppedEpoch}, best ${stop.best} at ${stop.bestEpoch}`);
 * ```
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStopping {
  return new EarlyStopping(options);
}
