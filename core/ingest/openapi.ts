import { DateTime, Dictionary, Nullable, NullableDateTime, NullableString, PagingQuery, StringEnum, Type, Uuid, type Static } from '../kernel/schema.ts';
import {
  MAX_DATACONTENTTYPE_BYTES, MAX_DATASCHEMA_BYTES, MAX_EXTENSION_VALUE_BYTES, MAX_EXTENSIONS, MAX_ID_BYTES, MAX_JSON_DEPTH, MAX_SOURCE_BYTES, MAX_SUBJECT_BYTES, MAX_TYPE_BYTES,
} from './limits.ts';

/**
 * The schemas of events and contracts in the OpenAPI document, defined once with TypeBox
 * (core/kernel/schema.ts): the CloudEvent as the intake takes it (its limits from ./limits.ts,
 * which the intake enforces byte for byte), the stored event, the ingest result and the
 * contracts. Their static types are what the routes answer.
 */

const ref = (name: string) => Type.Unsafe<unknown>({ $ref: `#/components/schemas/${name}` });

/**
 * A string of at most `bytes` UTF-8 bytes. JSON Schema's maxLength counts characters, so it is
 * stated as the bound it implies (no string over `bytes` characters fits) and the byte limit is said.
 */
export const limited = (bytes: number, options: Record<string, unknown> = {}) =>
  Type.String({ minLength: 1, maxLength: bytes, ...options, description: `${options.description ? `${String(options.description)} ` : ''}At most ${bytes} bytes (UTF-8).` });

export const cloudEventSchema = Type.Object(
  {
    specversion: Type.Literal('1.0'),
    id: limited(MAX_ID_BYTES),
    source: limited(MAX_SOURCE_BYTES, { format: 'uri-reference' }),
    type: limited(MAX_TYPE_BYTES),
    subject: Type.Optional(limited(MAX_SUBJECT_BYTES)),
    time: Type.Optional(DateTime({ description: 'RFC 3339, at most 9 fractional digits; kept as sent.' })),
    datacontenttype: Type.Optional(limited(MAX_DATACONTENTTYPE_BYTES)),
    dataschema: Type.Optional(limited(MAX_DATASCHEMA_BYTES, { format: 'uri' })),
    data: Type.Optional(Type.Unknown({ description: `Any JSON, nested at most ${MAX_JSON_DEPTH} levels; numbers must read back as sent (send larger or more precise ones as strings).` })),
    data_base64: Type.Optional(Type.String({ contentEncoding: 'base64' })),
  },
  {
    additionalProperties: {
      type: ['string', 'number', 'boolean'],
      maxLength: MAX_EXTENSION_VALUE_BYTES,
      description: `Extension attributes: names of 1-20 lower-case letters and digits, at most ${MAX_EXTENSIONS} per event, string values of at most ${MAX_EXTENSION_VALUE_BYTES} bytes (UTF-8).`,
    },
    maxProperties: 9 + MAX_EXTENSIONS, // the eight context attributes, data or data_base64, the extensions
  },
);

export const eventRefSchema = Type.Object({
  id: Type.String({ description: 'The CloudEvent id' }),
  source: Type.String(),
  eventId: Uuid({ description: "Clarion's id of the stored event" }),
});

export const ingestResultSchema = Type.Object({ accepted: Type.Array(ref('EventRef')), duplicates: Type.Array(ref('EventRef')) });
export type IngestResultView = Static<typeof ingestResultSchema>;

export const topicFanOutSchema = Type.Object(
  {
    id: Uuid(),
    workflow: Type.String(),
    topics: Type.Array(Type.String()),
    status: StringEnum(['running', 'done', 'cancelled']),
    streams: Type.Integer({ minimum: 1, description: 'Streams over ranges of subscriber ids whose pages ran at once (CLARION_TOPIC_STREAMS, for topics of more than two pages)' }),
    pages: Type.Integer({ minimum: 0 }),
    notifications: Type.Integer({ minimum: 0, description: "Notifications made so far (the event's `notifications` lists them with the others)" }),
    startedAt: DateTime(),
    finishedAt: NullableDateTime(),
  },
  { description: "The fan-out of the event to topics for one workflow, streamed in pages by the worker: members at the time it began, once each, never the event's own recipients nor its `exclude` list." },
);

export const EVENT_STATUSES = ['received', 'processing', 'processed', 'failed', 'cancelled'] as const;

