import type { Knex } from 'knex';
import { ClarionError, type FieldError } from '../errors.ts';
import { DateTime, Dictionary, Nullable, NullableString, schemaAjv, StringEnum, Type, type Static } from '../kernel/schema.ts';
import { withConnection } from '../db/prepared.ts';
import { addSpan, quantiles as quantilesOf, type Histogram } from './histogram.ts';
import { CHANNEL_MINUTE_DIMENSIONS, COARSE_LATENCY_DIMENSIONS, COARSE_LEVELS, COUNTERS, DELIVERED, type DIMENSIONS, LEVELS, MINUTE_DAYS, SENT, type Level } from './rollups.ts';

/**
 * `GET /v1/analytics`: figures per bucket (minute, hour or UTC day) and per group, from the rollup
 * of the interval plus the deltas not yet folded into it (so the answer is current to the last
 * committed change), never from the raw rows: the coarse rollup (keyed without channel, provider
 * and adapter) when the question neither groups nor filters by those, else the full one. Buckets
 * are when the delivery or notification was created. Empty buckets are left out; `totals` sums
 * each group over the whole range.
 */

export const GROUPS = ['workflow', 'channel', 'provider', 'variant', 'locale'] as const;
export type Group = (typeof GROUPS)[number];
export const FILTERS = ['workflow', 'channel', 'provider', 'adapter', 'variant', 'locale'] as const;
export type Filter = (typeof FILTERS)[number];

const COLUMN: Record<Filter, (typeof DIMENSIONS)[number]> = { workflow: 'workflow_key', channel: 'channel', provider: 'provider', adapter: 'adapter', variant: 'variant', locale: 'locale' };
const STEP_MS: Record<Level, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** Most buckets one answer spans. */
export const MAX_BUCKETS = 5000;
/** Default range, by interval, ending now. */
const DEFAULT_SPAN: Record<Level, number> = { minute: 60, hour: 48, day: 30 };

export interface AnalyticsQuery {
  from: Date;
  to: Date;
  interval: Level;
  groupBy: Group[];
  filters: Partial<Record<Filter, string[]>>;
}

/**
 * The query string of `GET /v1/analytics` and its answer, defined once with TypeBox
 * (core/kernel/schema.ts): `parseQuery` checks the parameters with the query schema, the answer's
 * static type is what `runQuery` returns, and the OpenAPI document (core/analytics/openapi.ts)
 * states both. Every parameter is a string (lists are comma-separated); what a value means is
 * checked by `parseQuery`.
 */
const listParam = (description: string) => Type.Optional(Type.String({ description }));
export const analyticsQuerySchema = Type.Object({
  from: Type.Optional(Type.String({ description: 'Start (RFC 3339 or a date), rounded down to the interval.' })),
  to: Type.Optional(Type.String({ description: 'End (exclusive), rounded up to the interval; default now.' })),
  interval: Type.Optional(StringEnum(LEVELS, { default: 'day', description: 'Bucket size (UTC).' })),
  groupBy: listParam(`Comma-separated: ${GROUPS.join(', ')} (provider also gives its adapter).`),
  workflow: listParam('Only these workflows (keys, comma-separated).'),
  channel: listParam('Only these channels.'),
  provider: listParam('Only these provider configurations (ids).'),
  adapter: listParam('Only these adapters (smtp, twilio-sms, ...).'),
  variant: listParam('Only these template variants.'),
  locale: listParam('Only messages rendered in these locales.'),
  format: Type.Optional(StringEnum(['json', 'csv'], { description: 'json (default) or csv.' })),
});
export type AnalyticsQueryParams = Static<typeof analyticsQuerySchema>;
const validateQuery = schemaAjv().compile<AnalyticsQueryParams>(analyticsQuerySchema);

const nullableNumber = (description?: string) => Nullable(Type.Number(), description ? { description } : {});
const count = (description: string) => Type.Integer({ description });
const quantiles = (description: string) => Type.Object({ p50: nullableNumber(), p95: nullableNumber() }, { description });

