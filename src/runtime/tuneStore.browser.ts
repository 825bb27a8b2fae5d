// The browser build's stand-in for tuneStore.node.ts (same exports, checked by the types): the
// tuner's choices in IndexedDB, database 'webgpu-rnn-tuning', one record per tuneCache name.
// Each operation opens the database, waits for its transaction to complete, and closes it.
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

/** `use` on the store in one transaction of `mode`, resolved once the transaction completes; undefined without IndexedDB. */
async function inStore<T>(mode: IDBTransactionMode, use: (store: IDBObjectStore) => IDBRequest<T>): Promise<T | undefined> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) return undefined;
  const open = idb.open(DATABASE, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  const db = await request(open);
  try {
    const tx = db.transaction(STORE, mode);
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    const result = await request(use(tx.objectStore(STORE)));
    await done;
    return result;
  } finally {
    db.close();
  }
}

export const openTuneStore: typeof Node.openTuneStore = async (name) => {
  const read = async () => ((await inStore('readonly', (s) => s.get(name))) ?? {}) as Record<string, string>;
  const stored = await read();
  const store: TuneStore = {
    async save(entries) {
      const choices = { ...(await read()), ...entries };
      await inStore('readwrite', (s) => s.put(choices, name));
    },
  };
  return { store, stored };
};
