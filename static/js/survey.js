// The respondent's questionnaire (templates/respond/survey.html): no account, a weak network.
//
// Every answer is kept in localStorage as it is given, and the finished answer stays there,
// marked "pending", until the server has accepted it (2xx); a failed send is retried when the
// phone comes back online, every 20 s, and whenever the page is opened again. Which questions
// show is decided by the same scoring engine as the server's (engine.js, `relevant` and
// `applies_if`), so the answer sent is the one the server keeps.
import { score } from './engine.js';

const data = JSON.parse(document.getElementById('survey-data').textContent);
const form = document.getElementById('survey');
const statusBox = document.getElementById('status');
const sendButton = document.getElementById('send');
const KEY = `survey:${data.code}`;
const DEVICE_KEY = 'survey-device';

// data.preview: the checklist library's preview of a survey version (web/library.py): the same
// page and checks, but nothing is kept in this browser and nothing is sent.
function load(key) {
  if (data.preview) return null;
  try { return JSON.parse(localStorage.getItem(key) || 'null'); } catch { return null; }
}
function save(key, value) {
  if (data.preview) return true;
  try { localStorage.setItem(key, JSON.stringify(value)); return true; } catch { return false; }
}

function randomToken(bytes) {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return btoa(String.fromCharCode(...a)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// One token per browser, for every round: the server keeps only its hash, one answer each.
let device = data.preview ? 'preview-not-sent-anywhere' : localStorage.getItem(DEVICE_KEY);
if (!data.preview && (!device || !/^[A-Za-z0-9_-]{16,64}$/.test(device))) {
  device = randomToken(18);
  localStorage.setItem(DEVICE_KEY, device);
}

const items = Object.create(null);
for (const s of data.survey.sections) for (const it of s.items) items[it.id] = it;
let record = load(KEY) || { id: uuid(), state: 'draft', group: null, answers: {} };

function readAnswers() {
  const answers = {};
  for (const fs of form.querySelectorAll('fieldset[data-item]')) {
    const id = fs.dataset.item;
    if (id === 'group') continue;
    const type = fs.dataset.type;
    if (type === 'choice') {
      const c = fs.querySelector('input:checked');
      if (c) answers[id] = c.value;
    } else if (type === 'multi') {
      const v = [...fs.querySelectorAll('input:checked')].map((x) => x.value);
      if (v.length) answers[id] = v;
    } else if (type === 'yesno') {
      const c = fs.querySelector('input:checked');
      if (c) answers[id] = c.value === 'true';
    } else if (type === 'text') {
      const t = fs.querySelector('textarea').value.trim();
      if (t) answers[id] = t.slice(0, data.maxText);
    }
  }
  return answers;
}

function readGroup() {
  const c = form.querySelector('input[name=group]:checked');
  return c ? c.value : data.survey.respondents.length === 1 ? data.survey.respondents[0] : null;
}

function fill() {
  const g = form.querySelector(`input[name=group][value="${record.group}"]`);
  if (g) g.checked = true;
  for (const [id, v] of Object.entries(record.answers || {})) {
    const fs = form.querySelector(`fieldset[data-item="${CSS.escape(id)}"]`);
    if (!fs) continue;
    if (fs.dataset.type === 'text') fs.querySelector('textarea').value = v;
    else {
      const wanted = Array.isArray(v) ? v.map(String) : [String(v)];
      for (const input of fs.querySelectorAll('input')) input.checked = wanted.includes(input.value);
    }
  }
}

// Show exactly the questions the engine says apply; answers to hidden ones are not sent.
function visibleAnswers() {
  const answers = readAnswers();
  const result = score(data.survey, data.school, { answers });
  const shown = {};
  for (const fs of form.querySelectorAll('fieldset[data-item]')) {
    const id = fs.dataset.item;
    if (id === 'group') continue;
    const hidden = result.items[id] && result.items[id].outcome === 'not_applicable';
    fs.hidden = hidden;
    if (!hidden && id in answers) shown[id] = answers[id];
  }
  for (const section of form.querySelectorAll('section[data-section]')) {
    section.hidden = ![...section.querySelectorAll('fieldset')].some((f) => !f.hidden);
  }
  return { shown, result };
}

function showStatus(text, kind = '') {
  statusBox.textContent = text;
  statusBox.className = `status ${kind}`;
  statusBox.scrollIntoView({ block: 'nearest' });
}

function clearErrors() {
  for (const e of form.querySelectorAll('[data-error]')) e.textContent = '';
}

function fieldError(field, message) {
  const box = field && form.querySelector(`[data-error="${CSS.escape(field)}"]`);
  if (box) {
    box.textContent = message;
    box.closest('fieldset').scrollIntoView({ block: 'center' });
  }
}

function finished(message) {
  record.state = 'done';
  record.answers = {};
  save(KEY, record);
  form.hidden = true;
  const done = document.getElementById('done');
  if (message) done.querySelector('p:last-child').textContent = message;
  done.hidden = false;
}

let sending = false;
let retry = null;

async function send() {
  if (sending || record.state !== 'pending') return;
  if (data.preview) {
    record.state = 'draft';
    showStatus('答卷填写完整。这是预览，答卷不会提交；发布后用这份问卷开启的测评才收集答卷。', 'ok');
    return;
  }
  sending = true;
  sendButton.disabled = true;
  showStatus('正在提交……');
  let response;
  try {
    response = await fetch(location.pathname, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      credentials: 'omit',
      cache: 'no-store',
      body: JSON.stringify({
        token: data.token,
        device,
        id: record.id,
        group: record.group,
        answers: record.answers,
        website: form.elements.website.value,
      }),
    });
  } catch {
    sending = false;
    sendButton.disabled = false;
    showStatus('网络不好，答卷已保存在本机，联网后会自动提交（也可稍后再点“提交答卷”）。');
    scheduleRetry();
    return;
  }
  sending = false;
  sendButton.disabled = false;
  let body = {};
  try { body = await response.json(); } catch { body = {}; }
  if (response.ok) {
    record.state = 'sent';
    record.answers = {};
    save(KEY, record);
    location.replace(body.thanks || data.thanks);
    return;
  }
  if (response.status === 409) { finished(body.message); return; }
  if (response.status === 410) {
    record.state = 'draft';
    save(KEY, record);
    showStatus(body.message || '本次调查已结束。', 'bad');
    sendButton.disabled = true;
    return;
  }
  if (response.status === 422) {
    record.state = 'draft';
    save(KEY, record);
    showStatus(body.message || '请检查后重新提交。', 'bad');
    fieldError(body.field, body.message);
    return;
  }
  if (response.status === 429 || response.status >= 500) {
    showStatus(body.message || '服务器繁忙，答卷已保存在本机，稍后会自动提交。');
    scheduleRetry();
    return;
  }
  record.state = 'draft';
  save(KEY, record);
  showStatus(body.message || '提交失败，请刷新页面后重试。', 'bad');
}

function scheduleRetry() {
  if (retry) return;
  retry = setTimeout(() => { retry = null; send(); }, 20000);
}

form.addEventListener('input', () => {
  if (record.state === 'pending') return;
  record.group = readGroup();
  record.answers = visibleAnswers().shown;
  save(KEY, record);
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearErrors();
  const group = readGroup();
  if (!group) { fieldError('group', '请选择您的身份'); return; }
  const { shown, result } = visibleAnswers();
  const missing = result.missing.filter((m) => m.reason === '未填写');
  if (missing.length) { fieldError(missing[0].item, '请回答这道题'); return; }
  if (!Object.keys(shown).length) { showStatus('您还没有回答任何问题。', 'bad'); return; }
  record.group = group;
  record.answers = shown;
  record.state = 'pending';
  if (!save(KEY, record)) showStatus('本机无法保存答卷（浏览器隐私模式？），请保持联网提交。');
  send();
});

window.addEventListener('online', () => send());

if (record.state === 'done' || record.state === 'sent') {
  document.getElementById('done').hidden = false;
} else {
  form.hidden = false;
  fill();
  visibleAnswers();
  if (record.state === 'pending') {
    showStatus('上次填写的答卷尚未提交成功，正在重新提交……');
    send();
  }
}
