import { insertDeliveries } from '../db/repositories/deliveries.ts';
import {
  childAcknowledged, createNotificationRow, getEvent, lockNotification, saveEscalation, updateNotification,
} from '../db/repositories/notifications.ts';
import { Notification } from '../db/models/notification.ts';
import type { NotificationRow } from '../db/repositories/rows.ts';
import { enqueue, type TaskName } from '../jobs/tasks.ts';
import { notificationsTotal } from '../metrics.ts';
import type { HostNotification, PluginHost } from '../pipeline/host.ts';
import type { TemplateContext } from '../templates/types.ts';
import type { NotificationsContext } from './context.ts';
import { preferencesOf } from './preferences.ts';
import { emitNotification } from './status.ts';

/**
 * The plugin host (core/pipeline/host.ts) of the notification stage: what plugins with state may
 * ask of the engine, built on the stage's repositories and services. One per stage; the jobs of
 * plugins get it, and so do their hooks.
 */
export function createPluginHost(ctx: NotificationsContext): PluginHost {
  const owned = () => ctx.pipeline.tasks();
  return {
    db: ctx.knex,
    now: () => ctx.clock.now(),
    log: ctx.log,
    async enqueue(db, task, payload, options) {
      // Plugins queue their own tasks only: the engine's jobs are not theirs to add.
      if (!owned().has(task)) throw new Error(`enqueue: ${task} is not a task of a plugin`);
      await enqueue(db, task as TaskName, payload as never, { runAt: options.runAt, jobKey: options.jobKey, jobKeyMode: options.jobKeyMode });
    },
    notifications: {
      async lock(db, tenantId, id) {
        const row = await lockNotification(db, tenantId, id);
        return row ? toHost(row) : undefined;
      },
      async list(db, tenantId, ids) {
        if (ids.length === 0) return [];
        const rows = await Notification.query(db).where({ tenant_id: tenantId }).whereIn('id', ids).orderBy([{ column: 'created_at' }, { column: 'id' }]);
        return rows.map(toHost);
      },
      async recent(db, tenantId, subscriberId, since, options) {
        const query = Notification.query(db)
          .where({ tenant_id: tenantId, subscriber_id: subscriberId })
          .where('created_at', '>', since)
          .whereNotIn('status', ['suppressed', 'batched'])
          .orderBy('created_at')
          .limit(options.limit)
          .select('id');
        if (options.excludeWorkflow) query.whereNot('workflow_key', options.excludeWorkflow);
        return (await query).map((r) => r.id);
      },
      async create(db, input) {
        const id = await createNotificationRow(db, { ...input, status: 'pending', ...(input.escalation ? { escalation: input.escalation } : {}) });
        notificationsTotal.inc({ status: 'pending' });
        await insertDeliveries(db, { tenantId: input.tenantId, notificationId: id, channels: input.channels });
        return id;
      },
      async addDeliveries(db, tenantId, notificationId, channels, options = {}) {
        await insertDeliveries(db, { tenantId, notificationId, channels, keySuffix: options.keySuffix ?? '' });
      },
      async setStatus(db, id, status) {
        await updateNotification(db, id, { status, scheduled_for: null });
      },
      async saveSteps(db, id, escalation, steps) {
        await saveEscalation(db, id, escalation, steps);
      },
      childAcknowledged: (db, tenantId, id) => childAcknowledged(db, tenantId, id),
      emit: (db, tenantId, type, notificationId, data) => emitNotification(ctx.webhooks(), db, tenantId, type, notificationId, data),
    },
    events: {
      async get(db, id) {
        const event = await getEvent(db, id);
        return event ? { id: event.id, ceId: event.ce_id, source: event.source, type: event.type, subject: event.subject, time: event.time, data: event.data } : undefined;
      },
    },
    subscribers: {
      async active(tenantId) {
        return (await ctx.subscribers.active(tenantId)).map((s) => ({ id: s.id, externalId: s.external_id, teams: s.teams ?? [], projects: s.projects ?? [], timezone: s.timezone }));
      },
      async resolve(db, tenantId, recipients) {
        const { subscribers } = await ctx.subscribers.resolve(db, tenantId, recipients);
        return subscribers.map((s) => ({ id: s.id, externalId: s.external_id, name: s.name, email: s.email, phone: s.phone, locale: s.locale, timezone: s.timezone, teams: s.teams ?? [], projects: s.projects ?? [], data: s.data ?? null }));
      },
    },
    preferences: (db, tenantId, subscriber) => preferencesOf(ctx, db, tenantId, { external_id: subscriber.externalId, teams: subscriber.teams, projects: subscriber.projects }),
    async tenantsWithPreference(db, path) {
      if (!path.every((p) => /^[A-Za-z0-9_]+$/.test(p))) throw new Error(`tenantsWithPreference: bad path ${path.join('.')}`);
      const rows: Array<{ tenant_id: string }> = await db('preferences').whereRaw(`settings #>> ?::text[] = 'true'`, [path]).distinct('tenant_id');
      return rows.map((r) => r.tenant_id);
    },
    async render(input) {
      const renderer = ctx.templates();
      if (!renderer) throw new Error('no template renderer');
      const { parts } = await renderer.render({ ...input, context: input.context as unknown as TemplateContext });
      return { parts: parts as unknown as Record<string, string | undefined> };
    },
  };
}

/** A notification row as plugins see it. */
export function toHost(row: NotificationRow): HostNotification {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    eventId: row.event_id,
    subscriberId: row.subscriber_id,
    workflowKey: row.workflow_key,
    priority: row.priority,
    status: row.status,
    channels: row.channels,
    decisions: Array.isArray(row.decisions) ? row.decisions : [],
    createdAt: new Date(row.created_at),
    scheduledFor: row.scheduled_for ? new Date(row.scheduled_for) : null,
    readAt: row.read_at ? new Date(row.read_at) : null,
    acknowledgedAt: row.acknowledged_at ? new Date(row.acknowledged_at) : null,
    escalation: (row.escalation as HostNotification['escalation']) ?? null,
  };
}
