// `npm run bench:browser`: builds bench/page with Vite (against the built package in dist/),
// serves it on 127.0.0.1 (cross-origin isolated, so TF.js's wasm backend may use threads),
// opens it in headless Chromium through puppeteer-core and writes the page's result.
//   npm run bench:browser -- [--quick] [--filter REGEX] [--out FILE] [--adapter default|swiftshader|lavapipe]
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { build } from 'vite';
import { assertChromium, CHROMIUM_FLAGS, CHROMIUM_PATH } from '../test/browser/harness.js';
import { BENCH_DIR, parseArgs, printSummary, Progress, writeResults } from './lib/cli.js';
import type { BenchResult, ProgressEvent } from './lib/types.js';

const REPO_ROOT = resolve(BENCH_DIR, '..');
const LAVAPIPE_ICD_DIR = '/usr/share/vulkan/icd.d';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

async function buildPage(outDir: string): Promise<void> {
  const dist = join(REPO_ROOT, 'dist', 'browser', 'index.js');
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`npm run build\` first (npm run bench:browser does).`);
  await build({
    root: join(BENCH_DIR, 'page'),
    base: './',
    configFile: false,
    logLevel: 'warn',
    resolve: { alias: { 'webgpu-rnn': dist } },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      reportCompressedSize: false,
      chunkSizeWarningLimit: 10_000,
      // TF.js's threaded wasm backend rebuilds its worker from the source text of a function of
      // its bundle; minified, that text refers to names the worker does not have.
      minify: false,
    },
  });
  // onnxruntime-web loads its wasm modules (.mjs glue and .wasm) from env.wasm.wasmPaths
  // (bench/page/ortWeb.ts): ./ort/.
  const ortDist = join(REPO_ROOT, 'node_modules', 'onnxruntime-web', 'dist');
  if (existsSync(ortDist)) {
    await mkdir(join(outDir, 'ort'), { recursive: true });
    for (const file of readdirSync(ortDist).filter((f) => /^ort-wasm.*\.(wasm|mjs)$/.test(f))) await copyFile(join(ortDist, file), join(outDir, 'ort', file));
  }
}

/** A static server for `root` on 127.0.0.1, with the headers of cross-origin isolation. */
async function serve(root: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
      let file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) return void res.writeHead(403).end();
      if ((await stat(file).catch(() => null))?.isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file).catch(() => null);
      if (!body) return void res.writeHead(404).end('not found');
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
        'cache-control': 'no-store',
      });
      res.end(body);
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2), 'chromium');
  assertChromium(CHROMIUM_PATH);
  const progress = new Progress();
  const env: Record<string, string | undefined> = { ...process.env };
  // Chromium's WebGPU takes the Vulkan drivers the loader lists; without a GPU it falls back to
  // its own SwiftShader. For lavapipe, list only Mesa's driver.
  if (options.adapter === 'lavapipe') {
    const icd = existsSync(LAVAPIPE_ICD_DIR) ? readdirSync(LAVAPIPE_ICD_DIR).find((f) => f.startsWith('lvp_icd')) : undefined;
    if (!icd) throw new Error('lavapipe not found: apt-get install -t bookworm-backports mesa-vulkan-drivers (Mesa ≥ 24)');
    env.VK_ICD_FILENAMES = join(LAVAPIPE_ICD_DIR, icd);
  }
  const flags = CHROMIUM_FLAGS.filter((f) => options.adapter !== 'lavapipe' || !f.startsWith('--use-angle='));
  if (options.adapter === 'lavapipe') flags.push('--use-vulkan=native', '--enable-features=Vulkan', '--use-angle=vulkan');

  const work = await mkdtemp(join(tmpdir(), 'webgpu-rnn-bench-'));
  const pageDir = join(work, 'page');
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  try {
    progress.update({ index: 0, total: 0, label: 'building the page', phase: 'vite build' });
    await buildPage(pageDir);
    server = await serve(pageDir);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...flags, `--user-data-dir=${join(work, 'profile')}`],
      env,
      timeout: 60_000,
      protocolTimeout: 0,
    });
    const page = await browser.newPage();
    page.setDefaultTimeout(0);
    page.on('pageerror', (e) => progress.log(`[page] uncaught: ${e instanceof Error ? e.message : String(e)}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') progress.log(`[page] console.${m.type()}: ${m.text()}`);
    });
    await page.exposeFunction('__benchProgress', (e: ProgressEvent) => progress.update(e));
    await page.exposeFunction('__benchLog', (line: string) => progress.log(line));
    const { out: _out, ...suiteOptions } = options;
    await page.goto(`${server.url}?options=${encodeURIComponent(JSON.stringify(suiteOptions))}`, { waitUntil: 'load' });
    await page.waitForFunction('window.__benchResult !== undefined', { timeout: 0, polling: 500 });
    const result = (await page.evaluate('window.__benchResult')) as BenchResult | { error: string };
    progress.done();
    if ('error' in result) throw new Error(`the page failed: ${result.error}`);
    result.adapterChoice = options.adapter;
    const { markdown, files } = await writeResults(result, options.out);
    printSummary(result, markdown, files);
  } finally {
    progress.done();
    if (browser) {
      const proc = browser.process();
      await Promise.race([browser.close(), new Promise((ok) => setTimeout(ok, 10_000))]).catch(() => {});
      if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
    await server?.close();
    await rm(work, { recursive: true, force: true }).catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
