// IndexedDB: the phone's only copy of drafts, photos, signatures and the outbox until the server
// confirms them. Every write is its own transaction that resolves only once committed.

// The library's preview page (templates/library/phone.html, preview.js) runs the real form on
// a namespace of its own, so nothing it stores can be taken for a real draft or sent from the
// outbox. `document` is absent in the service worker, which only ever uses the real one.
export const PREVIEW = typeof document !== 'undefined' && document.body?.dataset.page === 'preview';
const DB_NAME = PREVIEW ? 'inspect-preview' : 'inspect';
const DB_VERSION = 1;
let opening = null;

// Empty the preview namespace (only that one) before a preview starts.
export function resetPreview() {
  if (!PREVIEW) return Promise.reject(new Error('not a preview page'));
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(DB_NAME);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
    // another preview tab still has it open: it is told (onversionchange) and lets go
    req.onblocked = () => {};
  });
}

export function open() {
  if (opening) return opening;
  opening = new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      // drafts: one per inspection being filled or locked awaiting upload (key: inspection uuid)
      if (!db.objectStoreNames.contains('drafts')) db.createObjectStore('drafts', { keyPath: 'id' });
      // photos: {id, inspection, item, blob, sha256, width, height, caption, uploaded}
      if (!db.objectStoreNames.contains('photos')) {
        db.createObjectStore('photos', { keyPath: 'id' }).createIndex('inspection', 'inspection');
      }
      // outbox: {id, payload, state, attempts, message, queued_at, next_try}
      if (!db.objectStoreNames.contains('outbox')) db.createObjectStore('outbox', { keyPath: 'id' });
      // submitted: what the server confirmed (summary only)
      if (!db.objectStoreNames.contains('submitted')) db.createObjectStore('submitted', { keyPath: 'id' });
      // meta: cached reference data {key, value} (bootstrap, checklist:<hash>)
      if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', { keyPath: 'key' });
    };
    req.onsuccess = () => {
      const db = req.result;
      // Another tab upgrading the schema: let it, and reopen on next use.
      db.onversionchange = () => {
        db.close();
        opening = null;
      };
      resolve(db);
    };
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('数据库被其他页面占用，请关闭其他检查页面后重试'));
  });
  return opening;
}

// Run fn(stores) in one transaction over `names`; resolves with fn's result after commit.
export async function tx(names, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(names, mode, { durability: 'strict' });
    const stores = Object.fromEntries([names].flat().map((n) => [n, t.objectStore(n)]));
    let result;
    try {
      result = fn(stores, t);
    } catch (e) {
      t.abort();
      reject(e);
      return;
    }
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('transaction aborted'));
  });
}

const req2p = (req) => new Promise((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});

export async function get(store, key) {
  const db = await open();
  return req2p(db.transaction(store).objectStore(store).get(key));
}

export async function all(store) {
  const db = await open();
  return req2p(db.transaction(store).objectStore(store).getAll());
}

export const put = (store, value) => tx(store, 'readwrite', (s) => { s[store].put(value); });
export const del = (store, key) => tx(store, 'readwrite', (s) => { s[store].delete(key); });

export async function photosFor(inspectionId) {
  const db = await open();
  const index = db.transaction('photos').objectStore('photos').index('inspection');
  const rows = await req2p(index.getAll(inspectionId));
  return rows.sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
}

export async function getMeta(key) {
  return (await get('meta', key))?.value;
}

export const putMeta = (key, value) => put('meta', { key, value });
