// docs/API.md lists every name src/index.ts exports (values and types), so that the reference
// cannot fall behind the code.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

const root = new URL('../../', import.meta.url);

/** The names src/index.ts exports: `export { a, type B, c as d }`, `export type { … }`, `export * as ns`. */
function exportedNames(): string[] {
  const source = readFileSync(new URL('src/index.ts', root), 'utf8');
  const names: string[] = [];
  for (const m of source.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const part of m[1].split(',')) {
      const name = part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop()!
        .trim();
      if (name) names.push(name);
    }
  }
  for (const m of source.matchAll(/export \* as (\w+)/g)) names.push(m[1]);
  return names;
}

describe('docs/API.md', () => {
  test('names every export of the package', () => {
    const doc = readFileSync(new URL('docs/API.md', root), 'utf8');
    const names = exportedNames();
    expect(names.length).toBeGreaterThan(100);
    const missing = names.filter((n) => !new RegExp(`\`${n}\\b`).test(doc));
    expect(missing).toEqual([]);
  });
});