export const figuresSchema = Type.Object({
  notifications: count('Notifications created'),
  deliveries: count('Deliveries created (one per channel tried, fallbacks included)'),
  sent: count('Accepted by a provider'),
  delivered: count('Confirmed delivered (or read) by a provider receipt'),
  failed: count('Failed for good, dead letters and undelivered receipts included'),
  bounced: count('Bounced (a provider receipt)'),
  suppressed: count('Notifications the pipeline or an erasure suppressed'),
  suppressedByReason: Dictionary(Type.Integer(), { description: 'duplicate, opted_out, rate_limited, subscriber_erased, ...' }),
  opened: count('Deliveries opened (first genuine open; machine prefetches excluded)'),
  clicked: count('Deliveries clicked (first genuine click)'),
  rates: Type.Object(
    {
      delivered: nullableNumber('delivered / sent'),
      opened: nullableNumber('opened / sent'),
      clicked: nullableNumber('clicked / sent'),
      clickToOpen: nullableNumber('clicked / opened'),
      bounced: nullableNumber('bounced / sent'),
      failed: nullableNumber('failed / deliveries that reached an outcome (sent, or failed before any provider took them)'),
    },
    { description: 'Null where the denominator is 0' },
  ),
  latencyMs: Type.Object({
    sent: quantiles('From the event received to the provider accepting the message'),
    delivered: quantiles('From the event received to the delivery receipt, where receipts exist'),
  }),
  attemptsPerDelivery: nullableNumber('Attempts per delivery that reached an outcome (sent or failed)'),
  cost: Dictionary(Type.Number(), { description: 'Cost by currency (ISO 4217)' }),
});
export type Figures = Static<typeof figuresSchema>;

const dimension = () => Type.Optional(NullableString());
export const groupKeySchema = Type.Object(
  { workflow: dimension(), channel: dimension(), provider: dimension(), variant: dimension(), locale: dimension(), adapter: dimension() },
  { additionalProperties: false, description: 'The values of the groupBy dimensions (null: none, e.g. notification-level figures grouped by channel)' },
);
export type GroupKey = Static<typeof groupKeySchema>;

/** The figures, as the OpenAPI document's `AnalyticsFigures` (the answer refers to them). */
const figuresRef = Type.Unsafe<Figures>({ $ref: '#/components/schemas/AnalyticsFigures' });
const strings = () => Type.Optional(Type.Array(Type.String()));
export const analyticsAnswerSchema = Type.Object({
  from: DateTime(),
  to: DateTime(),
  interval: StringEnum(LEVELS),
  groupBy: Type.Array(StringEnum(GROUPS)),
  filters: Type.Object({ workflow: strings(), channel: strings(), provider: strings(), adapter: strings(), variant: strings(), locale: strings() }, { additionalProperties: false }),
  items: Type.Array(Type.Intersect([Type.Object({ bucket: DateTime(), group: groupKeySchema }), figuresRef]), { description: `Per bucket (at most ${MAX_BUCKETS} buckets) and group, oldest first` }),
  totals: Type.Array(Type.Intersect([Type.Object({ group: groupKeySchema }), figuresRef]), { description: 'Per group, over the whole range' }),
});
export type AnalyticsAnswer = Static<typeof analyticsAnswerSchema>;

