// @vitest-environment node
// The live demo page (demo/) in headless Chromium, WebGPU on SwiftShader: it trains a small
// character LSTM for a few batches and the loss falls, it writes text, Save / Reset / Load
// brings back the same predictions, Download writes the two files; without WebGPU it explains
// what to do instead. A screenshot goes to test/artifacts/demo.png.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoHook } from '../../demo/hook.js';
import { assertChromium, CHROMIUM_FLAGS, CHROMIUM_PATH, REPO_ROOT, serveStatic, type StaticServer } from './harness.js';

const ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts');
const VOCABULARY_SIZE = 39;
/**
 * A model small enough for a software adapter on 2 cores: 10 batches of 16 windows of 12
 * characters. The first batch is slow (SwiftShader compiles the pipelines, 10–20 s); the others
 * take about half a second. The passages are short because each character is one predict().
 */
const QUERY = '?units=32&steps=12&embedding=8&batch=16&lr=0.03&validateEvery=4&sampleEvery=1000&sampleLength=24&seed=7';
const BATCHES = 10;

let work: string;
let server: StaticServer | undefined;
let browser: Browser | undefined;
const downloads = (): string => join(work, 'downloads');

beforeAll(async () => {
  assertChromium(CHROMIUM_PATH);
  work = await mkdtemp(join(tmpdir(), 'webgpu-rnn-demo-'));
  await mkdir(ARTIFACTS, { recursive: true });
  const dist = join(work, 'dist');
  await build({
    configFile: join(REPO_ROOT, 'demo', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: dist, emptyOutDir: true, minify: false, sourcemap: false },
  });
  server = await serveStatic(dist);
  browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_FLAGS, `--user-data-dir=${join(work, 'profile')}`],
    downloadBehavior: { policy: 'allow', downloadPath: downloads() },
    timeout: 30_000,
    protocolTimeout: 150_000,
  });
});

afterAll(async () => {
  if (browser) {
    const proc = browser.process();
    await Promise.race([browser.close(), new Promise((ok) => setTimeout(ok, 10_000))]).catch(() => {});
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true, maxRetries: 3 });
});

/** Console errors and uncaught exceptions of the page, in order. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => void ((m.type() === 'error' || m.type() === 'assert') && problems.push(`console.${m.type()}: ${m.text()}`)));
  page.on('pageerror', (e) => void problems.push(`uncaught: ${String(e)}`));
  page.on('requestfailed', (r) => void problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return problems;
}

type Snapshot = Pick<DemoHook, 'state' | 'error' | 'adapter' | 'batches' | 'lossHistory' | 'batchTimes' | 'valLossHistory' | 'samples'> & {
  status: string;
  sampleText: string;
};

function snapshot(page: Page): Promise<Snapshot> {
  return page.evaluate(() => {
    const d = (window as unknown as { __demo: DemoHook }).__demo;
    return {
      state: d.state,
      error: d.error,
      adapter: d.adapter,
      batches: d.batches,
      lossHistory: [...d.lossHistory],
      batchTimes: [...d.batchTimes],
      valLossHistory: [...d.valLossHistory],
      samples: [...d.samples],
      status: document.getElementById('status')!.textContent ?? '',
      sampleText: document.getElementById('sample-text')!.textContent ?? '',
    };
  });
}

const probe = (page: Page): Promise<number[]> => page.evaluate(() => (window as unknown as { __demo: DemoHook }).__demo.probe());

/** Clicks a button and waits until the page is idle again with a status line matching `done`. */
async function click(page: Page, id: string, done: RegExp): Promise<string> {
  await page.click(`#${id}`);
  await page.waitForFunction(
    (pattern: string) => {
      const d = (window as unknown as { __demo: DemoHook }).__demo;
      return d.state === 'idle' && new RegExp(pattern).test(document.getElementById('status')!.textContent ?? '');
    },
    { timeout: 60_000, polling: 100 },
    done.source,
  );
  return page.$eval('#status', (el) => el.textContent ?? '');
}

