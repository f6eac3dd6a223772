// The outbox: signed inspections wait here until the server has confirmed them with a 2xx.
// Photos go first (PUT by content hash, each remembered once confirmed), then the inspection
// (PUT by its client UUID, so a repeat is harmless). Only one flush runs at a time per phone:
// the Web Locks API covers several open tabs, an in-memory promise covers double taps.

import * as api from './api.js';
import * as store from './store.js';
import { blobToBase64 } from './photos.js';
import { banner, h, rejection } from './util.js';

const LOCK = 'inspect-outbox-flush';
const BASE_DELAY = 5000;
const MAX_DELAY = 5 * 60 * 1000;
const LOGIN_URL = '/login?next=/inspector/';
export const SYNC_TAG = 'inspect-outbox';
// globalThis: this module also runs in the service worker, for Background Sync
const channel = 'BroadcastChannel' in globalThis ? new BroadcastChannel('inspect-outbox') : null;

function changed() {
  dispatchEvent(new CustomEvent('outbox-change'));
  channel?.postMessage('change');
}

// Ask the browser to wake the service worker when the network is back (Background Sync),
// so a queued inspection goes up with no inspector page open; without it, the page-open
// retries below are all there is.
export async function requestBackgroundSync() {
  if (typeof window === 'undefined' || !('serviceWorker' in navigator) || !('SyncManager' in window)) return false;
  try {
    const reg = await navigator.serviceWorker.ready;
    if (!reg.sync) return false;
    await reg.sync.register(SYNC_TAG);
    return true;
  } catch {
    return false; // e.g. permission refused: the page-open retries remain
  }
}

// The service worker's sync event: one flush; anything still waiting rejects, so the browser
// retries the sync later with its own back-off.
export async function backgroundFlush() {
  await flush();
  const left = (await items()).filter((i) => ['queued', 'waiting', 'uploading'].includes(i.state));
  if (left.length) throw new Error(`${left.length} 份检查仍待上传`);
}
channel?.addEventListener('message', () => dispatchEvent(new CustomEvent('outbox-change')));

export const items = async () =>
  (await store.all('outbox')).sort((a, b) => (a.queued_at < b.queued_at ? -1 : 1));

// The account an inspection belongs to, as kept with its draft and outbox entry.
export const owner = (user) => (user ? { id: user.id, username: user.username, display_name: user.display_name } : null);

// Lock the draft and queue it in one transaction: either both happen or neither.
// A second call for the same inspection (double tap) finds it queued and changes nothing.
export async function enqueue(draft, payload, summary = null) {
  const now = new Date().toISOString();
  // Drafts started before owners were recorded: the account that last loaded 工作台 here.
  const inspector = draft.inspector || owner((await store.getMeta('bootstrap'))?.user);
  const queued = await store.tx(['drafts', 'outbox'], 'readwrite', (s) => {
    const entry = {
      id: draft.id, kind: draft.kind || 'inspection', payload, state: 'queued', attempts: 0, message: '', inspector,
      school_name: draft.school?.name || '', date: draft.date, queued_at: now, next_try: 0,
      summary, // what the principal was shown; still readable on the phone after the upload
    };
    s.drafts.put({ ...draft, status: 'locked', locked_at: draft.locked_at || now });
    // add() fails on an existing key, which aborts the transaction; check first instead.
    const req = s.outbox.getKey(draft.id);
    req.onsuccess = () => { if (req.result === undefined) s.outbox.add(entry); };
    return entry;
  });
  changed();
  requestBackgroundSync();
  return queued;
}

async function update(id, patch) {
  await store.tx('outbox', 'readwrite', (s) => {
    const req = s.outbox.get(id);
    req.onsuccess = () => { if (req.result) s.outbox.put({ ...req.result, ...patch }); };
  });
  changed();
}

// One request with the CSRF header; a stale token (400 安全校验失败) is renewed once.
async function send(ctx, url, init) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api.request(url, { ...init, headers: { ...init.headers, 'X-CSRFToken': ctx.token } });
    } catch (e) {
      if (attempt === 0 && isCsrfError(e)) {
        ctx.token = (await api.session()).data.csrf_token;
        continue;
      }
      throw e;
    }
  }
}

// 400 安全校验失败 (contract), or Flask-WTF's CSRF error page text: get a new token, try once more.
function isCsrfError(e) {
  return e instanceof api.HttpError && e.status === 400 &&
    (e.body?.error === '安全校验失败' || /安全校验/.test(e.body?.message || ''));
}

