import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { prepared } from '../db/prepared.ts';
import { insertedDeliveriesCte, queueFirstSends, type FirstSends } from '../db/repositories/deliveries.ts';
import { claimEvent, DONE_EVENT, noteEvent } from '../db/repositories/notifications.ts';
import { isUuid } from '../kernel/ids.ts';
import type { EventRow } from '../db/repositories/rows.ts';
import { notificationsTotal } from '../metrics.ts';
import { planRecipients, type RecipientEntry, type SubscriberInput } from '../subscribers/service.ts';
import type { Workflow } from '../workflows/service.ts';
import type { NotificationsContext } from './context.ts';
import { createNotification, deliverLocal, needsChain, notifyMembers } from './decisions.ts';
import { eventDocument, pointer } from './event-document.ts';
import { startTopicFanOut } from './topic-fan-out.ts';
import { withSpan } from '../tracing.ts';

/**
 * Fan-out (`process_events`, `process_event`): one notification per recipient of every workflow
 * the event triggers. The events of a batch (stored together: core/jobs/process-events.ts) are
 * read by one query. Each event's recipients are planned once (`planFanOut`: who, from each
 * workflow's pointer into the event, with the problems found); the plan is then written by one of
 * two paths with the same rules:
 * - the common case in one statement, without a transaction, shared by the events of the batch
 *   that take it: no plugin has anything to decide for the tenant, the recipients are subscriber
 *   ids and inline subscribers, at most FAN_OUT_AT_ONCE of them per event; the claims of the
 *   events, the upserts, the notifications, their deliveries and their jobs together;
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
/** Members of a team or project one statement notifies at most, when their chain has nothing to decide. */
const DIRECT_PAGE = 1000;

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

/** An event of a batch (a `process_events` entry, or a `process_event` job). */
export interface FanOutEntry {
  eventId: string;
  tenantId: string;
  /** The event's type (jobs queued by older versions lack it; the event read says it anyway). */
  type?: string;
}

export interface FanOutResult {
  notifications: number;
}

/** An event planned for the one-statement path: its subscribers (fields merged in order) and notifications. */
interface AtOnce {
  /** Its place in the batch. */
  index: number;
  event: EventRow;
  workflows: Workflow[];
  problems: string[];
  subscribers: Map<string, SubscriberInput>;
  notifications: Array<{ id: string; workflow: Workflow; externalId: string; unlessErased: boolean }>;
}

/** Where an event of a batch goes. */
type Route = { done: FanOutResult } | { transaction: Workflow[] } | { atOnce: AtOnce } | { failed: Error };

/** Subscribers of one fan-out statement at most, over its events (more go into the next statement). */
const STATEMENT_SUBSCRIBERS = 100;

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

export class FanOut {
  readonly #ctx: NotificationsContext;
  readonly #shapes = new Set<string>();

  constructor(ctx: NotificationsContext) {
    this.#ctx = ctx;
  }

  /** One event (`process_event`, and each entry of a batch while tracing): a batch of one, in a `clarion.fan_out` span. */
  processEvent(eventId: string, tenantId: string, type?: string): Promise<FanOutResult> {
    return withSpan('clarion.fan_out', { attributes: { 'clarion.event_id': eventId, 'clarion.tenant_id': tenantId } }, async (span) => {
      const [result] = this.processEvents([{ eventId, tenantId, ...(type === undefined ? {} : { type }) }]);
      const { notifications } = await result;
      span.setAttribute('clarion.notifications', notifications);
      return { notifications };
    });
  }

