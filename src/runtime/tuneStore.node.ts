// The tuner's choices in a JSON file (Node): createDevice({ tune, tuneCache: 'path/to/file.json' }).
// The browser build of the library replaces this module by tuneStore.browser.ts (IndexedDB).
import * as fs from 'node:fs/promises';
import type { TuneStore } from './tuner.js';

const FORMAT = 'webgpu-rnn-tuning';

/** The store at `name` (a file path) and the choices it holds (none if the file does not exist yet). */
export async function openTuneStore(name: string): Promise<{ store: TuneStore; stored: Record<string, string> }> {
  let stored: Record<string, string> = {};
  try {
    const json = JSON.parse(await fs.readFile(name, 'utf8')) as { format?: string; choices?: Record<string, string> };
    if (json.format === FORMAT && json.choices && typeof json.choices === 'object') stored = json.choices;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
  }
  const store: TuneStore = {
    load: async () => stored,
    async save(entries) {
      // Written beside and renamed over: a reader never sees half a file.
      const partial = `${name}.${process.pid}.partial`;
      await fs.writeFile(partial, `${JSON.stringify({ format: FORMAT, version: 1, choices: entries }, null, 1)}\n`);
      await fs.rename(partial, name);
    },
  };
  return { store, stored };
}
