import { Nullable, DateTime, PagingQuery, StringEnum, Type, type Static } from '../kernel/schema.ts';
import { WORKFLOW_KEY } from '../workflows/service.ts';
import { DEFAULT_TOKEN_SECONDS, INBOX_SCOPES, MAX_TOKEN_SECONDS } from './auth.ts';
import { MARK_ACTIONS, STATUS_FILTERS } from './feed.ts';

/**
 * The bodies of the inbox routes, defined once with TypeBox (core/kernel/schema.ts): the gateway
 * and the inbox service check them with ajv, their static types are what the checks let through,
 * and the OpenAPI document (core/realtime/openapi.ts) shows the same objects.
 */

/** A category or tag: lower-case letters, digits, `.`, `_`, `-`. */
export const LABEL = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const label = () => Type.String({ pattern: LABEL.source });
/** `PATCH /v1/inbox/{itemId}`. */
export const itemPatchSchema = Type.Object(
  {
    // `const` alone (not TypeBox's Literal, which adds `type`): the error stays "must be equal to constant".
    seen: Type.Optional(Type.Unsafe<true>({ const: true, description: 'The item was shown (an item seen stays seen)' })),
    read: Type.Optional(Type.Boolean({ description: 'true: read; false: unread again (the notification stays read)' })),
    archived: Type.Optional(Type.Boolean({ description: 'true: archived (out of the inbox); false: back in it' })),
    snoozedUntil: Type.Optional(Nullable(DateTime(), { description: 'Out of the inbox until then (future, at most 90 days); it comes back unread. null: back now' })),
  },
  { additionalProperties: false },
);
export type ItemPatch = Static<typeof itemPatchSchema>;

/** `POST /v1/inbox/mark`. */
export const markSchema = Type.Object(
  {
    action: StringEnum(MARK_ACTIONS, { description: 'read, seen, archive (all selected), archive_read (the read ones)' }),
    ids: Type.Optional(Type.Array(Type.String({ pattern: UUID }), { minItems: 1, maxItems: 1000, uniqueItems: true, description: 'Only these items' })),
    filter: Type.Optional(
      Type.Object(
        {
          category: Type.Optional(Type.Array(label(), { maxItems: 50 })),
          workflow: Type.Optional(Type.Array(Type.String({ pattern: WORKFLOW_KEY.source }), { maxItems: 50 })),
          tags: Type.Optional(Type.Array(label(), { maxItems: 50 })),
          since: Type.Optional(DateTime()),
          until: Type.Optional(DateTime()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type MarkRequest = Static<typeof markSchema>;

const tokenOptions = {
  ttlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: MAX_TOKEN_SECONDS, default: DEFAULT_TOKEN_SECONDS, description: 'How long the token is valid' })),
  scopes: Type.Optional(
    Type.Array(StringEnum(INBOX_SCOPES), {
      minItems: 1,
      uniqueItems: true,
      description: "What the token may do (default: all): read the feed and stream, change item states, read and change the subscriber's own preferences",
    }),
  ),
};

/** `POST /v1/subscribers/{subscriberId}/inbox-token` (optional: no body is `{}`). */
export const inboxTokenRequestSchema = Type.Object(tokenOptions, { additionalProperties: false });
export type InboxTokenRequest = Static<typeof inboxTokenRequestSchema>;

/** `POST /v1/inbox/session`: a subscriber hash exchanged for a token. */
export const inboxSessionRequestSchema = Type.Object(
  {
    tenantId: Type.String({ pattern: UUID }),
    subscriberId: Type.String({ minLength: 1, maxLength: 200 }),
    subscriberHash: Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'HMAC-SHA256 of the subscriber id under the inbox secret, hex' }),
    ...tokenOptions,
  },
  { additionalProperties: false },
);
export type InboxSessionRequest = Static<typeof inboxSessionRequestSchema>;

/**
 * The query parameters of `GET /v1/inbox/counts` (the filters) and `GET /v1/inbox` (paging, a
 * status and the filters), once: the OpenAPI document (openapi.ts) lists them and the routes
 * check the query against them (queryReader, core/kernel/schema.ts). The lists are
 * comma-separated (`?tags=a,b`; a repeat adds to the list, as it always did).
 */
const labels = (description: string, what: string) =>
  Type.Optional(Type.Array(Type.String({ pattern: LABEL.source, description: what }), { minItems: 1, maxItems: 50, description }));
export const inboxFilterQuery = Type.Object({
  category: labels('Only these categories (comma-separated).', 'categories: lower-case letters, digits, . _ -'),
  workflow: Type.Optional(Type.Array(Type.String({ pattern: WORKFLOW_KEY.source, description: 'workflow keys' }), { minItems: 1, maxItems: 50, description: 'Only these workflows (comma-separated keys).' })),
  tags: labels('Only items with any of these tags (comma-separated).', 'tags: lower-case letters, digits, . _ -'),
  since: Type.Optional(DateTime({ description: 'Arrived at or after (RFC 3339).' })),
  until: Type.Optional(DateTime({ description: 'Arrived before (RFC 3339).' })),
});
export const inboxListQuery = Type.Object({
  ...PagingQuery(100),
  status: Type.Optional(StringEnum(STATUS_FILTERS, { description: 'unread, read, unseen, seen (of the inbox: neither archived nor snoozed), archived, snoozed, or all. Default: the inbox.' })),
  ...inboxFilterQuery.properties,
});

/** A stream cursor as the stream gives it: the sequence number of a change. */
export const CURSOR_PATTERN = '^[0-9]{1,15}$';

/**
 * `GET /v1/inbox/stream` (WebSocket or SSE): documented from this object; the token goes to the
 * inbox auth, the cursor is checked with its pattern by the hub (hub.ts `parseCursor`, which also
 * reads SSE's Last-Event-ID and the WebSocket upgrade's query, outside the routes).
 */
export const inboxStreamQuery = Type.Object({
  token: Type.Optional(Type.String({ description: 'The inbox token (scope inbox:read), when the Authorization header cannot be sent.' })),
  cursor: Type.Optional(Type.String({ pattern: CURSOR_PATTERN, description: 'The `cursor` of the last change handled: the stream replays what came after it.' })),
});

/** `GET /v1/inbox/widget.js`: documented from this object (the version only chooses how long the answer may be cached). */
export const widgetQuery = Type.Object({
  v: Type.Optional(Type.String({ description: 'The version (`X-Clarion-Widget-Version`): with the current one the answer is cacheable for good.' })),
});
