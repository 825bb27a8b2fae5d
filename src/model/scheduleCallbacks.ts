// Keras's callbacks that act on the optimizer or save the model, for fit's callbacks list:
// learningRateScheduler, reduceLROnPlateau and modelCheckpoint. They act between epochs, through
// the model's learningRate and save (CallbackModel).
import { RnnError } from '../spec/errors.js';
import { type Callback, type CallbackModel, checkKnown, Monitor } from './callbacks.js';
import type { Logs } from './trainingTypes.js';

/** The model a callback was given, or an error saying it was used outside fit. */
function modelOf(model: CallbackModel | undefined, owner: string): CallbackModel {
  if (!model) throw new RnnError(`${owner}: the callback has no model: give it to fit in callbacks: [...].`);
  return model;
}

/** A learning rate a schedule returned, checked. */
function checkRate(value: unknown, owner: string): number {
  if (typeof value !== 'number' || !(Number.isFinite(value) && value > 0))
    throw new RnnError(`${owner}: the schedule returned ${String(value)}; it must return a finite number > 0.`);
  return value;
}

/** Keras's LearningRateScheduler: before each epoch, learningRate = schedule(epoch, learningRate). */
export class LearningRateScheduler implements Callback {
  private model: CallbackModel | undefined;

  constructor(readonly schedule: (epoch: number, learningRate: number) => number) {
    if (typeof schedule !== 'function')
      throw new RnnError(`learningRateScheduler: schedule is a function (epoch, learningRate) => learningRate, got ${typeof schedule}.`);
  }

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  onEpochBegin(epoch: number): void {
    const model = modelOf(this.model, 'learningRateScheduler');
    model.learningRate = checkRate(this.schedule(epoch, model.learningRate), 'learningRateScheduler');
  }
}

/**
 * Keras's LearningRateScheduler: sets the optimizer's learning rate before each epoch.
 *
 * @example
 * ```ts
 * const decay = learningRateScheduler((epoch, lr) => (epoch < 10 ? lr : lr * Math.exp(-0.1)));
 * await model.fit(x, y, { epochs: 30, callbacks: [decay] });
 * ```
 */
export function learningRateScheduler(schedule: (epoch: number, learningRate: number) => number): LearningRateScheduler {
  return new LearningRateScheduler(schedule);
}

export interface ReduceLROnPlateauOptions {
  /** The epoch log to watch (default 'val_loss'). */
  monitor?: string;
  /** new rate = rate · factor, a number in (0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement before the rate is cut (default 10). */
  patience?: number;
  /** 'min', 'max', or 'auto' (default: max for an accuracy, min otherwise). */
  mode?: 'auto' | 'min' | 'max';
  /** A change smaller than this is no improvement (default 1e-4). */
  minDelta?: number;
  /** Epochs after a cut before the wait starts again (default 0). */
  cooldown?: number;
  /** The rate is never cut below this (default 0). */
  minLr?: number;
}

/** Keras's ReduceLROnPlateau: cuts the learning rate by `factor` once `monitor` stops improving. */
export class ReduceLROnPlateau implements Callback {
  readonly factor: number;
  readonly patience: number;
  readonly cooldown: number;
  readonly minLr: number;
  private readonly watch: Monitor;
  private model: CallbackModel | undefined;
  private wait = 0;
  private cooldownLeft = 0;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    checkKnown('reduceLROnPlateau', options, ['monitor', 'factor', 'patience', 'mode', 'minDelta', 'cooldown', 'minLr']);
    const { monitor = 'val_loss', factor = 0.1, patience = 10, mode = 'auto', minDelta = 1e-4, cooldown = 0, minLr = 0 } = options;
    Monitor.check('reduceLROnPlateau', monitor, minDelta, mode);
    if (!(typeof factor === 'number' && factor > 0 && factor < 1))
      throw new RnnError(`reduceLROnPlateau: factor is a number in (0, 1), got ${String(factor)}.`);
    for (const [name, value] of [
      ['patience', patience],
      ['cooldown', cooldown],
    ] as const) {
      if (!(Number.isInteger(value) && value >= 0)) throw new RnnError(`reduceLROnPlateau: ${name} is a whole number of epochs ≥ 0, got ${String(value)}.`);
    }
    if (!(typeof minLr === 'number' && Number.isFinite(minLr) && minLr >= 0))
      throw new RnnError(`reduceLROnPlateau: minLr is a number ≥ 0, got ${String(minLr)}.`);
    this.watch = new Monitor(monitor, minDelta, mode, 'reduceLROnPlateau');
    this.factor = factor;
    this.patience = patience;
    this.cooldown = cooldown;
    this.minLr = minLr;
  }

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.cooldownLeft = 0;
    this.watch.reset();
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    const current = this.watch.read(logs);
    const model = modelOf(this.model, 'reduceLROnPlateau');
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.wait = 0;
    }
    if (this.watch.improves(current)) {
      this.wait = 0;
      return;
    }
    if (this.cooldownLeft > 0) return;
    this.wait++;
    if (this.wait >= this.patience && model.learningRate > this.minLr) {
      model.learningRate = Math.max(model.learningRate * this.factor, this.minLr);
      this.cooldownLeft = this.cooldown;
      this.wait = 0;
    }
  }
}

