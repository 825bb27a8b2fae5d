// The layers of src/ (docs/ARCHITECTURE.md): data flows API → model → lstm / layers → kernels →
// shaders, with runtime underneath and spec / init beside; the CPU oracle shares only spec and
// init with the GPU side. `npm run lint` runs this; CI fails on any violation.
//
// One module is a leaf every folder may import: src/spec/errors.ts, the typed errors of the
// public API (it imports nothing). Everything else follows the table below.

/** folder → the folders of ours it may import (besides itself and src/spec/errors.ts). */
const allowed = {
  runtime: [],
  spec: [],
  init: ['spec'],
  kernels: ['runtime', 'spec'],
  layers: ['runtime', 'kernels', 'spec', 'init'],
  lstm: ['runtime', 'kernels', 'spec', 'init', 'layers'],
  model: ['runtime', 'kernels', 'spec', 'init', 'layers', 'lstm', 'data'],
  io: ['runtime', 'kernels', 'model', 'layers', 'lstm', 'spec', 'init'],
  reference: ['spec', 'init'],
  data: ['init'],
};
const folders = Object.keys(allowed);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: split the shared piece into a module both can import.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...folders.map((folder) => ({
      name: `layer-${folder}`,
      severity: 'error',
      comment: `src/${folder} may import only ${allowed[folder].length ? allowed[folder].map((f) => `src/${f}`).join(', ') : 'nothing of ours'} (and src/spec/errors.ts): see docs/ARCHITECTURE.md.`,
      from: { path: `^src/${folder}/` },
      to: {
        path: '^src/',
        pathNot: [`^src/${folder}/`, '^src/spec/errors\\.ts$', ...allowed[folder].map((f) => `^src/${f}/`)],
      },
    })),
    {
      name: 'reference-is-an-oracle',
      severity: 'error',
      comment: 'The CPU reference must run without the GPU side: no runtime, kernels or shaders.',
      from: { path: '^src/reference/' },
      to: { path: '^(src/(runtime|kernels|lstm|layers|model|io)/|shaders/)' },
    },
    {
      name: 'only-the-index-imports-everything',
      severity: 'error',
      comment: 'Nothing inside src/ imports the package root (src/index.ts): import the module itself.',
      from: { path: '^src/', pathNot: '^src/index\\.ts$' },
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A module no one imports is dead code (or is missing from src/index.ts).',
      from: { orphan: true, path: '^src/', pathNot: ['^src/index\\.ts$', '\\.d\\.ts$'] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^node_modules|^dist)' },
    // TypeScript 7 has no JS API for dependency-cruiser: swc parses the sources (type imports included).
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
