// 督学工作台: schools, drafts on this phone, the outbox and what was submitted recently.

import * as api from './api.js';
import * as outbox from './outbox.js';
import * as store from './store.js';
import {
  $, clear, formatTime, h, registerServiceWorker, requestPersistence, STATE_NAMES, storageSummary,
  toast, today, uuid, watchNetwork,
} from './util.js';

let schools = [];
let showAll = false;
// Who 工作台 is shown to (the bootstrap's user), or otherAccount when the kept bootstrap is another
// account's: then nothing submitted from this phone is listed either (it was that account's).
let me = null;
let otherAccount = false;

function renderSchools() {
  const q = $('#school-search').value.trim();
  const list = clear($('#schools'));
  const rows = schools.filter((s) => (showAll || s.assigned) &&
    (!q || s.name.includes(q) || (s.township || '').includes(q) || (s.code || '').includes(q)));
  if (!rows.length) {
    list.append(h('li', { class: 'empty' }, showAll || q ? '没有找到符合条件的学校。' : '暂无分配给您的学校，请切换到「全部学校」。'));
    return;
  }
  for (const s of rows.slice(0, 200)) {
    list.append(h('li', {}, h('a', { href: `/inspector/new?school=${s.id}` },
      h('strong', {}, s.name),
      h('span', { class: 'meta' }, [s.township, s.stage, s.boarding ? '寄宿制' : '', s.township_central ? '乡镇中心校' : '']
        .filter(Boolean).join(' · ')))));
  }
}

// A discarded draft goes to a trash on this phone for 7 days (nothing is lost by one tap),
// then it and its photos are deleted for good.
export const TRASH_DAYS = 7;
const DAY_MS = 24 * 3600 * 1000;

async function purgeTrash() {
  const old = (await store.all('drafts'))
    .filter((d) => d.status === 'trashed' && Date.now() - Date.parse(d.trashed_at) > TRASH_DAYS * DAY_MS);
  for (const d of old) {
    const photos = await store.photosFor(d.id);
    await store.tx(['drafts', 'photos'], 'readwrite', (s) => {
      s.drafts.delete(d.id);
      for (const p of photos) s.photos.delete(p.id);
    });
  }
}

async function setTrashed(d, on) {
  const now = new Date().toISOString();
  const fresh = await store.get('drafts', d.id); // the form may have saved since the list was drawn
  if (!fresh) return;
  await store.put('drafts', on ? { ...fresh, status: 'trashed', trashed_at: now } : { ...fresh, status: 'draft', trashed_at: null });
  renderDrafts();
}

async function discard(d) {
  if (!confirm(`删除「${d.school?.name || '学校'} · ${d.type}」这份未完成的检查？\n删除后放入回收站，${TRASH_DAYS} 天内可以恢复。`)) return;
  await setTrashed(d, true);
  toast('已移到回收站', 'info', { label: '撤销', onclick: () => setTrashed(d, false) });
}

// A copy for another visit with the same checklist: the answers and notes, never the photos,
// signatures or location (they belong to the visit that made them).
async function duplicate(d) {
  const now = new Date().toISOString();
  const copy = {
    ...structuredClone(d), id: uuid(), status: 'draft', date: today(), signatures: {}, signers: {},
    location: null, location_note: '复制的检查，开始时未定位', copied_from: d.id, trashed_at: null,
    started_at: now, updated_at: now, view: 'section', section: 0, prefill_offer: d.prefill_offer || null,
  };
  await store.put('drafts', copy);
  toast('已复制，照片和签名不复制');
  renderDrafts();
}

