// Small DOM and formatting helpers shared by the inspector pages. No dependencies.

// h('div', {class: 'x', onclick: fn}, child, 'text', [more]) → Element. Text is always a text node
// (never innerHTML), so names typed by people cannot inject markup.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// Local calendar date as YYYY-MM-DD (the inspector's day, not UTC's).
// Beijing time whatever the phone's own time zone: dates and times the inspector, the
// principal and the report read are China Standard Time (UTC+8, no daylight saving).
const BEIJING_MS = 8 * 3600 * 1000;
const p2 = (n) => String(n).padStart(2, '0');
const ymd = (u) => `${u.getUTCFullYear()}-${p2(u.getUTCMonth() + 1)}-${p2(u.getUTCDate())}`;

export function today(d = new Date()) {
  return ymd(new Date(d.getTime() + BEIJING_MS));
}

export function addDays(dateText, days) {
  const [y, m, d] = dateText.split('-').map(Number);
  return ymd(new Date(Date.UTC(y, m - 1, d + Number(days || 0))));
}

export function formatTime(iso, { seconds = false } = {}) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const b = new Date(d.getTime() + BEIJING_MS);
  return `${ymd(b)} ${p2(b.getUTCHours())}:${p2(b.getUTCMinutes())}${seconds ? `:${p2(b.getUTCSeconds())}` : ''}`;
}

export function formatBytes(n) {
  if (!Number.isFinite(n)) return '';
  if (n < 1024 * 1024) return `${Math.max(1, Math.round(n / 1024))} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

export async function sha256Hex(blob) {
  const buf = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; fall back to the same RFC 4122 v4 layout.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// What went wrong, in words the inspector can read: the browser's own messages are English
// (「The source image cannot be decoded.」), so its errors are told by name; our own errors,
// already Chinese, pass as they are.
const ERROR_TEXT = {
  // a HEIC picked from the gallery, or a damaged file: Chromium on Android decodes no HEIC
  EncodingError: '无法读取这张照片（可能是手机的 HEIC 格式，请在相机设置中改为“兼容性最佳”/JPEG 后重拍）',
  NotReadableError: '无法读取这个文件，请重新选择',
  QuotaExceededError: '手机存储空间已满，请先上传已完成的检查，或清理手机中的照片、视频等释放空间',
  // IndexedDB: a transaction the browser ended (page closing, storage trouble) or a lost connection
  AbortError: '本机存储被浏览器中断，未能保存',
  InvalidStateError: '本机存储暂时不可用，请关闭其他检查页面后重新打开本页',
  UnknownError: '本机存储出现未知错误，请重启浏览器后重试',
  NotFoundError: '本机存储中找不到所需的数据，请重新打开本页',
  DataCloneError: '数据无法保存到本机',
  TimeoutError: '操作超时，请重试',
  NetworkError: '网络不通，请稍后重试',
};

export function errorText(e) {
  const message = String(e?.message || e || '');
  if (/[\u4e00-\u9fff]/.test(message)) return message;
  return ERROR_TEXT[e?.name] || '出现未知错误，请重试';
}

// The server's reason for refusing, with its per-field messages (docs/sync-api.md: `fields`,
// each already Chinese), e.g. 「提交的检查数据有误：检查日期不能晚于今天」: the generic line alone
// tells the inspector nothing they can act on or pass to the county office.
export function rejection(body, fallback) {
  const fields = body?.fields && typeof body.fields === 'object' ? Object.values(body.fields) : [];
  const head = body?.message || body?.error || fallback || '';
  // a refusal for what it is (不在督导计划内) names the school field with the message itself
  const said = fields.filter((v) => typeof v === 'string' && v.trim() && v !== head);
  return said.length ? `${head}：${said.join('；')}` : head;
}

let toastTimer = null;
// action: {label, onclick} adds one button (e.g. 撤销), and the toast stays longer to reach it.
export function toast(message, kind = 'info', action = null) {
  let el = document.getElementById('toast');
  if (!el) {
    el = h('div', { id: 'toast', class: 'toast', role: 'status', 'aria-live': 'polite' });
    document.body.append(el);
  }
  clear(el).append(h('span', {}, message));
  if (action) {
    el.append(h('button', { type: 'button', class: 'toast-action', id: 'toast-action', onclick: () => {
      el.hidden = true;
      action.onclick();
    } }, action.label));
  }
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, action ? 8000 : 3500);
}

// A persistent message under the top bar (login expired, storage problems …).
export function banner(message, link) {
  if (typeof document === 'undefined') return; // in the service worker (Background Sync)
  const el = document.getElementById('banner');
  if (!el) return;
  clear(el);
  if (!message) {
    el.hidden = true;
    return;
  }
  el.append(message);
  if (link) el.append(' ', h('a', { href: link.href, class: 'banner-link' }, link.text));
  el.hidden = false;
}

// The online/offline dot in the top bar.
export function watchNetwork() {
  const el = document.getElementById('net');
  const show = () => {
    if (!el) return;
    el.textContent = navigator.onLine ? '在线' : '离线';
    el.dataset.state = navigator.onLine ? 'online' : 'offline';
  };
  addEventListener('online', show);
  addEventListener('offline', show);
  show();
}

// Where the browser has Background Sync (Chromium), the service worker is a module that
// imports the outbox, so the outbox is sent when the signal returns even with no inspector page
// open; elsewhere (or if a module worker is refused) the classic one, and the outbox is sent
// whenever an inspector page is open.
export function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  const classic = () => navigator.serviceWorker.register('/sw.js', { scope: '/' });
  const start = 'SyncManager' in window
    ? navigator.serviceWorker.register('/sw.js?module=1', { scope: '/', type: 'module' }).catch(classic)
    : classic();
  start.catch(() => {
    // No service worker (e.g. private mode): the pages still work online, and drafts still
    // live in IndexedDB.
  });
}

export async function requestPersistence() {
  try {
    if (navigator.storage?.persist && !(await navigator.storage.persisted())) {
      await navigator.storage.persist();
    }
  } catch {
    /* not supported: nothing more we can do */
  }
}

export async function storageSummary() {
  if (!navigator.storage?.estimate) return '';
  try {
    const [est, persisted] = await Promise.all([
      navigator.storage.estimate(),
      navigator.storage.persisted ? navigator.storage.persisted() : false,
    ]);
    const text = `本机已用存储 ${formatBytes(est.usage || 0)}` +
      (est.quota ? `，可用约 ${formatBytes(est.quota)}` : '');
    return text + (persisted ? '（已设为持久保存）' : '（浏览器可能在空间不足时清理，请及时上传）');
  } catch {
    return '';
  }
}

export const STATE_NAMES = {
  queued: '等待上传',
  uploading: '正在上传',
  waiting: '网络不通，稍后自动重试',
  auth: '登录已过期，请重新登录',
  conflict: '数据冲突',
  rejected: '服务器拒收',
  other_user: '其他督学的检查，当前账号不能上传',
};
