import { deliveryPaths, deliverySchemas } from '../delivery/openapi.ts';
import { MAX_BATCH, MAX_DATACONTENTTYPE_BYTES, MAX_DATASCHEMA_BYTES, MAX_EXTENSION_VALUE_BYTES, MAX_EXTENSIONS, MAX_ID_BYTES, MAX_JSON_DEPTH, MAX_SOURCE_BYTES, MAX_SUBJECT_BYTES, MAX_TYPE_BYTES } from '../ingest/limits.ts';

/**
 * The OpenAPI 3.1 document of the REST API, served at `/v1/openapi.json`. A test compares its
 * paths with the routes the gateway registers, so neither can drift from the other.
 */

import { webhookPaths, webhookSchemas } from '../webhooks/openapi.ts';
import { templatePaths, templateSchemas } from '../templates/openapi.ts';
import { preferencePaths, preferenceSchemas } from '../preferences/openapi.ts';
import { apiKeyPaths, apiKeySchemas } from '../api-keys/openapi.ts';
import { inboxPaths, inboxSchemas } from '../realtime/openapi.ts';
import { schedulePaths, scheduleSchemas } from '../schedules/openapi.ts';
import { topicPaths, topicSchemas } from '../topics/openapi.ts';
import { cancellationInputSchema, cancellationResultSchema } from '../notifications/cancellation.ts';
import { analyticsPaths, analyticsSchemas } from '../analytics/openapi.ts';
import { tenantPatchSchema, tenantSettingsSchema, tenantViewSchema } from '../tenants.ts';

const problem = { $ref: '#/components/responses/Problem' };
const errorResponses = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const query = (name: string, description: string, schema: object = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });
/**
 * A string of at most `bytes` UTF-8 bytes. JSON Schema's maxLength counts characters, so it is
 * stated as the bound it implies (no string over `bytes` characters fits) and the byte limit is said.
 */
const limited = (bytes: number, schema: Record<string, unknown> = {}) => ({
  type: 'string',
  minLength: 1,
  maxLength: bytes,
  ...schema,
  description: `${schema.description ? `${String(schema.description)} ` : ''}At most ${bytes} bytes (UTF-8).`,
});
const header = (name: string, bytes: number, description: string) => ({ name, in: 'header', required: false, schema: limited(bytes), description });
const paging = [
  query('limit', 'Page size (1-200, default 50).', { type: 'integer', minimum: 1, maximum: 200 }),
  query('cursor', 'The `nextCursor` of the previous page.'),
];