async function renderDrafts() {
  // 回头看 drafts are listed by followup_home.js, beside the schools they are for.
  // Another account's drafts stay on the phone (their owner finishes them) but are not shown:
  // the same rule as the recent list.
  const all = otherAccount ? [] : (await store.all('drafts')).filter((d) => d.kind !== 'followup'
    && (!d.inspector || !me || d.inspector.username === me.username));
  const byTime = (a, b) => (a.updated_at < b.updated_at ? 1 : -1);
  const drafts = all.filter((d) => d.status !== 'locked' && d.status !== 'trashed').sort(byTime);
  const list = clear($('#drafts'));
  if (!drafts.length) list.append(h('li', { class: 'empty' }, '没有未完成的检查。'));
  for (const d of drafts) {
    const answered = Object.keys(d.answers || {}).length;
    list.append(h('li', { class: 'draft-item', dataset: { id: d.id } },
      h('a', { href: `/inspector/form#${d.id}`, class: 'draft-link' },
        h('strong', {}, `${d.school?.name || '学校'} · ${d.type}`),
        h('span', { class: 'meta' }, `${d.date} · 已填 ${answered} 项 · 最后保存 ${formatTime(d.updated_at)}${d.copied_from ? ' · 复制件' : ''}`)),
      h('div', { class: 'draft-actions' },
        h('button', { type: 'button', class: 'button small draft-copy', onclick: () => duplicate(d) }, '复制'),
        h('button', { type: 'button', class: 'button small draft-discard', onclick: () => discard(d) }, '删除'))));
  }
  const trashed = all.filter((d) => d.status === 'trashed').sort((a, b) => (a.trashed_at < b.trashed_at ? 1 : -1));
  const trash = $('#trash');
  trash.hidden = !trashed.length;
  $('#trash-count').textContent = String(trashed.length);
  const tlist = clear($('#trash-list'));
  for (const d of trashed) {
    const left = Math.max(0, Math.ceil((Date.parse(d.trashed_at) + TRASH_DAYS * DAY_MS - Date.now()) / DAY_MS));
    tlist.append(h('li', { class: 'draft-item', dataset: { id: d.id } },
      h('div', { class: 'pad' }, h('strong', {}, `${d.school?.name || '学校'} · ${d.type}`),
        h('span', { class: 'meta' }, `${d.date} · 删除于 ${formatTime(d.trashed_at)} · ${left} 天后彻底删除`)),
      h('div', { class: 'draft-actions' },
        h('button', { type: 'button', class: 'button small draft-restore', onclick: async () => { await setTrashed(d, false); toast('已恢复'); } }, '恢复'))));
  }
}

async function renderOutbox() {
  const rows = await outbox.items();
  $('#outbox-count').textContent = String(rows.length);
  $('#outbox-card').dataset.count = String(rows.length);
  const list = clear($('#outbox-list'));
  if (!rows.length) list.append(h('li', { class: 'empty' }, '没有待上传的检查。'));
  for (const item of rows) {
    const photos = item.payload.photos?.length || 0;
    list.append(h('li', { class: 'outbox-item', dataset: { id: item.id, state: item.state } },
      h('div', { class: 'outbox-main' },
        h('strong', {}, `${item.school_name} · ${item.payload.type}`),
        h('span', { class: 'meta' }, `${item.date} · ${photos} 张照片 · 提交于 ${formatTime(item.queued_at)}`),
        h('span', { class: `state state-${item.state}` }, STATE_NAMES[item.state] || item.state),
        item.message && item.message !== STATE_NAMES[item.state] ? h('span', { class: 'meta' }, item.message) : null,
        item.state === 'auth' ? h('a', { href: '/login?next=/inspector/', class: 'button small' }, '去登录') : null),
      h('button', {
        type: 'button', class: 'button small', onclick: async () => {
          try {
            const name = await outbox.downloadBackup(item.id);
            toast(`已导出 ${name}`);
          } catch (e) {
            toast(e.message, 'error');
          }
        },
      }, '导出备份'),
      item.state === 'conflict' ? h('button', {
        type: 'button', class: 'button small', onclick: async () => {
          const ok = confirm('服务器上已有这份检查，且内容与本机的不同。以服务器上的为准，并删除本机这份副本？\n如需保留本机的内容，请先点「导出备份」。');
          if (!ok) return;
          await outbox.dismiss(item.id);
          toast('已删除本机副本，以服务器上的检查为准');
        },
      }, '以服务器为准') : null));
  }
}

