import type { Knex } from 'knex';
import type { AnalyticsContext } from './context.ts';
import { MINUTE_DAYS } from './rollups.ts';

/**
 * Retention: the daily `enforce_retention` job deletes each tenant's rows older than its window
 * (`settings.retentionDays`, else CLARION_RETENTION_DAYS, never more than
 * CLARION_RETENTION_MAX_DAYS), and the analytics rollups older than their own longer window
 * (CLARION_ANALYTICS_RETENTION_DAYS), so figures outlive the rows they were counted from.
 *
 * Every batch is one short transaction over at most CLARION_RETENTION_BATCH parent rows, taken with
 * `for update skip locked` (rows another transaction holds wait for the next run, and the job
 * never waits on them); children go first in the same transaction, so the cascades left have
 * nothing to do. Nothing still pending goes, however old:
 * - a notification goes with its deliveries, their attempts, its interactions and inbox items, only
 *   once finished: not pending, scheduled or batched, no delivery pending, sending or retrying,
 *   no workflow step running or waiting, no escalation step pending, no inbox item snoozed;
 * - an event goes with its attachments once processed (or failed, or cancelled), when no
 *   notification of it is left and no topic fan-out of it runs;
 * - a webhook message goes with its attempts once delivered or failed (not while retrying);
 * - a digest goes once sent (or found empty), never while open;
 * - the sandbox outbox's messages go by age.
 * The audit log is append-only (DESIGN.md): its entries go only with their tenant. Inbox changes
 * have their own, shorter window (CLARION_INBOX_CHANGES_KEEP_HOURS, prune_inbox_changes).
 */

export interface RetentionReport {
  tenants: number;
  /** Rows deleted per table. */
  deleted: Record<string, number>;
}

const FINISHED_NOTIFICATION = `
  n.tenant_id = :tenant and n.created_at < :cutoff
  and n.status not in ('pending', 'scheduled', 'batched')
  and (n.scheduled_for is null or n.scheduled_for < :now)
  and coalesce(n.workflow_steps ->> 'status', 'done') not in ('running', 'waiting')
  and not (coalesce(n.escalation -> 'steps', '[]'::jsonb) @> '[{"status": "pending"}]'::jsonb)
  and not exists (select 1 from deliveries d where d.notification_id = n.id and d.status in ('pending', 'sending', 'retrying'))
  and not exists (select 1 from inbox_items i where i.notification_id = n.id and i.snoozed_until > :now)`;

const FINISHED_EVENT = `
  e.tenant_id = :tenant and e.received_at < :cutoff
  and e.status in ('processed', 'failed', 'cancelled')
  and not exists (select 1 from notifications n where n.event_id = e.id)
  and not exists (select 1 from topic_fan_outs f where f.event_id = e.id and f.status = 'running')`;

/** The tables of rollups kept for CLARION_ANALYTICS_RETENTION_DAYS, and the minute ones kept MINUTE_DAYS. */
const LONG_ROLLUPS = ['analytics_hour', 'analytics_day', 'analytics_latency_hour', 'analytics_latency_day', 'analytics_coarse_hour', 'analytics_coarse_day', 'analytics_latency_coarse_hour', 'analytics_latency_coarse_day'];
const MINUTE_ROLLUPS = ['analytics_minute', 'analytics_latency_minute', 'analytics_channel_minute', 'analytics_latency_channel_minute'];

/** The window of a tenant: its setting within the operator's maximum, else the operator's default. */
export function retentionDaysOf(settings: Record<string, unknown> | null | undefined, config: { retentionDays: number; retentionMaxDays: number }): number {
  const own = settings?.retentionDays;
  const days = typeof own === 'number' && Number.isInteger(own) && own >= 1 ? own : config.retentionDays;
  return Math.min(days, config.retentionMaxDays);
}

export async function enforceRetention(ctx: AnalyticsContext): Promise<RetentionReport> {
  const { knex, config, clock } = ctx;
  const now = clock.now();
  const deleted: Record<string, number> = {};
  const add = (table: string, count: number) => {
    if (count > 0) deleted[table] = (deleted[table] ?? 0) + count;
  };
  const tenants: { id: string; settings: Record<string, unknown> | null }[] = await knex('tenants').select('id', 'settings').orderBy('id');
  for (const tenant of tenants) {
    const cutoff = new Date(now.getTime() - retentionDaysOf(tenant.settings, config) * 86_400_000);
    const params = { tenant: tenant.id, cutoff, now, batch: config.retentionBatch };
    await untilDone(() => notificationBatch(knex, params, add));
    await untilDone(() => eventBatch(knex, params, add));
    await untilDone(() => webhookBatch(knex, params, add));
    await untilDone(() => simpleBatch(knex, 'interactions', 'occurred_at', params, add));
    await untilDone(() => simpleBatch(knex, 'outbox_messages', 'created_at', params, add));
    // The tables of plugins with state (the digest plugin's sent digests) through their hooks.
    await untilDone(async () => {
      const counts = await ctx.pluginRetention(knex, { tenantId: tenant.id, cutoff, now, limit: params.batch });
      for (const [table, n] of Object.entries(counts)) add(table, n);
      return Object.values(counts).some((n) => n >= params.batch);
    });
    // Inbox items of no notification (the notification's own went with it).
    await untilDone(() => orphanInboxBatch(knex, params, add));
    const rollupCutoff = new Date(now.getTime() - Math.max(config.analyticsRetentionDays, retentionDaysOf(tenant.settings, config)) * 86_400_000);
    for (const table of LONG_ROLLUPS) await untilDone(() => rollupBatch(knex, table, { ...params, cutoff: rollupCutoff }, add));
    // Minute buckets are never asked for beyond MINUTE_DAYS (queries refuse it): a day's margin.
    const minuteCutoff = new Date(now.getTime() - (MINUTE_DAYS + 1) * 86_400_000);
    for (const table of MINUTE_ROLLUPS) await untilDone(() => rollupBatch(knex, table, { ...params, cutoff: minuteCutoff }, add));
  }
  return { tenants: tenants.length, deleted };
}