/** Reads the query string (`from`, `to`, `interval`, `groupBy`, filters), with an error naming each bad parameter. */
export function parseQuery(input: Record<string, unknown>, now: Date): AnalyticsQuery {
  const errors: FieldError[] = [];
  // An empty parameter is one not given; the schema says which are strings and which values
  // `interval` takes (a parameter given twice is an array: "must be given once").
  const query: Record<string, unknown> = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined && value !== ''));
  if (!validateQuery(query)) {
    for (const e of validateQuery.errors ?? []) {
      const pointer = `/query${e.instancePath}`;
      if (errors.some((known) => known.pointer === pointer)) continue;
      const given = typeof query[e.instancePath.slice(1)] === 'string';
      errors.push({ pointer, message: given && e.keyword === 'enum' ? `must be one of ${(e.params as { allowedValues: string[] }).allowedValues.join(', ')}` : 'must be given once' });
    }
  }
  const one = (name: keyof AnalyticsQueryParams): string | undefined => {
    const value = query[name];
    return typeof value === 'string' ? value : undefined;
  };
  const list = (name: keyof AnalyticsQueryParams): string[] | undefined => {
    const value = one(name);
    if (value === undefined) return undefined;
    const items = value.split(',').map((v) => v.trim()).filter(Boolean);
    if (items.length === 0 || items.length > 50 || items.some((v) => v.length > 200)) errors.push({ pointer: `/query/${name}`, message: 'must be a comma-separated list of at most 50 values' });
    return items;
  };
  const time = (name: 'from' | 'to'): Date | undefined => {
    const value = one(name);
    if (value === undefined) return undefined;
    const at = new Date(value);
    if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) || Number.isNaN(at.getTime())) {
      errors.push({ pointer: `/query/${name}`, message: 'must be an RFC 3339 timestamp (2026-12-01T00:00:00Z) or a date (2026-12-01)' });
      return undefined;
    }
    return at;
  };

  const intervalText = one('interval') ?? 'day';
  const interval = (LEVELS.includes(intervalText as Level) ? intervalText : 'day') as Level;
  const groupBy = (list('groupBy') ?? []) as Group[];
  const unknown = groupBy.filter((g) => !GROUPS.includes(g));
  if (unknown.length > 0) errors.push({ pointer: '/query/groupBy', message: `must name some of ${GROUPS.join(', ')} (not ${unknown.join(', ')})` });
  const filters: Partial<Record<Filter, string[]>> = {};
  for (const name of FILTERS) {
    const values = list(name);
    if (values) filters[name] = values;
  }
  const step = STEP_MS[interval];
  const toGiven = time('to');
  const fromGiven = time('from');
  const to = new Date(Math.ceil((toGiven ?? now).getTime() / step) * step);
  const from = new Date(Math.floor((fromGiven ?? new Date(to.getTime() - DEFAULT_SPAN[interval] * step)).getTime() / step) * step);
  if (fromGiven && toGiven && fromGiven.getTime() >= toGiven.getTime()) errors.push({ pointer: '/query/from', message: 'must be before to' });
  else if ((to.getTime() - from.getTime()) / step > MAX_BUCKETS) errors.push({ pointer: '/query/from', message: `the range holds more than ${MAX_BUCKETS} ${interval}s: narrow it or choose a longer interval` });
  else if (interval === 'minute' && from.getTime() < now.getTime() - MINUTE_DAYS * 86_400_000) errors.push({ pointer: '/query/from', message: `minute buckets are kept for ${MINUTE_DAYS} days: use interval=hour for older figures` });
  if (errors.length > 0) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid analytics query', { errors });
  return { from, to, interval, groupBy: [...new Set(groupBy)], filters };
}

/**
 * Which rollup answers a question: `channel` (`analytics_channel_minute`,
 * `analytics_latency_channel_minute`: the channel only) for a question by minute that groups and
 * filters by nothing but the channel; `coarse` (`analytics_coarse_<level>`,
 * `analytics_latency_coarse_<level>`: workflow, variant and locale only) when its interval has one
 * and it neither groups nor filters by channel, provider or adapter; else `fine`. All hold the
 * same figures.
 */
export type Rollup = 'fine' | 'coarse' | 'channel';
export function rollupOf(q: AnalyticsQuery): Rollup {
  const columns: string[] = [...q.groupBy.map((g) => COLUMN[g]), ...Object.keys(q.filters).map((f) => COLUMN[f as Filter])];
  const within = (kept: readonly string[]) => columns.every((c) => kept.includes(c));
  if (q.interval === 'minute' && within(CHANNEL_MINUTE_DIMENSIONS)) return 'channel';
  return (COARSE_LEVELS as readonly Level[]).includes(q.interval) && within(COARSE_LATENCY_DIMENSIONS) ? 'coarse' : 'fine';
}

