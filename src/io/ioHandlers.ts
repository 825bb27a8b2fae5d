// Where saved models live: a directory in Node (nodeFiles.node.ts, which the browser build
// replaces), IndexedDB and downloads in a browser, HTTP(S) for reading, and memory
// everywhere. Nothing here knows the file format: it moves a JSON text and binary files.
import { ModelFormatError, ModelIOError } from '../spec/ioErrors.js';
import { type Fs, nodeModules, type Path } from './nodeFiles.node.js';

/** Reads one saved model: its JSON, then the binary files the JSON names (relative paths). */
export interface ArtifactReader {
  /** What is read, for error messages ('directory ./m', 'indexeddb://m', …). */
  readonly where: string;
  /** The JSON, parsed (or the text, when the storage holds text). */
  json(): Promise<unknown>;
  /** The file at `path`, relative to the JSON's location. */
  file(path: string): Promise<ArrayBuffer>;
}

/** Writes one saved model: the JSON text and the binary files it names. */
export interface ArtifactWriter {
  readonly where: string;
  write(json: object, files: Record<string, ArrayBuffer>): Promise<void>;
}

export const INDEXEDDB_SCHEME = 'indexeddb://';
export const DOWNLOADS_SCHEME = 'downloads://';

export function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

function isHttp(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/** A binary value or a Blob / File, as an ArrayBuffer that starts at byte 0 (copied if needed). */
export async function toArrayBuffer(value: unknown, what: string): Promise<ArrayBuffer> {
  if (value instanceof ArrayBuffer) return value;
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return bytes.slice().buffer;
  }
  if (typeof Blob !== 'undefined' && value instanceof Blob) return value.arrayBuffer();
  throw new ModelIOError(`${what} must be an ArrayBuffer, a typed array or a Blob / File, got ${describeValue(value)}.`);
}

/** A JSON value given as an object, a text (or its bytes) or a Blob / File, parsed. */
export async function toJsonValue(value: unknown, what: string): Promise<unknown> {
  if (typeof Blob !== 'undefined' && value instanceof Blob) value = await value.text();
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) value = new TextDecoder().decode(value as ArrayBuffer);
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch (cause) {
    throw new ModelFormatError(`${what} is not valid JSON (${(cause as Error).message}): the file is truncated or not a model.json.`, { cause });
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return value.constructor?.name ?? 'an object';
}

/**
 * Throws unless `path` (a file named by a model.json) stays beside or below the model.json: no
 * absolute path, URL or '..' segment, so that a model file cannot make the loader read elsewhere.
 */
export function checkRelativePath(path: string, where: string): void {
  const absolute = /^([a-z][a-z0-9+.-]*:|[/\\])/i.test(path);
  if (absolute || path.split(/[/\\]/).includes('..')) {
    throw new ModelFormatError(`${where}: the weight file '${path}' must be a path relative to model.json, without '..'.`);
  }
}

/** The reader for a location string: indexeddb://, http(s)://, file:// or a path (Node) / URL (browser). */
export function readerFor(location: string): ArtifactReader {
  if (location.startsWith(INDEXEDDB_SCHEME)) return indexedDbReader(location.slice(INDEXEDDB_SCHEME.length), location);
  if (location.startsWith(DOWNLOADS_SCHEME)) {
    throw new ModelIOError(
      `${location}: downloads:// is a place to save to. To load the downloaded files, read them (e.g. from an <input type="file">) and pass { modelJson: jsonFile, weights: weightsFile }.`,
    );
  }
  if (isHttp(location) || !isNode()) return httpReader(location);
  return fileReader(location);
}

/** The writer for a location string: indexeddb://, downloads://, or a directory path in Node. */
export function writerFor(location: string, weightsFile: string): ArtifactWriter {
  if (location.startsWith(INDEXEDDB_SCHEME)) return indexedDbWriter(location.slice(INDEXEDDB_SCHEME.length), location);
  if (location.startsWith(DOWNLOADS_SCHEME)) return downloadsWriter(downloadName(location), location, weightsFile);
  if (isHttp(location))
    throw new ModelIOError(`${location}: saving over HTTP is not supported. Save to memory (no target) and upload { modelJson, weights } yourself.`);
  if (!isNode()) {
    throw new ModelIOError(`${location}: in a browser, save to 'downloads://name' or 'indexeddb://name', or to memory (no target).`);
  }
  return directoryWriter(location);
}

/** The base name of the files a downloads:// target writes. */
export function downloadName(location: string): string {
  return location.slice(DOWNLOADS_SCHEME.length) || 'model';
}

// ---- Node: a directory ----------------------------------------------------------------------

