import type { Knex } from 'knex';

/**
 * Analytics answered from rollups, never from the raw rows.
 *
 * - Triggers on `deliveries` and `notifications` append one narrow row to `analytics_deltas` per
 *   change that counts (a delivery created, sent, delivered, failed, bounced, first opened, first
 *   clicked; a notification created or suppressed), carrying its dimensions and, for sent and
 *   delivered, the latency bucket since the event was received. Appending never waits for another
 *   transaction (concurrent sends do not queue on a shared counter row), and the table has no
 *   index to keep: rows live there a minute.
 * - The fold (core/analytics/rollups.ts, every minute from the worker's crontab) moves the deltas
 *   into `analytics_<minute|hour|day>` (counters and cost per bucket and dimensions) and
 *   `analytics_latency_<minute|hour|day>` (how many sends and deliveries fell in each latency
 *   bucket), with plain sums: queries read the rollup of their interval plus the deltas not yet folded.
 * - Buckets are the minute, hour or day (UTC) the delivery (or notification) was created: a later
 *   open counts for the day the message went out, so rates within a bucket are rates of its messages.
 * - Latency buckets (core/analytics/histogram.ts reads them): 1 holds [0, 1) ms, k >= 2 holds
 *   [2^((k-2)/4), 2^((k-1)/4)) ms (each 19 % wider than the one before), 126 everything from
 *   about 24.8 days.
 *
 * Existing history is counted once, from the raw rows (`clarion_analytics_rebuild`).
 */

const FUNCTIONS = `
create or replace function clarion_latency_bucket(ms double precision) returns smallint language sql immutable parallel safe as $$
  select case when ms is null then null when ms < 1 then 1 else least(126, 2 + floor(4 * ln(ms) / ln(2)))::smallint end
$$;

-- One delivery's change as a delta: only what counts fires the insert (and its one lookup).
create or replace function clarion_analytics_delivery() returns trigger language plpgsql as $$
declare
  v_sent int := 0; v_delivered int := 0; v_failed int := 0; v_bounced int := 0; v_opened int := 0; v_clicked int := 0; v_finished int := 0; v_attempts int := 0;
  v_sent_bucket smallint; v_delivered_bucket smallint;
  v_workflow text; v_received timestamptz;
begin
  if old.sent_at is null and new.sent_at is not null then
    v_sent := 1; v_finished := 1; v_attempts := new.attempt_count;
  end if;
  if new.status in ('delivered', 'read') and old.status not in ('delivered', 'read') then v_delivered := 1; end if;
  if new.status in ('failed', 'dead', 'undelivered') and old.status not in ('failed', 'dead', 'undelivered', 'bounced', 'cancelled') then
    v_failed := 1;
    if new.sent_at is null then v_finished := 1; v_attempts := new.attempt_count; end if;
  end if;
  if new.status = 'bounced' and old.status <> 'bounced' then v_bounced := 1; end if;
  if old.opened_at is null and new.opened_at is not null then v_opened := 1; end if;
  if old.clicked_at is null and new.clicked_at is not null then v_clicked := 1; end if;
  if v_sent + v_delivered + v_failed + v_bounced + v_opened + v_clicked = 0 then return null; end if;
  select n.workflow_key, e.received_at into v_workflow, v_received from notifications n join events e on e.id = n.event_id where n.id = new.notification_id;
  if v_sent = 1 then v_sent_bucket := clarion_latency_bucket(extract(epoch from new.sent_at - v_received) * 1000); end if;
  if v_delivered = 1 and new.delivered_at is not null then v_delivered_bucket := clarion_latency_bucket(extract(epoch from new.delivered_at - v_received) * 1000); end if;
  insert into analytics_deltas (tenant_id, bucket, workflow_key, channel, provider, adapter, variant, locale,
                                sent, delivered, failed, bounced, opened, clicked, finished, attempts, sent_bucket, delivered_bucket)
  values (new.tenant_id, date_trunc('minute', new.created_at, 'UTC'), coalesce(v_workflow, ''), new.channel, coalesce(new.provider_config_id::text, ''), coalesce(new.adapter, ''),
          coalesce(new.variant, ''), coalesce(new.locale, ''), v_sent, v_delivered, v_failed, v_bounced, v_opened, v_clicked, v_finished, v_attempts, v_sent_bucket, v_delivered_bucket);
  return null;
end $$;

-- Deliveries created, per statement: one delta per minute, workflow and channel of the batch.
create or replace function clarion_analytics_deliveries_created() returns trigger language plpgsql as $$
begin
  insert into analytics_deltas (tenant_id, bucket, workflow_key, channel, deliveries)
  select i.tenant_id, date_trunc('minute', i.created_at, 'UTC'), coalesce(n.workflow_key, ''), i.channel, count(*)
    from inserted i left join notifications n on n.id = i.notification_id
   group by 1, 2, 3, 4;
  return null;
end $$;

-- Notifications created (and those created suppressed), per statement.
create or replace function clarion_analytics_notifications_created() returns trigger language plpgsql as $$
begin
  insert into analytics_deltas (tenant_id, bucket, workflow_key, reason, notifications, suppressed)
  select tenant_id, date_trunc('minute', created_at, 'UTC'), workflow_key,
         case when status = 'suppressed' then coalesce(decisions -> -1 ->> 'reason', 'unknown') else '' end,
         count(*), count(*) filter (where status = 'suppressed')
    from inserted
   group by 1, 2, 3, 4;
  return null;
end $$;

-- A notification suppressed later (a deferred one, an erasure), with the last decision's reason.
create or replace function clarion_analytics_notification_suppressed() returns trigger language plpgsql as $$
begin
  insert into analytics_deltas (tenant_id, bucket, workflow_key, reason, suppressed)
  values (new.tenant_id, date_trunc('minute', new.created_at, 'UTC'), new.workflow_key, coalesce(new.decisions -> -1 ->> 'reason', 'unknown'), 1);
  return null;
end $$;
`;

