// The README's lead example runs as printed (with fewer epochs): it is the first thing a
// newcomer copies.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test, vi } from 'vitest';

const root = new URL('../../', import.meta.url);
const dir = mkdtempSync(join(new URL('.', import.meta.url).pathname, '.readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README', () => {
  test('the lead example trains and predicts', async () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme)![1];
    expect(code).toContain("from 'webgpu-rnn'");
    const runnable = code
      .replace("from 'webgpu-rnn'", `from ${JSON.stringify(pathToFileURL(join(root.pathname, 'src/index.ts')).href)}`)
      .replace('createDevice()', 'createDevice({ quiet: true })')
      .replace('epochs: 20', 'epochs: 2');
    const file = join(dir, 'lead.ts');
    writeFileSync(file, `${runnable}\nexport {};\n`);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await import(/* @vite-ignore */ pathToFileURL(file).href);
      const printed = log.mock.calls.map((c) => String(c[0]));
      expect(printed.some((line) => /^step 1200: -?\d\.\d{3} \(sin\(1200\/8\) = -0\.715\)$/.test(line))).toBe(true);
    } finally {
      log.mockRestore();
    }
  });
});
