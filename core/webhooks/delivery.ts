import { DestinationRefused, parseRetryAfter } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import { announceChange } from '../cache-invalidation.ts';
import { webhookAttemptDuration, webhookAttempts, webhookEndpointsDisabled, webhookMessagesFinished } from '../metrics.ts';
import { MAX_RESPONSE_BYTES, audit, queueDelivery, unsealSecret, type DeliverJob, type WebhookContext } from './context.ts';
import { ENDPOINT_DISABLED_TYPE } from './event-types.ts';
import { emit } from './messages.ts';
import { DISABLE_AFTER_FAILING_MS, delayBeforeAttempt } from './schedule.ts';
import { signatureHeaders } from './signing.ts';
import type { ATTEMPT_OUTCOMES } from './schemas.ts';
import { toEndpointView, type EndpointView } from './views.ts';

/**
 * One delivery attempt of one message: rate limit, sign, POST through the SSRF guard, record the
 * attempt, and decide what comes next (delivered, a retry on the schedule, failed, or the endpoint
 * disabled) in one transaction with the next job.
 */

export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];
export type DeliverResult = 'delivered' | 'retrying' | 'failed' | 'rate_limited' | 'skipped';

export const USER_AGENT = 'Clarion-Webhooks/0.1';

interface AttemptResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  body: string | null;
  truncated: boolean;
  retryAfterMs: number | undefined;
  durationMs: number;
}

/** The CloudEvent as it goes on the wire: attributes in spec order, then `data`. */
export function messageBody(payload: Record<string, unknown>): string {
  const { specversion, id, source, type, subject, time, datacontenttype, data, ...extensions } = payload;
  return JSON.stringify({ specversion, id, source, type, subject, time, datacontenttype, ...extensions, data });
}

async function readLimited(res: Response): Promise<{ text: string; truncated: boolean }> {
  if (!res.body) return { text: '', truncated: false };
  const reader = res.body.getReader();
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
      size += value.byteLength;
      if (size > MAX_RESPONSE_BYTES) {
        truncated = true;
        break;
      }
    }
  } catch {
    // The body was cut short (timeout, reset): keep what arrived; the status already counts.
    truncated = true;
  }
  reader.cancel().catch(() => {});
  // PostgreSQL text cannot hold NUL; a binary answer is kept readable rather than refused.
  const text = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8').replaceAll('\u0000', '\uFFFD');
  return { text, truncated };
}

function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code;
  const message = e?.cause?.message ?? e?.message ?? String(err);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

async function attempt(ctx: WebhookContext, url: string, body: string, headers: Record<string, string>): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const signal = AbortSignal.timeout(ctx.timeoutMs);
  try {
    const res = await ctx.outbound.fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal });
    const { text, truncated } = await readLimited(res);
    const status = res.status;
    const base = { statusCode: status, body: text, truncated, durationMs: elapsed() };
    if (status >= 200 && status < 300) return { ...base, outcome: 'success', error: null, retryAfterMs: undefined };
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), ctx.clock.now().getTime());
    if (status >= 300 && status < 400) {
      const location = res.headers.get('location');
      return {
        ...base,
        outcome: 'redirect',
        error: `HTTP ${status}: redirect${location ? ` to ${location}` : ''} not followed (webhooks never follow redirects: point the endpoint at the final URL)`,
        retryAfterMs,
      };
    }
    return { ...base, outcome: 'http_error', error: `HTTP ${status}${status === 410 ? ' Gone: the endpoint is disabled' : ''}`, retryAfterMs };
  } catch (err) {
    const common = { statusCode: null, body: null, truncated: false, retryAfterMs: undefined, durationMs: elapsed() };
    if (err instanceof DestinationRefused) {
      return {
        ...common,
        outcome: 'blocked',
        error: `SSRF guard: ${err.message}; outbound connections only go to public addresses unless CLARION_OUTBOUND_ALLOW_PRIVATE=true or CLARION_OUTBOUND_ALLOWLIST allows it`,
      };
    }
    if (signal.aborted) return { ...common, outcome: 'timeout', error: `no response within ${ctx.timeoutMs / 1000} s` };
    return { ...common, outcome: 'network_error', error: describeNetworkError(err) };
  }
}

/**
 * GCRA: each message takes a slot 1/rate seconds after the previous one, with a burst of one
 * second's worth. Returns when this message may go (now or later); the slot is taken either way.
 */
