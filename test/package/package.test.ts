// The packed package from a consumer's side: what the tarball holds, publint and
// arethetypeswrong, browser bundles from four bundlers, a fresh Vite app running in headless
// Chromium, tree-shaking, the size budget, the declarations under TypeScript 5 and 7,
// require(), and a quiet start in Node.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build as viteBuild } from 'vite';
import { runPage } from '../browser/harness.js';
import { build as esbuild } from 'esbuild';
import { publint } from 'publint';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CONSUMER_DIR,
  consumerFile,
  NODE_ONLY_IMPORT,
  PACKAGE_DIR,
  type Packed,
  packAndUnpack,
  REPO_ROOT,
  runCommand,
  runNode,
  TSC5,
  TSC7,
} from './consumer.js';
import { bundleWithRollup, bundleWithVite, bundleWithWebpack } from './bundlers.js';

let packed: Packed;
beforeAll(async () => {
  packed = await packAndUnpack();
});

const APP = `import { createDevice, layers, sequential, tensor } from 'webgpu-rnn';
const gpu = await createDevice();
const model = sequential(gpu, [layers.lstm({ units: 8, inputShape: [5, 2] }), layers.dense({ units: 1 })]);
const y = model.predict(tensor(gpu, new Float32Array(10), [1, 5, 2]));
console.log(await y.data());
`;

/** A page a new user writes: the device, a model, fit, predict and generate, the result on window.__result. */
const BROWSER_APP = `import { createDevice, generate, layers, sequential, tensor } from 'webgpu-rnn';
try {
  const gpu = await createDevice();
  const model = sequential(gpu, [
    layers.embedding({ inputDim: 5, outputDim: 4, inputShape: [null], seed: 1 }),
    layers.lstm({ units: 12, returnSequences: true, seed: 2 }),
    layers.dense({ units: 5, activation: 'softmax', seed: 3 }),
  ]);
  model.compile({ optimizer: { name: 'adam', learningRate: 0.05 }, loss: 'sparseCategoricalCrossentropy' });
  // Windows of the cycle 1 2 3 4 1 2 …, each step's target the next id.
  const windows = 8, steps = 6;
  const x = new Float32Array(windows * steps), y = new Float32Array(windows * steps);
  for (let w = 0; w < windows; w++) for (let t = 0; t < steps; t++) {
    x[w * steps + t] = 1 + ((w + t) % 4);
    y[w * steps + t] = 1 + ((w + t + 1) % 4);
  }
  const history = await model.fit(tensor(gpu, x, [windows, steps]), tensor(gpu, y, [windows, steps]), { epochs: 40, batchSize: 8, verbose: 0, seed: 4 });
  const probabilities = model.predict(Float32Array.of(1, 2, 3, 4), [1, 4]);
  const predicted = Array.from(await probabilities.data());
  probabilities.dispose();
  const text = await generate(model, { prompt: [1], steps: 8, temperature: 0 });
  window.__result = { adapter: gpu.info, losses: history.history.loss, predicted, text };
} catch (e) {
  window.__result = { error: String(e && e.stack || e) };
}
`;

interface BrowserAppResult {
  adapter?: { isSoftware: boolean; description: string };
  losses?: number[];
  predicted?: number[];
  text?: number[];
  error?: string;
}

describe('the tarball', () => {
  it('holds both builds, the declarations, LICENSE and README, and no shaders, source maps or sources', () => {
    const files = packed.files;
    for (const needed of ['package.json', 'LICENSE', 'README.md', 'dist/node/index.js', 'dist/browser/index.js', 'dist/types/index.d.ts']) {
      expect(files, needed).toContain(needed);
    }
    const stray = files.filter((f) => !/^(package\.json|LICENSE|README\.md|dist\/(node|browser)\/.+\.js|dist\/types\/.+\.d\.ts)$/.test(f));
    expect(stray).toEqual([]);
  });

  it('passes publint at its strictest level', async () => {
    const { messages } = await publint({ pkgDir: PACKAGE_DIR, level: 'suggestion', strict: true });
    expect(messages.map((m) => `${m.type} ${m.code} ${m.path.join('.')}`)).toEqual([]);
  });

  it('passes arethetypeswrong as an ES-module-only package (require() of ESM needs Node ≥ 20.19)', async () => {
    const attw = join(REPO_ROOT, 'node_modules', '.bin', 'attw');
    const { code, output } = await runCommand(attw, [packed.tarball, '--profile', 'esm-only', '--no-color']);
    // attw exits 1 on any problem the profile does not ignore.
    expect(code, output).toBe(0);
    expect(output).toMatch(/bundler\s+│ 🟢/);
  });
});