function stripFileScheme(location: string): string {
  if (!location.startsWith('file://')) return location;
  return decodeURIComponent(new URL(location).pathname);
}

function fileReader(location: string): ArtifactReader {
  const given = stripFileScheme(location);
  let jsonPath: string | undefined;
  const resolveJson = async (): Promise<string> => {
    if (jsonPath) return jsonPath;
    const { fs, path } = await nodeModules();
    const stat = await fs.stat(given).catch((cause: unknown) => {
      throw new ModelIOError(`${given}: no such file or directory (${(cause as Error).message}).`, { cause });
    });
    jsonPath = stat.isDirectory() ? path.join(given, 'model.json') : given;
    return jsonPath;
  };
  return {
    where: given,
    async json() {
      const { fs } = await nodeModules();
      const file = await resolveJson();
      return fs.readFile(file, 'utf8').catch((cause: unknown) => {
        throw new ModelIOError(`Cannot read ${file}: ${(cause as Error).message}`, { cause });
      });
    },
    async file(relative) {
      checkRelativePath(relative, given);
      const { fs, path } = await nodeModules();
      const file = path.resolve(path.dirname(await resolveJson()), relative);
      const bytes = await fs.readFile(file).catch((cause: unknown) => {
        throw new ModelIOError(`Cannot read ${file}, named by ${jsonPath}: ${(cause as Error).message}`, { cause });
      });
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

function directoryWriter(location: string): ArtifactWriter {
  const dir = stripFileScheme(location);
  return {
    where: dir,
    async write(json, files) {
      const { fs, path } = await nodeModules();
      try {
        await makeDirectories(fs, path, dir);
        // Write every file under a temporary name, then rename: a failed save never leaves a
        // model.json beside a weight file of another save.
        const suffix = `.tmp-${process.pid}-${Date.now()}`;
        const entries: [string, string | Uint8Array][] = [
          ...Object.entries(files).map(([name, data]) => [name, new Uint8Array(data)] as [string, Uint8Array]),
          ['model.json', JSON.stringify(json, null, 1)],
        ];
        for (const [name, data] of entries) await fs.writeFile(path.join(dir, name + suffix), data);
        for (const [name] of entries) await fs.rename(path.join(dir, name + suffix), path.join(dir, name));
      } catch (cause) {
        throw new ModelIOError(`Cannot save the model to the directory ${dir}: ${(cause as Error).message}`, { cause });
      }
    },
  };
}

/**
 * mkdir -p, one level at a time from the nearest existing ancestor: Node's recursive mkdir
 * never settles for some paths (under /proc it retries the ENOENT forever).
 */
async function makeDirectories(fs: Fs, path: Path, dir: string): Promise<void> {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    const stat = await fs.stat(at).catch(() => undefined);
    if (stat) {
      if (!stat.isDirectory()) throw new Error(`${at} exists and is not a directory`);
      break;
    }
    const parent = path.dirname(at);
    if (parent === at) break;
    missing.unshift(at);
    at = parent;
  }
  for (const d of missing) await fs.mkdir(d);
}

// ---- HTTP(S), or a relative URL in a browser ------------------------------------------------

/** What the readers use of a fetch Response (declared here: the package's types must not need the DOM lib). */
interface FetchedBody {
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}

/** fetch(target), its failure or a non-2xx status as a ModelIOError naming the target. */
export async function fetchOk(target: string): Promise<FetchedBody> {
  let response: Response;
  try {
    response = await fetch(target);
  } catch (cause) {
    throw new ModelIOError(`Cannot fetch ${target}: ${(cause as Error).message}`, { cause });
  }
  if (!response.ok) throw new ModelIOError(`Fetching ${target} gave HTTP ${response.status} ${response.statusText}.`);
  return response;
}

function httpReader(url: string): ArtifactReader {
  const base = typeof location !== 'undefined' && !isHttp(url) ? new URL(url, location.href).href : url;
  const get = fetchOk;
  return {
    where: base,
    json: async () => (await get(base)).text(),
    file: async (relative) => {
      checkRelativePath(relative, base);
      return (await get(new URL(relative, base).href)).arrayBuffer();
    },
  };
}

// ---- Browser: downloads -----------------------------------------------------------------------

function downloadsWriter(name: string, where: string, weightsFile: string): ArtifactWriter {
  return {
    where,
    async write(json, files) {
      if (typeof document === 'undefined') throw new ModelIOError(`${where}: downloads need a browser page (document); in Node, save to a directory path.`);
      const download = (blob: Blob, fileName: string): void => {
        const url = URL.createObjectURL(blob);
        const a = document.createElement('a');
        a.href = url;
        a.download = fileName;
        a.style.display = 'none';
        document.body.appendChild(a);
        a.click();
        a.remove();
        // Revoking at once can cancel the download in some browsers.
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      };
      download(new Blob([JSON.stringify(json, null, 1)], { type: 'application/json' }), `${name}.json`);
      for (const [file, data] of Object.entries(files)) {
        if (file !== weightsFile) throw new ModelIOError(`${where}: unexpected file ${file}.`);
        download(new Blob([data], { type: 'application/octet-stream' }), file);
      }
    },
  };
}

// ---- Browser: IndexedDB -----------------------------------------------------------------------

const DB_NAME = 'webgpu-rnn';
const STORE = 'models';

interface StoredModel {
  json: object;
  files: Record<string, ArrayBuffer>;
  savedAt: string;
}

function openDatabase(where: string): Promise<IDBDatabase> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) throw new ModelIOError(`${where}: this environment has no IndexedDB (in Node, save to a directory path or to memory).`);
  return new Promise((resolve, reject) => {
    const request = idb.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new ModelIOError(`${where}: cannot open IndexedDB '${DB_NAME}': ${request.error?.message}`, { cause: request.error }));
    request.onblocked = () => reject(new ModelIOError(`${where}: IndexedDB '${DB_NAME}' is blocked by another tab holding an older version open.`));
  });
}

