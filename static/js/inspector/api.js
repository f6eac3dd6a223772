// The JSON API of docs/sync-api.md, with offline fallbacks to the copies kept in IndexedDB.

import * as store from './store.js';

export class HttpError extends Error {
  constructor(status, body) {
    super(body?.message || body?.error || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

// fetch with a time limit: on a weak signal a request can hang for minutes.
export async function request(url, { method = 'GET', body, headers = {}, timeout = 15000 } = {}) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeout);
  let res;
  try {
    res = await fetch(url, {
      method, body, headers: { Accept: 'application/json', ...headers },
      credentials: 'same-origin', cache: 'no-store', redirect: 'manual', signal: ctl.signal,
    });
  } finally {
    clearTimeout(timer);
  }
  // A redirect means the server sent us to the login page: the session is gone.
  if (res.type === 'opaqueredirect') throw new HttpError(401, { error: '需要登录' });
  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) data = await res.json().catch(() => null);
  if (!res.ok) throw new HttpError(res.status, data);
  return { status: res.status, data };
}

// Reference data: fresh when the network answers, otherwise the last copy on the phone.
export async function bootstrap() {
  try {
    const { data } = await request('/api/bootstrap', { timeout: 8000 });
    await store.putMeta('bootstrap', { ...data, fetched_at: new Date().toISOString() });
    return { data, fresh: true };
  } catch (e) {
    const cached = await store.getMeta('bootstrap');
    if (cached) return { data: cached, fresh: false, error: e };
    throw e;
  }
}

// A compiled checklist never changes for its hash: the phone copy wins.
export async function checklist(hash) {
  const cached = await store.getMeta(`checklist:${hash}`);
  if (cached) return cached;
  const { data } = await request(`/api/checklists/${encodeURIComponent(hash)}`, { timeout: 20000 });
  await store.putMeta(`checklist:${hash}`, data);
  return data;
}

// Every current checklist onto the phone, so an inspection can start with no signal even if
// 开始新的检查 was never opened online. Returns how many are on the phone and how many are not.
export async function keepChecklists(boot) {
  const results = await Promise.allSettled((boot.checklists || []).map((c) => checklist(c.hash)));
  const kept = results.filter((r) => r.status === 'fulfilled').length;
  return { kept, missing: results.length - kept };
}

// Last time's answers: the data; {none} when there is no earlier inspection; {none, denied}
// when the server refuses this inspector (the school left their plan): its reason, to show,
// and not asked again; {login} when the login has expired; null offline (ask again later).
export async function previous(schoolId, checklistId) {
  try {
    const { data } = await request(
      `/api/schools/${schoolId}/previous?checklist=${encodeURIComponent(checklistId)}`, { timeout: 8000 });
    return data;
  } catch (e) {
    if (!(e instanceof HttpError)) return null;
    if (e.status === 404) return { none: true };
    if (e.status === 403) return { none: true, denied: e.body.message || '无权调取该校的历史检查记录。' };
    if (e.status === 401) return { login: true };
    return null;
  }
}

export const session = () => request('/api/session', { timeout: 10000 });
