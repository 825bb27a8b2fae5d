// Node's file system for saving and loading model directories. The browser build of the
// library replaces this module by nodeFiles.browser.ts (scripts/browserTwins.ts).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

export type Fs = typeof fs;
export type Path = typeof path;

export async function nodeModules(): Promise<{ fs: Fs; path: Path }> {
  return { fs, path };
}
