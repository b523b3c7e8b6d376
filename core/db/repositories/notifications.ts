import type { Channel, Priority } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import type { DecisionRecord } from '../../pipeline/types.ts';
import { Event } from '../models/event.ts';
import { Notification } from '../models/notification.ts';
import { rollupSql } from './rollup.ts';
import type { EscalationStep, EventRow, NotificationRow } from './rows.ts';

/**
 * Notifications, the event claims of the fan-out, and the escalation steps kept on them: what the
 * notification stage (and, through the plugin host, plugins with state) writes and reads.
 * Ordinary statements go through the models (objection); the fan-out's one-statement path keeps
 * its hand-tuned SQL in core/notifications/fan-out.ts.
 */

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
  escalation?: NotificationRow['escalation'];
  correlationKey?: string | null;
}

const now = (db: Knex) => db.fn.now() as unknown as Date;

function toRow(n: NewNotification): Partial<NotificationRow> {
  return {
    ...(n.id ? { id: n.id } : {}),
    tenant_id: n.tenantId,
    event_id: n.eventId,
    subscriber_id: n.subscriberId,
    workflow_key: n.workflowKey,
    priority: n.priority,
    status: n.status,
    scheduled_for: n.scheduledFor ?? null,
    channels: n.channels,
    decisions: n.decisions,
    ...(n.escalation ? { escalation: n.escalation } : {}),
    ...(n.correlationKey ? { correlation_key: n.correlationKey } : {}),
  };
}

/** The insert of a notification, as a knex builder: run it, or hand it to `insertDeliveries` to run first in one statement. */
export function insertNotification(db: Knex, n: NewNotification): Knex.QueryBuilder {
  return Notification.query(db).insert(toRow(n)).toKnexQuery() as unknown as Knex.QueryBuilder;
}

/** Inserts a notification and returns its id. */
export async function createNotificationRow(db: Knex, n: NewNotification): Promise<string> {
  const row = await Notification.query(db).insert(toRow(n)).returning('id');
  return row.id;
}

/** An event in one of these is not fanned out (again): processed, or cancelled before it was. */
export const DONE_EVENT = ['processed', 'cancelled'];

/** Claims an event for fan-out (its row locked until the transaction ends); undefined when another run took it. */
export async function claimEvent(db: Knex, eventId: string, tenantId: string, at: Date): Promise<EventRow | undefined> {
  const [event] = await Event.query(db).patch({ status: 'processed', processed_at: at, error: null }).where({ id: eventId, tenant_id: tenantId }).whereNotIn('status', DONE_EVENT).returning('*');
  return event;
}

/** What a processed event says about its fan-out: problems (`error`) and why nothing came of it (`notice`). */
export async function noteEvent(db: Knex, eventId: string, note: { error?: string | null; notice?: string | null }): Promise<void> {
  if (note.error === undefined && note.notice === undefined) return;
  await Event.query(db).patch({ ...(note.error !== undefined ? { error: note.error } : {}), ...(note.notice !== undefined ? { notice: note.notice } : {}) }).where({ id: eventId });
}

export async function getEvent(db: Knex, eventId: string): Promise<EventRow | undefined> {
  return Event.query(db).findById(eventId);
}

export async function lockNotification(db: Knex, tenantId: string, notificationId: string): Promise<NotificationRow | undefined> {
  return Notification.query(db).findOne({ id: notificationId, tenant_id: tenantId }).forUpdate();
}

export async function getNotification(db: Knex, notificationId: string): Promise<NotificationRow | undefined> {
  return Notification.query(db).findById(notificationId);
}

export async function updateNotification(db: Knex, notificationId: string, patch: Partial<NotificationRow>): Promise<void> {
  await Notification.query(db).patch({ ...patch, updated_at: now(db) }).where({ id: notificationId });
}

/** Adds decisions to a notification's record, with other columns to set. */
export async function appendDecisions(db: Knex, notificationId: string, decisions: DecisionRecord[], patch: Record<string, unknown> = {}): Promise<void> {
  await db('notifications')
    .where({ id: notificationId })
    .update({ ...patch, decisions: db.raw('decisions || ?::jsonb', [JSON.stringify(decisions)]), updated_at: db.fn.now() });
}

