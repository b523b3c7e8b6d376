import type { Knex } from 'knex';
import { insertDeliveries } from '../db/repositories/deliveries.ts';
import { childAcknowledged, createNotificationRow, getNotification, lockNotification, saveEscalation, updateNotification } from '../db/repositories/notifications.ts';
import type { EscalationStep } from '../db/repositories/rows.ts';
import type { NotificationsContext } from './context.ts';
import { emitNotification } from './status.ts';

/**
 * Escalation (a `schedule` decision): every step is a job at its time, and fires only while
 * nobody acknowledged the notification (or a notification a step made for other recipients).
 * A step sends on its channels to the same subscriber, or makes a notification of their own for
 * other recipients (the on-call list), pointing back here. The engine runs the steps because more
 * than one plugin decides `schedule` (escalation, presence); the steps' state is the
 * notification's `escalation` column, which acknowledgement, cancellation and erasure also stop.
 */

/**
 * `escalate_notification`: a step's time has come; it fires only if nobody acknowledged, and, for
 * a step `unless: 'read'`, only if the notification is still unread.
 */
export async function escalateNotification(ctx: NotificationsContext, notificationId: string, tenantId: string, step: number): Promise<'fired' | 'cancelled' | 'skipped'> {
  return ctx.knex.transaction(async (trx) => {
    const row = await lockNotification(trx, tenantId, notificationId);
    const steps = row?.escalation?.steps;
    if (!row || !steps?.[step] || steps[step].status !== 'pending') return 'skipped';
    if (row.acknowledged_at || ['acknowledged', 'archived'].includes(row.status) || (await childAcknowledged(trx, tenantId, notificationId))) {
      for (const later of steps) if (later.step >= step && later.status === 'pending') Object.assign(later, { status: 'cancelled', reason: 'acknowledged' });
      await saveEscalation(trx, notificationId, row.escalation, steps);
      return 'cancelled';
    }
    // "Only if still unread": a read notification (in-app, or a read receipt) cancels this step alone.
    if (steps[step].unless === 'read' && (row.read_at || ['read', 'acknowledged', 'archived'].includes(row.status))) {
      Object.assign(steps[step], { status: 'cancelled', reason: 'read' });
      await saveEscalation(trx, notificationId, row.escalation, steps);
      return 'cancelled';
    }
    await fireStep(ctx, trx, tenantId, notificationId, step);
    return 'fired';
  });
}

export async function fireStep(ctx: NotificationsContext, trx: Knex, tenantId: string, notificationId: string, step: number): Promise<void> {
  const row = (await getNotification(trx, notificationId))!;
  const steps: EscalationStep[] = row.escalation!.steps!;
  const current = steps[step];
  const now = ctx.clock.now();
  const created: string[] = [];
  if (current.recipients.length > 0) {
    // Other recipients (on-call list, team admins): a notification of their own, pointing back here.
    const { subscribers } = await ctx.subscribers.resolve(trx, tenantId, current.recipients);
    for (const other of subscribers) {
      const child = await createNotificationRow(trx, {
        tenantId, eventId: row.event_id, subscriberId: other.id, workflowKey: row.workflow_key, priority: row.priority, status: 'pending', channels: current.channels,
        decisions: [{ plugin: 'escalation', decision: 'continue', at: now.toISOString(), reason: `escalated from notification ${notificationId} (step ${step + 1})`, channels: current.channels }],
        escalation: { parentId: notificationId, step },
      });
      await insertDeliveries(trx, { tenantId, notificationId: child, channels: current.channels });
      created.push(child);
    }
  } else {
    if (row.status === 'scheduled') await updateNotification(trx, notificationId, { status: 'pending', scheduled_for: null });
    await insertDeliveries(trx, { tenantId, notificationId, channels: current.channels, keySuffix: step === 0 ? '' : `:step${step}` });
  }
  Object.assign(current, { status: 'fired', firedAt: now.toISOString(), ...(created.length > 0 ? { notifications: created } : {}) });
  if (['scheduled', 'pending'].includes(row.status) && current.recipients.length > 0) await updateNotification(trx, notificationId, { status: 'sent', scheduled_for: null });
  await saveEscalation(trx, notificationId, row.escalation, steps);
  await emitNotification(ctx.webhooks(), trx, tenantId, 'io.clarion.escalation.step', notificationId, { workflow: row.workflow_key, step: step + 1, of: steps.length, channels: current.channels, recipients: current.recipients, notifications: created });
}
