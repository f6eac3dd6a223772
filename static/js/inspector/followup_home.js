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

export const packKey = (schoolId) => `followup-pack:${schoolId}`;

// A school's open items: fresh from the server when it answers, else the copy on the phone.
export async function schoolPack(schoolId, { timeout = 8000 } = {}) {
  try {
    const { data } = await api.request(`/api/followups/schools/${schoolId}`, { timeout });
    const pack = { ...data, kept_at: new Date().toISOString() };
    await store.putMeta(packKey(schoolId), pack);
    return { pack, fresh: true };
  } catch (e) {
    const cached = await store.getMeta(packKey(schoolId));
    if (cached && !(e instanceof api.HttpError && e.status === 403)) return { pack: cached, fresh: false, error: e };
    throw e;
  }
}

// A visit begun by mistake: gone with its photos after a confirmation (nothing was sent yet).
async function discard(d, rows, kept) {
  if (!confirm(`删除对「${d.school.name}」的这次回头看？已填写的核实结果和照片将从本机删除。`)) return;
  const photos = await store.photosFor(d.id);
  await store.tx(['drafts', 'photos'], 'readwrite', (s) => {
    s.drafts.delete(d.id);
    for (const p of photos) s.photos.delete(p.id);
  });
  render(rows, kept);
}

// 整改前 / 整改后 images (the finding's photos, the school's evidence) kept as blobs beside
// the packs, so the inspector can compare on the spot with no signal. Capped: a phone is small.
const KEEP_FILES = 150;
export const fileKey = (sha) => `followup-file:${sha}`;

export async function keepFile(schoolId, sha) {
  const kept = await store.getMeta(fileKey(sha));
  if (kept) return kept.blob;
  const res = await fetch(`/api/followups/schools/${schoolId}/files/${sha}`, { credentials: 'same-origin', cache: 'no-store', redirect: 'manual' });
  if (!res.ok || res.type !== 'basic') throw new Error(`HTTP ${res.status}`);
  const blob = await res.blob();
  await store.putMeta(fileKey(sha), { blob, school: schoolId, kept_at: new Date().toISOString() });
  return blob;
}

const packFiles = (pack) => pack.items.flatMap((i) => [...(i.finding_photos || []), ...(i.reply?.photos || [])]);

async function keepFiles(schoolIds) {
  const wanted = [];
  for (const id of schoolIds) {
    const pack = await store.getMeta(packKey(id));
    for (const sha of pack ? packFiles(pack) : []) wanted.push([id, sha]);
  }
  for (const [id, sha] of wanted.slice(0, KEEP_FILES)) {
    try {
      await keepFile(id, sha);
    } catch {
      /* offline or gone: the page fetches it when opened online */
    }
  }
  // Images no kept pack mentions any more (items closed since) are dropped.
  const still = new Set(wanted.map(([, sha]) => fileKey(sha)));
  const db = await store.open();
  const keys = await new Promise((resolve, reject) => {
    const req = db.transaction('meta').objectStore('meta').getAllKeys(IDBKeyRange.bound('followup-file:', 'followup-file:\uffff'));
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const stale = keys.filter((k) => !still.has(k));
  if (stale.length) await store.tx('meta', 'readwrite', (st) => { for (const k of stale) st.meta.delete(k); });
}

async function render(rows, kept) {
  const drafts = (await store.all('drafts')).filter((d) => d.kind === 'followup' && d.status === 'draft');
  const list = clear($('#followup-schools'));
  $('#followup-count').textContent = String(rows.length);
  for (const d of drafts.sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1))) {
    const marked = Object.values(d.results || {}).filter((r) => r.result).length;
    list.append(h('li', { class: 'followup-draft draft-item', dataset: { id: d.id } },
      h('a', { href: `/inspector/followup#${d.id}`, class: 'draft-link' },
        h('strong', {}, `继续回头看：${d.school.name}`),
        h('span', { class: 'meta' }, `${d.date} · 已核实 ${marked}/${d.items.length} 项 · 最后保存 ${formatTime(d.updated_at)}`)),
      h('div', { class: 'draft-actions' },
        h('button', { type: 'button', class: 'button small followup-discard', onclick: () => discard(d, rows, kept) }, '删除'))));
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
  const cached = (await store.getMeta('followups')) || { schools: [] };
  const keptNow = async (rows) => {
    const kept = new Set();
    for (const s of rows) if (await store.getMeta(packKey(s.school_id))) kept.add(s.school_id);
    return kept;
  };
  await render(cached.schools, await keptNow(cached.schools));
  let rows;
  try {
    const { data } = await api.request('/api/followups', { timeout: 8000 });
    rows = data.schools || [];
    await store.putMeta('followups', { schools: rows, fetched_at: new Date().toISOString() });
  } catch {
    return; // offline: the list and the packs from the last visit online stay
  }
  await render(rows, await keptNow(rows));
  // Mine first: the schools the plan gives me, then those where I found the items.
  const ahead = [...rows].sort((a, b) => Number(b.assigned || b.mine > 0) - Number(a.assigned || a.mine > 0)).slice(0, KEEP);
  // A pack kept in the last few minutes with as many items as the list says is left alone:
  // 工作台 is opened often, and on a weak signal every request counts.
  const fresh = async (s) => {
    const pack = await store.getMeta(packKey(s.school_id));
    return pack && pack.items.length === s.open && Date.now() - Date.parse(pack.kept_at) < REFRESH_MS;
  };
  await Promise.allSettled(ahead.map(async (s) => (await fresh(s)) || schoolPack(s.school_id, { timeout: 20000 })));
  const kept = await keptNow(rows);
  await render(rows, kept);
  await keepFiles(ahead.map((s) => s.school_id).filter((id) => kept.has(id)));
  $('#followup-card').dataset.ready = String(ahead.every((s) => kept.has(s.school_id)) ? 1 : 0);
}

// followup.js imports this module for schoolPack; only 工作台 draws the card.
if (document.body.dataset.page === 'home') main();
