// Service worker for the inspector's phone (served at /sw.js, scope /, by inspect_app/web/inspector.py,
// which stamps the shell version and file list below). It never touches IndexedDB: drafts and the
// outbox survive every update. POST/PUT and the session/CSRF endpoint always go to the network.

__OUTBOX_IMPORT__
const VERSION = '__VERSION__';
const SYNC_TAG = 'inspect-outbox'; // outbox.js SYNC_TAG
const SHELL_CACHE = `inspect-shell-${VERSION}`;
const DATA_CACHE = 'inspect-data-v1'; // /api/bootstrap and immutable /api/checklists/<hash>
const KEEP = [SHELL_CACHE, DATA_CACHE];
const SHELL = [
  __SHELL__,
];
const PAGE_TIMEOUT = 4000; // a weak signal must not keep the inspector staring at a blank page
const WARM_TIMEOUT = 20000; // install must not hang on a weak signal; the next page visit retries
const WARM_EVERY = 10 * 60 * 1000;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // cache: 'no-cache': every file is checked with the server (its ETag), so the HTTP cache
    // never hands us a stale copy, and one that did not change comes back as a 304 instead of
    // being downloaded again: a new version costs a phone only the files that changed.
    await Promise.all(SHELL.map(async (url) => {
      const res = await fetch(new Request(url, { cache: 'no-cache', credentials: 'same-origin', redirect: 'follow' }));
      if (res.ok && !res.redirected) await cache.put(url, res);
      else if (!url.startsWith('/inspector/')) throw new Error(`precache failed: ${url}`);
    }));
    await Promise.race([warmData(), new Promise((resolve) => setTimeout(resolve, WARM_TIMEOUT))]);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('inspect-') && !KEEP.includes(name)) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function timeout(ms) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), ms));
}

// Only real pages of the signed-in user are cached: a redirect to /login is passed through.
async function networkFirst(request, cacheName, key, ms) {
  const cache = await caches.open(cacheName);
  try {
    const res = await Promise.race([fetch(request), timeout(ms)]);
    if (res.ok && !res.redirected && res.type === 'basic') await cache.put(key, res.clone());
    return res;
  } catch (e) {
    const hit = await cache.match(key, { ignoreSearch: true });
    if (hit) return hit;
    throw e;
  }
}

// The bootstrap is one account's (its name, schools, recent inspections): the server's answer
// overwrites the kept copy, a logged-out answer drops it, and a copy handed out with no signal is
// marked X-Inspect-Cached so the page shows it only to the account it belongs to (api.js).
async function bootstrapAnswer(request, key) {
  const cache = await caches.open(DATA_CACHE);
  let res;
  try {
    res = await Promise.race([fetch(request), timeout(8000)]);
  } catch (e) {
    const hit = await cache.match(key);
    if (!hit) throw e;
    const headers = new Headers(hit.headers);
    headers.set('X-Inspect-Cached', '1');
    return new Response(await hit.blob(), { status: hit.status, headers });
  }
  if (res.ok && !res.redirected && res.type === 'basic') await cache.put(key, res.clone());
  else if (res.type === 'opaqueredirect' || [401, 403].includes(res.status)) await cache.delete(key);
  return res;
}

async function cacheFirst(request, cacheName, key) {
  const cache = await caches.open(cacheName);
  const hit = await cache.match(key);
  if (hit) return hit;
  const res = await fetch(request);
  if (res.ok && res.type === 'basic') await cache.put(key, res.clone());
  return res;
}

// Reference data for an offline start: the bootstrap and every current compiled checklist,
// fetched ahead so an inspector who opened only 工作台 online can still start any inspection
// at a school with no signal (issue 14). Checklists are immutable per hash, so each is fetched
// once; the bootstrap is refreshed at most every WARM_EVERY by page visits.
let warmedAt = 0;
let warming = null;
function warmData() {
  if (warming) return warming;
  if (Date.now() - warmedAt < WARM_EVERY) return Promise.resolve();
  warming = (async () => {
    const cache = await caches.open(DATA_CACHE);
    const res = await fetch('/api/bootstrap', {
      credentials: 'same-origin', cache: 'no-store', redirect: 'manual', headers: { Accept: 'application/json' },
    });
    if (!res.ok || res.type !== 'basic') return; // logged out: the next signed-in visit warms
    await cache.put('/api/bootstrap', res.clone());
    const { checklists = [] } = await res.json();
    for (const c of checklists) {
      const key = `/api/checklists/${encodeURIComponent(c.hash)}`;
      if (await cache.match(key)) continue;
      const r = await fetch(key, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (r.ok && r.type === 'basic') await cache.put(key, r);
    }
    warmedAt = Date.now();
  })().catch(() => { /* offline or a weak signal: the next page visit tries again */ })
    .finally(() => { warming = null; });
  return warming;
}

function offlinePage() {
  return new Response(
    '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
    '<title>离线</title><body style="font:17px sans-serif;padding:24px"><h1>当前没有网络</h1>' +
    '<p>此页面尚未保存到本机。已填写的检查保存在本机，不会丢失。</p><p><a href="/inspector/">打开督学工作台</a></p>',
    { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}

// Background Sync: the browser wakes this worker when the network is back, page or no page.
// Only the module worker (registered where SyncManager exists) has the outbox imported.
self.addEventListener('sync', (event) => {
  if (event.tag !== SYNC_TAG || !backgroundFlush) return;
  event.waitUntil(backgroundFlush());
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return; // POST/PUT are never cached or replayed here
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;

  if (path.startsWith('/api/checklists/')) {
    event.respondWith(cacheFirst(request, DATA_CACHE, path));
  } else if (path === '/api/bootstrap') {
    event.respondWith(bootstrapAnswer(request, path).catch(() =>
      new Response(JSON.stringify({ error: '离线', message: '当前没有网络' }), { status: 503, headers: { 'Content-Type': 'application/json' } })));
  } else if (path.startsWith('/static/')) {
    // versioned by the shell cache name: a changed file means a new service worker
    event.respondWith(caches.open(SHELL_CACHE).then((c) => c.match(path)).then((hit) => hit || fetch(request)));
  } else if (path.startsWith('/inspector/') || path === '/inspector') {
    // key without the query string: /inspector/new?school=3 is the same shell
    const key = path === '/inspector' ? '/inspector/' : path;
    event.respondWith(networkFirst(request, SHELL_CACHE, key, PAGE_TIMEOUT).catch(() => offlinePage()));
    if (request.mode === 'navigate') event.waitUntil(warmData());
  }
});
