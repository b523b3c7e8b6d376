import { Page, Type, queryParameters } from '../kernel/schema.ts';
import { inboxFilterQuery, inboxListQuery, inboxSessionRequestSchema, inboxStreamQuery, inboxTokenRequestSchema, itemPatchSchema, markSchema, widgetQuery } from './schemas.ts';
import { inboxCountsSchema, inboxItemSchema, inboxSecretSchema, inboxTokenSchema, markResultSchema, presenceSchema } from './views.ts';

/** OpenAPI paths and schemas of the in-app inbox: browser authentication, feed, stream, widget. */

const problem = { $ref: '#/components/responses/Problem' };
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const Ref = (name: string) => Type.Unsafe<unknown>(ref(name));
const path = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const body = (schema: object, required = true) => ({ required, content: { 'application/json': { schema } } });
export const subscriberOnly = [{ inboxToken: [] }];

const itemPath = path('itemId', 'The inbox item id');

export const inboxPaths: Record<string, Record<string, unknown>> = {
  '/v1/inbox': {
    get: {
      tags: ['inbox'],
      summary: "The subscriber's inbox, latest first (an item back from a snooze counts from its return); cursor-paginated",
      security: subscriberOnly,
      parameters: queryParameters(inboxListQuery),
      responses: { '200': json(Page(Ref('InboxItem'))), ...errors(400, 401, 403) },
    },
  },
  '/v1/inbox/stream': {
    get: {
      tags: ['inbox'],
      summary: "The subscriber's inbox live: a WebSocket (Upgrade: websocket) or Server-Sent Events (Accept: text/event-stream) at this one path",
      description:
        'Messages are JSON objects with a `type`: `ready` {cursor, counts, heartbeatMs} once live; each change, `item.created` / `item.updated` {cursor, item, counts, reason?} or ' +
        '`items.updated` {cursor, ids, patch, counts, reason}; `reset` {cursor, counts} when the cursor given cannot be resumed from (reload the list); `heartbeat` {at}. ' +
        'SSE events are named by the type and carry the cursor as their id. Reconnect with `cursor` (or SSE `Last-Event-ID`) to get every change after it once, in order. ' +
        'A client that does not read is cut (more than CLARION_INBOX_MAX_BUFFER_BYTES unsent); a WebSocket that misses a ping is cut; the stream ends when the token expires (close 4001). ' +
        'The token goes in `?token=` (browsers cannot send headers on these) or the Authorization header; a refused WebSocket upgrade gets the problem document as its HTTP answer.',
      security: subscriberOnly,
      parameters: [
        ...queryParameters(inboxStreamQuery),
        { name: 'Last-Event-ID', in: 'header', required: false, description: 'SSE: the same as `cursor` (EventSource sends it by itself when it reconnects)', schema: { type: 'string' } },
      ],
      responses: {
        '101': { description: 'Switching to a WebSocket' },
        '200': { description: 'Server-Sent Events', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        ...errors(400, 401, 403),
      },
    },
  },
  '/v1/inbox/counts': {
    get: {
      tags: ['inbox'],
      summary: 'Total, unread and unseen items of the inbox (neither archived nor snoozed), in total and per category, in one query',
      security: subscriberOnly,
      parameters: queryParameters(inboxFilterQuery),
      responses: { '200': json(ref('InboxCounts')), ...errors(400, 401, 403) },
    },
  },
  '/v1/inbox/{itemId}': {
    patch: {
      tags: ['inbox'],
      summary: 'Change an item: seen, read or unread, archived or back, snoozed until a time (it comes back unread) or back now',
      description: "Read, seen and archived flow into the notification's status (never back down), the audit trail and the webhooks `io.clarion.notification.seen|read|archived`; a read acknowledges the notification when its workflow has `inAppReadAcknowledges`.",
      security: subscriberOnly,
      parameters: [itemPath],
      requestBody: body(itemPatchSchema),
      responses: { '200': json(ref('InboxItem')), ...errors(401, 403, 404, 415, 422) },
    },
  },
  '/v1/inbox/mark': {
    post: {
      tags: ['inbox'],
      summary: `Mark many items at once: all read, all seen, archive all, archive the read ones; of the inbox, or of a filter or a list of ids (at most 5000 per call: \`more\` says when some are left)`,
      security: subscriberOnly,
      requestBody: body(markSchema),
      responses: { '200': json(markResultSchema), ...errors(401, 403, 415, 422) },
    },
  },
  '/v1/inbox/{itemId}/actions/{key}': {
    post: {
      tags: ['inbox'],
      summary: "Record the action button taken (`actions[].key` of the item): the item is read, and the webhook io.clarion.notification.action carries the key",
      security: subscriberOnly,
      parameters: [itemPath, path('key', 'The action key')],
      responses: { '200': json(ref('InboxItem')), ...errors(401, 403, 404, 415) },
    },
  },
  '/v1/inbox/preferences': {
    get: {
      tags: ['inbox'],
      summary: "The subscriber's own preferences and what applies to each workflow and channel (as GET /v1/subscribers/{id}/preferences); token scope `preferences`",
      security: subscriberOnly,
      responses: { '200': json(ref('SubscriberPreferences')), ...errors(401, 403) },
    },
    patch: {
      tags: ['inbox'],
      summary: "Change the subscriber's own preferences (merged into them): e.g. {\"settings\": {\"categories\": {\"orders\": {\"email\": false}}}}",
      security: subscriberOnly,
      requestBody: body(ref('PreferenceInput')),
      responses: { '200': json(ref('SubscriberPreferences')), ...errors(401, 403, 415, 422) },
    },
  },
  '/v1/tenant/inbox-secret': {
    get: {
      tags: ['tenant'],
      summary: "The tenant's inbox secret (created on first read): your server computes subscriber hashes with it (HMAC-SHA256 of the subscriber id, hex)",
      responses: { '200': json(ref('InboxSecret')), ...errors(401) },
    },
    post: {
      tags: ['tenant'],
      summary: 'Rotate the inbox secret: every subscriber hash and inbox token made with the old one stops working at once',
      responses: { '200': json(ref('InboxSecret')), ...errors(401) },
    },
  },
  '/v1/subscribers/{subscriberId}/inbox-token': {
    post: {
      tags: ['subscribers'],
      summary: "Mint a short-lived inbox token for the subscriber (created bare if unknown): it opens that subscriber's inbox and nothing else",
      parameters: [path('subscriberId', "The tenant's own id for the person")],
      requestBody: body(inboxTokenRequestSchema, false),
      responses: { '201': json(ref('InboxToken')), ...errors(401, 415, 422) },
    },
  },
  '/v1/subscribers/{subscriberId}/presence': {
    get: {
      tags: ['subscribers'],
      summary: 'Whether the subscriber has an in-app stream open on some gateway now (presence: what the presence plugin decides on)',
      parameters: [path('subscriberId', "The tenant's own id for the person")],
      responses: {
        '200': json(presenceSchema),
        ...errors(401, 404),
      },
    },
  },
  '/v1/inbox/session': {
    post: {
      tags: ['inbox'],
      summary: 'Exchange a subscriber hash (HMAC-SHA256 of the subscriber id under the inbox secret, hex; the scheme Novu uses) for an inbox token',
      security: [],
      requestBody: body(inboxSessionRequestSchema),
      responses: { '201': json(ref('InboxToken')), ...errors(400, 401, 415, 422) },
    },
  },
  '/v1/inbox/widget.js': {
    get: {
      tags: ['inbox'],
      summary: 'The `<clarion-inbox>` web component (an ES module; docs/inbox.md): a bell with the unread count, the live feed, preferences',
      description:
        'Embed it with `<script type="module" src=".../v1/inbox/widget.js"></script>` and `<clarion-inbox token="cin_...">`. Gzipped when accepted (under 25 KB), ' +
        'with an ETag (`If-None-Match` answers 304). `X-Clarion-Widget-Version` names the version; `?v=<that version>` is cached for good, the bare address for 5 minutes. ' +
        'Served to any origin (CORS), as every `/v1/inbox` route is.',
      security: [],
      parameters: queryParameters(widgetQuery),
      responses: {
        '200': { description: 'The module', content: { 'text/javascript': { schema: { type: 'string' } } } },
        '304': { description: 'Not modified (If-None-Match)' },
      },
    },
  },
  '/demo/inbox': {
    get: {
      tags: ['inbox'],
      summary: 'A demo page embedding `<clarion-inbox>`; the credentials go in its fragment (`#token=cin_...`, or `#tenant-id=&subscriber-id=&subscriber-hash=`)',
      security: [],
      responses: { '200': { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
  },
};

export const inboxSchemas = {
  InboxItem: inboxItemSchema,
  InboxCounts: inboxCountsSchema,
  InboxSecret: inboxSecretSchema,
  InboxToken: inboxTokenSchema,
};
