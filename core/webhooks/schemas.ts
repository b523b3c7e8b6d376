import { DateTime, Nullable, PagingQuery, StringEnum, Type, type Static } from '../kernel/schema.ts';

/**
 * The request bodies of the webhook routes, once: `endpoints.ts` and `messages.ts` validate with
 * them, `openapi.ts` documents them. What the routes answer: views.ts.
 */

export const DEFAULT_ROTATION_GRACE_SECONDS = 24 * 3600;
export const MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 3600;
export const MESSAGE_STATUSES = ['pending', 'retrying', 'delivered', 'failed'] as const;
export const ATTEMPT_OUTCOMES = ['success', 'http_error', 'redirect', 'timeout', 'network_error', 'blocked'] as const;
/** What queued a message's delivery: the event, a retry, a replay, a recovery. */
export const TRIGGERS = ['event', 'retry', 'replay', 'recover'] as const;

/** An endpoint's settings: what a client sends (all optional but `url`) and what the API shows (views.ts). */
export const endpointSettings = {
  url: Type.String({ minLength: 1, maxLength: 2048, description: 'http:// or https:// URL, without credentials. Must reach a public address unless the server allows private targets.' }),
  description: Nullable(Type.String({ maxLength: 500 })),
  eventTypes: Nullable(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 50 }), {
    description: 'Event types (`io.clarion.notification.delivered`), prefix wildcards (`io.clarion.notification.*`) or `*`. Null or absent: every type.',
  }),
  enabled: Type.Boolean({ description: 'Default true. Enabling a disabled endpoint clears its failure streak.' }),
  rateLimit: Nullable(Type.Integer({ minimum: 1, maximum: 10000 }), { description: 'Messages per second (bursts of one second allowed); null: unlimited.' }),
};

const endpointFields = {
  url: endpointSettings.url,
  description: Type.Optional(endpointSettings.description),
  eventTypes: Type.Optional(endpointSettings.eventTypes),
  enabled: Type.Optional(endpointSettings.enabled),
  rateLimit: Type.Optional(endpointSettings.rateLimit),
};

export const endpointInputSchema = Type.Object(
  { ...endpointFields, secret: Type.Optional(Type.String({ description: 'Bring your own `whsec_` secret (24-64 bytes); generated otherwise.' })) },
  { additionalProperties: false },
);
export type EndpointInput = Static<typeof endpointInputSchema>;

const { url, ...optionalFields } = endpointFields;
export const endpointPatchSchema = Type.Object({ url: Type.Optional(url), ...optionalFields }, { additionalProperties: false, minProperties: 1 });
export type EndpointPatch = Static<typeof endpointPatchSchema>;

export const rotateSecretSchema = Type.Object(
  {
    gracePeriodSeconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_ROTATION_GRACE_SECONDS, description: 'How long the old secret keeps signing beside the new one (default 24 h, at most 7 days; 0: at once).' }),
    ),
  },
  { additionalProperties: false },
);

export const recoverSchema = Type.Object(
  {
    since: Type.String({ format: 'date-time', description: 'Messages created from this time...' }),
    until: Type.Optional(Type.String({ format: 'date-time', description: '...to this one (default now).' })),
    status: Type.Optional(Type.Array(StringEnum(MESSAGE_STATUSES), { minItems: 1, uniqueItems: true, description: 'Only messages in these statuses.' })),
  },
  { additionalProperties: false },
);
export type RecoverInput = Static<typeof recoverSchema>;

/**
 * The query parameters of the endpoint, attempt and message lists and of the stats, once: the
 * OpenAPI document (openapi.ts) lists them and the routes check the query against them
 * (queryReader, core/kernel/schema.ts; a repeat of one of these was always ignored).
 */
export const endpointListQuery = Type.Object({
  ...PagingQuery(),
  enabled: Type.Optional(Type.Boolean({ description: 'Only enabled (true) or disabled (false) endpoints.' })),
});
export const attemptListQuery = Type.Object({
  ...PagingQuery(),
  messageId: Type.Optional(Type.String({ description: 'Only attempts of this message (its id or its `webhook-id`).' })),
  outcome: Type.Optional(StringEnum(ATTEMPT_OUTCOMES, { description: 'Only this outcome.' })),
});
export const messageListQuery = Type.Object({
  ...PagingQuery(),
  status: Type.Optional(StringEnum(MESSAGE_STATUSES, { description: 'Only this status.' })),
  eventType: Type.Optional(Type.String({ description: 'Only this event type.' })),
});
export const statsQuery = Type.Object({
  since: Type.Optional(DateTime({ description: 'Start of the period (RFC 3339); default 24 hours ago.' })),
});
