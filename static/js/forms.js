// Small form behaviours for the server-rendered pages, kept out of the templates because the
// Content-Security-Policy allows no inline script and no onchange/onsubmit attributes.
//
// Filter selects apply themselves when changed (the pages keep a submit button for browsers
// without JavaScript):
//   <select data-autosubmit data-autosubmit-clear="key">  clears field "key" before submitting
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!(select instanceof HTMLSelectElement) || !select.hasAttribute("data-autosubmit")) return;
  const form = select.form;
  if (!form) return;
  const clear = select.dataset.autosubmitClear;
  if (clear && form.elements.namedItem(clear)) form.elements.namedItem(clear).value = "";
  form.submit();
});

//   <form data-confirm="确定删除吗？">  asks before submitting
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
