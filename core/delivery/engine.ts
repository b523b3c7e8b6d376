import { createHash, randomUUID } from 'node:crypto';
import type { CallbackRequest, CallbackResponse, CallbackResult, Channel, OutboundMessage, OutboundPolicy, Priority, RenderedContent, SendResult, Sender } from '@clarion/adapter-kit';
import { ConfigError, DeliveryError, PermanentError, TransientError, excerpt } from '@clarion/adapter-kit';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { prepared } from '../db/prepared.ts';
import { insertQueued, queuedCte } from '../jobs/queue.ts';
import { ClarionError } from '../errors.ts';
import { attemptSeconds, circuitState, deliveriesFinished, deliveryAttempts, notificationsTotal } from '../metrics.ts';
import type { PipelineRunner } from '../pipeline/runner.ts';
import type { DecisionRecord, ResolvedPreferences } from '../pipeline/types.ts';
import { resolve as resolvePreferences, validZone } from '../preferences/model.ts';
import type { PreferenceService } from '../preferences/service.ts';
import type { Clock } from '../services.ts';
import type { RenderInput, RenderResult } from '../templates/types.ts';
import { digestWindow } from './digest-window.ts';
import { planRecipients, type SubscriberInput, type SubscriberRow, type SubscriberService } from '../subscribers/service.ts';
import type { Workflow, WorkflowService } from '../workflows/service.ts';
import { audit, type ProviderRecord, type ProviderService } from './providers.ts';
import type { AdapterRegistry } from './registry.ts';
import { applyCallback, rejected } from './receipts.ts';
import { nextStep, whileDown, type RetryPolicy } from './policy.ts';
import { isUuid } from '../tenants.ts';
import { ANNOUNCED_NOTIFICATION, FINAL_DELIVERY, STICKY_NOTIFICATION, rollupSql } from '../notifications/status.ts';
import { putInboxItem } from '../realtime/feed.ts';

/** What the engine needs from the template service. */
export interface TemplateRenderer {
  render(input: RenderInput): Promise<RenderResult>;
}

/** What the engine needs from the outgoing webhook hub. */
export interface WebhookEmitter {
  emit(trx: Knex, event: { tenantId: string; type: string; subject?: string; data: Record<string, unknown> }): Promise<number>;
  /** Whether emit would queue anything for this tenant and type (cached: used to skip work). */
  subscribed(tenantId: string, type: string): Promise<boolean>;
}

export interface EngineDeps {
  config: Config;
  knex: Knex;
  log: Logger;
  clock: Clock;
  adapters: AdapterRegistry;
  providers: ProviderService;
  subscribers: SubscriberService;
  workflows: WorkflowService;
  pipeline: PipelineRunner;
  /** The operator's outbound network policy: adapters' fetch, agents and sockets go through it. */
  outbound: OutboundPolicy;
  templates: () => TemplateRenderer | undefined;
  webhooks: () => WebhookEmitter | undefined;
  /** Preferences and signed links (core/preferences); absent: no preferences, no links. */
  preferences?: () => PreferenceService | undefined;
  /** Random numbers for the retry spread (injected by tests). Default Math.random. */
  random?: () => number;
}

/** One escalation step as kept on the notification (`notifications.escalation`). */
interface EscalationStep {
  step: number;
  at: string;
  channels: Channel[];
  recipients: string[];
  status: 'pending' | 'fired' | 'cancelled';
  firedAt?: string;
  reason?: string;
  notifications?: string[];
}

/** The `send_delivery` job of each inserted delivery row (`i`: id, tenant_id). */
const SEND_JOB = { task: 'send_delivery', payload: `json_build_object('deliveryId', i.id, 'tenantId', i.tenant_id)`, maxAttempts: 3 };
/** Most subscribers the one-statement fan-out takes (more go through the transaction path). */
const FAN_OUT_AT_ONCE = 50;
/** Most shapes of that statement prepared per process (each connection keeps a plan per shape). */
const FAN_OUT_SHAPES = 64;
const SANDBOX = 'sandbox';

/**
 * The delivery engine: fans an event out to notifications (one per recipient and workflow),
 * runs each through its pipeline, and sends each delivery through the tenant's providers with
 * timeouts, classified errors, retries with backoff and jitter, provider failover, channel
 * fallback, circuit breakers and dead letters. Every attempt and every status change is recorded.
 */
export class DeliveryEngine {
  readonly #deps: EngineDeps;
  readonly #senders = new Map<string, { version: string; sender: Promise<Sender> }>();
  readonly #breakers = new Map<string, CircuitBreakerPolicy>();
  readonly #fanOutShapes = new Set<string>();
  /** When each provider's circuit last opened here (operational time, as the breaker counts it). */
  readonly #openedAt = new Map<string, number>();
  readonly #policy: RetryPolicy;

