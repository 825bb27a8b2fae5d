// Exhaustive search over a grid of hyperparameters (scikit-learn's GridSearchCV over a
// KerasClassifier, with one hold-out split instead of k folds): every combination builds a
// model, trains it, is scored on the validation data, and is disposed. x and y are uploaded
// once and shared by every setting.
import { RnnError, ShapeError } from '../spec/errors.js';
import { shapeSize, Tensor, tensor, type TensorData } from '../runtime/tensor.js';
import { Sequential } from './sequential.js';
import { TrainingError, type FitArgs, type History } from './trainingTypes.js';

/** Parameter names → the values to try, as `{ units: [16, 32], optimizer: ['adam', 'rmsprop'] }`. */
export type ParamGrid = Record<string, readonly unknown[]>;

/** One setting of a grid: one value per parameter name. */
export type GridParams<G extends ParamGrid> = { [K in keyof G]: G[K][number] };

/** Grid parameters that `gridSearch` hands to `fit` as well as to `build`. */
export const GRID_FIT_KEYS = ['epochs', 'batchSize'] as const;

export interface GridSearchArgs<G extends ParamGrid> {
  /** A new model for `params`, built and compiled (`model.compile(…)`) by the caller. */
  build: (params: GridParams<G>) => Sequential | Promise<Sequential>;
  grid: G;
  /** Training inputs: a Tensor, nested arrays, or a flat typed array shaped by the first layer's inputShape. */
  x: Tensor | TensorData;
  /** Targets, one a sample: a Tensor or data (flat or nested). */
  y: Tensor | TensorData;
  /** Fraction of x, y taken from the end (before shuffling, as fit) to score on. */
  validationSplit?: number;
  /** Samples to score on instead of a split of x, y. */
  validationData?: [Tensor | TensorData, Tensor | TensorData];
  /** Arguments of every fit; `epochs` and `batchSize` in the grid override these. */
  fit?: Omit<FitArgs, 'validationSplit' | 'validationData'>;
  /** Seed of every fit's shuffling (each setting sees the same batches). Default: fit.seed. */
  seed?: number;
  /** The history entry scored, at the last epoch: `'val_loss'` (default), `'val_mae'`, `'val_accuracy'`; `'mae'` means `'val_mae'`. */
  metric?: string;
  /** Whether a lower (`'min'`) or higher (`'max'`) score is better. Default: `'max'` for accuracy, `'min'` otherwise. */
  mode?: 'min' | 'max';
  /** Called after each setting, in grid order, with its result and its index of `total`. */
  onResult?: (result: GridResult<G>, index: number, total: number) => void | Promise<void>;
}

export interface GridResult<G extends ParamGrid = ParamGrid> {
  params: GridParams<G>;
  /** The metric at the last epoch; NaN when training failed (see `error`). */
  score: number;
  history: History;
  /** Wall time of build, fit and scoring. */
  seconds: number;
  /** Why training stopped, when a loss or gradient turned non-finite (a TrainingError). */
  error?: string;
}

export interface GridSearchResult<G extends ParamGrid = ParamGrid> {
  /** Every setting, best first; equal scores keep grid order, failed settings come last. */
  results: GridResult<G>[];
  /** results[0]. */
  best: GridResult<G>;
  /** The history entry scored, e.g. 'val_loss'. */
  metric: string;
  mode: 'min' | 'max';
}

/**
 * Every combination of the grid's values (the cartesian product), the first parameter varying
 * slowest, the last fastest. Throws on an empty grid or an empty list of values.
 */
export function parameterGrid<G extends ParamGrid>(grid: G): GridParams<G>[] {
  if (grid === null || typeof grid !== 'object' || Array.isArray(grid)) {
    throw new RnnError(`gridSearch: grid must be an object of parameter names → arrays of values, as { units: [16, 32] }; got ${describe(grid)}.`);
  }
  const keys = Object.keys(grid);
  if (keys.length === 0) throw new RnnError('gridSearch: the grid is empty; give at least one parameter with a list of values, as { units: [16, 32] }.');
  for (const key of keys) {
    const values = grid[key];
    if (!Array.isArray(values)) throw new RnnError(`gridSearch: grid.${key} must be an array of values to try, got ${describe(values)}.`);
    if (values.length === 0) throw new RnnError(`gridSearch: grid.${key} is an empty list; give at least one value to try.`);
  }
  let settings: Record<string, unknown>[] = [{}];
  for (const key of keys) settings = settings.flatMap((s) => grid[key].map((v) => ({ ...s, [key]: v })));
  return settings as GridParams<G>[];
}

