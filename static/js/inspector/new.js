// 开始检查: school, checklist (only those that apply to the school), type, date and location.

import { appliesTo } from '../engine.js';
import * as api from './api.js';
import { owner } from './outbox.js';
import * as store from './store.js';
import {
  $, addDays, clear, errorText, h, registerServiceWorker, requestPersistence, today, toast, uuid, watchNetwork,
} from './util.js';

let boot = null;
const compiled = {}; // hash → compiled checklist
let location = null; // {latitude, longitude, accuracy, captured_at}

// The school in the shape the scoring engine wants (booleans, not 0/1).
export function scoringSchool(s) {
  return {
    code: s.code, name: s.name, stage: s.stage, boarding: !!s.boarding,
    township_central: !!s.township_central, poverty_village: !!s.poverty_village,
    enrolment: s.enrolment ?? null,
  };
}

function applies(checklist, school) {
  try {
    return appliesTo(checklist, school);
  } catch {
    return false;
  }
}

function showError(id, message) {
  const el = $(id);
  el.textContent = message || '';
  el.hidden = !message;
}

function renderSchools() {
  const q = $('#school-filter').value.trim();
  const select = $('#school');
  const current = select.value || new URLSearchParams(window.location.search).get('school') || '';
  clear(select).append(h('option', { value: '' }, '请选择学校'));
  const match = (s) => !q || s.name.includes(q) || (s.township || '').includes(q) || String(s.id) === current;
  // Only the schools the inspector may inspect (the supervision plan; the bureau anywhere):
  // the server's one rule (inspections/plan.py), which also decides who gets last visit's data.
  // A bootstrap cached before the server said so: the planned schools.
  const allowed = boot.schools.filter((s) => s.may_inspect ?? s.assigned);
  const mine = allowed.filter((s) => s.assigned && match(s));
  const others = allowed.filter((s) => !s.assigned && match(s));
  showError('#school-error', allowed.length ? '' : '督导计划中没有分配给您的学校，请联系督导室在「督导计划」中分配后再开始检查。');
  const opt = (s) => h('option', { value: String(s.id), selected: String(s.id) === current }, `${s.name}（${s.township || ''}）`);
  if (mine.length) select.append(h('optgroup', { label: '分配给我的' }, mine.map(opt)));
  if (others.length) select.append(h('optgroup', { label: mine.length ? '其他学校' : '全部学校' }, others.map(opt)));
  renderChecklists();
}

function renderChecklists() {
  const select = $('#checklist');
  const school = boot.schools.find((s) => String(s.id) === $('#school').value);
  const previous = select.value;
  clear(select);
  if (!school) {
    select.append(h('option', { value: '' }, '请先选择学校'));
    $('#checklist-hint').textContent = '';
    return;
  }
  // The comprehensive checklist first (the usual visit), special ones after; chosen by default
  // unless the inspection type chosen says otherwise.
  const fit = boot.checklists.filter((c) => compiled[c.hash] && applies(compiled[c.hash], scoringSchool(school)))
    .sort((a, b) => (typeFor(a) === COMPREHENSIVE ? 0 : 1) - (typeFor(b) === COMPREHENSIVE ? 0 : 1) || a.title.localeCompare(b.title, 'zh'));
  const unknown = boot.checklists.filter((c) => !compiled[c.hash]);
  if (!fit.length) select.append(h('option', { value: '' }, '没有适用于该校的检查单'));
  const type = chosenType();
  const keep = fit.find((c) => c.hash === previous);
  const chosen = keep || (type === SPECIAL && fit.find((c) => typeFor(c) === SPECIAL)) || fit[0];
  for (const c of fit) {
    select.append(h('option', { value: c.hash, selected: c === chosen }, `${c.title}（${c.version}）`));
  }
  followChecklist();
  $('#checklist-hint').textContent = `${school.stage}${school.boarding ? ' · 寄宿制' : ''}${school.township_central ? ' · 乡镇中心校' : ''}` +
    (unknown.length ? ` · 另有 ${unknown.length} 份检查单未能下载（需联网）` : '');
}

// Which inspection type a checklist is for, from its title (综合督导 / 专项督查 in the
// server's vocabulary); null when the title says neither.
const COMPREHENSIVE = '综合督导';
const SPECIAL = '专项督查';
function typeFor(c) {
  if (!c) return null;
  if (/专项/.test(c.title)) return SPECIAL;
  if (/综合/.test(c.title)) return COMPREHENSIVE;
  return null;
}

const chosenType = () => document.querySelector('input[name=type]:checked')?.value;

// The type follows the checklist: choosing a 专项 checklist makes it a 专项督查 and back, while
// a way of visiting the inspector picked on purpose (随机走访, 明查, 暗访) is left alone.
function followChecklist() {
  const c = boot.checklists.find((x) => x.hash === $('#checklist').value);
  const want = typeFor(c);
  const now = chosenType();
  if (!want || (now && ![COMPREHENSIVE, SPECIAL].includes(now))) return;
  const radio = document.querySelector(`input[name=type][value="${want}"]`);
  if (radio) radio.checked = true;
}

// The latest date the server takes (inspections/receiving.py): tomorrow in Beijing time, a
// day's grace for a phone clock a little off. Set here, not in the template: the page is an
// offline shell the service worker keeps for days.
const latestDate = () => addDays(today(), 1);