  constructor(deps: EngineDeps) {
    this.#deps = deps;
    this.#policy = {
      schedules: deps.config.retrySchedules,
      scale: deps.config.retryScale,
      maxDelayMs: deps.config.retryMaxMs,
      fallbackAfterMs: deps.config.fallbackAfterMs,
      random: deps.random ?? Math.random,
    };
  }

  // ---------------------------------------------------------------- fan-out

  /**
   * `process_event`: one notification per recipient of every workflow the event triggers. `type`
   * (the event's, from the job payload) saves reading the event before the transaction.
   */
  async processEvent(eventId: string, tenantId: string, type?: string): Promise<{ notifications: number }> {
    const { knex, clock, log } = this.#deps;
    // Configuration is read before the transaction, so a job never holds one connection while
    // waiting for another.
    if (type === undefined) {
      const head = await knex('events').where({ id: eventId, tenant_id: tenantId }).first('type', 'status');
      if (!head || head.status === 'processed') return { notifications: 0 };
      type = head.type as string;
    }
    const workflows = await this.#deps.workflows.forTrigger(tenantId, type);
    const atOnce = await this.#fanOutAtOnce(eventId, tenantId, workflows);
    if (atOnce) return atOnce;
    return knex.transaction(async (trx) => {
      // Claiming the event locks it: a second run of the job waits, then finds it processed.
      const [event] = await trx('events')
        .where({ id: eventId, tenant_id: tenantId })
        .whereNot({ status: 'processed' })
        .update({ status: 'processed', processed_at: clock.now(), error: null })
        .returning('*');
      if (!event) return { notifications: 0 };
      const problems: string[] = [];
      let count = 0;
      for (const workflow of workflows) {
        const recipients = typeof workflow.recipients === 'string' ? pointer(eventDocument(event), workflow.recipients) : workflow.recipients;
        if (recipients === undefined) problems.push(`${workflow.key}: no recipients at ${workflow.recipients}`);
        const { subscribers, problems: found } = await this.#deps.subscribers.resolve(trx, tenantId, recipients);
        problems.push(...found.map((p) => `${workflow.key}: ${p}`));
        for (const subscriber of subscribers) {
          await this.#createNotification(trx, { event, workflow, subscriber });
          count++;
        }
      }
      // No workflow for the type is not an error: the event was processed, and says why nothing came of it.
      if (workflows.length === 0) await trx('events').where({ id: eventId }).update({ notice: `no workflow is triggered by ${event.type}: nothing to send` });
      if (problems.length > 0) await trx('events').where({ id: eventId }).update({ error: problems.join('\n').slice(0, 4000) });
      log.info({ eventId, ceId: event.ce_id, tenantId, notifications: count, workflows: workflows.map((w) => w.key), problems }, 'event fanned out');
      return { notifications: count };
    });
  }

  /**
   * The common fan-out in one statement, without a transaction: when no triggered workflow runs
   * plugins and the recipients are subscriber ids and inline subscribers (at most
   * FAN_OUT_AT_ONCE), the claim of the event, the subscribers' upserts, the notifications, their
   * deliveries and the deliveries' jobs are written together; notifications only if the claim
   * succeeds (a second run of the job re-applies the inline subscribers' fields, as the same event
   * sent again would). Returns undefined for anything else, which the transaction path handles. The rules are the
   * same as there: an id names an existing subscriber (an erased one gets nothing) or creates a
   * bare one; an inline subscriber is upserted with the fields it gives; each subscriber gets one
   * notification per workflow.
   */
  async #fanOutAtOnce(eventId: string, tenantId: string, workflows: Workflow[]): Promise<{ notifications: number } | undefined> {
    const { knex, clock, log } = this.#deps;
    if (workflows.length === 0) return undefined;
    // Plugins that have nothing to decide for this tenant (no preferences stored, default options)
    // leave the one-statement path open; any other chain needs the transaction path.
    const facts = async () => ({ tenantHasPreferences: (await this.#deps.preferences?.()?.tenantHasPreferences(tenantId)) ?? false });
    for (const workflow of workflows) if (await this.#deps.pipeline.decides(workflow.plugins, facts)) return undefined;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const [found] = await prepared<any>(knex, 'clarion_event_by_id', 'select * from events where id = $1', [eventId]);
    const event = found?.tenant_id === tenantId ? found : undefined;
    if (!event || event.status === 'processed') return { notifications: 0 };

    // Every subscriber once (by external id, fields of its inline entries merged in order), and
    // the notifications: [workflow, subscriber, only if not erased].
    const problems: string[] = [];
    const subscribers = new Map<string, { index: number; fields: SubscriberInput }>();
    const notifications: Array<{ id: string; workflow: Workflow; subscriber: number; unlessErased: boolean }> = [];
    for (const workflow of workflows) {
      const recipients = typeof workflow.recipients === 'string' ? pointer(eventDocument(event), workflow.recipients) : workflow.recipients;
      if (recipients === undefined) problems.push(`${workflow.key}: no recipients at ${workflow.recipients}`);
      const plan = planRecipients(recipients);
      if (plan.entries.some((e) => e.kind === 'group')) return undefined;
      problems.push(...plan.problems.map((p) => `${workflow.key}: ${p}`));
      const mine = new Map<string, boolean>();
      for (const entry of plan.entries) {
        if (entry.kind === 'group') continue;
        const known = subscribers.get(entry.externalId) ?? { index: subscribers.size, fields: {} };
        if (entry.kind === 'inline') known.fields = { ...known.fields, ...entry.fields };
        subscribers.set(entry.externalId, known);
        // An id names the subscriber as it is (erased: nothing); inline data is sent to as given.
        mine.set(entry.externalId, (mine.get(entry.externalId) ?? true) && entry.kind === 'id');
      }
      for (const [externalId, unlessErased] of mine) notifications.push({ id: randomUUID(), workflow, subscriber: subscribers.get(externalId)!.index, unlessErased });
    }
    if (subscribers.size > FAN_OUT_AT_ONCE) return undefined;
    const error = problems.length > 0 ? problems.join('\n').slice(0, 4000) : null;
    if (notifications.length === 0) {
      const claimed = await knex('events').where({ id: eventId, tenant_id: tenantId }).whereNot({ status: 'processed' }).update({ status: 'processed', processed_at: clock.now(), error });
      if (claimed > 0) log.info({ eventId, ceId: event.ce_id, tenantId, notifications: 0, workflows: workflows.map((w) => w.key), problems }, 'event fanned out');
      return { notifications: 0 };
    }

    const upserts = [...subscribers].map(([externalId, { fields }]) => this.#deps.subscribers.upsertStatement(knex, tenantId, externalId, fields));
    const queued = queuedCte('inserted', SEND_JOB);
    const values = notifications.map(() => '(?::uuid, ?::int, ?, ?, ?::jsonb, ?::boolean)').join(', ');
    // The statement's text depends only on the shape of the event (how many subscribers and
    // notifications, which inline fields): prepared under a name derived from it, it is planned
    // once per shape and connection. Its WHERE names the event's primary key only (the read above
    // checked the tenant): a generic plan could otherwise pick a tenant index and walk it.
    const statement = knex.raw(
      `with claimed as (
         update events set status = 'processed', processed_at = ?, error = ? where id = ? and status <> 'processed' returning id, tenant_id
       ), ${upserts.map((_, i) => `s${i} as (?)`).join(', ')},
       subscriber as (${upserts.map((_, i) => `select ${i} as k, id, erased_at from s${i}`).join(' union all ')}),
       notification as (
         insert into notifications (id, tenant_id, event_id, subscriber_id, workflow_key, priority, status, channels)
         select v.id, c.tenant_id, c.id, s.id, v.workflow_key, v.priority, 'pending', v.channels
           from claimed c
          cross join (values ${values}) as v(id, k, workflow_key, priority, channels, unless_erased)
           join subscriber s on s.k = v.k
          where not (v.unless_erased and s.erased_at is not null)
         returning id, tenant_id, channels
       ), inserted as (
         insert into deliveries (tenant_id, notification_id, channel, status, idempotency_key)
         select n.tenant_id, n.id, c.channel, 'pending', n.id || ':' || c.channel
           from notification n cross join lateral jsonb_array_elements_text(n.channels) with ordinality as c(channel, ord)
          order by n.id, c.ord
         returning id, tenant_id
       ), ${queued.sql}
       select (select count(*)::int from claimed) as claimed, (select count(*)::int from notification) as notifications, (select count(*) from queued) as q`,
      [
        clock.now(), error, eventId,
        ...upserts,
        ...notifications.flatMap((n) => [n.id, n.subscriber, n.workflow.key, n.workflow.priority, JSON.stringify(n.workflow.channels), n.unlessErased]),
        ...queued.bindings,
      ],
    ).toSQL().toNative();
    // Each connection keeps a plan per name: the shapes this process prepares are capped (the
    // common ones come first), the rest run unprepared.
    const name = `clarion_fan_out_${createHash('sha1').update(statement.sql).digest('hex').slice(0, 20)}`;
    if (!this.#fanOutShapes.has(name) && this.#fanOutShapes.size < FAN_OUT_SHAPES) this.#fanOutShapes.add(name);
    const rows = await prepared<{ claimed: number; notifications: number }>(knex, this.#fanOutShapes.has(name) ? name : undefined, statement.sql, statement.bindings as unknown[]);
    const { claimed, notifications: count } = rows[0];
    if (claimed === 0) return { notifications: 0 };
    if (count > 0) notificationsTotal.inc({ status: 'pending' }, count);
    log.info({ eventId, ceId: event.ce_id, tenantId, notifications: count, workflows: workflows.map((w) => w.key), problems }, 'event fanned out');
    return { notifications: count };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async #createNotification(trx: Knex, input: { event: any; workflow: Workflow; subscriber: SubscriberRow }): Promise<void> {
    const { event, workflow, subscriber } = input;
    const now = this.#deps.clock.now();
    const required = workflow.required ?? workflow.priority === 'critical';
    let preferences: Promise<ResolvedPreferences> | undefined;
    // The row is written once the chain has decided (plugins get its id, not the row), with its
    // deliveries and their jobs in the same statement on the common path.
    const notification = { id: randomUUID() };
    const { final, records } = await this.#deps.pipeline.run(
      {
        tenantId: event.tenant_id,
        notificationId: notification.id,
        workflow: { key: workflow.key, category: workflow.category, priority: workflow.priority, required, trigger: workflow.trigger },
        event: { id: event.id, ceId: event.ce_id, source: event.source, type: event.type, subject: event.subject ?? undefined, time: event.time ?? undefined, data: event.data },
        subscriber: { id: subscriber.id, externalId: subscriber.external_id, locale: subscriber.locale, timezone: subscriber.timezone, teams: subscriber.teams, projects: subscriber.projects },
        channels: workflow.channels,
        decisions: [],
        now,
        db: trx,
        preferences: () => (preferences ??= this.#preferencesOf(trx, event.tenant_id, subscriber)),
      },
      workflow.plugins,
      this.#deps.log,
    );
    let status = 'pending';
    let scheduledFor: Date | null = null;
    let channels = workflow.channels;
    if (final.decision === 'continue') channels = final.channels ?? channels;
    else if (final.decision === 'suppress') status = 'suppressed';
    else if (final.decision === 'defer') {
      status = 'scheduled';
      scheduledFor = final.until;
    } else if (final.decision === 'batch') status = 'batched';
    let escalation: EscalationStep[] | undefined;
    if (final.decision === 'schedule') {
      // Escalation: every step is a job at its time; a step fires only while nobody acknowledged.
      escalation = final.steps.map((step, i) => ({ step: i, at: step.at.toISOString(), channels: step.channels, recipients: step.recipients ?? [], status: 'pending' }));
      channels = [...new Set(final.steps.flatMap((step) => step.channels))];
      if (escalation.length === 0) status = 'suppressed';
      else if (final.steps[0].at.getTime() > now.getTime()) {
        status = 'scheduled';
        scheduledFor = final.steps[0].at;
      }
    }
    const row = trx('notifications').insert({
      id: notification.id,
      tenant_id: event.tenant_id,
      event_id: event.id,
      subscriber_id: subscriber.id,
      workflow_key: workflow.key,
      priority: workflow.priority,
      status,
      scheduled_for: scheduledFor,
      channels: JSON.stringify(channels),
      decisions: JSON.stringify(records),
      ...(escalation ? { escalation: JSON.stringify({ steps: escalation }) } : {}),
    });
    if (status === 'pending' && !escalation && channels.length > 0) await this.#createDeliveries(trx, event.tenant_id, notification.id, channels, null, '', row);
    else await row;
    notificationsTotal.inc({ status });
    if (escalation && escalation.length > 0) {
      for (const step of escalation) {
        if (step.step === 0 && status === 'pending') await this.#fireStep(trx, event.tenant_id, notification.id, 0);
        else {
          await trx.raw(
            `select graphile_worker.add_job('escalate_notification', json_build_object('notificationId', ?::uuid, 'tenantId', ?::uuid, 'step', ?::int), run_at => ?::timestamptz, job_key => ?)`,
            [notification.id, event.tenant_id, step.step, step.at, `escalate:${notification.id}:${step.step}`],
          );
        }
      }
    } else if (status === 'batched' && final.decision === 'batch') {
      await this.#batch(trx, { tenantId: event.tenant_id, notificationId: notification.id, subscriberId: subscriber.id, key: final.key, until: final.until, details: final.details ?? {} });
    } else if (status === 'scheduled') {
      await trx.raw(`select graphile_worker.add_job('dispatch_notification', json_build_object('notificationId', ?::uuid, 'tenantId', ?::uuid), run_at => ?, job_key => ?)`, [
        notification.id, event.tenant_id, scheduledFor, `dispatch:${notification.id}`,
      ]);
    } else if (status === 'suppressed') {
      await this.#emit(trx, event.tenant_id, 'io.clarion.notification.suppressed', notification.id, { workflow: workflow.key, subscriberId: subscriber.external_id, reason: (final as { reason?: string }).reason ?? null });
    }
  }

  /** `dispatch_notification`: a deferred notification's time has come. */
  async dispatchNotification(notificationId: string, tenantId: string): Promise<void> {
    await this.#deps.knex.transaction(async (trx) => {
      const row = await trx('notifications').where({ id: notificationId, tenant_id: tenantId }).forUpdate().first();
      if (!row || row.status !== 'scheduled') return;
      await trx('notifications').where({ id: notificationId }).update({ status: 'pending', updated_at: trx.fn.now() });
      await this.#createDeliveries(trx, tenantId, notificationId, row.channels as Channel[], null);
    });
  }

  /** `notification`: the insert of the notification itself, to run in the same statement (first). */
  async #createDeliveries(trx: Knex, tenantId: string, notificationId: string, channels: Channel[], fallbackOf: string | null, keySuffix = '', notification?: Knex.QueryBuilder): Promise<string[]> {
    if (channels.length === 0) return [];
    const rows = channels.map((channel) => ({
      tenant_id: tenantId,
      notification_id: notificationId,
      channel,
      status: 'pending',
      idempotency_key: `${notificationId}:${channel}${keySuffix}`,
      fallback_of: fallbackOf,
    }));
    // One statement: the deliveries and their jobs (a delivery that exists already is left alone).
    const inserted = await insertQueued<{ id: string }>(trx, trx('deliveries').insert(rows).onConflict(['tenant_id', 'idempotency_key']).ignore().returning(['id', 'tenant_id']), {
      ...SEND_JOB,
      ...(notification ? { before: notification } : {}),
    });
    return inserted.map((r) => r.id);
  }

  // ---------------------------------------------------------------- plugins: preferences, digests, escalation

  async #preferencesOf(db: Knex, tenantId: string, subscriber: { external_id: string; teams: string[]; projects: string[] }): Promise<ResolvedPreferences> {
    const service = this.#deps.preferences?.();
    if (!service) return resolvePreferences([]);
    return service.resolved(db, tenantId, { externalId: subscriber.external_id, teams: subscriber.teams ?? [], projects: subscriber.projects ?? [] });
  }

  /** Signed links of a message: acknowledge (high, critical, escalated) and unsubscribe (not for required workflows). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  #links(input: { notification: any; subscriber: SubscriberRow; workflow: Workflow; channel: Channel; priority: Priority }): { ack?: string; unsubscribe?: string } {
    const service = this.#deps.preferences?.();
    if (!service || !this.#deps.config.secretKey) return {};
    const { notification, subscriber, workflow, channel, priority } = input;
    const required = workflow.required ?? workflow.priority === 'critical';
    const claims = { t: notification.tenant_id as string, s: subscriber.external_id };
    return {
      ack: priority === 'high' || priority === 'critical' || notification.escalation ? service.ackUrl({ ...claims, n: notification.id }) : undefined,
      unsubscribe: required
        ? undefined
        : service.unsubscribeUrl({ ...claims, k: workflow.category ? 'category' : 'workflow', v: workflow.category ?? workflow.key, c: channel, n: notification.id }),
    };
  }

  /** A `batch` decision: the notification joins its subscriber's open digest for the key. */
  async #batch(trx: Knex, input: { tenantId: string; notificationId: string; subscriberId: string; key: string; until: Date; details: Record<string, unknown> }): Promise<void> {
    const template = typeof input.details.template === 'string' ? input.details.template : 'digest.daily';
    const channels = Array.isArray(input.details.channels) && input.details.channels.length > 0 ? input.details.channels : ['email'];
    const { rows } = await trx.raw(
      `insert into digests (tenant_id, subscriber_id, key, template, channels, send_at) values (?, ?, ?, ?, ?::jsonb, ?)
       on conflict (tenant_id, subscriber_id, key) where status = 'open' do update set key = excluded.key
       returning id, send_at`,
      [input.tenantId, input.subscriberId, input.key, template, JSON.stringify(channels), input.until],
    );
    const digest = rows[0] as { id: string; send_at: Date };
    await trx('notifications').where({ id: input.notificationId }).update({ digest_id: digest.id });
    // One job per open digest: later items keep the first item's time (preserve_run_at).
    await trx.raw(
      `select graphile_worker.add_job('send_digest', json_build_object('digestId', ?::uuid, 'tenantId', ?::uuid), run_at => ?::timestamptz, job_key => ?, job_key_mode => 'preserve_run_at')`,
      [digest.id, input.tenantId, digest.send_at, `digest:${digest.id}`],
    );
  }

  /** `send_digest`: the window closed; its items become one notification, rendered with the digest template. */
  async sendDigest(digestId: string, tenantId: string): Promise<{ items: number }> {
    const { knex, clock, log } = this.#deps;
    return knex.transaction(async (trx) => {
      const digest = await trx('digests').where({ id: digestId, tenant_id: tenantId }).forUpdate().first();
      if (!digest || digest.status !== 'open') return { items: 0 };
      const ids: string[] = Array.isArray(digest.item_ids)
        ? digest.item_ids
        : (await trx('notifications').where({ tenant_id: tenantId, digest_id: digestId }).orderBy([{ column: 'created_at' }, { column: 'id' }]).select('id')).map((r) => r.id);
      const now = clock.now();
      if (ids.length === 0) {
        await trx('digests').where({ id: digestId }).update({ status: 'empty', sent_at: now });
        return { items: 0 };
      }
      const last = await trx('notifications').whereIn('id', ids).orderBy('created_at', 'desc').first('event_id');
      const [notification] = await trx('notifications')
        .insert({
          tenant_id: tenantId,
          event_id: last.event_id,
          subscriber_id: digest.subscriber_id,
          workflow_key: digest.template,
          priority: 'low',
          status: 'pending',
          channels: JSON.stringify(digest.channels),
          decisions: JSON.stringify([{ plugin: 'digest', decision: 'continue', at: now.toISOString(), reason: `digest of ${ids.length} notification(s)`, details: { digestId, key: digest.key, items: ids } }]),
        })
        .returning(['id']);
      await trx('digests').where({ id: digestId }).update({ status: 'sent', notification_id: notification.id, sent_at: now });
      notificationsTotal.inc({ status: 'pending' });
      await this.#createDeliveries(trx, tenantId, notification.id, digest.channels, null);
      log.info({ digestId, tenantId, items: ids.length, notificationId: notification.id }, 'digest sent');
      return { items: ids.length };
    });
  }

  async #digestOf(notificationId: string) {
    return this.#deps.knex('digests').where({ notification_id: notificationId }).first();
  }

  /** The items of a digest for its template: each item's own in-app title (else its email subject). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async #digestContext(digest: any, input: { subscriber: SubscriberRow; tenant: any }): Promise<{ data: Record<string, unknown>; items: Array<Record<string, unknown>> }> {
    const { knex } = this.#deps;
    const { subscriber, tenant } = input;
    const rows = Array.isArray(digest.item_ids)
      ? await knex('notifications').whereIn('id', digest.item_ids).orderBy([{ column: 'created_at' }, { column: 'id' }])
      : await knex('notifications').where({ tenant_id: digest.tenant_id, digest_id: digest.id }).orderBy([{ column: 'created_at' }, { column: 'id' }]);
    const renderer = this.#deps.templates();
    const items = [];
    for (const row of rows) {
      const event = await knex('events').where({ id: row.event_id }).first();
      const context = {
        event: { id: event.ce_id, source: event.source, type: event.type, subject: event.subject ?? undefined, time: event.time ?? undefined },
        data: event.data ?? {},
        subscriber: { id: subscriber.external_id, name: subscriber.name, email: subscriber.email, phone: subscriber.phone, locale: subscriber.locale, timezone: subscriber.timezone, data: subscriber.data },
        tenant: { name: tenant.name, brand: tenant.settings?.brand ?? {} },
        notification: { id: row.id, priority: row.priority },
      };
      let title: string | undefined;
      let summary: string | undefined;
      let url: string | undefined;
      for (const channel of ['in_app', 'email'] as Channel[]) {
        try {
          const parts = (await renderer!.render({ tenantId: digest.tenant_id, workflowKey: row.workflow_key, channel, locale: subscriber.locale, tenantDefaultLocale: tenant.settings?.defaultLocale ?? null, context })).parts;
          title = (channel === 'in_app' ? parts.title : parts.subject)?.trim() || undefined;
          summary = channel === 'in_app' ? parts.body?.trim() || undefined : undefined;
          url = parts.url ?? undefined;
          if (title) break;
        } catch {
          // No template for that channel: try the next, else name the event.
        }
      }
      items.push({ title: title ?? `${event.type}${event.subject ? `: ${event.subject}` : ''}`, summary, url: url && /^https?:\/\//.test(url) ? url : undefined, at: new Date(row.created_at).toISOString(), workflow: row.workflow_key });
    }
    const zone = subscriber.timezone && validZone(subscriber.timezone) ? subscriber.timezone : 'UTC';
    const date = DateTime.fromJSDate(new Date(digest.sent_at ?? this.#deps.clock.now()), { zone }).toISODate();
    return { data: { date, items, window: digestWindow(digest.key, rows) }, items };
  }

  /**
   * The daily summary (crontab, hourly): each subscriber whose preferences ask for `digest.daily`
   * gets, at their local hour, one digest of their notifications of the last 24 hours.
   */
  async dailySummaries(): Promise<number> {
    const { knex, clock, log } = this.#deps;
    const now = clock.now();
    const tenants: Array<{ tenant_id: string }> = await knex('preferences').whereRaw(`settings->'digest'->>'daily' = 'true'`).distinct('tenant_id');
    let sent = 0;
    for (const { tenant_id: tenantId } of tenants) {
      const subscribers = await knex('subscribers').where({ tenant_id: tenantId }).whereNull('erased_at').select('id', 'external_id', 'teams', 'projects', 'timezone');
      for (const subscriber of subscribers) {
        const choice = (await this.#preferencesOf(knex, tenantId, subscriber)).digest();
        if (!choice?.value.daily) continue;
        const zone = subscriber.timezone && validZone(subscriber.timezone) ? subscriber.timezone : 'UTC';
        const local = DateTime.fromJSDate(now, { zone });
        if (local.hour !== (choice.value.hour ?? 8)) continue;
        const key = `daily:${local.toISODate()}`;
        if (await knex('digests').where({ tenant_id: tenantId, subscriber_id: subscriber.id, key }).first('id')) continue;
        const items = await knex('notifications')
          .where({ tenant_id: tenantId, subscriber_id: subscriber.id })
          .where('created_at', '>', new Date(now.getTime() - 24 * 3600_000))
          .whereNot('workflow_key', 'digest.daily')
          .whereNotIn('status', ['suppressed', 'batched'])
          .orderBy('created_at')
          .limit(200)
          .select('id');
        if (items.length === 0) continue;
        const [digest] = await knex('digests')
          .insert({ tenant_id: tenantId, subscriber_id: subscriber.id, key, template: 'digest.daily', channels: JSON.stringify(['email']), send_at: now, item_ids: JSON.stringify(items.map((i) => i.id)) })
          .returning('id');
        await this.sendDigest(digest.id, tenantId);
        sent++;
      }
    }
    if (sent > 0) log.info({ sent }, 'daily summaries sent');
    return sent;
  }

  /** `escalate_notification`: a step's time has come; it fires only if nobody acknowledged. */
  async escalateNotification(notificationId: string, tenantId: string, step: number): Promise<'fired' | 'cancelled' | 'skipped'> {
    return this.#deps.knex.transaction(async (trx) => {
      const row = await trx('notifications').where({ id: notificationId, tenant_id: tenantId }).forUpdate().first('id', 'status', 'acknowledged_at', 'escalation');
      const steps: EscalationStep[] | undefined = row?.escalation?.steps;
      if (!steps?.[step] || steps[step].status !== 'pending') return 'skipped';
      const ackedChild = await trx('notifications').where({ tenant_id: tenantId }).whereRaw(`escalation->>'parentId' = ?`, [notificationId]).whereNotNull('acknowledged_at').first('id');
      if (row.acknowledged_at || ackedChild || ['acknowledged', 'archived'].includes(row.status)) {
        for (const later of steps) if (later.step >= step && later.status === 'pending') Object.assign(later, { status: 'cancelled', reason: 'acknowledged' });
        await trx('notifications').where({ id: notificationId }).update({ escalation: JSON.stringify({ ...row.escalation, steps }), updated_at: trx.fn.now() });
        return 'cancelled';
      }
      await this.#fireStep(trx, tenantId, notificationId, step);
      return 'fired';
    });
  }

  async #fireStep(trx: Knex, tenantId: string, notificationId: string, step: number): Promise<void> {
    const row = await trx('notifications').where({ id: notificationId }).first();
    const steps: EscalationStep[] = row.escalation.steps;
    const current = steps[step];
    const now = this.#deps.clock.now();
    const created: string[] = [];
    if (current.recipients.length > 0) {
      // Other recipients (on-call list, team admins): a notification of their own, pointing back here.
      const { subscribers } = await this.#deps.subscribers.resolve(trx, tenantId, current.recipients);
      for (const other of subscribers) {
        const [child] = await trx('notifications')
          .insert({
            tenant_id: tenantId, event_id: row.event_id, subscriber_id: other.id, workflow_key: row.workflow_key, priority: row.priority, status: 'pending',
            channels: JSON.stringify(current.channels),
            decisions: JSON.stringify([{ plugin: 'escalation', decision: 'continue', at: now.toISOString(), reason: `escalated from notification ${notificationId} (step ${step + 1})`, channels: current.channels }]),
            escalation: JSON.stringify({ parentId: notificationId, step }),
          })
          .returning('id');
        await this.#createDeliveries(trx, tenantId, child.id, current.channels, null);
        created.push(child.id);
      }
    } else {
      if (row.status === 'scheduled') await trx('notifications').where({ id: notificationId }).update({ status: 'pending', scheduled_for: null });
      await this.#createDeliveries(trx, tenantId, notificationId, current.channels, null, step === 0 ? '' : `:step${step}`);
    }
    Object.assign(current, { status: 'fired', firedAt: now.toISOString(), ...(created.length > 0 ? { notifications: created } : {}) });
    if (['scheduled', 'pending'].includes(row.status) && current.recipients.length > 0) await trx('notifications').where({ id: notificationId }).update({ status: 'sent', scheduled_for: null });
    await trx('notifications').where({ id: notificationId }).update({ escalation: JSON.stringify({ ...row.escalation, steps }), updated_at: trx.fn.now() });
    await this.#emit(trx, tenantId, 'io.clarion.escalation.step', notificationId, { workflow: row.workflow_key, step: step + 1, of: steps.length, channels: current.channels, recipients: current.recipients, notifications: created });
  }

  // ---------------------------------------------------------------- sending

  /** `send_delivery`: one attempt at one delivery; schedules whatever comes next. */
  async sendDelivery(deliveryId: string, tenantId: string, options: { slotReserved?: boolean } = {}): Promise<void> {
    const { knex, log, clock, config } = this.#deps;
    // Everything a send needs, in one round trip (this is the hot path).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const rows = await prepared<any>(knex, 'clarion_delivery_context',
      `select to_jsonb(d) as delivery, to_jsonb(n) as notification, to_jsonb(s) as subscriber, to_jsonb(e) as event,
              jsonb_build_object('id', t.id, 'name', t.name, 'settings', t.settings) as tenant
         from deliveries d
         join notifications n on n.id = d.notification_id
         join events e on e.id = n.event_id
         join tenants t on t.id = d.tenant_id
         left join subscribers s on s.id = n.subscriber_id
        where d.id = $1`,
      [deliveryId],
    );
    // The tenant is checked here, not in the WHERE: a prepared statement's generic plan would
    // otherwise walk the tenant's deliveries by its (tenant_id, status) index to find one id.
    const row = rows[0]?.delivery.tenant_id === tenantId ? rows[0] : undefined;
    if (!row || FINAL_DELIVERY.has(row.delivery.status)) return;
    const { delivery, notification, event, tenant } = row;
    const subscriber: SubscriberRow | undefined = row.subscriber ?? undefined;
    const workflow = await this.#deps.workflows.get(tenantId, notification.workflow_key).catch(() => undefined);
    const channel = delivery.channel as Channel;
    const priority = notification.priority as Priority;
    const dlog = log.child({ deliveryId, notificationId: notification.id, eventId: event?.id, ceId: event?.ce_id, tenantId, channel });

    // What to send: rendered in the subscriber's language; a template that cannot render is permanent.
    let message: OutboundMessage;
    try {
      if (!subscriber || subscriber.erased_at) throw new PermanentError('the subscriber no longer exists (erased)', { code: 'subscriber_erased' });
      if (!workflow) throw new ConfigError(`workflow ${notification.workflow_key} no longer exists`, { code: 'workflow_missing' });
      checkAddress(channel, subscriber);
      message = await this.#message({ delivery, notification, subscriber, event, tenant, workflow, channel, priority });
    } catch (err) {
      const error = toDeliveryError(err);
      await this.#finishAttempt({ delivery, notification, workflow, provider: undefined, error, startedAt: clock.now(), durationMs: 0, dlog });
      return;
    }

    const candidates = await this.#candidates(tenantId, channel, delivery.providers_tried as string[]);
    if (candidates.length === 0) {
      const configured = (await this.#deps.providers.forChannel(tenantId, channel)).length > 0;
      const error = new ConfigError(configured ? `every ${channel} provider has failed for good for this delivery` : `no ${channel} provider is configured: add one with POST /v1/providers`, { code: configured ? 'providers_exhausted' : 'no_provider' });
      await this.#finishAttempt({ delivery, notification, workflow, provider: undefined, error, startedAt: clock.now(), durationMs: 0, dlog });
      return;
    }
    // Providers whose circuit is open are skipped; a second provider of the channel takes over at
    // once. When every one is down, a delivery with a fallback falls back now (whileDown).
    const provider = candidates.find((p) => this.#circuit(p) !== 'down');
    if (!provider) {
      await this.#allDown({ delivery, notification, workflow, candidates, dlog });
      return;
    }
    const probe = this.#circuit(provider) === 'probe';
    const breaker = this.#breaker(provider);
    // The provider's throughput cap: a send waits for its slot (no attempt spent); a job that
    // was scheduled for its slot already holds it.
    if (provider.maxPerSecond && !provider.id.includes(':') && !options.slotReserved) {
      const slot = await this.#deps.providers.reserveSlot(provider.id, provider.maxPerSecond, clock.now());
      if (slot.getTime() > clock.now().getTime()) {
        await knex.transaction(async (trx) => {
          await trx('deliveries').where({ id: deliveryId }).update({ status: 'retrying', next_attempt_at: slot, updated_at: trx.fn.now() });
          await this.#schedule(trx, tenantId, deliveryId, slot, { slot: true });
        });
        dlog.debug({ providerId: provider.id, maxPerSecond: provider.maxPerSecond, runAt: slot }, 'provider throughput cap reached: send waits for its slot');
        return;
      }
    }

    const startedAt = clock.now();
    const started = performance.now();
    const signal = AbortSignal.timeout(config.sendTimeoutMs);
    try {
      const sender = await this.#sender(provider);
      const result = await breaker.execute(() => sender.send(message, { idempotencyKey: delivery.idempotency_key, signal }), signal);
      const durationMs = Math.round(performance.now() - started);
      attemptSeconds.observe({ channel, adapter: provider.adapter }, durationMs / 1000);
      await this.#finishAttempt({ delivery, notification, workflow, provider, result, startedAt, durationMs, dlog, content: message.content });
    } catch (err) {
      const durationMs = Math.round(performance.now() - started);
      if (err instanceof BrokenCircuitError) {
        // Another send took the probe of this half-open circuit first: wait for its outcome.
        await this.#circuitOpen({ delivery, provider, startedAt, dlog });
        return;
      }
      attemptSeconds.observe({ channel, adapter: provider.adapter }, durationMs / 1000);
      const error = signal.aborted && !(err instanceof DeliveryError) ? new TransientError(`the provider did not answer within ${config.sendTimeoutMs} ms`, { code: 'timeout', cause: err }) : toDeliveryError(err);
      if (!(err instanceof DeliveryError)) dlog.error({ err }, 'adapter threw something other than a DeliveryError; treated as transient');
      await this.#finishAttempt({ delivery, notification, workflow, provider, error, startedAt, durationMs, dlog, probe });
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async #message(input: { delivery: any; notification: any; subscriber: SubscriberRow; event: any; tenant: any; workflow: Workflow; channel: Channel; priority: Priority }): Promise<OutboundMessage> {
    const { delivery, notification, subscriber, event, tenant, workflow, channel, priority } = input;
    const renderer = this.#deps.templates();
    if (!renderer) throw new ConfigError('no template service is available', { code: 'no_templates' });
    const links = this.#links({ notification, subscriber, workflow, channel, priority });
    // A digest's own notification says so in its first decision; others need no digest lookup.
    const isDigest = Array.isArray(notification.decisions) && notification.decisions[0]?.plugin === 'digest' && notification.decisions[0]?.details?.digestId;
    const digest = isDigest ? await this.#digestOf(notification.id) : undefined;
    const context = {
      event: { id: event.ce_id, source: event.source, type: event.type, subject: event.subject ?? undefined, time: event.time ?? undefined },
      data: event.data ?? {},
      subscriber: { id: subscriber.external_id, name: subscriber.name, email: subscriber.email, phone: subscriber.phone, locale: subscriber.locale, timezone: subscriber.timezone, data: subscriber.data },
      tenant: { name: tenant.name, brand: tenant.settings?.brand ?? {} },
      notification: { id: notification.id, priority, ackUrl: links.ack, unsubscribeUrl: links.unsubscribe },
      ...(digest ? await this.#digestContext(digest, { subscriber, tenant }) : {}),
    };
    let rendered;
    try {
      rendered = await renderer.render({ tenantId: delivery.tenant_id, workflowKey: workflow.key, channel, locale: subscriber.locale, tenantDefaultLocale: tenant.settings?.defaultLocale ?? null, context });
    } catch (err) {
      if (err instanceof DeliveryError) throw err;
      if (err instanceof ClarionError) throw new ConfigError(err.message, { code: err.code });
      throw new PermanentError(`the template cannot be rendered: ${(err as Error).message}`, { code: 'render_failed', cause: err });
    }
    return {
      tenantId: delivery.tenant_id,
      notificationId: notification.id,
      deliveryId: delivery.id,
      channel,
      priority,
      locale: rendered.locale,
      to: {
        id: subscriber.external_id,
        name: subscriber.name ?? undefined,
        email: subscriber.email ?? undefined,
        phone: subscriber.phone ?? undefined,
        locale: subscriber.locale ?? undefined,
        timezone: subscriber.timezone ?? undefined,
        devices: subscriber.devices as OutboundMessage['to']['devices'],
        chat: subscriber.chat as OutboundMessage['to']['chat'],
        data: subscriber.data,
      },
      content: rendered.parts,
      links,
      // RFC 8058 one-click unsubscribe: mail clients POST `List-Unsubscribe=One-Click` to the link.
      ...(channel === 'email' && links.unsubscribe ? { headers: { 'List-Unsubscribe': `<${links.unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } } : {}),
      metadata: { notificationId: notification.id, deliveryId: delivery.id, workflow: workflow.key },
    };
  }

  /** Providers still to try for this delivery, in order; the sandbox when none is configured and allowed. */
  async #candidates(tenantId: string, channel: Channel, tried: string[]): Promise<ProviderRecord[]> {
    const configured = await this.#deps.providers.forChannel(tenantId, channel);
    if (configured.length === 0) {
      // Nothing configured: an adapter that needs no configuration (in-app), else the sandbox if allowed.
      const implicit = this.#deps.adapters.implicitFor(channel)?.definition.name ?? (this.#deps.config.defaultSandbox && this.#deps.adapters.get(SANDBOX) ? SANDBOX : undefined);
      const id = `${implicit}:${channel}`;
      return !implicit || tried.includes(id) ? [] : [{ id, tenantId, channel, adapter: implicit, priority: 0, updatedAt: new Date(0) }];
    }
    return configured.filter((p) => !tried.includes(p.id));
  }

  #breaker(provider: ProviderRecord): CircuitBreakerPolicy {
    const key = `${provider.tenantId}:${provider.id}`;
    let breaker = this.#breakers.get(key);
    if (!breaker) {
      breaker = circuitBreaker(
        handleWhen((err) => err instanceof TransientError),
        { halfOpenAfter: this.#deps.config.circuitHalfOpenMs, breaker: new ConsecutiveBreaker(this.#deps.config.circuitThreshold) },
      );
      const labels = { provider: provider.id, adapter: provider.adapter };
      circuitState.set(labels, 0);
      breaker.onStateChange((state) => {
        const name = state === CircuitState.Open ? 'open' : state === CircuitState.HalfOpen ? 'half_open' : 'closed';
        if (state === CircuitState.Open) this.#openedAt.set(key, Date.now());
        circuitState.set(labels, state === CircuitState.Open ? 1 : state === CircuitState.HalfOpen ? 2 : 0);
        this.#deps.log.warn({ providerId: provider.id, adapter: provider.adapter, tenantId: provider.tenantId, circuit: name }, 'provider circuit changed');
        if (!provider.id.includes(':')) {
          this.#deps.providers.setCircuit(provider.tenantId, provider.id, name).catch((err) => this.#deps.log.error({ err }, 'cannot record circuit state'));
        }
      });
      this.#breakers.set(key, breaker);
    }
    return breaker;
  }

  /**
   * A provider as the next send finds it: `up`; `down` (its circuit is open here, or another
   * process recorded it open, and no probe is due); or `probe` (the next call is the probe of its
   * circuit: its failure spends none of the delivery's attempts).
   */
  #circuit(provider: ProviderRecord): 'up' | 'down' | 'probe' {
    const breaker = this.#breakers.get(`${provider.tenantId}:${provider.id}`);
    const untilProbe = this.#untilProbeMs(provider);
    if (breaker?.state === CircuitState.HalfOpen) return 'probe';
    if (breaker?.state === CircuitState.Open) return untilProbe > 0 ? 'down' : 'probe';
    if (breaker && breaker.state === CircuitState.Closed && this.#openedAt.has(`${provider.tenantId}:${provider.id}`)) return 'up';
    // No news here: what another process recorded (its provider lists are reloaded on a change).
    if (provider.circuit?.state === 'open' || provider.circuit?.state === 'half_open') return untilProbe > 0 ? 'down' : 'probe';
    return 'up';
  }

  /** Milliseconds until the provider's circuit may be probed (0 or less: now). */
  #untilProbeMs(provider: ProviderRecord): number {
    const halfOpen = this.#deps.config.circuitHalfOpenMs;
    const opened = this.#openedAt.get(`${provider.tenantId}:${provider.id}`);
    if (opened !== undefined && this.#breakers.get(`${provider.tenantId}:${provider.id}`)?.state === CircuitState.Open) return opened + halfOpen - Date.now();
    const recorded = provider.circuit?.changedAt?.getTime();
    return recorded === undefined ? 0 : recorded + halfOpen - Date.now();
  }

  /** Provider state visible to the API and metrics, for this process. */
  circuitStates(): Array<{ provider: string; state: string }> {
    return [...this.#breakers.entries()].map(([key, b]) => ({ provider: key.split(':').slice(1).join(':'), state: CircuitState[b.state] }));
  }

  async #sender(provider: ProviderRecord): Promise<Sender> {
    const version = provider.updatedAt.toISOString();
    const cached = this.#senders.get(provider.id);
    if (cached && cached.version === version) return cached.sender;
    if (cached) cached.sender.then((s) => s.close?.()).catch(() => {});
    const adapter = this.#deps.adapters.require(provider.adapter);
    // Implicit providers (`<adapter>:<channel>`) have no stored configuration.
    const isImplicit = provider.id.includes(':');
    const sender = (async () => {
      let config: Record<string, unknown> = {};
      if (!isImplicit) {
        try {
          config = await this.#deps.providers.resolvedConfig(provider.tenantId, provider.id);
        } catch (err) {
          throw new ConfigError((err as Error).message, { code: (err as ClarionError).code });
        }
      }
      return adapter.definition.create(config, {
        log: this.#deps.log.child({ adapter: provider.adapter, providerId: provider.id }),
        fetch: this.#deps.outbound.fetch,
        outbound: this.#deps.outbound,
        tenantId: provider.tenantId,
        providerId: provider.id,
        publicUrl: this.#deps.config.publicUrl,
        callbackUrl: `${this.#deps.config.publicUrl}/v1/providers/${provider.adapter}/callbacks/${provider.id}`,
        host: this.#host(),
      });
    })();
    sender.catch(() => this.#senders.delete(provider.id));
    this.#senders.set(provider.id, { version, sender });
    return sender;
  }

  #host() {
    const { knex, workflows } = this.#deps;
    return {
      inbox: {
        async put(message: OutboundMessage): Promise<string> {
          return putInboxItem({ knex, workflows }, message);
        },
      },
      outbox: {
        async record(adapter: string, message: OutboundMessage, providerId: string): Promise<string> {
          const [row] = await knex('outbox_messages')
            .insert({
              tenant_id: message.tenantId,
              adapter,
              provider_config_id: providerId.includes(':') ? null : providerId,
              channel: message.channel,
              notification_id: message.notificationId,
              delivery_id: message.deliveryId,
              recipient: JSON.stringify(message.to),
              content: JSON.stringify(message.content),
              headers: message.headers ? JSON.stringify(message.headers) : null,
            })
            .returning('id');
          return row.id;
        },
      },
    };
  }

  /**
   * A send found its provider's half-open circuit taken by another send's probe: it waits for the
   * probe's outcome (when the circuit may be tried again), spending no attempt.
   */
  async #circuitOpen(input: { delivery: { id: string; tenant_id: string; attempt_count: number; channel: string }; provider: ProviderRecord; startedAt: Date; dlog: Logger }) {
    const { knex, config, clock } = this.#deps;
    const runAt = new Date(clock.now().getTime() + config.circuitHalfOpenMs);
    deliveryAttempts.inc({ channel: input.delivery.channel, adapter: input.provider.adapter, outcome: 'circuit_open' });
    await knex.transaction(async (trx) => {
      await this.#recordCircuitOpen(trx, input.delivery, [input.provider], `circuit open: retrying at ${runAt.toISOString()}`, input.startedAt);
      await trx('deliveries').where({ id: input.delivery.id }).update({ status: 'retrying', next_attempt_at: runAt, updated_at: trx.fn.now() });
      await this.#schedule(trx, input.delivery.tenant_id, input.delivery.id, runAt);
    });
    input.dlog.info({ runAt }, 'circuit open: delivery rescheduled');
  }

  async #recordCircuitOpen(trx: Knex, delivery: { id: string; tenant_id: string; attempt_count: number }, providers: ProviderRecord[], message: string, startedAt: Date): Promise<void> {
    await trx('delivery_attempts').insert({
      tenant_id: delivery.tenant_id,
      delivery_id: delivery.id,
      attempt: delivery.attempt_count,
      provider_config_id: providers.length === 1 && !providers[0].id.includes(':') ? providers[0].id : null,
      adapter: providers.length === 1 ? providers[0].adapter : null,
      outcome: 'circuit_open',
      error_message: message.slice(0, 2000),
      started_at: startedAt,
      duration_ms: 0,
    });
  }

  /**
   * Every provider still to try for this delivery is down (open circuits): with a fallback, the
   * fallback channels take over now (and this delivery waits for the next probe only if the
   * workflow keeps retrying it); without one, it waits for the next probe. No attempt is spent.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async #allDown(input: { delivery: any; notification: any; workflow: Workflow | undefined; candidates: ProviderRecord[]; dlog: Logger }): Promise<void> {
    const { knex, clock } = this.#deps;
    const { delivery, notification, workflow, candidates, dlog } = input;
    const channel = delivery.channel as Channel;
    const now = clock.now();
    const probeAt = new Date(now.getTime() + Math.max(0, Math.min(...candidates.map((p) => this.#untilProbeMs(p)))));
    const fallbacks = this.#fallbackChannels(workflow, notification, channel);
    const failingSince = delivery.failing_since ? new Date(delivery.failing_since) : null;
    const step = whileDown(this.#policy, { hasFallback: fallbacks.length > 0, retryOriginal: workflow?.retryOriginal === true, priority: notification.priority as Priority, failingSince, now }, probeAt);
    const names = candidates.map((p) => p.adapter).join(', ');
    deliveryAttempts.inc({ channel, adapter: candidates[0].adapter, outcome: 'circuit_open' });
    await knex.transaction(async (trx) => {
      if (step.step === 'dead') {
        const why = `every ${channel} provider has been down since ${failingSince!.toISOString()} (${names}): gave up`;
        await this.#recordCircuitOpen(trx, delivery, candidates, why, now);
        await trx('deliveries').where({ id: delivery.id }).update({ status: 'dead', error_class: 'transient', error_code: 'circuit_open', error_message: why, next_attempt_at: null, updated_at: trx.fn.now() });
        deliveriesFinished.inc({ channel, adapter: candidates[0].adapter, status: 'dead' });
        await audit(trx, delivery.tenant_id, 'system', 'delivery.dead', delivery.id, { channel, attempts: delivery.attempt_count, code: 'circuit_open' }, 'delivery');
      } else if (step.step === 'wait' || step.wait) {
        const at = step.step === 'wait' ? step.at : step.wait!;
        const why = step.step === 'wait' ? `every ${channel} provider is down (${names}): retrying at ${at.toISOString()}` : `every ${channel} provider is down (${names}): fell back to ${fallbacks.join(', ')}; retrying at ${at.toISOString()}`;
        await this.#recordCircuitOpen(trx, delivery, candidates, why, now);
        await trx('deliveries').where({ id: delivery.id }).update({ status: 'retrying', next_attempt_at: at, failing_since: failingSince ?? now, updated_at: trx.fn.now() });
        await this.#schedule(trx, delivery.tenant_id, delivery.id, at);
      } else {
        const why = `every ${channel} provider is down (${names}): fell back to ${fallbacks.join(', ')}`;
        await this.#recordCircuitOpen(trx, delivery, candidates, why, now);
        await trx('deliveries').where({ id: delivery.id }).update({ status: 'failed', error_class: 'transient', error_code: 'circuit_open', error_message: why, next_attempt_at: null, updated_at: trx.fn.now() });
        deliveriesFinished.inc({ channel, adapter: candidates[0].adapter, status: 'failed' });
      }
      if (step.step === 'fallback') {
        const created = await this.#createDeliveries(trx, delivery.tenant_id, notification.id, fallbacks, delivery.id);
        if (created.length > 0) dlog.warn({ fallbacks }, 'every provider of the channel is down: falling back at once');
      }
      await this.#refreshNotification(trx, notification.id);
    });
  }

  /** Channels the workflow falls back to from this one, minus those the pipeline ruled out. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  #fallbackChannels(workflow: Workflow | undefined, notification: any, channel: Channel): Channel[] {
    const blocked = blockedChannels(notification.decisions);
    return (workflow?.fallbacks?.[channel] ?? []).filter((c) => c !== channel && !blocked.includes(c));
  }

  /** A send job at `runAt` (the clock's now when null); `slot`: it holds its throughput slot already. */
  async #schedule(trx: Knex, tenantId: string, deliveryId: string, runAt: Date | null, extra: { slot?: boolean } = {}) {
    await trx.raw(
      `select graphile_worker.add_job('send_delivery', json_build_object('deliveryId', ?::uuid, 'tenantId', ?::uuid${extra.slot ? `, 'slot', true` : ''}), run_at => ?::timestamptz, job_key => ?, max_attempts => 3)`,
      [deliveryId, tenantId, runAt ?? this.#deps.clock.now(), `send_delivery:${deliveryId}`],
    );
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async #finishAttempt(input: { delivery: any; notification: any; workflow: Workflow | undefined; provider: ProviderRecord | undefined; result?: SendResult; error?: DeliveryError; startedAt: Date; durationMs: number; dlog: Logger; content?: RenderedContent; probe?: boolean }) {
    const { knex, clock } = this.#deps;
    const { delivery, notification, workflow, provider, result, error, dlog } = input;
    const attempt = delivery.attempt_count + 1;
    const priority = notification.priority as Priority;
    const channel = delivery.channel as Channel;
    const adapter = provider?.adapter ?? null;
    const providerId = provider && !provider.id.includes(':') ? provider.id : null;
    deliveryAttempts.inc({ channel, adapter: adapter ?? 'none', outcome: error ? error.errorClass : 'success' });
    if (!error) {
      await this.#finishSuccess({ delivery, notification, adapter, providerId, attempt, result: result!, startedAt: input.startedAt, durationMs: input.durationMs, dlog, content: input.content });
      return;
    }
    const now = clock.now();
    // Read before the transaction (one connection at a time): the providers still to try after
    // this one, and where the workflow falls back to. The rules are the policy's (policy.ts).
    const tried = [...(delivery.providers_tried as string[]), ...(provider ? [provider.id] : [])];
    const remaining = provider ? (await this.#candidates(delivery.tenant_id, channel, tried)).length : 0;
    const fallbacks = this.#fallbackChannels(workflow, notification, channel);
    const step = nextStep(this.#policy, { errorClass: error.errorClass, scope: error.scope, retryAfterMs: error.retryAfterMs, probe: input.probe }, {
      priority,
      providerAttempts: delivery.provider_attempts,
      failingSince: delivery.failing_since ? new Date(delivery.failing_since) : null,
      now,
      remainingProviders: remaining,
      hasFallback: fallbacks.length > 0,
      retryOriginal: workflow?.retryOriginal === true,
    });

    await knex.transaction(async (trx) => {
      await trx('delivery_attempts').insert({
        tenant_id: delivery.tenant_id,
        delivery_id: delivery.id,
        attempt,
        provider_config_id: providerId,
        adapter,
        outcome: error.errorClass,
        error_code: error.code ?? null,
        error_scope: error.errorClass === 'permanent' ? error.scope : null,
        error_message: error.message.slice(0, 2000),
        provider_message_id: null,
        response_excerpt: excerpt(error.response) ?? null,
        probe: input.probe === true,
        started_at: input.startedAt,
        duration_ms: input.durationMs,
      });
      // Every provider error is kept on that provider, whatever comes next, so a broken provider
      // is visible even when the next one delivered; configuration errors and refusals are audited.
      if (providerId) await this.#deps.providers.recordError(trx, providerId, error.message, now);
      if (error.errorClass === 'config') {
        await audit(trx, delivery.tenant_id, 'system', 'provider.config_error', providerId, { channel, adapter, code: error.code ?? null, message: error.message }, 'provider');
      } else if (error.errorClass === 'permanent' && error.scope === 'provider' && providerId) {
        await audit(trx, delivery.tenant_id, 'system', 'provider.refused', providerId, { channel, adapter, code: error.code ?? null, message: error.message }, 'provider');
      }
      await this.#emit(trx, delivery.tenant_id, 'io.clarion.delivery.attempt_failed', notification.id, {
        deliveryId: delivery.id, channel, adapter, attempt, errorClass: error.errorClass, errorScope: error.errorClass === 'permanent' ? error.scope : null, errorCode: error.code ?? null, message: error.message,
      });
      for (const destination of error.invalidDestinations ?? []) {
        if (destination.kind === 'device' && notification.subscriber_id) await this.#deps.subscribers.removeDevice(trx, notification.subscriber_id, destination.value);
      }

      const common = { attempt_count: attempt, ...(provider ? { provider_config_id: providerId, adapter } : {}), error_class: error.errorClass, error_code: error.code ?? null, error_message: error.message.slice(0, 2000), updated_at: trx.fn.now() };
      if (step.step === 'retry') {
        await trx('deliveries').where({ id: delivery.id }).update({ ...common, status: 'retrying', provider_attempts: step.providerAttempts, failing_since: step.failingSince, next_attempt_at: step.at });
        await this.#schedule(trx, delivery.tenant_id, delivery.id, step.at);
        dlog.warn({ adapter, attempt, code: error.code, retryAt: step.at, probe: input.probe === true }, 'transient failure: retrying');
        if (step.fallback) {
          const created = await this.#createDeliveries(trx, delivery.tenant_id, notification.id, fallbacks, delivery.id);
          if (created.length > 0) dlog.warn({ fallbacks }, 'failing for a while: the fallback channels start, this one keeps retrying');
        }
        return;
      }
      if (step.step === 'next_provider') {
        await trx('deliveries').where({ id: delivery.id }).update({ ...common, status: 'retrying', providers_tried: JSON.stringify(tried), provider_attempts: 0, failing_since: step.failingSince, next_attempt_at: null });
        await this.#schedule(trx, delivery.tenant_id, delivery.id, null);
        dlog.warn({ adapter, code: error.code, errorClass: error.errorClass }, 'this provider cannot take it: trying the next provider');
        return;
      }
      const reason = step.reason === 'fallback_engaged' ? `${error.message} (failing since ${(delivery.failing_since ? new Date(delivery.failing_since) : now).toISOString()}: the fallback channels took over)` : error.message;
      await trx('deliveries').where({ id: delivery.id }).update({
        ...common, error_message: reason.slice(0, 2000), ...(step.reason === 'fallback_engaged' ? { error_code: 'fallback_engaged' } : {}),
        status: step.status, providers_tried: JSON.stringify(tried), next_attempt_at: null,
        ...(error.errorClass === 'transient' ? { provider_attempts: delivery.provider_attempts + (input.probe ? 0 : 1) } : {}),
      });
      deliveriesFinished.inc({ channel, adapter: adapter ?? 'none', status: step.status });
      if (step.status === 'dead') {
        await audit(trx, delivery.tenant_id, 'system', 'delivery.dead', delivery.id, { channel, attempts: attempt, code: error.code ?? null }, 'delivery');
        dlog.error({ adapter, attempt, code: error.code }, 'delivery exhausted its attempts: dead letter');
      } else if (error.errorClass === 'config') dlog.error({ adapter, code: error.code }, 'configuration error: fix the provider; not retried');
      else dlog.warn({ adapter, code: error.code, reason: step.reason }, 'delivery failed');
      if (step.fallback) {
        const created = await this.#createDeliveries(trx, delivery.tenant_id, notification.id, fallbacks, delivery.id);
        if (created.length > 0) dlog.info({ fallbacks }, 'falling back to other channels');
      }
      await this.#refreshNotification(trx, notification.id);
    });
  }

  /**
   * A successful attempt, in one statement on the hot path: the attempt, the delivery, the
   * notification's content and status (a success moves it to sent or delivered whatever its
   * other deliveries say, so its row alone decides, locked), and the audit entry of a status
   * change. A transaction is opened only when there is more to write: a status webhook some
   * endpoint takes, or device tokens the provider reported invalid.
   */
  async #finishSuccess(input: {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    delivery: any; notification: any; adapter: string | null; providerId: string | null; attempt: number;
    result: SendResult; startedAt: Date; durationMs: number; dlog: Logger; content?: RenderedContent;
  }): Promise<void> {
    const { knex, clock } = this.#deps;
    const { delivery, notification, result, adapter, attempt, dlog } = input;
    const channel = delivery.channel as Channel;
    const status = result.status === 'delivered' ? 'delivered' : 'sent';
    const now = clock.now();
    const devices = (result.invalidDestinations ?? []).filter((d) => d.kind === 'device').map((d) => d.value);
    const hub = this.#deps.webhooks();
    const webhooks = hub
      ? (await Promise.all(ANNOUNCED_NOTIFICATION.map((s) => hub.subscribed(delivery.tenant_id, `io.clarion.notification.${s}`)))).some(Boolean)
      : false;
    const write = async (db: Knex) => {
      const rows = await prepared<{ before: string; after: string; workflow_key: string; external_id: string | null }>(db, 'clarion_delivery_sent',
        `with attempt as (
           insert into delivery_attempts (tenant_id, delivery_id, attempt, provider_config_id, adapter, outcome, provider_message_id, response_excerpt, started_at, duration_ms)
           values ($1, $2, $4, $5, $6, 'success', $7, $8, $9, $10)
         ), delivery as (
           update deliveries set status = $11, attempt_count = $4, provider_message_id = $7, provider_config_id = $5, adapter = $6,
                  error_class = null, error_code = null, error_message = null, next_attempt_at = null, failing_since = null, sent_at = $12,
                  delivered_at = case when $11 = 'delivered' then $12 else delivered_at end, updated_at = now()
            where id = $2
         ), before as (
           select id, status from notifications where id = $3 for update
         ), computed as (
           select b.id, b.status as before, ${rollupSql('b.id', 'b.status', { id: '$2::uuid', status: '$11::text' })} as after from before b
         ), notification as (
           update notifications n
              set status = c.after,
                  content = case when $13::jsonb is null then n.content else coalesce(n.content, '{}'::jsonb) || $13::jsonb end,
                  updated_at = case when c.after = c.before then n.updated_at else now() end
             from computed c where n.id = c.id
           returning n.id, n.tenant_id, n.workflow_key, n.subscriber_id, c.before, n.status as after
         ), audit as (
           insert into audit_logs (tenant_id, actor, action, target_type, target_id, summary)
           select tenant_id, 'system', 'notification.status_changed', 'notification', id::text, jsonb_build_object('from', before, 'to', after)
             from notification where before <> after
         )
         select n.before, n.after, n.workflow_key, s.external_id from notification n left join subscribers s on s.id = n.subscriber_id`,
        [
          delivery.tenant_id, delivery.id, notification.id, attempt, input.providerId, adapter, result.providerMessageId ?? null,
          excerpt(result.response ?? (result.details ? JSON.stringify(result.details) : undefined)) ?? null,
          input.startedAt, input.durationMs, status, now,
          // Every channel's content is kept (the in-app copy lives in the inbox).
          input.content && channel !== 'in_app' ? JSON.stringify({ [channel]: input.content }) : null,
        ],
      );
      for (const device of devices) if (notification.subscriber_id) await this.#deps.subscribers.removeDevice(db, notification.subscriber_id, device);
      const changed = rows[0];
      if (changed && changed.before !== changed.after) {
        notificationsTotal.inc({ status: changed.after });
        if ((ANNOUNCED_NOTIFICATION as readonly string[]).includes(changed.after)) {
          await this.#emit(db, delivery.tenant_id, `io.clarion.notification.${changed.after}`, notification.id, { workflow: changed.workflow_key, subscriberId: changed.external_id ?? null, status: changed.after });
        }
      }
    };
    if (webhooks || devices.length > 0) await knex.transaction(write);
    else await write(knex);
    deliveriesFinished.inc({ channel, adapter: adapter ?? 'none', status });
    dlog.info({ adapter, attempt, providerMessageId: result.providerMessageId }, 'delivery sent');
  }

  /** Sets a notification's status from its deliveries (the roll-up rule); emits the change as a webhook and audits it. */
  async #refreshNotification(trx: Knex, notificationId: string): Promise<void> {
    // The lock first, in a statement of its own: the roll-up's query then sees every delivery as
    // committed by whoever held the lock before.
    const locked = await trx('notifications').where({ id: notificationId }).forUpdate().first('id', 'status');
    if (!locked || (STICKY_NOTIFICATION as readonly string[]).includes(locked.status)) return;
    const { rows } = await trx.raw(
      `update notifications n set status = ${rollupSql('n.id', 'n.status')}, updated_at = now()
        where n.id = ? and n.status <> ${rollupSql('n.id', 'n.status')}
        returning n.tenant_id, n.status, n.workflow_key, (select external_id from subscribers s where s.id = n.subscriber_id) as external_id`,
      [notificationId],
    );
    const notification = rows[0];
    if (!notification) return;
    const status = notification.status as string;
    notificationsTotal.inc({ status });
    await audit(trx, notification.tenant_id, 'system', 'notification.status_changed', notificationId, { from: locked.status, to: status }, 'notification');
    if ((ANNOUNCED_NOTIFICATION as readonly string[]).includes(status)) {
      await this.#emit(trx, notification.tenant_id, `io.clarion.notification.${status}`, notificationId, { workflow: notification.workflow_key, subscriberId: notification.external_id ?? null, status });
    }
  }

  async #emit(trx: Knex, tenantId: string, type: string, subject: string, data: Record<string, unknown>): Promise<void> {
    const hub = this.#deps.webhooks();
    if (hub) await hub.emit(trx, { tenantId, type, subject, data: { notificationId: subject, ...data } });
  }

  // ---------------------------------------------------------------- receipts and tests

  /**
   * `POST|GET /v1/providers/:adapter/callbacks/:providerId`: the adapter verifies the callback
   * (CallbackRejected otherwise), then its receipts, inbound keywords and acknowledgements apply.
   */
  async handleCallback(adapterName: string, providerId: string, request: CallbackRequest): Promise<CallbackResponse | undefined> {
    const { knex, clock, log } = this.#deps;
    const row = isUuid(providerId) ? await knex('provider_configs').where({ id: providerId, adapter: adapterName }).first('id', 'tenant_id', 'channel', 'adapter', 'priority', 'updated_at') : undefined;
    if (!row) throw new ClarionError('CLARION_ERR_CALLBACK_UNSUPPORTED', `No ${adapterName} provider ${providerId}`);
    const provider: ProviderRecord = { id: row.id, tenantId: row.tenant_id, channel: row.channel, adapter: row.adapter, priority: row.priority, updatedAt: row.updated_at };
    const sender = await this.#sender(provider);
    if (!sender.parseCallback) throw new ClarionError('CLARION_ERR_CALLBACK_UNSUPPORTED', `Adapter ${adapterName} takes no callbacks`);
    let result: CallbackResult;
    try {
      result = await sender.parseCallback(request);
    } catch (err) {
      const refusal = rejected(err);
      if (refusal) {
        log.warn({ adapter: adapterName, providerId, reason: (err as Error).message }, 'provider callback refused');
        throw refusal;
      }
      throw err;
    }
    const effects = await knex.transaction(async (trx) => {
      const effects = await applyCallback(trx, { tenantId: provider.tenantId, providerId, adapter: adapterName, channel: row.channel, result, now: clock.now(), log });
      for (const failed of effects.failedDeliveries) {
        const delivery = await trx('deliveries').where({ id: failed.deliveryId }).first('id', 'notification_id', 'channel');
        const notification = await trx('notifications').where({ id: delivery.notification_id }).first('workflow_key', 'decisions');
        const workflow = await this.#deps.workflows.get(failed.tenantId, notification.workflow_key).catch(() => undefined);
        const blocked = blockedChannels(notification.decisions);
        const fallbacks = (workflow?.fallbacks?.[delivery.channel as Channel] ?? []).filter((c) => c !== delivery.channel && !blocked.includes(c));
        if (fallbacks.length > 0) await this.#createDeliveries(trx, failed.tenantId, delivery.notification_id, fallbacks, delivery.id);
      }
      for (const id of new Set(effects.changedNotifications)) await this.#refreshNotification(trx, id);
      for (const id of new Set(effects.changedNotifications)) {
        const n = await trx('notifications').where({ id }).first('status', 'tenant_id', 'workflow_key');
        if (n?.status === 'acknowledged') await this.#emit(trx, n.tenant_id, 'io.clarion.notification.acknowledged', id, { workflow: n.workflow_key, via: adapterName });
      }
      return effects;
    });
    // An SMS STOP wrote a preference: the next fan-out must see it here at once.
    if (effects.optOuts > 0) this.#deps.preferences?.()?.forget(provider.tenantId);
    return typeof result.response === 'function' ? result.response(effects.applied) : result.response;
  }

  /** `POST /v1/providers/:id/test`: sends a test message through one provider, no delivery recorded. */
  async testProvider(tenantId: string, providerId: string, to: OutboundMessage['to'], actor: string): Promise<Record<string, unknown>> {
    const { knex } = this.#deps;
    const row = await knex('provider_configs').where({ id: providerId, tenant_id: tenantId }).first('id', 'tenant_id', 'channel', 'adapter', 'priority', 'updated_at');
    if (!row) throw new ClarionError('CLARION_ERR_PROVIDER_NOT_FOUND', `No provider ${providerId}`);
    const provider: ProviderRecord = { id: row.id, tenantId, channel: row.channel, adapter: row.adapter, priority: row.priority, updatedAt: row.updated_at };
    const text = 'This is a test message from Clarion: your provider configuration works.';
    const message: OutboundMessage = {
      tenantId,
      notificationId: '00000000-0000-0000-0000-000000000000',
      deliveryId: '00000000-0000-0000-0000-000000000000',
      channel: row.channel,
      priority: 'normal',
      locale: to.locale ?? 'en',
      to,
      content: { subject: 'Clarion test message', text, html: `<p>${text}</p>`, title: 'Clarion test', body: text, json: { test: true, text } },
      metadata: { test: 'true' },
    };
    const started = performance.now();
    try {
      const sender = await this.#sender(provider);
      await sender.verify?.();
      const result = await sender.send(message, { idempotencyKey: `test:${providerId}:${Date.now()}`, signal: AbortSignal.timeout(this.#deps.config.sendTimeoutMs) });
      await audit(knex, tenantId, actor, 'provider.tested', providerId, { ok: true }, 'provider');
      return { ok: true, providerMessageId: result.providerMessageId ?? null, status: result.status, details: result.details ?? null, durationMs: Math.round(performance.now() - started) };
    } catch (err) {
      const error = toDeliveryError(err);
      await audit(knex, tenantId, actor, 'provider.tested', providerId, { ok: false, errorClass: error.errorClass, errorCode: error.code ?? null }, 'provider');
      throw new ClarionError('CLARION_ERR_PROVIDER_TEST_FAILED', `The provider refused the test message: ${error.message}`, {
        extensions: { errorClass: error.errorClass, errorCode: error.code ?? null, response: excerpt(error.response) ?? null },
      });
    }
  }

  // ---------------------------------------------------------------- dead letters

  async requeue(tenantId: string, deliveryId: string, actor: string): Promise<void> {
    await this.#deps.knex.transaction(async (trx) => {
      const delivery = await trx('deliveries').where({ id: deliveryId, tenant_id: tenantId }).forUpdate().first();
      if (!delivery) throw new ClarionError('CLARION_ERR_DELIVERY_NOT_FOUND', `No delivery ${deliveryId}`);
      if (!['dead', 'failed'].includes(delivery.status)) {
        throw new ClarionError('CLARION_ERR_DELIVERY_NOT_REQUEUEABLE', `Delivery ${deliveryId} is ${delivery.status}: only dead or failed deliveries can be requeued`);
      }
      await trx('deliveries').where({ id: deliveryId }).update({ status: 'pending', provider_attempts: 0, providers_tried: '[]', next_attempt_at: null, failing_since: null, updated_at: trx.fn.now() });
      await this.#schedule(trx, tenantId, deliveryId, null);
      await audit(trx, tenantId, actor, 'delivery.requeued', deliveryId, { from: delivery.status }, 'delivery');
      await this.#refreshNotification(trx, delivery.notification_id);
    });
  }

  async close(): Promise<void> {
    for (const { sender } of this.#senders.values()) await sender.then((s) => s.close?.()).catch(() => {});
    this.#senders.clear();
  }
}

/** Channels a plugin ruled out (opt-outs, caps): a fallback must not bring them back. */
function blockedChannels(decisions: unknown): Channel[] {
  if (!Array.isArray(decisions)) return [];
  return (decisions as DecisionRecord[]).flatMap((d) => {
    const blocked = d.details?.blocked;
    return Array.isArray(blocked) ? (blocked as Channel[]) : [];
  });
}

function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as { name?: string; message?: string };
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return new TransientError(e.message ?? 'aborted', { code: 'timeout', cause: err });
  return new TransientError(e?.message ?? String(err), { code: 'adapter_error', cause: err });
}

function checkAddress(channel: Channel, subscriber: SubscriberRow): void {
  const missing = (what: string) => new PermanentError(`subscriber ${subscriber.external_id} has no ${what}`, { code: 'no_address' });
  if (channel === 'email' && !subscriber.email) throw missing('email address');
  if ((channel === 'sms' || channel === 'voice' || channel === 'whatsapp') && !subscriber.phone) throw missing('phone number');
  if (channel === 'push' && (!Array.isArray(subscriber.devices) || subscriber.devices.length === 0)) throw missing('push device');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function eventDocument(event: any): Record<string, unknown> {
  return { id: event.ce_id, source: event.source, type: event.type, subject: event.subject, time: event.time, data: event.data, ...event.extensions };
}

/** RFC 6901 JSON Pointer lookup. */
export function pointer(document: unknown, path: string): unknown {
  if (path === '') return document;
  let node: unknown = document;
  for (const raw of path.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node) ? node[Number(token)] : (node as Record<string, unknown>)[token];
  }
  return node;
}