/**
 * Trains and scores a model for every setting of `grid`, one after the other, and resolves to
 * the results sorted best first. Each model is disposed once scored.
 */
export async function gridSearch<G extends ParamGrid>(args: GridSearchArgs<G>): Promise<GridSearchResult<G>> {
  const settings = parameterGrid(args.grid);
  if (typeof args.build !== 'function') throw new RnnError('gridSearch: build must be a function (params) => a compiled Sequential model.');
  const split = args.validationSplit;
  if (split === undefined && args.validationData === undefined) {
    throw new RnnError('gridSearch: give validationSplit (a fraction of x held out) or validationData: every setting is scored on held-out samples.');
  }
  if (split !== undefined && args.validationData !== undefined) {
    throw new RnnError('gridSearch: give validationSplit or validationData, not both.');
  }
  if (split !== undefined && !(split > 0 && split < 1)) throw new RnnError(`gridSearch: validationSplit must be in (0, 1), got ${split}.`);
  for (const key of ['validationSplit', 'validationData'] as const) {
    if (args.fit && key in args.fit) throw new RnnError(`gridSearch: pass ${key} to gridSearch itself, not in fit.`);
  }
  const metric = args.metric === undefined ? 'val_loss' : args.metric.startsWith('val_') ? args.metric : `val_${args.metric}`;
  const mode = args.mode ?? (/acc/i.test(metric) ? 'max' : 'min');
  if (mode !== 'min' && mode !== 'max') throw new RnnError(`gridSearch: mode is 'min' (lower is better) or 'max', got ${JSON.stringify(mode)}.`);

  const results: GridResult<G>[] = [];
  // Tensors uploaded here from data, shared by every setting, disposed at the end.
  const owned: Tensor[] = [];
  let data: { x: Tensor; y: Tensor; validation?: [Tensor, Tensor] } | undefined;
  try {
    for (let i = 0; i < settings.length; i++) {
      const params = settings[i];
      const start = performance.now();
      const model = await args.build({ ...params });
      checkModel(model, params);
      try {
        data ??= upload(model, args, owned);
        const fitArgs: FitArgs = { ...args.fit, seed: args.seed ?? args.fit?.seed };
        for (const key of GRID_FIT_KEYS) if (key in params) fitArgs[key] = (params as Record<string, unknown>)[key] as number;
        if (data.validation) fitArgs.validationData = data.validation;
        else fitArgs.validationSplit = split;
        let history: History = { epoch: [], history: {} };
        let score = NaN;
        let error: string | undefined;
        try {
          history = await model.fit(data.x, data.y, fitArgs);
          const values = history.history[metric];
          if (values === undefined) {
            const known = Object.keys(history.history).filter((k) => k.startsWith('val_'));
            throw new RnnError(
              `gridSearch: the history has no '${metric}' to score on; it has ${known.join(', ')}. Name one of those as metric, or compile the model with that metric.`,
            );
          }
          score = values[values.length - 1];
        } catch (e) {
          if (!(e instanceof TrainingError)) throw e;
          error = e.message;
        }
        const result: GridResult<G> = { params, score, history, seconds: (performance.now() - start) / 1000 };
        if (error !== undefined) result.error = error;
        results.push(result);
      } finally {
        model.dispose();
      }
      await args.onResult?.(results[results.length - 1], i, settings.length);
    }
  } finally {
    for (const t of owned) t.dispose();
  }
  const sign = mode === 'min' ? 1 : -1;
  // Array.prototype.sort is stable: ties keep grid order.
  const sorted = [...results].sort((a, b) => {
    const fa = Number.isFinite(a.score);
    const fb = Number.isFinite(b.score);
    if (fa !== fb) return fa ? -1 : 1;
    return fa ? sign * (a.score - b.score) : 0;
  });
  return { results: sorted, best: sorted[0], metric, mode };
}

