// Sequence preparation on the CPU with Keras semantics: pad_sequences, to_categorical, and
// sliding windows over a time series for forecasting. Outputs are row-major Float32Array with
// their shape, ready for `tensor(gpu, data, shape)`.
import { Random } from '../init/random.js';
import { assertFinite, formatShape, ShapeError } from '../spec/errors.js';

export interface PadSequencesOptions {
  /** Length of every output row. Default: the longest sequence. */
  maxlen?: number;
  /** Where the padding goes: `'pre'` (before, the Keras default) or `'post'`. */
  padding?: 'pre' | 'post';
  /** Which end of a sequence longer than maxlen is cut: `'pre'` (the start, Keras default) or `'post'`. */
  truncating?: 'pre' | 'post';
  /** The padding value. Default 0. */
  value?: number;
}

/**
 * Keras `pad_sequences`: every sequence to length `maxlen` (default: the longest), padded
 * with `value` and cut at the chosen ends. Values are kept as they are (Keras casts to
 * int32 by default; here nothing is cast).
 */
export function padSequences(sequences: readonly ArrayLike<number>[], options: PadSequencesOptions = {}): number[][] {
  const plan = planPadding(sequences, options, 'padSequences');
  return sequences.map((seq, s) => {
    checkNumbers(seq, `padSequences: sequence ${s}`);
    const row = new Array<number>(plan.maxlen).fill(plan.value);
    const [from, count, to] = plan.cut(seq.length);
    for (let k = 0; k < count; k++) row[to + k] = seq[from + k];
    return row;
  });
}

/** A row-major Float32Array and its shape. */
export interface ShapedData<S extends readonly number[] = number[]> {
  data: Float32Array;
  shape: S;
}

/**
 * `padSequences` straight into one Float32Array. Sequences of numbers give `[n, maxlen]`;
 * sequences of frames (each frame an array of `features` numbers, as for a masked multivariate
 * batch) give `[n, maxlen, features]`, padded frames filled with `value`.
 */
export function padSequencesFlat(
  sequences: readonly (ArrayLike<number> | readonly ArrayLike<number>[])[],
  options: PadSequencesOptions = {},
): ShapedData<[number, number] | [number, number, number]> {
  const plan = planPadding(sequences, options, 'padSequencesFlat');
  // Frames if the first element of the first non-empty sequence is not a number.
  const first = sequences.find((s) => s.length > 0);
  const framed = first !== undefined && typeof first[0] !== 'number';
  const features = framed ? (first[0] as ArrayLike<number>).length : 1;
  const n = sequences.length;
  const data = new Float32Array(n * plan.maxlen * features).fill(plan.value);
  sequences.forEach((seq, s) => {
    const where = `padSequencesFlat: sequence ${s}`;
    const [from, count, to] = plan.cut(seq.length);
    const base = (s * plan.maxlen + to) * features;
    if (!framed) {
      checkNumbers(seq as ArrayLike<number>, where);
      for (let k = 0; k < count; k++) data[base + k] = (seq as ArrayLike<number>)[from + k];
      return;
    }
    for (let k = 0; k < seq.length; k++) {
      const frame = (seq as readonly ArrayLike<number>[])[k];
      if (frame === null || typeof frame !== 'object' || frame.length !== features) {
        throw new ShapeError(
          `${where}: step ${k} is ${describe(frame)}; every step must be an array of ${features} features, as the first step of the first non-empty sequence.`,
        );
      }
      checkNumbers(frame, `${where}, step ${k}`);
    }
    for (let k = 0; k < count; k++) data.set((seq as readonly ArrayLike<number>[])[from + k], base + k * features);
  });
  return { data, shape: framed ? [n, plan.maxlen, features] : [n, plan.maxlen] };
}

interface PaddingPlan {
  maxlen: number;
  value: number;
  /** For a sequence of `length`: [first step kept, steps kept, output position of the first]. */
  cut(length: number): [number, number, number];
}

