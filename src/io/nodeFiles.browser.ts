// The browser build's stand-in for nodeFiles.node.ts (same exports, checked by the types).
import { ModelIOError } from '../spec/ioErrors.js';
import type * as Node from './nodeFiles.node.js';

export type { Fs, Path } from './nodeFiles.node.js';

export const nodeModules: typeof Node.nodeModules = async () => {
  throw new ModelIOError("This is webgpu-rnn's browser build: saving to or loading from a directory needs Node (save to 'indexeddb://' or 'downloads://').");
};
