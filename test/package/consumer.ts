// The package as npm ships it: `npm pack` of the built dist/, unpacked into
// test/package/.consumer/node_modules/webgpu-rnn, beside a consumer project (its own package.json,
// so that 'webgpu-rnn' resolves to the unpacked copy, not to this repository). The package's own
// dependencies resolve upward to the repository's node_modules, as they would in a consumer's.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CONSUMER_DIR = join(REPO_ROOT, 'test', 'package', '.consumer');
export const PACKAGE_DIR = join(CONSUMER_DIR, 'node_modules', 'webgpu-rnn');
export const TSC7 = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
export const TSC5 = join(REPO_ROOT, 'scripts', 'typescript5', 'node_modules', 'typescript', 'bin', 'tsc');

export interface Packed {
  tarball: string;
  /** The tarball's file names, relative to the package root. */
  files: string[];
}

/** Packs dist/ (built by `npm run build`) and unpacks it for the consumer project. */
export async function packAndUnpack(): Promise<Packed> {
  if (!existsSync(join(REPO_ROOT, 'dist', 'node', 'index.js')) || !existsSync(join(REPO_ROOT, 'dist', 'browser', 'index.js'))) {
    throw new Error('dist/ is not built: run `npm run build` first (CI does).');
  }
  const out = await mkdtemp(join(tmpdir(), 'webgpu-rnn-pack-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', out], { cwd: REPO_ROOT, maxBuffer: 1 << 24 });
  const [report] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  await rm(CONSUMER_DIR, { recursive: true, force: true });
  await mkdir(PACKAGE_DIR, { recursive: true });
  const tarball = join(out, report.filename);
  await run('tar', ['xzf', tarball, '-C', PACKAGE_DIR, '--strip-components=1']);
  await writeFile(join(CONSUMER_DIR, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  return { tarball, files: report.files.map((f) => f.path) };
}

/** Writes `text` to `name` in the consumer project; returns its path. */
export async function consumerFile(name: string, text: string): Promise<string> {
  const file = join(CONSUMER_DIR, name);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

/** Runs `node` on a file of the consumer project; resolves with its exit code and output. */
export async function runNode(file: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [file], { cwd: CONSUMER_DIR, env, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Runs a command; resolves with its exit code and output (never rejects). */
export async function runCommand(command: string, args: string[], cwd = CONSUMER_DIR): Promise<{ code: number; stdout: string; output: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd, maxBuffer: 1 << 24 });
    return { code: 0, stdout, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/**
 * An import of something a browser does not have in bundled code: a Node built-in (with or
 * without `node:`), Dawn's `webgpu` or cli-progress.
 */
export const NODE_ONLY_IMPORT =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["'](?:node:[\w/]+|fs|fs\/promises|path|os|url|module|events|readline|child_process|webgpu|cli-progress)["']/;
