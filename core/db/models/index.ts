/** The models of the tables the repositories (core/db/repositories) read and write through objection. */
export { AuditLog } from './audit-log.ts';
export { Delivery } from './delivery.ts';
export { DeliveryAttempt } from './delivery-attempt.ts';
export { Event } from './event.ts';
export { Notification, type EscalationStep } from './notification.ts';