/** The tables' name after `analytics_` and `analytics_latency_`. */
function tableOf(rollup: Rollup, level: Level): string {
  if (rollup === 'channel') {
    if (level !== 'minute') throw new Error(`no channel rollup by ${level}`);
    return 'channel_minute';
  }
  return rollup === 'coarse' ? `coarse_${level}` : level;
}

/** The two statements of a query (counters; latency histograms) and their bindings, from `rollup` (by default the one `rollupOf` chooses). */
export function analyticsSql(tenantId: string, q: AnalyticsQuery, rollup: Rollup = rollupOf(q)): { counters: { sql: string; bindings: Knex.RawBinding[] }; latency: { sql: string; bindings: Knex.RawBinding[] } } {
  const groupColumns = q.groupBy.flatMap((g) => (g === 'provider' ? ['provider', 'adapter'] : [COLUMN[g]]));
  const where: string[] = [];
  const filterBindings: Knex.RawBinding[] = [];
  for (const [name, values] of Object.entries(q.filters) as Array<[Filter, string[]]>) {
    where.push(`${COLUMN[name]} = any(?::text[])`);
    filterBindings.push(values);
  }
  const filter = where.length > 0 ? ` and ${where.join(' and ')}` : '';
  const range: Knex.RawBinding[] = [tenantId, q.from, q.to, ...filterBindings];
  const level = q.interval;
  const table = tableOf(rollup, level);
  const bucket = level === 'minute' ? 'bucket' : `date_trunc('${level}', bucket, 'UTC')`;
  const counters = [...COUNTERS, 'cost'];
  const keys = ['bucket', ...groupColumns];
  const groups = groupColumns.map((c) => `, ${c}`).join('');
  // Each row's bucket as epoch milliseconds and its group as one JSON text (the group columns in
  // order): runQuery keys its sums by them without parsing a timestamp or joining strings per row.
  const rowKey = `(extract(epoch from bucket) * 1000)::float8 as t, ${groupColumns.length > 0 ? `json_build_array(${groupColumns.join(', ')})::text` : `'[]'`} as gk`;
  return {
    counters: {
      sql: `
        select ${rowKey}, reason, currency, ${counters.map((c) => `sum(${c}) as ${c}`).join(', ')} from (
          select bucket${groups}, reason, currency, ${counters.join(', ')} from analytics_${table} where tenant_id = ? and bucket >= ? and bucket < ?${filter}
          union all
          select ${bucket} as bucket${groups}, reason, currency, ${counters.join(', ')} from analytics_deltas where tenant_id = ? and bucket >= ? and bucket < ?${filter}
        ) r group by ${[...keys, 'reason', 'currency'].join(', ')}`,
      bindings: [...range, ...range],
    },
    // Whole histograms (migrations/20261218000000_latency_histogram_arrays.ts), the deltas not yet
    // folded as one-bucket arrays, summed per bucket, group and kind in the database
    // (clarion_histogram_sum: measured faster than sending every row's array to node) and sent as
    // their first bucket and JSON, which node-pg parses fast.
    latency: {
      sql: `
        select ${rowKey}, kind, array_lower(counts, 1) as lo, array_to_json(counts) as counts from (
          select bucket${groups}, kind, clarion_histogram_sum(counts) as counts from (
            select bucket${groups}, kind, counts from analytics_latency_${table} where tenant_id = ? and bucket >= ? and bucket < ?${filter}
            union all
            select ${bucket}${groups}, ${SENT}::smallint, array_fill(count(*), array[1], array[sent_bucket::int]) from analytics_deltas where sent_bucket is not null and tenant_id = ? and bucket >= ? and bucket < ?${filter} group by ${[bucket, ...groupColumns, 'sent_bucket'].join(', ')}
            union all
            select ${bucket}${groups}, ${DELIVERED}::smallint, array_fill(count(*), array[1], array[delivered_bucket::int]) from analytics_deltas where delivered_bucket is not null and tenant_id = ? and bucket >= ? and bucket < ?${filter} group by ${[bucket, ...groupColumns, 'delivered_bucket'].join(', ')}
          ) r group by bucket${groups}, kind
        ) h`,
      bindings: [...range, ...range, ...range],
    },
  };
}