describe('browser bundles', () => {
  const bundlers: [string, (entry: string) => Promise<string>][] = [
    ['esbuild', esbuildBundle],
    ['Rollup', bundleWithRollup],
    ['webpack', bundleWithWebpack],
    ['Vite', bundleWithVite],
  ];
  for (const [name, bundle] of bundlers) {
    it(`${name} bundles an app for the browser without a Node built-in, webgpu or cli-progress`, async () => {
      const entry = await consumerFile(`app-${name}.js`, APP);
      const code = await bundle(entry);
      expect(code).toContain('requestAdapter');
      expect(code.match(NODE_ONLY_IMPORT)?.[0]).toBeUndefined();
    });
  }

  it('a fresh Vite app of the tarball trains, predicts and generates in headless Chromium on WebGPU', async () => {
    await consumerFile('browser-app/index.html', '<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>\n');
    await consumerFile('browser-app/main.js', BROWSER_APP);
    const outDir = await mkdtemp(join(tmpdir(), 'webgpu-rnn-app-'));
    await viteBuild({ root: join(CONSUMER_DIR, 'browser-app'), base: './', configFile: false, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
    const run = await runPage<BrowserAppResult>({ dist: outDir, timeoutMs: 120_000, forwardConsole: false }).finally(() =>
      rm(outDir, { recursive: true, force: true }),
    );
    const r = run.result;
    const context = `page result: ${JSON.stringify(r)}\nbrowser problems:\n${run.problems.join('\n') || '(none)'}`;
    expect(r.error, context).toBeUndefined();
    expect(r.adapter?.isSoftware, context).toBe(true);
    // The cycle 1 → 2 → 3 → 4 → 1 is learnt: the loss falls, and greedy generation follows it.
    expect(r.losses!.at(-1)!, context).toBeLessThan(r.losses![0] / 2);
    expect(r.text, context).toEqual([2, 3, 4, 1, 2, 3, 4, 1]);
    expect(r.predicted, context).toHaveLength(4 * 5);
  });

  it('a data utility alone pulls in no kernel, shader or device code, and still runs', async () => {
    const entry = await consumerFile(
      'windows.js',
      `import { slidingWindows } from 'webgpu-rnn';\nconsole.log(JSON.stringify(slidingWindows([1, 2, 3, 4, 5], 2)));\n`,
    );
    const code = await esbuildBundle(entry);
    for (const kernelMark of ['@compute', 'requestAdapter', 'createComputePipeline']) expect(code).not.toContain(kernelMark);
    expect(code.length).toBeLessThan(8_000);
    const bundled = await runNode(await consumerFile('windows.bundle.mjs', code));
    const direct = await runNode(entry);
    expect(bundled.stderr).toBe('');
    expect(JSON.parse(bundled.stdout)).toEqual(JSON.parse(direct.stdout));
    expect(JSON.parse(direct.stdout).xShape).toEqual([3, 2, 1]);
  });

  it('the browser entry stays within the size budgets package.json sets (size-limit)', async () => {
    const sizeLimit = join(REPO_ROOT, 'node_modules', '.bin', 'size-limit');
    const { code, stdout } = await runCommand(sizeLimit, ['--json'], REPO_ROOT);
    const results = JSON.parse(stdout) as { name: string; passed: boolean; size: number }[];
    const budgets = (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { 'size-limit': unknown[] })['size-limit'];
    expect(results).toHaveLength(budgets.length);
    for (const r of results) expect(r.passed, `${r.name}: ${r.size} bytes`).toBe(true);
    expect(code).toBe(0);
  });
});

async function esbuildBundle(entry: string): Promise<string> {
  const result = await esbuild({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    minify: true,
    absWorkingDir: CONSUMER_DIR,
    logLevel: 'silent',
  });
  return result.outputFiles.map((f) => f.text).join('\n');
}

describe('the declarations', () => {
  const USE = `import { createDevice, layers, sequential, tensor, ShapeError, type Gpu, type Sequential } from 'webgpu-rnn';
export async function firstOutput(): Promise<number> {
  const gpu: Gpu = await createDevice({ quiet: true });
  const model: Sequential = sequential(gpu, [layers.gru({ units: 4, inputShape: [3, 2] }), layers.dense({ units: 1 })]);
  model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  const [value] = await model.predict(tensor(gpu, new Float32Array(6), [1, 3, 2])).data();
  if (value === undefined) throw new ShapeError('no output');
  return value;
}
`;
  const compilers: [string, string][] = [
    ['TypeScript 7', TSC7],
    ['TypeScript 5.9', TSC5],
  ];
  const setups: [string, Record<string, unknown>][] = [
    ['lib ES2022, bundler resolution', { lib: ['ES2022'], module: 'ESNext', moduleResolution: 'bundler' }],
    ['lib ES2022 + DOM, nodenext resolution', { lib: ['ES2022', 'DOM'], module: 'NodeNext', moduleResolution: 'nodenext' }],
  ];
  for (const [compiler, tsc] of compilers) {
    for (const [setup, options] of setups) {
      it(`type-check under ${compiler}, strict, skipLibCheck off, ${setup}`, async () => {
        const name = `${compiler}-${setup}`.replace(/\W+/g, '-');
        await consumerFile(`${name}/use.ts`, USE);
        const config = { compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', types: [], ...options }, files: ['use.ts'] };
        await consumerFile(`${name}/tsconfig.json`, JSON.stringify(config));
        const { code, output } = await runCommand(process.execPath, [tsc, '-p', join(CONSUMER_DIR, name)]);
        expect(output).toBe('');
        expect(code).toBe(0);
      });
    }
  }

  // TypeScript 7's lib DOM has WebGPU; with TypeScript 5 it comes from @webgpu/types.
  const typedSetups: [string, string, string[]][] = [
    ['TypeScript 7, lib DOM', TSC7, []],
    ['TypeScript 5.9, lib DOM and @webgpu/types', TSC5, ['@webgpu/types']],
  ];
  for (const [setup, tsc, types] of typedSetups) {
    it(`merge with the full WebGPU types where a consumer has them (${setup}): gpu.device is a GPUDevice`, async () => {
      const name = `typed-${setup.replace(/\W+/g, '-')}`;
      await consumerFile(
        `${name}/use.ts`,
        `import { createDevice } from 'webgpu-rnn';\nconst gpu = await createDevice();\nconst buffer: GPUBuffer = gpu.device.createBuffer({ size: 16, usage: 0x80 /* STORAGE */ });\nexport const size: number = buffer.size;\n`,
      );
      const options = {
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'bundler',
        lib: ['ES2022', 'DOM'],
        types,
      };
      await consumerFile(`${name}/tsconfig.json`, JSON.stringify({ compilerOptions: options, files: ['use.ts'] }));
      const { code, output } = await runCommand(process.execPath, [tsc, '-p', join(CONSUMER_DIR, name)]);
      expect(output).toBe('');
      expect(code).toBe(0);
    });
  }
});

describe('in Node', () => {
  it('require() loads the package, and class names survive the build', async () => {
    const file = await consumerFile(
      'require.cjs',
      `const m = require('webgpu-rnn');\nconst e = new m.ShapeError('x');\nconsole.log(JSON.stringify({ createDevice: typeof m.createDevice, name: e.constructor.name, stack: e.stack.split('\\n')[0], gpu: m.Gpu.name, seq: m.Sequential.name }));\n`,
    );
    const { code, stdout, stderr } = await runNode(file);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ createDevice: 'function', name: 'ShapeError', stack: 'ShapeError: x', gpu: 'Gpu', seq: 'Sequential' });
  });

  it('starts quietly: no line from Dawn, one from us on a software adapter, none with quiet: true', async () => {
    const script = (quiet: boolean) =>
      `import { createDevice } from 'webgpu-rnn';\nconst gpu = await createDevice({ quiet: ${quiet} });\nconsole.log(JSON.stringify(gpu.info));\ngpu.destroy();\n`;
    // A fresh machine: no driver named by the environment (createDevice finds SwiftShader itself).
    const env = { ...process.env };
    delete env.VK_ICD_FILENAMES;
    const loud = await runNode(await consumerFile('start.mjs', script(false)), env);
    expect(loud.code, loud.stderr).toBe(0);
    const info = JSON.parse(loud.stdout) as { isSoftware: boolean; description: string };
    const lines = loud.stderr.split('\n').filter((line) => line !== '');
    if (info.isSoftware) {
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^webgpu-rnn: no hardware GPU adapter found; running on .+, a CPU implementation of WebGPU/);
    } else {
      expect(lines).toEqual([]);
    }
    const quiet = await runNode(await consumerFile('start-quiet.mjs', script(true)), env);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
  });
});