let running = null;
let timer = null;

// Flush the whole outbox. `manual` also retries conflicts and rejected items.
export function flush({ manual = false } = {}) {
  if (running) return running;
  const run = () => doFlush(manual);
  running = (navigator.locks
    ? navigator.locks.request(LOCK, { ifAvailable: true }, (lock) => (lock ? run() : { busy: true }))
    : run()
  ).finally(() => { running = null; });
  return running;
}

async function doFlush(manual) {
  const queue = (await items()).filter((i) => manual || !['conflict', 'rejected'].includes(i.state));
  if (!queue.length) {
    schedule();
    return { sent: 0 };
  }
  const ctx = { token: null };
  let user;
  try {
    ({ csrf_token: ctx.token, user } = (await api.session()).data);
  } catch (e) {
    if (e instanceof api.HttpError && e.status === 401) return loginExpired(queue);
    for (const item of queue) await backoff(item, '网络不通，稍后自动重试');
    schedule();
    return { sent: 0, offline: true };
  }
  banner('');
  // An inspection goes up only under the account that made it: the server would file it
  // under whoever is logged in, beside a signature with someone else's name (issue 14).
  const others = queue.filter((i) => i.inspector && i.inspector.id !== user.id);
  for (const item of others) {
    const who = `${item.inspector.display_name}（${item.inspector.username}）`;
    await update(item.id, {
      state: 'other_user',
      message: `这份检查由 ${who} 填写，当前登录的账号不能上传。请 ${item.inspector.display_name} 本人登录后上传，或「导出备份」交县教育局导入。`,
    });
  }
  if (others.length) {
    banner(`本机有 ${others.length} 份检查由其他督学填写，当前账号不能上传；仍保存在本机，可在「待上传」中导出备份。`);
  }
  let sent = 0;
  for (const item of queue.filter((i) => !others.includes(i))) {
    try {
      await sendOne(ctx, item);
      sent++;
    } catch (e) {
      if (!(e instanceof api.HttpError)) {
        await backoff(item, '网络不通，稍后自动重试');
        continue;
      }
      if (e.status === 401 || e.status === 403) return loginExpired(queue);
      if (e.status === 409) {
        await update(item.id, { state: 'conflict', message: e.body.message || '该检查已提交，且内容与本次不同。' });
      } else if (e.status === 422 || e.status === 413 || e.status === 415) {
        const missing = e.body.missing_photos || e.body.fields?.missing_photos;
        if (missing?.length) {
          await forgetUploads(item.id, missing);
          await backoff(item, '部分照片需要重新上传');
        } else {
          await update(item.id, { state: 'rejected', message: rejection(e.body, e.message) });
        }
      } else {
        await backoff(item, `服务器暂时无法处理（${e.status}），稍后自动重试`);
      }
    }
  }
  schedule();
  return { sent };
}

async function sendOne(ctx, item) {
  await update(item.id, { state: 'uploading', message: '' });
  await sendPhotos(ctx, item);
  // A 回头看 (followup.js) travels the same queue to its own address.
  const url = item.kind === 'followup' ? `/api/followups/${item.id}` : `/api/inspections/${item.id}`;
  const { data } = await send(ctx, url, {
    method: 'PUT', body: JSON.stringify(item.payload), headers: { 'Content-Type': 'application/json' }, timeout: 60000,
  });
  // Confirmed: record it and only then drop the phone's copy, all in one transaction.
  const photos = await store.photosFor(item.id);
  await store.tx(['outbox', 'drafts', 'photos', 'submitted'], 'readwrite', (s) => {
    s.submitted.put({
      id: item.id, kind: item.kind || 'inspection', school_name: item.school_name, date: item.date,
      total: data?.total ?? item.payload.client_result?.total ?? null,
      grade: data?.grade ?? item.payload.client_result?.grade ?? null,
      received_at: data?.received_at || new Date().toISOString(), report_url: data?.report_url || null,
      summary: item.summary || null,
      inspector: item.inspector || null, // 工作台 lists it only to this account
    });
    s.outbox.delete(item.id);
    s.drafts.delete(item.id);
    for (const p of photos) s.photos.delete(p.id);
  });
  changed();
}

