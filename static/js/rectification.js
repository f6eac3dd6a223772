// The school's reply form (整改情况): the evidence picker in Chinese, with what was chosen and
// what the server already kept after an error; a completion date after today refused before
// sending (the server refuses it too). Plain JS, no build step.

const FUTURE = '整改完成日期不能晚于今天';

function fieldError(field, input, message) {
  let p = field.querySelector('p.error[data-client]');
  if (!message) {
    if (p) p.remove();
    input.setAttribute('aria-invalid', 'false');
    field.classList.toggle('has-error', !!field.querySelector('p.error'));
    return;
  }
  if (!p) {
    p = document.createElement('p');
    p.className = 'error';
    p.dataset.client = '';
    p.id = `${input.id}-client-error`;
    input.insertAdjacentElement('afterend', p);
  }
  p.textContent = message;
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', p.id);
  field.classList.add('has-error');
}

// Dates: an ISO date compares as text; ``max`` is today on the server's calendar.
function checkDate(input) {
  const tooLate = input.value && input.max && input.value > input.max;
  fieldError(input.closest('.field'), input, tooLate ? FUTURE : '');
  return !tooLate;
}

for (const input of document.querySelectorAll('input[type=date][max]')) {
  input.addEventListener('change', () => checkDate(input));
  input.addEventListener('input', () => checkDate(input));
  input.form?.addEventListener('submit', (event) => {
    if (!checkDate(input)) {
      event.preventDefault();
      input.focus();
    }
  });
}

// Evidence: the control itself is hidden behind a Chinese button; the list shows each choice.
for (const box of document.querySelectorAll('[data-evidence]')) {
  const input = box.querySelector('input[type=file]');
  const chosen = box.querySelector('.chosen');
  const urls = [];
  input.addEventListener('change', () => {
    for (const url of urls.splice(0)) URL.revokeObjectURL(url);
    chosen.replaceChildren();
    for (const file of input.files) {
      const li = document.createElement('li');
      if (file.type.startsWith('image/')) {
        const img = document.createElement('img');
        const url = URL.createObjectURL(file);
        urls.push(url);
        img.src = url;
        img.alt = '';
        li.append(img);
      } else {
        const tag = document.createElement('span');
        tag.className = 'pdf';
        tag.textContent = 'PDF';
        li.append(tag);
      }
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = `${file.name}（${(file.size / 1048576).toFixed(1)} MB）`;
      li.append(name);
      chosen.append(li);
    }
    const label = box.querySelector('.file-button');
    label.textContent = input.files.length ? `已选择 ${input.files.length} 个文件，点此重新选择` : '拍照 / 选择照片或 PDF';
  });
  box.addEventListener('click', (event) => {
    const button = event.target.closest('[data-remove]');
    if (button) button.closest('li[data-kept]').remove();
  });
}
