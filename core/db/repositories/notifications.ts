import type { Channel, Priority } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import type { DecisionRecord } from '../../pipeline/types.ts';
import type { EscalationStep, EventRow, NotificationRow } from './rows.ts';

/** Notifications, and the event claims of the fan-out: the rows the notification stage writes. */

export interface NewNotification {
  id?: string;
  tenantId: string;
  eventId: string;
  subscriberId: string;
  workflowKey: string;
  priority: Priority;
  status: string;
  channels: Channel[];
  decisions: DecisionRecord[];
  scheduledFor?: Date | null;
  escalation?: { steps?: EscalationStep[]; parentId?: string; step?: number };
}

/** The insert of a notification, as a builder: run it, or hand it to `insertDeliveries` to run first in one statement. */
export function insertNotification(db: Knex, n: NewNotification): Knex.QueryBuilder {
  return db('notifications').insert({
    ...(n.id ? { id: n.id } : {}),
    tenant_id: n.tenantId,
    event_id: n.eventId,
    subscriber_id: n.subscriberId,
    workflow_key: n.workflowKey,
    priority: n.priority,
    status: n.status,
    scheduled_for: n.scheduledFor ?? null,
    channels: JSON.stringify(n.channels),
    decisions: JSON.stringify(n.decisions),
    ...(n.escalation ? { escalation: JSON.stringify(n.escalation) } : {}),
  });
}

/** Claims an event for fan-out (its row locked until the transaction ends); undefined when another run took it. */
export async function claimEvent(db: Knex, eventId: string, tenantId: string, now: Date): Promise<EventRow | undefined> {
  const [event] = await db('events').where({ id: eventId, tenant_id: tenantId }).whereNot({ status: 'processed' }).update({ status: 'processed', processed_at: now, error: null }).returning('*');
  return event;
}

/** What a processed event says about its fan-out: problems (`error`) and why nothing came of it (`notice`). */
export async function noteEvent(db: Knex, eventId: string, note: { error?: string | null; notice?: string | null }): Promise<void> {
  if (note.error === undefined && note.notice === undefined) return;
  await db('events').where({ id: eventId }).update({ ...(note.error !== undefined ? { error: note.error } : {}), ...(note.notice !== undefined ? { notice: note.notice } : {}) });
}

export async function lockNotification(db: Knex, tenantId: string, notificationId: string): Promise<NotificationRow | undefined> {
  return db('notifications').where({ id: notificationId, tenant_id: tenantId }).forUpdate().first();
}

export async function getNotification(db: Knex, notificationId: string): Promise<NotificationRow | undefined> {
  return db('notifications').where({ id: notificationId }).first();
}

export async function updateNotification(db: Knex, notificationId: string, patch: Record<string, unknown>): Promise<void> {
  await db('notifications').where({ id: notificationId }).update({ ...patch, updated_at: db.fn.now() });
}
