// 抽样 on the phone: the inspector enters (or pastes from a spreadsheet) the 学籍号 or names of
// the files, taps 随机抽样, and marks each drawn file 合格 / 不合格. The draw is engine.js
// drawSample — the function the server scores with — so the report names exactly the files the
// phone showed; the seed is kept in the answer. On a re-check the previous list and seed are
// offered, which draws the same files again.

import { drawSample, sampleSize } from '../engine.js';
import { h } from './util.js';

// One id per line; commas and 、 from a pasted row also separate. Blank lines are dropped and a
// repeated id is kept once (the engine refuses duplicates, and a list with them is a mistake).
export function parseList(text) {
  const ids = [];
  const seen = new Set();
  let repeated = 0;
  for (const part of String(text || '').split(/[\r\n,，、;；\t]+/)) {
    const x = part.trim();
    if (!x) continue;
    if (seen.has(x)) { repeated++; continue; }
    seen.add(x);
    ids.push(x);
  }
  return { ids, repeated };
}

// The ids of a CSV or text file exported from the 学籍系统 or a spreadsheet: the 学籍号 column
// when a header names one (else 姓名, else the first column); a header row is not an id.
export function idsFromTable(text) {
  const rows = String(text || '').replace(/^\ufeff/, '').split(/\r?\n/)
    .map((line) => line.split(/[,\t，]/).map((c) => c.trim().replace(/^"(.*)"$/, '$1').trim()));
  const header = rows[0] || [];
  let col = header.findIndex((c) => /学籍/.test(c));
  if (col < 0) col = header.findIndex((c) => /姓名/.test(c));
  const body = col >= 0 ? rows.slice(1) : rows;
  return body.map((r) => r[Math.max(col, 0)] || '').filter(Boolean).join('\n');
}

// Spreadsheets saved as CSV on a Chinese Windows are GBK, not UTF-8: decode as UTF-8 and fall
// back to GBK when that produced replacement characters.
async function readText(file) {
  const bytes = await file.arrayBuffer();
  const utf8 = new TextDecoder('utf-8').decode(bytes);
  if (!utf8.includes('\ufffd')) return utf8;
  try { return new TextDecoder('gbk').decode(bytes); } catch { return utf8; }
}

function newSeed() {
  const a = new Uint32Array(1);
  crypto.getRandomValues(a);
  return a[0];
}