/** `GET /v1/events`: documented (core/gateway/openapi.ts) and checked (queryReader; a repeat of status was always ignored) from this object. */
export const eventListQuery = Type.Object({
  ...PagingQuery(),
  type: Type.Optional(Type.String({ description: 'Only this event type.' })),
  source: Type.Optional(Type.String({ description: 'Only this source.' })),
  status: Type.Optional(StringEnum(EVENT_STATUSES, { description: 'Only this processing status.' })),
});

const eventSource = () => Type.Optional(Type.String({ description: 'Disambiguates a CloudEvent id used by several sources.' }));
/** `GET /v1/events/{id}`: documented and checked from this object. */
export const eventReadQuery = Type.Object({ source: eventSource() });
/** `DELETE /v1/events/{id}`: documented and checked from this object. */
export const eventCancelQuery = Type.Object({
  source: eventSource(),
  reason: Type.Optional(Type.String({ maxLength: 500, description: 'Why (at most 500 characters): kept on the event, the decisions and the audit trail.' })),
});
/** `GET /v1/contracts/{type}`: documented and checked from this object. */
export const contractReadQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1, description: 'A specific version.' })) });

export const storedEventSchema = Type.Object({
  id: Uuid(),
  status: StringEnum(EVENT_STATUSES, { description: '`cancelled`: cancelled before it was fanned out' }),
  error: Type.Optional(NullableString({ description: 'What went wrong processing it (recipients that cannot be resolved...)' })),
  notice: Type.Optional(NullableString({ description: 'Why a processed event produced nothing, when that is no error (no workflow for its type)' })),
  receivedAt: DateTime(),
  processedAt: Type.Optional(NullableDateTime()),
  contractVersion: Type.Optional(Nullable(Type.Integer())),
  cancelledAt: Type.Optional(NullableDateTime({ description: 'When it was cancelled (`DELETE /v1/events/{id}`, `POST /v1/cancellations`)' })),
  cancelReason: Type.Optional(NullableString()),
  deliverAfter: Type.Optional(NullableDateTime({ description: 'From the `deliverafter` extension: the event is fanned out at this time' })),
  cloudevent: ref('CloudEvent'),
});

export const contractSchema = Type.Object(
  {
    id: Nullable(Uuid(), { description: 'Null for a bundled contract' }),
    type: Type.String(),
    version: Nullable(Type.Integer(), { description: 'Null for a bundled contract' }),
    schema: Type.Unsafe<Record<string, unknown> | boolean>({ type: ['object', 'boolean'] }),
    createdAt: NullableDateTime(),
    bundled: Type.Boolean({ description: "True: the `schema.json` of a bundled workflow (the tenant's own contract for the type would replace it)" }),
    workflow: Type.Optional(Type.String({ description: 'Bundled contracts: the bundled workflow it comes from (`templates/<workflow>/schema.json`)' })),
    replacesBundled: Type.Optional(Type.Boolean({ description: "Tenant contracts: present (true) when it replaces a bundled workflow's contract" })),
  },
  { description: "A tenant's contract (a versioned row), or a bundled workflow's `schema.json` (`bundled: true`), in effect for its trigger type until the tenant registers its own." },
);
export type ContractView = Static<typeof contractSchema>;

export const readinessSchema = Type.Object({
  status: Type.Optional(StringEnum(['ready', 'not ready'])),
  checks: Type.Optional(Dictionary(Type.String())),
});

export const ingestSchemas = {
  CloudEvent: cloudEventSchema,
  EventRef: eventRefSchema,
  IngestResult: ingestResultSchema,
  TopicFanOut: topicFanOutSchema,
  StoredEvent: storedEventSchema,
  Contract: contractSchema,
  Readiness: readinessSchema,
};

/** What `GET /v1/events/{id}` adds to the stored event. */
export const eventDetailSchema = Type.Object({
  notifications: Type.Optional(Type.Array(ref('Notification'), { description: 'Its first 1000 notifications, oldest first (`topicFanOuts` counts those made for topics)' })),
  topicFanOuts: Type.Optional(Type.Array(ref('TopicFanOut'))),
});

/** What `GET /v1/contracts/{type}` adds to the contract. */
export const contractVersionsSchema = Type.Object({
  versions: Type.Optional(Type.Array(Type.Object({ version: Type.Optional(Type.Integer()), createdAt: Type.Optional(DateTime()) }))),
});

/** `PUT /v1/contracts/{type}`: the body is the JSON Schema itself. */
export const contractBodySchema = Type.Unsafe<Record<string, unknown> | boolean>({ type: ['object', 'boolean'] });
