// The tuner's choices in a JSON file (Node): createDevice({ tune, tuneCache: 'path/to/file.json' }).
// The browser build of the library replaces this module by tuneStore.browser.ts (IndexedDB).
import * as fs from 'node:fs/promises';
import type { TuneStore } from './tuner.js';

const FORMAT = 'webgpu-rnn-tuning';
const VERSION = 1;
let saves = 0;

/** The choices in the file at `path`: none if it does not exist yet, or is not a tuning file of this version. */
async function readChoices(path: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const json = JSON.parse(text) as { format?: string; version?: number; choices?: Record<string, string> };
    return json.format === FORMAT && json.version === VERSION && json.choices && typeof json.choices === 'object' ? json.choices : {};
  } catch {
    return {};
  }
}

/**
 * The store at `path` and the choices it holds. A save merges this device's choices into what
 * the file holds then (another process may have added some), written beside and renamed over,
 * so a reader never sees half a file.
 */
export async function openTuneStore(path: string): Promise<{ store: TuneStore; stored: Record<string, string> }> {
  const stored = await readChoices(path);
  const store: TuneStore = {
    async save(entries) {
      const choices = { ...(await readChoices(path)), ...entries };
      const partial = `${path}.${process.pid}.${++saves}.partial`;
      await fs.writeFile(partial, `${JSON.stringify({ format: FORMAT, version: VERSION, choices }, null, 1)}\n`);
      await fs.rename(partial, path);
    },
  };
  return { store, stored };
}
