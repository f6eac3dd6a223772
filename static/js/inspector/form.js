// The inspection form: one section at a time, live relevance, constraints and score from the
// engine, photos, review with the rectification list, signatures, then lock → outbox.
// The whole draft is written to IndexedDB on every change (never on a timer), so closing the
// page, losing power or a crash loses nothing; photos are stored as separate Blob records.

import { score, sentAnswers } from '../engine.js';
import * as api from './api.js';
import * as draftlock from './draftlock.js';
import * as outbox from './outbox.js';
import { downscale } from './photos.js';
import { plausibility } from './plausible.js';
import { sampleControl } from './sample.js';
import * as store from './store.js';
import {
  $, addDays, banner, clear, errorText, formatTime, h, registerServiceWorker, requestPersistence,
  sha256Hex, toast, uuid, watchNetwork,
} from './util.js';

const root = () => $('#form-root');
let draft = null;
let compiled = null;
let result = null;
let photos = []; // photo records of this inspection
let sections = []; // applicable sections of the checklist, in order
let items = {}; // id → {it, sec}
let cards = {}; // id → {el, update()} of the section on screen
let saving = Promise.resolve();
let bootUser = null;
let editing = true; // false while another tab edits this draft (draftlock.js)
const thumbUrls = new Map();
// Code only the review and signing pages use (座谈, the signing page and its pad), loaded the
// first time one of them opens, so the section pages load less (bench_form.py first-load
// weight); the service worker precaches these modules, so this works offline too.
let finish = null;
let finishing = null;
function loadFinish() {
  finishing ||= Promise.all([import('./interviews.js'), import('./signing.js')])
    .then(([interviews, signing]) => { finish = { ...interviews, ...signing }; return finish; });
  return finishing;
}

// ------------------------------------------------------------------ persistence

let queued = 0; // snapshots save() has taken, numbered in order
let committed = 0; // the newest of them IndexedDB has committed
let rescued = false; // a copy of the draft is in localStorage (rescue())
const rescueKey = (id) => `inspect-rescue:${id}`;

function save() {
  if (!editing) return saving; // the other tab's copy is the one being kept
  // Locked: outbox.enqueue wrote the last draft in the transaction that queued it, and the
  // upload deletes it; a write after that would bring it back as a leftover for ever.
  if (draft.status === 'locked') return saving;
  draft.updated_at = new Date().toISOString();
  const n = ++queued;
  const snapshot = structuredClone(draft);
  // Chained so writes land in order; each is its own committed transaction.
  saving = saving.then(() => store.put('drafts', snapshot)).then(
    () => {
      committed = n;
      if (rescued && n === queued) { localStorage.removeItem(rescueKey(snapshot.id)); rescued = false; }
      const el = $('#saved'); if (el) el.textContent = `已保存 ${formatTime(snapshot.updated_at).slice(11)}`;
    },
    (e) => banner(`保存失败：${errorText(e)}。请不要关闭页面，并尽快导出或上传。`),
  );
  return saving;
}

// The page goes away or out of sight (a reload, a swipe, the phone locking) with changes still
// queued: an IndexedDB write not committed by then dies with the page (measured in Chromium,
// even one begun in pagehide), so the draft is copied to localStorage, which writes at once.
// load() takes the copy back when it is newer than what IndexedDB has.
function rescue() {
  if (!draft || !editing || committed === queued) return;
  try {
    localStorage.setItem(rescueKey(draft.id), JSON.stringify(draft));
    rescued = true;
  } catch { /* storage full: IndexedDB keeps the last committed change */ }
}
addEventListener('pagehide', rescue);
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') rescue(); });

// ------------------------------------------------------------------ scoring

function photoCounts() {
  const counts = {};
  for (const p of photos) counts[p.item] = (counts[p.item] || 0) + 1;
  return counts;
}

function responses() {
  const na = draft.na.filter((id) => items[id]);
  const answers = {};
  for (const [id, v] of Object.entries(draft.answers)) {
    if (items[id] && !na.includes(id) && v !== null && v !== undefined && v !== '') answers[id] = v;
  }
  return { answers, na, photos: photoCounts() };
}

function recompute() {
  result = score(compiled, draft.school, responses());
  for (const card of Object.values(cards)) card.update();
  renderScorebar();
  renderToc();
  renderBottombar();
  renderBulk();
}

// Everything that blocks signing: the engine's missing list plus unconfirmed carried-over answers.
function blockers() {
  const list = result.missing.map((m) => ({ ...m }));
  for (const id of draft.prefill_pending) {
    const r = result.items[id];
    if (r && r.outcome !== 'not_applicable') {
      list.push({ item: id, label: items[id].it.label, section: items[id].sec.id, reason: '沿用上次的数据尚未确认' });
    }
  }
  return list;
}

// ------------------------------------------------------------------ changes

function setAnswer(id, value) {
  if (value === null || value === undefined || (Array.isArray(value) && !value.length)) delete draft.answers[id];
  else draft.answers[id] = value;
  draft.na = draft.na.filter((x) => x !== id);
  touched(id);
}

function setNA(id, on) {
  draft.na = draft.na.filter((x) => x !== id);
  if (on) {
    draft.na.push(id);
    delete draft.answers[id];
  }
  touched(id);
}

function touched(id) {
  draft.bulk = draft.bulk.filter((x) => x !== id); // answered by hand now, not in bulk
  if (draft.prefill_pending.includes(id)) {
    draft.prefill_pending = draft.prefill_pending.filter((x) => x !== id);
    const prev = draft.previous?.answers?.[id];
    if (JSON.stringify(prev) !== JSON.stringify(draft.answers[id])) {
      draft.prefilled = draft.prefilled.filter((x) => x !== id);
    }
  }
  invalidateSignatures();
  save();
  recompute();
}

function invalidateSignatures() {
  if (Object.keys(draft.signatures).length) {
    draft.signatures = {};
    toast('检查内容已修改，签名已作废，请重新签名');
  }
}

// ------------------------------------------------------------------ 本部分其余项均符合

