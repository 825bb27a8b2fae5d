// `npm run example -- <name> [options]`: runs examples/<name>.ts. Each example module exports
// `description` (one line) and `main(argv)`; `npm run example -- <name> --help` lists its options.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface ExampleModule {
  description: string;
  main(argv: string[]): Promise<unknown>;
}

const here = dirname(fileURLToPath(import.meta.url));
const names = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...rest] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  const listing = await Promise.all(names.map(async (n) => `  ${n.padEnd(10)} ${((await import(pathToFileURL(`${here}/${n}.ts`).href)) as ExampleModule).description}`));
  console.log(`${name ? `No example '${name}'. ` : ''}Usage: npm run example -- <name> [options]   (--help after the name lists its options)\n\n${listing.join('\n')}`);
  process.exitCode = name ? 1 : 0;
} else {
  const example = (await import(pathToFileURL(`${here}/${name}.ts`).href)) as ExampleModule;
  await example.main(rest);
}
