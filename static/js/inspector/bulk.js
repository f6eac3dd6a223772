// 本部分其余项均符合: after answering a section's exceptions, the inspector sets the rest of its
// plain checks to their passing answer with one confirmation. Only items whose pass answer
// is unambiguous and that need nothing but a judgement: never a veto or critical item, a
// number, an item that needs a photo even when it passes, nor one with its own pass rule or
// constraint.
// Each item set is kept in draft.bulk (payload bulk_confirmed) and tagged 「批量确认」; any
// tap on it makes it an ordinary answer (form.js touched()). Loaded after the form is usable
// (form.js renderBulk); the service worker precaches it, so it works offline too.

import { score } from '../engine.js';
import { clear, h, toast } from './util.js';

// The one passing answer of a plain check: 是 for a scored 是/否, the one full-marks choice of
// a choice that can fail; undefined when there is none or it is not for the bulk action.
// An item needing a photo only when it fails (evidence: on_fail) qualifies: its pass needs
// none; one needing a photo always does not. The server's rule is checklist/bulk.py
// pass_value (tests/test_bulk_rule.py runs both on the same items).
export function passValue(it) {
  if (it.veto || it.critical != null || it.evidence === 'always' || it.pass_if || it.constraint) return undefined;
  if (it.type === 'yesno') return it.points > 0 ? true : undefined;
  if (it.type !== 'choice' || !it.choices.some((c) => c.fail)) return undefined;
  const ok = it.choices.filter((c) => !c.fail);
  const top = Math.max(...ok.map((c) => c.score ?? 0));
  const best = ok.filter((c) => (c.score ?? 0) === top);
  return best.length === 1 ? best[0].value : undefined;
}

// What the action would set: the section's unanswered items on screen with a pass answer that
// nobody has started on (a note, a photo, carried-over data), then those the answers reveal;
// each must come out 符合 in the engine. `left`: required items still to answer by hand.
export function plan({ sec, draft, compiled, responses }) {
  const { answers, na, photos } = responses();
  const ids = [];
  for (let round = 0, more = true; more && round < 5; round++) {
    more = false;
    const r = score(compiled, draft.school, { answers, na, photos });
    for (const it of sec.items) {
      const v = passValue(it);
      if (v === undefined || ids.includes(it.id) || r.items[it.id]?.outcome !== 'unanswered'
        || draft.notes[it.id] || photos[it.id] || draft.prefill_pending.includes(it.id)) continue;
      answers[it.id] = v;
      ids.push(it.id);
      more = true;
    }
  }
  const r = score(compiled, draft.school, { answers, na, photos });
  return {
    set: new Map(ids.filter((id) => r.items[id].outcome === 'pass').map((id) => [id, answers[id]])),
    left: r.missing.filter((m) => m.section === sec.id).length,
  };
}

let done = null; // the ids the last confirmation set, for 撤销 right after
let open = null; // the slot showing the confirmation

export function forget() {
  done = null;
  open = null;
}

export function render(slot, ctx) {
  if (open === slot) return; // a re-rendered page has a new slot: the sheet is gone
  open = null;
  const { draft } = ctx;
  const { set } = plan(ctx);
  const pending = done ? done.filter((id) => draft.bulk.includes(id)) : [];
  clear(slot).append(
    pending.length ? h('p', { class: 'bulk-done', id: 'bulk-done', role: 'status' },
      h('span', {}, `已将 ${pending.length} 项设为符合，均标注「批量确认」，点另一个选项即可修改`),
      h('button', { type: 'button', class: 'button small', id: 'bulk-undo', onclick: () => {
        undo(ctx, pending);
        done = null;
        ctx.recompute();
      } }, '撤销')) : '',
    set.size ? h('button', { type: 'button', class: 'button wide bulk-open', id: 'bulk-open', onclick: () => ask(slot, ctx) },
      `本部分其余项均符合（${set.size} 项）`) : '');
}

// Set what the sheet listed and still qualifies now; the ids set.
function apply(ctx, listed) {
  const now = plan(ctx).set;
  const ids = [...listed.keys()].filter((id) => now.has(id));
  for (const id of ids) {
    ctx.draft.answers[id] = now.get(id);
    if (!ctx.draft.bulk.includes(id)) ctx.draft.bulk.push(id);
  }
  ctx.invalidateSignatures();
  ctx.save();
  return ids;
}

// 撤销 of what the action set, only where it is still as the action left it: an item changed
// since is the inspector's own answer.
function undo(ctx, ids) {
  const still = ids.filter((id) => ctx.draft.bulk.includes(id));
  for (const id of still) delete ctx.draft.answers[id];
  ctx.draft.bulk = ctx.draft.bulk.filter((x) => !still.includes(x));
  ctx.save();
  return still.length;
}

function ask(slot, ctx) {
  const { set, left } = plan(ctx);
  open = slot;
  const close = (ok) => () => {
    open = null;
    if (ok) done = apply(ctx, set);
    ctx.recompute();
  };
  // Done with the section anyway (nothing left to answer by hand): confirm and move on in the
  // same tap. 撤销 stays offered for a few seconds on the next page (the toast), and brings
  // the inspector back to the section with its items unanswered again; after that each item
  // keeps its 「批量确认」 tag, one tap on another option changes it.
  const andMove = () => {
    open = null;
    const ids = apply(ctx, set);
    const title = ctx.sec.title;
    ctx.forward.go();
    toast(`「${title}」${ids.length} 项已设为符合（批量确认）`, 'info', { label: '撤销', onclick: () => {
      const n = undo(ctx, ids);
      ctx.back();
      toast(`已撤销，${n} 项恢复为未答`);
    } });
  };
  clear(slot).append(h('section', { class: 'card bulk-confirm', id: 'bulk-confirm', role: 'dialog', 'aria-labelledby': 'bulk-title' },
    h('h2', { id: 'bulk-title' }, `将把本部分 ${set.size} 项未答的一般项设为符合`),
    h('ol', { class: 'bulk-list', id: 'bulk-list' }, [...set.keys()].map((id) => h('li', {}, ctx.items[id].it.label))),
    h('p', { class: 'hint', id: 'bulk-left' }, left
      ? `关键项、一票否决项、需填数字和始终须拍照的项不在其内：本部分还有 ${left} 项须逐项作答。`
      : '关键项、一票否决项、需填数字和始终须拍照的项不会批量设置；不符合时才须拍照的项，符合无须照片。'),
    h('p', { class: 'hint' }, '设置后每项标注「批量确认」，点另一个选项即可修改；报告注明按部分批量确认的项数。'),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'button', id: 'bulk-cancel', onclick: close(false) }, '取消'),
      h('button', { type: 'button', class: `button${left || !ctx.forward ? ' primary' : ''}`, id: 'bulk-yes', onclick: close(true) }, '确认'),
      !left && ctx.forward ? h('button', { type: 'button', class: 'button primary', id: 'bulk-yes-next', onclick: andMove }, ctx.forward.label) : '')));
  slot.scrollIntoView({ block: 'center' });
}