async function reserveSlot(knex: Knex, endpointId: string, now: Date): Promise<Date> {
  const [row] = await knex('webhook_endpoints')
    .where({ id: endpointId })
    .whereNotNull('rate_limit')
    .update({ rate_tat: knex.raw('greatest(coalesce(rate_tat, ?::timestamptz), ?::timestamptz) + make_interval(secs => 1.0 / rate_limit)', [now, now]) })
    .returning(['rate_tat']);
  if (!row) return now;
  return new Date(new Date(row.rate_tat).getTime() - 1000);
}

export async function deliver(ctx: WebhookContext, job: DeliverJob): Promise<DeliverResult> {
  const log = ctx.log.child({ messageId: job.messageId, tenantId: job.tenantId, attempt: job.attempt, trigger: job.trigger });
  const row = await ctx
    .knex('webhook_messages as m')
    .join('webhook_endpoints as e', 'e.id', 'm.endpoint_id')
    .where({ 'm.id': job.messageId, 'm.tenant_id': job.tenantId })
    .first(
      'm.msg_id', 'm.endpoint_id', 'm.event_type', 'm.payload', 'm.generation', 'e.url', 'e.enabled', 'e.disabled_reason', 'e.rate_limit',
      'e.secret_encrypted', 'e.previous_secret_encrypted', 'e.previous_secret_expires_at',
    );
  if (!row) {
    log.debug('webhook message or endpoint deleted; nothing to send');
    return 'skipped';
  }
  if (row.generation !== job.generation) {
    log.debug({ current: row.generation, job: job.generation }, 'superseded by a replay or recovery');
    return 'skipped';
  }
  const endpointId: string = row.endpoint_id;
  const now = ctx.clock.now();

  if (!row.enabled) {
    const updated = await ctx.knex('webhook_messages')
      .where({ id: job.messageId, generation: job.generation })
      .update({ status: 'failed', next_attempt_at: null, last_error: `not sent: the endpoint is disabled (${row.disabled_reason ?? 'disabled'})`, updated_at: now });
    if (updated) webhookMessagesFinished.inc({ endpoint: endpointId, status: 'failed' });
    return 'failed';
  }

  if (row.rate_limit && !job.slotReserved) {
    const sendAt = await reserveSlot(ctx.knex, endpointId, now);
    if (sendAt > now) {
      await ctx.knex.transaction(async (trx) => {
        await queueDelivery(trx, { ...job, slotReserved: true }, sendAt);
        await trx('webhook_messages').where({ id: job.messageId, generation: job.generation }).update({ next_attempt_at: sendAt, updated_at: now });
      });
      log.debug({ sendAt }, 'rate limited: queued for its slot');
      return 'rate_limited';
    }
  }

  const secrets = [unsealSecret(ctx.config, row.secret_encrypted)];
  if (row.previous_secret_encrypted && row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > now) {
    secrets.push(unsealSecret(ctx.config, row.previous_secret_encrypted));
  }
  const body = messageBody(row.payload);
  // The signature timestamp is checked by receivers against their own wall clock (5 minutes of
  // tolerance in the standard libraries), so it is the real time even when scheduling runs on a
  // test's clock.
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/cloudevents+json; charset=utf-8',
    'user-agent': USER_AGENT,
    ...signatureHeaders(secrets, row.msg_id, timestamp, body),
  };
  const startedAt = now;
  const result = await attempt(ctx, row.url, body, headers);
  webhookAttempts.inc({ endpoint: endpointId, outcome: result.outcome });
  webhookAttemptDuration.observe({ endpoint: endpointId }, result.durationMs / 1000);

  let disabled: EndpointView | undefined;
  let disabledKind: 'gone' | 'failing' | undefined;
  const decided = await ctx.knex.transaction(async (trx) => {
    const message = await trx('webhook_messages').where({ id: job.messageId }).forUpdate().first('generation', 'attempt_count');
    if (!message) return 'skipped' as const;
    const current = message.generation === job.generation;
    let status: 'delivered' | 'retrying' | 'failed';
    let nextAt: Date | null = null;
    let lastError: string | null = result.error;
    let disableReason: string | undefined;

    if (result.outcome === 'success') {
      status = 'delivered';
      await trx('webhook_endpoints').where({ id: endpointId }).update({ failing_since: null });
    } else {
      const [endpoint] = await trx('webhook_endpoints')
        .where({ id: endpointId })
        .update({ failing_since: trx.raw('coalesce(failing_since, ?::timestamptz)', [startedAt]) })
        .returning(['failing_since']);
      const failingSince = endpoint ? new Date(endpoint.failing_since) : startedAt;
      if (result.statusCode === 410) {
        disabledKind = 'gone';
        disableReason = 'the endpoint answered 410 Gone';
      } else if (startedAt.getTime() - failingSince.getTime() >= DISABLE_AFTER_FAILING_MS) {
        disabledKind = 'failing';
        disableReason = `every attempt failed since ${failingSince.toISOString()} (5 days)`;
      }
      const delay = disableReason ? undefined : delayBeforeAttempt({ schedule: ctx.config.webhookRetrySchedule, scale: ctx.config.webhookRetryScale, random: ctx.random }, job.attempt + 1, result.retryAfterMs);
      if (delay === undefined) {
        status = 'failed';
        lastError = disableReason ? `${result.error}; ${disableReason}, so it was disabled` : `${result.error} (gave up after ${job.attempt} attempts)`;
      } else {
        status = 'retrying';
        nextAt = new Date(startedAt.getTime() + delay);
      }
    }

    await trx('webhook_attempts').insert({
      tenant_id: job.tenantId,
      message_id: job.messageId,
      endpoint_id: endpointId,
      attempt: message.attempt_count + 1,
      trigger: job.trigger,
      status_code: result.statusCode,
      outcome: result.outcome,
      error: result.error,
      response_body: result.body,
      response_truncated: result.truncated,
      duration_ms: result.durationMs,
      started_at: startedAt,
      next_retry_at: current ? nextAt : null,
    });
    const messageChanges: Record<string, unknown> = { attempt_count: message.attempt_count + 1, updated_at: startedAt };
    if (current) Object.assign(messageChanges, { status, next_attempt_at: nextAt, last_error: status === 'delivered' ? null : lastError });
    await trx('webhook_messages').where({ id: job.messageId }).update(messageChanges);
    if (current && status === 'retrying') {
      await queueDelivery(trx, { tenantId: job.tenantId, messageId: job.messageId, attempt: job.attempt + 1, generation: job.generation, trigger: 'retry' }, nextAt);
    }
    if (disableReason) disabled = await disableEndpoint(ctx, trx, job.tenantId, endpointId, disableReason, startedAt);
    return current ? status : ('skipped' as const);
  });

  if (decided === 'delivered' || decided === 'failed') webhookMessagesFinished.inc({ endpoint: endpointId, status: decided });
  log.debug({ outcome: result.outcome, statusCode: result.statusCode, decided }, 'webhook attempt');
  if (disabled) {
    ctx.endpointCache.drop(job.tenantId);
    webhookEndpointsDisabled.inc({ reason: disabledKind! });
    log.warn({ endpointId, reason: disabled.disabledReason }, 'webhook endpoint disabled');
    await ctx.endpointDisabled(disabled);
  }
  return decided;
}

/**
 * Disables an endpoint for the system (once: an endpoint already disabled is left as it is),
 * records it in the audit trail and tells the tenant's other endpoints.
 */
async function disableEndpoint(ctx: WebhookContext, trx: Knex, tenantId: string, endpointId: string, reason: string, at: Date): Promise<EndpointView | undefined> {
  const [row] = await trx('webhook_endpoints')
    .where({ id: endpointId, tenant_id: tenantId, enabled: true })
    .update({ enabled: false, disabled_reason: reason, disabled_at: at, updated_at: at })
    .returning('*');
  if (!row) return undefined;
  await audit(trx, { tenantId, actor: 'system', action: 'webhook_endpoint.disabled', targetType: 'webhook_endpoint', targetId: endpointId, summary: { reason, url: row.url } });
  // Every other process stops counting the endpoint as a subscriber too.
  await announceChange(trx, 'webhook_endpoints', tenantId);
  await emit(ctx, trx, {
    tenantId,
    type: ENDPOINT_DISABLED_TYPE,
    subject: endpointId,
    data: { endpointId, url: row.url, reason, disabledAt: at.toISOString(), failingSince: row.failing_since ? new Date(row.failing_since).toISOString() : null },
  });
  return toEndpointView(row, at);
}
