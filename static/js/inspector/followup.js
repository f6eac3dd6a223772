// 回头看 on the phone: go back to a school and check each open rectification item on the spot.
// Per item: 已整改（核实） with at least one photo and a note, 部分整改 with what is still
// missing, or 未整改 with the reason; both sides sign; the visit goes into the outbox. The draft
// (results, signatures) lives in IndexedDB like an inspection's, photos in the photos store
// under the visit's id, so nothing depends on the network until the upload.

import * as outbox from './outbox.js';
import * as store from './store.js';
import { downscale } from './photos.js';
import { keepFile, mine, phoneUser, schoolPack } from './followup_home.js';
import {
  $, clear, errorText, formatTime, h, registerServiceWorker, requestPersistence, toast, today, uuid, watchNetwork,
} from './util.js';

const RESULTS = [
  { value: 'fixed', label: '已整改', note: '核实情况', placeholder: '现场看到的整改结果，例如：新增图书 600 册已上架登记' },
  { value: 'partial', label: '部分整改', note: '已整改和仍未整改的内容', placeholder: '已完成哪些，还差什么' },
  { value: 'not_fixed', label: '未整改', note: '未整改原因', placeholder: '例如：资金未到位，学校称下月采购' },
];
const RESULT = Object.fromEntries(RESULTS.map((r) => [r.value, r]));
const DAY_MS = 24 * 3600 * 1000;

let draft = null;
let boot = null;
let saving = Promise.resolve();

function save() {
  draft.updated_at = new Date().toISOString();
  const snapshot = structuredClone(draft);
  saving = saving.then(() => store.put('drafts', snapshot)).catch((e) => toast(`保存失败：${errorText(e)}`, 'error'));
  return saving;
}

function countdown(item) {
  const days = Math.round((Date.parse(item.deadline) - Date.parse(draft.date)) / DAY_MS);
  if (days < 0) return { text: `已逾期 ${-days} 天`, band: 'overdue' };
  if (days === 0) return { text: '今天到期', band: 'due10' };
  return { text: `剩余 ${days} 天`, band: days <= 10 ? 'due10' : days <= 20 ? 'due20' : 'normal' };
}

// --- Starting: resume this school's unfinished visit, or begin one from the kept items. -----

async function begin() {
  // Who the phone belongs to now (the last bootstrap's user): the school's items kept for
  // this account only, and a visit begun under another account is not opened.
  const me = await phoneUser({ network: false });
  if (!me) throw new Error('请在有网络时登录并打开一次督学工作台（本机保存的回头看事项只对保存它们的账号显示）。');
  const id = location.hash.slice(1);
  if (id) {
    const d = await store.get('drafts', id);
    if (d && !mine(me, d)) throw new Error(`这次回头看由 ${d.inspector.display_name}（${d.inspector.username}）开始，当前账号不能打开。`);
    return d;
  }
  const schoolId = Number(new URLSearchParams(location.search).get('school'));
  if (!schoolId) throw new Error('请从督学工作台选择要回头看的学校。');
  const open = (await store.all('drafts'))
    .find((d) => d.kind === 'followup' && d.status === 'draft' && d.school.id === schoolId && mine(me, d));
  if (open) {
    history.replaceState(null, '', `/inspector/followup#${open.id}`);
    return open;
  }
  let got;
  try {
    got = await schoolPack(me.id, schoolId);
  } catch (e) {
    throw new Error(e.status === 403 ? e.message
      : '该校的整改事项尚未保存到本机：请在有网络时打开一次督学工作台，或联网后重试。');
  }
  const { pack } = got;
  if (!pack.items.length) throw new Error(`${pack.school.name}目前没有未销号的整改事项，无需回头看。`);
  const now = new Date().toISOString();
  const fresh = {
    id: uuid(), kind: 'followup', status: 'draft', type: '回头看', school: pack.school, date: today(),
    items: pack.items, pack_kept_at: pack.kept_at, results: {}, signatures: {}, signers: {},
    school_absent: false, school_absent_reason: '', location: null, location_note: '',
    inspector: outbox.owner(boot?.user), started_at: now, updated_at: now,
  };
  await store.put('drafts', fresh);
  history.replaceState(null, '', `/inspector/followup#${fresh.id}`);
  locate(fresh);
  return fresh;
}

