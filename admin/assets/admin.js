// Progressive enhancement shared by every console page: everything works without it.

// Forms marked data-confirm ask before they are sent (erasing, revoking, disabling...).
document.addEventListener('submit', (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
});

// A language choice applies at once.
const select = document.getElementById('locale-select');
if (select) {
  select.addEventListener('change', () => select.form?.requestSubmit());
}

// "Select all" boxes of bulk forms.
for (const box of document.querySelectorAll('input[data-select-all]')) {
  box.addEventListener('change', () => {
    for (const other of document.querySelectorAll(`input[name="${box.dataset.selectAll}"]`)) other.checked = box.checked;
  });
}
