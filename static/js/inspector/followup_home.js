// 工作台's 回头看 card: the schools with open rectification items this inspector may go back
// to, each school's items kept on the phone (so a visit starts with no signal), and the
// 回头看 visits begun on this phone and not yet submitted.

import * as api from './api.js';
import * as store from './store.js';
import { $, clear, formatTime, h } from './util.js';

// Packs kept ahead per visit of 工作台: enough for an inspector's own schools; a bureau user
// (every school) fetches the rest when opening one online.
const KEEP = 40;
const REFRESH_MS = 10 * 60 * 1000;

// The lists, items and images kept for 回头看 are a school's problems and photos: they are
// kept per account, under the id of who the phone belongs to now (phoneUser), so another
// account logging in on this phone never sees them, online or not; 工作台 opened online under
// another account drops them altogether.
// The account last known to be signing in or signed in on this phone: written by the login
// page (static/js/signin.js, not imported here) and by phoneUser when the server answers.
const LOGIN_PENDING = 'inspect-login-pending';
export const listKey = (uid) => `followups:${uid}`;
export const packKey = (uid, schoolId) => `followup-pack:${uid}:${schoolId}`;
export const fileKey = (uid, sha) => `followup-file:${uid}:${sha}`;

// Who the phone belongs to now. Online: the account the server says is logged in
// (/api/session, as the outbox asks before sending; the service worker never answers it from a
// cache, unlike the bootstrap). Offline: the last bootstrap's user, unless the account last
// known here is another (a login since, noted by signin.js, or the server's answer while the
// bootstrap could not be fetched): then nobody, until the server says who. `network: false` reads the phone only (the visit page opens at once on a weak signal).
export async function phoneUser({ network = true } = {}) {
  if (network) {
    try {
      const { data } = await api.request('/api/session', { timeout: 6000 });
      try {
        localStorage.setItem(LOGIN_PENDING, JSON.stringify({ username: data.user.username, at: new Date().toISOString() }));
      } catch {
        /* no storage: offline, the bootstrap's user is all there is */
      }
      return { ...data.user, fresh: true };
    } catch (e) {
      if (e instanceof api.HttpError && [401, 403].includes(e.status)) return null; // logged out
    }
  }
  const user = (await store.getMeta('bootstrap'))?.user;
  if (!user) return null;
  let pending = null;
  try {
    pending = JSON.parse(localStorage.getItem(LOGIN_PENDING) || 'null');
  } catch {
    /* no storage, or not ours: no note */
  }
  if (pending && pending.username !== user.username) return null;
  return { ...user, fresh: false };
}

