import { Page, PageQuery, Type, queryParameters } from '../kernel/schema.ts';
import { apiKeyCreateSchema, apiKeySecretSchema, apiKeyViewSchema } from './service.ts';

/** The API key routes and schemas of the OpenAPI document (spread into core/gateway/openapi.ts). */

const problem = { $ref: '#/components/responses/Problem' };
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const Ref = (name: string) => Type.Unsafe<unknown>(ref(name));
const tags = ['api-keys'];

export const apiKeyPaths = {
  '/v1/api-keys': {
    get: {
      tags,
      summary: "List the tenant's API keys, newest first, revoked ones included",
      description: 'Never the keys themselves nor their hashes: each key is recognised by its `prefix`.',
      parameters: queryParameters(PageQuery),
      responses: {
        '200': json(Page(Ref('ApiKey'))),
        ...errors(400, 401),
      },
    },
    post: {
      tags,
      summary: 'Create an API key for the tenant',
      description: 'The answer carries the key (`ck_...`), shown this once (`Cache-Control: no-store`); only its SHA-256 is stored. Rotate a key by creating its successor, moving clients to it, then revoking the old one.',
      requestBody: {
        required: true,
        content: { 'application/json': { schema: apiKeyCreateSchema } },
      },
      responses: { '201': json(ref('ApiKeyWithSecret'), 'Created'), ...errors(400, 401, 415) },
    },
  },
  '/v1/api-keys/{id}': {
    delete: {
      tags,
      summary: 'Revoke an API key',
      description:
        'Every gateway refuses the key from the moment this answers. A key may revoke itself (this request completes; the next one gets 401). ' +
        "The tenant's last active key is not revoked (409): create another first. Revoking a revoked key changes nothing.",
      parameters: [{ name: 'id', in: 'path', required: true, description: "The key's id (not the key).", schema: { type: 'string' } }],
      responses: { '204': { description: 'Revoked' }, ...errors(401, 404, 409) },
    },
  },
};

export const apiKeySchemas = {
  ApiKey: apiKeyViewSchema,
  ApiKeyWithSecret: Type.Intersect([Ref('ApiKey'), apiKeySecretSchema]),
};