async function withStore<T>(where: string, mode: IDBTransactionMode, use: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDatabase(where);
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = use(tx.objectStore(STORE));
      const fail = (): void =>
        reject(new ModelIOError(`${where}: IndexedDB ${mode} failed: ${(tx.error ?? request.error)?.message}`, { cause: tx.error ?? request.error }));
      // Resolve on the transaction's completion: the write is then durable.
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = fail;
      tx.onabort = fail;
    });
  } finally {
    db.close();
  }
}

function indexedDbReader(key: string, where: string): ArtifactReader {
  let stored: Promise<StoredModel> | undefined;
  const load = (): Promise<StoredModel> =>
    (stored ??= withStore<StoredModel | undefined>(where, 'readonly', (s) => s.get(key) as IDBRequest<StoredModel | undefined>).then((v) => {
      if (!v) throw new ModelIOError(`${where}: no model is saved under this name in IndexedDB.`);
      return v;
    }));
  return {
    where,
    json: async () => (await load()).json,
    async file(path) {
      const data = (await load()).files[path];
      if (!data) throw new ModelIOError(`${where}: the saved model has no file ${path}.`);
      return data;
    },
  };
}

function indexedDbWriter(key: string, where: string): ArtifactWriter {
  if (!key) throw new ModelIOError(`${where}: give a name after indexeddb://.`);
  return {
    where,
    async write(json, files) {
      const value: StoredModel = { json, files, savedAt: new Date().toISOString() };
      await withStore(where, 'readwrite', (s) => s.put(value, key));
    },
  };
}

/** Names of the models saved in IndexedDB, as 'indexeddb://name'. */
export async function listIndexedDbModels(): Promise<string[]> {
  const keys = await withStore(INDEXEDDB_SCHEME, 'readonly', (s) => s.getAllKeys());
  return keys.map((k) => INDEXEDDB_SCHEME + String(k));
}

/** Deletes the model saved in IndexedDB under 'indexeddb://name' (nothing if there is none). */
export async function removeIndexedDbModel(location: string): Promise<void> {
  if (!location.startsWith(INDEXEDDB_SCHEME)) throw new ModelIOError(`removeIndexedDbModel takes 'indexeddb://name', got '${location}'.`);
  await withStore(location, 'readwrite', (s) => s.delete(location.slice(INDEXEDDB_SCHEME.length)));
}

/** A model file: its bytes, a Blob / File, a URL (http(s), blob:, data:, or relative in a browser), or a path in Node. */
export type ModelFile = ArrayBuffer | ArrayBufferView | Blob | string;

/** The bytes of a model file, and how messages name it (`call`: the function reading it; `what`: the file when given as bytes). */
export async function readModelFile(source: ModelFile, call: string, what: string): Promise<{ bytes: ArrayBuffer; where: string }> {
  if (typeof source !== 'string') return { bytes: await toArrayBuffer(source, `${call}: source`), where: what };
  if (source.startsWith('indexeddb://') || source.startsWith('downloads://')) {
    throw new ModelIOError(`${source}: ${call} reads a file from bytes, a Blob, a URL or (in Node) a path.`);
  }
  // A URL is fetched as it is; a path in Node read.
  if (/^(https?|blob|data):/i.test(source) || !isNode()) return { bytes: await (await fetchOk(source)).arrayBuffer(), where: source };
  const reader = readerFor(source);
  const name = source.split(/[/\\]/).pop() || source;
  return { bytes: await reader.file(name), where: reader.where };
}
