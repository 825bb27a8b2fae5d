// `npm run example -- <name> [--adapter default|swiftshader|lavapipe] [options]`: runs
// examples/<name>.ts. Each example module exports `description` (one line) and `main(argv)`;
// `npm run example -- <name> --help` lists its options. `--adapter` is taken here for all.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setAdapter } from './lib/common.js';

export interface ExampleModule {
  description: string;
  main(argv: string[]): Promise<unknown>;
}

const here = dirname(fileURLToPath(import.meta.url));
const names = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();

const args = process.argv.slice(2);
const at = args.findIndex((a) => a === '--adapter' || a.startsWith('--adapter='));
if (at >= 0) {
  const [flag] = args.splice(at, 1);
  setAdapter(flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : (args.splice(at, 1)[0] ?? ''));
}
const [name, ...rest] = args;
if (!name || !names.includes(name)) {
  const listing = await Promise.all(
    names.map(async (n) => `  ${n.padEnd(10)} ${((await import(pathToFileURL(`${here}/${n}.ts`).href)) as ExampleModule).description}`),
  );
  console.log(
    `${name ? `No example '${name}'. ` : ''}Usage: npm run example -- <name> [--adapter default|swiftshader|lavapipe] [options]   (--help after the name lists its options)\n\n${listing.join('\n')}`,
  );
  process.exitCode = name ? 1 : 0;
} else {
  const example = (await import(pathToFileURL(`${here}/${name}.ts`).href)) as ExampleModule;
  await example.main(rest);
}