  /**
   * The events of a batch (`process_events`), one promise each: one read of them all; those that
   * qualify for the one-statement path fanned out together by one statement (or a few, at most
   * STATEMENT_SUBSCRIBERS subscribers each); the others through the transaction path, one after
   * the other. A statement that fails is run again event by event, so one bad event fails alone.
   */
  processEvents(entries: readonly FanOutEntry[]): Array<Promise<FanOutResult>> {
    const results = entries.map(() => deferred<FanOutResult>());
    this.#run(entries, results).catch((err: unknown) => {
      // Settling a promise twice changes nothing: this fails only those still open (the read failed).
      for (const result of results) result.reject(err);
    });
    return results.map((r) => r.promise);
  }

  async #run(entries: readonly FanOutEntry[], results: Array<Deferred<FanOutResult>>): Promise<void> {
    const { knex } = this.#ctx;
    const routes = await this.#route(entries);
    const atOnce: AtOnce[] = [];
    routes.forEach((route, i) => {
      if ('done' in route) results[i].resolve(route.done);
      else if ('failed' in route) results[i].reject(route.failed);
      else if ('atOnce' in route) atOnce.push(route.atOnce);
    });
    for (const statement of statements(atOnce)) {
      for (const [i, outcome] of (await this.#writeEach(statement)).entries()) {
        if (outcome instanceof Error) results[statement[i].index].reject(outcome);
        else results[statement[i].index].resolve(outcome);
      }
    }
    for (const [i, route] of routes.entries()) {
      if (!('transaction' in route)) continue;
      const { eventId, tenantId } = entries[i];
      try {
        results[i].resolve(await knex.transaction((trx) => this.#inTransaction(trx, eventId, tenantId, route.transaction)));
      } catch (err) {
        results[i].reject(err);
      }
    }
  }

  /**
   * Reads the events of a batch (one query) and chooses each one's path: nothing to do (gone,
   * another tenant's, processed or cancelled already), the one-statement path, or the transaction path.
   */
  async #route(entries: readonly FanOutEntry[]): Promise<Route[]> {
    const { knex } = this.#ctx;
    const ids = [...new Set(entries.map((e) => e.eventId).filter(isUuid))];
    const rows = ids.length === 0 ? [] : await prepared<EventRow>(knex, 'clarion_events_by_ids', 'select * from events where id = any($1::uuid[])', [ids]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    // The same event twice in one batch (a job queued by hand): fanned out by the first entry only.
    const seen = new Set<string>();
    const routes: Route[] = [];
    for (const [index, entry] of entries.entries()) {
      if (!isUuid(entry.eventId)) {
        routes.push({ failed: new Error(`process_events: invalid event id ${JSON.stringify(entry.eventId)}`) });
        continue;
      }
      const found = byId.get(entry.eventId);
      const event = found?.tenant_id === entry.tenantId ? found : undefined;
      if (!event || DONE_EVENT.includes(event.status) || seen.has(event.id)) {
        routes.push({ done: { notifications: 0 } });
        continue;
      }
      seen.add(event.id);
      // Configuration is read before any transaction, so a job never holds one connection while
      // waiting for another.
      const workflows = await this.#ctx.workflows.forTrigger(entry.tenantId, event.type);
      const planned = await this.#atOnce(index, event, workflows);
      routes.push(planned ? { atOnce: planned } : { transaction: workflows });
    }
    return routes;
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
      // A chain with nothing to decide (no plugin decides for this tenant, no steps, no
      // correlation, no local time): the notifications are written many per statement, as the
      // one-statement path and a topic page write them; otherwise one by one through the chain.
      const direct = !deliverLocal(event) && !(await needsChain(this.#ctx, tenantId, workflow));
      const members: string[] = [];
      for (const subscriber of subscribers) {
        // Members of a team or project the event excludes (the actor) get nothing.
        if (exclude.has(subscriber.external_id)) continue;
        notified.add(subscriber.external_id);
        if (direct) members.push(subscriber.id);
        else await createNotification(this.#ctx, trx, { event, workflow, subscriber, firstSends });
        count++;
      }
      for (let i = 0; i < members.length; i += DIRECT_PAGE) {
        await notifyMembers(trx, { tenantId, eventId: event.id, workflow, members: trx.raw('select unnest(?::uuid[]) as id', [members.slice(i, i + DIRECT_PAGE)]) });
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

  /** The plan of the one-statement path for an event, or undefined when it needs the transaction path. */
  async #atOnce(index: number, event: EventRow, workflows: Workflow[]): Promise<AtOnce | undefined> {
    if (workflows.length === 0) return undefined;
    // Plugins that have nothing to decide for this tenant (no preferences stored, default options)
    // leave this path open; any other chain needs the transaction path.
    for (const workflow of workflows) if (await needsChain(this.#ctx, event.tenant_id, workflow)) return undefined;
    // Held per subscriber until a local time: each notification goes through createNotification.
    if (deliverLocal(event)) return undefined;
    const plan = planFanOut(event, workflows);
    if (plan.workflows.some((w) => w.entries.some((e) => e.kind === 'group' || e.kind === 'topic'))) return undefined;

    // Every subscriber once (by external id, fields of its inline entries merged in order), and
    // the notifications: [workflow, subscriber, only if not erased].
    const subscribers = new Map<string, SubscriberInput>();
    const notifications: AtOnce['notifications'] = [];
    for (const { workflow, entries } of plan.workflows) {
      const mine = new Map<string, boolean>();
      for (const entry of entries) {
        if (entry.kind === 'group' || entry.kind === 'topic') continue;
        const fields = subscribers.get(entry.externalId) ?? {};
        subscribers.set(entry.externalId, entry.kind === 'inline' ? { ...fields, ...entry.fields } : fields);
        // An id names the subscriber as it is; inline data is sent to as given (an erased id: no row, nothing).
        mine.set(entry.externalId, (mine.get(entry.externalId) ?? true) && entry.kind === 'id');
      }
      for (const [externalId, unlessErased] of mine) notifications.push({ id: randomUUID(), workflow, externalId, unlessErased });
    }
    if (subscribers.size > FAN_OUT_AT_ONCE) return undefined;
    return { index, event, workflows, problems: [...plan.problems], subscribers, notifications };
  }

  /** `#write`, and when its statement fails with several events in it, each event again alone (only a bad one fails). */
  async #writeEach(events: AtOnce[]): Promise<Array<FanOutResult | Error>> {
    try {
      return await this.#write(events);
    } catch (err) {
      if (events.length === 1) return [asError(err)];
      const outcomes: Array<FanOutResult | Error> = [];
      for (const event of events) outcomes.push(await this.#write([event]).then(([outcome]) => outcome, asError));
      return outcomes;
    }
  }

  /**
   * The one-statement path for events of any tenants: one statement claims them all (each only
   * while neither processed nor cancelled: a second run of a batch claims nothing it claimed) and
   * writes the subscribers' upserts (each subscriber once, the fields its events give merged in
   * the events' order), the notifications, their deliveries and the deliveries' first sends as
   * `send_deliveries` batch jobs (insertedDeliveriesCte). No transaction: the statement is atomic.
   */
  async #write(events: AtOnce[]): Promise<FanOutResult[]> {
    const { knex, clock, log } = this.#ctx;
    // Subscribers by tenant and external id, in that order (concurrent statements lock them in
    // the same order), and the index each has in the statement.
    const merged = new Map<string, { tenantId: string; externalId: string; fields: SubscriberInput; k: number }>();
    for (const { event, subscribers } of events) {
      for (const [externalId, fields] of subscribers) {
        const key = `${event.tenant_id}\u0000${externalId}`;
        const known = merged.get(key);
        merged.set(key, { tenantId: event.tenant_id, externalId, fields: { ...known?.fields, ...fields }, k: -1 });
      }
    }
    const ordered = [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
    ordered.forEach((s, k) => (s.k = k));
    const kOf = (tenantId: string, externalId: string) => merged.get(`${tenantId}\u0000${externalId}`)!.k;

    const errorOf = (problems: string[]) => (problems.length > 0 ? problems.join('\n').slice(0, 4000) : null);
    const claims = events.map(({ event, problems }) => ({ id: event.id, error: errorOf(problems) }));
    const notifications = events.flatMap(({ event, notifications: list }) =>
      list.map((n) => ({ id: n.id, event_id: event.id, k: kOf(event.tenant_id, n.externalId), workflow_key: n.workflow.key, priority: n.workflow.priority, channels: n.workflow.channels, unless_erased: n.unlessErased })));
    const upserts = ordered.map((s) => this.#ctx.subscribers.upsertStatement(knex, s.tenantId, s.externalId, s.fields));
    const deliveries = insertedDeliveriesCte('notification');
    // The statement's text depends only on the shape of its subscribers' upserts (how many, which
    // inline fields); the events and notifications come as JSON. Prepared under a name derived
    // from it, it is planned once per shape and connection. Its WHERE names the events' primary
    // keys only (the read checked their tenants), as `= any(array(...))`: a generic plan could
    // otherwise pick a tenant index and walk it, or scan the table whole to join it to the JSON
    // input (which the planner takes for 100 rows).
    const statement = knex.raw(
      `with claim as (
         select * from jsonb_to_recordset(?::jsonb) as v(id uuid, error text)
       ), claimed as (
         update events e set status = 'processed', processed_at = ?, error = v.error
           from claim v
          where e.id = v.id and e.id = any(array(select id from claim)) and e.status not in ('processed', 'cancelled')
         returning e.id, e.tenant_id
       )${upserts.map((_, i) => `, s${i} as (?)`).join('')},
       subscriber as (${upserts.length > 0 ? upserts.map((_, i) => `select ${i} as k, id, erased_at from s${i}`).join(' union all ') : 'select null::int as k, null::uuid as id, null::timestamptz as erased_at where false'}),
       notification as (
         insert into notifications (id, tenant_id, event_id, subscriber_id, workflow_key, priority, status, channels)
         select v.id, c.tenant_id, c.id, s.id, v.workflow_key, v.priority, 'pending', v.channels
           from jsonb_to_recordset(?::jsonb) as v(id uuid, event_id uuid, k int, workflow_key text, priority text, channels jsonb, unless_erased boolean)
           join claimed c on c.id = v.event_id
           join subscriber s on s.k = v.k
          where not (v.unless_erased and s.erased_at is not null)
         returning id, tenant_id, event_id, channels, priority
       ), ${deliveries.sql}
       select array(select id::text from claimed) as claimed, array(select event_id::text from notification) as notified, (select count(*) from queued) as q, array(select k from subscriber) as upserted`,
      [JSON.stringify(claims), clock.now(), ...upserts, JSON.stringify(notifications), ...deliveries.bindings],
    ).toSQL().toNative();
    // Each connection keeps a plan per name: the shapes this process prepares are capped (the
    // common ones come first), the rest run unprepared.
    const name = `clarion_fan_out_${createHash('sha1').update(statement.sql).digest('hex').slice(0, 20)}`;
    if (!this.#shapes.has(name) && this.#shapes.size < FAN_OUT_SHAPES) this.#shapes.add(name);
    const [row] = await prepared<{ claimed: string[]; notified: string[]; upserted: number[] }>(knex, this.#shapes.has(name) ? name : undefined, statement.sql, statement.bindings as unknown[]);
    const claimed = new Set(row.claimed);
    const counts = new Map<string, number>();
    for (const eventId of row.notified) counts.set(eventId, (counts.get(eventId) ?? 0) + 1);
    const upserted = new Set(row.upserted);

    const outcomes: FanOutResult[] = [];
    let total = 0;
    for (const { event, workflows, problems, subscribers } of events) {
      if (!claimed.has(event.id)) {
        outcomes.push({ notifications: 0 });
        continue;
      }
      const count = counts.get(event.id) ?? 0;
      total += count;
      const erased = [...subscribers.keys()].filter((externalId) => !upserted.has(kOf(event.tenant_id, externalId))).map((externalId) => this.#ctx.subscribers.erasedProblem(externalId));
      const all = [...problems, ...erased];
      if (erased.length > 0) await noteEvent(knex, event.id, { error: errorOf(all) });
      log.info({ eventId: event.id, ceId: event.ce_id, tenantId: event.tenant_id, notifications: count, workflows: workflows.map((w) => w.key), problems: all }, 'event fanned out');
      outcomes.push({ notifications: count });
    }
    if (total > 0) notificationsTotal.inc({ status: 'pending' }, total);
    return outcomes;
  }
}

/** The events of the one-statement path in statements of at most STATEMENT_SUBSCRIBERS subscribers (an event is never split). */
function statements(events: AtOnce[]): AtOnce[][] {
  const result: AtOnce[][] = [];
  let current: AtOnce[] = [];
  let size = 0;
  for (const event of events) {
    if (current.length > 0 && size + event.subscribers.size > STATEMENT_SUBSCRIBERS) {
      result.push(current);
      current = [];
      size = 0;
    }
    current.push(event);
    size += event.subscribers.size;
  }
  if (current.length > 0) result.push(current);
  return result;
}
