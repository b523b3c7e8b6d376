import type { Knex } from 'knex';
import { audit } from '../db/repositories/audit-log.ts';
import { markAcknowledged, rollUpStatus } from '../db/repositories/notifications.ts';
import { rollupSql } from '../db/repositories/rollup.ts';
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

/** The SQL expression of the roll-up (the database function), for statements that apply it. */
export { rollupSql };

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

/** Sets a notification's status from its deliveries by the roll-up rule; audits and announces the change. */
export async function refreshStatus(trx: Knex, notificationId: string, hub: WebhookEmitter | undefined): Promise<void> {
  const changed = await rollUpStatus(trx, notificationId, STICKY_NOTIFICATION);
  if (!changed) return;
  notificationsTotal.inc({ status: changed.after });
  await audit(trx, changed.tenant_id, 'system', 'notification.status_changed', notificationId, { from: changed.before, to: changed.after }, 'notification');
  if ((ANNOUNCED_NOTIFICATION as readonly string[]).includes(changed.after)) {
    await emitNotification(hub, trx, changed.tenant_id, `io.clarion.notification.${changed.after}`, notificationId, { workflow: changed.workflow_key, subscriberId: changed.external_id ?? null, status: changed.after });
  }
}

/** Marks a notification acknowledged (once), audited; returns whether it changed. */
export async function acknowledge(trx: Knex, tenantId: string, notificationId: string, actor: string, via: string, now: Date): Promise<boolean> {
  const changed = await markAcknowledged(trx, tenantId, notificationId, now);
  if (changed) await audit(trx, tenantId, actor, 'notification.acknowledged', notificationId, { via }, 'notification');
  return changed;
}

/**
 * What the recipient did, in order: seen (the inbox showed it), read, archived, acknowledged. A
 * notification only moves up this ladder (marking an inbox item unread again leaves the
 * notification read: it was read); from a status off the ladder (sent, delivered, failed...) any
 * rung is up, except for a suppressed or batched notification, which nobody received.
 */
const RECIPIENT_RANK: Record<string, number> = { seen: 1, read: 2, archived: 3, acknowledged: 4 };

/** The status a notification takes when its recipient does `next`: `next`, or its current status when that is as far or further. */
export function recipientStatus(current: string, next: 'seen' | 'read' | 'archived' | 'acknowledged'): string {
  if (current === 'suppressed' || current === 'batched') return current;
  return (RECIPIENT_RANK[current] ?? 0) >= RECIPIENT_RANK[next] ? current : next;
}
