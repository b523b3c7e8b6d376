import { audit } from '../db/repositories/audit-log.ts';
import { cancelNotifications, cancelSchedules, cancelTopicFanOuts, handedOver, lockEvents, markEventsCancelled } from '../db/repositories/cancellation.ts';
import { ClarionError } from '../errors.ts';
import { NullableString, schemaAjv, Type, type Static } from '../kernel/schema.ts';
import { toFieldErrors } from '../kernel/validation.ts';
import type { NotificationsContext } from './context.ts';
import { emitNotification } from './status.ts';

/**
 * Cancellation: `DELETE /v1/events/:id`, or `POST /v1/cancellations {key}` for every event that
 * carried the key (the `cancelkey` extension). In one transaction, everything still pending for
 * them stops: an event not fanned out yet, a topic fan-out under way, deferred and delayed
 * notifications, their places in open digests (through the plugins' cancel hooks), pending
 * escalation and workflow steps, queued and retrying deliveries. What a provider already has is reported, never recalled. Each event's
 * cancellation is audited (`event.cancelled`), and each notification it suppressed is announced
 * as `io.clarion.notification.suppressed` with the reason.
 */

const REPORTED = 100;

export const cancellationInputSchema = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 1024, description: 'The `cancelkey` extension the events carried' }),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Why: kept on the events, the decisions and the audit trail' })),
  },
  { additionalProperties: false },
);

export const cancellationResultSchema = Type.Object({
  events: Type.Integer({ minimum: 0, description: 'Events cancelled' }),
  reason: Type.String(),
  cancelled: Type.Object({
    events: Type.Integer({ minimum: 0, description: 'Events not fanned out yet (a `deliverafter` still ahead): nothing of them will be sent' }),
    topicFanOuts: Type.Integer({ minimum: 0, description: 'Topic fan-outs stopped before their last page' }),
    notifications: Type.Integer({ minimum: 0, description: 'Notifications that had something pending' }),
    deferred: Type.Integer({ minimum: 0, description: 'Notifications waiting for a time (quiet hours, a send window)' }),
    delayed: Type.Integer({ minimum: 0, description: 'Notifications waiting in a delay step of their workflow' }),
    batched: Type.Integer({ minimum: 0, description: 'Notifications taken out of an open digest' }),
    escalationSteps: Type.Integer({ minimum: 0 }),
    deliveries: Type.Integer({ minimum: 0, description: 'Deliveries queued or waiting for a retry' }),
    suppressed: Type.Integer({ minimum: 0, description: 'Notifications nothing had gone out for, now suppressed' }),
    schedules: Type.Integer({ minimum: 0, description: 'Schedules whose event carries the key (POST /v1/cancellations only): ended, nothing more is emitted' }),
  }),
  inFlight: Type.Integer({ minimum: 0, description: 'Deliveries being handed to a provider at this moment: they complete' }),
  alreadySent: Type.Object({
    count: Type.Integer({ minimum: 0 }),
    items: Type.Array(
      Type.Object({ notificationId: Type.String({ format: 'uuid' }), subscriberId: NullableString(), channel: Type.String(), status: Type.String() }),
      { description: `What providers already had (reported, not recalled): the first ${REPORTED}` },
    ),
  }),
});
export type CancellationResult = Static<typeof cancellationResultSchema>;

const validateInput = schemaAjv().compile(cancellationInputSchema);

export function checkCancellation(body: unknown): { key: string; reason?: string } {
  if (!validateInput(body)) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid cancellation', { errors: toFieldErrors(validateInput.errors ?? []) });
  return body as { key: string; reason?: string };
}

export async function cancel(ctx: NotificationsContext, tenantId: string, target: { eventIds: string[] } | { key: string }, options: { reason?: string; actor: string }): Promise<CancellationResult> {
  const { knex, clock, log } = ctx;
  const now = clock.now();
  const reason = options.reason ?? ('key' in target ? `cancelled (key ${target.key})` : 'cancelled');
  const hub = ctx.webhooks();
  const announce = hub ? await hub.subscribed(tenantId, 'io.clarion.notification.suppressed') : false;
  const result = await knex.transaction(async (trx) => {
    const events = await lockEvents(trx, tenantId, target);
    const ids = events.map((e) => e.id);
    const schedules = 'key' in target ? await cancelSchedules(trx, tenantId, target.key, now) : 0;
    if (ids.length === 0) {
      if (schedules > 0) await audit(trx, tenantId, options.actor, 'schedule.cancelled', null, { reason, key: (target as { key: string }).key, schedules });
      return { result: { ...empty(reason), cancelled: { ...empty(reason).cancelled, schedules } }, eventIds: ids };
    }
    const notProcessed = await markEventsCancelled(trx, ids, reason, now);
    const topicFanOuts = await cancelTopicFanOuts(trx, tenantId, ids, now);
    const { counts, suppressed } = await cancelNotifications(trx, tenantId, ids, reason, now, (notificationIds) => ctx.pipeline.cancel(trx, { tenantId, notificationIds, reason, now }));
    const sent = await handedOver(trx, tenantId, ids, REPORTED);
    const result: CancellationResult = {
      events: ids.length,
      reason,
      cancelled: {
        events: notProcessed.length,
        topicFanOuts,
        notifications: counts.notifications,
        deferred: counts.deferred,
        delayed: counts.delayedSteps,
        batched: counts.batched,
        escalationSteps: counts.escalationSteps,
        deliveries: counts.deliveries,
        suppressed: suppressed.length,
        schedules,
      },
      inFlight: sent.inFlight,
      alreadySent: { count: sent.count, items: sent.items },
    };
    for (const id of ids) {
      await audit(trx, tenantId, options.actor, 'event.cancelled', id, { reason, ...('key' in target ? { key: target.key } : {}), notProcessed: notProcessed.includes(id), ...(ids.length === 1 ? { cancelled: result.cancelled, alreadySent: sent.count } : {}) }, 'event');
    }
    if (schedules > 0) await audit(trx, tenantId, options.actor, 'schedule.cancelled', null, { reason, key: (target as { key: string }).key, schedules });
    if (announce) {
      for (const n of suppressed) await emitNotification(hub, trx, tenantId, 'io.clarion.notification.suppressed', n.id, { workflow: n.workflow_key, subscriberId: n.external_id, reason: `cancelled: ${reason}` });
    }
    return { result, eventIds: ids };
  });
  log.info({ tenantId, matched: result.eventIds.length, ...result.result.cancelled, alreadySent: result.result.alreadySent.count, reason }, 'cancelled');
  return result.result;
}

function empty(reason: string): CancellationResult {
  return {
    events: 0,
    reason,
    cancelled: { events: 0, topicFanOuts: 0, notifications: 0, deferred: 0, delayed: 0, batched: 0, escalationSteps: 0, deliveries: 0, suppressed: 0, schedules: 0 },
    inFlight: 0,
    alreadySent: { count: 0, items: [] },
  };
}
