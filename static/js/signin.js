// The login page (templates/auth/login.html): the account about to sign in on this phone,
// noted as the form is sent. Offline, the phone goes by the last bootstrap's user; if the
// signal drops between this login and 工作台's first answer from the server, that would be the
// previous account, and its 回头看 copies would show to this one. phoneUser() in
// static/js/inspector/followup_home.js reads this note: another account signed in since the
// last bootstrap, so no copy is shown until the server says who is logged in.
// localStorage, not IndexedDB: written at once, before the page goes, with no await.

const PENDING = 'inspect-login-pending';

const username = document.querySelector('#username');
document.querySelector('form[method=post]')?.addEventListener('submit', () => {
  try {
    localStorage.setItem(PENDING, JSON.stringify({ username: username?.value.trim() || '', at: new Date().toISOString() }));
  } catch {
    /* no storage (a private window): nothing is kept there either */
  }
});
