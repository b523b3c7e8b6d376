import type { Knex } from 'knex';

/**
 * Latency histograms kept as one row per histogram instead of one row per latency bucket.
 *
 * `analytics_latency_<minute|hour|day>` held a row per (tenant, bucket, workflow_key, channel,
 * provider, adapter, variant, locale, kind) and latency bucket: 1.08 million rows in the hour table
 * for 30 days of 10 million deliveries, and a question over many buckets and groups ("a week by
 * hour, by workflow and locale") scanned a quarter of a million of them, grouped them and sent
 * tens of thousands to node (1.4 s). Now each row is a whole histogram, `counts int8[]`, an array
 * whose lower bound is the first latency bucket in use (`'[24:26]={5,7,1}'`: 5 latencies in bucket
 * 24, 7 in 25, 1 in 26; buckets are `clarion_latency_bucket`'s, core/analytics/histogram.ts): about
 * twelve times fewer rows, read as they are.
 *
 * - `clarion_histogram_add(a, b)`: the element-wise sum of two histograms, whatever their lower
 *   bounds (null or empty + x = x); the fold's upsert adds a batch's histogram to the stored one
 *   with it. `clarion_histogram_sum(int8[])` is its aggregate.
 * - `clarion_histogram_of(latencies, counts)`: the histogram of (latency bucket, count) pairs
 *   (a bucket given twice counts twice), for the fold and this conversion.
 *
 * The rows kept so far are converted (each group of bucket rows becomes its array), so a database
 * upgraded with history answers the same figures; `down` splits the arrays back into rows.
 */

const LEVELS = ['minute', 'hour', 'day'];
const DIMENSIONS = ['workflow_key', 'channel', 'provider', 'adapter', 'variant', 'locale'];
const KEY = ['tenant_id', 'bucket', ...DIMENSIONS, 'kind'].join(', ');

const FUNCTIONS = `
create or replace function clarion_histogram_add(a int8[], b int8[]) returns int8[] language plpgsql immutable parallel safe as $$
declare
  lo int; hi int; r int8[]; i int;
begin
  if a is null or cardinality(a) = 0 then return b; end if;
  if b is null or cardinality(b) = 0 then return a; end if;
  lo := least(array_lower(a, 1), array_lower(b, 1));
  hi := greatest(array_upper(a, 1), array_upper(b, 1));
  -- b within a (the usual case once a histogram has grown): added to a, without a new array.
  if lo = array_lower(a, 1) and hi = array_upper(a, 1) then
    for i in array_lower(b, 1) .. array_upper(b, 1) loop a[i] := coalesce(a[i], 0) + coalesce(b[i], 0); end loop;
    return a;
  end if;
  r := array_fill(0::int8, array[hi - lo + 1], array[lo]);
  for i in array_lower(a, 1) .. array_upper(a, 1) loop r[i] := coalesce(a[i], 0); end loop;
  for i in array_lower(b, 1) .. array_upper(b, 1) loop r[i] := r[i] + coalesce(b[i], 0); end loop;
  return r;
end $$;

create or replace aggregate clarion_histogram_sum(int8[]) (sfunc = clarion_histogram_add, stype = int8[], combinefunc = clarion_histogram_add, parallel = safe);

create or replace function clarion_histogram_of(latencies smallint[], counts int8[]) returns int8[] language plpgsql immutable parallel safe as $$
declare
  lo int; hi int; r int8[]; i int;
begin
  select min(l), max(l) into lo, hi from unnest(latencies) l;
  if lo is null then return null; end if;
  r := array_fill(0::int8, array[hi - lo + 1], array[lo]);
  for i in 1 .. cardinality(latencies) loop
    if latencies[i] is not null then r[latencies[i]] := r[latencies[i]] + coalesce(counts[i], 0); end if;
  end loop;
  return r;
end $$;
`;

const table = (name: string, last: string) => `
  create table ${name} (
    tenant_id uuid not null constraint ${name}_tenant_id_fkey references tenants(id) on delete cascade,
    bucket timestamptz not null,
    ${DIMENSIONS.map((d) => `${d} text not null`).join(',\n    ')},
    kind smallint not null,
    ${last},
    constraint ${name}_pkey primary key (${KEY}${last.startsWith('latency') ? ', latency' : ''})
  )`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(FUNCTIONS);
  for (const level of LEVELS) {
    const name = `analytics_latency_${level}`;
    await knex.raw(`alter table ${name} rename to ${name}_rows`);
    await knex.raw(`alter table ${name}_rows rename constraint ${name}_pkey to ${name}_rows_pkey`);
    await knex.raw(`alter table ${name}_rows rename constraint ${name}_tenant_id_fkey to ${name}_rows_tenant_id_fkey`);
    await knex.raw(table(name, 'counts int8[] not null'));
    await knex.raw(`
      insert into ${name} (${KEY}, counts)
      select ${KEY}, clarion_histogram_of(array_agg(latency), array_agg(count)) from ${name}_rows group by ${KEY}`);
    await knex.raw(`drop table ${name}_rows`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const level of LEVELS) {
    const name = `analytics_latency_${level}`;
    await knex.raw(`alter table ${name} rename to ${name}_arrays`);
    await knex.raw(`alter table ${name}_arrays rename constraint ${name}_pkey to ${name}_arrays_pkey`);
    await knex.raw(`alter table ${name}_arrays rename constraint ${name}_tenant_id_fkey to ${name}_arrays_tenant_id_fkey`);
    await knex.raw(table(name, 'latency smallint not null,\n    count bigint not null'));
    await knex.raw(`
      insert into ${name} (${KEY}, latency, count)
      select ${KEY}, k, counts[k] from ${name}_arrays, generate_subscripts(counts, 1) k where counts[k] > 0`);
    await knex.raw(`drop table ${name}_arrays`);
  }
  await knex.raw(`
    drop function if exists clarion_histogram_of(smallint[], int8[]);
    drop aggregate if exists clarion_histogram_sum(int8[]);
    drop function if exists clarion_histogram_add(int8[], int8[]);
  `);
}
