import type { Channel, OutboundAccess } from '@clarion/adapter-kit';
import { outboundValues, secretPaths } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import type { TtlCache } from '../cache.ts';
import { announceChange, localCaches, type CacheFactory } from '../cache-invalidation.ts';
import { seal, unseal, type Sealed } from '../crypto.ts';
import { ClarionError, type FieldError } from '../errors.ts';
import { audit } from '../db/repositories/audit-log.ts';
import type { AdapterRegistry } from './registry.ts';
import { REFERENCE, referencesOf, resolveReferences, type SecretRefPolicy } from './secret-refs.ts';
import { toFieldErrors } from '../kernel/validation.ts';
import { isUuid } from '../kernel/ids.ts';
import { schemaAjv, type Static } from '../kernel/schema.ts';
import { providerInputSchema, providerPatchSchema, type providerViewSchema } from './provider-schemas.ts';

const ajv = schemaAjv();
const validateInput = ajv.compile(providerInputSchema);
const validatePatch = ajv.compile(providerPatchSchema);

/**
 * A tenant's provider configurations (bring your own credentials). The config is validated
 * against the adapter's configSchema, sealed at rest (AES-256-GCM), and never returned in clear:
 * properties the schema marks `writeOnly` come back masked. A top-level value may also be a
 * reference, `env:NAME` or `file:/path`, resolved only where it is used (mounted secrets), and
 * only where the operator's CLARION_SECRET_REFS patterns allow it for the tenant. Fields that name
 * where the adapter connects (`"x-outbound"` in its schema) are checked against the operator's
 * outbound policy when saved; the policy checks resolved addresses again at every connection.
 */
export type ProviderView = Static<typeof providerViewSchema>;

export interface ProviderRecord {
  id: string;
  tenantId: string;
  channel: Channel;
  adapter: string;
  priority: number;
  updatedAt: Date;
  /** Throughput cap in messages per second (null: none). */
  maxPerSecond?: number | null;
  /** The declared price (null: none). */
  price?: ProviderPrice | null;
  /** The circuit as some process last recorded it (`open`: that process saw the provider down). */
  circuit?: { state: string; changedAt: Date | null };
}

export const MASK = '********';

/** A provider's declared price: per message, (SMS) per segment, or (voice) per started minute of a call. */
export interface ProviderPrice {
  /** ISO 4217, e.g. `EUR`. */
  currency: string;
  perMessage?: number;
  perSegment?: number;
  perMinute?: number;
  /** Prices by the recipient's number (E.164 digits it starts with, e.g. `44`, `1787`): the longest match replaces the base amount. */
  byPrefix?: Record<string, number>;
}

export interface ProviderServiceOptions {
  /** Which secret references tenants may use (CLARION_SECRET_REFS). */
  secretRefs: SecretRefPolicy;
  /** The operator's outbound policy, for the checks at save. */
  outbound: Pick<OutboundAccess, 'checkUrl' | 'checkHost'>;
  /** The process's configuration caches (invalidated across processes); local ones without TTL by default. */
  caches?: CacheFactory;
}

export class ProviderService {
  readonly #knex: Knex;
  readonly #registry: AdapterRegistry;
  readonly #key: () => Buffer;
  /** Each channel's enabled providers, read on every delivery. */
  readonly #channels: TtlCache<ProviderRecord[]>;
  readonly #secretRefs: SecretRefPolicy;
  readonly #outbound: ProviderServiceOptions['outbound'];

  constructor(knex: Knex, registry: AdapterRegistry, key: () => Buffer, options: ProviderServiceOptions) {
    this.#knex = knex;
    this.#registry = registry;
    this.#key = key;
    this.#channels = (options.caches ?? localCaches(0)).cache('providers');
    this.#secretRefs = options.secretRefs;
    this.#outbound = options.outbound;
  }

