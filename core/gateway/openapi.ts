import { deliveryPaths, deliverySchemas } from '../delivery/openapi.ts';
import { MAX_BATCH, MAX_EXTENSIONS, MAX_ID_BYTES, MAX_JSON_DEPTH, MAX_SOURCE_BYTES, MAX_TYPE_BYTES } from '../ingest/limits.ts';

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
import { contractBodySchema, contractReadQuery, contractVersionsSchema, eventCancelQuery, eventDetailSchema, eventListQuery, eventReadQuery, ingestSchemas, limited } from '../ingest/openapi.ts';
import { tenantPatchSchema, tenantSettingsSchema, tenantViewSchema } from '../tenants.ts';
import { problemSchema } from '../errors.ts';
import { AnyObject, Items, Page, Type, queryParameters } from '../kernel/schema.ts';

const problem = { $ref: '#/components/responses/Problem' };
const errorResponses = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const Ref = (name: string) => Type.Unsafe<unknown>(ref(name));
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const header = (name: string, bytes: number, description: string) => ({ name, in: 'header', required: false, schema: limited(bytes), description });

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
        get: { tags: ['operations'], summary: 'Liveness: the process answers', security: [], responses: { '200': json(Type.Object({ status: Type.Literal('ok') })) } },
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
        get: { tags: ['operations'], summary: 'This document', security: [], responses: { '200': json(AnyObject({ description: 'An OpenAPI 3.1 document' })) } },
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
              'application/cloudevents-batch+json': { schema: Type.Array(Ref('CloudEvent'), { minItems: 1, maxItems: MAX_BATCH }) },
              '*/*': { schema: {} },
            },
          },
          responses: { '202': json(ref('IngestResult'), 'Accepted'), ...errorResponses(400, 401, 413, 415, 422, 503) },
        },
        get: {
          tags: ['events'],
          summary: "List the tenant's events, newest first",
          parameters: queryParameters(eventListQuery),
          responses: { '200': json(Page(Ref('StoredEvent'))), ...errorResponses(400, 401) },
        },
      },
      '/v1/events/{id}': {
        get: {
          tags: ['events'],
          summary: 'Read one event and its processing status',
          parameters: [pathParam('id', "Clarion's event id (`eventId` in the ingest answer) or the CloudEvent `id`."), ...queryParameters(eventReadQuery)],
          responses: {
            '200': json({ allOf: [ref('StoredEvent'), eventDetailSchema] }),
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
            ...queryParameters(eventCancelQuery),
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
          responses: { '200': json(Items(Ref('Contract'))), ...errorResponses(401) },
        },
      },
      '/v1/contracts/{type}': {
        put: {
          tags: ['contracts'],
          summary: "Register or replace the JSON Schema (2020-12) that an event type's data must match",
          description: 'The body is the schema itself. Replacing a contract creates a new version; earlier versions stay readable.',
          parameters: [pathParam('type', 'The CloudEvent type, e.g. com.acme.order.shipped')],
          requestBody: { required: true, content: { 'application/json': { schema: contractBodySchema }, 'application/schema+json': { schema: contractBodySchema } } },
          responses: { '201': json(ref('Contract'), 'Created'), '200': json(ref('Contract'), 'Replaced'), ...errorResponses(400, 401, 413, 415, 422) },
        },
        get: {
          tags: ['contracts'],
          summary: "Read a contract: the one in effect (the tenant's current version, else the bundled one), or one of the tenant's versions (`?version=`)",
          parameters: [pathParam('type', 'The CloudEvent type'), ...queryParameters(contractReadQuery)],
          responses: {
            '200': json({ allOf: [ref('Contract'), contractVersionsSchema] }),
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
        ...ingestSchemas,
        Problem: problemSchema,
        CancellationResult: cancellationResultSchema,
        TenantSettings: tenantSettingsSchema,
        Tenant: tenantViewSchema,
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
