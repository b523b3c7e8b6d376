import { randomUUID } from 'node:crypto';
import type { Channel } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { cancelNotifications } from '../db/repositories/cancellation.ts';
import { insertDeliveries, insertedDeliveriesCte, type FirstSends } from '../db/repositories/deliveries.ts';
import { getEvent, insertNotification, lockNotification, updateNotification } from '../db/repositories/notifications.ts';
import type { EscalationStep, EventRow, SubscriberRowShape } from '../db/repositories/rows.ts';
import { DELIVER_LOCAL, DELIVER_ZONE, isZone } from '../ingest/extensions.ts';
import { enqueue } from '../jobs/tasks.ts';
import { notificationsTotal } from '../metrics.ts';
import type { Decision, ResolvedPreferences } from '../pipeline/types.ts';
import { preferencesOf } from './preferences.ts';
import type { SubscriberRow } from '../subscribers/service.ts';
import type { Workflow } from '../workflows/service.ts';
import type { NotificationsContext } from './context.ts';
import { fireStep } from './escalation.ts';
import { emitNotification } from './status.ts';
import { eventDocument, pointer } from './event-document.ts';
import { hasSteps, startSteps } from './steps.ts';

/**
 * Whether a workflow's notifications must each go through its plugin chain here, or may be written
 * set-wise (the one-statement fan-out, a topic's pages): false when every plugin of the chain has
 * nothing to decide for this tenant.
 */
export async function needsChain(ctx: NotificationsContext, tenantId: string, workflow: Workflow): Promise<boolean> {
  // Steps and conditions are run per notification (./steps.ts), and so is a correlation key.
  if (hasSteps(workflow) || workflow.correlation) return true;
  const facts = async () => ({ tenantHasPreferences: (await ctx.preferences()?.tenantHasPreferences(tenantId)) ?? false });
  return ctx.pipeline.decides(workflow.plugins, facts);
}

/** What a chain's final decision makes of a new notification (a pure step: no database). */
export interface Applied {
  status: 'pending' | 'scheduled' | 'batched' | 'suppressed';
  /** When a deferred (or later-escalated) notification is due. */
  scheduledFor: Date | null;
  channels: Channel[];
  /** The steps of an escalation, each a job at its time (the first may be due now). */
  escalation?: EscalationStep[];
}

export function applyDecision(final: Decision, planned: Channel[], now: Date): Applied {
  switch (final.decision) {
    case 'continue':
      return { status: 'pending', scheduledFor: null, channels: final.channels ?? planned };
    case 'suppress':
      return { status: 'suppressed', scheduledFor: null, channels: planned };
    case 'defer':
      return { status: 'scheduled', scheduledFor: final.until, channels: planned };
    case 'batch':
      return { status: 'batched', scheduledFor: null, channels: planned };
    case 'schedule': {
      // Escalation: every step is a job at its time; a step fires only while nobody acknowledged.
      const escalation = final.steps.map((step, i): EscalationStep => ({ step: i, at: step.at.toISOString(), channels: step.channels, recipients: step.recipients ?? [], status: 'pending', ...(step.unless ? { unless: step.unless } : {}) }));
      const channels = [...new Set(final.steps.flatMap((step) => step.channels))];
      if (escalation.length === 0) return { status: 'suppressed', scheduledFor: null, channels, escalation };
      const first = final.steps[0].at;
      return first.getTime() > now.getTime() ? { status: 'scheduled', scheduledFor: first, channels, escalation } : { status: 'pending', scheduledFor: null, channels, escalation };
    }
  }
}

/**
 * One notification: its workflow's plugin chain decides, then the row is written once with the
 * decisions (plugins get its id, not a row), with its deliveries and their jobs in the same
 * statement on the common path, or the jobs its decision asks for (a deferred dispatch, the
 * steps of an escalation, a digest's send). `firstSends`: the deliveries' first sends join those
 * the caller's transaction gathers (queued together as `send_deliveries` batch jobs).
 */
