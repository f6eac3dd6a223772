// Interview records (座谈了解) on the review screen of the inspection form.
//
// An interview is written in an editor (kept in the draft as `interview_draft`, so closing the
// page loses nothing) and joins the inspection's `interviews` only once it is complete by the
// same rules the server applies (inspect_app/inspections/interviews.py): the sent payload is
// never refused for an interview, and the school signs what is listed. A statement marked
// 列为问题 becomes a rectification item with its own measure, owner and deadline.
import { h } from './util.js';

export const GROUPS = ['教师', '学生', '家长', '村干部', '学校领导', '其他'];
const LIMITS = { topics: 300, text: 500, action: 300, owner: 50, days: 365, participants: 1000, statements: 30, interviews: 20 };

function blankStatement() {
  return { text: '', finding: false, action: '', owner: '校长', days: 30 };
}

function blank() {
  return { group: '', participants: '', topics: '', statements: [blankStatement()] };
}

const trimmed = (v) => (typeof v === 'string' ? v.trim() : '');

// The problems of an editor's record, in Chinese, and the record as it would be sent.
export function check(record) {
  const problems = [];
  if (!GROUPS.includes(record.group)) problems.push('请选择座谈对象');
  const participants = Number(record.participants);
  if (!Number.isInteger(participants) || participants < 1 || participants > LIMITS.participants) {
    problems.push(`参加人数应为 1 至 ${LIMITS.participants} 的整数`);
  }
  const topics = trimmed(record.topics);
  if (!topics || topics.length > LIMITS.topics) problems.push(`请填写座谈主题（不超过 ${LIMITS.topics} 字）`);
  const statements = [];
  record.statements.forEach((s, k) => {
    const text = trimmed(s.text);
    if (!text && !s.finding && record.statements.length > 1) return; // an empty extra row
    if (!text || text.length > LIMITS.text) problems.push(`第 ${k + 1} 条反映：请填写内容（不超过 ${LIMITS.text} 字）`);
    const out = { text, finding: !!s.finding };
    if (s.finding) {
      const days = Number(s.days);
      out.action = trimmed(s.action);
      out.owner = trimmed(s.owner);
      out.days = days;
      if (!out.action || out.action.length > LIMITS.action) problems.push(`第 ${k + 1} 条反映：列为问题时须填写整改措施`);
      if (!out.owner || out.owner.length > LIMITS.owner) problems.push(`第 ${k + 1} 条反映：列为问题时须填写责任人`);
      if (!Number.isInteger(days) || days < 1 || days > LIMITS.days) problems.push(`第 ${k + 1} 条反映：整改期限应为 1 至 ${LIMITS.days} 天`);
    }
    statements.push(out);
  });
  if (!statements.length) problems.push('请至少记录一条主要反映');
  if (statements.length > LIMITS.statements) problems.push(`最多记录 ${LIMITS.statements} 条主要反映`);
  return { problems, record: { group: record.group, participants, topics, statements } };
}

// What the payload carries (docs/sync-api.md "interviews").
export function interviewsPayload(draft) {
  return (draft.interviews || []).map((i) => ({ ...i, statements: i.statements.map((s) => ({ ...s })) }));
}

