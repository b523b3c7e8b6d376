import { attemptViewSchema, auditEntrySchema, deliveryDetailSchema, deliveryViewSchema, interactionViewSchema, notificationDetailSchema, notificationViewSchema, outboxMessageSchema } from '../db/repositories/view-schemas.ts';
import { workflowSchema, workflowViewSchema } from '../workflows/service.ts';
import { adapterViewSchema, providerInputSchema, providerPatchSchema, providerPriceSchema, providerTestInputSchema, providerTestResultSchema, providerViewSchema } from './provider-schemas.ts';
import { bulkResultSchema, subscriberBulkSchema, subscriberInputSchema, subscriberPutSchema, subscriberViewSchema } from '../subscribers/schemas.ts';
import { AnyObject, Items, Page, Type, queryParameters } from '../kernel/schema.ts';
import { auditQuery, deliveryListQuery, notificationListQuery, outboxQuery, providerListQuery, subscriberListQuery } from './list-queries.ts';

/** OpenAPI paths and schemas of workflows, subscribers, providers, notifications, deliveries, outbox and audit. */

const problem = { $ref: '#/components/responses/Problem' };
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const path = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const Ref = (name: string) => Type.Unsafe<unknown>(ref(name));
const page = (item: string) => Page(Ref(item));
const body = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });

