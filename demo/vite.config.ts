// The demo page: `npm run dev` serves it, `npm run build:demo` builds it into demo/dist.
// The library's *.node.ts modules become their *.browser.ts twins (scripts/browserTwins.ts), as
// in the package's browser entry: Dawn's `webgpu`, cli-progress and `node:*` never reach the page.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { browserTwins } from '../scripts/browserTwins.js';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [browserTwins()],
  // The library's WGSL lives in ../shaders, the text in ../node_modules: let the dev server read them.
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
    rollupOptions: {
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