// Where the visit happened: one fix at the start (stamped on the photos too); none is fine.
function locate(d) {
  if (!navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition((pos) => {
    d.location = { latitude: pos.coords.latitude, longitude: pos.coords.longitude, accuracy: pos.coords.accuracy };
    if (draft?.id === d.id) save();
  }, () => { d.location_note = '未能定位'; }, { timeout: 10000, maximumAge: 60000, enableHighAccuracy: true });
}

// --- One item's card. ------------------------------------------------------------------------

// 整改前 (the finding's photos) and 整改后 (the school's evidence), from the phone's copies;
// online, a copy not yet kept is fetched and kept.
function pictures(label, hashes) {
  if (!hashes?.length) return null;
  const row = h('div', { class: 'thumbs fu-pictures' });
  for (const sha of hashes) {
    const fig = h('figure', { class: 'thumb' });
    row.append(fig);
    keepFile(boot.user.id, draft.school.id, sha).then((blob) => {
      const url = URL.createObjectURL(blob);
      fig.append(h('img', { src: url, alt: label, onload: () => URL.revokeObjectURL(url) }));
    }).catch(() => { fig.append(h('span', { class: 'meta' }, '未保存到本机')); });
  }
  return h('div', { class: 'fu-compare' }, h('p', { class: 'meta' }, label), row);
}

async function photoCount(itemId) {
  return (await store.photosFor(draft.id)).filter((p) => p.item === itemId).length;
}

function stampLines(item, takenAt) {
  const where = draft.location
    ? `位置：${draft.location.latitude.toFixed(5)}, ${draft.location.longitude.toFixed(5)}`
    : '位置：未能定位';
  return [`回头看 · ${draft.school.name}`, `整改事项 ${item.number}`, `时间：${formatTime(takenAt, { seconds: true })}（北京时间）`,
    where, `督学：${boot?.user?.display_name || draft.inspector?.display_name || ''}`];
}

async function addPhoto(item, file) {
  const takenAt = new Date().toISOString();
  const shrunk = await downscale(file, stampLines(item, takenAt));
  await store.put('photos', {
    id: uuid(), inspection: draft.id, item: item.id, blob: shrunk.blob, sha256: shrunk.sha256,
    width: shrunk.width, height: shrunk.height, caption: `回头看 · 事项 ${item.number}`, uploaded: false,
    created_at: takenAt,
    stamp: { taken_at: takenAt, school: draft.school.name, original_sha256: shrunk.original_sha256, original_size: file.size, stamp_height: shrunk.stamp_height, ...(draft.location || {}) },
  });
}

async function renderThumbs(item, box, locked) {
  clear(box);
  for (const p of (await store.photosFor(draft.id)).filter((x) => x.item === item.id)) {
    const url = URL.createObjectURL(p.blob);
    box.append(h('figure', { class: 'thumb' }, h('img', { src: url, alt: p.caption, onload: () => URL.revokeObjectURL(url) }),
      locked ? null : h('button', { type: 'button', class: 'thumb-del', onclick: async () => {
        await store.del('photos', p.id);
        renderThumbs(item, box, locked);
        check(item);
      } }, '删除')));
  }
}

const errors = {}; // item id → element showing what is missing

async function check(item, { show = false } = {}) {
  const r = draft.results[item.id];
  const problems = {};
  if (r?.result) {
    if (!r.note?.trim()) problems.note = `请填写${RESULT[r.result].note}`;
    if (r.result === 'fixed' && (await photoCount(item.id)) < 1) problems.photos = '核实为已整改须至少拍摄一张现场照片';
  }
  const el = errors[item.id];
  // Once shown (a submit was tried), the messages follow every change until fixed.
  if (el && (show || el.shown)) {
    for (const key of ['note', 'photos']) {
      el[key].textContent = problems[key] || '';
      el[key].hidden = !problems[key];
    }
    el.shown = true;
  }
  return problems;
}

function itemCard(item, locked) {
  const r = draft.results[item.id] || {};
  const due = countdown(item);
  const noteLabel = h('label', { for: `note-${item.id}` }, r.result ? RESULT[r.result].note : '核实情况');
  const note = h('textarea', { id: `note-${item.id}`, rows: 3, disabled: locked, placeholder: r.result ? RESULT[r.result].placeholder : '请先选择核实结果' }, r.note || '');
  const noteError = h('p', { class: 'error', hidden: true, id: `note-${item.id}-error` });
  const photoError = h('p', { class: 'error', hidden: true, id: `photos-${item.id}-error` });
  errors[item.id] = { note: noteError, photos: photoError };
  const thumbs = h('div', { class: 'thumbs' });
  const fileInput = h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true, class: 'visually-hidden', id: `file-${item.id}`, disabled: locked });
  const busy = h('span', { class: 'hint', hidden: true }, '正在压缩照片…');
  const card = h('section', { class: 'fu-item', id: `fu-${item.id}`, dataset: { item: String(item.id), result: r.result || '' } });
  const buttons = RESULTS.map((opt) => h('button', {
    type: 'button', class: `opt opt-${opt.value}`, 'aria-pressed': String(r.result === opt.value), disabled: locked, dataset: { value: opt.value },
    onclick: () => {
      const current = draft.results[item.id] || { note: '' };
      const chosen = current.result === opt.value ? null : opt.value; // a second tap clears it
      draft.results[item.id] = { ...current, result: chosen, note: note.value };
      card.dataset.result = chosen || '';
      for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.value === chosen));
      noteLabel.textContent = chosen ? RESULT[chosen].note : '核实情况';
      note.placeholder = chosen ? RESULT[chosen].placeholder : '请先选择核实结果';
      save();
      check(item);
      renderSummary();
    },
  }, opt.label));
  note.addEventListener('input', () => {
    draft.results[item.id] = { ...(draft.results[item.id] || {}), note: note.value };
    save();
    check(item);
  });
  fileInput.addEventListener('change', async () => {
    const files = [...fileInput.files];
    fileInput.value = '';
    busy.hidden = false;
    for (const f of files) {
      try {
        await addPhoto(item, f);
      } catch (e) {
        toast(`照片处理失败：${errorText(e)}`, 'error');
      }
    }
    busy.hidden = true;
    await renderThumbs(item, thumbs, locked);
    check(item);
  });
  const reply = item.reply;
  card.append(
    h('p', { class: 'problem-text' }, h('span', { class: 'number' }, item.number), ' ', item.problem),
    h('p', { class: 'badges' },
      h('span', { class: `status status-${item.status}` }, item.status_name),
      h('span', { class: `due due-${due.band}` }, due.text),
      item.unit_name ? h('span', { class: 'status status-unit' }, `由${item.unit_name}负责`) : null,
      item.repeats ? h('span', { class: 'status status-repeat' }, `屡查屡犯 · ${item.repeats + 1} 次发现`) : null),
    h('dl', { class: 'facts' },
      h('dt', {}, '整改要求'), h('dd', {}, item.action || '—'),
      h('dt', {}, '整改时限'), h('dd', {}, item.deadline),
      h('dt', {}, '发现于'), h('dd', {}, `${item.inspection_date} ${item.inspection_type}`),
      h('dt', {}, '学校反馈'), h('dd', { class: 'fu-reply' }, reply
        ? [`${formatTime(reply.at)} ${reply.by}：${reply.measures}`, h('br'), `整改结果：${reply.result}（完成于 ${reply.done_on}）`,
          reply.files ? h('span', { class: 'meta' }, ` · 佐证材料 ${reply.files} 份`) : null]
        : '学校尚未提交整改情况'),
      item.returned ? [h('dt', {}, '退回意见'), h('dd', {}, item.returned.text)] : null),
    // DOM append() would print a missing one as "null"
    ...[pictures('整改前（检查时拍摄）', item.finding_photos), pictures('学校提交的佐证照片', item.reply?.photos)].filter(Boolean),
    h('p', { class: 'hint' }, item.may_decide
      ? '您是该事项的复查人：核实为已整改即销号；学校已提交但现场不符的，退回重新整改。'
      : '核实结果记入办理记录；核实为已整改的，交复查人销号。'),
    h('div', { class: 'opts opts-row', role: 'group', 'aria-label': '核实结果' }, buttons),
    h('div', { class: 'field' }, noteLabel, note, noteError),
    h('div', { class: 'photo-actions' },
      locked ? null : h('label', { class: 'button photo-btn', for: fileInput.id }, '拍照 / 选择照片'),
      locked ? null : fileInput, busy),
    thumbs, photoError);
  renderThumbs(item, thumbs, locked);
  return card;
}

