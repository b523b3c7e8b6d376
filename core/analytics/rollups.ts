import type { Knex } from 'knex';
import { withConnection } from '../db/prepared.ts';

/**
 * The rollups (migrations/20261210010000_add_analytics_rollups.ts): triggers append deltas as
 * deliveries and notifications change; `fold` moves them into the minute, hour and day tables in
 * one statement per batch. The batch's rows are deleted and summed in the same statement, so a
 * delta is counted exactly once whatever runs concurrently: two folds never take the same rows
 * (`skip locked`), and a fold that fails leaves its rows for the next. Minute buckets are kept
 * for MINUTE_DAYS days (older deltas skip them: the hour and day tables still count them). The
 * same statement adds the batch to the coarse hour and day tables, keyed without channel, provider
 * and adapter (migrations/20261219000000_analytics_coarse_rollups.ts), which answer the questions
 * that need none of those, and to the minute tables keyed by channel alone
 * (migrations/20261220000000_analytics_channel_minutes.ts), which answer the questions by minute
 * that need nothing else.
 */

export const DIMENSIONS = ['workflow_key', 'channel', 'provider', 'adapter', 'variant', 'locale', 'reason', 'currency'] as const;
export const LATENCY_DIMENSIONS = ['workflow_key', 'channel', 'provider', 'adapter', 'variant', 'locale'] as const;
export const COUNTERS = ['notifications', 'deliveries', 'sent', 'delivered', 'failed', 'bounced', 'suppressed', 'opened', 'clicked', 'finished', 'attempts'] as const;
export const LEVELS = ['minute', 'hour', 'day'] as const;
export type Level = (typeof LEVELS)[number];
/** The dimensions the coarse rollups keep (`analytics_coarse_<level>`, `analytics_latency_coarse_<level>`), at these levels. */
export const COARSE_DIMENSIONS = ['workflow_key', 'variant', 'locale', 'reason', 'currency'] as const;
export const COARSE_LATENCY_DIMENSIONS = ['workflow_key', 'variant', 'locale'] as const;
export const COARSE_LEVELS = ['hour', 'day'] as const satisfies readonly Level[];
/** The dimension the channel minute rollups keep (`analytics_channel_minute`, `analytics_latency_channel_minute`). */
export const CHANNEL_MINUTE_DIMENSIONS = ['channel'] as const;
/** How long minute buckets are kept (hour and day buckets: see retention). */
export const MINUTE_DAYS = 7;
/** Latency kinds in `analytics_latency_*`. */
export const SENT = 1;
export const DELIVERED = 2;

/** The advisory lock folds take turns under (a constant of Clarion's: `clarion_fold` as an integer). */
const FOLD_LOCK = 0x636c6672;

/** Deltas folded per statement. */
const BATCH = 50_000;

const dims = DIMENSIONS.join(', ');
const latencyDims = LATENCY_DIMENSIONS.join(', ');
const columns = [...COUNTERS, 'cost'];
const sums = columns.map((c) => `sum(${c}) as ${c}`).join(', ');
const truncated = (level: Level) => (level === 'minute' ? 'bucket' : `date_trunc('${level}', bucket, 'UTC')`);
const recent = (level: Level) => (level === 'minute' ? `where bucket >= now() - interval '${MINUTE_DAYS} days'` : '');

const counters = (level: Level, table = `analytics_${level}`, keys = dims) => `
  insert into ${table} (tenant_id, bucket, ${keys}, ${columns.join(', ')})
  select tenant_id, ${truncated(level)}, ${keys}, ${sums} from minute ${recent(level)} group by tenant_id, ${truncated(level)}, ${keys}
  on conflict (tenant_id, bucket, ${keys}) do update set ${columns.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ')}`;

// One histogram per (bucket, dimensions, kind): an int8[] whose lower bound is its first latency
// bucket (migrations/20261218000000_latency_histogram_arrays.ts), added to the stored one.
// (The coarse ones: a latency bucket given twice, by two providers, counts twice.)
const latencies = (level: Level, table = `analytics_latency_${level}`, keys = latencyDims) => `
  insert into ${table} (tenant_id, bucket, ${keys}, kind, counts)
  select tenant_id, ${truncated(level)}, ${keys}, kind, clarion_histogram_of(array_agg(latency), array_agg(count)) from latency ${recent(level)} group by tenant_id, ${truncated(level)}, ${keys}, kind
  on conflict (tenant_id, bucket, ${keys}, kind) do update set counts = clarion_histogram_add(${table}.counts, excluded.counts)`;