// { control, refresh } for the item card. `draft` is the form's draft (answers, raw, previous),
// `save()` writes it, `setAnswer(value)` the form's setter (null empties the answer).
export function sampleControl({ it, id, locked, draft, save, setAnswer }) {
  const low = it.sample?.min ?? 1;
  const high = it.sample?.max ?? null;
  const unit = it.unit || '份';
  const list = h('textarea', {
    rows: 4, id: `in-${id}`, 'aria-labelledby': `label-${id}`, disabled: locked,
    placeholder: '每行一个学籍号或姓名，可从表格整列粘贴',
  });
  const info = h('p', { class: 'hint sample-info', role: 'status' });
  const file = h('input', { type: 'file', id: `file-sample-${id}`, accept: '.csv,.txt,text/csv,text/plain', hidden: true });
  const fileBtn = h('label', { class: 'button small sample-import', for: `file-sample-${id}` }, '从文件导入（CSV/TXT）');
  file.addEventListener('change', async () => {
    const f = file.files && file.files[0];
    file.value = '';
    if (!f || locked) return;
    const text = idsFromTable(await readText(f));
    list.value = list.value.trim() ? `${list.value.trim()}\n${text}` : text;
    draft.raw = { ...(draft.raw || {}), [id]: list.value };
    save(); // a list typed or imported is work: a reload before 随机抽样 must not lose it
    refresh();
  });
  const drawBtn = h('button', { type: 'button', class: 'button primary sample-draw' }, '随机抽样');
  const editBtn = h('button', { type: 'button', class: 'button small sample-edit', hidden: true }, '修改名单');
  const previous = draft.previous?.samples?.[id];
  const recheckBtn = previous && !locked
    ? h('button', { type: 'button', class: 'button sample-recheck' },
      `复查上次抽查的 ${previous.ids.length} ${unit}（${draft.previous.date}）`)
    : null;
  const drawn = h('ol', { class: 'sample-list' });

  const answer = () => draft.answers[id];
  const typed = () => parseList(draft.raw?.[id] ?? list.value);

  list.addEventListener('input', () => {
    draft.raw = { ...(draft.raw || {}), [id]: list.value };
    save(); // a list typed or imported is work: a reload before 随机抽样 must not lose it
    refresh();
  });
  drawBtn.addEventListener('click', () => {
    const { ids } = typed();
    if (locked || !ids.length) return;
    setAnswer({ population: ids, seed: newSeed(), marks: {} });
  });
  editBtn.addEventListener('click', () => {
    const a = answer();
    if (locked || !a) return;
    const marked = Object.keys(a.marks || {}).length;
    if (marked && !confirm(`修改名单将重新抽样，已标记的 ${marked} ${unit}需重新检查。确定修改吗？`)) return;
    draft.raw = { ...(draft.raw || {}), [id]: a.population.join('\n') };
    setAnswer(null);
  });
  recheckBtn?.addEventListener('click', () => {
    if (locked) return;
    const a = answer();
    if (a && Object.keys(a.marks || {}).length && !confirm('沿用上次的名单和抽样将清除本次已做的标记，确定吗？')) return;
    setAnswer({ population: previous.population, seed: previous.seed, marks: {} });
  });

  function mark(x, ok) {
    const a = answer();
    if (locked || !a) return;
    setAnswer({ ...a, marks: { ...(a.marks || {}), [x]: ok } });
  }

  // 全部合格: every drawn file not yet marked becomes 合格 in one tap (a 不合格 already given
  // stays); each stays changeable one by one. The answer keeps the engines' shape, one
  // boolean mark per drawn id.
  const allOk = h('button', { type: 'button', class: 'button sample-all', hidden: true, onclick: () => {
    const a = answer();
    if (locked || !a) return;
    const marks = { ...(a.marks || {}) };
    for (const x of drawSample(a.population, a.seed, low, high)) if (typeof marks[x] !== 'boolean') marks[x] = true;
    setAnswer({ ...a, marks });
  } });

  function refresh() {
    const a = answer();
    const has = a && Array.isArray(a.population) && a.population.length;
    list.hidden = !!has;
    fileBtn.hidden = !!has || locked;
    drawBtn.hidden = !!has || locked;
    editBtn.hidden = !has || locked;
    allOk.hidden = true;
    if (!has) {
      if (document.activeElement !== list) list.value = draft.raw?.[id] ?? '';
      const { ids, repeated } = typed();
      drawBtn.disabled = !ids.length;
      info.textContent = ids.length
        ? `共 ${ids.length} ${unit}${repeated ? `（已去除重复 ${repeated} 个）` : ''}，按规则应抽查 ${sampleSize(ids.length, low, high)} ${unit}`
        : `按规则抽查 ⌈√总数⌉ ${unit}，至少 ${low} ${unit}${high ? `、至多 ${high} ${unit}` : ''}`;
      drawn.replaceChildren();
      return;
    }
    const ids = drawSample(a.population, a.seed, low, high);
    const marks = a.marks || {};
    const done = ids.filter((x) => typeof marks[x] === 'boolean').length;
    info.textContent = `共 ${a.population.length} ${unit}，随机抽取 ${ids.length} ${unit}，已检查 ${done} ${unit}`;
    allOk.hidden = locked || done === ids.length;
    allOk.textContent = done ? `其余 ${ids.length - done} ${unit}全部合格` : `抽查的 ${ids.length} ${unit}全部合格`;
    drawn.replaceChildren(...ids.map((x) => h('li', { class: 'sample-row', dataset: { id: x } },
      h('span', { class: 'sample-id' }, x),
      h('span', { class: 'opts opts-row', role: 'radiogroup', 'aria-label': `${x} 检查结果` },
        h('button', { type: 'button', class: 'opt', dataset: { value: 'ok' }, 'aria-pressed': String(marks[x] === true),
          disabled: locked, onclick: () => mark(x, true) }, '合格'),
        h('button', { type: 'button', class: 'opt', dataset: { value: 'bad' }, 'aria-pressed': String(marks[x] === false),
          disabled: locked, onclick: () => mark(x, false) }, '不合格')))));
  }

  const control = h('div', { class: 'sample' }, list, file, info,
    h('div', { class: 'actions' }, drawBtn, fileBtn, recheckBtn, editBtn), drawn, allOk);
  return { control, refresh };
}
