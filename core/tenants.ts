import { audit } from './db/repositories/audit-log.ts';
import { isUuid } from './kernel/ids.ts';
import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { announceChange } from './cache-invalidation.ts';
import { ClarionError } from './errors.ts';
import { Type, type Static } from './kernel/schema.ts';
import { routingModeSchema } from './delivery/routing.ts';

/**
 * Tenants and their API keys. A key is 32 random bytes shown once at creation; only its SHA-256
 * is stored (a slow hash buys nothing against 256 bits of entropy and would slow every request).
 * Listing, creating and revoking keys: core/api-keys/service.ts.
 */

const KEY_PREFIX = 'ck_';

/**
 * The tenant's settings as stored: the fields of `tenantSettingsSchema` (below), checked by
 * PATCH /v1/tenant, and whatever older versions stored besides.
 */
export type TenantSettings = Static<typeof storedSettingsSchema> & { [key: string]: unknown };

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

/** What is kept of a key besides its hash (never returned). */
export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export const API_KEY_COLUMNS = ['id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at'] as const;

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
    await audit(trx, row.id, 'cli', 'tenant.created', row.id, { name }, 'tenant');
    await audit(trx, row.id, 'cli', 'api_key.created', key.keyId, { name: 'default' }, 'api_key');
    return { tenant: toTenant(row), apiKey: key.apiKey, keyId: key.keyId };
  });
}

/** Stores a new key (in the caller's transaction) and returns it: the only time it is seen. */
export async function insertApiKey(trx: Knex, tenantId: string, name: string): Promise<{ apiKey: string; keyId: string; row: ApiKeyRow }> {
  const apiKey = KEY_PREFIX + randomBytes(32).toString('base64url');
  const [row] = await trx('api_keys')
    .insert({ tenant_id: tenantId, name, prefix: apiKey.slice(0, 10), key_hash: hashApiKey(apiKey) })
    .returning([...API_KEY_COLUMNS]);
  return { apiKey, keyId: row.id, row };
}

export async function findTenant(knex: Knex, tenantId: string): Promise<TenantRow | undefined> {
  if (!isUuid(tenantId)) return undefined;
  const row = await knex('tenants').where({ id: tenantId }).first(['id', 'name', 'settings', 'created_at']);
  return row ? toTenant(row) : undefined;
}

/**
 * Resolves a bearer key to its tenant, or undefined for an unknown or revoked key. The same
 * statement notes when the key was used, at most once a minute: keys are looked up only when a
 * process has not cached them, so `last_used_at` can lag by that minute plus CLARION_CACHE_TTL_MS.
 */
