import type { Knex } from 'knex';
import { audit } from '../db/repositories/audit-log.ts';
import { notificationsTotal } from '../metrics.ts';

/**
 * The status module: the statuses of notifications and deliveries, the one roll-up rule from a
 * notification's deliveries to its status, and the status changes the recipient makes
 * (acknowledging). The rule lives in the database as the function `clarion_notification_status`
 * (migrations/20261201090000_add_delivery_policy.ts), so the hot path's single statement and every
 * other writer apply it identically; this module names it. The notification stage
 * (core/notifications) and the delivery stage (core/delivery) meet here and nowhere else.
 */

export const NOTIFICATION_STATUSES = [
  'pending', 'scheduled', 'batched', 'suppressed', 'sent', 'delivered', 'partially_delivered', 'failed', 'seen', 'read', 'acknowledged', 'archived',
] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** Set by the recipient or the pipeline: deliveries no longer move the notification's status. */
export const STICKY_NOTIFICATION = ['seen', 'read', 'acknowledged', 'archived', 'suppressed', 'batched'] as const;

/** Notification statuses announced as webhooks when the roll-up reaches them. */
export const ANNOUNCED_NOTIFICATION = ['sent', 'delivered', 'partially_delivered', 'failed'] as const;

export const DELIVERY_STATUSES = ['pending', 'sending', 'retrying', 'sent', 'delivered', 'undelivered', 'bounced', 'read', 'failed', 'dead', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A delivery in one of these is done: its job does nothing more. */
export const FINAL_DELIVERY: ReadonlySet<string> = new Set(['sent', 'delivered', 'undelivered', 'bounced', 'read', 'failed', 'dead', 'cancelled']);

/**
 * The SQL expression of the roll-up for one notification: `(notification id, its current status
 * [, a delivery id, that delivery's new status])`, the last two for a statement that changes the
 * delivery in the same statement (its CTEs do not see each other's writes).
 */
export function rollupSql(notificationId: string, current: string, delivery?: { id: string; status: string }): string {
  return delivery
    ? `clarion_notification_status(${notificationId}, ${current}, ${delivery.id}, ${delivery.status})`
    : `clarion_notification_status(${notificationId}, ${current})`;
}

/** What the stages need from the outgoing webhook hub. */
export interface WebhookEmitter {
  emit(trx: Knex, event: { tenantId: string; type: string; subject?: string; data: Record<string, unknown> }): Promise<number>;
  /** Whether emit would queue anything for this tenant and type (cached: used to skip work). */
  subscribed(tenantId: string, type: string): Promise<boolean>;
}

/** A notification's status change (or event) as a signed webhook, when the hub is there. */
export async function emitNotification(hub: WebhookEmitter | undefined, trx: Knex, tenantId: string, type: string, notificationId: string, data: Record<string, unknown>): Promise<void> {
  if (hub) await hub.emit(trx, { tenantId, type, subject: notificationId, data: { notificationId, ...data } });
}

/**
 * Sets a notification's status from its deliveries by the roll-up rule; audits and announces the
 * change. The lock first, in a statement of its own: the roll-up's query then sees every delivery
 * as committed by whoever held the lock before.
 */
export async function refreshStatus(trx: Knex, notificationId: string, hub: WebhookEmitter | undefined): Promise<void> {
  const locked = await trx('notifications').where({ id: notificationId }).forUpdate().first('id', 'status');
  if (!locked || (STICKY_NOTIFICATION as readonly string[]).includes(locked.status)) return;
  const { rows } = await trx.raw(
    `update notifications n set status = ${rollupSql('n.id', 'n.status')}, updated_at = now()
      where n.id = ? and n.status <> ${rollupSql('n.id', 'n.status')}
      returning n.tenant_id, n.status, n.workflow_key, (select external_id from subscribers s where s.id = n.subscriber_id) as external_id`,
    [notificationId],
  );
  const notification = rows[0];
  if (!notification) return;
  const status = notification.status as string;
  notificationsTotal.inc({ status });
  await audit(trx, notification.tenant_id, 'system', 'notification.status_changed', notificationId, { from: locked.status, to: status }, 'notification');
  if ((ANNOUNCED_NOTIFICATION as readonly string[]).includes(status)) {
    await emitNotification(hub, trx, notification.tenant_id, `io.clarion.notification.${status}`, notificationId, { workflow: notification.workflow_key, subscriberId: notification.external_id ?? null, status });
  }
}

/** Marks a notification acknowledged (once); returns whether it changed. */
export async function acknowledge(trx: Knex, tenantId: string, notificationId: string, actor: string, via: string, now: Date): Promise<boolean> {
  const changed = await trx('notifications')
    .where({ tenant_id: tenantId, id: notificationId })
    .whereNull('acknowledged_at')
    .update({ status: 'acknowledged', acknowledged_at: now, updated_at: trx.fn.now() });
  if (changed > 0) await audit(trx, tenantId, actor, 'notification.acknowledged', notificationId, { via }, 'notification');
  return changed > 0;
}
