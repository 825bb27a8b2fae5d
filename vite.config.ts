// Library build, two trees from src/index.ts, one ES module per source module (so that an
// application's bundler drops every module it does not use: package.json says sideEffects:
// false), unminified so that class names and stack traces read as the source does:
// - `vite build` → dist/node/, the Node entry: `node:*`, Dawn's `webgpu` (an optional peer),
//   and the runtime dependencies (cli-progress, onnx-proto, fflate, jsfive) stay external.
// - `vite build --mode browser` → dist/browser/: every *.node.ts module is replaced by its
//   *.browser.ts twin, and nothing Node-only may be imported (scripts/browserTwins.ts).
// WGSL sources are inlined as strings through `?raw` imports, without their comments
// (scripts/wgslWithoutComments.ts). Declarations: tsc → dist/types/.
import { defineConfig } from 'vite';
import { browserTwins } from './scripts/browserTwins.js';
import { wgslWithoutComments } from './scripts/wgslWithoutComments.js';

export default defineConfig(({ mode }) => {
  const browser = mode === 'browser';
  return {
    plugins: browser ? [wgslWithoutComments(), browserTwins()] : [wgslWithoutComments()],
    build: {
      lib: { entry: 'src/index.ts', formats: ['es'] },
      outDir: browser ? 'dist/browser' : 'dist/node',
      target: 'es2022',
      minify: false,
      sourcemap: false,
      emptyOutDir: true,
      rollupOptions: {
        // Runtime dependencies stay imports, resolved by the application's bundler or Node.
        external: browser ? [/^onnx-proto/, 'fflate', 'jsfive'] : ['webgpu', 'cli-progress', /^onnx-proto/, 'fflate', 'jsfive', /^node:/],
        output: { preserveModules: true, preserveModulesRoot: 'src', entryFileNames: '[name].js' },
      },
    },
  };
});
