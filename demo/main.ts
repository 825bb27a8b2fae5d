// The live demo: finds a WebGPU adapter (or explains how to get one), then trains a character
// LSTM on Moby-Dick with fit(), drawing the loss of every batch and showing generated text as
// it learns. Train/Stop, Generate, Save / Load (IndexedDB), Download, Reset, temperature.
// Options come from the query string (demo/options.ts); `window.__demo` (demo/hook.ts) lets a
// test drive the page.
import { createDevice, DeviceError, loadModel, Random, tensor, TrainingError, type Gpu, type Sequential, type Tensor } from '../src/index.js';
import { buildModel, compile, describe, generate, incompatibility, modelSteps } from './charModel.js';
import { TEXT, VOCABULARY } from './corpus.js';
import { Dataset } from './dataset.js';
import type { DemoHook, DemoState } from './hook.js';
import { LossChart } from './lossChart.js';
import { readOptions, type DemoOptions } from './options.js';
import { $, ui } from './ui.js';

declare global {
  interface Window {
    __demo?: DemoHook;
  }
}

const SAVE_NAME = 'moby-char';
const META_KEY = 'webgpu-rnn-demo:moby-char';
/** The generated text always continues the book's opening, so the samples can be compared. */
const SEED_START = TEXT.indexOf('call me ishmael');

/** Thrown from onBatchEnd to end fit() between two batches; the weights are those of the last step. */
class StopTraining extends Error {}

let state: DemoState = 'starting';
let error: string | undefined;
let gpu: Gpu;
let options: DemoOptions;
let model: Sequential;
let data: Dataset;
let chart: LossChart;
let random: Random;
let stopRequested = false;
let training: Promise<void> | undefined;
let batches = 0;
const lossHistory: number[] = [];
const batchTimes: number[] = [];
const valLossHistory: { batch: number; loss: number }[] = [];
const samples: string[] = [];

const yieldToUi = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function setState(next: DemoState): void {
  state = next;
  const idle = state === 'idle';
  ui.train.disabled = !(idle || state === 'training');
  ui.train.textContent = state === 'training' ? 'Stop' : 'Train';
  ui.train.classList.toggle('stop', state === 'training');
  for (const button of [ui.sample, ui.save, ui.load, ui.download, ui.reset]) button.disabled = !idle;
}

function status(message: string, isError = false): void {
  ui.status.textContent = message;
  ui.status.classList.toggle('error', isError);
  if (isError) error = message;
}

const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** Runs one command while the other buttons are off; errors go to the status line. */
async function command<T>(what: string, run: () => Promise<T>): Promise<T | undefined> {
  if (state !== 'idle') return undefined;
  setState('busy');
  try {
    return await run();
  } catch (e) {
    status(`${what} failed: ${errorText(e)}`, true);
    return undefined;
  } finally {
    setState('idle');
  }
}

function temperature(): number {
  return Number(ui.temperature.value);
}

function seedText(steps: number): string {
  return TEXT.slice(SEED_START, SEED_START + steps);
}

function describeModel(): void {
  const nTrain = data.trainCount;
  ui.modelInfo.textContent =
    `Model: ${describe(model)}, ${model.countParams().toLocaleString('en')} parameters over ${VOCABULARY.length} characters. ` +
    `Data: ${(TEXT.length / 1000).toFixed(0)} k characters in ${data.count.toLocaleString('en')} windows of ${data.steps}; ` +
    `${nTrain.toLocaleString('en')} train (an epoch is ${Math.ceil(nTrain / options.batchSize)} batches of ${options.batchSize}), ` +
    `and ${data.validation.count} from the last chapters give the validation loss every ${options.validateEvery} batches. ` +
    `Adam, learning rate ${options.learningRate}, gradients clipped to norm 1; the loss is the cross-entropy of the next character at every step of a window.`;
}

function updateStats(lastBatchMs?: number): void {
  const s = ui.stats;
  s.batches.textContent = String(batches);
  s.epoch.textContent = (data.seen / data.trainCount).toFixed(2);
  const last = lossHistory[lossHistory.length - 1];
  s.loss.textContent = last === undefined ? '–' : last.toFixed(3);
  const val = valLossHistory[valLossHistory.length - 1];
  s.val.textContent = val === undefined ? '–' : val.loss.toFixed(3);
  if (lastBatchMs !== undefined)
    s.speed.textContent = `${lastBatchMs.toFixed(0)} ms (${Math.round((options.batchSize * data.steps * 1000) / lastBatchMs).toLocaleString('en')} chars/s)`;
}

/** Generates a passage after the seed text, showing each character as it comes. */
async function showSample(caption: string, cancelled: () => boolean = () => false): Promise<string> {
  const steps = modelSteps(model);
  const seed = seedText(steps);
  const seedSpan = document.createElement('span');
  seedSpan.className = 'seed';
  seedSpan.textContent = seed;
  const generated = document.createTextNode('');
  ui.sampleText.replaceChildren(seedSpan, generated);
  const t = temperature();
  ui.sampleCaption.textContent = `${caption}, temperature ${t.toFixed(2)}`;
  const text = await generate(model, {
    seed,
    length: options.sampleLength,
    temperature: t,
    random,
    cancelled,
    onChar: (c) => generated.appendData(c),
  });
  samples.push(text);
  return text;
}

