/**
 * The checks of `promtool check metrics` (client_golang's promlint), applied to a scrape in the
 * text exposition format, with the same messages; plus two of Clarion's own: every name starts
 * with `clarion_`, once (no `clarion_process_process_`). promtool is a Go binary that is not
 * installed here; these rules follow its source and the Prometheus naming guide.
 */

interface Family {
  name: string;
  type: string;
  help: string | undefined;
  labelNames: Set<string>;
  series: string[];
}

// Units promlint recognises, each mapped to its base unit; and the prefixes it strips.
const UNITS: Record<string, string> = {
  amperes: 'amperes', bytes: 'bytes', celsius: 'celsius', grams: 'grams', joules: 'joules', kelvin: 'kelvin', meters: 'meters', metres: 'metres', seconds: 'seconds', volts: 'volts',
  minutes: 'seconds', hours: 'seconds', days: 'seconds', weeks: 'seconds', kelvins: 'kelvin', fahrenheit: 'celsius', rankine: 'celsius',
  inches: 'meters', yards: 'meters', miles: 'meters', bits: 'bytes', calories: 'joules', pounds: 'grams', ounces: 'grams',
};
const UNIT_PREFIXES = ['pico', 'nano', 'micro', 'milli', 'centi', 'deci', 'deca', 'hecto', 'kilo', 'kibi', 'mega', 'mibi', 'giga', 'gibi', 'tera', 'tebi', 'peta', 'pebi'];
const UNIT_ABBREVIATIONS = ['s', 'ms', 'us', 'ns', 'sec', 'b', 'kb', 'mb', 'gb', 'tb', 'pb', 'm', 'h', 'd'];
const TYPES = ['counter', 'gauge', 'summary', 'histogram', 'gauge_histogram'];
const CAMEL = /[a-z][A-Z]/;

function parse(text: string): Family[] {
  const families = new Map<string, Family>();
  const family = (name: string, type = 'untyped') => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type, help: undefined, labelNames: new Set(), series: [] }));
    return f;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const f = family(meta[2]);
      if (meta[1] === 'HELP') f.help = meta[3]?.trim() || undefined;
      else f.type = (meta[3] ?? 'untyped').trim();
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([^\s{]+)(\{.*\})?\s+\S+/.exec(line);
    if (!sample) throw new Error(`not the text exposition format: ${line}`);
    const [, name, labels = ''] = sample;
    // A histogram's or summary's samples belong to their family.
    const base = families.has(name) ? name : (['_bucket', '_sum', '_count'].map((s) => (name.endsWith(s) ? name.slice(0, -s.length) : '')).find((b) => b && families.has(b)) ?? name);
    const f = family(base);
    for (const m of labels.matchAll(/([^{},=\s]+)="(?:[^"\\]|\\.)*"/g)) f.labelNames.add(m[1]);
    f.series.push(`${name}${labels}`);
  }
  return [...families.values()];
}

function unitOf(name: string): [string, string] | undefined {
  for (const part of name.split('_')) {
    if (UNITS[part]) return [part, UNITS[part]];
    for (const prefix of UNIT_PREFIXES) if (part.startsWith(prefix) && UNITS[part.slice(prefix.length)]) return [part, UNITS[part.slice(prefix.length)]];
  }
  return undefined;
}

function lintFamily(f: Family): string[] {
  const problems: string[] = [];
  const { name, type } = f;
  const lower = name.toLowerCase();
  const has = (suffix: string) => name.endsWith(suffix);
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) problems.push('invalid metric name');
  for (const label of f.labelNames) if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label) || label.startsWith('__')) problems.push(`invalid label name "${label}"`);
  if (!f.help) problems.push('no help text');
  const unit = unitOf(name);
  if (unit && unit[0] !== unit[1]) problems.push(`use base unit "${unit[1]}" instead of "${unit[0]}"`);
  if (type === 'counter' && !has('_total')) problems.push('counter metrics should have "_total" suffix');
  if (type !== 'untyped' && type !== 'counter' && has('_total')) problems.push('non-counter metrics should not have "_total" suffix');
  if (type !== 'untyped' && type !== 'gauge' && has('_timestamp_seconds')) problems.push('non-gauge metrics should not have "_timestamp_seconds" suffix');
  if (type !== 'untyped') {
    if (type !== 'histogram' && has('_bucket')) problems.push('non-histogram metrics should not have "_bucket" suffix');
    if (type !== 'histogram' && type !== 'summary' && has('_count')) problems.push('non-histogram and non-summary metrics should not have "_count" suffix');
    if (type !== 'histogram' && type !== 'summary' && has('_sum')) problems.push('non-histogram and non-summary metrics should not have "_sum" suffix');
    if (type !== 'histogram' && f.labelNames.has('le')) problems.push('non-histogram metrics should not have "le" label');
    if (type !== 'summary' && f.labelNames.has('quantile')) problems.push('non-summary metrics should not have "quantile" label');
  }
  for (const t of TYPES) if (lower.includes(`_${t}_`) || lower.endsWith(`_${t}`)) problems.push(`metric name should not include type '${t}'`);
  if (name.includes(':')) problems.push("metric names should not contain ':'");
  if (CAMEL.test(name)) problems.push("metric names should be written in 'snake_case' not 'camelCase'");
  if ([...f.labelNames].some((l) => CAMEL.test(l))) problems.push("label names should be written in 'snake_case' not 'camelCase'");
  if (UNIT_ABBREVIATIONS.some((a) => lower.includes(`_${a}_`) || lower.endsWith(`_${a}`))) problems.push('metric names should not contain abbreviated units');
  if (!name.startsWith('clarion_')) problems.push('not prefixed clarion_');
  if (name.includes('_process_process_')) problems.push('doubled prefix "_process_process_"');
  const seen = new Set<string>();
  for (const series of f.series) {
    if (seen.has(series)) problems.push(`duplicate series ${series}`);
    seen.add(series);
  }
  return problems.map((p) => `${name}: ${p}`);
}

/** Every problem promtool would report for this scrape (empty when it passes). */
export function lintExposition(text: string): string[] {
  return parse(text).flatMap(lintFamily);
}
