// A Vite / Rollup plugin for the package builds: WGSL sources inlined through `?raw` imports
// lose their comments (the shader headers are for readers of the repository, not for every
// page that loads the library). Every line stays (a comment's line is left blank), so a WGSL
// compiler message's line number still points at the source file's line.
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'vite';

/** `source` without its comments: `//` to the end of the line and `/* … *\/` (which nest in WGSL); newlines kept. WGSL has no string literals. */
export function stripWgslComments(source: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const two = source.slice(i, i + 2);
    if (two === '/*') {
      depth++;
      i++;
    } else if (depth > 0 && two === '*/') {
      depth--;
      i++;
    } else if (depth > 0) {
      if (source[i] === '\n') out += '\n';
    } else if (two === '//') {
      while (i < source.length && source[i] !== '\n') i++;
      i--;
    } else out += source[i];
  }
  return out.replace(/[ \t]+$/gm, '');
}

export function wgslWithoutComments(): Plugin {
  return {
    name: 'webgpu-rnn:wgsl-without-comments',
    enforce: 'pre',
    async load(id) {
      const [file, query] = id.split('?');
      if (!file.endsWith('.wgsl') || query !== 'raw') return null;
      return `export default ${JSON.stringify(stripWgslComments(await readFile(file, 'utf8')))};`;
    },
  };
}
