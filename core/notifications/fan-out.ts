import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { prepared } from '../db/prepared.ts';
import { insertedDeliveriesCte, queueFirstSends, type FirstSends } from '../db/repositories/deliveries.ts';
import { claimEvent, DONE_EVENT, eventHead, markProcessed, noteEvent } from '../db/repositories/notifications.ts';
import type { EventRow } from '../db/repositories/rows.ts';
import { notificationsTotal } from '../metrics.ts';
import { planRecipients, type RecipientEntry, type SubscriberInput } from '../subscribers/service.ts';
import type { Workflow } from '../workflows/service.ts';
import type { NotificationsContext } from './context.ts';
import { createNotification, deliverLocal, needsChain } from './decisions.ts';
import { eventDocument, pointer } from './event-document.ts';
import { startTopicFanOut } from './topic-fan-out.ts';
import { withSpan } from '../tracing.ts';

/**
 * Fan-out (`process_event`): one notification per recipient of every workflow the event triggers.
 * The recipients are planned once (`planFanOut`: who, from each workflow's pointer into the event,
 * with the problems found); the plan is then written by one of two paths with the same rules:
 * - the common case in one statement, without a transaction: no plugin has anything to decide
 *   for the tenant, the recipients are subscriber ids and inline subscribers, at most
 *   FAN_OUT_AT_ONCE of them; the claim of the event, the upserts, the notifications, their
 *   deliveries and their jobs together;
 * - everything else in one transaction: the event claimed (locked), teams and projects expanded,
 *   each notification through its workflow's plugin chain; topics are not expanded there but
 *   streamed in pages by jobs (./topic-fan-out.ts), started in the same transaction.
 * The rules: an id names an existing subscriber (an erased one gets nothing) or creates a bare
 * one; an inline subscriber is upserted with the fields it gives (an erased id is not re-created);
 * each subscriber gets one notification per workflow.
 */

/** Most subscribers the one-statement fan-out takes (more go through the transaction path). */
export const FAN_OUT_AT_ONCE = 50;
/** Most shapes of that statement prepared per process (each connection keeps a plan per shape). */
const FAN_OUT_SHAPES = 64;

export interface FanOutPlan {
  workflows: Array<{ workflow: Workflow; entries: RecipientEntry[]; problems: string[]; exclude: Set<string> }>;
  /** Problems of the event itself, per workflow (`<workflow>: ...`). */
  problems: string[];
}

/**
 * The recipients of every workflow, read from the event (no database). Subscribers the event
 * excludes (its `exclude` list: the actor) are left out here; members of teams, projects and topics
 * are checked against `exclude` when they are expanded.
 */
export function planFanOut(event: EventRow, workflows: Workflow[]): FanOutPlan {
  const problems: string[] = [];
  const document = eventDocument(event);
  const planned = workflows.map((workflow) => {
    const recipients = typeof workflow.recipients === 'string' ? pointer(document, workflow.recipients) : workflow.recipients;
    if (recipients === undefined) problems.push(`${workflow.key}: no recipients at ${workflow.recipients}`);
    const plan = planRecipients(recipients);
    const exclude = excludedIds(pointer(document, workflow.exclude ?? '/data/exclude'), workflow.exclude ?? '/data/exclude', plan.problems);
    problems.push(...plan.problems.map((p) => `${workflow.key}: ${p}`));
    const entries = plan.entries.filter((e) => e.kind === 'group' || e.kind === 'topic' || !exclude.has(e.externalId));
    return { workflow, entries, problems: plan.problems, exclude };
  });
  return { workflows: planned, problems };
}

/** The ids of an event's `exclude` value (an id or a list of ids); a problem for anything else in it. */
function excludedIds(value: unknown, at: string, problems: string[]): Set<string> {
  const ids = new Set<string>();
  if (value === undefined || value === null) return ids;
  const list = Array.isArray(value) ? value : [value];
  list.forEach((id, i) => {
    if (typeof id === 'string' && id !== '') ids.add(id);
    else if (id && typeof id === 'object' && typeof (id as { id?: unknown }).id === 'string') ids.add((id as { id: string }).id);
    else problems.push(`exclude (${at})${Array.isArray(value) ? `[${i}]` : ''}: must be a subscriber id`);
  });
  return ids;
}

export class FanOut {
  readonly #ctx: NotificationsContext;
  readonly #shapes = new Set<string>();

  constructor(ctx: NotificationsContext) {
    this.#ctx = ctx;
  }

