import { audit as writeAudit } from '../db/repositories/audit-log.ts';
import { DateTime, NullableDateTime, schemaAjv, Type, Uuid, type Static } from '../kernel/schema.ts';
import type { Knex } from 'knex';
import type { TtlCache } from '../cache.ts';
import { announceChange, localCaches, type CacheFactory } from '../cache-invalidation.ts';
import { keysetPage, type Page } from '../db/paging.ts';
import { ClarionError } from '../errors.ts';
import { API_KEY_COLUMNS, authenticate, hashApiKey, insertApiKey, type ApiKeyRow, type AuthenticatedKey } from '../tenants.ts';
import { toFieldErrors } from '../kernel/validation.ts';
import { isUuid } from '../kernel/ids.ts';

/**
 * The lifecycle of a tenant's API keys: list, create (the key is shown once), revoke. A revoked
 * key stays listed with its `revokedAt` and is refused by every process at once: the revocation
 * announces itself (core/cache-invalidation.ts) and each process drops the cached key.
 *
 * Decisions: a key may revoke itself (the request that does it completes; the next one gets 401).
 * The tenant's last active key is not revoked (409 CLARION_ERR_APIKEY_LAST_ACTIVE) unless the
 * operator forces it from the CLI, so a tenant cannot lock itself out by mistake. Revoking a key
 * already revoked changes nothing and is not an error.
 */

/** A key as the API shows it: never the key itself nor its hash (`GET /v1/api-keys`, the OpenAPI `ApiKey`). */
export const apiKeyViewSchema = Type.Object({
  id: Uuid(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first 10 characters of the key.' }),
  createdAt: DateTime(),
  lastUsedAt: NullableDateTime({ description: 'Approximate: noted at most once a minute, when a gateway looks the key up rather than using its cached answer.' }),
  revokedAt: NullableDateTime(),
});
export type ApiKeyView = Static<typeof apiKeyViewSchema>;

/** What `POST /v1/api-keys` answers: the view and, this once, the key (the OpenAPI `ApiKeyWithSecret`). */
export const apiKeySecretSchema = Type.Object({ key: Type.String({ description: 'The API key, shown only in this answer.' }) });
export type ApiKeyWithSecret = ApiKeyView & Static<typeof apiKeySecretSchema>;

/** The body of POST /v1/api-keys. */
export const apiKeyCreateSchema = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', description: 'A label, e.g. the system that uses the key.' }) },
  { additionalProperties: false },
);
const validateCreate = schemaAjv().compile<Static<typeof apiKeyCreateSchema>>(apiKeyCreateSchema);

export class ApiKeyService {
  readonly #knex: Knex;
  /** Bearer keys resolved to their tenant, by key hash. */
  readonly #cache: TtlCache<AuthenticatedKey | undefined>;

  constructor(knex: Knex, caches: CacheFactory = localCaches(0)) {
    this.#knex = knex;
    this.#cache = caches.cache('api_keys');
  }

  /** The tenant of a bearer key, or undefined for an unknown or revoked key (cached). */
  authenticate(apiKey: string): Promise<AuthenticatedKey | undefined> {
    return this.#cache.get(hashApiKey(apiKey), () => authenticate(this.#knex, apiKey));
  }

  /** Forgets the keys cached here (their tenant's settings changed); other processes hear it from the change. */
  forgetCached(): void {
    this.#cache.drop();
  }

  /** The tenant's keys, revoked ones included, newest first. */
  async list(tenantId: string, page: { limit: number; cursor?: string }): Promise<Page<ApiKeyView>> {
    const query = this.#knex('api_keys').where({ tenant_id: tenantId }).select([...API_KEY_COLUMNS]);
    return keysetPage(this.#knex, query, { ts: 'created_at', id: 'id' }, page, (row) => toView(row as unknown as ApiKeyRow));
  }

  async create(tenantId: string, body: unknown, actor: string): Promise<ApiKeyWithSecret> {
    if (!validateCreate(body)) {
      throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid API key', { errors: toFieldErrors(validateCreate.errors ?? []) });
    }
    const name = body.name.trim();
    return this.#knex.transaction(async (trx) => {
      await this.#requireTenant(trx, tenantId);
      const { apiKey, row } = await insertApiKey(trx, tenantId, name);
      await audit(trx, tenantId, actor, 'api_key.created', row.id, { name });
      return { ...toView(row), key: apiKey };
    });
  }

  /**
   * Revokes one of the tenant's keys; `revoked` is false when it already was. `allowLast` (the
   * operator, from the CLI) revokes the last active key too, leaving the tenant without a working
   * key until another is created.
   */
  async revoke(tenantId: string, id: string, actor: string, options: { allowLast?: boolean } = {}): Promise<{ key: ApiKeyView; revoked: boolean }> {
    let revokedHash: string | undefined;
    try {
      return await this.#knex.transaction(async (trx) => {
        await this.#requireTenant(trx, tenantId);
        // One revocation per tenant at a time: two at once must not each leave the other key as the last.
        await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`api_keys:${tenantId}`]);
        const row = isUuid(id) ? await trx('api_keys').where({ tenant_id: tenantId, id }).first([...API_KEY_COLUMNS, 'key_hash']) : undefined;
        if (!row) throw new ClarionError('CLARION_ERR_APIKEY_NOT_FOUND', `No API key ${id}`);
        if (row.revoked_at) return { key: toView(row), revoked: false };
        if (!options.allowLast) {
          const { n } = await trx('api_keys').where({ tenant_id: tenantId }).whereNull('revoked_at').count({ n: '*' }).first() as { n: number };
          if (n <= 1) {
            throw new ClarionError(
              'CLARION_ERR_APIKEY_LAST_ACTIVE',
              `API key ${id} is the tenant's last active key: create another one first (POST /v1/api-keys), then revoke this one`,
            );
          }
        }
        const [updated] = await trx('api_keys').where({ id }).update({ revoked_at: trx.fn.now() }).returning([...API_KEY_COLUMNS]);
        await audit(trx, tenantId, actor, 'api_key.revoked', id, { name: row.name, prefix: row.prefix });
        await announceChange(trx, 'api_keys', row.key_hash);
        revokedHash = row.key_hash;
        return { key: toView(updated), revoked: true };
      });
    } finally {
      // After the commit, so no request here caches the key again as valid.
      if (revokedHash) this.#cache.drop(revokedHash);
    }
  }

  async #requireTenant(trx: Knex, tenantId: string): Promise<void> {
    const found = isUuid(tenantId) ? await trx('tenants').where({ id: tenantId }).first('id') : undefined;
    if (!found) throw new ClarionError('CLARION_ERR_TENANT_NOT_FOUND', `No tenant has id ${tenantId}`);
  }
}

function audit(trx: Knex, tenantId: string, actor: string, action: string, keyId: string, summary: Record<string, unknown>): Promise<void> {
  return writeAudit(trx, tenantId, actor, action, keyId, summary, 'api_key');
}

function toView(row: ApiKeyRow): ApiKeyView {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return { id: row.id, name: row.name, prefix: row.prefix, createdAt: new Date(row.created_at).toISOString(), lastUsedAt: iso(row.last_used_at), revokedAt: iso(row.revoked_at) };
}
