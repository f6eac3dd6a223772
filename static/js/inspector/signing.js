// 签名与提交 on the phone, loaded with the review's code when the review or signing page first
// opens (form.js loadFinish); the service worker precaches it, so it works offline too.

import { SignaturePad } from './signature.js';
import { formatTime, h } from './util.js';

const ROLES = [
  { key: 'inspector', title: '督学签名', defaultTitle: '督学' },
  { key: 'school', title: '学校负责人签名', defaultTitle: '校长' },
];

// The sides whose signature a changed name or title cancelled on this page, told so beside
// the pad until they sign again.
const voided = new Set();

// The signing page (form.js renderSign): names prefilled with who usually signs, typed names
// kept before 确认签名, a pad per side, then 锁定并提交 once both have signed.
export function renderSign(main, { draft, result, block, missingList, save, render, submit, usual }) {
  main.append(h('h1', {}, '签名与提交'));
  if (block.length) {
    main.append(h('section', { class: 'card warn', id: 'missing' }, h('h2', {}, `还有 ${block.length} 项需要处理，完成后才能签名`), missingList(block)));
    return;
  }
  main.append(h('p', { class: 'card summary-line' }, `${draft.school.name} · ${draft.type} · ${draft.date} · 得分 ${result.total ?? '—'} · ${result.grade || '未评'}`));
  const pads = [];
  for (const role of ROLES) {
    const saved = draft.signatures[role.key];
    // Typed but not yet signed: kept in the draft, so a reload before 确认签名 loses nothing.
    const typed = draft.signers?.[role.key] || {};
    // who usually signs: the inspector's own name, and the principal the registry knows
    const name = h('input', { type: 'text', id: `sig-${role.key}-name`, value: saved?.name ?? typed.name ?? usual[role.key], autocomplete: 'off' });
    const title = h('input', { type: 'text', id: `sig-${role.key}-title`, value: saved?.title ?? typed.title ?? role.defaultTitle, autocomplete: 'off' });
    // A signed side's name or title changed (a misspelt name noticed after 确认签名): the
    // signature stood for the old words and was sent with them, so it is cancelled and the
    // side signs again under the corrected name; the page is drawn again with the caret kept.
    // Not while an input method is still composing the name (pinyin): a new page would end it.
    const keepTyped = (e) => {
      if (e.isComposing) return;
      draft.signers = { ...(draft.signers || {}), [role.key]: { name: name.value, title: title.value } };
      if (draft.signatures[role.key] && (name.value.trim() !== saved.name || title.value.trim() !== saved.title)) {
        delete draft.signatures[role.key];
        voided.add(role.key);
        const field = e.target.id;
        const caret = e.target.selectionStart;
        save();
        render();
        const again = document.getElementById(field);
        again?.focus();
        again?.setSelectionRange?.(caret, caret);
        return;
      }
      save();
    };
    for (const input of [name, title]) {
      input.addEventListener('input', keepTyped);
      input.addEventListener('compositionend', keepTyped);
    }
    const err = h('p', { class: 'error', hidden: true, id: `sig-${role.key}-error` });
    const box = h('section', { class: 'card sign', id: `sign-${role.key}`, dataset: { signed: saved ? '1' : '0' } },
      h('h2', {}, role.title),
      h('div', { class: 'rect-row' },
        h('div', { class: 'field' }, h('label', { for: name.id }, '姓名'), name),
        h('div', { class: 'field' }, h('label', { for: title.id }, '职务'), title)));
    if (saved) {
      box.append(h('img', { class: 'sig-img', src: saved.png, alt: `${saved.name}的签名` }),
        h('p', { class: 'meta' }, `已签名 ${formatTime(saved.signed_at)}`),
        h('button', { type: 'button', class: 'button', onclick: () => { delete draft.signatures[role.key]; save(); render(); } }, '重新签名'));
      main.append(box);
      continue;
    }
    const canvas = h('canvas', { class: 'pad', id: `pad-${role.key}`, 'aria-label': `${role.title}区域` });
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
    main.append(box);
    let pad;
    pads.push(() => { pad = new SignaturePad(canvas); });
  }
  pads.forEach((make) => make()); // after insertion, so the canvas has its layout size
  const both = ROLES.every((r) => draft.signatures[r.key]);
  main.append(h('button', { type: 'button', class: 'button primary wide big', id: 'submit', disabled: !both, onclick: submit }, '锁定并提交'));
  main.append(h('p', { class: 'hint center' }, both ? '提交后本机上的检查将锁定，不能再修改；没有网络时先保存在「待上传」，有网络后自动上传。' : '双方签名后才能提交。'));
}