function planPadding(sequences: readonly { length: number }[], options: PadSequencesOptions, where: string): PaddingPlan {
  if (!Array.isArray(sequences)) throw new ShapeError(`${where}: sequences must be an array of sequences, got ${describe(sequences)}.`);
  sequences.forEach((seq, s) => {
    if (seq === null || typeof seq !== 'object' || typeof seq.length !== 'number') {
      throw new ShapeError(`${where}: sequence ${s} is ${describe(seq)}; expected an array.`);
    }
  });
  const padding = options.padding ?? 'pre';
  const truncating = options.truncating ?? 'pre';
  const value = options.value ?? 0;
  if (padding !== 'pre' && padding !== 'post') throw new ShapeError(`${where}: padding must be 'pre' or 'post', got ${JSON.stringify(padding)}.`);
  if (truncating !== 'pre' && truncating !== 'post') throw new ShapeError(`${where}: truncating must be 'pre' or 'post', got ${JSON.stringify(truncating)}.`);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ShapeError(`${where}: value must be a finite number, got ${describe(value)}.`);
  const maxlen = options.maxlen ?? sequences.reduce((m, s) => Math.max(m, s.length), 0);
  if (!(Number.isInteger(maxlen) && maxlen >= 0)) throw new ShapeError(`${where}: maxlen must be a whole number ≥ 0, got ${maxlen}.`);
  return {
    maxlen,
    value,
    cut(length) {
      const count = Math.min(length, maxlen);
      return [truncating === 'pre' ? length - count : 0, count, padding === 'pre' ? maxlen - count : 0];
    },
  };
}

/**
 * Keras `to_categorical`: one-hot rows `[n, numClasses]`. `numClasses` defaults to the
 * largest label + 1. Labels must be whole numbers in [0, numClasses).
 */
export function toCategorical(labels: ArrayLike<number>, numClasses?: number): ShapedData<[number, number]> {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
    throw new ShapeError(`toCategorical: labels must be an array of class indices, got ${describe(labels)}.`);
  }
  const n = labels.length;
  let largest = -1;
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (typeof label !== 'number' || !Number.isInteger(label) || label < 0) {
      throw new ShapeError(`toCategorical: label ${i} is ${describe(label)}; labels are whole numbers ≥ 0 (class indices).`);
    }
    largest = Math.max(largest, label);
  }
  if (numClasses === undefined) {
    if (n === 0) throw new ShapeError('toCategorical: no labels to infer numClasses from; pass numClasses.');
    numClasses = largest + 1;
  } else if (!(Number.isInteger(numClasses) && numClasses >= 1)) {
    throw new ShapeError(`toCategorical: numClasses must be a whole number ≥ 1, got ${numClasses}.`);
  } else if (largest >= numClasses) {
    const i = Array.prototype.findIndex.call(labels, (l: number) => l >= numClasses!);
    throw new ShapeError(`toCategorical: label ${i} is ${labels[i]}, out of range for numClasses ${numClasses} (labels must be < numClasses).`);
  }
  const data = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) data[i * numClasses + labels[i]] = 1;
  return { data, shape: [n, numClasses] };
}

export interface SlidingWindowsOptions {
  /** Steps between the starts of consecutive windows. Default 1. */
  stride?: number;
  /**
   * Features per step when `series` is flat and interleaved (`[steps, features]` row-major).
   * Default 1; for a series of rows it is the row length (and must match if given).
   */
  features?: number;
  /** Feature indices that make up the targets. Default: all features. */
  targetFeatures?: readonly number[];
}

/** Inputs `x [n, window, features]` and targets `y [n, horizon·targets]`, row-major. */
export interface Windows {
  x: Float32Array;
  y: Float32Array;
  xShape: [number, number, number];
  yShape: [number, number];
}

/**
 * Forecasting pairs from one time series: window i covers steps `[i·stride, i·stride + window)`
 * and its target the next `horizon` steps (of the target features), flattened step-major.
 * `n = ⌊(steps − window − horizon) / stride⌋ + 1`; a series shorter than `window + horizon`
 * is an error. The seeds' sine example is `slidingWindows(sine, 49)`: x `[n, 49, 1]`, y `[n, 1]`.
 *
 * @example
 * ```ts
 * const sine = Array.from({ length: 1200 }, (_, t) => Math.sin(t / 8));
 * const { x, y, xShape } = slidingWindows(sine, 49); // xShape [1151, 49, 1]
 * await model.fit(tensor(gpu, x, xShape), y, { epochs: 20 });
 * ```
 */
