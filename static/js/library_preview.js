// The library's phone preview: the frame shows the phone's own form page (inspector/preview.js
// boots form.js there); choosing a school, or 清空答案, opens that page afresh for the school.

const picker = document.getElementById('preview-school');
const frame = document.getElementById('preview-frame');

function open() {
  frame.src = `${picker.dataset.frameUrl}?school=${encodeURIComponent(picker.value)}`;
}

if (frame) {
  picker.addEventListener('change', open);
  document.getElementById('preview-reset')?.addEventListener('click', open);
}