export function openApiDocument(serverUrl: string): Record<string, unknown> {
  const document = {
    openapi: '3.1.0',
    info: {
      title: 'Clarion',
      version: '0.1.0',
      description:
        'Notification gateway: post business events as CloudEvents; Clarion decides who hears about them, on which channels, and reports back. ' +
        'Authenticate with `Authorization: Bearer <api key>` (create one with `npx clarion tenant create`, more with `POST /v1/api-keys`). Errors are RFC 9457 problem documents.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: serverUrl }],
    security: [{ apiKey: [] }],
    tags: [
      { name: 'events' }, { name: 'contracts' }, { name: 'workflows' }, { name: 'subscribers' }, { name: 'templates' }, { name: 'providers' },
      { name: 'notifications' }, { name: 'deliveries' }, { name: 'webhooks' }, { name: 'audit' }, { name: 'tenant' }, { name: 'api-keys' }, { name: 'inbox' }, { name: 'topics' }, { name: 'analytics' }, { name: 'schedules' }, { name: 'operations' },
    ],
    paths: {
      ...webhookPaths,
      ...templatePaths,
      ...preferencePaths,
      ...apiKeyPaths,
      ...inboxPaths,
      ...topicPaths,
      ...analyticsPaths,
      ...schedulePaths,
      '/healthz': {
        get: { tags: ['operations'], summary: 'Liveness: the process answers', security: [], responses: { '200': json({ type: 'object', properties: { status: { const: 'ok' } } }) } },
      },
      '/readyz': {
        get: {
          tags: ['operations'],
          summary: 'Readiness: the database answers and its migrations are current',
          security: [],
          responses: { '200': json(ref('Readiness')), '503': json(ref('Readiness'), 'Not ready') },
        },
      },
      '/metrics': {
        get: {
          tags: ['operations'],
          summary: 'Prometheus metrics of this process',
          description:
            'Open unless the operator sets `CLARION_METRICS_TOKEN`; then `Authorization: Bearer <token>` is required. ' +
            "Series carry no tenant's endpoint or provider ids unless the operator sets `CLARION_METRICS_TENANT_LABELS=true`.",
          security: [{}, { metricsToken: [] }],
          responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errorResponses(401) },
        },
      },
      '/v1/openapi.json': {
        get: { tags: ['operations'], summary: 'This document', security: [], responses: { '200': json({ type: 'object' }) } },
      },
      '/v1/events': {
        options: {
          tags: ['events'],
          summary: 'CloudEvents webhook abuse-protection handshake',
          security: [],
          parameters: [
            { name: 'WebHook-Request-Origin', in: 'header', required: false, schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'Delivery allowed',
              headers: {
                'WebHook-Allowed-Origin': { schema: { type: 'string' } },
                'WebHook-Allowed-Rate': { schema: { type: 'string' } },
                Allow: { schema: { type: 'string' } },
              },
            },
          },
        },
        post: {
          tags: ['events'],
          summary: 'Ingest CloudEvents (binary, structured or batched HTTP content mode)',
          description:
            'Binary mode: attributes in `ce-*` headers, data as the body with its own Content-Type. Structured: `application/cloudevents+json`. ' +
            'Batched: `application/cloudevents-batch+json`, a JSON array; one invalid event refuses the whole batch. ' +
            "Each event's `data` is validated against the contract registered for its `type`. A resent event (same `source` and `id`) is answered under `duplicates` and not processed again. " +
            `An event is stored exactly as accepted, or refused with 400 naming the field: attributes over their byte limits, more than ${MAX_EXTENSIONS} extensions, ` +
            `data nested more than ${MAX_JSON_DEPTH} levels, the NUL character or an unpaired surrogate in any string or key, a number that would not read back as sent (1e400, 12345678901234567890). ` +
            'Binary-mode headers are printable ASCII, the rest percent-encoded as UTF-8 (CloudEvents HTTP binding). ' +
            'Extensions Clarion reads: `cancelkey` (what `POST /v1/cancellations` names), `deliverafter` (an RFC 3339 time at most 366 days ahead: fanned out then), ' +
            "`deliverlocal` with an optional `deliverzone` (a local date-time: each notification waits for it in its subscriber's time zone). " +
            "`data.attachments` ([{filename, contentType, content (base64)}] or [{filename, contentType?, url}] fetched at ingest through the operator's outbound policy, within the tenant's `attachments` limits) are taken out of the data, stored once per event and sent with its emails; the stored data keeps {filename, contentType, size, sha256}. " +
            'A single event is stored together with the others that arrive within a millisecond or two (group commit) and answered 202 once that commit returns. ' +
            'When more events wait to be stored than the gateway queues, the answer is 503 `CLARION_ERR_INGEST_BUSY` with `Retry-After` (seconds): nothing of the request was stored.',
          parameters: [
            header('ce-id', MAX_ID_BYTES, 'Binary mode (percent-decoded)'),
            header('ce-source', MAX_SOURCE_BYTES, 'Binary mode (percent-decoded)'),
            header('ce-type', MAX_TYPE_BYTES, 'Binary mode (percent-decoded)'),
            { name: 'ce-specversion', in: 'header', required: false, schema: { const: '1.0' }, description: 'Binary mode' },
          ],
          requestBody: {
            required: true,
            description: 'Structured or batched CloudEvents, or (binary mode) the event data with its own Content-Type.',
            content: {
              'application/cloudevents+json': { schema: ref('CloudEvent') },
              'application/cloudevents-batch+json': { schema: { type: 'array', items: ref('CloudEvent'), minItems: 1, maxItems: MAX_BATCH } },
              '*/*': { schema: {} },
            },
          },
          responses: { '202': json(ref('IngestResult'), 'Accepted'), ...errorResponses(400, 401, 413, 415, 422, 503) },
        },
        get: {
          tags: ['events'],
          summary: "List the tenant's events, newest first",
          parameters: [
            ...paging,
            query('type', 'Only this event type.'),
            query('source', 'Only this source.'),
            query('status', 'Only this processing status.', { enum: ['received', 'processing', 'processed', 'failed', 'cancelled'] }),
          ],
          responses: { '200': json({ type: 'object', required: ['items', 'nextCursor'], properties: { items: { type: 'array', items: ref('StoredEvent') }, nextCursor: { type: ['string', 'null'] } } }), ...errorResponses(400, 401) },
        },
      },
      '/v1/events/{id}': {
        get: {
          tags: ['events'],
          summary: 'Read one event and its processing status',
          parameters: [pathParam('id', "Clarion's event id (`eventId` in the ingest answer) or the CloudEvent `id`."), query('source', 'Disambiguates a CloudEvent id used by several sources.')],
          responses: {
            '200': json({ allOf: [ref('StoredEvent'), { type: 'object', properties: { notifications: { type: 'array', items: ref('Notification'), description: 'Its first 1000 notifications, oldest first (`topicFanOuts` counts those made for topics)' }, topicFanOuts: { type: 'array', items: ref('TopicFanOut') } } }] }),
            ...errorResponses(401, 404, 409),
          },
        },
        delete: {
          tags: ['events'],
          summary: 'Cancel everything still pending for the event',
          description:
            'In one transaction: the event if it was not fanned out yet (a `deliverafter` still ahead), a topic fan-out under way, deferred and delayed notifications, ' +
            'their places in open digests, pending escalation and workflow steps, queued and retrying deliveries. What providers already have is reported under `alreadySent`, never recalled. ' +
            'Audited (`event.cancelled`); each notification suppressed is announced as `io.clarion.notification.suppressed` with `data.reason` `cancelled: <reason>`. Cancelling again changes nothing more.',
          parameters: [
            pathParam('id', "Clarion's event id or the CloudEvent `id`."),
            query('source', 'Disambiguates a CloudEvent id used by several sources.'),
            query('reason', 'Why (at most 500 characters): kept on the event, the decisions and the audit trail.'),
          ],
          responses: { '200': json(ref('CancellationResult')), ...errorResponses(400, 401, 404, 409) },
        },
      },
      '/v1/cancellations': {
        post: {
          tags: ['events'],
          summary: 'Cancel everything still pending for the events that carried a cancellation key',
          description: 'Events carry the key as the CloudEvent extension `cancelkey`. Same effects as `DELETE /v1/events/{id}` for each of them; a key no event carried cancels nothing (`events: 0`).',
          requestBody: { required: true, content: { 'application/json': { schema: cancellationInputSchema } } },
          responses: { '200': json(ref('CancellationResult')), ...errorResponses(400, 401, 415) },
        },
      },
      '/v1/contracts': {
        get: {
          tags: ['contracts'],
          summary: "List the contract in effect for every event type: the tenant's current versions and the bundled ones (`bundled: true`) it did not replace",
          responses: { '200': json({ type: 'object', properties: { items: { type: 'array', items: ref('Contract') } } }), ...errorResponses(401) },
        },
      },
      '/v1/contracts/{type}': {
        put: {
          tags: ['contracts'],
          summary: "Register or replace the JSON Schema (2020-12) that an event type's data must match",
          description: 'The body is the schema itself. Replacing a contract creates a new version; earlier versions stay readable.',
          parameters: [pathParam('type', 'The CloudEvent type, e.g. com.acme.order.shipped')],
          requestBody: { required: true, content: { 'application/json': { schema: { type: ['object', 'boolean'] } }, 'application/schema+json': { schema: { type: ['object', 'boolean'] } } } },
          responses: { '201': json(ref('Contract'), 'Created'), '200': json(ref('Contract'), 'Replaced'), ...errorResponses(400, 401, 413, 415, 422) },
        },
        get: {
          tags: ['contracts'],
          summary: "Read a contract: the one in effect (the tenant's current version, else the bundled one), or one of the tenant's versions (`?version=`)",
          parameters: [pathParam('type', 'The CloudEvent type'), query('version', 'A specific version.', { type: 'integer', minimum: 1 })],
          responses: {
            '200': json({ allOf: [ref('Contract'), { type: 'object', properties: { versions: { type: 'array', items: { type: 'object', properties: { version: { type: 'integer' }, createdAt: { type: 'string', format: 'date-time' } } } } } }] }),
            ...errorResponses(400, 401, 404),
          },
        },
      },
      ...deliveryPaths,
      '/v1/tenant': {
        get: { tags: ['tenant'], summary: 'The tenant the API key belongs to', responses: { '200': json(ref('Tenant')), ...errorResponses(401) } },
        patch: {
          tags: ['tenant'],
          summary: "Change the tenant's settings (merged into the current ones)",
          requestBody: { required: true, content: { 'application/json': { schema: tenantPatchSchema } } },
          responses: { '200': json(ref('Tenant')), ...errorResponses(400, 401, 415) },
        },
      },
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A tenant API key (`ck_...`).' },
        subscriberToken: { type: 'http', scheme: 'bearer', description: "A subscriber's own token (POST /v1/subscribers/{subscriberId}/token)" },
        inboxToken: { type: 'http', scheme: 'bearer', description: "A subscriber's inbox token (`cin_...`: POST /v1/subscribers/{subscriberId}/inbox-token, or POST /v1/inbox/session with a subscriber hash). It opens that subscriber's inbox only." },
        metricsToken: { type: 'http', scheme: 'bearer', description: "The operator's `CLARION_METRICS_TOKEN`, when set." },
      },
      responses: {
        Problem: { description: 'An RFC 9457 problem document', content: { 'application/problem+json': { schema: ref('Problem') } } },
        ServerError: { description: 'A server error (500, or 503 while the database is unavailable), as an RFC 9457 problem document', content: { 'application/problem+json': { schema: ref('Problem') } } },
      },
      schemas: {
        ...deliverySchemas,
        ...webhookSchemas,
        ...templateSchemas,
        ...preferenceSchemas,
        ...apiKeySchemas,
        ...inboxSchemas,
        ...topicSchemas,
        ...analyticsSchemas,
        ...scheduleSchemas,
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code'],
          properties: {
            type: { type: 'string', description: '`urn:clarion:error:<code>`' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'string', description: 'Stable error code, listed in docs/errors.md' },
            instance: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                required: ['pointer', 'message'],
                properties: {
                  pointer: { type: 'string', description: 'JSON Pointer to the failing field' },
                  message: { type: 'string' },
                  line: { type: 'integer', description: 'Template errors: 1-based line in the part' },
                  column: { type: 'integer', description: 'Template errors: 1-based column' },
                  name: { type: 'string', description: 'Template errors: the unknown filter, test or tag, or the delimiter left open' },
                },
              },
            },
          },
        },
        CloudEvent: {
          type: 'object',
          required: ['specversion', 'id', 'source', 'type'],
          properties: {
            specversion: { const: '1.0' },
            id: limited(MAX_ID_BYTES),
            source: limited(MAX_SOURCE_BYTES, { format: 'uri-reference' }),
            type: limited(MAX_TYPE_BYTES),
            subject: limited(MAX_SUBJECT_BYTES),
            time: { type: 'string', format: 'date-time', description: 'RFC 3339, at most 9 fractional digits; kept as sent.' },
            datacontenttype: limited(MAX_DATACONTENTTYPE_BYTES),
            dataschema: limited(MAX_DATASCHEMA_BYTES, { format: 'uri' }),
            data: { description: `Any JSON, nested at most ${MAX_JSON_DEPTH} levels; numbers must read back as sent (send larger or more precise ones as strings).` },
            data_base64: { type: 'string', contentEncoding: 'base64' },
          },
          additionalProperties: {
            type: ['string', 'number', 'boolean'],
            maxLength: MAX_EXTENSION_VALUE_BYTES,
            description: `Extension attributes: names of 1-20 lower-case letters and digits, at most ${MAX_EXTENSIONS} per event, string values of at most ${MAX_EXTENSION_VALUE_BYTES} bytes (UTF-8).`,
          },
          maxProperties: 9 + MAX_EXTENSIONS, // the eight context attributes, data or data_base64, the extensions
        },
        EventRef: {
          type: 'object',
          required: ['id', 'source', 'eventId'],
          properties: { id: { type: 'string', description: 'The CloudEvent id' }, source: { type: 'string' }, eventId: { type: 'string', format: 'uuid', description: "Clarion's id of the stored event" } },
        },
        IngestResult: {
          type: 'object',
          required: ['accepted', 'duplicates'],
          properties: { accepted: { type: 'array', items: ref('EventRef') }, duplicates: { type: 'array', items: ref('EventRef') } },
        },
        CancellationResult: cancellationResultSchema,
        TopicFanOut: {
          type: 'object',
          description: "The fan-out of the event to topics for one workflow, streamed in pages by the worker: members at the time it began, once each, never the event's own recipients nor its `exclude` list.",
          required: ['id', 'workflow', 'topics', 'status', 'streams', 'pages', 'notifications', 'startedAt', 'finishedAt'],
          properties: {
            id: { type: 'string', format: 'uuid' },
            workflow: { type: 'string' },
            topics: { type: 'array', items: { type: 'string' } },
            status: { enum: ['running', 'done', 'cancelled'] },
            streams: { type: 'integer', minimum: 1, description: 'Streams over ranges of subscriber ids whose pages ran at once (CLARION_TOPIC_STREAMS, for topics of more than two pages)' },
            pages: { type: 'integer', minimum: 0 },
            notifications: { type: 'integer', minimum: 0, description: 'Notifications made so far (the event\'s `notifications` lists them with the others)' },
            startedAt: { type: 'string', format: 'date-time' },
            finishedAt: { type: ['string', 'null'], format: 'date-time' },
          },
        },
        StoredEvent: {
          type: 'object',
          required: ['id', 'status', 'receivedAt', 'cloudevent'],
          properties: {
            id: { type: 'string', format: 'uuid' },
            status: { enum: ['received', 'processing', 'processed', 'failed', 'cancelled'], description: '`cancelled`: cancelled before it was fanned out' },
            error: { type: ['string', 'null'], description: 'What went wrong processing it (recipients that cannot be resolved...)' },
            notice: { type: ['string', 'null'], description: 'Why a processed event produced nothing, when that is no error (no workflow for its type)' },
            receivedAt: { type: 'string', format: 'date-time' },
            processedAt: { type: ['string', 'null'], format: 'date-time' },
            contractVersion: { type: ['integer', 'null'] },
            cancelledAt: { type: ['string', 'null'], format: 'date-time', description: 'When it was cancelled (`DELETE /v1/events/{id}`, `POST /v1/cancellations`)' },
            cancelReason: { type: ['string', 'null'] },
            deliverAfter: { type: ['string', 'null'], format: 'date-time', description: 'From the `deliverafter` extension: the event is fanned out at this time' },
            cloudevent: ref('CloudEvent'),
          },
        },
        Contract: {
          type: 'object',
          description: "A tenant's contract (a versioned row), or a bundled workflow's `schema.json` (`bundled: true`), in effect for its trigger type until the tenant registers its own.",
          required: ['id', 'type', 'version', 'schema', 'createdAt', 'bundled'],
          properties: {
            id: { type: ['string', 'null'], format: 'uuid', description: 'Null for a bundled contract' },
            type: { type: 'string' },
            version: { type: ['integer', 'null'], description: 'Null for a bundled contract' },
            schema: { type: ['object', 'boolean'] },
            createdAt: { type: ['string', 'null'], format: 'date-time' },
            bundled: { type: 'boolean', description: "True: the `schema.json` of a bundled workflow (the tenant's own contract for the type would replace it)" },
            workflow: { type: 'string', description: 'Bundled contracts: the bundled workflow it comes from (`templates/<workflow>/schema.json`)' },
            replacesBundled: { type: 'boolean', description: "Tenant contracts: present (true) when it replaces a bundled workflow's contract" },
          },
        },
        TenantSettings: tenantSettingsSchema,
        Tenant: tenantViewSchema,
        Readiness: {
          type: 'object',
          properties: { status: { enum: ['ready', 'not ready'] }, checks: { type: 'object', additionalProperties: { type: 'string' } } },
        },
      },
    },
  };
  // What every route may answer, said once rather than on each operation: 400 for a path or query
  // parameter no column could hold (queryGuard, guardPathParams), and server errors.
  for (const item of Object.values(document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
    for (const operation of Object.values(item)) {
      operation.responses['400'] ??= problem;
      operation.responses.default ??= { $ref: '#/components/responses/ServerError' };
    }
  }
  return document;
}