// A mistyped month (23 December for 23 November) would be locked and signed, then refused by
// the server with nothing on the phone able to change it: caught here, beside the field.
function dateProblem(value) {
  if (!value) return '';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return '请选择检查日期';
  return value > latestDate() ? '检查日期不能晚于今天，请核对月份和日期' : '';
}

function locate() {
  const status = $('#geo-status');
  if (!('geolocation' in navigator)) {
    geoFailure('本机不支持定位');
    return;
  }
  status.textContent = '正在获取位置…';
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      location = {
        latitude: pos.coords.latitude, longitude: pos.coords.longitude,
        accuracy: pos.coords.accuracy, captured_at: new Date(pos.timestamp || Date.now()).toISOString(),
      };
      status.textContent = `已定位：${location.latitude.toFixed(5)}, ${location.longitude.toFixed(5)}，精度约 ${Math.round(location.accuracy)} 米`;
      status.dataset.state = location.accuracy > 200 ? 'weak' : 'ok';
      $('#geo-note-field').hidden = true;
    },
    (err) => geoFailure(err.code === 1 ? '定位权限被拒绝' : err.code === 3 ? '定位超时' : '无法获取位置'),
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 120000 },
  );
}

function geoFailure(reason) {
  location = null;
  $('#geo-status').textContent = `${reason}。请填写无法定位的原因。`;
  $('#geo-status').dataset.state = 'bad';
  $('#geo-note-field').hidden = false;
}

async function start(e) {
  e.preventDefault();
  const school = boot.schools.find((s) => String(s.id) === $('#school').value);
  const hash = $('#checklist').value;
  const type = document.querySelector('input[name=type]:checked')?.value;
  const note = $('#geo-note').value.trim();
  showError('#school-error', school ? '' : '请选择学校');
  showError('#checklist-error', hash ? '' : '请选择检查单');
  showError('#type-error', type ? '' : '请选择检查方式');
  const badDate = dateProblem($('#date').value);
  showError('#date-error', badDate);
  const needNote = !location;
  showError('#geo-error', needNote && !note ? '未获取到位置，请填写原因' : '');
  if (needNote) $('#geo-note-field').hidden = false;
  if (!school || !hash || !type || badDate || (needNote && !note)) {
    document.querySelector('.error:not([hidden])')?.scrollIntoView({ block: 'center' });
    return;
  }
  $('#begin').disabled = true;
  const c = compiled[hash];
  const now = new Date().toISOString();
  const draft = {
    id: uuid(), status: 'draft', school_id: school.id, school: scoringSchool(school),
    school_info: { township: school.township || '', principal: school.principal || '' }, checklist_hash: hash, checklist_id: c.id,
    checklist_title: c.title, type, date: $('#date').value || today(),
    location, location_note: location ? '' : note,
    answers: {}, na: [], notes: {}, prefilled: [], prefill_pending: [], rectifications: {},
    signatures: {}, previous: null, started_at: now, updated_at: now, section: 0,
    // who fills it: only this account may later send it from the outbox
    inspector: owner(boot.user),
  };
  await store.put('drafts', draft);
  // Offer last time's counts even if the signal drops later: fetch now, store in the draft.
  const prev = await api.previous(school.id, c.id);
  if (prev && !prev.login) await store.put('drafts', { ...draft, previous: prev }); // the form asks again after login
  window.location.href = `/inspector/form#${draft.id}`;
}

async function main() {
  watchNetwork();
  registerServiceWorker();
  requestPersistence();
  $('#date').value = today();
  $('#date').max = latestDate();
  $('#date').addEventListener('change', () => showError('#date-error', dateProblem($('#date').value)));
  try {
    boot = (await api.bootstrap()).data;
  } catch (e) {
    clear($('#school')).append(h('option', { value: '' }, '无法读取学校名单'));
    showError('#school-error', e.otherAccount ? e.message : '请在有网络时打开一次督学工作台，以下载学校名单和检查单。');
    return;
  }
  // The server's vocabulary (common/vocabulary.py), so the phone and the pages name the same types.
  const types = $('#types');
  boot.inspection_types.forEach((t, i) => types.append(h('label', { class: 'seg-option' },
    h('input', { type: 'radio', name: 'type', value: t, checked: i === 0 }), h('span', {}, t))));
  await Promise.all(boot.checklists.map(async (c) => {
    try {
      compiled[c.hash] = await api.checklist(c.hash);
    } catch {
      /* shown in the hint as not downloaded */
    }
  }));
  renderSchools();
  $('#school-filter').addEventListener('input', renderSchools);
  $('#school').addEventListener('change', renderChecklists);
  $('#checklist').addEventListener('change', followChecklist);
  // 专项督查 chosen first: offer the special checklist; back to 综合督导: the comprehensive one
  types.addEventListener('change', () => {
    const t = chosenType();
    const c = boot.checklists.find((x) => x.hash === $('#checklist').value);
    if (![COMPREHENSIVE, SPECIAL].includes(t) || typeFor(c) === t) return;
    const other = [...$('#checklist').options].find((o) => typeFor(boot.checklists.find((x) => x.hash === o.value)) === t);
    if (other) $('#checklist').value = other.value;
  });
  $('#geo-retry').addEventListener('click', locate);
  $('#start-form').addEventListener('submit', (e) => start(e).catch((err) => {
    $('#begin').disabled = false;
    toast(`无法开始：${errorText(err)}`, 'error');
  }));
  locate();
}

main();
