import type { Channel } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import { enqueue } from '../../jobs/tasks.ts';
import { batchQueuedCte, insertQueued, type JobSpec } from '../../jobs/queue.ts';
import { rollupSql } from './rollup.ts';
import { Delivery } from '../models/delivery.ts';
import { DeliveryAttempt } from '../models/delivery-attempt.ts';
import { prepared } from '../prepared.ts';
import { AUDIT_COLUMNS } from './audit-log.ts';
import type { DeliveryRow, EventRow, NotificationRow, SubscriberRowShape, TenantShape } from './rows.ts';

/**
 * Deliveries and their attempts: the rows, their jobs, and the two hand-tuned prepared statements
 * of the hot path (everything a send needs in one read; a successful attempt in one write).
 */

/** The `send_delivery` job of each inserted delivery row (`i`: id, tenant_id). */
export const SEND_JOB: JobSpec = { task: 'send_delivery', payload: `json_build_object('deliveryId', i.id, 'tenantId', i.tenant_id)`, maxAttempts: 3 };

/** graphile-worker retries of one send job after an unexpected error (not provider attempts). */
const SEND_JOB_ATTEMPTS = 3;

/** Deliveries of one `send_deliveries` job at most (the sends' shared reads take 100 at once). */
export const SEND_BATCH = 100;

/**
 * graphile-worker's priority of a first send, by the notification's priority: critical and high
 * sends run before everything else queued (fan-out included), normal and low ones in turn.
 */
export const SEND_PRIORITY_SQL = (priority: string) => `case ${priority} when 'critical' then -2 when 'high' then -1 else 0 end`;

/** The same, for a send job queued one at a time (`scheduleSend`). */
export function sendPriority(priority: string | undefined): number {
  return priority === 'critical' ? -2 : priority === 'high' ? -1 : 0;
}

/** The CTE `queued`: the `send_deliveries` batch jobs of the rows of the CTE `first_send` (id, tenant_id, priority). */
function firstSendJobs(): { sql: string; bindings: Knex.RawBinding[] } {
  return batchQueuedCte('first_send', {
    task: 'send_deliveries',
    entry: `json_build_object('deliveryId', i.id, 'tenantId', i.tenant_id)`,
    maxAttempts: SEND_JOB_ATTEMPTS,
    batchSize: SEND_BATCH,
    priority: SEND_PRIORITY_SQL('i.priority'),
  });
}

/**
 * The CTEs `inserted` and `queued` of a fan-out statement: one delivery per channel of each row
 * of the CTE `notifications` (id, tenant_id, channels, priority), in channel order, and their
 * first sends as `send_deliveries` batch jobs (core/jobs/send-deliveries.ts): one job per
 * priority and SEND_BATCH deliveries, instead of one `send_delivery` job each.
 */
export function insertedDeliveriesCte(notifications: string): { sql: string; bindings: Knex.RawBinding[] } {
  const queued = firstSendJobs();
  return {
    sql: `inserted as (
         insert into deliveries (tenant_id, notification_id, channel, status, idempotency_key)
         select n.tenant_id, n.id, c.channel, 'pending', n.id || ':' || c.channel
           from ${notifications} n cross join lateral jsonb_array_elements_text(n.channels) with ordinality as c(channel, ord)
          order by n.id, c.ord
         returning id, tenant_id, notification_id
       ), first_send as (
         select i.id, i.tenant_id, n.priority from inserted i join ${notifications} n on n.id = i.notification_id
       ), ${queued.sql}`,
    bindings: queued.bindings,
  };
}

/**
 * First sends gathered over one transaction (a fan-out's notifications, written one by one), to
 * be queued together by `queueFirstSends` before it commits.
 */
export type FirstSends = Array<{ id: string; tenant_id: string; priority: string }>;

/** The `send_deliveries` batch jobs of gathered first sends (nothing for none), in one statement. */
export async function queueFirstSends(db: Knex, sends: FirstSends): Promise<void> {
  if (sends.length === 0) return;
  const queued = firstSendJobs();
  await db.raw(
    `with first_send as (select * from jsonb_to_recordset(?::jsonb) as r(id uuid, tenant_id uuid, priority text)), ${queued.sql}
     select (select count(*) from queued) as q`,
    [JSON.stringify(sends), ...queued.bindings],
  );
}

/**
 * One delivery per channel with its send job, in one statement; a delivery that exists already
 * (same idempotency key: notification, channel and suffix) is left alone. `before`: a write to
 * run first in the same statement (the notification row the deliveries reference). `firstSends`:
 * no job here, the deliveries join the transaction's gathered first sends instead (queued by
 * `queueFirstSends` before the transaction commits).
 */
