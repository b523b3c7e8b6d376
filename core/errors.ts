import { Type, type Static } from './kernel/schema.ts';

/**
 * Every error Clarion raises on purpose carries a stable code (`CLARION_ERR_<AREA>_<WHAT>`), an
 * HTTP status for the gateway, and, for client errors, the failing fields. The catalogue below is
 * the single source of truth: `docs/errors.md` lists the same codes and a test keeps them in step.
 */

/** A failing field of a request: where (a JSON Pointer, RFC 6901, into what was sent) and what is wrong. */
export const fieldErrorSchema = Type.Object({
  pointer: Type.String({ description: 'JSON Pointer to the failing field (`/data/amount`, `/2/type`), or `header:<name>`' }),
  message: Type.String(),
});
export type FieldError = Static<typeof fieldErrorSchema>;

export const ERROR_CATALOGUE = {
  CLARION_ERR_CONFIG_INVALID: { status: 500, title: 'Invalid configuration' },
  CLARION_ERR_AUTH_MISSING: { status: 401, title: 'Missing API key' },
  CLARION_ERR_AUTH_INVALID: { status: 401, title: 'Invalid API key' },
  CLARION_ERR_METRICS_UNAUTHORIZED: { status: 401, title: 'Metrics token required' },
  CLARION_ERR_HTTP_BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  CLARION_ERR_HTTP_MALFORMED_JSON: { status: 400, title: 'Malformed JSON' },
  CLARION_ERR_HTTP_JSON_TOO_DEEP: { status: 400, title: 'JSON nested too deeply' },
  CLARION_ERR_HTTP_JSON_UNSTORABLE: { status: 400, title: 'JSON holds values that cannot be stored' },
  CLARION_ERR_HTTP_NOT_FOUND: { status: 404, title: 'Not found' },
  CLARION_ERR_HTTP_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  CLARION_ERR_HTTP_INVALID_REQUEST: { status: 400, title: 'Invalid request' },
  CLARION_ERR_INGEST_INVALID_EVENT: { status: 400, title: 'Invalid CloudEvent' },
  CLARION_ERR_INGEST_INVALID_BATCH: { status: 400, title: 'Invalid CloudEvents batch' },
  CLARION_ERR_INGEST_NO_CONTRACT: { status: 422, title: 'No contract for event type' },
  CLARION_ERR_INGEST_DATA_INVALID: { status: 422, title: 'Event data violates its contract' },
  CLARION_ERR_INGEST_BUSY: { status: 503, title: 'Ingest queue full' },
  CLARION_ERR_CONTRACT_INVALID_SCHEMA: { status: 422, title: 'Invalid JSON Schema' },
  CLARION_ERR_CONTRACT_NOT_FOUND: { status: 404, title: 'Contract not found' },
  CLARION_ERR_EVENT_NOT_FOUND: { status: 404, title: 'Event not found' },
  CLARION_ERR_EVENT_AMBIGUOUS: { status: 409, title: 'Event id is ambiguous' },
  CLARION_ERR_TENANT_NOT_FOUND: { status: 404, title: 'Tenant not found' },
  CLARION_ERR_APIKEY_NOT_FOUND: { status: 404, title: 'API key not found' },
  CLARION_ERR_APIKEY_LAST_ACTIVE: { status: 409, title: 'Last active API key' },
  CLARION_ERR_DB_UNAVAILABLE: { status: 503, title: 'Database unavailable' },
  CLARION_ERR_DB_EMBEDDED_START: { status: 500, title: 'Embedded PostgreSQL failed to start' },
  CLARION_ERR_DB_EMBEDDED_IN_USE: { status: 500, title: 'Embedded PostgreSQL in use by another Clarion start' },
  CLARION_ERR_CLI_USAGE: { status: 400, title: 'Invalid command usage' },
  CLARION_ERR_CLI_GATEWAY_UNREACHABLE: { status: 503, title: 'Gateway unreachable' },
  CLARION_ERR_ADAPTER_LOAD: { status: 500, title: 'Adapter cannot be loaded' },
  CLARION_ERR_PROVIDER_UNKNOWN_ADAPTER: { status: 422, title: 'Unknown adapter' },
  CLARION_ERR_PROVIDER_INVALID_CONFIG: { status: 422, title: 'Invalid provider configuration' },
  CLARION_ERR_PROVIDER_NOT_FOUND: { status: 404, title: 'Provider not found' },
  CLARION_ERR_PROVIDER_SECRET_UNRESOLVED: { status: 422, title: 'Secret reference cannot be resolved' },
  CLARION_ERR_PROVIDER_SECRET_REF_NOT_ALLOWED: { status: 422, title: 'Secret reference not allowed' },
  CLARION_ERR_PROVIDER_DESTINATION_NOT_ALLOWED: { status: 422, title: 'Provider destination not allowed' },
  CLARION_ERR_WORKFLOW_INVALID: { status: 422, title: 'Invalid workflow' },
  CLARION_ERR_WORKFLOW_NOT_FOUND: { status: 404, title: 'Workflow not found' },
  CLARION_ERR_WORKFLOW_BUNDLED: { status: 409, title: 'Bundled workflow cannot be deleted' },
  CLARION_ERR_WORKFLOW_TEMPLATE_MISSING: { status: 422, title: 'Workflow channel has no template' },
  CLARION_ERR_SUBSCRIBER_INVALID: { status: 422, title: 'Invalid subscriber' },
  CLARION_ERR_SUBSCRIBER_NOT_FOUND: { status: 404, title: 'Subscriber not found' },
  CLARION_ERR_SUBSCRIBER_ERASED: { status: 409, title: 'Subscriber was erased' },
  CLARION_ERR_NOTIFICATION_NOT_FOUND: { status: 404, title: 'Notification not found' },
  CLARION_ERR_DELIVERY_NOT_FOUND: { status: 404, title: 'Delivery not found' },
  CLARION_ERR_DELIVERY_NOT_REQUEUEABLE: { status: 409, title: 'Delivery cannot be requeued' },
  CLARION_ERR_CALLBACK_UNSIGNED: { status: 401, title: 'Callback not signed' },
  CLARION_ERR_CALLBACK_FORGED: { status: 403, title: 'Callback signature invalid' },
  CLARION_ERR_CALLBACK_UNSUPPORTED: { status: 404, title: 'Adapter takes no callbacks' },
  CLARION_ERR_PROVIDER_TEST_FAILED: { status: 422, title: 'Test message failed' },
  CLARION_ERR_PIPELINE_PLUGIN: { status: 500, title: 'Pipeline plugin failed' },
  CLARION_ERR_PREFERENCE_INVALID: { status: 422, title: 'Invalid preferences' },
  CLARION_ERR_LINK_INVALID: { status: 403, title: 'Invalid signed link' },
  CLARION_ERR_LINK_EXPIRED: { status: 410, title: 'Signed link expired' },
  CLARION_ERR_TRACKING_LINK_INVALID: { status: 400, title: 'Invalid tracking link' },
  CLARION_ERR_NOTIFICATION_NOT_ACKNOWLEDGEABLE: { status: 409, title: 'Notification cannot be acknowledged' },
  CLARION_ERR_WEBHOOK_ENDPOINT_NOT_FOUND: { status: 404, title: 'Webhook endpoint not found' },
  CLARION_ERR_WEBHOOK_MESSAGE_NOT_FOUND: { status: 404, title: 'Webhook message not found' },
  CLARION_ERR_WEBHOOK_URL_NOT_ALLOWED: { status: 422, title: 'Webhook URL not allowed' },
  CLARION_ERR_WEBHOOK_ENDPOINT_DISABLED: { status: 409, title: 'Webhook endpoint is disabled' },
  CLARION_ERR_WEBHOOK_INVALID_EVENT: { status: 500, title: 'Invalid webhook event' },
  CLARION_ERR_TEMPLATE_SYNTAX: { status: 422, title: 'Template syntax error' },
  CLARION_ERR_TEMPLATE_RENDER_FAILED: { status: 422, title: 'Template cannot be rendered' },
  CLARION_ERR_TEMPLATE_NOT_FOUND: { status: 404, title: 'Template not found' },
  CLARION_ERR_TEMPLATE_VERSION_CONFLICT: { status: 409, title: 'Template version conflict' },
  CLARION_ERR_TEMPLATE_RENDERER_UNAVAILABLE: { status: 503, title: 'Template renderer unavailable' },
  CLARION_ERR_INBOX_AUTH_MISSING: { status: 401, title: 'Missing inbox token' },
  CLARION_ERR_INBOX_AUTH_INVALID: { status: 401, title: 'Invalid inbox token' },
  CLARION_ERR_INBOX_TOKEN_EXPIRED: { status: 401, title: 'Inbox token expired' },
  CLARION_ERR_INBOX_HASH_INVALID: { status: 401, title: 'Invalid subscriber hash' },
  CLARION_ERR_INBOX_SCOPE_MISSING: { status: 403, title: 'Inbox token lacks the scope' },
  CLARION_ERR_INBOX_INVALID: { status: 422, title: 'Invalid inbox request' },
  CLARION_ERR_INBOX_ITEM_NOT_FOUND: { status: 404, title: 'Inbox item not found' },
  CLARION_ERR_INBOX_ACTION_UNKNOWN: { status: 404, title: 'Inbox item has no such action' },
  CLARION_ERR_INBOX_STREAM_PROTOCOL: { status: 400, title: 'Not a stream request' },
  CLARION_ERR_ADMIN_LOGIN_FAILED: { status: 401, title: 'Login failed' },
  CLARION_ERR_ADMIN_LOCKED: { status: 429, title: 'Account locked' },
  CLARION_ERR_ADMIN_SESSION_REQUIRED: { status: 401, title: 'Login required' },
  CLARION_ERR_ADMIN_FORBIDDEN: { status: 403, title: 'Not allowed for your role' },
  CLARION_ERR_ADMIN_CSRF: { status: 403, title: 'Form token missing or invalid' },
  CLARION_ERR_ADMIN_USER_INVALID: { status: 422, title: 'Invalid admin user' },
  CLARION_ERR_ADMIN_USER_EXISTS: { status: 409, title: 'Admin user exists' },
  CLARION_ERR_ADMIN_USER_NOT_FOUND: { status: 404, title: 'Admin user not found' },
  CLARION_ERR_ADMIN_LAST_OWNER: { status: 409, title: 'Last owner' },
  CLARION_ERR_ADMIN_TOKEN_INVALID: { status: 410, title: 'Link invalid or expired' },
  CLARION_ERR_ADMIN_SSO_INVALID: { status: 422, title: 'Invalid single sign-on settings' },
  CLARION_ERR_ADMIN_SSO_FAILED: { status: 401, title: 'Single sign-on failed' },
  CLARION_ERR_ADMIN_NO_EMAIL_PROVIDER: { status: 409, title: 'No email provider' },
  CLARION_ERR_TOPIC_INVALID: { status: 422, title: 'Invalid topic' },
  CLARION_ERR_TOPIC_NOT_FOUND: { status: 404, title: 'Topic not found' },
  CLARION_ERR_SCHEDULE_INVALID: { status: 422, title: 'Invalid schedule' },
  CLARION_ERR_SCHEDULE_NOT_FOUND: { status: 404, title: 'Schedule not found' },
  CLARION_ERR_SCHEDULE_EXISTS: { status: 409, title: 'Schedule exists' },
  CLARION_ERR_SCHEDULE_CANCELLED: { status: 409, title: 'Schedule cancelled' },
  CLARION_ERR_MEDIA_LINK_INVALID: { status: 404, title: 'Media link not valid' },
  CLARION_ERR_MEDIA_LINK_EXPIRED: { status: 410, title: 'Media link expired' },
  CLARION_ERR_SERVER_INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class ClarionError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string;
  readonly errors: FieldError[];
  /** Extra members for the problem document (e.g. `allowed` for a 405). */
  readonly extensions: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { errors?: FieldError[]; cause?: unknown; extensions?: Record<string, unknown> } = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = 'ClarionError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.title = ERROR_CATALOGUE[code].title;
    this.errors = options.errors ?? [];
    this.extensions = options.extensions ?? {};
  }
}