// bulk.js: which plain checks of the section on screen 本部分其余项均符合 sets to 符合, its
// confirmation and 撤销. Loaded after the form is usable, with the first section page.
let bulk = null;
function renderBulk() {
  const slot = $('#bulk-slot');
  if (!slot) return;
  if (!bulk) {
    import('./bulk.js').then((m) => { bulk = m; renderBulk(); }, () => {});
    return;
  }
  const i = sections.findIndex((x) => x.id === slot.dataset.section);
  bulk.render(slot, {
    sec: sections[i], draft, compiled, items, responses, save, recompute, invalidateSignatures,
    // where the bottom bar's forward button leads: 确认 and move on in one tap
    forward: i < sections.length - 1 ? { label: '确认并进入下一部分', go: () => go('section', i + 1) }
      : { label: '确认并去复核', go: () => go('review') },
    back: () => go('section', i),
  });
}

// ------------------------------------------------------------------ item cards

const TYPE_HINT = { integer: '整数', decimal: '数字' };

function toNumber(text, integer) {
  const t = text.trim().replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[。．]/g, '.').replace(/^＋|^\+/, '').replace(/^－/, '-');
  if (t === '') return { value: null };
  if (!/^-?\d+(\.\d+)?$/.test(t)) return { error: `请输入${TYPE_HINT[integer ? 'integer' : 'decimal']}` };
  const n = Number(t);
  if (integer && !Number.isInteger(n)) return { error: '请输入整数' };
  return { value: n };
}

function choiceButtons(it, options, onPick, { multi = false } = {}) {
  // 是 / 否 / 不适用 side by side under the thumb; longer choices one per line
  return h('div', { class: `opts${it.type === 'yesno' ? ' opts-row' : ''}`, role: multi ? 'group' : 'radiogroup' },
    options.map((o) => h('button', {
      type: 'button', class: 'opt', dataset: { value: String(o.value) },
      onclick: () => onPick(o.value),
    }, o.label)));
}