/** Trains until Stop (or `limit` batches), then shows a passage from the model as it is. */
function train(limit = 0): Promise<void> {
  if (state !== 'idle') return training ?? Promise.resolve();
  setState('training');
  stopRequested = false;
  error = undefined;
  status(limit ? `Training ${limit} batches…` : 'Training… (Stop ends it after the current batch; the model stays usable)');
  const first = batches;
  training = (async () => {
    let last = performance.now();
    const v = data.validation;
    let valX: Tensor | undefined;
    let valY: Tensor | undefined;
    try {
      valX = tensor(gpu, v.x, [v.count, data.steps]);
      valY = tensor(gpu, v.y, [v.count, data.steps]);
      // Rounds of `validateEvery` batches, each a fit() of one epoch with the validation loss at its end.
      while (!stopRequested) {
        const round = data.nextRound(options.validateEvery * options.batchSize);
        const x = tensor(gpu, round.x, [round.count, data.steps]);
        const y = tensor(gpu, round.y, [round.count, data.steps]);
        try {
          await model.fit(x, y, {
            epochs: 1,
            batchSize: options.batchSize,
            shuffle: false,
            validationData: [valX, valY],
            callbacks: {
              onBatchEnd: async (batch, logs) => {
                const ms = performance.now() - last;
                batches++;
                data.seen += Math.min(options.batchSize, round.count - batch * options.batchSize);
                lossHistory.push(logs.loss);
                batchTimes.push(ms);
                chart.addBatch(batches, logs.loss);
                chart.draw();
                updateStats(ms);
                if (limit && batches - first >= limit) stopRequested = true;
                if (!stopRequested && batches % options.sampleEvery === 0) await showSample(`after ${batches} batches`, () => stopRequested);
                if (stopRequested) throw new StopTraining();
                await yieldToUi();
                last = performance.now();
              },
              onEpochEnd: (_epoch, logs) => {
                if (logs.val_loss !== undefined) {
                  valLossHistory.push({ batch: batches, loss: logs.val_loss });
                  chart.addValidation(batches, logs.val_loss);
                  chart.draw();
                }
                updateStats();
                last = performance.now();
              },
            },
          });
        } finally {
          x.dispose();
          y.dispose();
        }
      }
    } catch (e) {
      if (!(e instanceof StopTraining)) {
        const hint = e instanceof TrainingError ? ' Reset, or Load a saved model.' : '';
        status(`Training stopped: ${errorText(e)}.${hint}`, true);
      }
    } finally {
      valX?.dispose();
      valY?.dispose();
    }
    const failed = ui.status.classList.contains('error');
    setState('busy');
    try {
      if (!failed) status(`Stopped after ${batches} batches. Generating from the model as it is now…`);
      await showSample(`after ${batches} batches`);
      if (!failed) status(`Stopped after ${batches} batches. Train goes on from here; Save keeps the model in this browser.`);
    } catch (e) {
      status(`Generating failed: ${errorText(e)}`, true);
    } finally {
      setState('idle');
    }
  })();
  return training;
}

async function stop(): Promise<void> {
  stopRequested = true;
  await training;
}

function replaceModel(next: Sequential): void {
  model?.dispose();
  model = next;
  if (data?.steps !== modelSteps(model)) data = new Dataset(modelSteps(model), random);
  describeModel();
}

async function save(): Promise<void> {
  await command('Saving', async () => {
    status('Saving to IndexedDB…');
    await model.save(`indexeddb://${SAVE_NAME}`);
    localStorage.setItem(META_KEY, JSON.stringify({ batches, loss: lossHistory[lossHistory.length - 1] ?? null, savedAt: new Date().toISOString() }));
    status(`Saved after ${batches} batches as indexeddb://${SAVE_NAME}. Load brings it back, even after a reload.`);
  });
}

async function download(): Promise<void> {
  await command('Download', async () => {
    await model.save(`downloads://${SAVE_NAME}`);
    status(`Downloaded ${SAVE_NAME}.json and ${SAVE_NAME}.weights.bin (loadModel(gpu, { modelJson, weights }) reads them).`);
  });
}