async function metaKeys(from, to) {
  const db = await store.open();
  return new Promise((resolve, reject) => {
    const req = db.transaction('meta').objectStore('meta').getAllKeys(IDBKeyRange.bound(from, to));
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

// Every 回头看 copy not kept for `uid` (another account's, or from before copies were kept per
// account) leaves the phone.
export async function dropOthers(uid) {
  const mine = [listKey(uid), `followup-pack:${uid}:`, `followup-file:${uid}:`];
  const keys = await metaKeys('followup', 'followup\uffff');
  const others = keys.filter((k) => !(k === mine[0] || k.startsWith(mine[1]) || k.startsWith(mine[2])));
  if (others.length) await store.tx('meta', 'readwrite', (st) => { for (const k of others) st.meta.delete(k); });
  return others.length;
}

// A school's open items: fresh from the server when it answers, else the copy on the phone.
export async function schoolPack(uid, schoolId, { timeout = 8000 } = {}) {
  try {
    const { data } = await api.request(`/api/followups/schools/${schoolId}`, { timeout });
    const pack = { ...data, kept_at: new Date().toISOString() };
    await store.putMeta(packKey(uid, schoolId), pack);
    return { pack, fresh: true };
  } catch (e) {
    const cached = await store.getMeta(packKey(uid, schoolId));
    if (cached && !(e instanceof api.HttpError && e.status === 403)) return { pack: cached, fresh: false, error: e };
    throw e;
  }
}

// A visit begun by mistake: gone with its photos after a confirmation (nothing was sent yet).
async function discard(me, d, rows, kept) {
  if (!confirm(`删除对「${d.school.name}」的这次回头看？已填写的核实结果和照片将从本机删除。`)) return;
  const photos = await store.photosFor(d.id);
  await store.tx(['drafts', 'photos'], 'readwrite', (s) => {
    s.drafts.delete(d.id);
    for (const p of photos) s.photos.delete(p.id);
  });
  render(me, rows, kept);
}

// 整改前 / 整改后 images (the finding's photos, the school's evidence) kept as blobs beside
// the packs, so the inspector can compare on the spot with no signal. Capped: a phone is small.
const KEEP_FILES = 150;

export async function keepFile(uid, schoolId, sha) {
  const kept = await store.getMeta(fileKey(uid, sha));
  if (kept) return kept.blob;
  const res = await fetch(`/api/followups/schools/${schoolId}/files/${sha}`, { credentials: 'same-origin', cache: 'no-store', redirect: 'manual' });
  if (!res.ok || res.type !== 'basic') throw new Error(`HTTP ${res.status}`);
  const blob = await res.blob();
  await store.putMeta(fileKey(uid, sha), { blob, school: schoolId, kept_at: new Date().toISOString() });
  return blob;
}

const packFiles = (pack) => pack.items.flatMap((i) => [...(i.finding_photos || []), ...(i.reply?.photos || [])]);

async function keepFiles(uid, schoolIds) {
  const wanted = [];
  for (const id of schoolIds) {
    const pack = await store.getMeta(packKey(uid, id));
    for (const sha of pack ? packFiles(pack) : []) wanted.push([id, sha]);
  }
  for (const [id, sha] of wanted.slice(0, KEEP_FILES)) {
    try {
      await keepFile(uid, id, sha);
    } catch {
      /* offline or gone: the page fetches it when opened online */
    }
  }
  // Images no kept pack mentions any more (items closed since) are dropped.
  const still = new Set(wanted.map(([, sha]) => fileKey(uid, sha)));
  const keys = await metaKeys(`followup-file:${uid}:`, `followup-file:${uid}:\uffff`);
  const stale = keys.filter((k) => !still.has(k));
  if (stale.length) await store.tx('meta', 'readwrite', (st) => { for (const k of stale) st.meta.delete(k); });
}

// A visit begun under another account is its inspector's: not listed here (its outbox entry,
// once submitted, waits for them as any inspection does).
export const mine = (me, d) => !d.inspector || d.inspector.id === me.id;

async function render(me, rows, kept) {
  const drafts = (await store.all('drafts'))
    .filter((d) => d.kind === 'followup' && d.status === 'draft' && mine(me, d));
  const list = clear($('#followup-schools'));
  $('#followup-count').textContent = String(rows.length);
  for (const d of drafts.sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1))) {
    const marked = Object.values(d.results || {}).filter((r) => r.result).length;
    list.append(h('li', { class: 'followup-draft draft-item', dataset: { id: d.id } },
      h('a', { href: `/inspector/followup#${d.id}`, class: 'draft-link' },
        h('strong', {}, `继续回头看：${d.school.name}`),
        h('span', { class: 'meta' }, `${d.date} · 已核实 ${marked}/${d.items.length} 项 · 最后保存 ${formatTime(d.updated_at)}`)),
      h('div', { class: 'draft-actions' },
        h('button', { type: 'button', class: 'button small followup-discard', onclick: () => discard(me, d, rows, kept) }, '删除'))));
  }
  if (!rows.length) {
    list.append(h('li', { class: 'empty' }, '没有需要回头看的学校（您负责的学校没有未销号的整改事项）。'));
    return;
  }
  for (const s of rows) {
    const onPhone = kept.has(s.school_id);
    list.append(h('li', { class: 'followup-school', dataset: { school: String(s.school_id) } },
      h('a', { href: `/inspector/followup?school=${s.school_id}` },
        h('strong', {}, s.name),
        h('span', { class: 'meta' }, [
          s.township, `未销号 ${s.open} 项`, s.overdue ? `逾期 ${s.overdue} 项` : '',
          onPhone ? '已保存到本机' : '未保存到本机，需联网打开',
        ].filter(Boolean).join(' · ')),
        h('span', { class: 'button small followup-start' }, '回头看'))));
  }
}

async function main() {
  const me = await phoneUser();
  if (!me) {
    clear($('#followup-schools')).append(h('li', { class: 'empty' }, '请在有网络时登录并打开一次督学工作台，以读取回头看的学校。'));
    return;
  }
  // Online under this account: another account's copies go (offline, they are only hidden).
  if (me.fresh) await dropOthers(me.id);
  const uid = me.id;
  const cached = (await store.getMeta(listKey(uid))) || { schools: [] };
  const keptNow = async (rows) => {
    const kept = new Set();
    for (const s of rows) if (await store.getMeta(packKey(uid, s.school_id))) kept.add(s.school_id);
    return kept;
  };
  await render(me, cached.schools, await keptNow(cached.schools));
  let rows;
  try {
    const { data } = await api.request('/api/followups', { timeout: 8000 });
    rows = data.schools || [];
    await store.putMeta(listKey(uid), { schools: rows, fetched_at: new Date().toISOString() });
  } catch {
    return; // offline: the list and the packs from the last visit online stay
  }
  await render(me, rows, await keptNow(rows));
  // Mine first: the schools the plan gives me, then those where I found the items.
  const ahead = [...rows].sort((a, b) => Number(b.assigned || b.mine > 0) - Number(a.assigned || a.mine > 0)).slice(0, KEEP);
  // A pack kept in the last few minutes with as many items as the list says is left alone:
  // 工作台 is opened often, and on a weak signal every request counts.
  const fresh = async (s) => {
    const pack = await store.getMeta(packKey(uid, s.school_id));
    return pack && pack.items.length === s.open && Date.now() - Date.parse(pack.kept_at) < REFRESH_MS;
  };
  await Promise.allSettled(ahead.map(async (s) => (await fresh(s)) || schoolPack(uid, s.school_id, { timeout: 20000 })));
  const kept = await keptNow(rows);
  await render(me, rows, kept);
  await keepFiles(uid, ahead.map((s) => s.school_id).filter((id) => kept.has(id)));
  $('#followup-card').dataset.ready = String(ahead.every((s) => kept.has(s.school_id)) ? 1 : 0);
}

// followup.js imports this module for schoolPack; only 工作台 draws the card.
if (document.body.dataset.page === 'home') main();