function itemCard(id) {
  const { it } = items[id];
  const locked = draft.status === 'locked';
  const badge = h('span', { class: 'badge' });
  const message = h('p', { class: 'error field-msg', hidden: true, id: `msg-${id}` });
  const evidence = h('p', { class: 'error evidence-msg', hidden: true }, '该项不符合要求，须拍照留证');
  const plaus = h('p', { class: 'plaus-msg', hidden: true, id: `plaus-${id}`, role: 'status' });
  const prefillTag = h('span', { class: 'tag tag-prefill', hidden: true }, '沿用上次');
  const bulkTag = h('span', { class: 'tag tag-bulk', hidden: true }, '批量确认');
  const confirmPrefill = h('button', {
    type: 'button', class: 'button small confirm-prefill', hidden: true,
    onclick: () => {
      draft.prefill_pending = draft.prefill_pending.filter((x) => x !== id);
      save();
      recompute();
    },
  }, '确认无误');
  const el = h('div', { class: `item item-${it.type}`, id: `item-${id}`, dataset: { item: id } });
  const head = h('div', { class: 'item-head' },
    h('div', { class: 'item-label', id: `label-${id}` }, it.label, it.unit && it.type !== 'computed' && it.type !== 'sample' ? h('span', { class: 'unit' }, `（${it.unit}）`) : null,
      it.required === true && ['text', 'photo'].includes(it.type) ? h('span', { class: 'req' }, ' *') : null),
    badge);
  const tags = h('div', { class: 'tags' },
    it.veto ? h('span', { class: 'tag tag-bad' }, '一票否决') : null,
    it.local ? h('span', { class: 'tag' }, '本地标准') : null,
    prefillTag, bulkTag);
  el.append(head, tags);

  let control = null;
  let refreshControl = () => {};
  const naOption = it.na_allowed ? [{ value: '__na', label: '不适用' }] : [];
  const pick = (v) => {
    if (locked) return;
    // Tapping the chosen answer again changes nothing (a quick double tap once emptied an
    // answer); another option replaces it, and clearing is the card's explicit 清除.
    if (v === '__na') { if (!draft.na.includes(id)) setNA(id, true); }
    else if (draft.answers[id] !== v || draft.na.includes(id)) setAnswer(id, v);
    else if (draft.bulk.includes(id)) touched(id); // the bulk answer, now confirmed by hand
  };
  const markPressed = (group, isOn) => {
    for (const b of group.querySelectorAll('.opt')) {
      const v = b.dataset.value;
      b.setAttribute('aria-pressed', String(isOn(v)));
      b.disabled = locked;
    }
  };

  switch (it.type) {
    case 'yesno': {
      const opts = [{ value: true, label: '是' }, { value: false, label: '否' }, ...naOption];
      control = choiceButtons(it, opts, (v) => pick(v));
      refreshControl = () => markPressed(control, (v) => (v === '__na' ? draft.na.includes(id)
        : !draft.na.includes(id) && String(draft.answers[id]) === v));
      break;
    }
    case 'choice': {
      control = choiceButtons(it, [...it.choices, ...naOption], pick);
      refreshControl = () => markPressed(control, (v) => (v === '__na' ? draft.na.includes(id)
        : !draft.na.includes(id) && draft.answers[id] === v));
      break;
    }
    case 'multi': {
      control = choiceButtons(it, [...it.choices, ...naOption], (v) => {
        if (locked) return;
        if (v === '__na') return draft.na.includes(id) ? undefined : setNA(id, true);
        const cur = new Set(draft.answers[id] || []);
        if (cur.has(v)) cur.delete(v);
        else cur.add(v);
        // keep the checklist's order, so the same selection is always the same list
        setAnswer(id, it.choices.map((c) => c.value).filter((x) => cur.has(x)));
      }, { multi: true });
      refreshControl = () => markPressed(control, (v) => (v === '__na' ? draft.na.includes(id)
        : !draft.na.includes(id) && (draft.answers[id] || []).includes(v)));
      break;
    }
    case 'integer': case 'decimal': {
      const integer = it.type === 'integer';
      const input = h('input', {
        type: 'text', inputmode: integer ? 'numeric' : 'decimal', autocomplete: 'off', id: `in-${id}`, enterkeyhint: 'next',
        'aria-labelledby': `label-${id}`, 'aria-describedby': `msg-${id}`, disabled: locked,
        value: draft.raw?.[id] ?? (draft.answers[id] ?? ''),
      });
      const local = h('p', { class: 'error', hidden: true });
      input.addEventListener('input', () => {
        const parsed = toNumber(input.value, integer);
        draft.raw = { ...(draft.raw || {}), [id]: input.value };
        local.textContent = parsed.error || '';
        local.hidden = !parsed.error;
        setAnswer(id, parsed.error ? null : parsed.value);
      });
      const na = naOption.length ? h('button', { type: 'button', class: 'opt opt-na', dataset: { value: '__na' }, onclick: () => {
        if (locked || draft.na.includes(id)) return;
        input.value = '';
        draft.raw = { ...(draft.raw || {}), [id]: '' };
        setNA(id, true);
      } }, '不适用') : null;
      // 下一项 on the keyboard goes straight to the next number field of the section
      input.addEventListener('keydown', (e) => {
        if (e.key !== 'Enter') return;
        e.preventDefault();
        const fields = [...document.querySelectorAll('.section .item:not([hidden]) .num input')];
        const next = fields[fields.indexOf(input) + 1];
        if (next) next.focus();
        else input.blur();
      });
      control = h('div', { class: 'numrow' }, h('div', { class: 'num' }, input, it.unit ? h('span', { class: 'unit-suffix' }, it.unit) : null), na, local);
      refreshControl = () => {
        if (na) { na.setAttribute('aria-pressed', String(draft.na.includes(id))); na.disabled = locked; }
        if (document.activeElement !== input && draft.answers[id] !== undefined && draft.raw?.[id] === undefined) input.value = draft.answers[id];
        if (draft.answers[id] === undefined && draft.raw?.[id] === undefined && document.activeElement !== input) input.value = '';
      };
      break;
    }
    case 'text': {
      const input = h('textarea', { rows: 3, id: `in-${id}`, 'aria-labelledby': `label-${id}`, disabled: locked }, draft.answers[id] ?? '');
      input.addEventListener('input', () => setAnswer(id, input.value.trim() ? input.value : null));
      control = input;
      break;
    }
    case 'date': {
      const input = h('input', { type: 'date', id: `in-${id}`, 'aria-labelledby': `label-${id}`, disabled: locked, value: draft.answers[id] ?? '' });
      input.addEventListener('change', () => setAnswer(id, input.value || null));
      control = input;
      break;
    }
    case 'sample': {
      ({ control, refresh: refreshControl } = sampleControl({ it, id, locked, draft, save, setAnswer: (v) => setAnswer(id, v) }));
      break;
    }
    case 'computed': {
      control = h('output', { class: 'computed', 'aria-labelledby': `label-${id}` });
      refreshControl = () => {
        const r = result.items[id];
        control.textContent = r.outcome === 'error' ? '无法计算'
          : r.display_value || (r.outcome === 'not_applicable' ? '' : '待相关条目填写后计算');
      };
      break;
    }
    default:
      control = null;
  }
  if (control) el.append(h('div', { class: 'control' }, control));
  el.append(message, plaus, evidence, h('div', { class: 'prefill-row' }, confirmPrefill));

  // One small row of tools instead of three blocks on every card: 依据 opens the method and
  // basis, 照片 n opens the camera at once, 备注 ✓ shows a note was written, 清除 is the only
  // way to empty an answer. Panels open on demand, and by themselves when the item fails.
  const tools = h('div', { class: 'item-tools' });
  const panels = h('div', { class: 'item-panels' });
  let guidePanel = null;
  if (it.guidance || it.basis) {
    guidePanel = h('div', { class: 'guide-body', id: `guide-${id}`, hidden: true },
      it.guidance ? h('p', {}, h('b', {}, '检查方法：'), it.guidance) : null,
      it.basis ? h('p', {}, h('b', {}, '依据：'), it.basis) : null,
      it.target && result.items[id]?.display_target ? h('p', {}, h('b', {}, '标准：'), result.items[id].display_target) : null);
    const guideBtn = h('button', { type: 'button', class: 'tool tool-guide', 'aria-expanded': 'false', 'aria-controls': guidePanel.id, onclick: () => {
      guidePanel.hidden = !guidePanel.hidden;
      guideBtn.setAttribute('aria-expanded', String(!guidePanel.hidden));
    } }, '依据');
    tools.append(guideBtn);
    panels.append(guidePanel);
  }

  // photos: every item may carry evidence; photo items have nothing else
  const thumbs = h('div', { class: 'thumbs' });
  const fileInput = h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true, class: 'visually-hidden', id: `file-${id}`, disabled: locked });
  const busy = h('span', { class: 'hint', hidden: true }, '正在压缩照片…');
  fileInput.addEventListener('change', async () => {
    const files = [...fileInput.files];
    fileInput.value = '';
    busy.hidden = false;
    for (const f of files) {
      try {
        await addPhoto(id, f);
      } catch (e) {
        toast(`照片处理失败：${errorText(e)}`, 'error');
      }
    }
    busy.hidden = true;
  });
  const cam = locked ? h('span', { class: 'tool tool-photo photo-count' })
    : h('label', { class: `tool tool-photo photo-btn${it.type === 'photo' ? ' primary' : ''}`, for: `file-${id}` });
  tools.append(cam);
  if (!locked) tools.append(fileInput);
  panels.append(h('div', { class: 'photos' }, thumbs, busy));

  let note = null;
  let notePanel = null;
  let noteBtn = null;
  let noteTouched = false; // the inspector opened or closed it: no more opening by itself
  if (it.type !== 'note') {
    note = h('textarea', { rows: 2, class: 'note-input', disabled: locked, placeholder: '记录现场情况', 'aria-label': `${it.label}的备注` }, draft.notes[id] ?? '');
    notePanel = h('div', { class: 'note-body', id: `note-${id}`, hidden: !draft.notes[id] }, note);
    noteBtn = h('button', { type: 'button', class: 'tool tool-note', 'aria-controls': notePanel.id, onclick: () => {
      noteTouched = true;
      notePanel.hidden = !notePanel.hidden;
      if (!notePanel.hidden) note.focus();
      refreshNote();
    } });
    note.addEventListener('input', () => {
      if (note.value.trim()) draft.notes[id] = note.value;
      else delete draft.notes[id];
      refreshNote();
      save();
    });
    tools.append(noteBtn);
    panels.append(notePanel);
  }
  function refreshNote() {
    if (!noteBtn) return;
    const written = !!draft.notes[id]?.trim();
    noteBtn.textContent = written ? '备注 ✓' : '备注';
    noteBtn.classList.toggle('done', written);
    noteBtn.setAttribute('aria-expanded', String(!notePanel.hidden));
  }
  const clearBtn = locked ? null : h('button', { type: 'button', class: 'tool tool-clear', hidden: true, onclick: () => {
    if (draft.raw?.[id] !== undefined) draft.raw = { ...draft.raw, [id]: '' };
    if (draft.na.includes(id)) setNA(id, false);
    else setAnswer(id, null);
    const input = el.querySelector('.control input, .control textarea');
    if (input) input.value = '';
  } }, '清除');
  if (clearBtn) tools.append(clearBtn);
  el.append(tools, panels);

  function renderThumbs() {
    clear(thumbs);
    for (const p of photos.filter((x) => x.item === id)) {
      if (!thumbUrls.has(p.id)) thumbUrls.set(p.id, URL.createObjectURL(p.blob));
      thumbs.append(h('figure', { class: 'thumb', dataset: { photo: p.id } },
        h('img', { src: thumbUrls.get(p.id), alt: '现场照片', loading: 'lazy' }),
        locked ? null : h('button', { type: 'button', class: 'thumb-del', 'aria-label': '删除照片', onclick: () => deletePhoto(p) }, '删除')));
    }
  }

  function update() {
    const r = result.items[id];
    el.hidden = r.outcome === 'not_applicable';
    el.dataset.outcome = r.outcome;
    refreshControl();
    // the badge is the engine's outcome, nothing more: whether an answer is a check or only
    // information (「学校设有食堂」 否) is decided in engine.js, as on the server
    const filled = r.value !== null && r.value !== undefined;
    const labels = {
      pass: '符合', fail: '不符合', na: '不适用', error: it.type === 'computed' ? '无法计算' : '需更正',
      unanswered: result.missing.some((m) => m.item === id) ? '未填' : '', info: filled && it.type !== 'note' ? '已填' : '',
    };
    badge.textContent = labels[r.outcome] ?? '';
    badge.dataset.kind = r.outcome === 'info' ? 'filled' : r.outcome;
    badge.hidden = !badge.textContent;
    // range / constraint messages right beside the field; a failing item shows its finding
    const msg = r.outcome === 'error' || r.outcome === 'fail' ? r.message || '' : '';
    message.textContent = msg;
    message.hidden = !msg;
    message.classList.toggle('finding-msg', r.outcome === 'fail');
    el.classList.toggle('invalid', r.outcome === 'error');
    evidence.hidden = !r.evidence_missing;
    const n = photos.filter((x) => x.item === id).length;
    const needsPhoto = r.evidence_missing || (it.type === 'photo' && !n);
    cam.textContent = it.type === 'photo' && !locked ? (n ? `拍照 / 选照片（已有 ${n} 张）` : '拍照 / 选照片') : `照片 ${n}`;
    cam.classList.toggle('need', needsPhoto && it.type !== 'photo');
    // a failing item is where evidence and a note matter: open the note by itself, once
    if (r.outcome === 'fail' && notePanel && notePanel.hidden && !noteTouched && !locked) notePanel.hidden = false;
    refreshNote();
    if (clearBtn) clearBtn.hidden = draft.answers[id] === undefined && !draft.na.includes(id) && !draft.raw?.[id];
    const warn = plausibility(it, draft.answers[id], draft, r.outcome);
    plaus.textContent = warn;
    plaus.hidden = !warn;
    const pending = draft.prefill_pending.includes(id);
    prefillTag.hidden = !draft.prefilled.includes(id) || !pending;
    bulkTag.hidden = !draft.bulk.includes(id);
    el.classList.toggle('bulk-set', !bulkTag.hidden);
    confirmPrefill.hidden = !pending || locked;
    el.classList.toggle('prefill-pending', pending);
    renderThumbs();
  }

  return { el, update };
}