/** The figures, from the rollups (`rollup`: the one `rollupOf` chooses, unless told). */
export async function runQuery(db: Knex, tenantId: string, q: AnalyticsQuery, rollup: Rollup = rollupOf(q)): Promise<AnalyticsAnswer> {
  const sql = analyticsSql(tenantId, q, rollup);
  // Rows as arrays (the columns as the statements list them): thousands of rows are read by
  // position, not by name from objects of twenty properties.
  const rowsOf = (statement: { sql: string; bindings: Knex.RawBinding[] }) => {
    const native = db.raw(statement.sql, statement.bindings).toSQL().toNative();
    return withConnection(db, async (connection) => (await connection.query<unknown[]>({ text: native.sql, values: native.bindings as unknown[], rowMode: 'array' })).rows);
  };
  const [counted, timed] = await Promise.all([rowsOf(sql.counters), rowsOf(sql.latency)]);

  // One entry per group (by its JSON text from the database), each with its totals and its
  // buckets by epoch milliseconds: a row costs two map lookups, one of them by number, and its
  // counters are read once for both of the accumulators it adds to.
  const columns = q.groupBy.flatMap((g) => (g === 'provider' ? ['provider', 'adapter'] : [COLUMN[g]]));
  const groups = new Map<string, GroupEntry>();
  const byId = new Map<string, GroupEntry>();
  const entryOf = (row: unknown[]): Accumulator[] => {
    const t = row[0] as number;
    const gk = row[1] as string;
    let group = groups.get(gk);
    if (!group) {
      const values = JSON.parse(gk) as Array<string | null>;
      const byColumn = new Map(columns.map((c, i) => [c, values[i]]));
      const key: GroupKey = Object.fromEntries(q.groupBy.flatMap((g) => (g === 'provider' ? [['provider', blank(byColumn.get('provider'))], ['adapter', blank(byColumn.get('adapter'))]] : [[g, blank(byColumn.get(COLUMN[g]))]])));
      const id = JSON.stringify(key);
      // '' and null are both "none": two texts of the database may be one group.
      group = byId.get(id) ?? { key, id, rank: 0, totals: accumulator(), buckets: new Map() };
      byId.set(id, group);
      groups.set(gk, group);
    }
    let bucket = group.buckets.get(t);
    if (!bucket) group.buckets.set(t, (bucket = accumulator()));
    return [bucket, group.totals];
  };
  // Counters' rows: t, gk, reason, currency, then COUNTERS' sums and the cost.
  const values = new Array<number>(COUNTERS.length);
  const suppressedAt = COUNTERS.indexOf('suppressed');
  for (const row of counted) {
    for (let i = 0; i < COUNTERS.length; i++) values[i] = Number(row[4 + i]);
    const cost = Number(row[4 + COUNTERS.length]);
    for (const a of entryOf(row)) addCounters(a, values, row[2] as string | null, values[suppressedAt], row[3] as string | null, cost);
  }
  // Latency rows: t, gk, kind, lo, counts.
  for (const row of timed) {
    const lo = Number(row[3]);
    const counts = row[4] as number[]; // JSON numbers (array_to_json of int8[])
    const delivered = Number(row[2]) === DELIVERED;
    for (const a of entryOf(row)) {
      if (delivered) a.delivered = addSpan(a.delivered, lo, counts);
      else a.sent = addSpan(a.sent, lo, counts);
    }
  }
  // Ordered as String#localeCompare orders the groups' JSON (a collator made once compares the
  // same, much faster), sorted once; buckets by time, which is their ISO strings' order too.
  const ordered = [...byId.values()].sort((a, b) => collate(a.id, b.id));
  ordered.forEach((g, rank) => (g.rank = rank));
  const items: Array<{ t: number; group: GroupEntry; a: Accumulator }> = [];
  for (const group of ordered) for (const [t, a] of group.buckets) items.push({ t, group, a });
  items.sort((x, y) => x.t - y.t || x.group.rank - y.group.rank);
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    interval: q.interval,
    groupBy: q.groupBy,
    filters: q.filters,
    items: items.map(({ t, group, a }) => ({ bucket: new Date(t).toISOString(), group: group.key, ...figures(a) })),
    totals: ordered.map((g) => ({ group: g.key, ...figures(g.totals) })),
  };
}

