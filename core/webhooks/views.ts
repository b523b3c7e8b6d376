/** What the API (and the admin pages) show of endpoints, messages and attempts. */

export interface EndpointView {
  id: string;
  tenantId: string;
  url: string;
  description: string | null;
  /** Event types and prefix wildcards (`io.clarion.notification.*`); null: every type. */
  eventTypes: string[] | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  /** Messages per second; null: unlimited. */
  rateLimit: number | null;
  /** Since when every attempt has failed; null while the endpoint succeeds. */
  failingSince: string | null;
  /** While a rotated-out secret still signs (grace period), when it stops. */
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface MessageView {
  id: string;
  /** The `webhook-id` header and the CloudEvent `id`: stable across retries and replays. */
  msgId: string;
  endpointId: string;
  eventType: string;
  status: 'pending' | 'retrying' | 'delivered' | 'failed';
  attemptCount: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  /** The CloudEvent as sent (single reads only). */
  payload?: Record<string, unknown>;
}

export interface AttemptView {
  id: string;
  messageId: string;
  msgId: string;
  eventType: string;
  endpointId: string;
  attempt: number;
  trigger: 'event' | 'retry' | 'replay' | 'recover';
  statusCode: number | null;
  outcome: string;
  error: string | null;
  responseBody: string | null;
  responseBodyTruncated: boolean;
  durationMs: number;
  startedAt: string;
  nextRetryAt: string | null;
}

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
