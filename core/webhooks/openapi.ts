import { Items, Page, Type, queryParameters } from '../kernel/schema.ts';
import { attemptListQuery, endpointInputSchema, endpointListQuery, endpointPatchSchema, messageListQuery, recoverSchema, rotateSecretSchema, statsQuery } from './schemas.ts';
import { attemptViewSchema, endpointStatsSchema, endpointViewSchema, endpointWithSecretSchema, eventTypeSchema, messageViewSchema, recoverResultSchema } from './views.ts';

/** The outgoing webhook routes and schemas of the OpenAPI document (spread into core/gateway/openapi.ts). */

const problem = { $ref: '#/components/responses/Problem' };
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const Ref = (name: string) => Type.Unsafe<unknown>(ref(name));
const id = (description: string) => ({ name: 'id', in: 'path', required: true, description, schema: { type: 'string' } });
const page = (item: string) => Page(Ref(item));
const tags = ['webhooks'];
const endpointId = id('The endpoint id.');

export const webhookPaths = {
  '/v1/webhooks/event-types': {
    get: { tags, summary: 'The event types webhooks carry', responses: { '200': json(Items(Ref('WebhookEventType'))), ...errors(401) } },
  },
  '/v1/webhooks/endpoints': {
    post: {
      tags,
      summary: 'Register a webhook endpoint',
      description: 'The answer carries the signing secret (`whsec_...`), shown this once. Verify deliveries with it (Standard Webhooks).',
      requestBody: { required: true, content: { 'application/json': { schema: ref('WebhookEndpointInput') } } },
      responses: { '201': json(ref('WebhookEndpointWithSecret'), 'Created'), ...errors(400, 401, 415, 422) },
    },
    get: {
      tags,
      summary: "List the tenant's webhook endpoints, newest first",
      parameters: queryParameters(endpointListQuery),
      responses: { '200': json(page('WebhookEndpoint')), ...errors(400, 401) },
    },
  },
  '/v1/webhooks/endpoints/{id}': {
    get: { tags, summary: 'Read a webhook endpoint', parameters: [endpointId], responses: { '200': json(ref('WebhookEndpoint')), ...errors(401, 404) } },
    patch: {
      tags,
      summary: 'Change a webhook endpoint (URL, filter, description, rate limit, enabled)',
      parameters: [endpointId],
      requestBody: { required: true, content: { 'application/json': { schema: ref('WebhookEndpointPatch') } } },
      responses: { '200': json(ref('WebhookEndpoint')), ...errors(400, 401, 404, 415, 422) },
    },
    delete: {
      tags,
      summary: 'Delete a webhook endpoint with its messages and attempts',
      parameters: [endpointId],
      responses: { '204': { description: 'Deleted' }, ...errors(401, 404) },
    },
  },
  '/v1/webhooks/endpoints/{id}/rotate-secret': {
    post: {
      tags,
      summary: 'Replace the signing secret',
      description:
        'Returns the new secret, shown this once. The old secret keeps signing next to it (two signatures in `webhook-signature`) for `gracePeriodSeconds` (default 86400, 0 ends it at once).',
      parameters: [endpointId],
      requestBody: { required: false, content: { 'application/json': { schema: rotateSecretSchema } } },
      responses: { '200': json(ref('WebhookEndpointWithSecret')), ...errors(400, 401, 404, 415) },
    },
  },
  '/v1/webhooks/endpoints/{id}/attempts': {
    get: {
      tags,
      summary: 'Delivery attempts to the endpoint, newest first',
      parameters: [endpointId, ...queryParameters(attemptListQuery)],
      responses: { '200': json(page('WebhookAttempt')), ...errors(400, 401, 404) },
    },
  },
  '/v1/webhooks/endpoints/{id}/messages': {
    get: {
      tags,
      summary: 'Messages queued for the endpoint, newest first',
      parameters: [endpointId, ...queryParameters(messageListQuery)],
      responses: { '200': json(page('WebhookMessage')), ...errors(400, 401, 404) },
    },
  },
  '/v1/webhooks/endpoints/{id}/stats': {
    get: {
      tags,
      summary: 'Message and attempt counts and durations of the endpoint',
      parameters: [endpointId, ...queryParameters(statsQuery)],
      responses: { '200': json(ref('WebhookEndpointStats')), ...errors(400, 401, 404) },
    },
  },
  '/v1/webhooks/endpoints/{id}/recover': {
    post: {
      tags,
      summary: 'Send again every message of the endpoint since a time',
      description: 'Messages created from `since` to `until` (both included; default now), optionally only in the given statuses, are sent again oldest first with their `webhook-id` unchanged and a fresh retry schedule.',
      parameters: [endpointId],
      requestBody: { required: true, content: { 'application/json': { schema: recoverSchema } } },
      responses: {
        '202': json(recoverResultSchema, 'Queued'),
        ...errors(400, 401, 404, 409, 415),
      },
    },
  },
  '/v1/webhooks/messages/{id}': {
    get: { tags, summary: 'Read a webhook message with its CloudEvent', parameters: [id('The message id.')], responses: { '200': json(ref('WebhookMessage')), ...errors(401, 404) } },
  },
  '/v1/webhooks/messages/{id}/replay': {
    post: {
      tags,
      summary: 'Send a message again now, with the same webhook-id',
      description: 'With a message id, to its endpoint; with a `webhook-id` (`msg_...`), to every enabled endpoint that received it. The retry schedule starts afresh.',
      parameters: [id('The message id, or the `webhook-id`.')],
      responses: { '202': json(Items(Ref('WebhookMessage')), 'Queued'), ...errors(401, 404, 409) },
    },
  },
};

export const webhookSchemas = {
  WebhookEndpointInput: endpointInputSchema,
  WebhookEndpointPatch: endpointPatchSchema,
  WebhookEventType: eventTypeSchema,
  WebhookEndpoint: endpointViewSchema,
  WebhookEndpointWithSecret: endpointWithSecretSchema,
  WebhookMessage: messageViewSchema,
  WebhookAttempt: attemptViewSchema,
  WebhookEndpointStats: endpointStatsSchema,
};