export async function insertDeliveries(
  db: Knex,
  input: {
    tenantId: string; notificationId: string; channels: Channel[]; fallbackOf?: string | null; keySuffix?: string; before?: Knex.QueryBuilder;
    firstSends?: { priority: string; into: FirstSends };
  },
): Promise<string[]> {
  if (input.channels.length === 0) {
    if (input.before) await input.before;
    return [];
  }
  const rows = input.channels.map((channel) => ({
    tenant_id: input.tenantId,
    notification_id: input.notificationId,
    channel,
    status: 'pending',
    idempotency_key: `${input.notificationId}:${channel}${input.keySuffix ?? ''}`,
    fallback_of: input.fallbackOf ?? null,
  }));
  const insert = db('deliveries').insert(rows).onConflict(['tenant_id', 'idempotency_key']).ignore().returning(['id', 'tenant_id']);
  if (input.firstSends) {
    const { rows: inserted } = await db.raw(`with ${input.before ? 'before as (?), ' : ''}inserted as (?) select inserted.* from inserted`, [...(input.before ? [input.before] : []), insert]);
    for (const row of inserted as Array<{ id: string; tenant_id: string }>) input.firstSends.into.push({ ...row, priority: input.firstSends.priority });
    return (inserted as Array<{ id: string }>).map((r) => r.id);
  }
  const inserted = await insertQueued<{ id: string }>(db, insert, { ...SEND_JOB, ...(input.before ? { before: input.before } : {}) });
  return inserted.map((r) => r.id);
}

/**
 * The send job of one delivery at `runAt`; `slot`: it holds its throughput slot already;
 * `priority`: its notification's (a critical retry runs before bulk work, as its first send did).
 */
export async function scheduleSend(db: Knex, input: { tenantId: string; deliveryId: string; runAt: Date; slot?: boolean; priority?: string }): Promise<void> {
  await enqueue(db, 'send_delivery', { deliveryId: input.deliveryId, tenantId: input.tenantId, ...(input.slot ? { slot: true } : {}) }, {
    runAt: input.runAt,
    jobKey: `send_delivery:${input.deliveryId}`,
    maxAttempts: SEND_JOB_ATTEMPTS,
    priority: sendPriority(input.priority),
  });
}

export interface SendContext {
  delivery: DeliveryRow;
  notification: NotificationRow;
  subscriber: SubscriberRowShape | undefined;
  event: EventRow;
  tenant: TenantShape;
}

/**
 * Everything the sends of these deliveries need, in one round trip for all of them (the worker
 * reads the deliveries of the jobs it runs at once together: core/delivery/send-contexts.ts). By
 * delivery id; a delivery that does not exist is missing from the map. The tenant is the
 * caller's to check: in the WHERE, a prepared statement's generic plan would walk the tenant's
 * deliveries by its (tenant_id, status) index to find the ids.
 */
export async function loadSendContexts(db: Knex, deliveryIds: readonly string[]): Promise<Map<string, SendContext>> {
  const rows = await prepared<{ delivery: DeliveryRow; notification: NotificationRow; subscriber: SubscriberRowShape | null; event: EventRow; tenant: TenantShape }>(db, 'clarion_delivery_contexts',
    `select to_jsonb(d) as delivery, to_jsonb(n) as notification, to_jsonb(s) as subscriber, to_jsonb(e) as event,
            jsonb_build_object('id', t.id, 'name', t.name, 'settings', t.settings) as tenant
       from deliveries d
       join notifications n on n.id = d.notification_id
       join events e on e.id = n.event_id
       join tenants t on t.id = d.tenant_id
       left join subscribers s on s.id = n.subscriber_id
      where d.id = any($1::uuid[])`,
    [deliveryIds],
  );
  return new Map(rows.map((row) => [row.delivery.id, { ...row, subscriber: row.subscriber ?? undefined }]));
}

export interface SuccessRecord {
  tenantId: string;
  deliveryId: string;
  notificationId: string;
  attempt: number;
  providerId: string | null;
  adapter: string | null;
  providerMessageId: string | null;
  response: string | null;
  startedAt: Date;
  durationMs: number;
  status: 'sent' | 'delivered';
  now: Date;
  /** `{ <channel>: content }` to keep on the notification, or null. */
  content: string | null;
  /** What the message was rendered as (analytics group by them). */
  locale?: string | null;
  variant?: string | null;
  /** What the message cost, and in which currency (core/delivery/cost.ts). */
  cost?: number | null;
  currency?: string | null;
}

