import type { Knex } from 'knex';

/**
 * Minute rollups by channel alone: the same counters and latency histograms as `analytics_minute`
 * and `analytics_latency_minute`, keyed only by channel (and, for the counters, the suppression
 * reason and the currency). A question by minute that groups and filters by nothing but the
 * channel (the dashboards: the last hour, a day by channel) reads them (core/analytics/queries.ts).
 *
 * Why: "a whole day by minute, by channel" over 10 million deliveries read about 150,000 rows of
 * the full minute tables (one per minute and workflow, channel, provider, adapter, variant and
 * locale), their pages scattered, and took 105-222 ms in quiet runs of `npm run bench:analytics`
 * against its 200 ms ceiling. By channel alone a day holds a few rows per minute.
 *
 * - `analytics_channel_minute`: (tenant_id, bucket, channel, reason, currency) and the counters
 *   and cost of the full tables.
 * - `analytics_latency_channel_minute`: (tenant_id, bucket, channel, kind) and `counts int8[]`, a
 *   histogram as in migrations/20261218000000_latency_histogram_arrays.ts.
 * - The fold (core/analytics/rollups.ts) adds each batch to them in the same statement as to the
 *   other tables, for the minutes it keeps (MINUTE_DAYS); retention deletes them with the minute
 *   tables; a tenant deleted takes them along (foreign key).
 *
 * The minutes kept so far are summed from the full minute tables (under the fold's lock, so no
 * fold runs between), so a database upgraded with history answers the same figures from either;
 * `down` drops the tables (the full ones hold everything).
 */

const COUNTERS = ['notifications', 'deliveries', 'sent', 'delivered', 'failed', 'bounced', 'suppressed', 'opened', 'clicked', 'finished', 'attempts'];
/** core/analytics/rollups.ts FOLD_LOCK. */
const FOLD_LOCK = 0x636c6672;

export async function up(knex: Knex): Promise<void> {
  await knex.raw('select pg_advisory_xact_lock(?)', [FOLD_LOCK]);
  const key = ['tenant_id', 'bucket', 'channel', 'reason', 'currency'].join(', ');
  await knex.raw(`
    create table analytics_channel_minute (
      tenant_id uuid not null references tenants(id) on delete cascade,
      bucket timestamptz not null,
      channel text not null,
      reason text not null,
      currency text not null,
      ${COUNTERS.map((c) => `${c} bigint not null default 0`).join(',\n      ')},
      cost numeric not null default 0,
      primary key (${key})
    )`);
  await knex.raw(`
    insert into analytics_channel_minute (${key}, ${COUNTERS.join(', ')}, cost)
    select ${key}, ${COUNTERS.map((c) => `sum(${c})`).join(', ')}, sum(cost) from analytics_minute group by ${key}`);

  const latencyKey = ['tenant_id', 'bucket', 'channel', 'kind'].join(', ');
  await knex.raw(`
    create table analytics_latency_channel_minute (
      tenant_id uuid not null references tenants(id) on delete cascade,
      bucket timestamptz not null,
      channel text not null,
      kind smallint not null,
      counts int8[] not null,
      primary key (${latencyKey})
    )`);
  await knex.raw(`
    insert into analytics_latency_channel_minute (${latencyKey}, counts)
    select ${latencyKey}, clarion_histogram_sum(counts) from analytics_latency_minute group by ${latencyKey}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('analytics_latency_channel_minute');
  await knex.schema.dropTableIfExists('analytics_channel_minute');
}