async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!existsSync(path) || (await stat(path)).size === 0) {
    if (Date.now() > end) throw new Error(`Chromium did not write ${path} within ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

describe('the demo page in headless Chromium', () => {
  it('trains: the loss falls, text appears, save / load restores the model, download writes it', async () => {
    const page = await browser!.newPage();
    const problems = watch(page);
    await page.setViewport({ width: 1000, height: 900 });
    const t0 = performance.now();
    await page.goto(server!.url + QUERY, { waitUntil: 'load', timeout: 30_000 });
    await page.waitForFunction('window.__demo && window.__demo.state !== "starting"', { timeout: 60_000, polling: 100 });
    let s = await snapshot(page);
    const context = (): string => `page: ${JSON.stringify(s)}\nproblems:\n${problems.join('\n') || '(none)'}`;
    expect(s.state, context()).toBe('idle');
    expect(s.adapter, context()).toBeDefined();
    expect(await page.$eval('#no-webgpu', (el) => getComputedStyle(el).display), context()).toBe('none');

    const t1 = performance.now();
    await page.evaluate((n: number) => (window as unknown as { __demo: DemoHook }).__demo.train(n), BATCHES);
    const trainMs = performance.now() - t1;
    s = await snapshot(page);
    expect(s.state, context()).toBe('idle');
    expect(s.error, context()).toBeUndefined();
    expect(s.batches, context()).toBe(BATCHES);
    expect(s.lossHistory.length, context()).toBe(BATCHES);
    expect(s.lossHistory.every(Number.isFinite), context()).toBe(true);
    // Fresh weights predict close to uniform over the 39 characters: ln 39 ≈ 3.66 nats.
    expect(Math.abs(s.lossHistory[0] - Math.log(VOCABULARY_SIZE)), context()).toBeLessThan(0.15);
    // Learning the character frequencies alone takes the loss to ~3.1 within these batches; the
    // mean of the last four must be clearly below the first (0.25 nats, batch noise is ~0.05).
    expect(mean(s.lossHistory.slice(-4)), context()).toBeLessThan(s.lossHistory[0] - 0.25);
    // Validation after batches 4 and 8, on windows from the last chapters, never trained on.
    expect(
      s.valLossHistory.map((v) => v.batch),
      context(),
    ).toEqual([4, 8]);
    expect(s.valLossHistory[1].loss, context()).toBeLessThan(s.lossHistory[0] - 0.25);

    // The passage written after training: 24 characters of the page's alphabet after the seed.
    expect(s.samples.length, context()).toBe(1);
    expect(s.samples[0], context()).toMatch(/^[ \na-z.,;:!?'"()-]{24}$/);
    expect(s.sampleText, context()).toBe(`call me ishm${s.samples[0]}`);
    expect(s.status, context()).toMatch(/Stopped after 10 batches/);
    const afterTraining = s;
    await page.screenshot({ path: join(ARTIFACTS, 'demo.png'), fullPage: true });

    // Save, then Reset (new random weights), then Load: the predictions of the trained model return.
    await click(page, 'save', /^Saved after 10 batches/);
    const trained = await probe(page);
    await click(page, 'reset', /^New random weights/);
    const fresh = await probe(page);
    expect(
      fresh.some((p, i) => Math.abs(p - trained[i]) > 1e-3),
      'Reset did not change the predictions',
    ).toBe(true);
    const loaded = await click(page, 'load', /^Loaded indexeddb:\/\/moby-char/);
    expect(loaded).toMatch(/saved after 10 batches/);
    const restored = await probe(page);
    expect(restored.length).toBe(VOCABULARY_SIZE);
    expect(restored, 'the loaded model predicts what the saved one did').toEqual(trained);
    s = await snapshot(page);
    expect(s.samples.length, context()).toBe(2);
    expect(s.samples[1], context()).toMatch(/^[ \na-z.,;:!?'"()-]{24}$/);

    // Download: the model JSON and its weight file, as loadModel reads them.
    await click(page, 'download', /^Downloaded moby-char\.json/);
    await waitForFile(join(downloads(), 'moby-char.json'), 15_000);
    await waitForFile(join(downloads(), 'moby-char.weights.bin'), 15_000);
    const json = JSON.parse(await readFile(join(downloads(), 'moby-char.json'), 'utf8')) as { weightsManifest: { path: string } };
    expect(json.weightsManifest.path).toBe('moby-char.weights.bin');

    expect(problems, problems.join('\n')).toEqual([]);
    const a = afterTraining;
    console.info(
      `[demo] adapter ${JSON.stringify(a.adapter)}; loss ${a.lossHistory[0].toFixed(3)} → ${mean(a.lossHistory.slice(-4)).toFixed(3)} ` +
        `(validation ${a.valLossHistory.map((v) => v.loss.toFixed(3)).join(', ')}); batches ${a.batchTimes.map((t) => t.toFixed(0)).join(' ')} ms; ` +
        `training + sample ${(trainMs / 1000).toFixed(1)} s, whole page ${((performance.now() - t0) / 1000).toFixed(1)} s; "${a.samples[0]}"`,
    );
    await page.close();
  }, 150_000);

  it('explains what to do when the browser has no WebGPU, or no adapter', async () => {
    const cases = [
      // No navigator.gpu at all (a browser without WebGPU, or an insecure context).
      { name: 'no-webgpu', setup: () => void delete (Navigator.prototype as { gpu?: unknown }).gpu, reason: /navigator\.gpu is missing/ },
      // WebGPU exposed but no adapter (blocklisted GPU, acceleration off): createDevice throws a DeviceError.
      { name: 'no-adapter', setup: () => void (GPU.prototype.requestAdapter = () => Promise.resolve(null)), reason: /gave no adapter/ },
    ];
    for (const c of cases) {
      const page = await browser!.newPage();
      const problems = watch(page);
      await page.setViewport({ width: 1000, height: 900 });
      await page.evaluateOnNewDocument(c.setup);
      await page.goto(server!.url, { waitUntil: 'load', timeout: 30_000 });
      await page.waitForFunction('window.__demo && window.__demo.state !== "starting"', { timeout: 30_000, polling: 100 });
      const shown = await page.evaluate(() => ({
        state: (window as unknown as { __demo: DemoHook }).__demo.state,
        explanationShown: getComputedStyle(document.getElementById('no-webgpu')!).display !== 'none',
        appShown: getComputedStyle(document.getElementById('app')!).display !== 'none',
        text: document.getElementById('no-webgpu')!.textContent,
      }));
      const context = `${c.name}: ${JSON.stringify(shown)}\nproblems:\n${problems.join('\n') || '(none)'}`;
      expect(shown.state, context).toBe('no-webgpu');
      expect(shown.explanationShown, context).toBe(true);
      expect(shown.appShown, context).toBe(false);
      expect(shown.text, context).toMatch(c.reason);
      for (const advice of [
        'Chrome and Edge 113+',
        'chrome://flags/#enable-unsafe-webgpu',
        'Safari Technology Preview',
        'Firefox Nightly',
        'secure contexts',
      ]) {
        expect(shown.text, context).toContain(advice);
      }
      expect(problems, context).toEqual([]);
      if (c.name === 'no-webgpu') await page.screenshot({ path: join(ARTIFACTS, 'demo-no-webgpu.png'), fullPage: true });
      await page.close();
    }
  }, 60_000);
});
