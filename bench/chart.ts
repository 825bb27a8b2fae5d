// Redraws the chart of a result file: `npx tsx bench/chart.ts bench/results/latest.json [out.svg]`.
import { readFile, writeFile } from 'node:fs/promises';
import { chartSvg } from './lib/chart.js';
import type { BenchResult } from './lib/types.js';

const [input, output = `${input.replace(/\.json$/, '')}.svg`] = process.argv.slice(2);
if (!input) {
  console.error('usage: npx tsx bench/chart.ts RESULT.json [OUT.svg]');
  process.exit(2);
}
const result = JSON.parse(await readFile(input, 'utf8')) as BenchResult;
await writeFile(output, await chartSvg(result));
console.log(`wrote ${output}`);
