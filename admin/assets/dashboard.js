// The dashboard's charts (uPlot, served by the gateway) and its live updates (server-sent events).
const data = JSON.parse(document.getElementById('dashboard-data').textContent);
const LABELS = JSON.parse(document.getElementById('dashboard-labels')?.textContent ?? '{}');
const PALETTE = ['#0b5cad', '#a4161a', '#1a6b32', '#7a4b00', '#5b2a86', '#00606e', '#8a2a5c', '#3d3d3d'];
const charts = new Map();

function seriesOf(snapshot, name) {
  const entries = Object.entries(snapshot[name] ?? {});
  const x = snapshot.buckets.map((b) => Date.parse(b) / 1000);
  return { labels: entries.map(([k]) => (Object.hasOwn(LABELS, k) ? LABELS[k] : k)), data: [x, ...entries.map(([, v]) => v)] };
}

function draw(figure, snapshot) {
  const { labels, data: values } = seriesOf(snapshot, figure.dataset.series);
  const key = labels.join(',');
  const existing = charts.get(figure.id);
  if (existing && existing.key === key) {
    existing.plot.setData(values);
    return;
  }
  existing?.plot.destroy();
  const width = Math.max(280, figure.clientWidth - 16);
  const plot = new uPlot(
    {
      width,
      height: 200,
      series: [{}, ...labels.map((label, i) => ({ label, stroke: PALETTE[i % PALETTE.length], width: 2, points: { show: false } }))],
      axes: [{}, { size: 40 }],
      scales: { x: { time: true } },
    },
    values,
    figure,
  );
  plot.root.setAttribute('aria-hidden', 'true');
  charts.set(figure.id, { plot, key });
}

function update(snapshot) {
  for (const [name, value] of Object.entries(snapshot.totals)) {
    const node = document.querySelector(`[data-total="${name}"]`);
    if (node) node.textContent = String(value);
  }
  for (const [name, value] of Object.entries(snapshot.waiting)) {
    const node = document.querySelector(`[data-waiting="${name}"]`);
    if (node) node.textContent = String(value);
  }
  if (window.uPlot) for (const figure of document.querySelectorAll('figure[data-series]')) draw(figure, snapshot);
  const state = document.getElementById('live-state');
  state.dataset.updated = snapshot.generatedAt;
  state.textContent = `${state.dataset.live ?? 'Live'}: ${snapshot.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`;
}

window.addEventListener('load', () => {
  update(data);
  const state = document.getElementById('live-state');
  const source = new EventSource(state.dataset.stream);
  source.addEventListener('snapshot', (event) => update(JSON.parse(event.data)));
});