  async create(tenantId: string, input: unknown, actor: string): Promise<ProviderView> {
    const body = asObject(input);
    const errors: FieldError[] = validateInput(body) ? [] : toFieldErrors(validateInput.errors ?? []);
    const channel = body.channel as Channel;
    const adapterName = body.adapter;
    const priority = body.priority ?? 0;
    checkPrice(body.price, errors);
    if (typeof channel === 'string') checkPriceChannel(body.price, errors, channel);
    if (errors.length > 0) throw new ClarionError('CLARION_ERR_PROVIDER_INVALID_CONFIG', 'Invalid provider', { errors });
    const adapter = this.#registry.require(adapterName as string);
    if (!this.#registry.serves(adapterName as string, channel)) {
      const served = (adapter.definition.channels ?? [adapter.definition.channel]).join(', ');
      throw new ClarionError('CLARION_ERR_PROVIDER_INVALID_CONFIG', `Adapter ${adapterName} serves ${served}, not ${channel}`, {
        errors: [{ pointer: '/channel', message: `must be one of ${served} for adapter ${adapterName}` }],
      });
    }
    const config = body.config as Record<string, unknown>;
    this.#validate(tenantId, adapterName as string, config);
    return this.#changed(tenantId, this.#knex.transaction(async (trx) => {
      const [row] = await trx('provider_configs')
        .insert({
          tenant_id: tenantId,
          channel,
          adapter: adapterName,
          name: body.name ?? null,
          priority,
          enabled: body.enabled ?? true,
          max_per_second: body.maxPerSecond ?? null,
          price: body.price ? JSON.stringify(body.price) : null,
          config_encrypted: JSON.stringify(seal(this.#key(), config)),
        })
        .returning('*');
      await audit(trx, tenantId, actor, 'provider.created', row.id, { channel, adapter: adapterName, priority });
      await announceChange(trx, 'providers', `${tenantId}:`);
      return this.#view(row);
    }));
  }

  async update(tenantId: string, id: string, input: unknown, actor: string): Promise<ProviderView> {
    const body = asObject(input);
    const errors: FieldError[] = validatePatch(body) ? [] : toFieldErrors(validatePatch.errors ?? []).map((e) =>
      e.pointer === '/channel' || e.pointer === '/adapter' ? { ...e, message: 'cannot be changed (create another provider to change channel or adapter)' } : e,
    );
    checkPrice(body.price, errors);
    if (errors.length > 0) throw new ClarionError('CLARION_ERR_PROVIDER_INVALID_CONFIG', 'Invalid provider change', { errors });
    return this.#changed(tenantId, this.#knex.transaction(async (trx) => {
      const row = await this.#row(trx, tenantId, id, true);
      const channelErrors: FieldError[] = [];
      checkPriceChannel(body.price, channelErrors, row.channel as string);
      if (channelErrors.length > 0) throw new ClarionError('CLARION_ERR_PROVIDER_INVALID_CONFIG', 'Invalid provider change', { errors: channelErrors });
      const patch: Record<string, unknown> = { updated_at: trx.fn.now() };
      if (body.config !== undefined) {
        // Secrets left out (or sent back masked) keep their stored value.
        const current = unseal<Record<string, unknown>>(this.#key(), row.config_encrypted as Sealed);
        const next: Record<string, unknown> = { ...current };
        for (const [k, v] of Object.entries(body.config as Record<string, unknown>)) {
          if (v === MASK) continue;
          if (v === null) delete next[k];
          else next[k] = v;
        }
        this.#validate(tenantId, row.adapter, next);
        patch.config_encrypted = JSON.stringify(seal(this.#key(), next));
      }
      if (body.priority !== undefined) patch.priority = body.priority;
      if (body.enabled !== undefined) patch.enabled = body.enabled;
      if (body.name !== undefined) patch.name = body.name;
      if (body.maxPerSecond !== undefined) patch.max_per_second = body.maxPerSecond;
      if (body.price !== undefined) patch.price = body.price === null ? null : JSON.stringify(body.price);
      const [updated] = await trx('provider_configs').where({ id }).update(patch).returning('*');
      await audit(trx, tenantId, actor, 'provider.updated', id, { changed: Object.keys(body) });
      await announceChange(trx, 'providers', `${tenantId}:`);
      return this.#view(updated);
    }));
  }

  async remove(tenantId: string, id: string, actor: string): Promise<void> {
    await this.#changed(tenantId, this.#knex.transaction(async (trx) => {
      const row = await this.#row(trx, tenantId, id, true);
      await trx('provider_configs').where({ id }).delete();
      await audit(trx, tenantId, actor, 'provider.deleted', id, { channel: row.channel, adapter: row.adapter });
      await announceChange(trx, 'providers', `${tenantId}:`);
    }));
  }

  /** Drops the tenant's cached provider lists here once a change is committed (other processes hear of it). */
  async #changed<T>(tenantId: string, done: Promise<T>): Promise<T> {
    try {
      return await done;
    } finally {
      this.#channels.drop(`${tenantId}:`);
    }
  }

  async get(tenantId: string, id: string): Promise<ProviderView> {
    return this.#view(await this.#row(this.#knex, tenantId, id));
  }

  async list(tenantId: string, channel?: string): Promise<ProviderView[]> {
    const query = this.#knex('provider_configs').where({ tenant_id: tenantId }).orderBy([{ column: 'channel' }, { column: 'priority' }, { column: 'created_at' }]);
    if (channel) query.where({ channel });
    return (await query).map((row) => this.#view(row));
  }

  /** One provider as the engine uses it: of the tenant, or (a provider's callback) of the adapter, whoever's it is. */
  async record(match: { id: string; tenantId?: string; adapter?: string }): Promise<ProviderRecord | undefined> {
    if (!isUuid(match.id)) return undefined;
    const row = await this.#knex('provider_configs')
      .where({ id: match.id, ...(match.tenantId ? { tenant_id: match.tenantId } : {}), ...(match.adapter ? { adapter: match.adapter } : {}) })
      .first('id', 'tenant_id', 'channel', 'adapter', 'priority', 'updated_at');
    return row ? { id: row.id, tenantId: row.tenant_id, channel: row.channel, adapter: row.adapter, priority: row.priority, updatedAt: row.updated_at } : undefined;
  }

  /** Enabled providers of a channel, in the order they are tried (ascending priority). */
  async forChannel(tenantId: string, channel: string): Promise<ProviderRecord[]> {
    return this.#channels.get(`${tenantId}:${channel}`, () => this.#loadChannel(tenantId, channel));
  }

  async #loadChannel(tenantId: string, channel: string): Promise<ProviderRecord[]> {
    const rows = await this.#knex('provider_configs')
      .where({ tenant_id: tenantId, channel, enabled: true })
      .orderBy([{ column: 'priority' }, { column: 'created_at' }])
      .select('id', 'tenant_id', 'channel', 'adapter', 'priority', 'updated_at', 'max_per_second', 'price', 'circuit_state', 'circuit_changed_at');
    return rows.map((r) => ({
      id: r.id, tenantId: r.tenant_id, channel: r.channel, adapter: r.adapter, priority: r.priority, updatedAt: r.updated_at, maxPerSecond: r.max_per_second, price: r.price ?? null,
      circuit: { state: r.circuit_state, changedAt: r.circuit_changed_at ? new Date(r.circuit_changed_at) : null },
    }));
  }

  /** The clear configuration, references resolved (where still allowed): only for handing to the adapter. */
  async resolvedConfig(tenantId: string, id: string): Promise<Record<string, unknown>> {
    const row = await this.#row(this.#knex, tenantId, id);
    const config = unseal<Record<string, unknown>>(this.#key(), row.config_encrypted as Sealed);
    return resolveReferences(config, tenantId, this.#secretRefs);
  }

  /**
   * Records a provider's circuit as this process sees it, and tells every process (their provider
   * lists carry it): a provider one worker found down is skipped by the others until its probe.
   */
  async setCircuit(tenantId: string, id: string, state: string): Promise<void> {
    await this.#knex.transaction(async (trx) => {
      await trx('provider_configs').where({ id, tenant_id: tenantId }).update({ circuit_state: state, circuit_changed_at: trx.fn.now() });
      await announceChange(trx, 'providers', `${tenantId}:`);
    });
    this.#channels.drop(`${tenantId}:`);
  }

  /** Keeps a provider's latest error where admins look (`lastError` in the API). */
  async recordError(db: Knex, id: string, message: string, at: Date): Promise<void> {
    await db('provider_configs').where({ id }).update({ last_error: message.slice(0, 500), last_error_at: at });
  }

  /**
   * The time the next message of a provider with a throughput cap may go (GCRA, shared by every
   * worker through the row): each message takes the slot 1/maxPerSecond after the previous one,
   * with a burst of one second's worth. The slot is taken whatever the answer: the send is then
   * scheduled for that time and must not ask again.
   */
  async reserveSlot(id: string, maxPerSecond: number, now: Date): Promise<Date> {
    const [row] = await this.#knex('provider_configs')
      .where({ id })
      .update({ rate_tat: this.#knex.raw('greatest(coalesce(rate_tat, ?::timestamptz), ?::timestamptz) + make_interval(secs => 1.0 / ?)', [now, now, maxPerSecond]) })
      .returning(['rate_tat']);
    if (!row) return now;
    const at = new Date(new Date(row.rate_tat).getTime() - 1000);
    return at.getTime() > now.getTime() ? at : now;
  }

  #validate(tenantId: string, adapterName: string, config: Record<string, unknown>): void {
    const adapter = this.#registry.require(adapterName);
    // A reference must be one the operator allows this tenant; it is resolved where it is used.
    const refused = referencesOf(config).filter(({ reference }) => !this.#secretRefs.allows(reference, tenantId));
    if (refused.length > 0) {
      throw new ClarionError('CLARION_ERR_PROVIDER_SECRET_REF_NOT_ALLOWED', `Secret references are the operator's: ${refused.map((r) => r.reference.split(':')[0] + ':').join(', ')} references are not allowed here (CLARION_SECRET_REFS); put the value itself in the configuration`, {
        errors: refused.map(({ key }) => ({ pointer: `/config/${key}`, message: 'is a secret reference the operator does not allow (CLARION_SECRET_REFS): give the value itself' })),
      });
    }
    const copy: Record<string, unknown> = {};
    const referenced = new Set<string>();
    for (const [k, v] of Object.entries(config)) {
      if (typeof v === 'string' && REFERENCE.test(v)) referenced.add(k);
      else copy[k] = v;
    }
    if (!adapter.validateConfig(copy)) {
      const errors = toFieldErrors(adapter.validateConfig.errors ?? [], '/config').filter((e) => !referenced.has(e.pointer.split('/')[2]));
      if (errors.length > 0) throw new ClarionError('CLARION_ERR_PROVIDER_INVALID_CONFIG', `The configuration does not match what adapter ${adapterName} needs`, { errors });
    }
    // Where the adapter will connect: a literal address the operator's policy forbids is refused now.
    const destinations: FieldError[] = [];
    for (const { pointer, kind, value } of outboundValues(adapter.definition.configSchema, copy)) {
      try {
        if (kind === 'url') this.#outbound.checkUrl(value);
        else this.#outbound.checkHost(value.replace(/^\*\./, ''));
      } catch (err) {
        destinations.push({ pointer: `/config${pointer}`, message: `is not allowed: ${(err as Error).message.replace(/^refused: /, '')}` });
      }
    }
    if (destinations.length > 0) {
      throw new ClarionError('CLARION_ERR_PROVIDER_DESTINATION_NOT_ALLOWED', `The configuration points at a destination the operator's outbound policy forbids (${destinations.map((d) => d.message.replace(/^is not allowed: /, '')).join('; ')}); CLARION_OUTBOUND_ALLOW_PRIVATE or CLARION_OUTBOUND_ALLOWLIST decide what is reachable`, { errors: destinations });
    }
  }

  async #row(db: Knex, tenantId: string, id: string, forUpdate = false) {
    if (!isUuid(id)) throw new ClarionError('CLARION_ERR_PROVIDER_NOT_FOUND', `No provider ${id}`);
    const query = db('provider_configs').where({ tenant_id: tenantId, id }).first();
    if (forUpdate) query.forUpdate();
    const row = await query;
    if (!row) throw new ClarionError('CLARION_ERR_PROVIDER_NOT_FOUND', `No provider ${id}`);
    return row;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  #view(row: any): ProviderView {
    const config = unseal<Record<string, unknown>>(this.#key(), row.config_encrypted as Sealed);
    const adapter = this.#registry.get(row.adapter);
    return {
      id: row.id,
      channel: row.channel,
      adapter: row.adapter,
      name: row.name,
      priority: row.priority,
      enabled: row.enabled,
      maxPerSecond: row.max_per_second ?? null,
      price: row.price ?? null,
      config: mask(config, adapter ? secretPaths(adapter.definition.configSchema) : Object.keys(config)),
      circuit: { state: row.circuit_state, changedAt: row.circuit_changed_at ? new Date(row.circuit_changed_at).toISOString() : null },
      lastError: row.last_error,
      lastErrorAt: row.last_error_at ? new Date(row.last_error_at).toISOString() : null,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }
}

/** What the schema cannot say of a price: exactly one of perMessage, perSegment and perMinute. */
function checkPrice(value: unknown, errors: FieldError[]): void {
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const price = value as Record<string, unknown>;
  const amounts = (['perMessage', 'perSegment', 'perMinute'] as const).filter((k) => price[k] !== undefined);
  if (amounts.length !== 1) errors.push({ pointer: '/price', message: 'must give one of perMessage, perSegment or perMinute' });
}

/** perMinute prices calls: only a voice provider may declare it (on a change, the provider's channel). */
function checkPriceChannel(value: unknown, errors: FieldError[], channel: string): void {
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) return;
  if ((value as Record<string, unknown>).perMinute !== undefined && channel !== 'voice') {
    errors.push({ pointer: '/price/perMinute', message: `is for voice calls only (this provider's channel is ${channel})` });
  }
}

function mask(config: Record<string, unknown>, secrets: string[]): Record<string, unknown> {
  const out = structuredClone(config);
  for (const path of secrets) {
    const parts = path.split('.');
    let node = out as Record<string, unknown>;
    for (const part of parts.slice(0, -1)) node = (node?.[part] ?? undefined) as Record<string, unknown>;
    const last = parts.at(-1)!;
    if (node && node[last] !== undefined && !(typeof node[last] === 'string' && REFERENCE.test(node[last] as string))) node[last] = MASK;
  }
  return out;
}

function asObject(input: unknown): Record<string, unknown> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'The body must be a JSON object', { errors: [{ pointer: '', message: 'must be an object' }] });
  }
  return input as Record<string, unknown>;
}

