import { randomUUID } from 'node:crypto';
import { schemaAjv } from '../kernel/schema.ts';
import { ATTEMPT_OUTCOMES, MESSAGE_STATUSES, recoverSchema, type RecoverInput } from './schemas.ts';
import type { Knex } from 'knex';
import { ClarionError } from '../errors.ts';
import { encodeCursor, keysetPage, type Page } from '../db/paging.ts';
import { webhookMessagesQueued } from '../metrics.ts';
import { DELIVER_TASK, JOB_MAX_ATTEMPTS, audit, queueDelivery, type WebhookContext } from './context.ts';
import { matchesFilter } from './event-types.ts';
import { toAttemptView, toMessageView, type AttemptView, type EndpointStats, type MessageView, type RecoverResult } from './views.ts';
import { toFieldErrors } from '../kernel/validation.ts';
import { isUuid } from '../kernel/ids.ts';

/** Messages: creating them (emit), sending them again (replay, recover), and reading them and their attempts. */

export interface WebhookEvent {
  tenantId: string;
  /** e.g. io.clarion.notification.delivered */
  type: string;
  /** The notification id (or what the event is about). */
  subject?: string;
  /** Tenant-facing fields of the event. */
  data: Record<string, unknown>;
}

const EVENT_TYPE = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$/;

/** CloudEvents `source` of everything a tenant's webhooks carry. */
export function eventSource(tenantId: string): string {
  return `clarion://tenants/${tenantId}`;
}

/** The Standard Webhooks message id, also the CloudEvent id: one per event, shared by its endpoints. */
export function newMessageId(): string {
  return `msg_${randomUUID().replaceAll('-', '')}`;
}

function checkEvent(event: WebhookEvent): void {
  const problems: string[] = [];
  if (!event || typeof event !== 'object') problems.push('the event must be an object');
  else {
    if (typeof event.tenantId !== 'string' || !isUuid(event.tenantId)) problems.push('tenantId must be a tenant uuid');
    if (typeof event.type !== 'string' || event.type.length > 255 || !EVENT_TYPE.test(event.type)) problems.push(`type ${JSON.stringify(event.type)} must be a dotted event type such as io.clarion.notification.delivered`);
    if (event.subject !== undefined && (typeof event.subject !== 'string' || event.subject.length > 1000)) problems.push('subject must be a string of at most 1000 characters');
    if (event.data === null || typeof event.data !== 'object' || Array.isArray(event.data)) problems.push('data must be a JSON object');
  }
  if (problems.length > 0) throw new ClarionError('CLARION_ERR_WEBHOOK_INVALID_EVENT', `Cannot emit the webhook event: ${problems.join('; ')}`);
}

/**
 * Inside the caller's transaction: one CloudEvent for every enabled endpoint of the tenant whose
 * filter matches, and its delivery job. Returns how many messages were queued.
 */
export async function emit(ctx: WebhookContext, trx: Knex, event: WebhookEvent): Promise<number> {
  checkEvent(event);
  if (!(await subscribed(ctx, event.tenantId, event.type))) return 0;
  const endpoints: Array<{ id: string; event_types: string[] | null }> = await trx('webhook_endpoints')
    .where({ tenant_id: event.tenantId, enabled: true })
    .select('id', 'event_types');
  const targets = endpoints.filter((e) => matchesFilter(e.event_types, event.type));
  if (targets.length === 0) return 0;

  const now = ctx.clock.now();
  const msgId = newMessageId();
  const payload: Record<string, unknown> = {
    specversion: '1.0',
    id: msgId,
    source: eventSource(event.tenantId),
    type: event.type,
    ...(event.subject !== undefined ? { subject: event.subject } : {}),
    time: now.toISOString(),
    datacontenttype: 'application/json',
    data: event.data,
  };
  const firstDelay = ctx.config.webhookRetrySchedule[0] * ctx.config.webhookRetryScale;
  const runAt = firstDelay > 0 ? new Date(now.getTime() + firstDelay) : null;
  const rows: Array<{ id: string; endpoint_id: string }> = await trx('webhook_messages')
    .insert(
      targets.map((e) => ({
        tenant_id: event.tenantId,
        endpoint_id: e.id,
        msg_id: msgId,
        event_type: event.type,
        payload: JSON.stringify(payload),
        status: 'pending',
        next_attempt_at: runAt ?? now,
        created_at: now,
        updated_at: now,
      })),
    )
    .returning(['id', 'endpoint_id']);
  await trx.raw(
    `select graphile_worker.add_job(?, json_build_object('tenantId', ?::uuid, 'messageId', x.id, 'attempt', 1, 'generation', 1, 'trigger', 'event'),
       run_at => ?::timestamptz, job_key => 'webhook:' || x.id, max_attempts => ?)
       from unnest(?::uuid[]) as x(id)`,
    [DELIVER_TASK, event.tenantId, runAt, JOB_MAX_ATTEMPTS, rows.map((r) => r.id)],
  );
  for (const row of rows) webhookMessagesQueued.inc({ endpoint: row.endpoint_id, trigger: 'event' });
  return rows.length;
}