const collate = new Intl.Collator().compare;
const blank = (value: unknown) => (value === '' || value === undefined ? null : (value as string));

/** The sums of one bucket and group, or of one group's totals. */
interface Accumulator {
  /** By COUNTERS' order. */
  counts: number[];
  reasons: Record<string, number>;
  cost: Record<string, number>;
  sent: Histogram | null;
  delivered: Histogram | null;
}

interface GroupEntry {
  key: GroupKey;
  /** JSON.stringify(key) */
  id: string;
  /** Its place in the answer's order. */
  rank: number;
  totals: Accumulator;
  /** By the bucket's epoch milliseconds. */
  buckets: Map<number, Accumulator>;
}

function accumulator(): Accumulator {
  return { counts: new Array<number>(COUNTERS.length).fill(0), reasons: {}, cost: {}, sent: null, delivered: null };
}

function addCounters(a: Accumulator, values: readonly number[], reason: string | null, suppressed: number, currency: string | null, cost: number): void {
  for (let i = 0; i < values.length; i++) a.counts[i] += values[i];
  if (reason && suppressed > 0) a.reasons[reason] = (a.reasons[reason] ?? 0) + suppressed;
  if (currency && cost !== 0) a.cost[currency] = round((a.cost[currency] ?? 0) + cost, 6);
}

const ratio = (n: number, d: number) => (d > 0 ? round(n / d, 4) : null);
const ms = (value: number | null) => (value === null ? null : round(value, 1));

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

const INDEX = Object.fromEntries(COUNTERS.map((c, i) => [c, i])) as Record<(typeof COUNTERS)[number], number>;

function figures(a: Accumulator): Figures {
  const n = a.counts;
  const c = {
    notifications: n[INDEX.notifications], deliveries: n[INDEX.deliveries], sent: n[INDEX.sent], delivered: n[INDEX.delivered], failed: n[INDEX.failed],
    bounced: n[INDEX.bounced], suppressed: n[INDEX.suppressed], opened: n[INDEX.opened], clicked: n[INDEX.clicked], finished: n[INDEX.finished], attempts: n[INDEX.attempts],
  };
  const [sent50, sent95] = quantilesOf(a.sent, 0.5, 0.95);
  const [delivered50, delivered95] = quantilesOf(a.delivered, 0.5, 0.95);
  return {
    notifications: c.notifications,
    deliveries: c.deliveries,
    sent: c.sent,
    delivered: c.delivered,
    failed: c.failed,
    bounced: c.bounced,
    suppressed: c.suppressed,
    suppressedByReason: a.reasons,
    opened: c.opened,
    clicked: c.clicked,
    rates: {
      delivered: ratio(c.delivered, c.sent),
      opened: ratio(c.opened, c.sent),
      clicked: ratio(c.clicked, c.sent),
      clickToOpen: ratio(c.clicked, c.opened),
      bounced: ratio(c.bounced, c.sent),
      failed: ratio(c.failed, c.finished),
    },
    latencyMs: {
      sent: { p50: ms(sent50), p95: ms(sent95) },
      delivered: { p50: ms(delivered50), p95: ms(delivered95) },
    },
    attemptsPerDelivery: ratio(c.attempts, c.finished),
    cost: a.cost,
  };
}