// --- Signing. --------------------------------------------------------------------------------

const ROLES = [
  { key: 'inspector', title: '督学签名', defaultTitle: '督学' },
  { key: 'school', title: '学校代表签名', defaultTitle: '校长' },
];

// Sides whose signature a changed name or title cancelled, told so until they sign again.
const voided = new Set();

async function signSection(locked) {
  const section = h('div', { id: 'fu-sign' });
  const finish = await import('./signature.js');
  const pads = [];
  for (const role of ROLES) {
    const saved = draft.signatures[role.key];
    const typed = draft.signers?.[role.key] || {};
    const usual = role.key === 'inspector' ? boot?.user?.display_name || '' : draft.school.principal || '';
    const name = h('input', { type: 'text', id: `sig-${role.key}-name`, value: saved?.name ?? typed.name ?? usual, autocomplete: 'off', disabled: locked });
    const title = h('input', { type: 'text', id: `sig-${role.key}-title`, value: saved?.title ?? typed.title ?? role.defaultTitle, autocomplete: 'off', disabled: locked });
    // As on the inspection's signing page (signing.js): a signed side's name or title changed
    // cancels its signature, which stood for the old words, and the page says so by the pad.
    const keep = async (e) => {
      if (e.isComposing) return;
      draft.signers = { ...(draft.signers || {}), [role.key]: { name: name.value, title: title.value } };
      if (!(saved && (name.value.trim() !== saved.name || title.value.trim() !== saved.title))) { save(); return; }
      delete draft.signatures[role.key];
      voided.add(role.key);
      const caret = e.target.selectionStart;
      save();
      await render();
      const again = document.getElementById(e.target.id);
      again?.focus();
      again?.setSelectionRange?.(caret, caret);
    };
    for (const input of [name, title]) {
      input.addEventListener('input', keep);
      input.addEventListener('compositionend', keep);
    }
    const err = h('p', { class: 'error', hidden: true, id: `sig-${role.key}-error` });
    const box = h('section', { class: 'card sign', id: `sign-${role.key}`, dataset: { signed: saved ? '1' : '0' } },
      h('h2', {}, role.title),
      h('div', { class: 'rect-row' },
        h('div', { class: 'field' }, h('label', { for: name.id }, '姓名'), name),
        h('div', { class: 'field' }, h('label', { for: title.id }, '职务'), title)));
    section.append(box);
    if (role.key === 'school') {
      // 回头看 is often unannounced: the principal may be away. Then the reason is written
      // instead of a signature, and the record says so.
      const absent = h('input', { type: 'checkbox', id: 'school-absent', checked: draft.school_absent, disabled: locked });
      const reason = h('textarea', { id: 'school-absent-reason', rows: 2, disabled: locked, placeholder: '例如：校长外出开会，副校长不在校' }, draft.school_absent_reason || '');
      const reasonError = h('p', { class: 'error', hidden: true, id: 'school-absent-error' });
      const reasonField = h('div', { class: 'field', hidden: !draft.school_absent }, h('label', { for: reason.id }, '学校代表未签名的原因'), reason, reasonError);
      absent.addEventListener('change', () => { draft.school_absent = absent.checked; save(); render(); });
      reason.addEventListener('input', () => { draft.school_absent_reason = reason.value; save(); });
      if (!(locked && saved)) box.append(h('label', { class: 'fu-absent' }, absent, '学校负责人不在场或拒绝签名'), reasonField);
      if (draft.school_absent) continue;
    }
    if (saved) {
      // h() as the container: DOM append() would print a skipped (null) child as "null"
      box.append(h('div', {}, h('img', { class: 'sig-img', src: saved.png, alt: `${saved.name}的签名` }),
        h('p', { class: 'meta' }, `已签名 ${formatTime(saved.signed_at)}`),
        locked ? null : h('button', { type: 'button', class: 'button', onclick: () => { delete draft.signatures[role.key]; save(); render(); } }, '重新签名')));
      continue;
    }
    if (locked) continue;
    const canvas = h('canvas', { class: 'pad', id: `pad-${role.key}`, 'aria-label': `${role.title}区域` });
    let pad;
    if (voided.has(role.key)) box.append(h('p', { class: 'error', id: `sig-${role.key}-voided`, role: 'status' }, '姓名或职务已修改，原签名已作废，请重新签名。'));
    box.append(h('p', { class: 'hint' }, '请在下框内用手指签名'), canvas, err,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'button', onclick: () => { pad.clear(); err.hidden = true; } }, '清除'),
        h('button', { type: 'button', class: 'button primary', id: `sig-${role.key}-save`, onclick: () => {
          const problem = pad.isBlank() ? '签名为空，请在框内签名' : !name.value.trim() ? '请填写姓名' : '';
          err.textContent = problem;
          err.hidden = !problem;
          if (problem) return;
          draft.signatures[role.key] = { name: name.value.trim(), title: title.value.trim(), signed_at: new Date().toISOString(), png: pad.toDataURL() };
          voided.delete(role.key);
          save();
          render();
          document.getElementById(`sign-${role.key}`)?.scrollIntoView({ block: 'center' });
        } }, '确认签名')));
    pads.push(() => { pad = new finish.SignaturePad(canvas); });
  }
  return { section, start: () => pads.forEach((make) => make()) };
}