/**
 * Whether an enabled endpoint of the tenant takes this event type, from the cache: an endpoint
 * created or enabled through any process counts at once (the change is announced to every process).
 */
export async function subscribed(ctx: WebhookContext, tenantId: string, type: string): Promise<boolean> {
  const endpoints = await ctx.endpointCache.get(tenantId, () => ctx.knex('webhook_endpoints').where({ tenant_id: tenantId, enabled: true }).select('id', 'event_types'));
  return endpoints.some((e) => matchesFilter(e.event_types, type));
}

const MESSAGE_COLUMNS = ['m.id', 'm.msg_id', 'm.endpoint_id', 'm.event_type', 'm.status', 'm.attempt_count', 'm.next_attempt_at', 'm.last_error', 'm.created_at', 'm.updated_at'];

export async function getMessage(ctx: WebhookContext, tenantId: string, id: string): Promise<MessageView> {
  const row = isUuid(id) ? await ctx.knex('webhook_messages as m').where({ 'm.tenant_id': tenantId, 'm.id': id }).first([...MESSAGE_COLUMNS, 'm.payload']) : undefined;
  if (!row) throw new ClarionError('CLARION_ERR_WEBHOOK_MESSAGE_NOT_FOUND', `No webhook message ${id}`);
  return toMessageView(row, true);
}

async function endpointRow(ctx: WebhookContext, tenantId: string, endpointId: string): Promise<{ id: string; enabled: boolean; url: string }> {
  const row = isUuid(endpointId) ? await ctx.knex('webhook_endpoints').where({ tenant_id: tenantId, id: endpointId }).first('id', 'enabled', 'url') : undefined;
  if (!row) throw new ClarionError('CLARION_ERR_WEBHOOK_ENDPOINT_NOT_FOUND', `No webhook endpoint ${endpointId}`);
  return row;
}

function disabledError(endpointId: string): ClarionError {
  return new ClarionError(
    'CLARION_ERR_WEBHOOK_ENDPOINT_DISABLED',
    `Webhook endpoint ${endpointId} is disabled: enable it first (PATCH /v1/webhooks/endpoints/${endpointId} with {"enabled": true})`,
  );
}

export async function listMessages(
  ctx: WebhookContext,
  tenantId: string,
  endpointId: string,
  options: { limit: number; cursor?: string; status?: string; eventType?: string },
): Promise<Page<MessageView>> {
  await endpointRow(ctx, tenantId, endpointId);
  if (options.status && !(MESSAGE_STATUSES as readonly string[]).includes(options.status)) {
    throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid query parameters', { errors: [{ pointer: '/query/status', message: `must be one of ${MESSAGE_STATUSES.join(', ')}` }] });
  }
  const query = ctx.knex('webhook_messages as m').where({ 'm.tenant_id': tenantId, 'm.endpoint_id': endpointId }).select(MESSAGE_COLUMNS);
  if (options.status) query.where('m.status', options.status);
  if (options.eventType) query.where('m.event_type', options.eventType);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return keysetPage(ctx.knex, query, { ts: 'm.created_at', id: 'm.id' }, options, (r) => toMessageView(r as any));
}

