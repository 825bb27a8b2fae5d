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

/** A TypeDoc JSON reflection: its name, children, signatures and TSDoc comment. */
interface Reflection {
  name: string;
  children?: Reflection[];
  signatures?: Reflection[];
  comment?: { summary?: unknown[]; blockTags?: { tag: string }[] };
}

describe('the API reference (TypeDoc, built by npm run build into docs/api)', () => {
  const load = (): Reflection => JSON.parse(readFileSync(new URL('docs/api/api.json', root), 'utf8')) as Reflection;
  const find = (at: Reflection, path: string[]): Reflection | undefined => {
    const [head, ...rest] = path;
    const child = at.children?.find((c) => c.name === head);
    return child && rest.length ? find(child, rest) : child;
  };
  const tags = (r: Reflection): string[] => [r, ...(r.signatures ?? [])].flatMap((x) => (x.comment?.blockTags ?? []).map((t) => t.tag));

  test('covers every export of the package', () => {
    const api = load();
    const documented = new Set(api.children?.map((c) => c.name));
    expect(exportedNames().filter((name) => !documented.has(name))).toEqual([]);
  });

  test('every main entry point has an example', () => {
    const api = load();
    const entryPoints = [
      ['createDevice'],
      ['tensor'],
      ['sequential'],
      ['layers', 'lstm'],
      ['Sequential', 'fit'],
      ['Sequential', 'predict'],
      ['saveModel'],
      ['loadModel'],
      ['encoderDecoder'],
      ['slidingWindows'],
    ];
    const missing = entryPoints.filter((path) => {
      const r = find(api, path);
      return !r || !tags(r).includes('@example');
    });
    expect(missing.map((p) => p.join('.'))).toEqual([]);
  });
});