// Ask first which pictures the server lacks, then send only those bytes, each once: the same
// picture on two items, or one whose confirmation was lost, is never sent again (on a slow
// uplink re-sending is what kept an outbox from ever emptying, issue 14).
async function sendPhotos(ctx, item) {
  const records = await store.photosFor(item.id);
  const total = new Set(records.map((p) => p.sha256)).size;
  const pending = records.filter((p) => !p.uploaded); // confirmed in an earlier attempt
  if (pending.length) {
    const hashes = [...new Set(pending.map((p) => p.sha256))];
    const { data } = await send(ctx, '/api/photos/missing', {
      method: 'POST', body: JSON.stringify({ sha256: hashes }), headers: { 'Content-Type': 'application/json' },
    });
    const missing = data.missing.filter((sha) => hashes.includes(sha));
    const confirm = (sha) => store.tx('photos', 'readwrite', (s) => {
      for (const p of pending) if (p.sha256 === sha) s.photos.put({ ...p, uploaded: true });
    });
    for (const sha of hashes) if (!missing.includes(sha)) await confirm(sha);
    let done = total - missing.length;
    for (const sha of missing) {
      const { blob } = pending.find((p) => p.sha256 === sha);
      await update(item.id, { state: 'uploading', message: `正在上传照片 ${done + 1}/${total}` });
      await send(ctx, `/api/photos/${sha}`, {
        method: 'PUT', body: blob, headers: { 'Content-Type': blob.type || 'image/jpeg' }, timeout: 60000,
      });
      await confirm(sha);
      done++;
    }
  }
  if (total) await update(item.id, { state: 'uploading', message: `照片已全部上传（${total} 张），正在提交检查` });
}

async function forgetUploads(id, hashes) {
  for (const p of await store.photosFor(id)) {
    if (hashes.includes(p.sha256)) await store.put('photos', { ...p, uploaded: false });
  }
}

async function backoff(item, message) {
  const attempts = (item.attempts || 0) + 1;
  const delay = Math.min(MAX_DELAY, BASE_DELAY * 2 ** Math.min(attempts - 1, 10));
  await update(item.id, { state: 'waiting', attempts, message, next_try: Date.now() + delay });
  requestBackgroundSync();
}

async function loginExpired(queue) {
  for (const item of queue) await update(item.id, { state: 'auth', message: '登录已过期，请重新登录' });
  banner('登录已过期，请重新登录。待上传的检查仍保存在本机。', { href: LOGIN_URL, text: '去登录' });
  return { sent: 0, auth: true };
}

// Next automatic attempt: the earliest next_try among items still waiting.
async function schedule() {
  clearTimeout(timer);
  const pending = (await items()).filter((i) => ['queued', 'waiting', 'uploading'].includes(i.state));
  if (!pending.length) return;
  const next = Math.min(...pending.map((i) => i.next_try || 0));
  timer = setTimeout(() => flush(), Math.max(1000, next - Date.now()));
}

// Flush now, whenever the network comes back, when the page becomes visible, and on back-off.
export function startAutoFlush() {
  requestBackgroundSync();
  addEventListener('online', () => flush());
  document.addEventListener('visibilitychange', () => { if (!document.hidden) flush(); });
  return flush();
}

// 以服务器为准: the server holds a different inspection under this id (409). Drop the phone's
// copy (outbox entry, draft, photos) in one transaction; the caller offers 导出备份 first.
export async function dismiss(id) {
  const photos = await store.photosFor(id);
  await store.tx(['outbox', 'drafts', 'photos'], 'readwrite', (s) => {
    s.outbox.delete(id);
    s.drafts.delete(id);
    for (const p of photos) s.photos.delete(p.id);
  });
  changed();
}

// The backup file: exactly the PUT body, plus every photo base64-encoded, for
// `flask import-backup FILE` when a phone can never reach the server.
export async function backup(id) {
  const item = await store.get('outbox', id);
  if (!item) throw new Error('该检查已不在待上传队列中');
  const photos = [];
  for (const p of await store.photosFor(id)) {
    photos.push({
      sha256: p.sha256, item: p.item, caption: p.caption || '', content_type: p.blob.type || 'image/jpeg',
      width: p.width, height: p.height, data_base64: await blobToBase64(p.blob),
    });
  }
  return {
    format: 'inspect_app.outbox_backup', format_version: 1, exported_at: new Date().toISOString(),
    inspection: item.payload, photos,
  };
}

export async function downloadBackup(id) {
  const data = await backup(id);
  const blob = new Blob([JSON.stringify(data)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const what = data.inspection.type === '回头看' ? '回头看备份' : '督导检查备份';
  const name = `${what}-${data.inspection.date}-${id.slice(0, 8)}.json`;
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return name;
}