const coarse = COARSE_LEVELS.map(
  (level) => `cc_${level} as (${counters(level, `analytics_coarse_${level}`, COARSE_DIMENSIONS.join(', '))}), lc_${level} as (${latencies(level, `analytics_latency_coarse_${level}`, COARSE_LATENCY_DIMENSIONS.join(', '))})`,
);

const channelMinutes = `cm as (${counters('minute', 'analytics_channel_minute', [...CHANNEL_MINUTE_DIMENSIONS, 'reason', 'currency'].join(', '))}), lm as (${latencies('minute', 'analytics_latency_channel_minute', CHANNEL_MINUTE_DIMENSIONS.join(', '))})`;

const FOLD = `
  with moved as (
    delete from analytics_deltas where ctid = any(array(select ctid from analytics_deltas limit ? for update skip locked))
    returning *
  ), minute as (
    select tenant_id, bucket, ${dims}, ${sums} from moved group by tenant_id, bucket, ${dims}
  ), latency as (
    select tenant_id, bucket, ${latencyDims}, ${SENT}::smallint as kind, sent_bucket as latency, count(*) as count from moved where sent_bucket is not null group by tenant_id, bucket, ${latencyDims}, sent_bucket
    union all
    select tenant_id, bucket, ${latencyDims}, ${DELIVERED}::smallint, delivered_bucket, count(*) from moved where delivered_bucket is not null group by tenant_id, bucket, ${latencyDims}, delivered_bucket
  ), ${[...LEVELS.map((level) => `c_${level} as (${counters(level)}), l_${level} as (${latencies(level)})`), ...coarse, channelMinutes].join(', ')}
  select (select count(*) from moved)::int as moved`;

/** Folds every pending delta into the rollups; returns how many were folded. */
export async function fold(db: Knex, batch = BATCH): Promise<number> {
  let total = 0;
  for (;;) {
    // Folds take turns, one batch at a time: two at once would upsert the same rollup rows in
    // different orders and deadlock (the minute's cron fold beside a long one; found by
    // `npm run bench:analytics`).
    const step = async (trx: Knex) => {
      await trx.raw('select pg_advisory_xact_lock(?)', [FOLD_LOCK]);
      return trx.raw(FOLD, [batch]);
    };
    const { rows } = (db as Knex.Transaction).isTransaction ? await step(db) : await db.transaction(step);
    total += rows[0].moved;
    if (rows[0].moved < batch) break;
  }
  // The table's dead rows go at once, so queries reading the pending deltas scan little.
  if (total > 0 && !(db as Knex.Transaction).isTransaction) {
    if (total >= batch) await shrink(db);
    else await db.raw('vacuum (skip_locked) analytics_deltas');
  }
  return total;
}

/**
 * Every query reads the deltas not yet folded by scanning them (the table has no index for the
 * hot path to keep), so after a backlog (a rebuild, a worker stopped for a while) the file must
 * shrink back, or each question scans the backlog's empty pages: 1.6 GB, seconds, after a
 * rebuild of 10 million deliveries. Only a vacuum truncates them, and it gives up its truncation
 * as soon as another statement waits for the table: the minute's fold, scanning those same empty
 * pages, did. So this vacuum waits for an autovacuum in its way (which its wait cancels) rather
 * than skipping, and holds the fold lock meanwhile (on a connection of its own: a vacuum runs
 * outside any transaction), so no fold competes with its truncation.
 */
async function shrink(db: Knex): Promise<void> {
  await withConnection(db, async (connection) => {
    await connection.query('select pg_advisory_lock($1)', [FOLD_LOCK]);
    try {
      await connection.query('vacuum analytics_deltas');
    } finally {
      await connection.query('select pg_advisory_unlock($1)', [FOLD_LOCK]);
    }
  });
}

/**
 * Counts the raw rows of a range into the rollups again, as the triggers would have counted them
 * (by their current state): for history older than the triggers, or rollups lost. The range's
 * rollups must be empty, or the range counts twice.
 */
export async function rebuild(db: Knex, from: Date | '-infinity', to: Date | 'infinity'): Promise<number> {
  const { rows } = await db.raw('select clarion_analytics_rebuild(?::timestamptz, ?::timestamptz) as n', [from, to]);
  await fold(db);
  return Number(rows[0].n);
}
