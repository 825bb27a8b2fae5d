// The demo page: `npm run dev` serves it, `npm run build:demo` builds it into demo/dist.
// Dawn's `webgpu` package and cli-progress (fit's progress bar), both Node only and loaded
// lazily by the library, are never bundled.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  // The library's WGSL lives in ../shaders, the text in ../node_modules: let the dev server read them.
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
    rollupOptions: {
      external: ['webgpu', 'cli-progress', /^node:/],
      // Three chunks of 100–200 KB rather than one of 500: the chart library, the text, the page and the library.
      output: {
        codeSplitting: {
          groups: [
            { name: 'chart', test: /node_modules[\\/](chart\.js|@kurkle)[\\/]/ },
            { name: 'moby-dick', test: /datasets-moby-dick/ },
          ],
        },
      },
    },
  },
});
