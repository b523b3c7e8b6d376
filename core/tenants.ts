import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { announceChange } from './cache-invalidation.ts';
import { ClarionError } from './errors.ts';
import type { TenantSettings } from './db/models/index.ts';

/**
 * Tenants and their API keys. A key is 32 random bytes shown once at creation; only its SHA-256
 * is stored (a slow hash buys nothing against 256 bits of entropy and would slow every request).
 */

const KEY_PREFIX = 'ck_';

export interface TenantRow {
  id: string;
  name: string;
  settings: TenantSettings;
  createdAt: Date;
}

export interface AuthenticatedKey {
  keyId: string;
  tenant: TenantRow;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export async function createTenant(
  knex: Knex,
  input: { name: string; settings?: TenantSettings },
): Promise<{ tenant: TenantRow; apiKey: string; keyId: string }> {
  const name = input.name?.trim();
  if (!name) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'A tenant needs a name', { errors: [{ pointer: '/name', message: 'must be a non-empty string' }] });
  return knex.transaction(async (trx) => {
    const [row] = await trx('tenants')
      .insert({ name, settings: JSON.stringify(input.settings ?? {}) })
      .returning(['id', 'name', 'settings', 'created_at']);
    const key = await insertApiKey(trx, row.id, 'default');
    await trx('audit_logs').insert({ tenant_id: row.id, actor: 'cli', action: 'tenant.created', target_type: 'tenant', target_id: row.id, summary: JSON.stringify({ name }) });
    return { tenant: toTenant(row), apiKey: key.apiKey, keyId: key.keyId };
  });
}

export async function createApiKey(knex: Knex, tenantId: string, name = 'default'): Promise<{ apiKey: string; keyId: string }> {
  const tenant = await findTenant(knex, tenantId);
  if (!tenant) throw new ClarionError('CLARION_ERR_TENANT_NOT_FOUND', `No tenant has id ${tenantId}`);
  return knex.transaction(async (trx) => {
    const key = await insertApiKey(trx, tenantId, name);
    await trx('audit_logs').insert({ tenant_id: tenantId, actor: 'cli', action: 'api_key.created', target_type: 'api_key', target_id: key.keyId, summary: JSON.stringify({ name }) });
    return key;
  });
}

async function insertApiKey(trx: Knex, tenantId: string, name: string): Promise<{ apiKey: string; keyId: string }> {
  const apiKey = KEY_PREFIX + randomBytes(32).toString('base64url');
  const [row] = await trx('api_keys')
    .insert({ tenant_id: tenantId, name, prefix: apiKey.slice(0, 10), key_hash: hashApiKey(apiKey) })
    .returning(['id']);
  return { apiKey, keyId: row.id };
}

export async function findTenant(knex: Knex, tenantId: string): Promise<TenantRow | undefined> {
  if (!isUuid(tenantId)) return undefined;
  const row = await knex('tenants').where({ id: tenantId }).first(['id', 'name', 'settings', 'created_at']);
  return row ? toTenant(row) : undefined;
}

/** Resolves a bearer key to its tenant, or undefined for an unknown or revoked key. */
export async function authenticate(knex: Knex, apiKey: string): Promise<AuthenticatedKey | undefined> {
  if (!apiKey.startsWith(KEY_PREFIX) || apiKey.length > 200) return undefined;
  const row = await knex('api_keys as k')
    .join('tenants as t', 't.id', 'k.tenant_id')
    .where('k.key_hash', hashApiKey(apiKey))
    .whereNull('k.revoked_at')
    .first('k.id as key_id', 't.id', 't.name', 't.settings', 't.created_at');
  if (!row) return undefined;
  return { keyId: row.key_id, tenant: toTenant(row) };
}

export async function updateTenantSettings(knex: Knex, tenantId: string, patch: TenantSettings, actor: string): Promise<TenantRow> {
  return knex.transaction(async (trx) => {
    const [row] = await trx('tenants')
      .where({ id: tenantId })
      .update({ settings: trx.raw('settings || ?::jsonb', [JSON.stringify(patch)]), updated_at: trx.fn.now() })
      .returning(['id', 'name', 'settings', 'created_at']);
    await trx('audit_logs').insert({ tenant_id: tenantId, actor, action: 'tenant.settings_updated', target_type: 'tenant', target_id: tenantId, summary: JSON.stringify({ changed: Object.keys(patch) }) });
    // Authenticated keys are cached with their tenant's settings, by key hash: drop them all.
    await announceChange(trx, 'api_keys', '');
    return toTenant(row);
  });
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

function toTenant(row: { id: string; name: string; settings: TenantSettings; created_at: Date }): TenantRow {
  return { id: row.id, name: row.name, settings: row.settings ?? {}, createdAt: row.created_at };
}
