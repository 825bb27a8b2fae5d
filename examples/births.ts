// Forecasting daily US births (1969–1988) one day ahead: sliding windows of 49 days, each day
// [births, weekday one-hot, day of year as sin/cos] → LSTM → Dense(1), mean squared error.
// The last year is held out; the MAE there (births a day) is set against the seasonal-naive
// forecast (the same weekday a week earlier). With --grid, gridSearch picks units, learning
// rate and batch size on a validation split of the training days first.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { formatGridTable, gridSearch, layers, sequential, slidingWindows, tensor, type Gpu, type Sequential, type Tensor } from '../src/index.js';
import { birthFeatures, FEATURES, loadBirths, meanAbsoluteError, meanStd, seasonalNaive, type BirthDays } from './lib/births.js';
import { epochLogger, openGpu, realNumber, seconds, wholeNumber } from './lib/common.js';

export const description = 'daily US births forecast one day ahead (LSTM on 49-day windows), against the seasonal-naive forecast, with an optional grid search';

const WINDOW = 49;

interface BirthsOptions {
  trainDays: number;
  testDays: number;
  epochs: number;
  units: number;
  batchSize: number;
  learningRate: number;
  grid: boolean;
  gridEpochs: number;
  gridUnits: number[];
  gridLearningRates: number[];
  gridBatchSizes: number[];
  validationSplit: number;
  seed: number;
  save: string;
}

/** commander parser: a comma-separated list, each item read by `item`. */
function list(item: (value: string) => number): (value: string) => number[] {
  return (value) => {
    const items = value.split(',').map((v) => v.trim());
    if (items.some((v) => v === '')) throw new InvalidArgumentError(`expected a comma-separated list, got '${value}'.`);
    return items.map(item);
  };
}

function parseOptions(argv: string[]): BirthsOptions {
  const program = new Command('births')
    .description(description)
    .option('--train-days <n>', 'days trained on: the ones just before the held-out days', wholeNumber(WINDOW + 2), 6 * 365)
    .option('--test-days <n>', 'days held out at the end of the series (366: the year 1988)', wholeNumber(1), 366)
    .option('--epochs <n>', 'passes over the training windows (of the final model, after a grid search)', wholeNumber(), 6)
    .option('--units <n>', 'LSTM units (without --grid)', wholeNumber(), 32)
    .option('--batch-size <n>', 'windows per training step (without --grid)', wholeNumber(), 32)
    .option('--learning-rate <x>', 'Adam learning rate (without --grid)', realNumber(0), 0.005)
    .option('--grid', 'grid search over units × learning rate × batch size first, then train the best setting', false)
    .option('--grid-epochs <n>', 'epochs of each grid setting', wholeNumber(), 2)
    .option('--grid-units <list>', 'LSTM units to try', list(wholeNumber()), [16, 32])
    .option('--grid-learning-rates <list>', 'Adam learning rates to try', list(realNumber(0)), [0.002, 0.01])
    .option('--grid-batch-sizes <list>', 'batch sizes to try', list(wholeNumber()), [32])
    .option('--validation-split <x>', 'fraction of the training windows (the latest) that scores the grid settings', realNumber(0.01, 0.5), 0.15)
    .option('--seed <n>', 'seed of initialization and shuffling', wholeNumber(0), 1)
    .option('--save <dir>', 'where the trained model goes', 'examples/models/births');
  program.parse(argv, { from: 'user' });
  return program.opts<BirthsOptions>();
}

interface Setting {
  units: number;
  learningRate: number;
  batchSize: number;
}