// Where the phone is now, for the photo's stamp: a fix of the last minute will do; without
// one in 4 s the place recorded when the inspection started, said as such.
function currentPlace() {
  return new Promise((resolve) => {
    const fallback = () => resolve(draft.location ? { ...draft.location, from_start: true } : null);
    if (!('geolocation' in navigator)) return fallback();
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve({ latitude: pos.coords.latitude, longitude: pos.coords.longitude, accuracy: pos.coords.accuracy,
        captured_at: new Date(pos.timestamp || Date.now()).toISOString() }),
      fallback, { enableHighAccuracy: true, timeout: 4000, maximumAge: 60000 });
  });
}

// The facts burnt into the photo, kept as data beside it too (payload photos[].stamp).
export function stampLines(stamp) {
  const where = stamp.latitude === null
    ? `位置：未能定位${stamp.location_note ? `（${stamp.location_note}）` : ''}`
    : `位置：${stamp.latitude.toFixed(5)}, ${stamp.longitude.toFixed(5)} 精度约 ${Math.round(stamp.accuracy)} 米${stamp.location_from_start ? '（开始检查时）' : ''}`;
  return [`学校：${stamp.school}`, `时间：${formatTime(stamp.taken_at, { seconds: true })}（北京时间）`, where, `督学：${stamp.inspector}`];
}

// Photos still being hashed, located and shrunk (up to 4 s waiting for a fix, then the work):
// 锁定并提交 waits for them, so a picture taken just before it is in what is sent.
const photoJobs = new Set();

function addPhoto(itemId, file) {
  // The signatures stood for the record without this picture: cancelled now, not once it is
  // processed, or the signing page would still offer 锁定并提交 in the meantime.
  invalidateSignatures();
  save();
  const job = processPhoto(itemId, file);
  photoJobs.add(job);
  const done = () => photoJobs.delete(job);
  job.then(done, done);
  return job;
}