async function load(): Promise<void> {
  await command('Loading', async () => {
    status(`Loading indexeddb://${SAVE_NAME}…`);
    const loaded = await loadModel(gpu, `indexeddb://${SAVE_NAME}`);
    const why = incompatibility(loaded);
    if (why) {
      loaded.dispose();
      throw new Error(`the saved model does not fit this page: ${why}.`);
    }
    compile(loaded, options.learningRate);
    replaceModel(loaded);
    const meta = JSON.parse(localStorage.getItem(META_KEY) ?? 'null') as { batches?: number; savedAt?: string } | null;
    const when =
      meta?.batches !== undefined ? ` (saved after ${meta.batches} batches${meta.savedAt ? `, ${new Date(meta.savedAt).toLocaleString()}` : ''})` : '';
    status(`Loaded indexeddb://${SAVE_NAME}${when}. Generating…`);
    await showSample('loaded model');
    status(`Loaded indexeddb://${SAVE_NAME}${when}. Train goes on training it.`);
  });
}

async function reset(): Promise<void> {
  await command('Reset', async () => {
    replaceModel(buildModel(gpu, options, random.int(2 ** 31), options.learningRate));
    batches = 0;
    data.seen = 0;
    lossHistory.length = 0;
    batchTimes.length = 0;
    valLossHistory.length = 0;
    chart.clear();
    updateStats();
    ui.sampleCaption.textContent = '';
    ui.sampleText.textContent = '';
    status('New random weights. Press Train.');
  });
}

async function probe(): Promise<number[]> {
  const steps = modelSteps(model);
  const y = model.predict(
    Float32Array.from(seedText(steps), (c) => VOCABULARY.indexOf(c)),
    [1, steps],
  );
  const all = await y.data();
  y.dispose();
  return Array.from(all.subarray((steps - 1) * VOCABULARY.length));
}

function showNoWebGpu(reason: string): void {
  state = 'no-webgpu';
  error = reason;
  ui.adapter.textContent = 'No WebGPU adapter.';
  ui.noWebGpuReason.textContent = reason;
  ui.noWebGpu.hidden = false;
  ui.app.hidden = true;
}

function publishHook(): void {
  window.__demo = {
    get state() {
      return state;
    },
    get error() {
      return error;
    },
    get adapter() {
      return gpu
        ? { description: gpu.info.description, vendor: gpu.info.vendor, architecture: gpu.info.architecture, isSoftware: gpu.info.isSoftware }
        : undefined;
    },
    get options() {
      return { ...options };
    },
    get batches() {
      return batches;
    },
    lossHistory,
    batchTimes,
    valLossHistory,
    samples,
    train,
    stop,
    generate: async () => (await command('Generating', () => showSample(`after ${batches} batches`))) ?? '',
    probe,
  };
}

async function start(): Promise<void> {
  publishHook();
  if (!('gpu' in navigator) || !navigator.gpu) {
    showNoWebGpu(
      window.isSecureContext
        ? 'navigator.gpu is missing: this browser does not have WebGPU, or it is turned off.'
        : `navigator.gpu is missing because this page is not a secure context (${location.origin}): WebGPU needs https:// or localhost.`,
    );
    return;
  }
  try {
    gpu = await createDevice();
  } catch (e) {
    showNoWebGpu(e instanceof DeviceError ? e.message : `Creating the WebGPU device failed: ${errorText(e)}`);
    return;
  }
  const info = gpu.info;
  const name = info.description || [info.vendor, info.architecture].filter(Boolean).join(' ') || 'an unnamed adapter';
  ui.adapter.innerHTML = '';
  ui.adapter.append(
    'Adapter: ',
    Object.assign(document.createElement('strong'), { textContent: name }),
    info.vendor && info.description ? ` (${info.vendor})` : '',
  );
  options = readOptions(location.search, info.isSoftware);
  if (info.isSoftware) {
    ui.software.hidden = false;
    ui.software.textContent =
      `This is a software adapter: WebGPU emulated on the CPU, not a GPU. Training is slow here, so the page uses a small model ` +
      `(LSTM of ${options.units} units, windows of ${options.steps} characters, batches of ${options.batchSize}). On a GPU it trains a larger one, much faster.`;
  }
  random = new Random(options.seed);
  ui.app.hidden = false;
  chart = new LossChart($<HTMLCanvasElement>('loss-chart'));
  replaceModel(buildModel(gpu, options, options.seed, options.learningRate));
  updateStats();

  ui.train.addEventListener('click', () => void (state === 'training' ? stop() : train()));
  ui.sample.addEventListener('click', () => void window.__demo?.generate());
  ui.save.addEventListener('click', () => void save());
  ui.load.addEventListener('click', () => void load());
  ui.download.addEventListener('click', () => void download());
  ui.reset.addEventListener('click', () => void reset());
  ui.temperature.addEventListener('input', () => (ui.temperatureValue.value = temperature().toFixed(2)));
  ui.temperatureValue.value = temperature().toFixed(2);

  setState('idle');
  status(localStorage.getItem(META_KEY) ? 'Ready. Train starts from fresh weights; Load brings back the model saved in this browser.' : 'Ready. Press Train.');
  if (options.autostart) void train(options.batches);
}

void start().catch((e: unknown) => {
  ui.app.hidden = false;
  setState('busy');
  status(`The demo failed to start: ${errorText(e)}`, true);
});