export async function authenticate(knex: Knex, apiKey: string): Promise<AuthenticatedKey | undefined> {
  if (!apiKey.startsWith(KEY_PREFIX) || apiKey.length > 200) return undefined;
  const { rows } = await knex.raw(
    `with found as (
       select k.id as key_id, t.id, t.name, t.settings, t.created_at
         from api_keys k join tenants t on t.id = k.tenant_id
        where k.key_hash = ? and k.revoked_at is null),
     touched as (
       update api_keys set last_used_at = now()
        where id = (select key_id from found) and (last_used_at is null or last_used_at < now() - interval '1 minute'))
     select * from found`,
    [hashApiKey(apiKey)],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { keyId: row.key_id, tenant: toTenant(row) };
}

export async function updateTenantSettings(knex: Knex, tenantId: string, patch: TenantSettings, actor: string): Promise<TenantRow> {
  return knex.transaction(async (trx) => {
    const [row] = await trx('tenants')
      .where({ id: tenantId })
      .update({ settings: trx.raw('settings || ?::jsonb', [JSON.stringify(patch)]), updated_at: trx.fn.now() })
      .returning(['id', 'name', 'settings', 'created_at']);
    await audit(trx, tenantId, actor, 'tenant.settings_updated', tenantId, { changed: Object.keys(patch) }, 'tenant');
    // Authenticated keys are cached with their tenant's settings, by key hash: drop them all.
    await announceChange(trx, 'api_keys', '');
    return toTenant(row);
  });
}


function toTenant(row: { id: string; name: string; settings: TenantSettings; created_at: Date }): TenantRow {
  return { id: row.id, name: row.name, settings: row.settings ?? {}, createdAt: row.created_at };
}

/** Tenants as the gateway and the console see them (routes call this, never the tables). */
export class TenantService {
  readonly #knex: Knex;
  readonly #retentionMaxDays: number;

  /** `retentionMaxDays`: the operator's CLARION_RETENTION_MAX_DAYS, which no tenant setting exceeds. */
  constructor(knex: Knex, options: { retentionMaxDays: number }) {
    this.#knex = knex;
    this.#retentionMaxDays = options.retentionMaxDays;
  }

  find(tenantId: string): Promise<TenantRow | undefined> {
    return findTenant(this.#knex, tenantId);
  }

  /** Merges `patch` (already checked against tenantSettingsSchema) into the settings, within the operator's limits. */
  updateSettings(tenantId: string, patch: TenantSettings, actor: string): Promise<TenantRow> {
    if (typeof patch.retentionDays === 'number' && patch.retentionDays > this.#retentionMaxDays) {
      throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid tenant settings', {
        errors: [{ pointer: '/settings/retentionDays', message: `must be at most ${this.#retentionMaxDays} (the operator's maximum)` }],
      });
    }
    return updateTenantSettings(this.#knex, tenantId, patch, actor);
  }
}

/** The tenant's settings as PATCH /v1/tenant takes them (merged into the current ones), and as answered. */
const settingsFields = {
  acceptUnvalidatedTypes: Type.Optional(Type.Boolean({ description: 'Accept event types that have no contract' })),
  defaultLocale: Type.Optional(Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' })),
  brand: Type.Optional(
    Type.Object(
      {
        name: Type.Optional(Type.String({ maxLength: 200 })),
        color: Type.Optional(Type.String({ pattern: '^#[0-9a-fA-F]{6}$' })),
        logoUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
      },
      { additionalProperties: false },
    ),
  ),
  tracking: Type.Optional(
    Type.Object(
      {
        opens: Type.Optional(Type.Boolean({ description: 'Add a tracking pixel to HTML emails' })),
        clicks: Type.Optional(Type.Boolean({ description: 'Lead links of HTML emails through the signed click redirect' })),
      },
      { additionalProperties: false, description: "Email engagement tracking for the workflows that do not set their own `tracking` (critical workflows never inherit it). Off by default." },
    ),
  ),
  routing: Type.Optional(
    routingModeSchema(
      "Which of a channel's providers is tried first for the workflows that do not set their own `routing`: `priority` (default: ascending priority) or `leastCost` (the cheapest declared price for the recipient's country first: the providers' `price.byPrefix`, else their base price)",
    ),
  ),
  retentionDays: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 36500,
      description:
        "Days events, notifications, deliveries and their attempts, interactions, inbox items, attachments and webhook messages are kept; older ones are deleted daily, never while still pending. Unset: the operator's default (CLARION_RETENTION_DAYS, 90 unless changed); never more than the operator's maximum (CLARION_RETENTION_MAX_DAYS, 365 unless changed): a larger value is refused. Analytics figures are kept longer.",
    }),
  ),
  /** Limits of the files events may attach (`data.attachments`); the request body limit caps them too. */
  attachments: Type.Optional(
    Type.Object(
      {
        maxBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_485_760, description: 'Largest file, decoded (default 5 MiB, at most 10 MiB)' })),
        maxFiles: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'Most files an event attaches (default 5; 0 refuses attachments)' })),
        types: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z]+/[a-z0-9.+-]+$' }), { maxItems: 50, uniqueItems: true, description: 'Content types accepted (default: application/pdf, text/plain, text/csv, image/png, image/jpeg, text/calendar)' })),
      },
      { additionalProperties: false },
    ),
  ),
};
export const tenantSettingsSchema = Type.Object(settingsFields, { additionalProperties: false, minProperties: 1 });
export const tenantPatchSchema = Type.Object({ settings: tenantSettingsSchema }, { additionalProperties: false });
export type TenantPatch = Static<typeof tenantPatchSchema>;
/** Settings as stored: what PATCH accepted, and whatever older versions stored. */
const storedSettingsSchema = Type.Object(settingsFields);
export const tenantViewSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  settings: storedSettingsSchema,
  createdAt: Type.String({ format: 'date-time' }),
});