// --- The whole page. -------------------------------------------------------------------------

function renderSummary() {
  const el = $('#fu-summary');
  if (!el) return;
  const marked = Object.values(draft.results).filter((r) => r.result);
  const n = (v) => marked.filter((r) => r.result === v).length;
  el.textContent = `共 ${draft.items.length} 个未销号事项，已核实 ${marked.length} 个：已整改 ${n('fixed')}，部分整改 ${n('partial')}，未整改 ${n('not_fixed')}。未核实的事项不上传，状态不变。`;
}

async function problems() {
  const found = [];
  const marked = draft.items.filter((i) => draft.results[i.id]?.result);
  if (!marked.length) found.push({ el: $('#fu-summary'), text: '请至少核实一个整改事项' });
  for (const item of marked) {
    const p = await check(item, { show: true });
    if (Object.keys(p).length) found.push({ el: $(`#fu-${item.id}`), text: `事项 ${item.number}：${Object.values(p).join('；')}` });
  }
  if (!draft.signatures.inspector) found.push({ el: $('#sign-inspector'), text: '请督学签名' });
  if (draft.school_absent) {
    const reason = draft.school_absent_reason.trim();
    const err = $('#school-absent-error');
    err.textContent = reason ? '' : '请填写学校代表未签名的原因';
    err.hidden = !!reason;
    if (!reason) found.push({ el: $('#sign-school'), text: '请填写学校代表未签名的原因' });
  } else if (!draft.signatures.school) {
    found.push({ el: $('#sign-school'), text: '请学校代表签名，或勾选「学校负责人不在场或拒绝签名」并填写原因' });
  }
  return found;
}