async function processPhoto(itemId, file) {
  const original = await sha256Hex(file);
  // The same camera picture on a second item is the same evidence: one stamped image (one
  // hash, sent once), listed under both items; the item is its caption, not in its stamp.
  const same = photos.find((p) => p.stamp?.original_sha256 === original);
  if (same) {
    const record = { ...same, id: uuid(), item: itemId, caption: '', created_at: new Date().toISOString() };
    await store.put('photos', record);
    photos.push(record);
    save();
    recompute();
    return;
  }
  const place = await currentPlace();
  const stamp = {
    school: draft.school.name, taken_at: new Date().toISOString(), timezone: 'Asia/Shanghai',
    latitude: place?.latitude ?? null, longitude: place?.longitude ?? null, accuracy: place?.accuracy ?? null,
    location_from_start: !!place?.from_start, location_note: place ? '' : draft.location_note || '',
    inspector: draft.inspector?.display_name || bootUser?.display_name || '',
  };
  const { blob, width, height, sha256, original_sha256, stamp_height } = await downscale(file, stampLines(stamp), original);
  if (draft.status === 'locked') throw new Error('检查已锁定，这张照片未保存');
  const record = {
    id: uuid(), inspection: draft.id, item: itemId, blob, sha256, width, height, caption: '',
    stamp: { ...stamp, original_sha256, original_size: file.size, stamp_height },
    created_at: new Date().toISOString(), uploaded: false,
  };
  await store.put('photos', record); // the Blob itself goes to IndexedDB before it is shown
  photos.push(record);
  save();
  recompute();
}

async function deletePhoto(p) {
  if (!confirm('删除这张照片？')) return;
  await store.del('photos', p.id);
  photos = photos.filter((x) => x.id !== p.id);
  URL.revokeObjectURL(thumbUrls.get(p.id));
  thumbUrls.delete(p.id);
  invalidateSignatures();
  save();
  recompute();
}

// ------------------------------------------------------------------ chrome: score bar + contents

// The running score, shown with the principal standing beside the inspector: while items are
// still open the total (which counts them as 0) would read as 不合格, so until the form is
// complete the bar shows points earned of the points assessed so far and the share answered;
// a grade only once complete, or from half answered on as a grey 「预计」 (engine progress).
function scoreLine() {
  const p = result.progress;
  const lowest = compiled.grades[compiled.grades.length - 1].grade;
  if (result.complete && p.answered > 0) {
    return { total: result.total === null ? '—' : `${result.total} 分`, grade: result.grade || '未评',
      kind: result.grade === lowest ? 'veto' : 'ok' };
  }
  if (p.answered === 0) return { total: '—', grade: '未开始', kind: 'none' };
  const projected = p.answered * 2 >= p.items && p.grade;
  return { total: `已得 ${p.earned}/${p.assessed} 分`, grade: projected ? `预计 ${p.grade}` : '进行中', kind: 'none' };
}

let capOpen = false;
function renderScorebar() {
  const bar = $('#scorebar');
  const p = result.progress;
  const share = p.items ? Math.round((p.answered / p.items) * 100) : 0;
  const line = scoreLine();
  // Two rows at phone width: the school's full name (it wraps, never ellipsised: the principal
  // checks it is theirs), then the running score with the share answered. 目录 is in the
  // bottom bar, under the thumb.
  clear(bar).append(
    h('div', { class: 'sb-row sb-head' },
      h('div', { class: 'sb-school' }, h('strong', {}, draft.school.name),
        h('span', { class: 'meta', id: 'saved' }, draft.status === 'locked' ? '已锁定' : '已保存'))),
    h('div', { class: 'sb-row sb-score' },
      h('span', { class: 'sb-total', id: 'total' }, line.total),
      h('span', { class: `sb-grade grade-${line.kind}`, id: 'grade' }, line.grade),
      h('span', { class: 'meta', id: 'answered' }, `已答 ${p.answered}/${p.items}（${share}%）`)),
    result.cap ? h('p', { class: `meta sb-cap${capOpen ? ' open' : ''}`, id: 'cap-reason', onclick: (e) => {
      capOpen = !capOpen;
      e.currentTarget.classList.toggle('open', capOpen);
    } }, result.cap.reason) : '');
}

// The bottom bar, within thumb reach: 上一部分 / 目录 (with progress) / 下一部分, and the
// same three places on the review and signing pages.
function renderBottombar() {
  const bar = $('#bottombar');
  if (!bar) return;
  document.body.classList.toggle('has-bottombar', draft.status !== 'locked');
  if (draft.status === 'locked') { clear(bar); bar.hidden = true; return; }
  bar.hidden = false;
  const p = result.progress;
  const share = p.items ? Math.round((p.answered / p.items) * 100) : 0;
  const i = draft.section || 0;
  const place = draft.view === 'review' ? '复核' : draft.view === 'sign' ? '签名' : `第 ${i + 1}/${sections.length} 部分`;
  const block = blockers().length;
  const button = (id, label, onclick, { primary = false, disabled = false } = {}) =>
    h('button', { type: 'button', class: `button${primary ? ' primary' : ''}`, id, disabled, onclick }, label);
  let back;
  let forward;
  if (draft.view === 'review') {
    back = button('back-to-form', '返回检查', () => go('section', sections.length - 1));
    forward = button('to-sign', '去签名', () => go('sign'), { primary: true, disabled: block > 0 });
  } else if (draft.view === 'sign') {
    back = button('back-to-review', '返回复核', () => go('review'));
    forward = h('span', { class: 'bb-spacer' });
  } else {
    back = button('prev', '上一部分', () => go('section', i - 1), { disabled: i === 0 });
    forward = i < sections.length - 1 ? button('next', '下一部分', () => go('section', i + 1), { primary: true })
      : button('to-review', '复核', () => go('review'), { primary: true });
  }
  const toc = h('button', { type: 'button', class: 'button bb-toc', id: 'toc-toggle', 'aria-expanded': String(!$('#toc')?.hidden), 'aria-controls': 'toc', onclick: () => toggleToc() },
    h('span', { class: 'bb-toc-label' }, '目录'), h('span', { class: 'bb-toc-progress', id: 'toc-progress' }, `${place} · ${share}%`));
  clear(bar).append(h('div', { class: 'bb-progress', style: `--share:${share}%` }), back, toc, forward);
}

function toggleToc(open) {
  const toc = $('#toc');
  if (!toc) return;
  toc.hidden = open === undefined ? !toc.hidden : !open;
  $('#toc-toggle')?.setAttribute('aria-expanded', String(!toc.hidden));
}

