// Browser bundles of a consumer file with Rollup, webpack and Vite, each resolving the package
// with the 'browser' condition, as an application's build would; each fails on any warning
// about an import it could not resolve. Returns the bundled code.
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { rollup } from 'rollup';
import { build as viteBuild } from 'vite';
import webpack from 'webpack';
import { CONSUMER_DIR } from './consumer.js';

export async function bundleWithRollup(entry: string): Promise<string> {
  const problems: string[] = [];
  const bundle = await rollup({
    input: entry,
    // As a Rollup app is set up: node-resolve with the browser condition, commonjs for CommonJS dependencies.
    plugins: [nodeResolve({ browser: true, exportConditions: ['browser'], rootDir: CONSUMER_DIR }), commonjs()],
    onwarn: (warning) => {
      if (warning.code === 'UNRESOLVED_IMPORT' || warning.code === 'MISSING_NODE_BUILTINS') problems.push(warning.message);
    },
  });
  const { output } = await bundle.generate({ format: 'es', inlineDynamicImports: true });
  await bundle.close();
  if (problems.length) throw new Error(`Rollup: ${problems.join('; ')}`);
  return output.map((chunk) => (chunk.type === 'chunk' ? chunk.code : '')).join('\n');
}

export async function bundleWithWebpack(entry: string): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'webgpu-rnn-webpack-'));
  const compiler = webpack({
    mode: 'production',
    target: 'web',
    entry,
    context: CONSUMER_DIR,
    output: { path: outDir, filename: 'bundle.js', module: true },
    experiments: { outputModule: true },
    optimization: { minimize: false },
    performance: { hints: false },
  });
  const stats = await new Promise<webpack.Stats>((resolve, reject) => {
    compiler.run((error, result) => (error || !result ? reject(error ?? new Error('webpack gave no stats')) : resolve(result)));
  });
  await new Promise<void>((resolve) => compiler.close(() => resolve()));
  const info = stats.toJson({ all: false, errors: true, warnings: true });
  const problems = [...(info.errors ?? []), ...(info.warnings ?? [])].map((p) => p.message);
  if (problems.length) throw new Error(`webpack: ${problems.join('; ')}`);
  return readAll(outDir);
}

export async function bundleWithVite(entry: string): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'webgpu-rnn-vite-'));
  const problems: string[] = [];
  await viteBuild({
    root: CONSUMER_DIR,
    configFile: false,
    logLevel: 'silent',
    customLogger: { ...quietLogger(), warn: (message) => problems.push(message), error: (message) => problems.push(message) },
    build: { outDir, emptyOutDir: true, minify: false, lib: { entry, formats: ['es'], fileName: 'bundle' }, reportCompressedSize: false },
  });
  if (problems.length) throw new Error(`Vite: ${problems.join('; ')}`);
  return readAll(outDir);
}

function quietLogger() {
  const nothing = () => {};
  return { info: nothing, warn: nothing, warnOnce: nothing, error: nothing, clearScreen: nothing, hasErrorLogged: () => false, hasWarned: false };
}

async function readAll(dir: string): Promise<string> {
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.js') || f.endsWith('.mjs'));
  return (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('\n');
}