/**
 * What a workflow condition sees of a notification as it is now: its status, whether it (or its
 * in-app copy) was seen, read or acknowledged, and each channel's delivery status.
 */
export async function notificationReadState(db: Knex, notificationId: string): Promise<{ status: string; seen: boolean; read: boolean; acknowledged: boolean; channels: Record<string, { status: string }> }> {
  const { rows } = await db.raw(
    `select n.status,
            n.seen_at is not null or exists (select 1 from inbox_items i where i.notification_id = n.id and (i.seen_at is not null or i.read_at is not null)) as seen,
            n.read_at is not null or exists (select 1 from inbox_items i where i.notification_id = n.id and i.read_at is not null) as read,
            n.acknowledged_at is not null as acknowledged,
            coalesce((select jsonb_object_agg(d.channel, jsonb_build_object('status', d.status)) from deliveries d where d.notification_id = n.id), '{}'::jsonb) as channels
       from notifications n where n.id = ?`,
    [notificationId],
  );
  const row = rows[0] ?? { status: 'unknown', seen: false, read: false, acknowledged: false, channels: {} };
  return { status: row.status, seen: row.seen, read: row.read, acknowledged: row.acknowledged, channels: row.channels };
}

/**
 * Applies the roll-up rule to a notification: locks it (a statement of its own, so the rule's
 * query then sees every delivery as committed by whoever held the lock before), then sets its
 * status. Returns the change, undefined when nothing changed. Statuses in `sticky` never move.
 */
export async function rollUpStatus(db: Knex, notificationId: string, sticky: readonly string[]): Promise<{ before: string; after: string; tenant_id: string; workflow_key: string; external_id: string | null } | undefined> {
  const locked = await Notification.query(db).findById(notificationId).forUpdate().select('id', 'status');
  if (!locked || sticky.includes(locked.status)) return undefined;
  const { rows } = await db.raw(
    `update notifications n set status = ${rollupSql('n.id', 'n.status')}, updated_at = now()
      where n.id = ? and n.status <> ${rollupSql('n.id', 'n.status')}
      returning n.tenant_id, n.status, n.workflow_key, (select external_id from subscribers s where s.id = n.subscriber_id) as external_id`,
    [notificationId],
  );
  const changed = rows[0];
  return changed ? { before: locked.status, after: changed.status, tenant_id: changed.tenant_id, workflow_key: changed.workflow_key, external_id: changed.external_id } : undefined;
}

/** Marks a notification acknowledged, once; false when it was already (or is not the tenant's). */
export async function markAcknowledged(db: Knex, tenantId: string, notificationId: string, at: Date): Promise<boolean> {
  return (await Notification.query(db).patch({ status: 'acknowledged', acknowledged_at: at, updated_at: now(db) }).where({ tenant_id: tenantId, id: notificationId }).whereNull('acknowledged_at')) > 0;
}

/** The subscriber's latest notification that asks for an acknowledgement (high or critical) and has none: what an SMS `ACK` answers. */
export async function latestAcknowledgeable(db: Knex, tenantId: string, subscriberId: string): Promise<string | undefined> {
  const row = await Notification.query(db)
    .where({ tenant_id: tenantId, subscriber_id: subscriberId })
    .whereIn('priority', ['high', 'critical'])
    .whereNull('acknowledged_at')
    .whereNotIn('status', ['suppressed', 'archived'])
    .orderBy('created_at', 'desc')
    .first()
    .select('id');
  return row?.id;
}

/** Whether a notification an escalation step made for others was acknowledged. */
export async function childAcknowledged(db: Knex, tenantId: string, parentId: string): Promise<boolean> {
  return (await Notification.query(db).where({ tenant_id: tenantId }).whereRaw(`escalation->>'parentId' = ?`, [parentId]).whereNotNull('acknowledged_at').first().select('id')) !== undefined;
}

/** The steps of an escalation, written back after one fired or was cancelled. */
export async function saveEscalation(db: Knex, notificationId: string, escalation: NotificationRow['escalation'], steps: EscalationStep[]): Promise<void> {
  await updateNotification(db, notificationId, { escalation: { ...escalation, steps } });
}
