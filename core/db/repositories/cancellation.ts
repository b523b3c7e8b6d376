import type { Knex } from 'knex';
import { rollupSql } from './rollup.ts';

/**
 * The statements of a cancellation (core/notifications/cancellation.ts), set-based: an event to a
 * large topic may have a notification per member. Each takes the rows it changes in the order the
 * other writers do (events, then topic streams, then notifications, then deliveries), so a page or
 * a send under way finishes first and its rows are then seen and cancelled.
 */

/** Delivery statuses that mean the provider has it: reported, never recalled. */
export const HANDED_OVER = ['sent', 'delivered', 'read', 'undelivered', 'bounced'];

/** The tenant's events to cancel, locked: by id, or by cancellation key. */
export async function lockEvents(db: Knex, tenantId: string, target: { eventIds: string[] } | { key: string }): Promise<Array<{ id: string; status: string }>> {
  const query = db('events').where({ tenant_id: tenantId }).forUpdate().orderBy('id').select('id', 'status');
  return 'key' in target ? query.where({ cancel_key: target.key }) : query.whereIn('id', target.eventIds);
}

/** Events not fanned out yet become `cancelled`; every one records when and why (the first cancellation's). Returns the ids cancelled before fan-out. */
export async function markEventsCancelled(db: Knex, eventIds: string[], reason: string, now: Date): Promise<string[]> {
  const rows: Array<{ id: string; before: string }> = await db.raw(
    `update events e set status = case when e.status in ('received', 'processing', 'failed') then 'cancelled' else e.status end,
            cancelled_at = coalesce(e.cancelled_at, ?), cancel_reason = coalesce(e.cancel_reason, ?)
       from (select id, status as before from events where id = any(?::uuid[])) b
      where e.id = b.id
      returning e.id, b.before`,
    [now, reason, eventIds],
  ).then((r: { rows: Array<{ id: string; before: string }> }) => r.rows);
  return rows.filter((r) => ['received', 'processing', 'failed'].includes(r.before)).map((r) => r.id);
}

/** Topic fan-outs still running for the events stop (a page under way commits first). */
export async function cancelTopicFanOuts(db: Knex, tenantId: string, eventIds: string[], now: Date): Promise<number> {
  return db('topic_fan_outs').where({ tenant_id: tenantId, status: 'running' }).whereIn('event_id', eventIds).update({ status: 'cancelled', finished_at: now });
}

export interface PendingCounts {
  notifications: number;
  deferred: number;
  batched: number;
  escalationSteps: number;
  delayedSteps: number;
}

/** The SQL condition of a notification (`n`) with something still pending. */
const PENDING = `(n.status in ('pending', 'scheduled', 'batched')
   or n.escalation->'steps' @> '[{"status": "pending"}]'
   or n.workflow_steps->>'status' = 'waiting'
   or exists (select 1 from deliveries d where d.notification_id = n.id and d.status in ('pending', 'retrying')))`;

/**
 * Cancels what is pending for the events' notifications: queued and retrying deliveries, deferred
 * and delayed notifications, their places in open batches (through `release`, the plugins' cancel
 * hooks), their pending escalation and workflow steps. A notification nothing was handed over for becomes `suppressed`, with a decision saying
 * why; one with deliveries already sent keeps the status its deliveries give it. Returns what was
 * cancelled and the ids of the notifications suppressed now. `by: 'notification'`: the ids are
 * notifications' (a correlation replacing them), not events'.
 */