export async function main(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  const days = loadBirths();
  const n = days.births.length;
  const testFrom = n - o.testDays;
  const trainFrom = testFrom - o.trainDays;
  if (trainFrom < 0 || testFrom - WINDOW < 0) {
    throw new Error(`The series has ${n} days: ${o.trainDays} to train and ${o.testDays} held out do not fit; lower --train-days or --test-days.`);
  }
  // Standardized with the training days' statistics only.
  const { mean, std } = meanStd(days.births, trainFrom, testFrom);
  const features = birthFeatures(days, mean, std);
  // Training windows: inputs and targets inside [trainFrom, testFrom). x [trainDays − 49, 49, FEATURES], y [·, 1].
  const train = slidingWindows(features.subarray(trainFrom * FEATURES, testFrom * FEATURES), WINDOW, 1, { features: FEATURES, targetFeatures: [0] });
  // Held-out windows: targets are the days [testFrom, n); inputs reach back 49 days before the first.
  const test = slidingWindows(features.subarray((testFrom - WINDOW) * FEATURES), WINDOW, 1, { features: FEATURES, targetFeatures: [0] });
  console.log(
    `US births: ${n} days ${day(days, 0)} … ${day(days, n - 1)}; training on ${day(days, trainFrom)} … ${day(days, testFrom - 1)} (${train.xShape[0]} windows of ${WINDOW} days × ${FEATURES} features), holding out ${day(days, testFrom)} … ${day(days, n - 1)}`,
  );
  console.log(`Births standardized with the training days' mean ${mean.toFixed(0)} and standard deviation ${std.toFixed(0)} a day`);

  const gpu = await openGpu();
  try {
    const x = tensor(gpu, train.x, train.xShape);
    const y = tensor(gpu, train.y, train.yShape);
    let setting: Setting = { units: o.units, learningRate: o.learningRate, batchSize: o.batchSize };
    if (o.grid) setting = await searchGrid(gpu, o, x, y, std);

    const model = build(gpu, setting, o.seed);
    model.summary();
    console.log(`Training ${describeSetting(setting)} for ${o.epochs} epoch(s) on every training window:`);
    const start = performance.now();
    await model.fit(x, y, { epochs: o.epochs, batchSize: setting.batchSize, seed: o.seed, callbacks: epochLogger(o.epochs) });
    console.log(`Trained in ${seconds(start)}.`);
    x.dispose();
    y.dispose();

    const xHeld = tensor(gpu, test.x, test.xShape);
    const out = model.predict(xHeld);
    // forecast: [testDays, 1], standardized
    const forecast = Float64Array.from(await out.data(), (v) => v * std + mean);
    out.dispose();
    xHeld.dispose();
    const actual = days.births.subarray(testFrom);
    const lstmMae = meanAbsoluteError(forecast, actual);
    const naiveMae = meanAbsoluteError(seasonalNaive(days.births, testFrom, n), actual);
    const gap = ((naiveMae - lstmMae) / naiveMae) * 100;
    const verdict = lstmMae < naiveMae ? `the LSTM is ${gap.toFixed(1)} % lower` : `the LSTM is ${(-gap).toFixed(1)} % higher: the baseline wins`;
    console.log(
      `Held-out ${day(days, testFrom)} … ${day(days, n - 1)} (${o.testDays} days), MAE in births a day: LSTM ${lstmMae.toFixed(1)}; seasonal naive (same weekday last week) ${naiveMae.toFixed(1)}; ${verdict}.`,
    );

    await model.save(o.save);
    // What a forecast needs beside the weights: the window and the standardization.
    writeFileSync(
      join(o.save, 'births.json'),
      `${JSON.stringify({ window: WINDOW, features: ['births', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun', 'sinDayOfYear', 'cosDayOfYear'], mean, std }, null, 2)}\n`,
    );
    console.log(`Saved the model to ${o.save}`);
    model.dispose();
  } finally {
    gpu.destroy();
  }
}

/** LSTM → Dense(1) on windows [49, FEATURES], compiled for mean squared error (and MAE) with Adam. */
function build(gpu: Gpu, s: Setting, seed: number): Sequential {
  const model = sequential(gpu, [layers.lstm({ units: s.units, inputShape: [WINDOW, FEATURES], seed }), layers.dense({ units: 1, seed: seed + 1 })]);
  model.compile({ optimizer: { name: 'adam', learningRate: s.learningRate, clipnorm: 1 }, loss: 'meanSquaredError', metrics: 'mae' });
  return model;
}

/** Runs the grid on the training windows (scored by val_mae on their latest part); returns the best setting. */
async function searchGrid(gpu: Gpu, o: BirthsOptions, x: Tensor, y: Tensor, std: number): Promise<Setting> {
  const grid = { units: o.gridUnits, learningRate: o.gridLearningRates, batchSize: o.gridBatchSizes };
  const total = o.gridUnits.length * o.gridLearningRates.length * o.gridBatchSizes.length;
  console.log(
    `Grid search: ${total} setting(s) × ${o.gridEpochs} epoch(s), scored by val_mae on the latest ${(o.validationSplit * 100).toFixed(0)} % of the training windows:`,
  );
  const metric = 'val_mae';
  const start = performance.now();
  const { results, best } = await gridSearch({
    build: (params) => build(gpu, params, o.seed),
    grid,
    x,
    y,
    validationSplit: o.validationSplit,
    fit: { epochs: o.gridEpochs },
    seed: o.seed,
    metric,
    onResult: (r, i) => {
      const score = Number.isFinite(r.score) ? `${metric} ${r.score.toFixed(4)} (${(r.score * std).toFixed(0)} births a day)` : `failed: ${r.error}`;
      console.log(`  ${i + 1}/${total} ${describeSetting(r.params)}: ${score} (${r.seconds.toFixed(1)} s)`);
    },
  });
  console.log(`Grid search done in ${seconds(start)}, best first:`);
  console.log(formatGridTable(results, { metric }));
  if (!Number.isFinite(best.score)) throw new Error('Every grid setting failed to train (non-finite loss): lower the learning rates.');
  console.log(`Best setting: ${describeSetting(best.params)} (${metric} ${best.score.toFixed(4)}, ${(best.score * std).toFixed(0)} births a day)`);
  return best.params;
}

function describeSetting(s: Setting): string {
  return `units ${s.units}, learning rate ${s.learningRate}, batch size ${s.batchSize}`;
}

/** Day t as YYYY-MM-DD. */
function day(days: BirthDays, t: number): string {
  return `${days.year[t]}-${String(days.month[t]).padStart(2, '0')}-${String(days.date[t]).padStart(2, '0')}`;
}
