/**
 * The status module: the statuses of notifications and deliveries, and the one roll-up rule from
 * a notification's deliveries to its status. The rule lives in the database as the function
 * `clarion_notification_status` (migrations/20261201090000_add_delivery_policy.ts), so the hot
 * path's single statement and every other writer apply it identically; this module names it.
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
