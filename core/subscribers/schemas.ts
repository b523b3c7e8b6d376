import type { Device } from '@clarion/adapter-kit';
import { AnyObject, DateTime, Nullable, NullableString, StringEnum, Type, Uuid, type Static } from '../kernel/schema.ts';
import { fieldErrorSchema } from '../errors.ts';
import { deviceSchema, MAX_DEVICES } from './devices.ts';

/**
 * A subscriber as the API takes it and answers it, once: `service.ts` validates with these
 * schemas, `core/delivery/openapi.ts` documents them, and the types below follow from them.
 */

/** The tenant's own id for a person. */
export const EXTERNAL_ID = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,199}$/;

const labels = (what: string) => Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 200, uniqueItems: true, description: what });

const fields = {
  name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 320 }))),
  phone: Type.Optional(Nullable(Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$' }), { description: 'E.164, e.g. +14155550100' })),
  locale: Type.Optional(Nullable(Type.String({ pattern: '^[a-zA-Z]{2,3}([-_][A-Za-z0-9]{2,8})*$' }), { description: 'BCP 47, e.g. fr-CA' })),
  timezone: Type.Optional(Nullable(Type.String({ maxLength: 64 }), { description: 'IANA, e.g. Europe/Paris' })),
  devices: Type.Optional(Type.Array(Type.Unsafe<Device>(deviceSchema), { maxItems: MAX_DEVICES })),
  chat: Type.Optional(AnyObject({ description: 'e.g. {"slack": {"channel": "C123"}, "teams": {"webhookUrl": "..."}}' })),
  teams: Type.Optional(labels('Teams the person belongs to (recipients `team:<id>`)')),
  projects: Type.Optional(labels('Projects the person belongs to (recipients `project:<id>`)')),
  data: Type.Optional(AnyObject({ description: 'Anything templates may use as `subscriber.data`' })),
};

/**
 * What the schema checks; `devices` is checked per platform by `deviceProblems` (devices.ts),
 * whose errors say what that kind of device needs rather than listing every branch of a union.
 */
const checked = { ...fields, devices: Type.Optional(Type.Array(Type.Unknown())) };

export const subscriberInputSchema = Type.Object(fields, { additionalProperties: false });
export type SubscriberInput = Static<typeof subscriberInputSchema>;
export const subscriberInputChecks = Type.Object(checked, { additionalProperties: false });

export const subscriberPutSchema = Type.Object(
  { ...fields, reactivate: Type.Optional(Type.Boolean({ writeOnly: true, description: 'Create the subscriber again although the id was erased (not stored)' })) },
  { additionalProperties: false },
);

/** A subscriber given inline in an event's recipients (upserted by its `id`). */
export const inlineSubscriberChecks = Type.Object(
  { id: Type.String({ pattern: EXTERNAL_ID.source }), subscriberId: Type.Optional(Type.String()), ...checked },
  { additionalProperties: false },
);

export const subscriberViewSchema = Type.Object({
  id: Uuid(),
  subscriberId: Type.String({ description: "The tenant's own id for the person" }),
  name: Nullable(Type.String()),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  locale: Nullable(Type.String()),
  timezone: Nullable(Type.String()),
  devices: Type.Array(Type.Unsafe<Device>(deviceSchema)),
  chat: AnyObject(),
  teams: Type.Array(Type.String()),
  projects: Type.Array(Type.String()),
  data: AnyObject(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});
export type SubscriberView = Static<typeof subscriberViewSchema>;

/** Subscribers per `POST /v1/subscribers:bulk` call, at most. */
export const MAX_BULK = 10_000;

/**
 * `POST /v1/subscribers:bulk`: the items are inline subscribers (each with its `id`, judged as
 * `PUT /v1/subscribers/{subscriberId}` judges one). The service checks the envelope itself, with
 * errors that say how to split an import, and each item with `inlineSubscriberChecks`.
 */
export const subscriberBulkSchema = Type.Object(
  {
    subscribers: Type.Array(
      Type.Object({ id: Type.String({ pattern: EXTERNAL_ID.source, description: "The tenant's own id for the person" }), subscriberId: Type.Optional(Type.String({ description: 'Ignored: `id` names the person' })), ...fields }, { additionalProperties: false }),
      { minItems: 1, maxItems: MAX_BULK },
    ),
  },
  { additionalProperties: false },
);

export const bulkRefusalSchema = Type.Object({
  index: Type.Integer({ minimum: 0, description: 'Position of the item in `subscribers`' }),
  id: NullableString(),
  code: StringEnum(['CLARION_ERR_SUBSCRIBER_INVALID', 'CLARION_ERR_SUBSCRIBER_ERASED']),
  errors: Type.Array(fieldErrorSchema),
});
export type BulkRefusal = Static<typeof bulkRefusalSchema>;

export const bulkResultSchema = Type.Object({
  created: Type.Integer({ minimum: 0 }),
  updated: Type.Integer({ minimum: 0 }),
  refused: Type.Array(bulkRefusalSchema),
});
export type BulkResult = Static<typeof bulkResultSchema>;
