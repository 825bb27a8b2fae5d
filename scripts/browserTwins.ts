// A Vite / Rollup plugin for every browser build of src/ (the package's browser entry, the demo,
// the browser-test pages): each `./x.node.js` import resolves to its twin `./x.browser.ts`
// (the same exports, without Node), and an import of a Node built-in, `webgpu` or
// `cli-progress` fails the build, so the browser output can never name them.
import type { Plugin } from 'vite';

const NODE_ONLY = /^(node:|webgpu$|cli-progress$)/;
const NODE_TWIN = /\.node\.js$/;

export function browserTwins(): Plugin {
  return {
    name: 'webgpu-rnn:browser-twins',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (NODE_ONLY.test(source)) {
        this.error(`${importer ?? 'the entry'} imports '${source}', which a browser does not have: move it into a *.node.ts module with a *.browser.ts twin.`);
      }
      if (!NODE_TWIN.test(source)) return null;
      const twin = await this.resolve(source.replace(NODE_TWIN, '.browser.js'), importer, { ...options, skipSelf: true });
      if (!twin) this.error(`${source} (imported by ${importer}) has no browser twin ${source.replace(NODE_TWIN, '.browser.ts')}.`);
      return twin;
    },
  };
}