/**
 * Keras's ReduceLROnPlateau: the learning rate times `factor` after `patience` epochs without
 * improvement of `monitor`, then `cooldown` epochs of rest, never below `minLr`.
 *
 * @example
 * ```ts
 * const plateau = reduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 3, minLr: 1e-5 });
 * await model.fit(x, y, { epochs: 50, validationSplit: 0.2, callbacks: [plateau] });
 * ```
 */
export function reduceLROnPlateau(options: ReduceLROnPlateauOptions = {}): ReduceLROnPlateau {
  return new ReduceLROnPlateau(options);
}

export interface ModelCheckpointOptions {
  /**
   * Where to save (see saveModel: a directory in Node, 'indexeddb://…' or 'downloads://…' in a
   * browser), formatted with the epoch (from 1, as Keras) and the epoch's logs:
   * 'ckpt/epoch-{epoch:02d}-{val_loss:.3f}'.
   */
  filepath: string;
  /** The epoch log that saveBestOnly watches (default 'val_loss'). */
  monitor?: string;
  /** Save only when `monitor` improves on the best so far (default false: every epoch). */
  saveBestOnly?: boolean;
  /** 'min', 'max', or 'auto' (default: max for an accuracy, min otherwise). */
  mode?: 'auto' | 'min' | 'max';
}

/** Keras's ModelCheckpoint: saves the model after each epoch, or after each improving one. */
export class ModelCheckpoint implements Callback {
  readonly filepath: string;
  readonly saveBestOnly: boolean;
  /** Where each save went, in order. */
  readonly saved: string[] = [];
  private readonly watch: Monitor;
  private model: CallbackModel | undefined;

  constructor(options: ModelCheckpointOptions) {
    if (typeof options !== 'object' || options === null) throw new RnnError('modelCheckpoint: give the options, at least { filepath }.');
    checkKnown('modelCheckpoint', options, ['filepath', 'monitor', 'saveBestOnly', 'mode']);
    const { filepath, monitor = 'val_loss', saveBestOnly = false, mode = 'auto' } = options;
    if (typeof filepath !== 'string' || filepath === '')
      throw new RnnError(`modelCheckpoint: filepath is where to save, a non-empty string, got ${String(filepath)}.`);
    if (typeof saveBestOnly !== 'boolean') throw new RnnError(`modelCheckpoint: saveBestOnly is true or false, got ${String(saveBestOnly)}.`);
    Monitor.check('modelCheckpoint', monitor, 0, mode);
    this.filepath = filepath;
    this.saveBestOnly = saveBestOnly;
    this.watch = new Monitor(monitor, 0, mode, 'modelCheckpoint');
    // As Keras: the best value carries over from one fit to the next.
    this.watch.reset();
  }

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    const model = modelOf(this.model, 'modelCheckpoint');
    if (this.saveBestOnly) {
      // As Keras: without the monitored log there is nothing to compare; the save is skipped, with a warning.
      if (logs[this.watch.name] === undefined) {
        console.warn(
          `modelCheckpoint: '${this.watch.name}' is not among the epoch's logs (${Object.keys(logs).join(', ')}); saveBestOnly skipped the save of epoch ${epoch + 1}.`,
        );
        return;
      }
      if (!this.watch.improves(this.watch.read(logs))) return;
    }
    const target = formatPath(this.filepath, { epoch: epoch + 1, ...logs });
    await model.save(target);
    this.saved.push(target);
  }
}

/**
 * Keras's ModelCheckpoint: saves the model after every epoch, or with `saveBestOnly` only when
 * `monitor` improves.
 *
 * @example
 * ```ts
 * const checkpoint = modelCheckpoint({ filepath: 'checkpoints/best', saveBestOnly: true });
 * await model.fit(x, y, { epochs: 20, validationSplit: 0.2, callbacks: [checkpoint] });
 * const best = await loadModel(gpu, 'checkpoints/best');
 * ```
 */
export function modelCheckpoint(options: ModelCheckpointOptions): ModelCheckpoint {
  return new ModelCheckpoint(options);
}

/**
 * Python's str.format for `{name}`, `{name:02d}` and `{name:.4f}` (width, zero fill, precision;
 * the sign before the fill): a name that is neither the epoch nor a log, or another format, is
 * an error.
 */
export function formatPath(template: string, values: Record<string, number>): string {
  return template.replace(/\{([^{}]*)\}/g, (field, inner: string) => {
    const match = /^(\w+)(?::(0?)(\d*)(?:\.(\d+))?([df])?)?$/.exec(inner);
    if (!match) throw new RnnError(`modelCheckpoint: filepath field ${field} is not {name}, {name:0Nd} or {name:.Nf}.`);
    const [, name, zero, width, precision, kind] = match;
    const value = values[name];
    if (value === undefined)
      throw new RnnError(`modelCheckpoint: filepath names {${name}}, which is not the epoch or one of the logs (${Object.keys(values).join(', ')}).`);
    const digits =
      kind === 'd'
        ? String(Math.abs(Math.round(value)))
        : kind === 'f' || precision !== undefined
          ? Math.abs(value).toFixed(precision === undefined ? 6 : Number(precision))
          : String(Math.abs(value));
    const sign = value < 0 || Object.is(value, -0) ? '-' : '';
    const size = Number(width || 0);
    return zero ? sign + digits.padStart(size - sign.length, '0') : (sign + digits).padStart(size, ' ');
  });
}
