// Library build: src/index.ts → dist/index.js (ESM). WGSL sources are inlined as strings
// through `?raw` imports; Dawn's `webgpu` package stays external (Node only, loaded lazily), as
// does cli-progress (fit's progress bar, imported by a computed specifier in Node only).
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: 'index' },
    target: 'es2022',
    sourcemap: true,
    emptyOutDir: true,
    rollupOptions: { external: ['webgpu', /^node:/] },
  },
});