export function isClarionError(err: unknown): err is ClarionError {
  return err instanceof ClarionError;
}

/** An RFC 9457 problem document, as the gateway answers every error (the OpenAPI document's `Problem`). */
export const problemSchema = Type.Object(
  {
    type: Type.String({ description: '`urn:clarion:error:<code>`' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    code: Type.String({ description: 'Stable error code, listed in docs/errors.md' }),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          ...fieldErrorSchema.properties,
          line: Type.Optional(Type.Integer({ description: 'Template errors: 1-based line in the part' })),
          column: Type.Optional(Type.Integer({ description: 'Template errors: 1-based column' })),
          name: Type.Optional(Type.String({ description: 'Template errors: the unknown filter, test or tag, or the delimiter left open' })),
        }),
      ),
    ),
  },
  { description: 'An RFC 9457 problem document; a client error lists its failing fields under `errors`. Other members are extensions of the error (`allowed` of a 405, ...)' },
);
/** A problem document as the gateway answers it: the schema's members and the error's extensions. */
export type ProblemDocument = Static<typeof problemSchema> & Record<string, unknown>;

/**
 * The RFC 9457 problem document of an error, as the gateway answers it and as the broker binding
 * puts it on a dead-lettered message: messages are shown for client errors only; a server error
 * says no more than its code and where to find the log line (`reference`).
 */
export function problemDocument(error: ClarionError, instance: string, reference: string): ProblemDocument {
  const body: ProblemDocument = {
    type: `urn:clarion:error:${error.code}`,
    title: error.title,
    status: error.status,
    // A 503 ("not now": the database or the renderers are away) says why; other 5xx stay opaque.
    detail: error.status < 500 || error.status === 503 ? error.message : `The server could not complete the request (request id ${reference}).`,
    code: error.code,
    instance,
    ...error.extensions,
  };
  if (error.status < 500 && error.errors.length > 0) body.errors = error.errors;
  return body;
}