/** What a recorded success changed on its notification (none: the notification is gone). */
export interface SuccessChange {
  before: string;
  after: string;
  workflow_key: string;
  external_id: string | null;
}

/**
 * Successful attempts of one or several deliveries in one statement:
 * the attempts, the deliveries, each notification's content and status by the roll-up rule (the
 * rows locked in id order, so two workers' statements cannot deadlock), the audit entries.
 * At most one delivery per notification: the roll-up of a notification sees the statement's own
 * change of one delivery only (the caller splits the others into the next statement). Returns
 * each record's change, in the order of `records`.
 *
 * Each table is reached by its primary key (`= any(array(...))` of the input's ids): the planner
 * takes `jsonb_to_recordset` for 100 rows, and joined to it alone, a table of some thousands of
 * rows was scanned whole by every write (a hash join), which grew with the tables.
 */
export async function recordSuccesses(db: Knex, records: readonly SuccessRecord[]): Promise<Array<SuccessChange | undefined>> {
  const input = records.map((r) => ({
    tenant_id: r.tenantId, delivery_id: r.deliveryId, notification_id: r.notificationId, attempt: r.attempt, provider_config_id: r.providerId, adapter: r.adapter,
    provider_message_id: r.providerMessageId, response_excerpt: r.response, started_at: r.startedAt.toISOString(), duration_ms: r.durationMs, status: r.status,
    sent_at: r.now.toISOString(), content: r.content === null ? null : JSON.parse(r.content),
    locale: r.locale ?? null, variant: r.variant ?? null, cost: r.cost ?? null, currency: r.currency ?? null,
  }));
  const rows = await prepared<SuccessChange & { notification_id: string }>(db, 'clarion_deliveries_sent',
    `with input as (
       select * from jsonb_to_recordset($1::jsonb) as r(tenant_id uuid, delivery_id uuid, notification_id uuid, attempt integer, provider_config_id uuid, adapter text,
         provider_message_id text, response_excerpt text, started_at timestamptz, duration_ms integer, status text, sent_at timestamptz, content jsonb,
         locale text, variant text, cost numeric, currency text)
     ), attempt as (
       insert into delivery_attempts (tenant_id, delivery_id, attempt, provider_config_id, adapter, outcome, provider_message_id, response_excerpt, started_at, duration_ms)
       select tenant_id, delivery_id, attempt, provider_config_id, adapter, 'success', provider_message_id, response_excerpt, started_at, duration_ms from input
     ), delivery as (
       update deliveries d set status = i.status, attempt_count = i.attempt, provider_message_id = i.provider_message_id, provider_config_id = i.provider_config_id, adapter = i.adapter,
              error_class = null, error_code = null, error_message = null, next_attempt_at = null, failing_since = null, sent_at = i.sent_at,
              delivered_at = case when i.status = 'delivered' then i.sent_at else d.delivered_at end, updated_at = now(),
              locale = coalesce(i.locale, d.locale), variant = coalesce(i.variant, d.variant), cost = i.cost, currency = i.currency
         from input i where d.id = i.delivery_id and d.id = any(array(select delivery_id from input))
     ), before as (
       select id, status from notifications where id = any(array(select notification_id from input)) order by id for update
     ), computed as (
       select b.id, b.status as before, ${rollupSql('b.id', 'b.status', { id: 'i.delivery_id', status: 'i.status' })} as after, i.content
         from before b join input i on i.notification_id = b.id
     ), notification as (
       update notifications n
          set status = c.after,
              content = case when c.content is null then n.content else coalesce(n.content, '{}'::jsonb) || c.content end,
              updated_at = case when c.after = c.before then n.updated_at else now() end
         from computed c where n.id = c.id and n.id = any(array(select notification_id from input))
       returning n.id, n.tenant_id, n.workflow_key, n.subscriber_id, c.before, n.status as after
     ), audit as (
       insert into audit_logs (${AUDIT_COLUMNS})
       select tenant_id, 'system', 'notification.status_changed', 'notification', id::text, jsonb_build_object('from', before, 'to', after)
         from notification where before <> after
     )
     select n.id as notification_id, n.before, n.after, n.workflow_key, (select s.external_id from subscribers s where s.id = n.subscriber_id) as external_id from notification n`,
    [JSON.stringify(input)],
  );
  const byNotification = new Map(rows.map(({ notification_id, ...change }) => [notification_id, change]));
  return records.map((r) => byNotification.get(r.notificationId));
}

