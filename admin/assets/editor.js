// Enhancements of the editing pages; each page works without them.

// Drag and drop to reorder rows (providers of a channel): the new order is posted with the
// table's order form, the same form the buttons send.
for (const table of document.querySelectorAll('table[data-sortable]')) {
  const form = document.getElementById(table.dataset.sortable);
  const body = table.tBodies[0];
  let dragged;
  body.addEventListener('dragstart', (event) => {
    dragged = event.target.closest('tr');
    dragged?.classList.add('dragging');
  });
  body.addEventListener('dragover', (event) => {
    event.preventDefault();
    const over = event.target.closest('tr');
    if (!dragged || !over || over === dragged) return;
    const after = event.clientY > over.getBoundingClientRect().top + over.offsetHeight / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });
  body.addEventListener('drop', (event) => {
    event.preventDefault();
    dragged?.classList.remove('dragging');
    dragged = undefined;
    for (const input of form.querySelectorAll('input[name="id"]')) input.remove();
    for (const row of body.rows) {
      const input = document.createElement('input');
      input.type = 'hidden';
      input.name = 'id';
      input.value = row.dataset.id;
      form.append(input);
    }
    form.requestSubmit();
  });
}

// The template editor's live preview: while typing, the parts are rendered in English and
// French (the JSON of the preview route), and the email frames reload through their own forms.
const editor = document.getElementById('template-form');
if (editor) {
  let timer;
  let running;
  const show = (section, preview) => {
    const body = section.querySelector('.preview-body');
    body.replaceChildren();
    const add = (tag, text, className) => {
      const element = document.createElement(tag);
      element.textContent = text;
      if (className) element.className = className;
      body.append(element);
      return element;
    };
    if (preview.error) {
      add('p', preview.error, 'field-error');
      for (const e of preview.errors ?? []) add('p', `${e.pointer} ${e.message}`, 'field-error');
      return;
    }
    const list = document.createElement('dl');
    list.className = 'facts';
    body.append(list);
    const fact = (name, value, className) => {
      const dt = document.createElement('dt');
      dt.textContent = name;
      const dd = document.createElement('dd');
      dd.textContent = value;
      if (className) dd.className = className;
      list.append(dt, dd);
    };
    for (const [name, value] of Object.entries(preview.result.parts)) if (name !== 'html') fact(name, typeof value === 'string' ? value : JSON.stringify(value), `part-${name}`);
    const sms = preview.result.sms;
    if (sms) fact('SMS', `${sms.segments} segment(s), ${sms.encoding}, ${sms.characters} characters`, 'sms-info');
    const push = preview.result.push;
    if (push) fact('Push', `title ${push.title.length}/${push.title.displayLimit}, body ${push.body.length}/${push.body.displayLimit}; fits: ${push.fits}`, 'push-info');
    for (const w of preview.result.warnings ?? []) add('p', `⚠ ${w.message}`, 'hint');
  };
  const refresh = async () => {
    running?.abort();
    running = new AbortController();
    const body = new URLSearchParams(new FormData(editor));
    body.delete('action');
    try {
      const response = await fetch(editor.dataset.preview, { method: 'POST', body, headers: { accept: 'application/json' }, signal: running.signal });
      if (!response.ok) return;
      const { previews } = await response.json();
      for (const preview of previews) {
        const section = document.querySelector(`.preview[data-locale="${preview.locale}"]`);
        if (section) show(section, preview);
      }
      for (const button of editor.querySelectorAll('button[data-frame]')) editor.requestSubmit(button);
      document.getElementById('previews').dataset.updated = String(Date.now());
    } catch (err) {
      if (err.name !== 'AbortError') throw err;
    }
  };
  editor.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
}