export function slidingWindows(
  series: ArrayLike<number> | readonly ArrayLike<number>[],
  window: number,
  horizon = 1,
  options: SlidingWindowsOptions = {},
): Windows {
  const where = 'slidingWindows';
  if (series === null || typeof series !== 'object' || typeof series.length !== 'number') {
    throw new ShapeError(`${where}: series must be an array of numbers or of rows of features, got ${describe(series)}.`);
  }
  const stride = options.stride ?? 1;
  for (const [name, v] of [
    ['window', window],
    ['horizon', horizon],
    ['stride', stride],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new ShapeError(`${where}: ${name} must be a whole number ≥ 1, got ${v}.`);
  }
  // The series as flat [steps, features].
  let flat: ArrayLike<number>;
  let features: number;
  if (series.length > 0 && typeof series[0] !== 'number') {
    const rows = series as readonly ArrayLike<number>[];
    features = rows[0]?.length;
    if (typeof features !== 'number' || features < 1)
      throw new ShapeError(`${where}: step 0 of the series is ${describe(rows[0])}; expected a number or a non-empty array of features.`);
    if (options.features !== undefined && options.features !== features) {
      throw new ShapeError(`${where}: options.features is ${options.features} but the rows of the series hold ${features} features.`);
    }
    const out = new Float32Array(rows.length * features);
    rows.forEach((row, t) => {
      if (row === null || typeof row !== 'object' || row.length !== features) {
        throw new ShapeError(`${where}: step ${t} of the series is ${describe(row)}; every step must hold ${features} features, as step 0.`);
      }
      checkNumbers(row, `${where}: step ${t}`);
      out.set(row, t * features);
    });
    flat = out;
  } else {
    features = options.features ?? 1;
    if (!(Number.isInteger(features) && features >= 1)) throw new ShapeError(`${where}: features must be a whole number ≥ 1, got ${features}.`);
    if (series.length % features !== 0) {
      throw new ShapeError(`${where}: a flat series of ${series.length} values does not split into steps of ${features} features.`);
    }
    checkNumbers(series as ArrayLike<number>, `${where}: series`);
    flat = series as ArrayLike<number>;
  }
  const targets = options.targetFeatures ?? Array.from({ length: features }, (_, f) => f);
  if (!Array.isArray(targets) || targets.length === 0) throw new ShapeError(`${where}: targetFeatures must be a non-empty array of feature indices.`);
  for (const f of targets) {
    if (!(Number.isInteger(f) && f >= 0 && f < features))
      throw new ShapeError(`${where}: targetFeatures holds ${f}; feature indices are whole numbers in [0, ${features}).`);
  }
  const steps = flat.length / features;
  if (steps < window + horizon) {
    throw new ShapeError(
      `${where}: a series of ${steps} steps is too short for window ${window} + horizon ${horizon}: it needs at least ${window + horizon} steps.`,
    );
  }
  const n = Math.floor((steps - window - horizon) / stride) + 1;
  const perX = window * features;
  const perY = horizon * targets.length;
  const x = new Float32Array(n * perX);
  const y = new Float32Array(n * perY);
  const allTargets = targets.length === features && targets.every((f, i) => f === i);
  for (let i = 0; i < n; i++) {
    const start = i * stride * features;
    for (let k = 0; k < perX; k++) x[i * perX + k] = flat[start + k];
    const next = start + perX;
    if (allTargets) {
      for (let k = 0; k < perY; k++) y[i * perY + k] = flat[next + k];
    } else {
      for (let h = 0; h < horizon; h++) {
        for (let j = 0; j < targets.length; j++) y[i * perY + h * targets.length + j] = flat[next + h * features + targets[j]];
      }
    }
  }
  return { x, y, xShape: [n, window, features], yShape: [n, perY] };
}

/** `trainTestSplit` options. */
export interface SplitOptions {
  /** Shuffle the samples (x and y together) before splitting; default false. */
  shuffle?: boolean;
  /** Seed of the shuffle: the same seed gives the same split (without one, setSeed's stream). */
  seed?: number;
}

/**
 * Splits samples: the test part is the last `testFraction` of them (the first
 * ⌊n·(1 − testFraction)⌋ train). In order by default — the rule of `fit`'s `validationSplit`
 * and the right one for time series — and then the parts are views into the input arrays; with
 * `shuffle`, the samples are first permuted (seeded Fisher–Yates) and the parts are copies.
 *
 * @example
 * ```ts
 * const { train, test } = trainTestSplit(slidingWindows(series, 49), 0.2, { shuffle: true, seed: 7 });
 * ```
 */
export function trainTestSplit(data: Windows, testFraction: number, options: SplitOptions = {}): { train: Windows; test: Windows } {
  checkSplitOptions(options);
  if (!(typeof testFraction === 'number' && testFraction > 0 && testFraction < 1)) {
    throw new ShapeError(`trainTestSplit: testFraction must be in (0, 1), got ${testFraction}.`);
  }
  const [n, window, features] = data.xShape;
  const perY = data.yShape[1];
  if (data.yShape[0] !== n || data.x.length !== n * window * features || data.y.length !== n * perY) {
    throw new ShapeError(
      `trainTestSplit: x has ${data.x.length} values for shape ${formatShape(data.xShape)} and y ${data.y.length} for ${formatShape(data.yShape)}; they must match, with the same number of samples.`,
    );
  }
  const nTrain = Math.floor(n * (1 - testFraction));
  if (nTrain < 1 || nTrain >= n) {
    throw new ShapeError(
      `trainTestSplit: testFraction ${testFraction} of ${n} samples leaves ${nTrain} to train and ${n - nTrain} to test; each part needs at least one.`,
    );
  }
  const perX = window * features;
  const source = options.shuffle ? permuted(data, n, perX, perY, new Random(options.seed)) : data;
  const part = (from: number, to: number): Windows => ({
    x: source.x.subarray(from * perX, to * perX),
    y: source.y.subarray(from * perY, to * perY),
    xShape: [to - from, window, features],
    yShape: [to - from, perY],
  });
  return { train: part(0, nTrain), test: part(nTrain, n) };
}

function checkSplitOptions(options: SplitOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new ShapeError(`trainTestSplit: options must be an object ({ shuffle, seed }), got ${String(options)}.`);
  for (const key of Object.keys(options)) {
    if (key !== 'shuffle' && key !== 'seed') throw new ShapeError(`trainTestSplit: unknown option '${key}': the options are shuffle and seed.`);
  }
  if (options.shuffle !== undefined && typeof options.shuffle !== 'boolean') {
    throw new ShapeError(`trainTestSplit: shuffle must be true or false, got ${JSON.stringify(options.shuffle)}.`);
  }
  if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new ShapeError(`trainTestSplit: seed must be a whole number, got ${options.seed}.`);
}

/** The samples of `data` in a seeded random order (Fisher–Yates), copied. */
function permuted(data: Windows, n: number, perX: number, perY: number, random: Random): { x: Float32Array; y: Float32Array } {
  const order = random.shuffle(Array.from({ length: n }, (_, i) => i));
  const x = new Float32Array(n * perX);
  const y = new Float32Array(n * perY);
  order.forEach((from, to) => {
    x.set(data.x.subarray(from * perX, (from + 1) * perX), to * perX);
    y.set(data.y.subarray(from * perY, (from + 1) * perY), to * perY);
  });
  return { x, y };
}

/** Throws unless every element is a finite number. */
function checkNumbers(values: ArrayLike<number>, what: string): void {
  if (values instanceof Float32Array || values instanceof Float64Array) {
    assertFinite(values, what);
    return;
  }
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number') throw new ShapeError(`${what} holds ${describe(values[i])} at index ${i}; expected numbers.`);
  }
  assertFinite(values, what);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : `${typeof v} ${String(v)}`;
}