async function submit() {
  await saving;
  const found = await problems();
  const box = $('#fu-errors');
  clear(box);
  box.hidden = !found.length;
  if (found.length) {
    box.append(h('strong', {}, `还有 ${found.length} 处需要完善：`), h('ul', {}, found.map((f) => h('li', {}, f.text))));
    found[0].el?.scrollIntoView({ block: 'center' });
    toast(`还有 ${found.length} 处需要完善`, 'error');
    return;
  }
  const marked = draft.items.filter((i) => draft.results[i.id]?.result);
  const ids = new Set(marked.map((i) => i.id));
  // Photos of items left unchecked are not part of the visit: they would upload for nothing.
  const photos = await store.photosFor(draft.id);
  for (const p of photos.filter((x) => !ids.has(x.item))) await store.del('photos', p.id);
  const payload = {
    id: draft.id, type: '回头看', school_id: draft.school.id, date: draft.date,
    started_at: draft.started_at, phone_time: new Date().toISOString(),
    location: draft.location, location_note: draft.location ? '' : (draft.location_note || '未能定位'),
    results: marked.map((i) => ({ rectification_id: i.id, result: draft.results[i.id].result, note: draft.results[i.id].note.trim() })),
    photos: photos.filter((p) => ids.has(p.item)).map((p) => ({ sha256: p.sha256, item: p.item, caption: p.caption || '', stamp: p.stamp || {} })),
    signatures: {
      inspector: draft.signatures.inspector,
      ...(draft.school_absent ? {} : { school: draft.signatures.school }),
    },
    school_absent_reason: draft.school_absent ? draft.school_absent_reason.trim() : '',
  };
  const n = (v) => payload.results.filter((r) => r.result === v).length;
  await outbox.enqueue({ ...draft, inspector: draft.inspector || outbox.owner(boot?.user) }, payload,
    { followup: true, fixed: n('fixed'), partial: n('partial'), not_fixed: n('not_fixed') });
  draft = await store.get('drafts', draft.id);
  toast('回头看已提交，联网后自动上传');
  await render();
  scrollTo(0, 0); // the upload state is at the top
  outbox.flush();
}

