// The browser build's stand-in for tuneStore.node.ts (same exports, checked by the types): the
// tuner's choices in IndexedDB, database 'webgpu-rnn-tuning', one record per tuneCache name.
import type * as Node from './tuneStore.node.js';
import type { TuneStore } from './tuner.js';

const DATABASE = 'webgpu-rnn-tuning';
const STORE = 'choices';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function database(): Promise<IDBDatabase | undefined> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) return undefined;
  const open = idb.open(DATABASE, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  return request(open);
}

export const openTuneStore: typeof Node.openTuneStore = async (name) => {
  const db = await database();
  const stored = ((db && (await request(db.transaction(STORE).objectStore(STORE).get(name)))) ?? {}) as Record<string, string>;
  const store: TuneStore = {
    load: async () => stored,
    async save(entries) {
      if (db)
        await request(
          db
            .transaction(STORE, 'readwrite')
            .objectStore(STORE)
            .put({ ...entries }, name),
        );
    },
  };
  return { store, stored };
};
