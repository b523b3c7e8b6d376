import { deliveryPaths, deliverySchemas } from '../delivery/openapi.ts';

/**
 * The OpenAPI 3.1 document of the REST API, served at `/v1/openapi.json`. A test compares its
 * paths with the routes the gateway registers, so neither can drift from the other.
 */

import { webhookPaths, webhookSchemas } from '../webhooks/openapi.ts';
import { templatePaths, templateSchemas } from '../templates/openapi.ts';
import { preferencePaths, preferenceSchemas } from '../preferences/openapi.ts';
import { apiKeyPaths, apiKeySchemas } from '../api-keys/openapi.ts';

const problem = { $ref: '#/components/responses/Problem' };
const errorResponses = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const query = (name: string, description: string, schema: object = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });
const paging = [
  query('limit', 'Page size (1-200, default 50).', { type: 'integer', minimum: 1, maximum: 200 }),
  query('cursor', 'The `nextCursor` of the previous page.'),
];

export function openApiDocument(serverUrl: string): Record<string, unknown> {
  return {
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
      { name: 'notifications' }, { name: 'deliveries' }, { name: 'webhooks' }, { name: 'audit' }, { name: 'tenant' }, { name: 'api-keys' }, { name: 'operations' },
    ],
    paths: {
      ...webhookPaths,
      ...templatePaths,
      ...preferencePaths,
      ...apiKeyPaths,
      '/healthz': {
        get: { tags: ['operations'], summary: 'Liveness: the process answers', security: [], responses: { '200': json({ type: 'object', properties: { status: { const: 'ok' } } }) } },
      },
      '/readyz': {
        get: {
          tags: ['operations'],
          summary: 'Readiness: the database answers and its migrations are current',
          security: [],
          responses: { '200': json(ref('Readiness')), '503': json(ref('Readiness')) },
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
            "Each event's `data` is validated against the contract registered for its `type`. A resent event (same `source` and `id`) is answered under `duplicates` and not processed again.",
          parameters: [
            { name: 'ce-id', in: 'header', required: false, schema: { type: 'string' }, description: 'Binary mode' },
            { name: 'ce-source', in: 'header', required: false, schema: { type: 'string' }, description: 'Binary mode' },
            { name: 'ce-type', in: 'header', required: false, schema: { type: 'string' }, description: 'Binary mode' },
            { name: 'ce-specversion', in: 'header', required: false, schema: { const: '1.0' }, description: 'Binary mode' },
          ],
          requestBody: {
            required: true,
            content: {
              'application/cloudevents+json': { schema: ref('CloudEvent') },
              'application/cloudevents-batch+json': { schema: { type: 'array', items: ref('CloudEvent'), minItems: 1, maxItems: 1000 } },
              '*/*': { schema: {}, description: 'Binary mode: the event data' },
            },
          },
          responses: { '202': json(ref('IngestResult')), ...errorResponses(400, 401, 413, 415, 422, 503) },
        },
        get: {
          tags: ['events'],
          summary: "List the tenant's events, newest first",
          parameters: [
            ...paging,
            query('type', 'Only this event type.'),
            query('source', 'Only this source.'),
            query('status', 'Only this processing status.', { enum: ['received', 'processing', 'processed', 'failed'] }),
          ],
          responses: { '200': json({ type: 'object', required: ['items', 'nextCursor'], properties: { items: { type: 'array', items: ref('StoredEvent') }, nextCursor: { type: ['string', 'null'] } } }), ...errorResponses(400, 401) },
        },
      },
      '/v1/events/{id}': {
        get: {
          tags: ['events'],
          summary: 'Read one event and its processing status',
          parameters: [pathParam('id', "Clarion's event id (`eventId` in the ingest answer) or the CloudEvent `id`."), query('source', 'Disambiguates a CloudEvent id used by several sources.')],
          responses: { '200': json({ allOf: [ref('StoredEvent'), { type: 'object', properties: { notifications: { type: 'array', items: ref('Notification') } } }] }), ...errorResponses(401, 404, 409) },
        },
      },
      '/v1/contracts': {
        get: {
          tags: ['contracts'],
          summary: 'List the current contract of every event type',
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
          responses: { '201': json(ref('Contract')), '200': json(ref('Contract')), ...errorResponses(400, 401, 413, 415, 422) },
        },
        get: {
          tags: ['contracts'],
          summary: 'Read a contract (the current version, or `?version=`)',
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
          requestBody: { required: true, ...json({ type: 'object', required: ['settings'], properties: { settings: ref('TenantSettings') } }) },
          responses: { '200': json(ref('Tenant')), ...errorResponses(400, 401, 415) },
        },
      },
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A tenant API key (`ck_...`).' },
        subscriberToken: { type: 'http', scheme: 'bearer', description: "A subscriber's own token (POST /v1/subscribers/{subscriberId}/token)" },
        metricsToken: { type: 'http', scheme: 'bearer', description: "The operator's `CLARION_METRICS_TOKEN`, when set." },
      },
      responses: {
        Problem: { description: 'An RFC 9457 problem document', content: { 'application/problem+json': { schema: ref('Problem') } } },
      },
      schemas: {
        ...deliverySchemas,
        ...webhookSchemas,
        ...templateSchemas,
        ...preferenceSchemas,
        ...apiKeySchemas,
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
            errors: { type: 'array', items: { type: 'object', required: ['pointer', 'message'], properties: { pointer: { type: 'string', description: 'JSON Pointer to the failing field' }, message: { type: 'string' } } } },
          },
        },
        CloudEvent: {
          type: 'object',
          required: ['specversion', 'id', 'source', 'type'],
          properties: {
            specversion: { const: '1.0' },
            id: { type: 'string', minLength: 1 },
            source: { type: 'string', format: 'uri-reference', minLength: 1 },
            type: { type: 'string', minLength: 1 },
            subject: { type: 'string' },
            time: { type: 'string', format: 'date-time' },
            datacontenttype: { type: 'string' },
            dataschema: { type: 'string', format: 'uri' },
            data: {},
            data_base64: { type: 'string', contentEncoding: 'base64' },
          },
          additionalProperties: { type: ['string', 'number', 'boolean'], description: 'Extension attributes' },
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
        StoredEvent: {
          type: 'object',
          required: ['id', 'status', 'receivedAt', 'cloudevent'],
          properties: {
            id: { type: 'string', format: 'uuid' },
            status: { enum: ['received', 'processing', 'processed', 'failed'] },
            error: { type: ['string', 'null'] },
            receivedAt: { type: 'string', format: 'date-time' },
            processedAt: { type: ['string', 'null'], format: 'date-time' },
            contractVersion: { type: ['integer', 'null'] },
            cloudevent: ref('CloudEvent'),
          },
        },
        Contract: {
          type: 'object',
          required: ['id', 'type', 'version', 'schema', 'createdAt'],
          properties: { id: { type: 'string', format: 'uuid' }, type: { type: 'string' }, version: { type: 'integer' }, schema: { type: ['object', 'boolean'] }, createdAt: { type: 'string', format: 'date-time' } },
        },
        TenantSettings: {
          type: 'object',
          properties: {
            acceptUnvalidatedTypes: { type: 'boolean', description: 'Accept event types that have no contract' },
            defaultLocale: { type: 'string' },
            brand: { type: 'object', properties: { name: { type: 'string' }, color: { type: 'string' }, logoUrl: { type: 'string' } } },
          },
        },
        Tenant: {
          type: 'object',
          properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' }, settings: ref('TenantSettings'), createdAt: { type: 'string', format: 'date-time' } },
        },
        Readiness: {
          type: 'object',
          properties: { status: { enum: ['ready', 'not ready'] }, checks: { type: 'object', additionalProperties: { type: 'string' } } },
        },
      },
    },
  };
}