function renderToc() {
  const list = $('#toc-list');
  if (!list) return;
  clear(list);
  sections.forEach((sec, i) => {
    const s = result.sections.find((x) => x.id === sec.id);
    const current = draft.view === 'section' && draft.section === i;
    list.append(h('li', {}, h('button', {
      type: 'button', class: 'toc-item', 'aria-current': current ? 'step' : null, dataset: { section: sec.id },
      onclick: () => go('section', i),
    }, h('span', { class: 'toc-title' }, `${i + 1}. ${sec.title}`),
    h('span', { class: 'toc-progress' }, `${s.answered}/${s.items}`,
      s.failed ? h('span', { class: 'toc-failed' }, ` · ${s.failed} 项不符合`) : null))));
  });
  list.append(h('li', {}, h('button', { type: 'button', class: 'toc-item', 'aria-current': draft.view === 'review' ? 'step' : null, onclick: () => go('review') }, h('span', { class: 'toc-title' }, '复核与整改清单'))));
  list.append(h('li', {}, h('button', { type: 'button', class: 'toc-item', 'aria-current': draft.view === 'sign' ? 'step' : null, onclick: () => go('sign') }, h('span', { class: 'toc-title' }, '签名与提交'))));
}

function go(view, index = draft.section, focusItem = null) {
  toggleToc(false);
  bulk?.forget(); // 撤销 is offered right after, on the page it was done on
  draft.view = view;
  draft.section = index;
  save();
  render();
  if (focusItem) {
    const el = document.getElementById(`item-${focusItem}`);
    if (el) {
      el.scrollIntoView({ block: 'center' });
      el.classList.add('flash-item');
      setTimeout(() => el.classList.remove('flash-item'), 2000);
    }
  } else {
    scrollTo(0, 0);
  }
}

// ------------------------------------------------------------------ views

function render() {
  if (!finish && draft.status !== 'locked' && (draft.view === 'review' || draft.view === 'sign')) {
    loadFinish().then(render, (e) => banner(`无法打开此页：${errorText(e)}。已填写的内容仍保存在本机。`));
    return;
  }
  cards = {};
  const main = clear(root());
  // 目录 opens as a sheet above the bottom bar, so jumping needs no scrolling to the top
  main.append(h('section', { class: 'toc card', id: 'toc', hidden: true, 'aria-label': '目录与进度' },
    h('div', { class: 'toc-head' }, h('h2', {}, '目录与进度'),
      h('button', { type: 'button', class: 'button small', id: 'toc-close', onclick: () => toggleToc(false) }, '关闭')),
    h('ol', { id: 'toc-list', class: 'toc-list' })));
  if (draft.status === 'locked') renderLocked(main);
  else if (draft.view === 'review') renderReview(main);
  else if (draft.view === 'sign') renderSign(main);
  else renderSection(main);
  recompute();
}

function prefillOffer() {
  const prev = draft.previous;
  if (prev?.denied) return draft.section ? null : h('p', { class: 'card hint', id: 'previous-denied' }, `未能调取上次检查的数据：${prev.denied}`);
  if (!prev || prev.none || draft.prefill_offer) return null;
  const ids = Object.keys(prev.answers || {}).filter((id) => items[id] && items[id].it.prefill !== false && draft.answers[id] === undefined);
  if (!ids.length) return null;
  return h('div', { class: 'card prefill-offer' },
    h('p', {}, `上次检查（${prev.date}）有 ${ids.length} 项基础数据可以沿用。沿用后每项标注「沿用上次」，请逐项核实确认。`),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'button primary', id: 'prefill-apply', onclick: () => {
        for (const id of ids) {
          draft.answers[id] = prev.answers[id];
          if (!draft.prefilled.includes(id)) draft.prefilled.push(id);
          if (!draft.prefill_pending.includes(id)) draft.prefill_pending.push(id);
        }
        draft.prefill_offer = 'applied';
        save();
        render();
      } }, '沿用上次数据'),
      h('button', { type: 'button', class: 'button', onclick: () => { draft.prefill_offer = 'declined'; save(); render(); } }, '不沿用')));
}

function renderSection(main) {
  const i = Math.min(Math.max(0, draft.section || 0), sections.length - 1);
  const sec = sections[i];
  if (i === sections.length - 1) loadFinish(); // the review is next: have its code ready
  main.append(prefillOffer() || '');
  const box = h('section', { class: 'section', dataset: { section: sec.id } },
    h('h1', {}, `${i + 1}/${sections.length} ${sec.title}`),
    sec.guidance ? h('details', { class: 'guide card' }, h('summary', {}, '本部分检查说明'), h('p', {}, sec.guidance)) : null);
  // one pass of the engine so new cards render their first state right away
  result = score(compiled, draft.school, responses());
  for (const it of sec.items) {
    const card = itemCard(it.id);
    cards[it.id] = card;
    box.append(card.el);
  }
  main.append(box, h('div', { class: 'bulk-slot', id: 'bulk-slot', dataset: { section: sec.id } }));
}

function missingList(list) {
  return h('ul', { class: 'list missing' }, list.map((m) => {
    const idx = sections.findIndex((s) => s.id === m.section);
    return h('li', {}, h('a', { href: '#', onclick: (e) => { e.preventDefault(); go('section', idx, m.item); } },
      h('strong', {}, m.label), h('span', { class: 'meta' }, `${sections[idx]?.title || ''} · ${m.reason}`)));
  }));
}

function rectificationRows() {
  return result.rectifications.map((r) => {
    const saved = draft.rectifications[r.item] || {};
    return {
      item: r.item, section: r.section, problem: r.problem, basis: r.basis,
      action: saved.action ?? r.action, owner: saved.owner ?? r.owner,
      deadline: saved.deadline ?? addDays(draft.date, r.days),
    };
  });
}