export async function listAttempts(
  ctx: WebhookContext,
  tenantId: string,
  endpointId: string,
  options: { limit: number; cursor?: string; messageId?: string; outcome?: string },
): Promise<Page<AttemptView>> {
  await endpointRow(ctx, tenantId, endpointId);
  if (options.outcome && !(ATTEMPT_OUTCOMES as readonly string[]).includes(options.outcome)) {
    throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid query parameters', { errors: [{ pointer: '/query/outcome', message: `must be one of ${ATTEMPT_OUTCOMES.join(', ')}` }] });
  }
  const query = ctx.knex('webhook_attempts as a')
    .join('webhook_messages as m', 'm.id', 'a.message_id')
    .where({ 'a.tenant_id': tenantId, 'a.endpoint_id': endpointId })
    .select([
      'a.*',
      'm.msg_id',
      'm.event_type',
      ctx.knex.raw(`to_char(a.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_ts`),
    ])
    .orderBy([{ column: 'a.started_at', order: 'desc' }, { column: 'a.attempt', order: 'desc' }, { column: 'a.id', order: 'desc' }])
    .limit(options.limit + 1);
  if (options.messageId) {
    if (isUuid(options.messageId)) query.where('a.message_id', options.messageId);
    else query.where('m.msg_id', options.messageId);
  }
  if (options.outcome) query.where('a.outcome', options.outcome);
  if (options.cursor) {
    const [ts, attempt, id] = decodeAttemptCursor(options.cursor);
    query.whereRaw('(a.started_at, a.attempt, a.id) < (?::timestamptz, ?::int, ?::uuid)', [ts, attempt, id]);
  }
  const rows = await query;
  const items = rows.slice(0, options.limit);
  const last = items.at(-1);
  return { items: items.map(toAttemptView), nextCursor: rows.length > options.limit && last ? encodeCursor(last.cursor_ts, `${last.attempt}|${last.id}`) : null };
}

/** Attempts page on (started_at, attempt, id): attempts of one message at one instant keep their order. */
function decodeAttemptCursor(cursor: string): [string, number, string] {
  const [ts, attempt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!ts || !/^\d{1,9}$/.test(attempt ?? '') || !id || !isUuid(id) || Number.isNaN(Date.parse(ts))) {
    throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'The cursor is not one this API returned', { errors: [{ pointer: '/query/cursor', message: 'is invalid' }] });
  }
  return [ts, Number(attempt), id];
}

/**
 * Sends a message again, now, with the same `webhook-id`, starting the retry schedule afresh. `id`
 * is a message id (one endpoint) or a `webhook-id` (`msg_...`: every endpoint that had it).
 */
export async function replay(ctx: WebhookContext, tenantId: string, id: string, actor: string): Promise<MessageView[]> {
  const query = ctx.knex('webhook_messages as m').join('webhook_endpoints as e', 'e.id', 'm.endpoint_id').where('m.tenant_id', tenantId);
  if (isUuid(id)) query.where('m.id', id);
  else query.where('m.msg_id', id);
  const found: Array<{ id: string; endpoint_id: string; enabled: boolean }> = await query.select('m.id', 'm.endpoint_id', 'e.enabled');
  if (found.length === 0) throw new ClarionError('CLARION_ERR_WEBHOOK_MESSAGE_NOT_FOUND', `No webhook message ${id}`);
  const enabled = found.filter((m) => m.enabled);
  if (enabled.length === 0) throw disabledError(found[0].endpoint_id);
  const now = ctx.clock.now();
  const rows = await ctx.knex.transaction(async (trx) => {
    const updated = await trx('webhook_messages as m')
      .whereIn('m.id', enabled.map((m) => m.id))
      .update({ status: 'pending', generation: trx.raw('generation + 1'), next_attempt_at: now, last_error: null, updated_at: now })
      .returning([...MESSAGE_COLUMNS.map((c) => c.slice(2)), 'generation']);
    for (const row of updated) {
      await queueDelivery(trx, { tenantId, messageId: row.id, attempt: 1, generation: row.generation, trigger: 'replay' }, null);
      await audit(trx, { tenantId, actor, action: 'webhook_message.replayed', targetType: 'webhook_message', targetId: row.id, summary: { msgId: row.msg_id, endpointId: row.endpoint_id } });
    }
    return updated;
  });
  for (const row of rows) webhookMessagesQueued.inc({ endpoint: row.endpoint_id, trigger: 'replay' });
  return rows.map((r) => toMessageView(r));
}

const validateRecover = schemaAjv().compile(recoverSchema);

/**
 * Sends again every message of the endpoint created from `since` (to `until`, default now),
 * optionally only those in the given statuses, oldest first, with their `webhook-id`s unchanged.
 */
