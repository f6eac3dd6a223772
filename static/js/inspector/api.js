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
  // sw.js marks an answer from its cache (no signal): not the server's word on who is logged in.
  return { status: res.status, data, cached: res.headers.get('X-Inspect-Cached') === '1' };
}

// The account last known to be signing in or signed in on this phone: noted by the login page
// at submit (static/js/signin.js) and here whenever the server itself answers. Offline, a copy
// of the bootstrap is shown only if its user is that account (or nothing was noted).
export const LOGIN_NOTE = 'inspect-login-pending'; // signin.js, followup_home.js phoneUser

function notedLogin() {
  try {
    return JSON.parse(localStorage.getItem(LOGIN_NOTE) || 'null');
  } catch {
    return null; // no storage, or not ours: no note
  }
}

function noteLogin(user) {
  try {
    localStorage.setItem(LOGIN_NOTE, JSON.stringify({ username: user.username, at: new Date().toISOString() }));
  } catch {
    /* no storage: offline, the bootstrap's user is all there is */
  }
}

// Who signed in on this phone last, by username (null when unknown).
export const phoneAccount = () => notedLogin()?.username || null;

// A kept bootstrap of another account than the one signed in on this phone now.
export class OtherAccountError extends Error {
  constructor() {
    super('本机保存的数据属于另一账号，请联网后刷新。');
    this.otherAccount = true;
  }
}

// Reference data: fresh when the network answers, otherwise the last copy on the phone (the
// service worker's or IndexedDB's), and that only for the account it belongs to: on a shared
// phone duxue2, signed in with no signal, must not see duxue1's name, schools or inspections.
export async function bootstrap() {
  let data;
  let error;
  try {
    const res = await request('/api/bootstrap', { timeout: 8000 });
    if (res.cached) {
      data = res.data;
      error = new Error('离线');
    } else {
      // The server's answer: it replaces any other account's copy, and says who is here now.
      await store.putMeta('bootstrap', { ...res.data, fetched_at: new Date().toISOString() });
      if (res.data.user) noteLogin(res.data.user);
      return { data: res.data, fresh: true };
    }
  } catch (e) {
    data = await store.getMeta('bootstrap');
    if (!data) throw e;
    error = e;
  }
  const noted = notedLogin();
  if (!data.user || (noted && noted.username !== data.user.username)) throw new OtherAccountError();
  return { data, fresh: false, error };
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