export async function createNotification(ctx: NotificationsContext, trx: Knex, input: { event: EventRow; workflow: Workflow; subscriber: SubscriberRow; firstSends?: FirstSends }): Promise<void> {
  const { event, workflow, subscriber } = input;
  const now = ctx.clock.now();
  const required = workflow.required ?? workflow.priority === 'critical';
  let preferences: Promise<ResolvedPreferences> | undefined;
  const id = randomUUID();
  const { final, records } = await ctx.pipeline.run(
    {
      tenantId: event.tenant_id,
      notificationId: id,
      workflow: { key: workflow.key, category: workflow.category, priority: workflow.priority, required, trigger: workflow.trigger },
      event: { id: event.id, ceId: event.ce_id, source: event.source, type: event.type, subject: event.subject ?? undefined, time: event.time ?? undefined, data: event.data },
      subscriber: { id: subscriber.id, externalId: subscriber.external_id, locale: subscriber.locale, timezone: subscriber.timezone, teams: subscriber.teams, projects: subscriber.projects },
      channels: workflow.channels,
      decisions: [],
      now,
      db: trx,
      preferences: () => (preferences ??= preferencesOf(ctx, trx, event.tenant_id, subscriber)),
      ...(ctx.presence ? { presence: () => ctx.presence!(trx, event.tenant_id, subscriber.id) } : {}),
    },
    workflow.plugins,
    ctx.log,
  );
  // The plugin whose decision was final (none when the chain continued to its end).
  const decidedBy = final.decision === 'continue' ? undefined : records.at(-1)?.plugin;
  let applied = applyDecision(final, workflow.channels, now);
  const local = applied.status === 'pending' && !applied.escalation ? localTime(event, subscriber) : undefined;
  if (local && local.until.getTime() > now.getTime()) {
    // `deliverlocal`: held until that time where the subscriber is.
    records.push({ plugin: 'deliverlocal', decision: 'defer', until: local.until, reason: `deliverlocal ${local.text} in ${local.zone}`, at: now.toISOString() } as (typeof records)[number]);
    applied = { ...applied, status: 'scheduled', scheduledFor: local.until };
  }
  const steps = applied.status === 'pending' && !applied.escalation && hasSteps(workflow);
  const correlation = correlationKey(event, workflow);
  if (correlation && workflow.correlation?.replace) await supersede(ctx, trx, { tenantId: event.tenant_id, subscriber, key: correlation, by: id, workflow: workflow.key, now });
  const row = insertNotification(trx, {
    id, tenantId: event.tenant_id, eventId: event.id, subscriberId: subscriber.id, workflowKey: workflow.key, priority: workflow.priority,
    status: applied.status, scheduledFor: applied.scheduledFor, channels: applied.channels, decisions: records,
    ...(applied.escalation ? { escalation: { steps: applied.escalation } } : {}),
    correlationKey: correlation,
  });
  if (applied.status === 'pending' && !applied.escalation && !steps) {
    await insertDeliveries(trx, { tenantId: event.tenant_id, notificationId: id, channels: applied.channels, before: row, ...(input.firstSends ? { firstSends: { priority: workflow.priority, into: input.firstSends } } : {}) });
  } else await row;
  if (steps) {
    await startSteps(ctx, trx, { notification: { id, tenant_id: event.tenant_id, status: 'pending', channels: applied.channels, priority: workflow.priority, workflow_steps: null }, event, workflow, subscriber });
  }
  notificationsTotal.inc({ status: applied.status });

  if (applied.escalation && applied.escalation.length > 0) {
    for (const step of applied.escalation) {
      if (step.step === 0 && applied.status === 'pending') await fireStep(ctx, trx, event.tenant_id, id, 0);
      else await enqueue(trx, 'escalate_notification', { notificationId: id, tenantId: event.tenant_id, step: step.step }, { runAt: new Date(step.at), jobKey: `escalate:${id}:${step.step}` });
    }
  } else if (applied.status === 'batched') {
    // The plugin that batched it keeps the batch (the digest plugin: its digests, its send job).
    const taken = await ctx.pipeline.decided(ctx.host!, trx, decidedBy, { tenantId: event.tenant_id, notificationId: id, subscriberId: subscriber.id, decision: final, status: applied.status });
    if (!taken) ctx.log.warn({ notificationId: id, plugin: decidedBy }, 'a batch decision no installed plugin takes: the notification stays batched');
  } else if (applied.status === 'scheduled') {
    await enqueue(trx, 'dispatch_notification', { notificationId: id, tenantId: event.tenant_id }, { runAt: applied.scheduledFor!, jobKey: `dispatch:${id}` });
  } else if (applied.status === 'suppressed') {
    await emitNotification(ctx.webhooks(), trx, event.tenant_id, 'io.clarion.notification.suppressed', id, { workflow: workflow.key, subscriberId: subscriber.external_id, reason: (final as { reason?: string }).reason ?? null });
  }
}

/**
 * Notifications of an event for many subscribers at once, when the workflow's chain has nothing
 * to decide for any of them (`needsChain` false, the event not held to a local time): one
 * statement writes them all `pending`, with their deliveries and their `send_deliveries` jobs,
 * as the one-statement fan-out does. `members` selects the subscribers' row ids (`id`). Returns
 * how many members it read, the notifications written, and the largest member id (for paging).
 */
