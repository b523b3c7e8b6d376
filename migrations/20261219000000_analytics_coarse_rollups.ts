import type { Knex } from 'knex';

/**
 * Coarse hour and day rollups: the same counters and latency histograms as `analytics_<hour|day>`
 * and `analytics_latency_<hour|day>`, keyed without channel, provider and adapter (what was sent:
 * workflow, template variant, locale; not how it went out). A question that neither groups nor
 * filters by channel, provider or adapter reads them (core/analytics/queries.ts): fewer rows, and
 * fewer histogram buckets to add.
 *
 * Why: "a week by hour, by workflow and locale" over 10 million deliveries summed 22,776 stored
 * histograms with `clarion_histogram_sum` (373 ms, the 200 ms ceiling missed; two thirds of it that
 * sum). Measured on a seeded database (2 million deliveries hold as many histograms a week), the
 * sum of that week's took 337 ms from the full table; keyed without provider and adapter alone,
 * 14,016 histograms, 292 ms, hardly faster; without the channel too, 6,132 histograms, 72 ms
 * (medians of 9 runs on a machine busy with other work). The counters of the same week: 12,463
 * rows, 4,141 coarse.
 *
 * - `analytics_coarse_<hour|day>`: (tenant_id, bucket, workflow_key, variant, locale, reason,
 *   currency) and the counters and cost of the fine tables.
 * - `analytics_latency_coarse_<hour|day>`: (tenant_id, bucket, workflow_key, variant, locale,
 *   kind) and `counts int8[]`, a histogram as in migrations/20261218000000_latency_histogram_arrays.ts.
 * - The fold (core/analytics/rollups.ts) adds each batch to them in the same statement as to the
 *   fine tables; retention deletes them with the hour and day tables; a tenant deleted takes them
 *   along (foreign key). No minute level: questions by minute span a day at most.
 *
 * The history kept so far is summed from the fine hour and day tables (under the fold's lock, so no
 * fold runs between), so a database upgraded with history answers the same figures from either;
 * `down` drops the coarse tables (the fine ones hold everything).
 */

const LEVELS = ['hour', 'day'];
const DIMENSIONS = ['workflow_key', 'variant', 'locale'];
const COUNTERS = ['notifications', 'deliveries', 'sent', 'delivered', 'failed', 'bounced', 'suppressed', 'opened', 'clicked', 'finished', 'attempts'];
/** core/analytics/rollups.ts FOLD_LOCK. */
const FOLD_LOCK = 0x636c6672;

export async function up(knex: Knex): Promise<void> {
  await knex.raw('select pg_advisory_xact_lock(?)', [FOLD_LOCK]);
  for (const level of LEVELS) {
    const counters = `analytics_coarse_${level}`;
    const key = ['tenant_id', 'bucket', ...DIMENSIONS, 'reason', 'currency'].join(', ');
    await knex.raw(`
      create table ${counters} (
        tenant_id uuid not null references tenants(id) on delete cascade,
        bucket timestamptz not null,
        ${[...DIMENSIONS, 'reason', 'currency'].map((d) => `${d} text not null`).join(',\n        ')},
        ${COUNTERS.map((c) => `${c} bigint not null default 0`).join(',\n        ')},
        cost numeric not null default 0,
        primary key (${key})
      )`);
    await knex.raw(`
      insert into ${counters} (${key}, ${COUNTERS.join(', ')}, cost)
      select ${key}, ${COUNTERS.map((c) => `sum(${c})`).join(', ')}, sum(cost) from analytics_${level} group by ${key}`);

    const latency = `analytics_latency_coarse_${level}`;
    const latencyKey = ['tenant_id', 'bucket', ...DIMENSIONS, 'kind'].join(', ');
    await knex.raw(`
      create table ${latency} (
        tenant_id uuid not null references tenants(id) on delete cascade,
        bucket timestamptz not null,
        ${DIMENSIONS.map((d) => `${d} text not null`).join(',\n        ')},
        kind smallint not null,
        counts int8[] not null,
        primary key (${latencyKey})
      )`);
    await knex.raw(`
      insert into ${latency} (${latencyKey}, counts)
      select ${latencyKey}, clarion_histogram_sum(counts) from analytics_latency_${level} group by ${latencyKey}`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const level of LEVELS) {
    await knex.schema.dropTableIfExists(`analytics_latency_coarse_${level}`);
    await knex.schema.dropTableIfExists(`analytics_coarse_${level}`);
  }
}