export async function recover(ctx: WebhookContext, tenantId: string, endpointId: string, body: unknown, actor: string): Promise<RecoverResult> {
  if (!validateRecover(body)) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid recovery request', { errors: toFieldErrors(validateRecover.errors ?? []) });
  const input = body as RecoverInput;
  const endpoint = await endpointRow(ctx, tenantId, endpointId);
  const now = ctx.clock.now();
  const since = new Date(input.since);
  const until = input.until ? new Date(input.until) : now;
  if (since > now) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid recovery request', { errors: [{ pointer: '/since', message: 'must not be in the future' }] });
  if (until <= since) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid recovery request', { errors: [{ pointer: '/until', message: 'must be after since' }] });
  if (!endpoint.enabled) throw disabledError(endpointId);
  const queued = await ctx.knex.transaction(async (trx) => {
    const { rows } = await trx.raw(
      `with picked as (
         update webhook_messages
            set status = 'pending', generation = generation + 1, next_attempt_at = ?, last_error = null, updated_at = ?
          where tenant_id = ? and endpoint_id = ? and created_at >= ? and created_at <= ? ${input.status ? 'and status = any(?::text[])' : ''}
          returning id, generation, created_at
       ), queued as (
         select graphile_worker.add_job(?, json_build_object('tenantId', ?::uuid, 'messageId', p.id, 'attempt', 1, 'generation', p.generation, 'trigger', 'recover'),
                  job_key => 'webhook:' || p.id, max_attempts => ?) as job
           from (select * from picked order by created_at, id) p
       )
       select count((job).id)::int as n from queued`,
      [now, now, tenantId, endpointId, since, until, ...(input.status ? [input.status] : []), DELIVER_TASK, tenantId, JOB_MAX_ATTEMPTS],
    );
    const n = rows[0].n as number;
    await audit(trx, { tenantId, actor, action: 'webhook_endpoint.recovered', targetType: 'webhook_endpoint', targetId: endpointId, summary: { since: since.toISOString(), until: until.toISOString(), status: input.status ?? null, queued: n } });
    return n;
  });
  if (queued > 0) webhookMessagesQueued.inc({ endpoint: endpointId, trigger: 'recover' }, queued);
  return { queued, since: since.toISOString(), until: until.toISOString() };
}

/** Counts for one endpoint since a time (default: the last 24 hours). */
export async function endpointStats(ctx: WebhookContext, tenantId: string, endpointId: string, sinceText?: string): Promise<EndpointStats> {
  await endpointRow(ctx, tenantId, endpointId);
  let since = new Date(ctx.clock.now().getTime() - 24 * 3600_000);
  if (sinceText !== undefined) {
    since = new Date(sinceText);
    if (Number.isNaN(since.getTime())) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid query parameters', { errors: [{ pointer: '/query/since', message: 'must be an RFC 3339 date-time' }] });
  }
  const statusRows: Array<{ status: string; n: number }> = await ctx.knex('webhook_messages')
    .where({ tenant_id: tenantId, endpoint_id: endpointId })
    .where('created_at', '>=', since)
    .groupBy('status')
    .select('status', ctx.knex.raw('count(*)::int as n'));
  const outcomeRows: Array<{ outcome: string; n: number }> = await ctx.knex('webhook_attempts')
    .where({ tenant_id: tenantId, endpoint_id: endpointId })
    .where('started_at', '>=', since)
    .groupBy('outcome')
    .select('outcome', ctx.knex.raw('count(*)::int as n'));
  const durations = await ctx.knex('webhook_attempts')
    .where({ tenant_id: tenantId, endpoint_id: endpointId })
    .where('started_at', '>=', since)
    .first(
      ctx.knex.raw('percentile_cont(0.5) within group (order by duration_ms) as p50'),
      ctx.knex.raw('percentile_cont(0.95) within group (order by duration_ms) as p95'),
      ctx.knex.raw('max(duration_ms) as max'),
    );
  const messages = Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, 0])) as EndpointStats['messages'];
  for (const r of statusRows) messages[r.status as keyof typeof messages] = r.n;
  const byOutcome = Object.fromEntries(outcomeRows.map((r) => [r.outcome, r.n]));
  const total = outcomeRows.reduce((sum, r) => sum + r.n, 0);
  const round = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v)));
  return {
    since: since.toISOString(),
    messages,
    attempts: { total, succeeded: byOutcome.success ?? 0, failed: total - (byOutcome.success ?? 0), byOutcome },
    durationMs: { p50: round(durations?.p50), p95: round(durations?.p95), max: round(durations?.max) },
  };
}