type BatchParams = {
  tenant: string;
  cutoff: Date;
  now: Date;
  batch: number;
};

type Add = (table: string, count: number) => void;

/** Runs batches while they come back full. */
async function untilDone(batch: () => Promise<boolean>): Promise<void> {
  while (await batch());
}

const count = (result: { rowCount?: number | null }) => result.rowCount ?? 0;

async function notificationBatch(knex: Knex, params: BatchParams, add: Add): Promise<boolean> {
  return knex.transaction(async (trx) => {
    const { rows } = await trx.raw(`select n.id from notifications n where ${FINISHED_NOTIFICATION} order by n.created_at limit :batch for update of n skip locked`, params);
    const ids: string[] = rows.map((r: { id: string }) => r.id);
    if (ids.length === 0) return false;
    add('delivery_attempts', count(await trx.raw('delete from delivery_attempts where delivery_id in (select id from deliveries where notification_id = any(?))', [ids])));
    add('interactions', count(await trx.raw('delete from interactions where notification_id = any(?)', [ids])));
    add('inbox_items', count(await trx.raw('delete from inbox_items where notification_id = any(?)', [ids])));
    add('deliveries', count(await trx.raw('delete from deliveries where notification_id = any(?)', [ids])));
    add('notifications', count(await trx.raw('delete from notifications where id = any(?)', [ids])));
    return ids.length === params.batch;
  });
}

async function eventBatch(knex: Knex, params: BatchParams, add: Add): Promise<boolean> {
  return knex.transaction(async (trx) => {
    const { rows } = await trx.raw(`select e.id from events e where ${FINISHED_EVENT} order by e.received_at limit :batch for update of e skip locked`, params);
    const ids: string[] = rows.map((r: { id: string }) => r.id);
    if (ids.length === 0) return false;
    add('attachments', count(await trx.raw('delete from attachments where event_id = any(?)', [ids])));
    add('topic_fan_outs', count(await trx.raw('delete from topic_fan_outs where event_id = any(?)', [ids])));
    add('events', count(await trx.raw('delete from events where id = any(?)', [ids])));
    return ids.length === params.batch;
  });
}

async function webhookBatch(knex: Knex, params: BatchParams, add: Add): Promise<boolean> {
  return knex.transaction(async (trx) => {
    const { rows } = await trx.raw(
      `select id from webhook_messages where tenant_id = :tenant and created_at < :cutoff and status in ('delivered', 'failed') order by created_at limit :batch for update skip locked`,
      params,
    );
    const ids: string[] = rows.map((r: { id: string }) => r.id);
    if (ids.length === 0) return false;
    add('webhook_attempts', count(await trx.raw('delete from webhook_attempts where message_id = any(?)', [ids])));
    add('webhook_messages', count(await trx.raw('delete from webhook_messages where id = any(?)', [ids])));
    return ids.length === params.batch;
  });
}

async function simpleBatch(knex: Knex, table: 'interactions' | 'outbox_messages', column: string, params: BatchParams, add: Add): Promise<boolean> {
  const result = await knex.raw(
    `delete from ${table} where id in (select id from ${table} where tenant_id = :tenant and ${column} < :cutoff limit :batch for update skip locked)`,
    params,
  );
  add(table, count(result));
  return count(result) === params.batch;
}

async function orphanInboxBatch(knex: Knex, params: BatchParams, add: Add): Promise<boolean> {
  const result = await knex.raw(
    `delete from inbox_items where id in (
       select id from inbox_items where tenant_id = :tenant and notification_id is null and created_at < :cutoff
          and (snoozed_until is null or snoozed_until <= :now)
        limit :batch for update skip locked)`,
    params,
  );
  add('inbox_items', count(result));
  return count(result) === params.batch;
}

async function rollupBatch(knex: Knex, table: string, params: BatchParams, add: Add): Promise<boolean> {
  const result = await knex.raw(
    `delete from ${table} where ctid = any(array(select ctid from ${table} where tenant_id = :tenant and bucket < :cutoff limit :batch for update skip locked))`,
    params,
  );
  add(table, count(result));
  return count(result) === params.batch;
}
