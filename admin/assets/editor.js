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