/**
 * A plain-text table of grid results, one row a setting in the order given: rank, every
 * parameter, the score (headed `metric`, default 'score') and the seconds it took.
 */
export function formatGridTable(results: readonly GridResult<ParamGrid>[], options: { metric?: string } = {}): string {
  const keys = [...new Set(results.flatMap((r) => Object.keys(r.params)))];
  const header = ['#', ...keys, options.metric ?? 'score', 'seconds'];
  const rows = results.map((r, i) => [
    String(i + 1),
    ...keys.map((k) => formatValue(r.params[k])),
    Number.isFinite(r.score) ? formatScore(r.score) : r.error !== undefined ? 'failed' : String(r.score),
    r.seconds.toFixed(1),
  ]);
  // Columns whose every cell is a number are right-aligned.
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((row) => row[c] !== '' && Number.isFinite(Number(row[c]))));
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function checkModel(model: unknown, params: Record<string, unknown>): asserts model is Sequential {
  const where = `gridSearch: build(${formatParams(params)})`;
  if (!(model instanceof Sequential)) {
    throw new RnnError(`${where} returned ${describe(model)}; it must return a Sequential model (sequential(gpu, [...])), compiled.`);
  }
  if (!model.compiled) {
    model.dispose();
    throw new RnnError(`${where} returned a model that is not compiled: call model.compile({ optimizer, loss }) in build before returning it.`);
  }
}

/** x, y (and the validation data) as tensors on the model's device, uploading what is not one. */
function upload(
  model: Sequential,
  args: Pick<GridSearchArgs<ParamGrid>, 'x' | 'y' | 'validationData'>,
  owned: Tensor[],
): { x: Tensor; y: Tensor; validation?: [Tensor, Tensor] } {
  const sampleShape = model.layers[0].inputShape;
  const toTensor = (value: Tensor | TensorData, what: string, perSample: readonly number[] | undefined, samples?: number): Tensor => {
    if (value instanceof Tensor) {
      if (value.gpu !== model.gpu) throw new RnnError(`gridSearch: ${what} lives on another device than the model build returned.`);
      return value;
    }
    let t: Tensor;
    if (ArrayBuffer.isView(value)) {
      const flat = value as Float32Array | Float64Array;
      if (perSample === undefined) {
        if (samples === undefined || flat.length % samples !== 0) {
          throw new ShapeError(`gridSearch: ${what} is a flat array of ${flat.length} values that cannot be shaped; pass a Tensor or nested arrays.`);
        }
        perSample = [flat.length / samples];
      }
      const size = shapeSize(perSample);
      if (perSample.some((d) => d < 0) || flat.length % size !== 0) {
        throw new ShapeError(
          `gridSearch: ${what} is a flat array of ${flat.length} values, which does not split into samples of shape [${perSample.join(', ')}]; pass a Tensor or nested arrays.`,
        );
      }
      t = tensor(model.gpu, flat, [flat.length / size, ...perSample]);
    } else {
      t = tensor(model.gpu, value);
    }
    owned.push(t);
    return t;
  };
  const x = toTensor(args.x, 'x', sampleShape);
  const y = toTensor(args.y, 'y', undefined, x.shape[0]);
  if (!args.validationData) return { x, y };
  const [vx, vy] = args.validationData;
  const xv = toTensor(vx, 'validationData[0]', x.shape.slice(1));
  return { x, y, validation: [xv, toTensor(vy, 'validationData[1]', undefined, xv.shape[0])] };
}

function formatParams(params: Record<string, unknown>): string {
  return `{ ${Object.entries(params)
    .map(([k, v]) => `${k}: ${formatValue(v)}`)
    .join(', ')} }`;
}

function formatValue(v: unknown): string {
  if (typeof v === 'number') return formatScore(v);
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  return JSON.stringify(v) ?? String(v);
}

/** Four significant digits, without exponent for ordinary magnitudes. */
function formatScore(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : `${typeof v} ${String(v)}`;
}
