// The form's views of a draft it does not edit (loaded when first shown): the locked inspection
// (form.js renderLocked), what the principal reads right after signing, offline too, and later
// the link to the official PDF; the draft another tab or another account has.

import * as store from './store.js';
import { $, clear, h, STATE_NAMES } from './util.js';

// What the principal reads on the phone right after signing, offline too: the engine's score
// and grade (and why it is capped), the findings, and the rectification list with deadlines.
export function summaryOf(res, rectifications) {
  return {
    total: res.total, grade: res.grade, score_grade: res.score_grade ?? null, capped: !!res.capped,
    cap_reason: res.cap?.reason || '', vetoes: res.vetoes.map((v) => v.problem),
    findings: res.findings.map((f) => ({ problem: f.problem, basis: f.basis || '', local: !!f.local })),
    rectifications: rectifications.map((r) => ({ problem: r.problem, action: r.action, owner: r.owner, deadline: r.deadline })),
  };
}

export function summaryView(head, sum, lowestGrade) {
  return h('section', { class: 'card result-summary', id: 'result-summary' },
    h('h2', {}, '检查结果'),
    h('p', { class: 'meta' }, head),
    h('div', { class: 'summary' },
      h('div', { class: 'big-score' }, h('span', { id: 'summary-total' }, sum.total === null ? '—' : String(sum.total)), h('small', {}, ' 分')),
      h('div', { class: `grade-pill grade-${sum.grade === lowestGrade ? 'veto' : 'ok'}`, id: 'summary-grade' }, sum.grade || '未评')),
    sum.cap_reason ? h('p', { class: sum.capped ? 'error' : 'meta', id: 'summary-cap' },
      sum.capped ? `等级受限：${sum.cap_reason}（按得分为${sum.score_grade || '未评'}）` : sum.cap_reason) : null,
    sum.vetoes.length ? h('p', { class: 'error' }, `一票否决：${sum.vetoes.join('；')}`) : null,
    h('h3', {}, `发现的问题（${sum.findings.length}）`),
    sum.findings.length ? h('ol', { class: 'findings', id: 'summary-findings' }, sum.findings.map((f) => h('li', {}, f.problem,
      f.basis ? h('span', { class: 'meta' }, `依据：${f.basis}${f.local ? '（本地标准）' : ''}`) : null)))
      : h('p', { class: 'muted' }, '未发现问题。'),
    h('h3', {}, `整改清单（${sum.rectifications.length} 项）`),
    sum.rectifications.length ? h('ol', { class: 'summary-rects', id: 'summary-rects' }, sum.rectifications.map((r) => h('li', {},
      h('strong', {}, r.problem), h('span', { class: 'meta' }, `整改措施：${r.action}`),
      h('span', { class: 'meta' }, `责任人：${r.owner || '—'} · 整改期限：`, h('b', { class: 'deadline' }, r.deadline)))))
      : h('p', { class: 'muted' }, '没有需要整改的项目。'));
}

export function reportLink(url) {
  return h('a', { class: 'button primary wide', id: 'report-link', href: url }, '查看正式报告与签章 PDF');
}

// The locked draft: its upload state, the result summary, and the whole record folded away.
export function renderLocked(main, { draft, sections, summary, lowest, card }) {
  main.append(h('h1', {}, '检查已锁定'));
  const state = h('p', { class: 'lock-state', id: 'lock-state' }, '已签名锁定，不能再修改。');
  const official = h('p', { class: 'hint', id: 'official-hint' }, '正式报告（签章 PDF，可扫码核验）在上传后由服务器生成，联网后可在此查看。');
  const statusCard = h('section', { class: 'card' }, state, official,
    h('a', { class: 'button wide', href: '/inspector/' }, '返回工作台，查看上传状态'));
  main.append(statusCard, summaryView(`${draft.school.name} · ${draft.type} · ${draft.date}`, summary, lowest));
  const box = h('section', { class: 'section locked' });
  for (const sec of sections) {
    box.append(h('h2', {}, sec.title));
    for (const it of sec.items) box.append(card(it.id));
  }
  main.append(h('details', { class: 'card locked-record' }, h('summary', {}, '查看全部检查记录'), box));
  const showState = async () => {
    const item = await store.get('outbox', draft.id);
    const sent = await store.get('submitted', draft.id);
    state.textContent = sent ? '服务器已收到。' : item ? `已签名锁定 · ${STATE_NAMES[item.state] || item.state}${item.message && item.message !== STATE_NAMES[item.state] ? `：${item.message}` : ''}` : '已签名锁定。';
    state.dataset.state = sent ? 'submitted' : item?.state || '';
    if (sent?.report_url && !$('#report-link')) official.replaceWith(reportLink(sent.report_url));
  };
  addEventListener('outbox-change', showState);
  showState();
}


// The cards of a draft this page may not edit, loaded only when one is shown: another tab of
// this phone is filling it (`takeOver` moves it here), or another account started it.
export function renderElsewhere(main, draft, takeOver) {
  const button = h('button', { type: 'button', class: 'button primary wide', id: 'edit-here', onclick: () => {
    button.disabled = true;
    button.textContent = '正在等待另一个页面保存…';
    takeOver();
  } }, '在此页面继续填写');
  clear(main).append(h('section', { class: 'card', id: 'elsewhere' },
    h('h1', {}, '这份检查正在另一个页面中填写'),
    h('p', {}, `${draft.school?.name || ''} · ${draft.type} · ${draft.date}`),
    h('p', {}, '同一份检查同一时间只能在一个页面中填写，以免两处的修改互相覆盖。已填写的内容都保存在本机。'),
    button,
    h('a', { class: 'button wide', href: '/inspector/' }, '返回工作台')));
}

export function renderNotYours(main, owner) {
  clear(main).append(h('section', { class: 'card', id: 'not-yours' },
    h('h1', {}, '这份检查由另一账号填写'),
    h('p', {}, `这份检查由 ${owner.display_name}（${owner.username}）填写，当前登录的账号不能打开。请 ${owner.display_name} 本人登录后继续填写；已填写的内容仍保存在本机。`),
    h('a', { class: 'button wide', href: '/inspector/' }, '返回工作台')));
}
