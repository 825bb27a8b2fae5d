// @vitest-environment node
// Save and load in a real browser (headless Chromium, WebGPU on SwiftShader): IndexedDB round
// trip, downloads:// (the files Chromium writes are loaded here in Node), loading over HTTP
// a model that Node saved, and the tuner's choices persisted in IndexedDB. See ./io-page/main.ts for the page's side.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { build } from 'vite';
import { browserTwins } from '../../scripts/browserTwins.js';
import { afterAll, describe, expect, it } from 'vitest';
import { layers, sequential, tensor, type Sequential } from '../../src/index.js';
import { crc32 } from '../../src/io/binary.js';
import { loadModel, saveModel } from '../../src/io/io.js';
import { expectClose, useGpu } from '../helpers/gpu.js';
import { assertChromium, CHROMIUM_FLAGS, CHROMIUM_PATH, serveStatic, type StaticServer } from './harness.js';
import type { IoPageResult } from './io-page/main.js';

const env = useGpu();
const here = dirname(fileURLToPath(import.meta.url));
const cleanup: string[] = [];
afterAll(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
});

async function predict(model: Sequential, x: number[], shape: number[]): Promise<Float32Array> {
  const input = tensor(env.gpu, Float32Array.from(x), shape);
  const y = model.predict(input);
  const out = await y.data();
  input.dispose();
  y.dispose();
  return out;
}

async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > end) throw new Error(`Chromium did not write ${path} within ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('save and load in headless Chromium', () => {
  it('IndexedDB round trip, downloads, and HTTP loading of a model saved in Node', async () => {
    assertChromium(CHROMIUM_PATH);
    const work = await mkdtemp(join(tmpdir(), 'webgpu-rnn-io-browser-'));
    cleanup.push(work);
    const dist = join(work, 'dist');
    const downloads = join(work, 'downloads');
    await build({
      root: join(here, 'io-page'),
      base: './',
      configFile: false,
      logLevel: 'warn',
      plugins: [browserTwins()],
      build: {
        outDir: dist,
        emptyOutDir: true,
        target: 'es2022',
        minify: false,
        reportCompressedSize: false,
      },
    });

    // The model the page loads over HTTP, saved here in Node.
    const nodeModel = sequential(env.gpu, [layers.lstm({ units: 5, inputShape: [5, 4], seed: 9 }), layers.dense({ units: 2, seed: 10 })]);
    const nodeSaved = await saveModel(nodeModel, join(dist, 'served'));

    let server: StaticServer | undefined;
    let browser: Browser | undefined;
    let result: IoPageResult;
    const problems: string[] = [];
    try {
      server = await serveStatic(dist);
      browser = await puppeteer.launch({
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: [...CHROMIUM_FLAGS, `--user-data-dir=${join(work, 'profile')}`],
        downloadBehavior: { policy: 'allow', downloadPath: downloads },
        timeout: 30_000,
      });
      const page = await browser.newPage();
      page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
      page.on('pageerror', (e) => void problems.push(String(e)));
      await page.goto(server.url, { waitUntil: 'load', timeout: 30_000 });
      await page.waitForFunction('window.__result !== undefined', { timeout: 60_000, polling: 100 });
      result = (await page.evaluate('window.__result')) as IoPageResult;
      const context = `page: ${JSON.stringify(result).slice(0, 2000)}\nproblems: ${problems.join('\n')}`;
      expect(result.error, context).toBeUndefined();
      expect(result.ok, context).toBe(true);
      await waitForFile(join(downloads, 'io-model.json'), 15_000);
      await waitForFile(join(downloads, 'io-model.weights.bin'), 15_000);
    } finally {
      if (browser) {
        const proc = browser.process();
        await Promise.race([browser.close(), new Promise((ok) => setTimeout(ok, 10_000))]).catch(() => {});
        if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      }
      await server?.close();
    }

    // IndexedDB: bit-identical, listed, then removed.
    expect(result.indexedDbBitIdentical).toBe(true);
    expect(result.listed).toContain('indexeddb://io-test');
    expect(result.afterRemove).toMatch(/^ModelIOError: indexeddb:\/\/io-test: no model is saved under this name/);

    // The tuner's IndexedDB store: the LSTM forward form and the GEMMs timed, read back by a new device, not timed again.
    expect(result.tuning!.choices).toBeGreaterThan(0);
    expect(result.tuning!.reloaded).toBe(true);
    expect(result.tuning!.timedAgain).toBe(0);

    // downloads://: the two files, the JSON naming the weight file beside it, the same weights.
    const json = JSON.parse(await readFile(join(downloads, 'io-model.json'), 'utf8')) as { weightsManifest: { path: string; crc32: number } };
    expect(json.weightsManifest.path).toBe('io-model.weights.bin');
    expect(json.weightsManifest.crc32).toBe(result.crc);
    const downloaded = await loadModel(env.gpu, join(downloads, 'io-model.json'));
    // Another WebGPU implementation (Dawn in Node vs Chromium's): f32 rounding may differ in
    // the last bits; 1e-6 is far below any error of a wrong weight (≥ 1e-3 here).
    expectClose(await predict(downloaded, result.x!, [3, 5, 4]), result.y!, 1e-6, 1e-6, 'downloaded model in Node vs page');

    // HTTP: the page's predictions of the Node-saved model.
    expect(nodeSaved.modelJson.weightsManifest.crc32).toBe(crc32(new Uint8Array(await readFile(join(dist, 'served', 'weights.bin')))));
    expectClose(result.served!, await predict(nodeModel, result.x!, [3, 5, 4]), 1e-6, 1e-6, 'served model in the page vs Node');
    downloaded.dispose();
    nodeModel.dispose();
  }, 120_000);
});