// The card on the review screen. `onEdit` persists the editor (no effect on signatures);
// `onChange` runs after the list itself changed (the signatures no longer cover it).
export function interviewsCard(draft, { locked = false, onEdit, onChange }) {
  draft.interviews = draft.interviews || [];
  const card = h('section', { class: 'card', id: 'interviews' });

  function renderList() {
    return draft.interviews.map((iv, n) => h('div', { class: 'interview rect', dataset: { index: String(n) } },
      h('p', { class: 'rect-problem' }, `${iv.group}座谈（${iv.participants} 人）：${iv.topics}`),
      h('ol', {}, iv.statements.map((s) => h('li', {}, s.text,
        s.finding ? h('span', { class: 'meta' }, `列为问题：${s.action}（${s.owner}，${s.days} 天内）`) : null))),
      locked ? null : h('button', {
        type: 'button', class: 'button small', onclick: () => {
          draft.interviews.splice(n, 1);
          onChange();
          render();
        },
      }, '删除这场座谈')));
  }

  function editor() {
    const rec = draft.interview_draft;
    const edit = (fn) => (e) => { fn(e); onEdit(); };
    const box = h('div', { class: 'interview-editor', id: 'interview-editor' });
    box.append(
      h('div', { class: 'rect-row' },
        h('div', { class: 'field' }, h('label', {}, '座谈对象',
          h('select', { name: 'group', onchange: edit((e) => { rec.group = e.target.value; }) },
            h('option', { value: '' }, '请选择'),
            GROUPS.map((g) => h('option', { value: g, selected: rec.group === g }, g))))),
        h('div', { class: 'field' }, h('label', {}, '参加人数',
          h('input', { type: 'number', name: 'participants', min: 1, max: LIMITS.participants, inputmode: 'numeric', value: rec.participants, oninput: edit((e) => { rec.participants = e.target.value; }) })))),
      h('div', { class: 'field' }, h('label', {}, '座谈主题',
        h('input', { type: 'text', name: 'topics', maxlength: LIMITS.topics, value: rec.topics, placeholder: '如：资助政策知晓、营养餐、控辍保学', oninput: edit((e) => { rec.topics = e.target.value; }) }))));
    rec.statements.forEach((s, k) => {
      const findingFields = h('div', { class: 'finding-fields', hidden: !s.finding },
        h('div', { class: 'field' }, h('label', {}, '整改措施',
          h('textarea', { rows: 2, name: 'action', maxlength: LIMITS.action, oninput: edit((e) => { s.action = e.target.value; }) }, s.action))),
        h('div', { class: 'rect-row' },
          h('div', { class: 'field' }, h('label', {}, '责任人', h('input', { type: 'text', name: 'owner', maxlength: LIMITS.owner, value: s.owner, oninput: edit((e) => { s.owner = e.target.value; }) }))),
          h('div', { class: 'field' }, h('label', {}, '期限（天）', h('input', { type: 'number', name: 'days', min: 1, max: LIMITS.days, inputmode: 'numeric', value: s.days, oninput: edit((e) => { s.days = e.target.value; }) })))));
      box.append(h('div', { class: 'statement', dataset: { index: String(k) } },
        h('div', { class: 'field' }, h('label', {}, `主要反映 ${k + 1}`,
          h('textarea', { rows: 2, name: 'text', maxlength: LIMITS.text, oninput: edit((e) => { s.text = e.target.value; }) }, s.text))),
        h('label', { class: 'check' }, h('input', {
          type: 'checkbox', name: 'finding', checked: s.finding, onchange: edit((e) => {
            s.finding = e.target.checked;
            findingFields.hidden = !s.finding;
          }),
        }), ' 列为问题（进入整改清单）'),
        findingFields));
    });
    const messages = h('ul', { class: 'error', id: 'interview-problems' });
    box.append(
      h('button', { type: 'button', class: 'button small', id: 'add-statement', onclick: () => { rec.statements.push(blankStatement()); onEdit(); render(); } }, '再记一条反映'),
      messages,
      h('div', { class: 'rect-row' },
        h('button', {
          type: 'button', class: 'button primary', id: 'save-interview', onclick: () => {
            const { problems, record } = check(rec);
            messages.replaceChildren(...problems.map((p) => h('li', {}, p)));
            if (problems.length) return;
            draft.interviews.push(record);
            draft.interview_draft = null;
            onChange();
            render();
          },
        }, '保存这场座谈'),
        h('button', { type: 'button', class: 'button', onclick: () => { draft.interview_draft = null; onEdit(); render(); } }, '取消')));
    return box;
  }

  function render() {
    card.replaceChildren(h('h2', {}, `座谈记录（${draft.interviews.length} 场）`), ...renderList());
    if (!draft.interviews.length && !draft.interview_draft) card.append(h('p', { class: 'muted' }, '未记录座谈。'));
    if (locked) return;
    if (draft.interview_draft) card.append(editor());
    else if (draft.interviews.length < LIMITS.interviews) {
      card.append(h('button', {
        type: 'button', class: 'button', id: 'add-interview', onclick: () => { draft.interview_draft = blank(); onEdit(); render(); },
      }, '记录一场座谈'));
    }
  }

  render();
  return card;
}