  /** `type` (the event's, from the job payload) saves reading the event before choosing a path. */
  processEvent(eventId: string, tenantId: string, type?: string): Promise<{ notifications: number }> {
    return withSpan('clarion.fan_out', { attributes: { 'clarion.event_id': eventId, 'clarion.tenant_id': tenantId } }, async (span) => {
      const result = await this.#processEvent(eventId, tenantId, type);
      span.setAttribute('clarion.notifications', result.notifications);
      return result;
    });
  }

  async #processEvent(eventId: string, tenantId: string, type?: string): Promise<{ notifications: number }> {
    const { knex } = this.#ctx;
    // Configuration is read before any transaction, so a job never holds one connection while
    // waiting for another.
    if (type === undefined) {
      const head = await eventHead(knex, eventId, tenantId);
      if (!head || DONE_EVENT.includes(head.status)) return { notifications: 0 };
      type = head.type as string;
    }
    const workflows = await this.#ctx.workflows.forTrigger(tenantId, type);
    const atOnce = await this.#atOnce(eventId, tenantId, workflows);
    if (atOnce) return atOnce;
    return knex.transaction((trx) => this.#inTransaction(trx, eventId, tenantId, workflows));
  }

  async #inTransaction(trx: Knex, eventId: string, tenantId: string, workflows: Workflow[]): Promise<{ notifications: number }> {
    const { clock, log } = this.#ctx;
    // Claiming the event locks it: a second run of the job waits, then finds it processed.
    const event = await claimEvent(trx, eventId, tenantId, clock.now());
    if (!event) return { notifications: 0 };
    const plan = planFanOut(event, workflows);
    const problems = [...plan.problems];
    let count = 0;
    let streams = 0;
    // The first sends of every notification written here, queued together at the end.
    const firstSends: FirstSends = [];
    for (const { workflow, entries, exclude } of plan.workflows) {
      const topics = entries.filter((e) => e.kind === 'topic');
      const { subscribers, problems: found } = await this.#ctx.subscribers.resolvePlan(trx, tenantId, { entries: entries.filter((e) => e.kind !== 'topic'), problems: [] });
      problems.push(...found.map((p) => `${workflow.key}: ${p}`));
      const notified = new Set<string>();
      for (const subscriber of subscribers) {
        // Members of a team or project the event excludes (the actor) get nothing.
        if (exclude.has(subscriber.external_id)) continue;
        notified.add(subscriber.external_id);
        await createNotification(this.#ctx, trx, { event, workflow, subscriber, firstSends });
        count++;
      }
      if (topics.length > 0) {
        const started = await startTopicFanOut(this.#ctx, trx, { event, workflow, topics, skip: [...exclude, ...notified] });
        problems.push(...started.problems.map((p) => `${workflow.key}: ${p}`));
        if (started.id) streams++;
      }
    }
    await queueFirstSends(trx, firstSends);
    // No workflow for the type is not an error: the event was processed, and says why nothing came of it.
    await noteEvent(trx, eventId, {
      ...(workflows.length === 0 ? { notice: `no workflow is triggered by ${event.type}: nothing to send` } : {}),
      ...(problems.length > 0 ? { error: problems.join('\n').slice(0, 4000) } : {}),
    });
    log.info({ eventId, ceId: event.ce_id, tenantId, notifications: count, topicFanOuts: streams, workflows: workflows.map((w) => w.key), problems }, 'event fanned out');
    return { notifications: count };
  }

  /** The one-statement path, or undefined when the plan needs the transaction path. */
  async #atOnce(eventId: string, tenantId: string, workflows: Workflow[]): Promise<{ notifications: number } | undefined> {
    const { knex, clock, log } = this.#ctx;
    if (workflows.length === 0) return undefined;
    // Plugins that have nothing to decide for this tenant (no preferences stored, default options)
    // leave this path open; any other chain needs the transaction path.
    for (const workflow of workflows) if (await needsChain(this.#ctx, tenantId, workflow)) return undefined;
    const [found] = await prepared<EventRow>(knex, 'clarion_event_by_id', 'select * from events where id = $1', [eventId]);
    const event = found?.tenant_id === tenantId ? found : undefined;
    if (!event || DONE_EVENT.includes(event.status)) return { notifications: 0 };
    // Held per subscriber until a local time: each notification goes through createNotification.
    if (deliverLocal(event)) return undefined;
    const plan = planFanOut(event, workflows);
    if (plan.workflows.some((w) => w.entries.some((e) => e.kind === 'group' || e.kind === 'topic'))) return undefined;

    // Every subscriber once (by external id, fields of its inline entries merged in order), and
    // the notifications: [workflow, subscriber, only if not erased].
    const problems = [...plan.problems];
    const subscribers = new Map<string, { index: number; fields: SubscriberInput }>();
    const notifications: Array<{ id: string; workflow: Workflow; subscriber: number; unlessErased: boolean }> = [];
    for (const { workflow, entries } of plan.workflows) {
      const mine = new Map<string, boolean>();
      for (const entry of entries) {
        if (entry.kind === 'group' || entry.kind === 'topic') continue;
        const known = subscribers.get(entry.externalId) ?? { index: subscribers.size, fields: {} };
        if (entry.kind === 'inline') known.fields = { ...known.fields, ...entry.fields };
        subscribers.set(entry.externalId, known);
        // An id names the subscriber as it is; inline data is sent to as given (an erased id: no row, nothing).
        mine.set(entry.externalId, (mine.get(entry.externalId) ?? true) && entry.kind === 'id');
      }
      for (const [externalId, unlessErased] of mine) notifications.push({ id: randomUUID(), workflow, subscriber: subscribers.get(externalId)!.index, unlessErased });
    }
    if (subscribers.size > FAN_OUT_AT_ONCE) return undefined;
    const error = problems.length > 0 ? problems.join('\n').slice(0, 4000) : null;
    if (notifications.length === 0) {
      const claimed = await markProcessed(knex, eventId, tenantId, clock.now(), error);
      if (claimed) log.info({ eventId, ceId: event.ce_id, tenantId, notifications: 0, workflows: workflows.map((w) => w.key), problems }, 'event fanned out');
      return { notifications: 0 };
    }

    const upserts = [...subscribers].map(([externalId, { fields }]) => this.#ctx.subscribers.upsertStatement(knex, tenantId, externalId, fields));
    const deliveries = insertedDeliveriesCte('notification');
    const values = notifications.map(() => '(?::uuid, ?::int, ?, ?, ?::jsonb, ?::boolean)').join(', ');
    // The statement's text depends only on the shape of the event (how many subscribers and
    // notifications, which inline fields): prepared under a name derived from it, it is planned
    // once per shape and connection. Its WHERE names the event's primary key only (the read above
    // checked the tenant): a generic plan could otherwise pick a tenant index and walk it.
    const statement = knex.raw(
      `with claimed as (
         update events set status = 'processed', processed_at = ?, error = ? where id = ? and status not in ('processed', 'cancelled') returning id, tenant_id
       ), ${upserts.map((_, i) => `s${i} as (?)`).join(', ')},
       subscriber as (${upserts.map((_, i) => `select ${i} as k, id, erased_at from s${i}`).join(' union all ')}),
       notification as (
         insert into notifications (id, tenant_id, event_id, subscriber_id, workflow_key, priority, status, channels)
         select v.id, c.tenant_id, c.id, s.id, v.workflow_key, v.priority, 'pending', v.channels
           from claimed c
          cross join (values ${values}) as v(id, k, workflow_key, priority, channels, unless_erased)
           join subscriber s on s.k = v.k
          where not (v.unless_erased and s.erased_at is not null)
         returning id, tenant_id, channels, priority
       ), ${deliveries.sql}
       select (select count(*)::int from claimed) as claimed, (select count(*)::int from notification) as notifications, (select count(*) from queued) as q, array(select k from subscriber) as upserted`,
      [
        clock.now(), error, eventId,
        ...upserts,
        ...notifications.flatMap((n) => [n.id, n.subscriber, n.workflow.key, n.workflow.priority, JSON.stringify(n.workflow.channels), n.unlessErased]),
        ...deliveries.bindings,
      ],
    ).toSQL().toNative();
    // Each connection keeps a plan per name: the shapes this process prepares are capped (the
    // common ones come first), the rest run unprepared.
    const name = `clarion_fan_out_${createHash('sha1').update(statement.sql).digest('hex').slice(0, 20)}`;
    if (!this.#shapes.has(name) && this.#shapes.size < FAN_OUT_SHAPES) this.#shapes.add(name);
    const rows = await prepared<{ claimed: number; notifications: number; upserted: number[] }>(knex, this.#shapes.has(name) ? name : undefined, statement.sql, statement.bindings as unknown[]);
    const { claimed, notifications: count, upserted } = rows[0];
    if (claimed === 0) return { notifications: 0 };
    const erased = [...subscribers].filter(([, s]) => !upserted.includes(s.index)).map(([externalId]) => this.#ctx.subscribers.erasedProblem(externalId));
    problems.push(...erased);
    if (erased.length > 0) await noteEvent(knex, eventId, { error: problems.join('\n').slice(0, 4000) });
    if (count > 0) notificationsTotal.inc({ status: 'pending' }, count);
    log.info({ eventId, ceId: event.ce_id, tenantId, notifications: count, workflows: workflows.map((w) => w.key), problems }, 'event fanned out');
    return { notifications: count };
  }
}
