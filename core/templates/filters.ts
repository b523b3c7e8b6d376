import nunjucks from 'nunjucks';

/**
 * Template filters beyond nunjucks' own: dates, numbers and currency through `Intl` in the
 * subscriber's locale and time zone, plus the escaping helpers the channels need. They read the
 * render's locale, zone, clock and escaping mode from `state()`, set per render.
 */

export type EscapeMode = 'html' | 'text' | 'mrkdwn' | 'json';

export interface FilterState {
  locale: string;
  timeZone: string;
  now: Date;
  mode: EscapeMode;
}

type Filter = (this: unknown, ...args: unknown[]) => unknown;

const SafeString = (nunjucks.runtime as unknown as { SafeString: new (value: string) => { val: string } }).SafeString;

const STYLES = ['short', 'medium', 'long', 'full'] as const;
type Style = (typeof STYLES)[number];

/** Named styles. Long and full times show hours and minutes with the zone, never seconds. */
const LONG_TIME: Intl.DateTimeFormatOptions = { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' };
const PRESETS: Record<'date' | 'time' | 'datetime', Record<Style, Intl.DateTimeFormatOptions>> = {
  date: { short: { dateStyle: 'short' }, medium: { dateStyle: 'medium' }, long: { dateStyle: 'long' }, full: { dateStyle: 'full' } },
  time: { short: { timeStyle: 'short' }, medium: { timeStyle: 'short' }, long: LONG_TIME, full: LONG_TIME },
  datetime: {
    short: { dateStyle: 'short', timeStyle: 'short' },
    medium: { dateStyle: 'medium', timeStyle: 'short' },
    long: { year: 'numeric', month: 'long', day: 'numeric', ...LONG_TIME },
    full: { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', ...LONG_TIME },
  },
};

const DATE_OPTIONS = new Set([
  'weekday', 'era', 'year', 'month', 'day', 'hour', 'minute', 'second', 'timeZoneName', 'hour12', 'hourCycle', 'dateStyle', 'timeStyle',
  'fractionalSecondDigits', 'dayPeriod',
]);
const NUMBER_OPTIONS = new Set([
  'minimumIntegerDigits', 'minimumFractionDigits', 'maximumFractionDigits', 'minimumSignificantDigits', 'maximumSignificantDigits', 'notation',
  'compactDisplay', 'signDisplay', 'useGrouping', 'unit', 'unitDisplay', 'style', 'currencyDisplay', 'currencySign', 'roundingMode',
]);

export function createFilters(state: () => FilterState): Record<string, Filter> {
  return {
    /** `{{ at | date }}`, `date('long')`, `date(month='long', day='numeric')`: the date in the subscriber's zone. */
    date(value: unknown, style?: unknown, zone?: unknown) {
      return formatDate('date', value, style, zone, state());
    },
    /** `{{ at | time }}`, `time('long')` (with the zone name). */
    time(value: unknown, style?: unknown, zone?: unknown) {
      return formatDate('time', value, style, zone, state());
    },
    /** `{{ at | datetime }}`, `datetime('full')`. */
    datetime(value: unknown, style?: unknown, zone?: unknown) {
      return formatDate('datetime', value, style, zone, state());
    },
    /** `{{ dueAt | relative }}`: "in 3 days", "yesterday", relative to the notification's time. */
    relative(value: unknown) {
      const parsed = toDate(value, 'relative');
      if (!parsed) return '';
      const s = state();
      const seconds = (parsed.date.getTime() - s.now.getTime()) / 1000;
      const abs = Math.abs(seconds);
      const [amount, unit]: [number, Intl.RelativeTimeFormatUnit] =
        abs < 45 ? [seconds, 'second']
          : abs < 45 * 60 ? [seconds / 60, 'minute']
            : abs < 22 * 3600 ? [seconds / 3600, 'hour']
              : abs < 26 * 86400 ? [seconds / 86400, 'day']
                : abs < 320 * 86400 ? [seconds / (30.44 * 86400), 'month']
                  : [seconds / (365.25 * 86400), 'year'];
      return new Intl.RelativeTimeFormat(s.locale, { numeric: 'auto' }).format(Math.round(amount), unit);
    },
    /** `{{ n | number }}`, `number(2)` (exactly 2 decimals), `number(notation='compact')`. */
    number(value: unknown, digits?: unknown) {
      const n = toNumber(value, 'number');
      if (n === undefined) return '';
      const options: Intl.NumberFormatOptions = typeof digits === 'number' ? fractionDigits(digits) : pickOptions(digits, NUMBER_OPTIONS);
      return new Intl.NumberFormat(state().locale, options).format(n);
    },
    /** `{{ amount | currency('EUR') }}`: "€12,500.50" or "12 500,50 €" depending on the locale. */
    currency(value: unknown, code?: unknown, options?: unknown) {
      const n = toNumber(value, 'currency');
      if (n === undefined) return '';
      const currency = typeof code === 'string' ? code : code instanceof SafeString ? code.val : '';
      if (!/^[A-Za-z]{3}$/.test(currency)) throw new TypeError(`currency: "${String(code)}" is not an ISO 4217 currency code (e.g. EUR)`);
      return new Intl.NumberFormat(state().locale, { ...pickOptions(options, NUMBER_OPTIONS), style: 'currency', currency: currency.toUpperCase() }).format(n);
    },
    /** `{{ 0.256 | percent }}` -> "26%", `percent(1)` -> "25.6%". */
    percent(value: unknown, digits?: unknown) {
      const n = toNumber(value, 'percent');
      if (n === undefined) return '';
      return new Intl.NumberFormat(state().locale, { style: 'percent', ...(typeof digits === 'number' ? fractionDigits(digits) : {}) }).format(n);
    },
    /** `{{ value | json }}`: the value as JSON (inside a JSON part it is printed as is). */
    json(value: unknown) {
      const text = JSON.stringify(unwrap(value) ?? null) ?? 'null';
      return state().mode === 'json' ? new SafeString(text) : text;
    },
    /** Escapes `&`, `<`, `>` for Slack mrkdwn in parts that are not escaped already. */
    mrkdwn(value: unknown) {
      return escapeMrkdwn(String(unwrap(value) ?? ''));
    },
    /** The value when it is a hex colour (#rgb, #rrggbb, #rrggbbaa), else the fallback: safe in a style attribute. */
    cssColor(value: unknown, fallback?: unknown) {
      const v = unwrap(value);
      if (typeof v === 'string' && /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(v)) return v;
      return typeof fallback === 'string' ? fallback : '';
    },
    /** The value when it is an http(s) URL, else an empty string: safe as a link or image source. */
    httpUrl(value: unknown) {
      const v = unwrap(value);
      if (typeof v !== 'string') return '';
      try {
        const url = new URL(v);
        return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : '';
      } catch {
        return '';
      }
    },
  };
}

/**
 * nunjucks' attribute filters read any property, inherited ones included; these read own
 * properties only, like every other lookup in the sandbox.
 */
export function ownAttributeFilters(): Record<string, Filter> {
  const attr = (item: unknown, name: unknown): unknown => {
    const key = unwrap(name);
    if (item === null || typeof item !== 'object' || (typeof key !== 'string' && typeof key !== 'number')) return undefined;
    return Object.hasOwn(item, key) ? (item as Record<string, unknown>)[key] : undefined;
  };
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  return {
    join(arr: unknown, del?: unknown, name?: unknown) {
      let items = list(arr);
      if (name !== undefined && name !== null) items = items.map((v) => attr(v, name));
      return items.join(typeof del === 'string' ? del : del === undefined || del === null ? '' : String(unwrap(del)));
    },
    sum(arr: unknown, name?: unknown, start?: unknown) {
      let items = list(arr);
      if (name !== undefined && name !== null) items = items.map((v) => attr(v, name));
      return items.reduce((total: unknown, v) => (total as number) + (v as number), start ?? 0);
    },
    selectattr(arr: unknown, name?: unknown) {
      return list(arr).filter((v) => !!attr(v, name));
    },
    rejectattr(arr: unknown, name?: unknown) {
      return list(arr).filter((v) => !attr(v, name));
    },
  };
}

/** Every filter a template may use, by name: nunjucks' own, their own-attribute variants, Clarion's. The renderer installs exactly these. */
export function templateFilters(state: () => FilterState): Record<string, Filter> {
  const builtins = (new nunjucks.Environment() as unknown as { filters: Record<string, Filter> }).filters;
  return Object.assign(Object.create(null) as Record<string, Filter>, builtins, ownAttributeFilters(), createFilters(state));
}

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function unwrap(value: unknown): unknown {
  return value instanceof SafeString ? value.val : value;
}

function formatDate(kind: 'date' | 'time' | 'datetime', value: unknown, style: unknown, zone: unknown, s: FilterState): string {
  const parsed = toDate(value, kind);
  if (!parsed) return '';
  let options: Intl.DateTimeFormatOptions;
  const named = unwrap(style);
  if (named === undefined || named === null || typeof named === 'string') {
    const name = (named ?? 'medium') as Style;
    if (!STYLES.includes(name)) throw new TypeError(`${kind}: the style must be one of ${STYLES.join(', ')} (got "${String(named)}")`);
    options = { ...PRESETS[kind][name] };
  } else {
    options = pickOptions(named, DATE_OPTIONS);
  }
  let timeZone = s.timeZone;
  const requestedZone = unwrap(zone);
  if (typeof requestedZone === 'string' && requestedZone !== '') timeZone = requestedZone;
  // A calendar date (`2026-12-01`) is the same day everywhere: never shift it into another zone.
  if (parsed.dateOnly) {
    timeZone = 'UTC';
    if (kind === 'date' || kind === 'datetime') {
      delete options.timeStyle;
      for (const k of ['hour', 'minute', 'second', 'timeZoneName', 'dayPeriod', 'fractionalSecondDigits'] as const) delete options[k];
      if (Object.keys(options).length === 0) options.dateStyle = 'medium';
    }
  }
  try {
    return new Intl.DateTimeFormat(s.locale, { ...options, timeZone }).format(parsed.date);
  } catch (err) {
    throw new TypeError(`${kind}: ${(err as Error).message}`, { cause: err });
  }
}

function toDate(value: unknown, filter: string): { date: Date; dateOnly: boolean } | undefined {
  const v = unwrap(value);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return { date: new Date(v), dateOnly: false };
  if (typeof v === 'string') {
    if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
      const date = new Date(`${v}T00:00:00Z`);
      if (!Number.isNaN(date.getTime())) return { date, dateOnly: true };
    } else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v)) {
      const date = new Date(v);
      if (!Number.isNaN(date.getTime())) return { date, dateOnly: false };
    }
  }
  throw new TypeError(`${filter}: ${JSON.stringify(v) ?? String(v)} is not a date (expected an ISO 8601 date or date-time, or milliseconds since 1970)`);
}

function toNumber(value: unknown, filter: string): number | undefined {
  const v = unwrap(value);
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new TypeError(`${filter}: ${JSON.stringify(v) ?? String(v)} is not a number`);
  return n;
}

function fractionDigits(digits: number): Intl.NumberFormatOptions {
  const d = Math.max(0, Math.min(20, Math.trunc(digits)));
  return { minimumFractionDigits: d, maximumFractionDigits: d };
}

function pickOptions<T extends object>(value: unknown, allowed: Set<string>): T {
  const options: Record<string, unknown> = {};
  if (value && typeof value === 'object' && !(value instanceof SafeString)) {
    for (const [k, v] of Object.entries(value)) {
      if (allowed.has(k) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) options[k] = v;
    }
  }
  return options as T;
}