export async function cancelNotifications(
  db: Knex, tenantId: string, eventIds: string[], reason: string, now: Date,
  /** Plugins with state release what they hold of the (locked) notifications first: their places in batches. */
  release: (ids: string[]) => Promise<{ batched: number }>,
  by: 'event' | 'notification' = 'event',
): Promise<{ counts: PendingCounts & { deliveries: number }; suppressed: Array<{ id: string; workflow_key: string; external_id: string | null }> }> {
  const { rows: targets } = await db.raw(
    `select n.id, n.status = 'scheduled' and n.escalation is null and n.workflow_steps is null as deferred,
            (select count(*) from jsonb_array_elements(case when jsonb_typeof(n.escalation->'steps') = 'array' then n.escalation->'steps' else '[]'::jsonb end) s where s->>'status' = 'pending')::int as steps,
            coalesce(n.workflow_steps->>'status' = 'waiting', false) as delayed
       from notifications n where n.tenant_id = ? and n.${by === 'event' ? 'event_id' : 'id'} = any(?::uuid[]) and ${PENDING} order by n.id for update`,
    [tenantId, eventIds],
  );
  const rows = targets as Array<{ id: string; deferred: boolean; steps: number; delayed: boolean }>;
  const ids = rows.map((r) => r.id);
  const { batched } = ids.length === 0 ? { batched: 0 } : await release(ids);
  const counts: PendingCounts = {
    notifications: rows.length,
    deferred: rows.filter((r) => r.deferred).length,
    batched,
    escalationSteps: rows.reduce((n, r) => n + r.steps, 0),
    delayedSteps: rows.filter((r) => r.delayed).length,
  };
  if (ids.length === 0) return { counts: { ...counts, deliveries: 0 }, suppressed: [] };
  const deliveries = await db('deliveries')
    .where({ tenant_id: tenantId })
    .whereIn('status', ['pending', 'retrying'])
    .whereRaw('notification_id = any(?::uuid[])', [ids])
    .update({ status: 'cancelled', next_attempt_at: null, error_code: 'cancelled', error_message: reason, updated_at: now });
  const decision = JSON.stringify([{ plugin: 'cancellation', decision: 'suppress', reason, at: now.toISOString() }]);
  const { rows: suppressed } = await db.raw(
    `update notifications n set
       status = case when n.status in ('pending', 'scheduled', 'batched')
                      and not exists (select 1 from deliveries d where d.notification_id = n.id and d.status not in ('cancelled', 'pending', 'retrying'))
                     then 'suppressed' else ${rollupSql('n.id', 'n.status')} end,
       scheduled_for = null,
       escalation = case when jsonb_typeof(n.escalation->'steps') = 'array' then jsonb_set(n.escalation, '{steps}', coalesce((
           select jsonb_agg(case when s->>'status' = 'pending' then s || jsonb_build_object('status', 'cancelled', 'reason', ?::text) else s end order by o)
             from jsonb_array_elements(n.escalation->'steps') with ordinality as x(s, o)), '[]'::jsonb)) else n.escalation end,
       workflow_steps = case when n.workflow_steps->>'status' = 'waiting' then n.workflow_steps || jsonb_build_object('status', 'cancelled', 'reason', ?::text) else n.workflow_steps end,
       decisions = n.decisions || ?::jsonb,
       updated_at = ?
      where n.id = any(?::uuid[])
      returning n.id, n.status, n.workflow_key, (select external_id from subscribers s where s.id = n.subscriber_id) as external_id`,
    [reason, reason, decision, now, ids],
  );
  return {
    counts: { ...counts, deliveries },
    suppressed: (suppressed as Array<{ id: string; status: string; workflow_key: string; external_id: string | null }>).filter((r) => r.status === 'suppressed'),
  };
}

/** What had already gone out for the events (reported, not recalled), and what is being handed over right now. */
export async function handedOver(db: Knex, tenantId: string, eventIds: string[], limit: number): Promise<{ count: number; inFlight: number; items: Array<{ notificationId: string; subscriberId: string | null; channel: string; status: string }> }> {
  const base = () => db('deliveries as d').join('notifications as n', 'n.id', 'd.notification_id').where({ 'n.tenant_id': tenantId }).whereIn('n.event_id', eventIds);
  const [{ count, inFlight }] = await base().select(
    db.raw(`count(*) filter (where d.status = any(?::text[]))::int as count`, [HANDED_OVER]),
    db.raw(`count(*) filter (where d.status = 'sending')::int as "inFlight"`),
  );
  const items = await base()
    .leftJoin('subscribers as s', 's.id', 'n.subscriber_id')
    .whereIn('d.status', HANDED_OVER)
    .orderBy('d.updated_at')
    .limit(limit)
    .select({ notificationId: 'n.id', subscriberId: 's.external_id', channel: 'd.channel', status: 'd.status' });
  return { count, inFlight, items };
}

/** Schedules whose event carries the key end (paused ones too): no later occurrence emits anything. */
export async function cancelSchedules(db: Knex, tenantId: string, key: string, now: Date): Promise<number> {
  return db('schedules')
    .where({ tenant_id: tenantId })
    .whereIn('status', ['active', 'paused'])
    .whereRaw(`event->'extensions'->>'cancelkey' = ?`, [key])
    .update({ status: 'cancelled', next_at: null, fire_at: null, updated_at: now });
}