async function renderRecent(serverRecent = []) {
  const kept = await store.all('submitted');
  const local = otherAccount ? [] : kept.filter((r) => !r.inspector || !me || r.inspector.username === me.username);
  const seen = new Set();
  const rows = [...local, ...serverRecent].filter((r) => !seen.has(r.id) && seen.add(r.id))
    .sort((a, b) => ((a.received_at || '') < (b.received_at || '') ? 1 : -1)).slice(0, 20);
  const list = clear($('#recent'));
  if (!rows.length) list.append(h('li', { class: 'empty' }, '暂无。'));
  for (const r of rows) {
    const score = r.total === null || r.total === undefined ? '' : ` · ${r.total} 分 ${r.grade || ''}`;
    const what = r.kind === 'followup' ? ' · 回头看' : ''; // its link is the visit's record
    const body = [h('strong', {}, `${r.school_name || '学校'}${what}`),
      h('span', { class: 'meta' }, `${r.date || ''}${score} · 服务器已收到 ${formatTime(r.received_at)}`)];
    list.append(h('li', { class: 'recent-item', dataset: { id: r.id } },
      r.report_url ? h('a', { href: r.report_url }, body) : h('div', { class: 'pad' }, body)));
  }
}

function renderOfflineReady({ kept, missing }) {
  const el = $('#offline-ready');
  el.hidden = false;
  el.dataset.state = missing ? 'partial' : 'ready';
  el.textContent = missing
    ? `有 ${missing} 份检查单未能保存到本机，请在有网络时重新打开本页。`
    : `${kept} 份检查单已保存到本机，没有网络也可离线开始检查。`;
}

async function main() {
  watchNetwork();
  registerServiceWorker();
  requestPersistence().then(async () => { $('#storage').textContent = await storageSummary(); });
  addEventListener('outbox-change', () => { renderOutbox(); renderRecent(); });
  $('#flush').addEventListener('click', async () => {
    const r = await outbox.flush({ manual: true });
    if (r?.offline) toast('当前没有网络，恢复后会自动上传');
    else if (r?.sent) toast(`已上传 ${r.sent} 份检查`);
  });
  $('#school-search').addEventListener('input', renderSchools);
  const tab = (all) => {
    showAll = all;
    $('#tab-mine').setAttribute('aria-pressed', String(!all));
    $('#tab-all').setAttribute('aria-pressed', String(all));
    renderSchools();
  };
  $('#tab-mine').addEventListener('click', () => tab(false));
  $('#tab-all').addEventListener('click', () => tab(true));
  // Drafts and recent inspections are listed once the bootstrap says whose phone copy this is
  // (not before: another account's would flash up).
  const purged = purgeTrash();
  renderOutbox();
  try {
    const { data, fresh } = await api.bootstrap();
    schools = data.schools || [];
    me = data.user || null;
    if (data.user) $('#hello').textContent = `${data.user.display_name}，您好`;
    if (!schools.some((s) => s.assigned)) tab(true);
    else renderSchools();
    renderRecent(data.recent || []);
    purged.then(renderDrafts);
    if (!fresh) toast('离线：显示的是上次同步的学校名单');
    renderOfflineReady(await api.keepChecklists(data));
  } catch (e) {
    let why = e.status === 401 ? '登录已过期，请重新登录后再读取学校名单。' : '无法读取学校名单：请在有网络时打开一次本页。';
    if (e.otherAccount) {
      otherAccount = true;
      why = e.message;
      $('#hello').textContent = '督学工作台';
      $('#other-account').hidden = false;
      $('#other-account').textContent = e.message;
    }
    clear($('#schools')).append(h('li', { class: 'empty' }, why));
    renderRecent();
    purged.then(renderDrafts);
  }
  outbox.startAutoFlush();
}

main();
