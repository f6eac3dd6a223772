// Preview of a checklist version as the phone shows it, before it is published: the same
// cards, answer buttons and score bar (inspector.css), scored live by the phone's own
// engine.js for a school chosen from the registry. Nothing is stored: answers live in memory.

import { score } from './engine.js';
import { sampleControl } from './inspector/sample.js';
import { $, clear, h } from './inspector/util.js';

const data = JSON.parse($('#preview-data').textContent);
const compiled = data.checklist;
const screen = $('#preview-screen');
const picker = $('#preview-school');
let school = null;
// the shape of the phone's draft that its controls read (sample.js keeps the typed list in raw)
const draft = { answers: {}, raw: {}, previous: null };
let na = [];
let photos = {};
let section = 0;

function responses() {
  const clean = {};
  for (const [id, v] of Object.entries(draft.answers)) if (v !== null && v !== '' && !na.includes(id)) clean[id] = v;
  return { answers: clean, na, photos };
}

function toNumber(text, integer) {
  const t = String(text).trim();
  if (t === '') return { value: null };
  if (!/^-?[0-9]+(\.[0-9]+)?$/.test(t)) return { error: integer ? '请填写整数' : '请填写数字' };
  const v = Number(t);
  if (integer && !Number.isInteger(v)) return { error: '请填写整数' };
  return { value: v };
}

function setAnswer(id, v) {
  na = na.filter((x) => x !== id);
  if (v === null) delete draft.answers[id];
  else draft.answers[id] = v;
  render();
}

function optionButtons(it, options, isOn, onPick) {
  return h('div', { class: `opts${it.type === 'yesno' ? ' opts-row' : ''}` },
    options.map((o) => h('button', {
      type: 'button', class: 'opt', 'aria-pressed': String(isOn(o.value)), dataset: { value: String(o.value) },
      onclick: () => onPick(o.value),
    }, o.label)));
}

function control(it) {
  const id = it.id;
  const naOpt = it.na_allowed ? [{ value: '__na', label: '不适用' }] : [];
  const answers = draft.answers;
  const pickNA = () => { delete answers[id]; if (!na.includes(id)) na.push(id); render(); };
  switch (it.type) {
    case 'yesno':
      return optionButtons(it, [{ value: true, label: '是' }, { value: false, label: '否' }, ...naOpt],
        (v) => (v === '__na' ? na.includes(id) : !na.includes(id) && answers[id] === v),
        (v) => (v === '__na' ? pickNA() : setAnswer(id, v)));
    case 'choice':
      return optionButtons(it, [...it.choices, ...naOpt],
        (v) => (v === '__na' ? na.includes(id) : !na.includes(id) && answers[id] === v),
        (v) => (v === '__na' ? pickNA() : setAnswer(id, v)));
    case 'multi':
      return optionButtons(it, [...it.choices, ...naOpt],
        (v) => (v === '__na' ? na.includes(id) : !na.includes(id) && (answers[id] || []).includes(v)),
        (v) => {
          if (v === '__na') return pickNA();
          const cur = new Set(answers[id] || []);
          if (cur.has(v)) cur.delete(v); else cur.add(v);
          return setAnswer(id, it.choices.map((c) => c.value).filter((x) => cur.has(x)));
        });
    case 'integer': case 'decimal': {
      const input = h('input', { type: 'text', inputmode: it.type === 'integer' ? 'numeric' : 'decimal',
        id: `in-${id}`, value: answers[id] ?? '', autocomplete: 'off' });
      input.addEventListener('change', () => {
        const parsed = toNumber(input.value, it.type === 'integer');
        setAnswer(id, parsed.error ? null : parsed.value);
      });
      return h('div', { class: 'numrow' }, h('label', { class: 'num' }, input,
        it.unit ? h('span', { class: 'unit-suffix' }, it.unit) : null));
    }
    case 'text': {
      const area = h('textarea', { rows: 2, id: `in-${id}` });
      area.value = answers[id] ?? '';
      area.addEventListener('change', () => setAnswer(id, area.value.trim() || null));
      return area;
    }
    case 'date': {
      const input = h('input', { type: 'date', id: `in-${id}`, value: answers[id] ?? '' });
      input.addEventListener('change', () => setAnswer(id, input.value || null));
      return input;
    }
    case 'sample': {
      // the phone's own 抽样 control: enter the list, draw, mark each drawn file
      const { control: el, refresh } = sampleControl({ it, id, locked: false, draft, setAnswer: (v) => setAnswer(id, v) });
      refresh();
      return el;
    }
    case 'photo':
      return h('button', { type: 'button', class: 'tool', onclick: () => { photos[id] = (photos[id] || 0) + 1; render(); } },
        `拍照（预览：已有 ${photos[id] || 0} 张）`);
    default:
      return null;
  }
}

const BADGES = { pass: '符合', fail: '不符合', na: '不适用', error: '需更正' };

