// Helpers for the headless-Chromium tests: build the test page with vite, serve it from
// 127.0.0.1, open it in Chromium (WebGPU on SwiftShader's software Vulkan driver) and read the
// JSON the page publishes on `window.__result`. Everything is closed again in all cases.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { build } from 'vite';
import { browserTwins } from '../../scripts/browserTwins.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (this file lives in `<repo>/test/browser`). */
export const REPO_ROOT = resolve(here, '..', '..');
export const PAGE_ROOT = join(REPO_ROOT, 'test', 'browser', 'page');
export const PAGE_DIST = join(REPO_ROOT, 'test', 'browser', '.page-dist');

/** Debian's Chromium; override with CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for headless Chromium on a machine without a GPU and without network.
 * `--enable-unsafe-webgpu` is the one that makes `requestAdapter()` return SwiftShader's
 * (fallback) adapter; `--enable-unsafe-swiftshader` and `--use-angle=swiftshader` keep the
 * software paths allowed and explicit on Chromium versions that gate them.
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-default-apps',
  '--disable-extensions',
  '--mute-audio',
];

/** Fails (never skips) when Chromium is missing, saying how to install it. */
export function assertChromium(path: string = CHROMIUM_PATH): void {
  if (!existsSync(path)) {
    throw new Error(
      `Chromium not found at ${path}. The browser test needs it: run \`apt-get install chromium\` (or set CHROMIUM_PATH to a Chromium/Chrome binary).`,
    );
  }
}

/** Builds `test/browser/page` into `test/browser/.page-dist` with vite's JS API. */
export async function buildPage(): Promise<string> {
  await build({
    root: PAGE_ROOT,
    base: './',
    configFile: false,
    logLevel: 'warn',
    // The library's *.node.ts modules become their *.browser.ts twins, as in the package's browser entry.
    plugins: [browserTwins()],
    build: {
      outDir: PAGE_DIST,
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      sourcemap: false,
      reportCompressedSize: false,
    },
  });
  return PAGE_DIST;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.wgsl': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** A tiny static file server for `dir`, bound to 127.0.0.1 on a free port. */
export async function serveStatic(dir: string): Promise<StaticServer> {
  const root = resolve(dir);
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
        let file = normalize(join(root, pathname));
        if (file !== root && !file.startsWith(root + sep)) {
          res.writeHead(403).end('forbidden');
          return;
        }
        if ((await stat(file).catch(() => null))?.isDirectory()) file = join(file, 'index.html');
        const body = await readFile(file).catch(() => null);
        if (body === null) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
          return;
        }
        res.writeHead(200, {
          'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
          'content-length': body.length,
          'cache-control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch (e) {
        res.writeHead(500).end(String(e));
      }
    })();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
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

export interface PageRun<R> {
  /** What the page put on `window.__result`. */
  result: R;
  /** Console errors / warnings, uncaught page errors and failed requests, in order. */
  problems: string[];
  /** The text the page rendered. */
  text: string;
  /** The `navigator.userAgent` of the browser. */
  userAgent: string;
  /** Milliseconds spent on: building the page, launching Chromium, running the page. */
  timings: { build: number; launch: number; page: number };
}

export interface RunPageOptions {
  /** How long to wait for `window.__result`, in ms (default 60 000). */
  timeoutMs?: number;
  /** Where to save a screenshot of the page once the result is there. */
  screenshotPath?: string;
  /** Skip the vite build (the page is already in PAGE_DIST). */
  skipBuild?: boolean;
  /** Write console messages of the page to the test output (default true). */
  forwardConsole?: boolean;
  /** Serve this built page instead of building and serving test/browser/page. */
  dist?: string;
}

/**
 * Builds and serves the page, opens it in headless Chromium and waits for `window.__result`.
 * Browser, server and the temporary profile are closed / removed whatever happens.
 */
export async function runPage<R = unknown>(options: RunPageOptions = {}): Promise<PageRun<R>> {
  const { timeoutMs = 60_000, screenshotPath, skipBuild = false, forwardConsole = true, dist } = options;
  assertChromium();

  let t = performance.now();
  if (!skipBuild && !dist) await buildPage();
  const timings = { build: performance.now() - t, launch: 0, page: 0 };

  const problems: string[] = [];
  const note = (line: string): void => {
    problems.push(line);
    if (forwardConsole) console.warn(`[browser] ${line}`);
  };

  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  const profile = await mkdtemp(join(tmpdir(), 'webgpu-rnn-chromium-'));
  try {
    server = await serveStatic(dist ?? PAGE_DIST);
    t = performance.now();
    browser = await puppeteer.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`],
      timeout: 30_000,
      protocolTimeout: timeoutMs + 30_000,
    });
    timings.launch = performance.now() - t;

    const page = await browser.newPage();
    await page.setViewport({ width: 900, height: 600 });
    page.on('console', (msg) => {
      const type = msg.type();
      if (type === 'error' || type === 'warn' || type === 'assert') {
        const where = msg.location()?.url ? ` (${msg.location().url}:${msg.location().lineNumber ?? '?'})` : '';
        note(`console.${type}: ${msg.text()}${where}`);
      }
    });
    page.on('pageerror', (err) => note(`uncaught: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
    page.on('requestfailed', (req) => note(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
    page.on('response', (res) => {
      if (res.status() >= 400) note(`HTTP ${res.status()}: ${res.url()}`);
    });

    t = performance.now();
    await page.goto(server.url, { waitUntil: 'load', timeout: 30_000 });
    try {
      await page.waitForFunction('window.__result !== undefined', { timeout: timeoutMs, polling: 100 });
    } catch (e) {
      const text = await page.evaluate(() => document.body?.textContent ?? '').catch(() => '');
      throw new Error(
        `The page published no window.__result within ${timeoutMs} ms (${(e as Error).message}).\n` +
          `Page text: ${text || '(empty)'}\nProblems:\n${problems.join('\n') || '(none)'}`,
      );
    }
    timings.page = performance.now() - t;

    const result = (await page.evaluate('window.__result')) as R;
    const text = await page.evaluate(() => document.body.textContent);
    const userAgent = await page.evaluate(() => navigator.userAgent);
    if (screenshotPath) {
      await mkdir(dirname(screenshotPath), { recursive: true });
      await page.screenshot({ path: screenshotPath as `${string}.png`, fullPage: true });
    }
    return { result, problems, text, userAgent, timings };
  } finally {
    if (browser) {
      const proc = browser.process();
      await Promise.race([browser.close(), new Promise((ok) => setTimeout(ok, 10_000))]).catch(() => {});
      if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
    await server?.close();
    await rm(profile, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
  }
}
