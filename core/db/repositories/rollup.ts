/**
 * The notification status roll-up is one SQL function, `clarion_notification_status`
 * (migrations/20261201090000_add_delivery_policy.ts; core/notifications/status.ts says the rule):
 * this names it for the statements that apply it.
 *
 * `(notification id, its current status [, a delivery id, that delivery's new status])`, the last
 * two for a statement that changes the delivery in the same statement (its CTEs do not see each
 * other's writes).
 */
export function rollupSql(notificationId: string, current: string, delivery?: { id: string; status: string }): string {
  return delivery
    ? `clarion_notification_status(${notificationId}, ${current}, ${delivery.id}, ${delivery.status})`
    : `clarion_notification_status(${notificationId}, ${current})`;
}