function card(it, r) {
  const badge = r.outcome === 'info' ? (r.value !== null && it.type !== 'note' ? '已填' : '')
    : r.outcome === 'error' && it.type === 'computed' ? '无法计算' : BADGES[r.outcome] || '';
  const shown = it.type === 'computed' ? h('span', { class: 'computed' }, r.display_value ?? '—') : control(it);
  const msg = r.outcome === 'error' || r.outcome === 'fail' ? r.message || '' : '';
  return h('div', { class: `item item-${it.type}${r.outcome === 'error' ? ' invalid' : ''}`, dataset: { item: it.id, outcome: r.outcome } },
    h('div', { class: 'item-head' },
      h('div', { class: 'item-label' }, it.label, it.unit && it.type !== 'computed' ? h('span', { class: 'unit' }, `（${it.unit}）`) : null),
      badge ? h('span', { class: 'badge', dataset: { kind: r.outcome === 'info' ? 'filled' : r.outcome } }, badge) : null),
    h('div', { class: 'tags' },
      it.veto ? h('span', { class: 'tag tag-bad' }, '一票否决') : null,
      it.critical ? h('span', { class: 'tag tag-warn' }, `关键项（最高${it.critical}）`) : null,
      it.local ? h('span', { class: 'tag' }, '本地标准') : null,
      it.points ? h('span', { class: 'tag' }, `${it.points} 分`) : null),
    it.guidance ? h('details', { class: 'guide' }, h('summary', {}, '检查方法'), h('p', {}, it.guidance)) : null,
    shown ? h('div', { class: 'control' }, shown) : null,
    msg ? h('p', { class: `error field-msg${r.outcome === 'fail' ? ' finding-msg' : ''}` }, msg) : null,
    r.evidence_missing ? h('p', { class: 'error evidence-msg' }, '该项不符合要求，须拍照留证') : null);
}

function scoreLine(result) {
  const p = result.progress;
  if (result.complete && p.answered > 0) return `${result.total === null ? '—' : `${result.total} 分`} · ${result.grade || '未评'}`;
  if (p.answered === 0) return '未开始';
  const projected = p.answered * 2 >= p.items && p.grade;
  return `已得 ${p.earned}/${p.assessed} 分 · ${projected ? `预计 ${p.grade}` : '进行中'}`;
}

function render() {
  if (!school) return;
  const result = score(compiled, school.school, responses());
  const sections = compiled.sections.filter((s) => result.sections.find((x) => x.id === s.id)?.applicable);
  const scrolled = screen.scrollTop; // an answer re-renders the screen: stay where the thumb was
  clear(screen);
  if (!sections.length) {
    screen.append(h('p', { class: 'card warn', id: 'preview-none' }, '这份检查单的各部分都不适用于这所学校。'));
    return;
  }
  section = Math.min(section, sections.length - 1);
  const sec = sections[section];
  const p = result.progress;
  screen.append(
    h('div', { class: 'scorebar', id: 'preview-scorebar' },
      h('div', { class: 'sb-row sb-head' }, h('div', { class: 'sb-school' }, h('strong', {}, school.name))),
      h('div', { class: 'sb-row sb-score' },
        h('span', { class: 'sb-total', id: 'preview-score' }, scoreLine(result)),
        h('span', { class: 'meta' }, `已答 ${p.answered}/${p.items}`)),
      result.cap ? h('p', { class: 'meta sb-cap' }, result.cap.reason) : null),
    h('section', { class: 'section' },
      h('h1', {}, `${section + 1}/${sections.length} ${sec.title}`),
      sec.guidance ? h('p', { class: 'muted' }, sec.guidance) : null,
      sec.items.map((it) => {
        const r = result.items[it.id];
        return r.outcome === 'not_applicable' ? null : card(it, r);
      })),
    h('nav', { class: 'preview-nav' },
      h('button', { type: 'button', class: 'button', id: 'preview-prev', disabled: section === 0, onclick: () => { section -= 1; render(); screen.scrollTop = 0; } }, '上一部分'),
      h('button', { type: 'button', class: 'button', id: 'preview-next', disabled: section >= sections.length - 1, onclick: () => { section += 1; render(); screen.scrollTop = 0; } }, '下一部分')),
    result.findings.length ? h('section', { class: 'card', id: 'preview-findings' }, h('h2', {}, '存在问题（预览）'),
      h('ul', {}, result.rectifications.map((f) => h('li', {}, `${f.problem} — ${f.action}（${f.owner}，${f.days} 天）`)))) : null);
  $('#preview-total').textContent = scoreLine(result);
  screen.scrollTop = scrolled;
}

function choose() {
  school = data.schools.find((s) => String(s.id) === picker.value) || null;
  draft.answers = {}; draft.raw = {}; na = []; photos = {}; section = 0;
  render();
}

picker.addEventListener('change', choose);
$('#preview-reset')?.addEventListener('click', choose);
if (!picker.value && data.schools.length) picker.value = String(data.schools[0].id);
choose();
document.body.dataset.previewReady = '1';
