// The save / load page, read by test/browser/io.browser.test.ts: a model saved to IndexedDB
// and loaded back predicts bit-identically; it is listed, removed, and then not found; it is
// saved to downloads:// (the test reads the files Chromium wrote); and a model saved by Node
// into ./served/ is loaded over HTTP; a tuned device's choices persist in IndexedDB. Results are
// published on `window.__result`.
import { createDevice, layers, sequential, tensor, type Sequential } from '../../../src/index.js';
import { crc32 } from '../../../src/io/binary.js';
import { loadModel, saveModel } from '../../../src/io/io.js';
import { ModelIOError } from '../../../src/spec/ioErrors.js';
import { listIndexedDbModels, removeIndexedDbModel } from '../../../src/io/ioHandlers.js';

export const SHAPE = [3, 5, 4] as const;

export interface IoPageResult {
  ok: boolean;
  error?: string;
  /** The input, [3, 5, 4]. */
  x?: number[];
  /** Predictions of the page's model before saving. */
  y?: number[];
  /** CRC-32 of the page model's weight file. */
  crc?: number;
  indexedDbBitIdentical?: boolean;
  listed?: string[];
  afterRemove?: string;
  /** Predictions of the model Node saved under ./served/, loaded by fetch. */
  served?: number[];
  /** createDevice({ tune: 'fast', tuneCache }): the choices one device timed, and whether a new device read the same from IndexedDB. */
  tuning?: { choices: number; reloaded: boolean; timedAgain: number };
}

async function predict(model: Sequential, gpu: Sequential['gpu'], x: Float32Array): Promise<Float32Array> {
  const input = tensor(gpu, x, [...SHAPE]);
  const y = model.predict(input);
  const out = await y.data();
  input.dispose();
  y.dispose();
  return out;
}

/** A tuned device's choices persist in IndexedDB: a second device with the same tuneCache starts with them and times nothing again. */
async function tunedAndReloaded(x: Float32Array): Promise<IoPageResult['tuning']> {
  const runOn = async (tuned: Sequential['gpu']) => {
    const model = sequential(tuned, [layers.lstm({ units: 6, inputShape: [SHAPE[1], SHAPE[2]], seed: 3 }), layers.dense({ units: 2, seed: 5 })]);
    await predict(model, tuned, x);
    await tuned.tuner.settled();
    model.dispose();
  };
  const first = await createDevice({ tune: 'fast', tuneCache: 'io-test-tuning' });
  await runOn(first);
  const choices = first.tuner.entries();
  first.destroy();
  const second = await createDevice({ tune: 'fast', tuneCache: 'io-test-tuning' });
  const reloaded = JSON.stringify(second.tuner.entries()) === JSON.stringify(choices);
  await runOn(second);
  const timedAgain = second.tuner.records.length;
  second.destroy();
  return { choices: Object.keys(choices).length, reloaded, timedAgain };
}

async function run(): Promise<IoPageResult> {
  const gpu = await createDevice();
  try {
    const x = new Float32Array(SHAPE[0] * SHAPE[1] * SHAPE[2]).map((_, i) => Math.sin(i * 0.7) * 1.5);
    const model = sequential(gpu, [
      layers.lstm({ units: 6, inputShape: [SHAPE[1], SHAPE[2]], returnSequences: true, seed: 3 }),
      layers.lstm({ units: 7, seed: 4 }),
      layers.dense({ units: 3, activation: 'softmax', seed: 5 }),
    ]);
    const y = await predict(model, gpu, x);

    const saved = await saveModel(model, 'indexeddb://io-test');
    const loaded = await loadModel(gpu, 'indexeddb://io-test');
    const again = await predict(loaded, gpu, x);
    const indexedDbBitIdentical = y.length === again.length && y.every((v, i) => Object.is(v, again[i]));
    const listed = await listIndexedDbModels();
    await removeIndexedDbModel('indexeddb://io-test');
    let afterRemove = 'loaded';
    await loadModel(gpu, 'indexeddb://io-test').catch((e: unknown) => {
      afterRemove = e instanceof ModelIOError ? `ModelIOError: ${e.message}` : String(e);
    });

    await saveModel(model, 'downloads://io-model');

    const servedModel = await loadModel(gpu, './served/model.json');
    const served = await predict(servedModel, gpu, x);
    const tuning = await tunedAndReloaded(x);
    return {
      ok: true,
      x: Array.from(x),
      y: Array.from(y),
      crc: crc32(new Uint8Array(saved.weights)),
      indexedDbBitIdentical,
      listed,
      afterRemove,
      served: Array.from(served),
      tuning,
    };
  } finally {
    // Let the downloads start before the device (and the page's work) ends.
    await new Promise((resolve) => setTimeout(resolve, 200));
    gpu.destroy();
  }
}

function publish(result: IoPageResult): void {
  document.getElementById('status')!.textContent = result.ok ? 'OK' : 'FAILED';
  document.getElementById('out')!.textContent = JSON.stringify(result, null, 2);
  (window as unknown as { __result?: IoPageResult }).__result = result;
}

run().then(publish, (e: unknown) => {
  console.error(e);
  publish({ ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
});