function renderReview(main) {
  result = score(compiled, draft.school, responses());
  const block = blockers();
  main.append(h('h1', {}, '复核'));
  main.append(h('section', { class: 'card summary' },
    h('div', { class: 'big-score' }, h('span', { id: 'review-total' }, result.total === null ? '—' : String(result.total)), h('small', {}, ' 分')),
    h('div', { class: `grade-pill grade-${result.vetoed || result.grade === compiled.grades.at(-1).grade ? 'veto' : 'ok'}`, id: 'review-grade' }, result.grade || '未评'),
    result.cap ? h('p', { class: result.capped ? 'error' : 'meta', id: 'review-cap' },
      result.capped ? `${result.cap.reason}（按得分为${result.score_grade || '未评'}）` : result.cap.reason) : null,
    result.complete ? null : h('p', { class: 'meta' }, '检查尚未完成，未填写的条目按 0 分计；完成后为正式得分。')));
  main.append(h('section', { class: 'card' }, h('h2', {}, '各部分得分'),
    h('table', { class: 'scores' },
      h('thead', {}, h('tr', {}, h('th', {}, '部分'), h('th', {}, '得分/权重'), h('th', {}, '不符合'))),
      h('tbody', {}, result.sections.filter((s) => s.applicable).map((s) => h('tr', {},
        h('td', {}, s.title), h('td', {}, s.score === null ? '—' : `${s.score}/${s.weight}`), h('td', {}, String(s.failed))))))));
  if (block.length) {
    main.append(h('section', { class: 'card warn', id: 'missing' }, h('h2', {}, `还有 ${block.length} 项需要处理`), missingList(block)));
  }
  if (result.vetoes.length) {
    main.append(h('section', { class: 'card bad' }, h('h2', {}, '一票否决'),
      h('ul', {}, result.vetoes.map((v) => h('li', {}, v.problem)))));
  }
  main.append(h('section', { class: 'card' }, h('h2', {}, `发现的问题（${result.findings.length}）`),
    result.findings.length ? h('ol', { class: 'findings' }, result.findings.map((f) => h('li', {}, f.problem,
      f.basis ? h('span', { class: 'meta' }, `依据：${f.basis}${f.local ? '（本地标准）' : ''}`) : null))) : h('p', { class: 'muted' }, '未发现问题。')));
  const rows = rectificationRows();
  const rect = h('section', { class: 'card', id: 'rectifications' }, h('h2', {}, `整改清单（草稿，${rows.length} 项）`));
  for (const r of rows) {
    const saveField = (key) => (e) => {
      draft.rectifications[r.item] = { ...(draft.rectifications[r.item] || {}), [key]: e.target.value };
      invalidateSignatures();
      save();
    };
    rect.append(h('div', { class: 'rect', dataset: { item: r.item } },
      h('p', { class: 'rect-problem' }, r.problem),
      h('div', { class: 'field' }, h('label', {}, '整改措施', h('textarea', { rows: 3, oninput: saveField('action') }, r.action))),
      h('div', { class: 'rect-row' },
        h('div', { class: 'field' }, h('label', {}, '责任人', h('input', { type: 'text', value: r.owner, oninput: saveField('owner') }))),
        h('div', { class: 'field' }, h('label', {}, '整改期限', h('input', { type: 'date', value: r.deadline, onchange: saveField('deadline') }))))));
  }
  if (!rows.length) rect.append(h('p', { class: 'muted' }, '没有需要整改的项目。'));
  main.append(rect);
  // 座谈记录: a changed list is no longer what was signed; the open editor is only a draft
  main.append(finish.interviewsCard(draft, { onEdit: save, onChange: () => { invalidateSignatures(); save(); } }));
  if (block.length) main.append(h('p', { class: 'hint center' }, '所有必填项完成后才能签名。'));
}

// 签名与提交 (signing.js, loaded with the review's code): both sides sign on screen.
const SIGNERS = ['inspector', 'school'];

function renderSign(main) {
  result = score(compiled, draft.school, responses());
  finish.renderSign(main, {
    draft, result, block: blockers(), missingList, save, render, submit,
    usual: { inspector: bootUser?.display_name || '', school: draft.school_info?.principal || '' },
  });
}

function payload() {
  const rs = responses();
  const answers = sentAnswers(result, rs.answers);
  return {
    id: draft.id, school_id: draft.school_id, checklist_hash: draft.checklist_hash, type: draft.type, date: draft.date,
    location: draft.location || null, location_note: draft.location ? '' : draft.location_note || '',
    responses: { answers, na: rs.na, photos: rs.photos },
    notes: Object.fromEntries(Object.entries(draft.notes).filter(([k, v]) => items[k] && v.trim())),
    // the stamp's facts and the camera original's hash travel with each photo
    photos: photos.map((p) => ({ sha256: p.sha256, item: p.item, caption: p.caption || '', ...(p.stamp ? { stamp: p.stamp } : {}) })),
    prefilled: draft.prefilled.filter((id) => id in answers),
    // answered by 本部分其余项均符合, so the report can say how many were
    bulk_confirmed: draft.bulk.filter((id) => id in answers),
    rectifications: rectificationRows().map((r) => ({ item: r.item, action: r.action, owner: r.owner, deadline: r.deadline })),
    interviews: finish.interviewsPayload(draft),
    signatures: draft.signatures, client_result: result,
    started_at: draft.started_at, phone_time: new Date().toISOString(),
  };
}

let submitting = false;
async function submit() {
  if (submitting || draft.status === 'locked') return; // double tap
  if (store.PREVIEW) { toast('这是检查单库中的预览，不能提交；发布后督学在手机上填写的检查才会提交。', 'error'); return; }
  submitting = true;
  $('#submit').disabled = true;
  try {
    if (photoJobs.size) {
      toast('正在处理刚拍的照片，完成后自动提交…');
      await Promise.allSettled([...photoJobs]);
    }
    await saving;
    result = score(compiled, draft.school, responses());
    if (blockers().length || !SIGNERS.every((r) => draft.signatures[r])) throw new Error('还有未完成的项目或签名');
    await loadFinish();
    const body = payload();
    const { summaryOf } = await lockedView();
    await outbox.enqueue(draft, body, { ...summaryOf(result, rectificationRows()), lowest_grade: compiled.grades.at(-1).grade });
    draft.status = 'locked';
    // offline, 正在上传 would promise what cannot happen yet
    toast(navigator.onLine ? '已保存到「待上传」，正在上传…' : '已保存，联网后自动上传');
    render();
    scrollTo(0, 0);
    outbox.flush();
  } catch (e) {
    toast(`提交失败：${errorText(e)}`, 'error');
    $('#submit') && ($('#submit').disabled = false);
  } finally {
    submitting = false;
  }
}

