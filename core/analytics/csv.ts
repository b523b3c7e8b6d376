import type { AnalyticsAnswer } from './queries.ts';

/**
 * The items of an analytics answer as CSV (RFC 4180): one row per bucket and group, one column per
 * figure, a `suppressed_<reason>` column per suppression reason and a `cost_<currency>` column per
 * currency that occurs. Written here rather than with a CSV library: the cells are numbers, ISO
 * times and identifiers, and quoting (with the formula guard spreadsheets need) is these few lines.
 */

const FIGURES = [
  'notifications', 'deliveries', 'sent', 'delivered', 'failed', 'bounced', 'suppressed', 'opened', 'clicked',
] as const;

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  // A cell a spreadsheet would run as a formula is written as text.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(answer: AnalyticsAnswer): string {
  const groups = answer.groupBy.flatMap((g) => (g === 'provider' ? ['provider', 'adapter'] : [g]));
  const reasons = [...new Set(answer.items.flatMap((i) => Object.keys(i.suppressedByReason)))].sort();
  const currencies = [...new Set(answer.items.flatMap((i) => Object.keys(i.cost)))].sort();
  const header = [
    'bucket', ...groups, ...FIGURES, ...reasons.map((r) => `suppressed_${r}`),
    'delivered_rate', 'open_rate', 'click_rate', 'click_to_open_rate', 'bounce_rate', 'failure_rate',
    'sent_p50_ms', 'sent_p95_ms', 'delivered_p50_ms', 'delivered_p95_ms', 'attempts_per_delivery', ...currencies.map((c) => `cost_${c}`),
  ];
  const lines = [header.map(cell).join(',')];
  for (const item of answer.items) {
    const group = item.group as Record<string, string | null>;
    lines.push([
      item.bucket, ...groups.map((g) => group[g]), ...FIGURES.map((f) => item[f]), ...reasons.map((r) => item.suppressedByReason[r] ?? 0),
      item.rates.delivered, item.rates.opened, item.rates.clicked, item.rates.clickToOpen, item.rates.bounced, item.rates.failed,
      item.latencyMs.sent.p50, item.latencyMs.sent.p95, item.latencyMs.delivered.p50, item.latencyMs.delivered.p95, item.attemptsPerDelivery,
      ...currencies.map((c) => item.cost[c] ?? 0),
    ].map(cell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