export const deliveryPaths = {
  '/v1/media/{token}': {
    get: {
      tags: ['deliveries'],
      summary: "A file of an event, for the SMS/MMS or WhatsApp provider that fetches it",
      description:
        'SMS and WhatsApp messages of an event with attachments carry them as links to this route (Twilio `MediaUrl`, a WhatsApp Cloud API document or image `link`), under `CLARION_PUBLIC_URL`. ' +
        'No API key: the token names the tenant, event and file, is signed with a key derived from the secret key for this purpose alone, and expires 24 hours after the message was built. ' +
        'A changed token, or a file gone with its event, is a 404; an expired one a 410.',
      security: [],
      parameters: [path('token', 'The signed token of the link')],
      responses: { '200': { description: 'The file, with its type and name (Content-Disposition)', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } }, ...errors(404, 410) },
    },
  },
  '/v1/workflows': {
    get: { tags: ['workflows'], summary: "List the tenant's workflows, bundled ones included (`source`)", responses: { '200': json(Items(Ref('Workflow'))), ...errors(401) } },
  },
  '/v1/workflows/{key}': {
    get: { tags: ['workflows'], summary: 'Read a workflow (the tenant\'s own, else the bundled one)', parameters: [path('key', 'Workflow key')], responses: { '200': json(ref('Workflow')), ...errors(401, 404) } },
    put: {
      tags: ['workflows'],
      summary: 'Create or replace a workflow (overrides a bundled one of the same key)',
      description:
        'Every channel the workflow can send on (`channels`, `fallbacks`, escalation steps, a digest\'s channels) needs a template in some locale: inline under `templates` ' +
        '(saved as published versions in the tenant\'s default locale), a published version, or a bundled one. Otherwise 422 `CLARION_ERR_WORKFLOW_TEMPLATE_MISSING`, ' +
        '`errors` pointing at each channel (`/channels/1`, `/fallbacks/email/0`, `/plugins/escalation/steps/1/channels/0`).',
      parameters: [path('key', 'Workflow key: lower-case letters, digits, . _ -')],
      requestBody: body(ref('WorkflowDefinition')),
      responses: { '201': json(ref('Workflow'), 'Created'), '200': json(ref('Workflow')), ...errors(400, 401, 415, 422) },
    },
    delete: { tags: ['workflows'], summary: "Delete the tenant's workflow (a bundled one of that key applies again)", parameters: [path('key', 'Workflow key')], responses: { '204': { description: 'Deleted' }, ...errors(401, 404, 409) } },
  },
  '/v1/workflows/{key}/variants/{variant}/win': {
    post: {
      tags: ['workflows'],
      summary: "End the workflow's A/B test with this variant as the winner",
      description:
        "The winner's own template (if it has one; otherwise the control, the published template, stays) is published as the channel's template in the tenant's default locale, " +
        'and the workflow goes on without `abTest`, in one transaction. Deliveries sent during the test keep their variant (`GET /v1/analytics?groupBy=variant`). 404 when no test runs or it has no such variant.',
      parameters: [path('key', 'Workflow key'), path('variant', "The winning variant's key")],
      responses: { '200': json(ref('Workflow')), ...errors(401, 404, 422) },
    },
  },
  '/v1/subscribers': {
    get: { tags: ['subscribers'], summary: 'List subscribers (by id)', parameters: queryParameters(subscriberListQuery), responses: { '200': json(page('Subscriber')), ...errors(400, 401) } },
  },
  '/v1/subscribers:bulk': {
    post: {
      tags: ['subscribers'],
      summary: 'Create or update up to 10,000 subscribers in one call',
      description:
        'Each item is judged as `PUT /v1/subscribers/{subscriberId}` judges one, and sets only the fields it gives (the others are kept). Valid items are written (in ' +
        'transactions of 500), refused ones are listed with their `index`, `id`, code and failing fields (`/subscribers/3/email`): one bad row holds back nothing. ' +
        'An erased id is refused with `CLARION_ERR_SUBSCRIBER_ERASED`; an id repeated within one call is refused the second time. The body is bounded by ' +
        '`CLARION_MAX_BODY_BYTES` like every other (1 MiB by default: about 5,000 small subscribers). `clarion subscribers import` sends files through this route.',
      requestBody: body(ref('SubscriberBulk')),
      responses: { '200': json(ref('SubscriberBulkResult')), ...errors(400, 401, 413, 415) },
    },
  },
  '/v1/subscribers/{subscriberId}': {
    get: { tags: ['subscribers'], summary: 'Read a subscriber', parameters: [path('subscriberId', "The tenant's own id for the person")], responses: { '200': json(ref('Subscriber')), ...errors(401, 404) } },
    put: {
      tags: ['subscribers'],
      summary: 'Create or replace a subscriber',
      description:
        'An id that was erased (`DELETE`) is refused with 409 `CLARION_ERR_SUBSCRIBER_ERASED` unless the body says `"reactivate": true`: ' +
        'then a new subscriber is created under the id (201) and events reach it again; the erased history stays anonymous, attached to no one.',
      parameters: [path('subscriberId', "The tenant's own id for the person")],
      requestBody: body(ref('SubscriberPut')),
      responses: { '201': json(ref('Subscriber'), 'Created'), '200': json(ref('Subscriber')), ...errors(400, 401, 409, 415, 422) },
    },
    delete: {
      tags: ['subscribers'],
      summary: "Erase a subscriber (GDPR): their personal data removed wherever Clarion stored it; the id is remembered so later events naming it reach no one",
      description:
        'In one transaction: the subscriber row keeps only a marker (a hash of the id); inbox items, sandbox outbox copies, digests, rate-limit and dedup state and ' +
        'their preferences are deleted; their notifications lose their rendered content and decision details, queued work is cancelled; their deliveries and attempts ' +
        "lose the provider's messages and responses; events lose the entries naming them and their email, phone and name; webhook messages and the audit trail " +
        'lose their id, email and phone. The `subscriber.erased` audit entry counts what was removed. README "Erasing a subscriber" lists what each table keeps.',
      parameters: [path('subscriberId', "The tenant's own id for the person")],
      responses: { '204': { description: 'Erased' }, ...errors(401, 404) },
    },
  },
  '/v1/adapters': {
    get: { tags: ['providers'], summary: 'Installed channel adapters and their configuration schemas', responses: { '200': json(Items(Ref('Adapter'))), ...errors(401) } },
  },
  '/v1/providers': {
    get: { tags: ['providers'], summary: "The tenant's provider configurations (secrets masked)", parameters: queryParameters(providerListQuery), responses: { '200': json(Items(Ref('Provider'))), ...errors(400, 401) } },
    post: { tags: ['providers'], summary: 'Add a provider configuration (credentials encrypted at rest)', requestBody: body(ref('ProviderInput')), responses: { '201': json(ref('Provider'), 'Created'), ...errors(400, 401, 415, 422) } },
  },
  '/v1/providers/{id}': {
    get: { tags: ['providers'], summary: 'Read a provider configuration (secrets masked)', parameters: [path('id', 'Provider id')], responses: { '200': json(ref('Provider')), ...errors(401, 404) } },
    patch: {
      tags: ['providers'],
      summary: 'Change a provider: name, priority, enabled, config (merged; secrets left out or sent masked keep their value; null removes a key)',
      parameters: [path('id', 'Provider id')],
      requestBody: body(ref('ProviderPatch')),
      responses: { '200': json(ref('Provider')), ...errors(400, 401, 404, 415, 422) },
    },
    delete: { tags: ['providers'], summary: 'Delete a provider configuration', parameters: [path('id', 'Provider id')], responses: { '204': { description: 'Deleted' }, ...errors(401, 404) } },
  },
  '/v1/providers/{id}/test': {
    post: {
      tags: ['providers'],
      summary: 'Send a test message through this provider (nothing is recorded as a delivery)',
      parameters: [path('id', 'Provider id')],
      requestBody: body(providerTestInputSchema),
      responses: { '200': json(providerTestResultSchema), ...errors(400, 401, 404, 415, 422) },
    },
  },
  '/v1/providers/{adapter}/callbacks/{providerId}': {
    post: {
      tags: ['providers'],
      summary: "Provider callbacks: delivery receipts, inbound messages (STOP, ACK), voice keypresses. Verified by the adapter with the provider's signature; no API key",
      security: [],
      parameters: [path('adapter', 'Adapter name, e.g. twilio-sms'), path('providerId', 'Provider id')],
      requestBody: { required: false, content: { 'application/x-www-form-urlencoded': { schema: AnyObject() }, 'application/json': { schema: {} } } },
      responses: { '200': { description: 'Applied; the body is what the provider expects (TwiML, empty)', content: { '*/*': { schema: {} } } }, ...errors(401, 403, 404) },
    },
    get: {
      tags: ['providers'],
      summary: "Provider verification handshakes (Meta's hub.challenge)",
      security: [],
      parameters: [path('adapter', 'Adapter name'), path('providerId', 'Provider id')],
      responses: { '200': { description: 'The challenge echoed back', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors(401, 403, 404) },
    },
  },
  '/v1/notifications': {
    get: {
      tags: ['notifications'],
      summary: 'List notifications, newest first',
      parameters: queryParameters(notificationListQuery),
      responses: { '200': json(page('Notification')), ...errors(400, 401) },
    },
  },
  '/v1/notifications/{id}': {
    get: { tags: ['notifications'], summary: 'A notification with its pipeline decisions, deliveries and every attempt', parameters: [path('id', 'Notification id')], responses: { '200': json(ref('NotificationDetail')), ...errors(401, 404) } },
  },
  '/v1/deliveries': {
    get: {
      tags: ['deliveries'],
      summary: 'List deliveries; `?status=dead` is the dead-letter view',
      parameters: queryParameters(deliveryListQuery),
      responses: { '200': json(page('Delivery')), ...errors(400, 401) },
    },
  },
  '/v1/deliveries/{id}': {
    get: { tags: ['deliveries'], summary: 'A delivery with its attempts', parameters: [path('id', 'Delivery id')], responses: { '200': json(ref('DeliveryDetail')), ...errors(401, 404) } },
  },
  '/v1/deliveries/{id}/requeue': {
    post: { tags: ['deliveries'], summary: 'Send a dead or failed delivery again (attempts and providers start over)', parameters: [path('id', 'Delivery id')], responses: { '202': json(ref('DeliveryDetail'), 'Requeued'), ...errors(401, 404, 409) } },
  },
  '/v1/outbox': {
    get: { tags: ['deliveries'], summary: 'What the sandbox adapter recorded instead of sending', parameters: queryParameters(outboxQuery), responses: { '200': json(page('OutboxMessage')), ...errors(400, 401) } },
  },
  '/v1/audit': {
    get: { tags: ['audit'], summary: 'The audit trail: who did what to what, newest first', parameters: queryParameters(auditQuery), responses: { '200': json(page('AuditEntry')), ...errors(400, 401) } },
  },
};


export const deliverySchemas = {
  WorkflowDefinition: { ...workflowSchema, $id: undefined },
  Workflow: workflowViewSchema,
  SubscriberInput: subscriberInputSchema,
  SubscriberPut: subscriberPutSchema,
  Subscriber: subscriberViewSchema,
  SubscriberBulk: subscriberBulkSchema,
  SubscriberBulkResult: bulkResultSchema,
  Adapter: adapterViewSchema,
  ProviderInput: providerInputSchema,
  ProviderPatch: providerPatchSchema,
  ProviderPrice: providerPriceSchema,
  Provider: providerViewSchema,
  Notification: notificationViewSchema,
  NotificationDetail: notificationDetailSchema,
  Delivery: deliveryViewSchema,
  Attempt: attemptViewSchema,
  Interaction: interactionViewSchema,
  DeliveryDetail: deliveryDetailSchema,
  OutboxMessage: outboxMessageSchema,
  AuditEntry: auditEntrySchema,
};
