import { DateTime, Dictionary, Nullable, NullableString, StringEnum, Type } from '../kernel/schema.ts';
import { preferenceSettingsSchema, SCOPES } from './model.ts';

/** OpenAPI paths and schemas of preferences, acknowledgements and signed links. */

const problem = { $ref: '#/components/responses/Problem' };
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const path = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const body = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });
const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const token = path('token', 'The signed token of the link');

const Ref = (name: string) => Type.Unsafe<unknown>(ref(name));

/**
 * The schemas of preferences, defined once with TypeBox (core/kernel/schema.ts): the settings
 * schema is the one `checkSettings` compiles; the others are what the routes answer.
 */
const preferenceInputSchema = Type.Object({ settings: Ref('PreferenceSettings') }, { additionalProperties: false });
const preferenceSchema = Type.Object({
  scope: StringEnum(SCOPES),
  scopeId: Type.String(),
  settings: Ref('PreferenceSettings'),
  updatedAt: Type.Optional(Nullable(DateTime())),
});
const subscriberPreferencesSchema = Type.Object({
  subscriberId: Type.String(),
  settings: Ref('PreferenceSettings'),
  inherited: Type.Array(Ref('Preference')),
  quietHours: Type.Optional(Nullable(Type.Object({}), { description: 'The quiet hours that apply, with the scope they come from' })),
  workflows: Type.Array(
    Type.Object({
      workflow: Type.Optional(Type.String()),
      category: Type.Optional(NullableString()),
      required: Type.Optional(Type.Boolean({ description: 'Required workflows ignore opt-outs' })),
      channels: Type.Optional(Dictionary(Type.Object({ enabled: Type.Optional(Type.Boolean()), source: Type.Optional(Nullable(Type.Object({}))) }))),
    }),
  ),
});
const acknowledgedSchema = Type.Object({
  acknowledged: Type.Literal(true),
  changed: Type.Boolean({ description: 'false when it was already acknowledged' }),
  notification: Type.Optional(Type.Object({})),
});
const tokenInputSchema = Type.Object({ ttlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 2592000, default: 86400 })) });
const tokenSchema = Type.Object({ token: Type.String(), expiresAt: DateTime() });
const unsubscribeFormSchema = Type.Object({ 'List-Unsubscribe': Type.Optional(Type.Literal('One-Click')) });

export const preferencePaths = {
  '/v1/subscribers/{subscriberId}/preferences': {
    get: {
      tags: ['subscribers'],
      summary: "A subscriber's own preferences, the inherited ones (tenant, teams, projects) and what applies to each workflow and channel",
      parameters: [path('subscriberId', "The tenant's own id for the person")],
      responses: { '200': json(ref('SubscriberPreferences')), ...errors(401, 404) },
    },
    put: {
      tags: ['subscribers'],
      summary: "Replace a subscriber's own preferences",
      parameters: [path('subscriberId', "The tenant's own id for the person")],
      requestBody: body(ref('PreferenceInput')),
      responses: { '200': json(ref('SubscriberPreferences')), ...errors(400, 401, 404, 415, 422) },
    },
  },
  '/v1/preferences/{scope}/{scopeId}': {
    get: {
      tags: ['subscribers'],
      summary: 'Preferences of one scope',
      parameters: [path('scope', 'tenant, team, project or subscriber'), path('scopeId', 'The tenant id (or `default`), a team id, a project id or a subscriber id')],
      responses: { '200': json(ref('Preference')), ...errors(400, 401, 404) },
    },
    put: {
      tags: ['subscribers'],
      summary: 'Replace the preferences of one scope (the most specific scope wins)',
      parameters: [path('scope', 'tenant, team, project or subscriber'), path('scopeId', 'The tenant id (or `default`), a team id, a project id or a subscriber id')],
      requestBody: body(ref('PreferenceInput')),
      responses: { '200': json(ref('Preference')), ...errors(400, 401, 404, 415, 422) },
    },
  },
  '/v1/notifications/{id}/ack': {
    post: {
      tags: ['notifications'],
      summary: "Acknowledge a notification: pending escalation steps stop. Authorization: the tenant's API key, or the subscriber's own token (POST /v1/subscribers/{subscriberId}/token), which acknowledges only that subscriber's notifications",
      security: [{ apiKey: [] }, { subscriberToken: [] }],
      parameters: [path('id', 'Notification id')],
      responses: { '200': json(acknowledgedSchema), ...errors(401, 404, 409) },
    },
  },
  '/v1/subscribers/{subscriberId}/token': {
    post: {
      tags: ['subscribers'],
      summary: "Issue the subscriber's own bearer token (for in-app clients): it acknowledges that subscriber's notifications and nothing else",
      parameters: [path('subscriberId', "The tenant's own id for the person")],
      requestBody: { required: false, content: { 'application/json': { schema: tokenInputSchema } } },
      responses: { '201': json(tokenSchema), ...errors(400, 401, 404) },
    },
  },
  '/v1/links/unsubscribe/{token}': {
    get: { tags: ['subscribers'], summary: 'Confirmation page of a one-click unsubscribe link (changes nothing)', security: [], parameters: [token], responses: { '200': html('Confirmation page'), '403': html('Invalid link') } },
    post: {
      tags: ['subscribers'],
      summary: 'One-click unsubscribe (RFC 8058: mail clients POST `List-Unsubscribe=One-Click`)',
      security: [],
      parameters: [token],
      requestBody: { required: false, content: { 'application/x-www-form-urlencoded': { schema: unsubscribeFormSchema } } },
      responses: { '200': html('Unsubscribed'), ...errors(403) },
    },
  },
  '/v1/links/ack/{token}': {
    get: { tags: ['notifications'], summary: 'Confirmation page of an acknowledgement link (changes nothing)', security: [], parameters: [token], responses: { '200': html('Confirmation page'), '403': html('Invalid link'), '410': html('Expired link') } },
    post: { tags: ['notifications'], summary: 'Acknowledge through a signed link', security: [], parameters: [token], responses: { '200': html('Acknowledged'), ...errors(403, 404, 409, 410) } },
  },
};

export const preferenceSchemas = {
  PreferenceSettings: preferenceSettingsSchema,
  PreferenceInput: preferenceInputSchema,
  Preference: preferenceSchema,
  SubscriberPreferences: subscriberPreferencesSchema,
};
