import type { Knex } from 'knex';

const NOTIFICATION_STATUSES = ['pending', 'scheduled', 'batched', 'suppressed', 'sent', 'delivered', 'partially_delivered', 'failed', 'seen', 'read', 'acknowledged', 'archived'];

/**
 * The notification status roll-up, in one place: the database, so the one-statement success path
 * and every other writer apply the same rule (core/notifications/status.ts documents it).
 *
 * Deliveries form chains: a delivery of the workflow's plan (or an escalation step) and the
 * fallbacks that took over from it. A chain succeeded when any of its deliveries was sent (or
 * confirmed delivered, or read), is open while one is pending or retrying, failed when all that
 * remain are failures; a chain of cancelled deliveries counts for nothing. Then:
 * every counted chain succeeded -> `delivered` (some confirmed) or `sent`; some succeeded, the
 * others failed for good -> `partially_delivered`; some succeeded, others still open -> `delivered`
 * or `sent` for now; none succeeded, some open -> `pending`; all failed -> `failed`. Statuses the
 * recipient or the pipeline set (seen, read, acknowledged, archived, suppressed, batched) stay.
 * `p_delivery`/`p_delivery_status` stand for a delivery's new status not yet visible to the
 * statement asking (a CTE that updates it in the same statement).
 *
 * VOLATILE on purpose: its query takes a fresh snapshot when it runs, after the caller locked the
 * notification row, so it sees the other deliveries as committed by whoever held the lock before.
 */
const ROLLUP = `
create or replace function clarion_notification_status(p_notification uuid, p_current text, p_delivery uuid default null, p_delivery_status text default null)
returns text language sql volatile as $$
  with recursive d as (
    select id, fallback_of, case when id = p_delivery then p_delivery_status else status end as status
      from deliveries where notification_id = p_notification
  ), chain as (
    select id as root, id, status from d where fallback_of is null
    union all
    select c.root, d.id, d.status from d join chain c on d.fallback_of = c.id
  ), roots as (
    select root,
           case when bool_or(status in ('sent', 'delivered', 'read')) then 'ok'
                when bool_or(status in ('pending', 'sending', 'retrying')) then 'open'
                when bool_or(status in ('failed', 'dead', 'bounced', 'undelivered')) then 'bad'
                else 'none' end as outcome,
           bool_or(status in ('delivered', 'read')) as confirmed
      from chain group by root
  ), counted as (
    select * from roots where outcome <> 'none'
  )
  select case
           when p_current in ('seen', 'read', 'acknowledged', 'archived', 'suppressed', 'batched') then p_current
           when not exists (select 1 from counted) then p_current
           when (select bool_and(outcome = 'ok') from counted) then case when (select bool_or(confirmed) from counted) then 'delivered' else 'sent' end
           when exists (select 1 from counted where outcome = 'ok') and not exists (select 1 from counted where outcome = 'open') then 'partially_delivered'
           when exists (select 1 from counted where outcome = 'ok') then case when (select bool_or(confirmed) from counted) then 'delivered' else 'sent' end
           when exists (select 1 from counted where outcome = 'open') then case when p_current in ('pending', 'scheduled') then p_current else 'pending' end
           else 'failed'
         end
$$`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table notifications drop constraint if exists notifications_status_check');
  await knex.raw(`alter table notifications add constraint notifications_status_check check (status in (${NOTIFICATION_STATUSES.map((s) => `'${s}'`).join(', ')}))`);
  await knex.raw(ROLLUP);
  await knex.schema.alterTable('deliveries', (t) => {
    // When the current chain of transient failures began (the fallback engages after a while).
    t.timestamp('failing_since', { useTz: true });
  });
  await knex.schema.alterTable('provider_configs', (t) => {
    t.timestamp('last_error_at', { useTz: true });
    // GCRA pacing of maxPerSecond: the theoretical arrival time of the next message.
    t.timestamp('rate_tat', { useTz: true });
  });
  await knex.schema.alterTable('delivery_attempts', (t) => {
    // A probe of a half-open circuit: its failure spends none of the delivery's attempts.
    t.boolean('probe').notNullable().defaultTo(false);
    // What a permanent failure was about: the recipient (fallback channel) or the provider (next provider).
    t.text('error_scope');
  });
  await knex.schema.dropTableIfExists('provider_rate_windows');
  await knex.schema.alterTable('events', (t) => {
    // Why a processed event produced nothing, when that is not an error (no workflow for its type).
    t.text('notice');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('events', (t) => {
    t.dropColumn('notice');
  });
  await knex.schema.createTable('provider_rate_windows', (t) => {
    t.uuid('provider_config_id').notNullable().references('id').inTable('provider_configs').onDelete('CASCADE');
    t.timestamp('window_start', { useTz: true }).notNullable();
    t.integer('count').notNullable();
    t.primary(['provider_config_id', 'window_start']);
  });
  await knex.schema.alterTable('provider_configs', (t) => {
    t.dropColumns('last_error_at', 'rate_tat');
  });
  await knex.schema.alterTable('deliveries', (t) => {
    t.dropColumn('failing_since');
  });
  await knex.schema.alterTable('delivery_attempts', (t) => {
    t.dropColumns('probe', 'error_scope');
  });
  await knex.raw('drop function if exists clarion_notification_status(uuid, text, uuid, text)');
  await knex.raw("update notifications set status = 'delivered' where status = 'partially_delivered'");
  await knex.raw('alter table notifications drop constraint if exists notifications_status_check');
  await knex.raw(`alter table notifications add constraint notifications_status_check check (status in (${NOTIFICATION_STATUSES.filter((s) => s !== 'partially_delivered').map((s) => `'${s}'`).join(', ')}))`);
}