export async function notifyMembers(
  trx: Knex,
  input: { tenantId: string; eventId: string; workflow: Workflow; members: Knex.QueryBuilder | Knex.Raw },
): Promise<{ members: number; notifications: number; last: string | null }> {
  const { tenantId, eventId, workflow } = input;
  const deliveries = insertedDeliveriesCte('notification');
  const { rows } = await trx.raw(
    `with page as (?),
     notification as (
       insert into notifications (id, tenant_id, event_id, subscriber_id, workflow_key, priority, status, channels)
       select gen_random_uuid(), ?, ?, p.id, ?, ?, 'pending', ?::jsonb from page p
       returning id, tenant_id, channels, priority
     ), ${deliveries.sql}
     select (select count(*)::int from notification) as notifications, (select count(*)::int from page) as members,
            (select id::text from page order by id desc limit 1) as last, (select count(*) from queued) as q`,
    [input.members, tenantId, eventId, workflow.key, workflow.priority, JSON.stringify(workflow.channels), ...deliveries.bindings],
  );
  const { notifications, members, last } = rows[0] as { notifications: number; members: number; last: string | null };
  if (notifications > 0) notificationsTotal.inc({ status: 'pending' }, notifications);
  return { members, notifications, last };
}

/**
 * A workflow whose correlation replaces: what the subscriber's earlier notifications of the key
 * still have pending (deferred, delayed, digested, escalation steps, queued and retrying
 * deliveries, on every channel) is cancelled, as a cancellation would, with the reason naming the
 * newer one; what they already sent stays sent.
 */
async function supersede(ctx: NotificationsContext, trx: Knex, input: { tenantId: string; subscriber: SubscriberRow; key: string; by: string; workflow: string; now: Date }): Promise<void> {
  const earlier: string[] = await trx('notifications').where({ tenant_id: input.tenantId, subscriber_id: input.subscriber.id, correlation_key: input.key }).pluck('id');
  if (earlier.length === 0) return;
  const reason = `superseded by notification ${input.by} (correlation ${input.key})`;
  const { suppressed } = await cancelNotifications(
    trx, input.tenantId, earlier, reason, input.now,
    // Their places in batches (the digest plugin's) are given back first, as by a cancellation.
    (notificationIds) => ctx.pipeline.cancel(trx, { tenantId: input.tenantId, notificationIds, reason, now: input.now }),
    'notification',
  );
  for (const n of suppressed) await emitNotification(ctx.webhooks(), trx, input.tenantId, 'io.clarion.notification.suppressed', n.id, { workflow: n.workflow_key, subscriberId: n.external_id, reason });
}

/** `dispatch_notification`: a deferred notification's time has come (its workflow's steps start now, if it has any). */
export async function dispatchNotification(ctx: NotificationsContext, notificationId: string, tenantId: string): Promise<void> {
  const head = await ctx.knex('notifications').where({ id: notificationId, tenant_id: tenantId }).first('workflow_key');
  if (!head) return;
  const workflow = await ctx.workflows.get(tenantId, head.workflow_key).catch(() => undefined);
  await ctx.knex.transaction(async (trx) => {
    const row = await lockNotification(trx, tenantId, notificationId);
    if (!row || row.status !== 'scheduled' || row.workflow_steps) return;
    await updateNotification(trx, notificationId, { status: 'pending', scheduled_for: null });
    if (workflow && hasSteps(workflow)) {
      const event = (await getEvent(trx, row.event_id))!;
      const subscriber: SubscriberRowShape | undefined = row.subscriber_id ? await trx('subscribers').where({ id: row.subscriber_id }).first() : undefined;
      await startSteps(ctx, trx, { notification: { ...row, status: 'pending' }, event, workflow, subscriber });
      return;
    }
    await insertDeliveries(trx, { tenantId, notificationId, channels: row.channels });
  });
}

/** What the notification is about (`<workflow>:<value>`), from its workflow's correlation pointer; null without one. */
export function correlationKey(event: EventRow, workflow: Pick<Workflow, 'key' | 'correlation'>): string | null {
  if (!workflow.correlation) return null;
  const value = pointer(eventDocument(event), workflow.correlation.key);
  return typeof value === 'string' || typeof value === 'number' ? `${workflow.key}:${value}`.slice(0, 500) : null;
}

/** The event's `deliverlocal` time, if it has one. */
export function deliverLocal(event: Pick<EventRow, 'extensions'>): string | undefined {
  const value = (event.extensions as Record<string, unknown> | null)?.[DELIVER_LOCAL];
  return typeof value === 'string' ? value : undefined;
}

/** When a `deliverlocal` event is due for a subscriber: in its time zone, else the event's `deliverzone`, else UTC. */
function localTime(event: EventRow, subscriber: Pick<SubscriberRowShape, 'timezone'>): { until: Date; zone: string; text: string } | undefined {
  const text = deliverLocal(event);
  if (!text) return undefined;
  const fallback = (event.extensions as Record<string, unknown>)[DELIVER_ZONE];
  const zone = isZone(subscriber.timezone) ? subscriber.timezone : isZone(fallback) ? fallback : 'UTC';
  const local = DateTime.fromISO(text, { zone });
  return local.isValid ? { until: local.toJSDate(), zone, text } : undefined;
}
