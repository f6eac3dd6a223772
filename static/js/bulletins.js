// The bulletin form: changing 时段类型 shows that kind's period list in place. Nothing is
// reloaded, so the chosen checklist and the typed 点评 stay as they are (a reload used to
// reset the checklist, and a bulletin was once issued over the wrong one). Without script
// every kind's list stays visible under its own name, and the server reads the chosen kind's.
document.addEventListener("DOMContentLoaded", () => {
  const kind = document.getElementById("period-kind");
  if (!kind) return;
  const show = () => {
    for (const label of document.querySelectorAll(".period-key")) {
      const current = label.dataset.kind === kind.value;
      label.hidden = !current;
      label.firstChild.textContent = current ? "时段" : label.dataset.name;
    }
  };
  kind.addEventListener("change", show);
  show();
});
