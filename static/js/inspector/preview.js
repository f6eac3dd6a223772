// 预览 in the checklist library: the phone's own form (form.js, unchanged code) on a checklist
// version that may not be published yet, for a school chosen on the library page. The page is
// framed at phone size by the upload or version page (templates/library/phone.html).
//
// Nothing of it can mix with real work: store.js opens a separate IndexedDB namespace on this
// page (inspect-preview, emptied each time a preview opens), the draft and the checklist are
// put there from the page's data instead of the sync API, and form.js in preview mode
// registers no service worker, starts no outbox and refuses to submit. Photos and notes work
// as on the phone and stay in the preview namespace until the next preview opens.

import { appliesTo } from '../engine.js';
import * as store from './store.js';
import { $, clear, h, today, uuid } from './util.js';

const data = JSON.parse($('#preview-data').textContent);

function showBanner() {
  // the banner takes the place of 网站首页 in the sticky top bar; the brand goes nowhere
  const banner = $('#preview-banner');
  const site = $('#site-link');
  if (banner && site) site.replaceWith(banner);
  $('.topbar .brand')?.removeAttribute('href');
}

function draftFor(compiled) {
  const now = new Date().toISOString();
  // the shape new.js gives a draft when an inspector starts an inspection
  return {
    id: `preview-${uuid()}`, status: 'draft', preview: true, school_id: data.school_id, school: data.school,
    school_info: data.school_info, checklist_hash: compiled.hash, checklist_id: compiled.id,
    checklist_title: compiled.title, type: '预览', date: today(), location: null, location_note: '预览',
    answers: {}, na: [], notes: {}, prefilled: [], prefill_pending: [], rectifications: {},
    signatures: {}, previous: { none: true }, started_at: now, updated_at: now, section: 0,
    inspector: data.user,
  };
}

async function boot() {
  showBanner();
  const compiled = data.checklist;
  let applies = true;
  try {
    applies = appliesTo(compiled, data.school);
  } catch {
    applies = false;
  }
  if (!applies) {
    clear($('#form-root')).append(h('section', { class: 'card warn', id: 'preview-none' },
      h('p', {}, `这份检查单不适用于${data.school.name}（按检查单的适用范围），督学在这所学校开始检查时不会看到它。请换一所学校预览。`)));
    document.body.dataset.ready = '1';
    return;
  }
  await store.resetPreview();
  const draft = draftFor(compiled);
  await store.putMeta(`checklist:${compiled.hash}`, compiled);
  await store.put('drafts', draft);
  history.replaceState(null, '', `${location.pathname}${location.search}#${encodeURIComponent(draft.id)}`);
  await import('./form.js');
}

boot().catch((e) => {
  clear($('#form-root')).append(h('p', { class: 'card error' }, `预览无法打开：${e.message}`));
});