async function render() {
  const body = clear($('#fu-body'));
  const locked = draft.status === 'locked';
  $('#fu-title').textContent = `回头看 · ${draft.school.name}`;
  $('#fu-meta').textContent = `${draft.date} · 整改事项保存于 ${formatTime(draft.pack_kept_at)}${draft.location ? '' : ' · 未定位'}`;
  // Items kept days ago may miss what the school has sent since (the server judges each item
  // as it stands on arrival, but the inspector should know what they are looking at).
  const age = Math.floor((Date.now() - Date.parse(draft.pack_kept_at)) / DAY_MS);
  if (age >= 3 && !locked) {
    body.append(h('p', { class: 'banner', id: 'fu-stale', role: 'note' },
      `整改事项是 ${age} 天前保存到本机的，学校此后提交的整改情况未显示；上传后以服务器上各事项的最新状态为准。`));
  }
  body.append(h('p', { class: 'card summary-line', id: 'fu-summary' }));
  if (locked) {
    const state = h('p', { class: 'card', id: 'fu-state', dataset: { state: 'queued' } }, '已提交，等待上传…');
    body.append(state);
    const show = async () => {
      const entry = await store.get('outbox', draft.id);
      const done = !entry && (await store.get('submitted', draft.id));
      state.dataset.state = done ? 'submitted' : entry?.state || 'queued';
      clear(state).append(done ? '服务器已收到本次回头看，结果已记入各事项的办理记录。'
        : `待上传：${entry?.message || '等待网络'}`);
      if (done?.report_url) state.append(' ', h('a', { href: done.report_url }, '查看回头看记录'));
    };
    addEventListener('outbox-change', show);
    show();
  }
  for (const item of draft.items) body.append(itemCard(item, locked));
  const sign = await signSection(locked);
  body.append(sign.section);
  if (!locked) {
    body.append(h('div', { class: 'card errors', id: 'fu-errors', hidden: true, role: 'alert' }),
      h('button', { type: 'button', class: 'button primary wide big', id: 'fu-submit', onclick: submit }, '提交回头看'));
  }
  sign.start();
  renderSummary();
  document.body.dataset.ready = '1';
}

async function main() {
  watchNetwork();
  registerServiceWorker();
  requestPersistence();
  boot = await store.getMeta('bootstrap');
  try {
    draft = await begin();
    if (!draft) throw new Error('本机上没有这份回头看（可能已上传或已删除）。');
  } catch (e) {
    $('#fu-meta').textContent = '';
    clear($('#fu-body')).append(h('p', { class: 'card error', id: 'fu-error' }, e.message),
      h('a', { class: 'button', href: '/inspector/' }, '返回督学工作台'));
    document.body.dataset.ready = '1';
    return;
  }
  await render();
  outbox.startAutoFlush();
}

main();
