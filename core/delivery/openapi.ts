import { DELIVERY_STATUSES, NOTIFICATION_STATUSES } from '../notifications/status.ts';
import { workflowSchema, workflowViewSchema } from '../workflows/service.ts';
import { deviceSchema, MAX_DEVICES } from '../subscribers/devices.ts';

/** OpenAPI paths and schemas of workflows, subscribers, providers, notifications, deliveries, outbox and audit. */

const problem = { $ref: '#/components/responses/Problem' };
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const path = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const q = (name: string, description: string, schema: object = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });
const paging = [q('limit', 'Page size (1-200, default 50).', { type: 'integer', minimum: 1, maximum: 200 }), q('cursor', 'The `nextCursor` of the previous page.')];
const page = (item: string) => ({ type: 'object', required: ['items', 'nextCursor'], properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: ['string', 'null'] } } });
const body = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });
const channels = ['email', 'sms', 'push', 'whatsapp', 'voice', 'chat', 'webhook', 'in_app'];

export const deliveryPaths = {
  '/v1/workflows': {
    get: { tags: ['workflows'], summary: "List the tenant's workflows, bundled ones included (`source`)", responses: { '200': json({ type: 'object', properties: { items: { type: 'array', items: ref('Workflow') } } }), ...errors(401) } },
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
    get: { tags: ['subscribers'], summary: 'List subscribers (by id)', parameters: [...paging, q('team', 'Members of this team'), q('project', 'Members of this project')], responses: { '200': json(page('Subscriber')), ...errors(400, 401) } },
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
    get: { tags: ['providers'], summary: 'Installed channel adapters and their configuration schemas', responses: { '200': json({ type: 'object', properties: { items: { type: 'array', items: ref('Adapter') } } }), ...errors(401) } },
  },
  '/v1/providers': {
    get: { tags: ['providers'], summary: "The tenant's provider configurations (secrets masked)", parameters: [q('channel', 'Only this channel', { enum: channels })], responses: { '200': json({ type: 'object', properties: { items: { type: 'array', items: ref('Provider') } } }), ...errors(400, 401) } },
    post: { tags: ['providers'], summary: 'Add a provider configuration (credentials encrypted at rest)', requestBody: body(ref('ProviderInput')), responses: { '201': json(ref('Provider'), 'Created'), ...errors(400, 401, 415, 422) } },
  },
  '/v1/providers/{id}': {
    get: { tags: ['providers'], summary: 'Read a provider configuration (secrets masked)', parameters: [path('id', 'Provider id')], responses: { '200': json(ref('Provider')), ...errors(401, 404) } },
    patch: {
      tags: ['providers'],
      summary: 'Change a provider: name, priority, enabled, config (merged; secrets left out or sent masked keep their value; null removes a key)',
      parameters: [path('id', 'Provider id')],
      requestBody: body({ type: 'object', properties: { name: { type: ['string', 'null'] }, priority: { type: 'integer' }, enabled: { type: 'boolean' }, maxPerSecond: { type: ['integer', 'null'] }, price: ref('ProviderPrice'), config: { type: 'object' } } }),
      responses: { '200': json(ref('Provider')), ...errors(400, 401, 404, 415, 422) },
    },
    delete: { tags: ['providers'], summary: 'Delete a provider configuration', parameters: [path('id', 'Provider id')], responses: { '204': { description: 'Deleted' }, ...errors(401, 404) } },
  },
  '/v1/providers/{id}/test': {
    post: {
      tags: ['providers'],
      summary: 'Send a test message through this provider (nothing is recorded as a delivery)',
      parameters: [path('id', 'Provider id')],
      requestBody: body({ type: 'object', required: ['to'], properties: { to: { oneOf: [{ type: 'string', description: 'An email address or an E.164 phone number' }, { type: 'object', description: 'A recipient: {email, phone, devices, chat}' }] } } }),
      responses: { '200': json({ type: 'object', properties: { ok: { const: true }, providerMessageId: { type: ['string', 'null'] }, status: { type: 'string' }, details: { type: ['object', 'null'] }, durationMs: { type: 'integer' } } }), ...errors(400, 401, 404, 415, 422) },
    },
  },
  '/v1/providers/{adapter}/callbacks/{providerId}': {
    post: {
      tags: ['providers'],
      summary: "Provider callbacks: delivery receipts, inbound messages (STOP, ACK), voice keypresses. Verified by the adapter with the provider's signature; no API key",
      security: [],
      parameters: [path('adapter', 'Adapter name, e.g. twilio-sms'), path('providerId', 'Provider id')],
      requestBody: { required: false, content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' } }, 'application/json': { schema: {} } } },
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
      parameters: [
        ...paging,
        q('status', 'Only this status', { enum: [...NOTIFICATION_STATUSES] }),
        q('subscriber', 'Only this subscriber id'),
        q('workflow', 'Only this workflow key'),
        q('since', 'Created at or after (RFC 3339)', { type: 'string', format: 'date-time' }),
        q('until', 'Created before (RFC 3339)', { type: 'string', format: 'date-time' }),
      ],
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
      parameters: [...paging, q('status', 'Only this status', { enum: [...DELIVERY_STATUSES] }), q('channel', 'Only this channel', { enum: channels })],
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
    get: { tags: ['deliveries'], summary: 'What the sandbox adapter recorded instead of sending', parameters: [...paging, q('channel', 'Only this channel', { enum: channels }), q('to', 'Only messages to this subscriber id, email or phone')], responses: { '200': json(page('OutboxMessage')), ...errors(400, 401) } },
  },
  '/v1/audit': {
    get: { tags: ['audit'], summary: 'The audit trail: who did what to what, newest first', parameters: [...paging, q('targetType', 'e.g. workflow, provider, delivery, notification'), q('targetId', 'The target id'), q('action', 'e.g. provider.created')], responses: { '200': json(page('AuditEntry')), ...errors(400, 401) } },
  },
};

const nullableString = { type: ['string', 'null'] };
const time = { type: ['string', 'null'], format: 'date-time' };

export const deliverySchemas = {
  WorkflowDefinition: { ...workflowSchema, $id: undefined },
  Workflow: workflowViewSchema,
  SubscriberInput: {
    type: 'object',
    properties: {
      name: nullableString,
      email: { type: ['string', 'null'], format: 'email' },
      phone: { type: ['string', 'null'], description: 'E.164, e.g. +14155550100' },
      locale: { type: ['string', 'null'], description: 'BCP 47, e.g. fr-CA' },
      timezone: { type: ['string', 'null'], description: 'IANA, e.g. Europe/Paris' },
      devices: { type: 'array', maxItems: MAX_DEVICES, items: deviceSchema },
      chat: { type: 'object', description: 'e.g. {"slack": {"channel": "C123"}, "teams": {"webhookUrl": "..."}}' },
      teams: { type: 'array', items: { type: 'string' } },
      projects: { type: 'array', items: { type: 'string' } },
      data: { type: 'object' },
    },
  },
  SubscriberPut: {
    allOf: [
      ref('SubscriberInput'),
      { type: 'object', properties: { reactivate: { type: 'boolean', writeOnly: true, description: 'Create the subscriber again although the id was erased (not stored)' } } },
    ],
  },
  Subscriber: { allOf: [ref('SubscriberInput'), { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, subscriberId: { type: 'string' }, createdAt: time, updatedAt: time } }] },
  Adapter: { type: 'object', properties: { name: { type: 'string' }, channel: { enum: channels }, channels: { type: 'array', items: { enum: channels } }, implicit: { type: 'boolean' }, description: { type: 'string' }, packageName: { type: 'string' }, configSchema: { type: 'object' } } },
  ProviderInput: {
    type: 'object',
    required: ['channel', 'adapter', 'config'],
    properties: {
      channel: { enum: channels },
      adapter: { type: 'string', description: 'An installed adapter (GET /v1/adapters)' },
      name: { type: 'string' },
      priority: { type: 'integer', minimum: 0, maximum: 1000, description: 'Providers of a channel are tried in ascending priority' },
      enabled: { type: 'boolean' },
      maxPerSecond: { type: ['integer', 'null'], minimum: 1, maximum: 100000, description: 'Throughput cap: at most this many messages per second through this provider, across all workers' },
      price: { ...ref('ProviderPrice'), description: 'What a message through this provider costs (summed as cost in the analytics); null: not declared' },
      config: { type: 'object', description: "Validated against the adapter's configSchema. A value may be a reference: env:NAME or file:/path" },
    },
  },
  ProviderPrice: {
    type: ['object', 'null'],
    required: ['currency'],
    additionalProperties: false,
    description: 'One of perMessage or perSegment (SMS: per segment of the text, GSM-7 or UCS-2); a price the provider reports itself (Twilio) wins',
    properties: {
      currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217' },
      perMessage: { type: 'number', minimum: 0, maximum: 1000 },
      perSegment: { type: 'number', minimum: 0, maximum: 1000 },
    },
  },
  Provider: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      channel: { enum: channels },
      adapter: { type: 'string' },
      name: nullableString,
      priority: { type: 'integer' },
      enabled: { type: 'boolean' },
      maxPerSecond: { type: ['integer', 'null'] },
      price: ref('ProviderPrice'),
      config: { type: 'object', description: 'Secrets masked as ********' },
      circuit: { type: 'object', properties: { state: { enum: ['closed', 'open', 'half_open'] }, changedAt: time } },
      lastError: nullableString,
      lastErrorAt: { type: ['string', 'null'], format: 'date-time', description: 'When lastError happened' },
      createdAt: time,
      updatedAt: time,
    },
  },
  Notification: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      eventId: { type: 'string', format: 'uuid' },
      subscriberId: { type: ['string', 'null'], description: 'null once the subscriber was erased' },
      workflow: { type: 'string' },
      priority: { enum: ['low', 'normal', 'high', 'critical'] },
      status: { enum: [...NOTIFICATION_STATUSES], description: 'Rolled up from its deliveries: partially_delivered when some channels reached the recipient and the others failed for good' },
      channels: { type: 'array', items: { enum: channels } },
      decisions: { type: 'array', items: { type: 'object', properties: { plugin: { type: 'string' }, decision: { enum: ['continue', 'suppress', 'defer', 'batch', 'schedule'] }, reason: { type: 'string' }, at: { type: 'string' } } } },
      scheduledFor: time,
      seenAt: time,
      readAt: time,
      acknowledgedAt: time,
      openedAt: { ...time, description: 'The first genuine open on any channel (tracking pixel, provider open event, read receipt; a click implies it); machine prefetches do not count' },
      clickedAt: { ...time, description: 'The first genuine click on any channel' },
      createdAt: time,
      updatedAt: time,
    },
  },
  NotificationDetail: {
    allOf: [
      ref('Notification'),
      { type: 'object', properties: { content: { type: ['object', 'null'] }, deliveries: { type: 'array', items: ref('DeliveryDetail') }, interactions: { type: 'array', items: ref('Interaction'), description: 'Opens, clicks, dismissals, replies and actions, oldest first (at most 1000)' } } },
    ],
  },
  Interaction: {
    type: 'object',
    required: ['id', 'notificationId', 'kind', 'source', 'prefetch', 'occurredAt'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      notificationId: { type: 'string', format: 'uuid' },
      deliveryId: nullableString,
      kind: { enum: ['open', 'click', 'dismiss', 'reply', 'action'] },
      channel: { enum: [...channels, null] },
      source: { enum: ['pixel', 'redirect', 'provider', 'api', 'inbox'], description: "How Clarion learnt of it: its tracking pixel or click redirect, a provider's event, the API, the inbox" },
      adapter: nullableString,
      link: { ...nullableString, description: "A click's target" },
      action: { ...nullableString, description: "An action's name (acknowledge, a button's action)" },
      userAgent: nullableString,
      ip: { ...nullableString, description: 'The network it came from: the address truncated to its /24 (IPv4) or /48 (IPv6)' },
      prefetch: { type: 'boolean', description: 'A machine fetched it (Apple Mail Privacy Protection, a link scanner, a provider\'s machine-open flag): not counted as engagement' },
      occurredAt: time,
    },
  },
  Delivery: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      notificationId: { type: 'string', format: 'uuid' },
      channel: { enum: channels },
      status: { enum: [...DELIVERY_STATUSES] },
      providerId: nullableString,
      adapter: nullableString,
      attemptCount: { type: 'integer' },
      providerMessageId: nullableString,
      error: { type: ['object', 'null'], properties: { class: { enum: ['transient', 'permanent', 'config'] }, code: nullableString, message: nullableString } },
      nextAttemptAt: time,
      failingSince: { ...time, description: 'When the current run of transient failures began' },
      fallbackOf: nullableString,
      sentAt: time,
      deliveredAt: time,
      openedAt: { ...time, description: 'The first genuine open of this delivery' },
      clickedAt: { ...time, description: 'The first genuine click of this delivery' },
      cost: {
        type: ['object', 'null'], required: ['amount', 'currency'], properties: { amount: { type: 'number' }, currency: { type: 'string' } },
        description: "What the message cost: the provider's own figure (Twilio's price) or the provider configuration's declared price; null when neither says",
      },
      createdAt: time,
      updatedAt: time,
    },
  },
  Attempt: {
    type: 'object',
    properties: {
      attempt: { type: 'integer' },
      providerId: nullableString,
      adapter: nullableString,
      outcome: { enum: ['success', 'transient', 'permanent', 'config', 'circuit_open'] },
      errorCode: nullableString,
      errorScope: { enum: ['recipient', 'provider', null], description: 'Permanent failures: about the recipient (the fallback channel took over) or the provider (the next provider was tried)' },
      errorMessage: nullableString,
      probe: { type: 'boolean', description: 'The probe of a half-open circuit: its failure spent none of the delivery\'s attempts' },
      providerMessageId: nullableString,
      response: nullableString,
      startedAt: time,
      durationMs: { type: 'integer' },
    },
  },
  DeliveryDetail: { allOf: [ref('Delivery'), { type: 'object', properties: { attempts: { type: 'array', items: ref('Attempt') } } }] },
  OutboxMessage: { type: 'object', properties: { id: { type: 'string' }, adapter: { type: 'string' }, channel: { enum: channels }, notificationId: nullableString, deliveryId: nullableString, to: { type: 'object' }, content: { type: 'object' }, headers: { type: ['object', 'null'] }, createdAt: time } },
  AuditEntry: { type: 'object', properties: { id: { type: 'integer' }, actor: { type: 'string' }, action: { type: 'string' }, targetType: { type: 'string' }, targetId: nullableString, summary: { type: 'object' }, createdAt: time } },
};
