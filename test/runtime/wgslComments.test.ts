// The package builds inline every WGSL source without its comments (scripts/wgslWithoutComments):
// each line kept, so compiler messages keep their line numbers, and nothing but comments gone.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { stripWgslComments } from '../../scripts/wgslWithoutComments.js';

const SHADERS = join(import.meta.dirname, '..', '..', 'shaders');

describe('WGSL without comments', () => {
  test('line and nested block comments go; code, newlines and the line count stay', () => {
    const source = 'a /* x /* nested */ y\nstill */ b // tail\n// whole line\nc / d; e * f;\n';
    expect(stripWgslComments(source)).toBe('a\n b\n\nc / d; e * f;\n');
  });

  test.each(readdirSync(SHADERS).filter((f) => f.endsWith('.wgsl')))('%s', (file) => {
    const source = readFileSync(join(SHADERS, file), 'utf8');
    const stripped = stripWgslComments(source);
    expect(stripped.split('\n')).toHaveLength(source.split('\n').length);
    expect(stripped).not.toMatch(/\/\/|\/\*|\*\//);
    // Every line's code is the source line without its comments (the shaders' block comments are one line each).
    const lines = stripped.split('\n');
    source.split('\n').forEach((line, i) =>
      expect(lines[i]).toBe(
        line
          .replace(/\/\*.*?\*\//g, '')
          .replace(/\/\/.*$/, '')
          .replace(/[ \t]+$/, ''),
      ),
    );
  });
});