const DIMENSIONS = ['workflow_key', 'channel', 'provider', 'adapter', 'variant', 'locale', 'reason', 'currency'];
/** Latencies are about deliveries: no suppression reason, no currency. */
const LATENCY_DIMENSIONS = ['workflow_key', 'channel', 'provider', 'adapter', 'variant', 'locale'];
const COUNTERS = ['notifications', 'deliveries', 'sent', 'delivered', 'failed', 'bounced', 'suppressed', 'opened', 'clicked', 'finished', 'attempts'];

/** Every delivery and notification of a range folded from the raw rows, as the triggers would have (for history before them). */
const REBUILD = `
create or replace function clarion_analytics_rebuild(p_from timestamptz, p_to timestamptz) returns bigint language plpgsql as $$
declare moved bigint;
begin
  insert into analytics_deltas (tenant_id, bucket, workflow_key, channel, provider, adapter, variant, locale, deliveries, sent, delivered, failed, bounced, opened, clicked, finished, attempts, sent_bucket, delivered_bucket)
  select d.tenant_id, date_trunc('minute', d.created_at, 'UTC'), n.workflow_key, d.channel, coalesce(d.provider_config_id::text, ''), coalesce(d.adapter, ''), coalesce(d.variant, ''), coalesce(d.locale, ''),
         1, (d.sent_at is not null)::int, (d.status in ('delivered', 'read'))::int, (d.status in ('failed', 'dead', 'undelivered'))::int, (d.status = 'bounced')::int,
         (d.opened_at is not null)::int, (d.clicked_at is not null)::int,
         (d.sent_at is not null or d.status in ('failed', 'dead', 'undelivered'))::int,
         case when d.sent_at is not null or d.status in ('failed', 'dead', 'undelivered') then d.attempt_count else 0 end,
         case when d.sent_at is not null then clarion_latency_bucket(extract(epoch from d.sent_at - e.received_at) * 1000) end,
         case when d.status in ('delivered', 'read') and d.delivered_at is not null then clarion_latency_bucket(extract(epoch from d.delivered_at - e.received_at) * 1000) end
    from deliveries d join notifications n on n.id = d.notification_id join events e on e.id = n.event_id
   where d.created_at >= p_from and d.created_at < p_to;
  get diagnostics moved = row_count;
  insert into analytics_deltas (tenant_id, bucket, workflow_key, reason, notifications, suppressed)
  select tenant_id, date_trunc('minute', created_at, 'UTC'), workflow_key,
         case when status = 'suppressed' then coalesce(decisions -> -1 ->> 'reason', 'unknown') else '' end, count(*), count(*) filter (where status = 'suppressed')
    from notifications where created_at >= p_from and created_at < p_to group by 1, 2, 3, 4;
  return moved;
end $$;
`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('deliveries', (t) => {
    // What the message was rendered as: its locale and, during an A/B test, its template variant.
    t.text('locale');
    t.text('variant');
  });

  // No primary key or index: rows are appended by the hot path and taken by ctid within a minute.
  await knex.raw(`
    create table analytics_deltas (
      tenant_id uuid not null,
      bucket timestamptz not null,
      ${DIMENSIONS.map((d) => `${d} text not null default ''`).join(',\n      ')},
      ${COUNTERS.map((c) => `${c} int not null default 0`).join(',\n      ')},
      cost numeric not null default 0,
      sent_bucket smallint,
      delivered_bucket smallint
    ) with (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000, autovacuum_vacuum_cost_delay = 0)`);
  for (const level of ['minute', 'hour', 'day']) {
    await knex.raw(`
      create table analytics_${level} (
        tenant_id uuid not null references tenants(id) on delete cascade,
        bucket timestamptz not null,
        ${DIMENSIONS.map((d) => `${d} text not null`).join(',\n        ')},
        ${COUNTERS.map((c) => `${c} bigint not null default 0`).join(',\n        ')},
        cost numeric not null default 0,
        primary key (tenant_id, bucket, ${DIMENSIONS.join(', ')})
      )`);
    // kind 1: event to provider accepted; 2: event to delivery receipt.
    await knex.raw(`
      create table analytics_latency_${level} (
        tenant_id uuid not null references tenants(id) on delete cascade,
        bucket timestamptz not null,
        ${LATENCY_DIMENSIONS.map((d) => `${d} text not null`).join(',\n        ')},
        kind smallint not null,
        latency smallint not null,
        count bigint not null,
        primary key (tenant_id, bucket, ${LATENCY_DIMENSIONS.join(', ')}, kind, latency)
      )`);
  }
  await knex.raw(FUNCTIONS);
  await knex.raw(REBUILD);
  await knex.raw(`
    create trigger deliveries_analytics_created after insert on deliveries referencing new table as inserted
      for each statement execute function clarion_analytics_deliveries_created();
    create trigger deliveries_analytics_changed after update on deliveries for each row
      when (old.status is distinct from new.status or old.sent_at is distinct from new.sent_at or old.opened_at is distinct from new.opened_at or old.clicked_at is distinct from new.clicked_at)
      execute function clarion_analytics_delivery();
    create trigger notifications_analytics_created after insert on notifications referencing new table as inserted
      for each statement execute function clarion_analytics_notifications_created();
    create trigger notifications_analytics_suppressed after update on notifications for each row
      when (new.status = 'suppressed' and old.status is distinct from new.status)
      execute function clarion_analytics_notification_suppressed();
  `);
  // History so far, once (the worker's first fold moves it into the rollups).
  await knex.raw(`select clarion_analytics_rebuild('-infinity', 'infinity')`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop trigger if exists deliveries_analytics_created on deliveries;
    drop trigger if exists deliveries_analytics_changed on deliveries;
    drop trigger if exists notifications_analytics_created on notifications;
    drop trigger if exists notifications_analytics_suppressed on notifications;
    drop function if exists clarion_analytics_rebuild(timestamptz, timestamptz);
    drop function if exists clarion_analytics_delivery();
    drop function if exists clarion_analytics_deliveries_created();
    drop function if exists clarion_analytics_notifications_created();
    drop function if exists clarion_analytics_notification_suppressed();
    drop function if exists clarion_latency_bucket(double precision);
  `);
  for (const level of ['day', 'hour', 'minute']) {
    await knex.schema.dropTableIfExists(`analytics_latency_${level}`);
    await knex.schema.dropTableIfExists(`analytics_${level}`);
  }
  await knex.schema.dropTableIfExists('analytics_deltas');
  await knex.schema.alterTable('deliveries', (t) => {
    t.dropColumns('locale', 'variant');
  });
}
