import { AnyObject, DateTime, Dictionary, Nullable, NullableDateTime, NullableString, StringEnum, Type, Uuid, type Static } from '../kernel/schema.ts';
import { ATTEMPT_OUTCOMES, endpointSettings, MESSAGE_STATUSES, TRIGGERS } from './schemas.ts';

/**
 * What the API (and the admin pages) show of endpoints, messages and attempts, once: the views
 * below are typed by these schemas, and the OpenAPI document (openapi.ts) shows them, so a field
 * added to a view and not to its schema fails typecheck, and a test response that differs fails
 * its test.
 */

const ref = <T>(name: string) => Type.Unsafe<T>({ $ref: `#/components/schemas/${name}` });

export const eventTypeSchema = Type.Object({ type: Type.String(), description: Type.String() });

export const endpointViewSchema = Type.Object({
  id: Uuid(),
  tenantId: Uuid(),
  ...endpointSettings,
  disabledReason: NullableString({ description: 'Why it is disabled: by whom, "the endpoint answered 410 Gone", or failing for 5 days.' }),
  disabledAt: NullableDateTime(),
  failingSince: NullableDateTime({ description: 'Since when every attempt has failed; after 5 days the endpoint is disabled.' }),
  previousSecretExpiresAt: NullableDateTime({ description: 'While the rotated-out secret still signs, until when.' }),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});
export type EndpointView = Static<typeof endpointViewSchema>;

/** Creating an endpoint and rotating its secret answer the endpoint with its secret. */
export const endpointWithSecretSchema = Type.Unsafe<EndpointView & { secret: string }>({
  allOf: [ref('WebhookEndpoint'), Type.Object({ secret: Type.String({ description: '`whsec_` + base64 key: shown only now.' }) })],
});

export const messageViewSchema = Type.Object({
  id: Uuid(),
  msgId: Type.String({ description: 'The `webhook-id` header and the CloudEvent `id`; stable across retries and replays.' }),
  endpointId: Uuid(),
  eventType: Type.String(),
  status: StringEnum(MESSAGE_STATUSES),
  attemptCount: Type.Integer(),
  nextAttemptAt: NullableDateTime(),
  lastError: NullableString(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
  payload: Type.Optional(AnyObject({ description: 'The CloudEvent (structured JSON) as sent; in single reads.' })),
});
export type MessageView = Static<typeof messageViewSchema>;

export const attemptViewSchema = Type.Object({
  id: Uuid(),
  messageId: Uuid(),
  msgId: Type.String(),
  eventType: Type.String(),
  endpointId: Uuid(),
  attempt: Type.Integer({ description: 'Attempt number of the message over its whole life.' }),
  trigger: StringEnum(TRIGGERS),
  statusCode: Nullable(Type.Integer()),
  outcome: StringEnum(ATTEMPT_OUTCOMES),
  error: NullableString({ description: 'What went wrong, e.g. `HTTP 500`, `no response within 15 s`, or the SSRF guard refusal.' }),
  responseBody: NullableString({ description: 'The first 20 KB of the response body.' }),
  responseBodyTruncated: Type.Boolean(),
  durationMs: Type.Integer(),
  startedAt: DateTime(),
  nextRetryAt: NullableDateTime({ description: 'When the next attempt is due, if this one is retried.' }),
});
export type AttemptView = Static<typeof attemptViewSchema>;

const count = () => Type.Integer({ minimum: 0 });
const milliseconds = () => Nullable(Type.Integer());

export const endpointStatsSchema = Type.Object({
  since: DateTime(),
  messages: Type.Object({ pending: count(), retrying: count(), delivered: count(), failed: count() }),
  attempts: Type.Object({ total: count(), succeeded: count(), failed: count(), byOutcome: Dictionary(count()) }),
  durationMs: Type.Object({ p50: milliseconds(), p95: milliseconds(), max: milliseconds() }),
});
export type EndpointStats = Static<typeof endpointStatsSchema>;

export const recoverResultSchema = Type.Object({ queued: count(), since: DateTime(), until: DateTime() });
export type RecoverResult = Static<typeof recoverResultSchema>;

const iso = (value: Date | string | null | undefined): string | null => (value === null || value === undefined ? null : new Date(value).toISOString());

// Rows come from knex as plain objects of snake_case columns.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Row = Record<string, any>;

export function toEndpointView(row: Row, now: Date): EndpointView {
  const previousExpires = row.previous_secret_encrypted && row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > now ? row.previous_secret_expires_at : null;
  return {
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    description: row.description ?? null,
    eventTypes: row.event_types ?? null,
    enabled: row.enabled,
    disabledReason: row.disabled_reason ?? null,
    disabledAt: iso(row.disabled_at),
    rateLimit: row.rate_limit ?? null,
    failingSince: iso(row.failing_since),
    previousSecretExpiresAt: iso(previousExpires),
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

export function toMessageView(row: Row, withPayload = false): MessageView {
  const view: MessageView = {
    id: row.id,
    msgId: row.msg_id,
    endpointId: row.endpoint_id,
    eventType: row.event_type,
    status: row.status,
    attemptCount: row.attempt_count,
    nextAttemptAt: iso(row.next_attempt_at),
    lastError: row.last_error ?? null,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
  if (withPayload) view.payload = row.payload;
  return view;
}

export function toAttemptView(row: Row): AttemptView {
  return {
    id: row.id,
    messageId: row.message_id,
    msgId: row.msg_id,
    eventType: row.event_type,
    endpointId: row.endpoint_id,
    attempt: row.attempt,
    trigger: row.trigger,
    statusCode: row.status_code ?? null,
    outcome: row.outcome,
    error: row.error ?? null,
    responseBody: row.response_body ?? null,
    responseBodyTruncated: row.response_truncated,
    durationMs: row.duration_ms,
    startedAt: iso(row.started_at)!,
    nextRetryAt: iso(row.next_retry_at),
  };
}