// The locked page and the principal's summary (locked.js) load when first shown, as the
// review's code does; the service worker precaches the module, so it works offline too.
const lockedView = () => import('./locked.js');

function renderLocked(main) {
  return lockedView().then((m) => {
    result = score(compiled, draft.school, responses());
    m.renderLocked(main, {
      draft, sections, summary: m.summaryOf(result, rectificationRows()), lowest: compiled.grades.at(-1).grade,
      card: (id) => (cards[id] = itemCard(id)).el,
    });
    recompute();
  });
}

// ------------------------------------------------------------------ one tab edits a draft

// Another tab took this draft over: let the last write land, then stop editing here.
async function stopEditing() {
  await saving;
  editing = false;
  renderElsewhere();
}

function renderElsewhere() {
  clear($('#scorebar'));
  lockedView().then((m) => m.renderElsewhere(root(), draft, async () => {
    await draftlock.takeOver(draft.id, stopEditing);
    openDraft();
  }));
}

// ------------------------------------------------------------------ start

async function load() {
  const id = decodeURIComponent(location.hash.slice(1));
  draft = id ? await store.get('drafts', id) : null;
  const kept = id && localStorage.getItem(rescueKey(id));
  if (kept) {
    const copy = JSON.parse(kept);
    // only for a draft still being filled, and only what is newer than IndexedDB's copy
    if (draft?.status === 'draft' && copy.status === 'draft' && copy.updated_at > draft.updated_at) {
      draft = copy;
      await store.put('drafts', draft);
    }
    localStorage.removeItem(rescueKey(id));
  }
  if (!draft) {
    const sent = id ? await store.get('submitted', id) : null;
    const { reportLink, summaryView } = sent ? await lockedView() : {};
    clear($('#scorebar'));
    clear(root()).append(h('section', { class: 'card' },
      h('p', { class: 'lock-state', id: 'lock-state', dataset: { state: sent ? 'submitted' : '' } }, sent ? '这份检查已上传到服务器。' : '在本机上找不到这份检查。'),
      sent?.report_url ? reportLink(sent.report_url) : null,
      h('a', { class: 'button wide', href: '/inspector/' }, '返回工作台')),
    sent?.summary ? summaryView(`${sent.school_name} · ${sent.date}`, sent.summary, sent.summary.lowest_grade) : '');
    return false;
  }
  // another account's inspection on a shared phone: its owner finishes it (工作台 lists it to no one else)
  const here = api.phoneAccount() || (await store.getMeta('bootstrap'))?.user?.username;
  if (draft.inspector && here && draft.inspector.username !== here) {
    clear($('#scorebar'));
    (await lockedView()).renderNotYours(root(), draft.inspector);
    return false;
  }
  if (draft.status === 'trashed') {
    clear(root()).append(h('section', { class: 'card', id: 'in-trash' },
      h('p', {}, '这份检查已删除，在回收站中（7 天内可恢复）。'),
      h('button', { type: 'button', class: 'button primary wide', id: 'restore', onclick: async () => {
        await store.put('drafts', { ...draft, status: 'draft', trashed_at: null });
        openDraft();
      } }, '恢复并继续填写'),
      h('a', { class: 'button wide', href: '/inspector/' }, '返回工作台')));
    return false;
  }
  if (draft.status !== 'locked' && !(await draftlock.claim(draft.id, stopEditing))) {
    editing = false;
    renderElsewhere();
    return false;
  }
  editing = true;
  try {
    compiled = await api.checklist(draft.checklist_hash);
  } catch {
    clear(root()).append(h('section', { class: 'card' }, h('p', { class: 'error' }, '本机没有这份检查单，请联网后重新打开本页。'),
      h('p', {}, '已填写的内容仍保存在本机，不会丢失。')));
    return false;
  }
  draft.raw ||= {};
  draft.bulk ||= [];
  draft.view ||= 'section';
  items = {};
  for (const sec of compiled.sections) for (const it of sec.items) items[it.id] = { it, sec };
  photos = await store.photosFor(draft.id);
  result = score(compiled, draft.school, responses());
  sections = compiled.sections.filter((s) => result.sections.find((x) => x.id === s.id)?.applicable);
  store.getMeta('bootstrap').then((b) => { bootUser = b?.user || null; });
  render();
  document.body.dataset.readyAt = String(Math.round(performance.now()));
  document.body.dataset.ready = '1';
  // last time's answers, if they could not be fetched when the inspection started
  if (!draft.previous && draft.status !== 'locked' && navigator.onLine && !store.PREVIEW) {
    api.previous(draft.school_id, draft.checklist_id).then((prev) => {
      if (prev?.login) banner('登录已过期，无法调取上次检查的数据，请重新登录。已填写的内容保存在本机。', { href: '/login?next=/inspector/', text: '去登录' });
      else if (prev && !draft.previous) {
        draft.previous = prev;
        save();
        if (draft.view === 'section') render();
      }
    });
  }
  return true;
}

// load(), and if the draft cannot even be read or written (storage full, a broken database):
// say so instead of a blank page. load() takes the localStorage copy away only after IndexedDB
// has it, so the newest changes stay on the phone for the next attempt.
function openDraft() {
  return load().catch((e) => {
    clear($('#scorebar'));
    clear(root()).append(h('section', { class: 'card', id: 'load-failed' },
      h('h1', {}, '无法打开这份检查'),
      h('p', { class: 'error' }, errorText(e)),
      h('p', {}, '已填写的内容仍保存在本机（最近的修改另有备份），请释放手机存储空间或关闭其他检查页面后重新打开本页。'),
      h('button', { type: 'button', class: 'button primary wide', id: 'load-retry', onclick: () => location.reload() }, '重新打开'),
      h('a', { class: 'button wide', href: '/inspector/' }, '返回工作台')));
    return false;
  });
}

async function main() {
  watchNetwork();
  // the library's preview (preview.js) installs nothing and starts no outbox: nothing leaves it
  if (!store.PREVIEW) registerServiceWorker();
  if (!store.PREVIEW) requestPersistence();
  addEventListener('hashchange', () => openDraft());
  await openDraft();
  if (!store.PREVIEW) outbox.startAutoFlush();
}

main();