/**
 * A successful attempt, in one statement: the attempt, the delivery, the notification's content
 * and its status by the roll-up rule (its row locked), and the audit entry of a status change.
 * Returns the change (before, after) with what its webhook needs.
 */
export async function recordSuccess(db: Knex, r: SuccessRecord): Promise<SuccessChange | undefined> {
  return (await recordSuccesses(db, [r]))[0];
}

export interface AttemptRecord {
  tenantId: string;
  deliveryId: string;
  attempt: number;
  providerId: string | null;
  adapter: string | null;
  outcome: 'transient' | 'permanent' | 'config' | 'circuit_open';
  errorCode?: string | null;
  errorScope?: 'recipient' | 'provider' | null;
  errorMessage: string;
  response?: string | null;
  probe?: boolean;
  startedAt: Date;
  durationMs: number;
}

/** One failed (or circuit-open) attempt. */
export async function recordAttempt(db: Knex, a: AttemptRecord): Promise<void> {
  await DeliveryAttempt.query(db).insert({
    tenant_id: a.tenantId,
    delivery_id: a.deliveryId,
    attempt: a.attempt,
    provider_config_id: a.providerId,
    adapter: a.adapter,
    outcome: a.outcome,
    error_code: a.errorCode ?? null,
    error_scope: a.errorScope ?? null,
    error_message: a.errorMessage.slice(0, 2000),
    provider_message_id: null,
    response_excerpt: a.response ?? null,
    probe: a.probe === true,
    started_at: a.startedAt,
    duration_ms: a.durationMs,
  }).returning('id');
}

/** Changes a delivery's row (status, counters, error, schedule). */
export async function updateDelivery(db: Knex, deliveryId: string, patch: Partial<DeliveryRow> | Record<string, unknown>): Promise<void> {
  await Delivery.query(db).patch({ ...patch, updated_at: db.fn.now() } as unknown as Partial<DeliveryRow>).where({ id: deliveryId });
}

/** A delivery of the tenant, locked for a change (requeue). */
export async function lockDelivery(db: Knex, tenantId: string, deliveryId: string): Promise<DeliveryRow | undefined> {
  return Delivery.query(db).findOne({ id: deliveryId, tenant_id: tenantId }).forUpdate();
}

/** The delivery a provider's receipt names: by Clarion's id when the provider echoes it, else by its message id. Locked. */
export async function deliveryForReceipt(db: Knex, tenantId: string, match: { deliveryId?: string; adapter: string; providerMessageId: string }): Promise<DeliveryRow | undefined> {
  const query = Delivery.query(db).where({ tenant_id: tenantId }).forUpdate();
  if (match.deliveryId) query.where({ id: match.deliveryId });
  else query.where({ adapter: match.adapter, provider_message_id: match.providerMessageId });
  return query.first();
}

/** What a call is charged at once its duration is known: its provider's declared price, and the number called (for `byPrefix`). */
export async function callPricing(db: Knex, tenantId: string, delivery: { notification_id: string; provider_config_id: string | null }): Promise<{ price: Record<string, unknown> | null; phone: string | null } | undefined> {
  if (!delivery.provider_config_id) return undefined;
  const row = await db('provider_configs as p')
    .crossJoin(db.raw('notifications as n'))
    .leftJoin('subscribers as s', 's.id', 'n.subscriber_id')
    .where({ 'p.id': delivery.provider_config_id, 'p.tenant_id': tenantId, 'n.id': delivery.notification_id })
    .first('p.price', 's.phone');
  return row ? { price: row.price ?? null, phone: row.phone ?? null } : undefined;
}

export async function getDelivery(db: Knex, deliveryId: string): Promise<DeliveryRow | undefined> {
  return Delivery.query(db).findById(deliveryId);
}

/**
 * The delivery an inbound message answers: the subscriber's latest one on that channel that went
 * out since `since` (a reply names no message; the latest is what the person saw last).
 */
export async function latestDeliveryTo(db: Knex, tenantId: string, subscriberId: string, channel: string, since: Date): Promise<string | undefined> {
  const row = await db('deliveries as d')
    .join('notifications as n', 'n.id', 'd.notification_id')
    .where({ 'n.tenant_id': tenantId, 'n.subscriber_id': subscriberId, 'd.channel': channel })
    .whereIn('d.status', ['sent', 'delivered', 'read'])
    .where('d.created_at', '>=', since)
    .orderByRaw('coalesce(d.sent_at, d.created_at) desc')
    .first('d.id');
  return row?.id;
}

