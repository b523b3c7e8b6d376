import { DEFAULT_TOKEN_SECONDS, INBOX_SCOPES, MAX_TOKEN_SECONDS } from './auth.ts';

/** OpenAPI paths and schemas of the in-app inbox: browser authentication, feed, stream, widget. */

const problem = { $ref: '#/components/responses/Problem' };
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const path = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const body = (schema: object, required = true) => ({ required, content: { 'application/json': { schema } } });
export const subscriberOnly = [{ inboxToken: [] }];

const tokenOptions = {
  ttlSeconds: { type: 'integer', minimum: 60, maximum: MAX_TOKEN_SECONDS, default: DEFAULT_TOKEN_SECONDS, description: 'How long the token is valid' },
  scopes: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...INBOX_SCOPES] }, description: 'What the token may do (default: all): read the feed and stream, change item states, read and change the subscriber\'s own preferences' },
};

export const inboxPaths: Record<string, Record<string, unknown>> = {
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
      requestBody: body({ type: 'object', additionalProperties: false, properties: tokenOptions }, false),
      responses: { '201': json(ref('InboxToken')), ...errors(401, 415, 422) },
    },
  },
  '/v1/inbox/session': {
    post: {
      tags: ['inbox'],
      summary: 'Exchange a subscriber hash (HMAC-SHA256 of the subscriber id under the inbox secret, hex; the scheme Novu uses) for an inbox token',
      security: [],
      requestBody: body({
        type: 'object',
        additionalProperties: false,
        required: ['tenantId', 'subscriberId', 'subscriberHash'],
        properties: { tenantId: { type: 'string', format: 'uuid' }, subscriberId: { type: 'string' }, subscriberHash: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' }, ...tokenOptions },
      }),
      responses: { '201': json(ref('InboxToken')), ...errors(400, 401, 415, 422) },
    },
  },
};

export const inboxSchemas = {
  InboxSecret: {
    type: 'object',
    required: ['secret', 'rotatedAt'],
    properties: { secret: { type: 'string', description: 'Keep it on your servers: anyone holding it can open any subscriber\'s inbox' }, rotatedAt: { type: 'string', format: 'date-time' } },
  },
  InboxToken: {
    type: 'object',
    required: ['token', 'expiresAt', 'scopes'],
    properties: { token: { type: 'string', description: '`cin_...`: send as Authorization: Bearer, or as the `token` attribute of `<clarion-inbox>`' }, expiresAt: { type: 'string', format: 'date-time' }, scopes: { type: 'array', items: { enum: [...INBOX_SCOPES] } } },
  },
};

