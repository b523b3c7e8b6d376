import { audit } from '../db/repositories/audit-log.ts';
import { toFieldErrors } from '../kernel/validation.ts';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Knex } from 'knex';
import type { TtlCache } from '../cache.ts';
import { announceChange, localCaches, type CacheFactory } from '../cache-invalidation.ts';
import { ClarionError } from '../errors.ts';

/**
 * Event contracts: a JSON Schema (2020-12) per tenant and event type, versioned (a replaced
 * contract keeps its history). Compiled validators are cached by contract row id, which never
 * changes meaning, so the cache is safe across processes without invalidation. Which version is
 * current is cached per tenant like other configuration: a contract put through any process
 * applies in every process at once (core/cache-invalidation.ts).
 */

export interface ContractRecord {
  /** Null for a bundled contract (it is a file, not a row). */
  id: string | null;
  type: string;
  /** The tenant's version; null for a bundled contract. */
  version: number | null;
  schema: Record<string, unknown>;
  createdAt: Date | null;
  /** The `schema.json` of a bundled workflow, in effect while the tenant registers none of its own for the type. */
  bundled: boolean;
  /** Bundled contracts: the bundled workflow the schema comes from. */
  workflow?: string;
  /** Tenant contracts: true when it replaces a bundled workflow's contract for the type. */
  replacesBundled?: boolean;
}

/** A bundled workflow's default contract: its trigger type's schema (`templates/<workflow>/schema.json`). */
export interface BundledContract {
  workflow: string;
  schema: Record<string, unknown>;
}

const MAX_CACHED = 2000;

export class ContractRegistry {
  readonly #knex: Knex;
  readonly #ajv: Ajv2020;
  readonly #validators = new Map<string, ValidateFunction>();
  readonly #bundled: Map<string, ValidateFunction>;
  readonly #bundledContracts: Map<string, BundledContract>;
  readonly #current: TtlCache<Map<string, { id: string; version: number }>>;

  /**
   * `bundled`: default contracts by event type (the `schema.json` of bundled workflows), used
   * while a tenant has registered none of its own for that type.
   */
  constructor(knex: Knex, bundled: Map<string, BundledContract> = new Map(), caches: CacheFactory = localCaches(0)) {
    this.#knex = knex;
    this.#current = caches.cache('contracts');
    this.#ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictTuples: false, strictRequired: false, allowUnionTypes: true, validateSchema: true });
    addFormats.default(this.#ajv);
    this.#bundledContracts = bundled;
    this.#bundled = new Map([...bundled].map(([type, contract]) => [type, this.#ajv.compile(stripId(contract.schema))]));
  }

  /** Checks a schema without storing it; throws with the reasons when it is not a usable schema. */
  check(schema: unknown): void {
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
      if (typeof schema !== 'boolean') {
        throw new ClarionError('CLARION_ERR_CONTRACT_INVALID_SCHEMA', 'A contract is a JSON Schema: an object (or true/false)', {
          errors: [{ pointer: '', message: 'must be a JSON object' }],
        });
      }
    }
    const ok = this.#ajv.validateSchema(schema as object);
    if (!ok) {
      throw new ClarionError('CLARION_ERR_CONTRACT_INVALID_SCHEMA', 'The contract is not a valid JSON Schema (2020-12)', {
        errors: toFieldErrors(this.#ajv.errors ?? []),
      });
    }
    try {
      // Compiling also catches what the meta-schema cannot: unknown keywords, unresolvable $refs.
      this.#ajv.compile(stripId(schema));
    } catch (err) {
      throw new ClarionError('CLARION_ERR_CONTRACT_INVALID_SCHEMA', `The contract cannot be compiled: ${(err as Error).message}`, {
        errors: [{ pointer: '', message: (err as Error).message }],
      });
    }
  }

  async put(tenantId: string, type: string, schema: unknown, actor: string): Promise<ContractRecord> {
    this.check(schema);
    const saved = this.#knex.transaction(async (trx) => {
      // Serialise concurrent replacements of one type so versions stay dense and unique.
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`contract:${tenantId}:${type}`]);
      const current = await trx('contracts').where({ tenant_id: tenantId, type }).max('version as v').first();
      const version = (current?.v ?? 0) + 1;
      const [row] = await trx('contracts')
        .insert({ tenant_id: tenantId, type, version, schema: JSON.stringify(schema) })
        .returning(['id', 'type', 'version', 'schema', 'created_at']);
      await audit(trx, tenantId, actor, version === 1 ? 'contract.created' : 'contract.replaced', type, { version }, 'contract');
      await announceChange(trx, 'contracts', tenantId);
      return this.#record(row);
    });
    return saved.finally(() => this.#current.drop(tenantId));
  }

  /** The contract in effect for every type: the tenant's current versions, and the bundled ones it did not replace. */
  async list(tenantId: string): Promise<ContractRecord[]> {
    const rows = await this.#knex('contracts')
      .distinctOn('type')
      .where({ tenant_id: tenantId })
      .orderBy([{ column: 'type' }, { column: 'version', order: 'desc' }])
      .select('id', 'type', 'version', 'schema', 'created_at');
    const own = rows.map((row) => this.#record(row));
    const types = new Set(own.map((c) => c.type));
    const bundled = [...this.#bundledContracts.keys()].filter((type) => !types.has(type)).map((type) => this.bundledContract(type)!);
    return [...own, ...bundled].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  }

  /** One of the tenant's own versions (the current one without `version`); never a bundled contract. */
  async get(tenantId: string, type: string, version?: number): Promise<ContractRecord | undefined> {
    const query = this.#knex('contracts').where({ tenant_id: tenantId, type });
    if (version !== undefined) query.where({ version });
    const row = await query.orderBy('version', 'desc').first('id', 'type', 'version', 'schema', 'created_at');
    return row ? this.#record(row) : undefined;
  }

  /** The contract events of the type are checked against: the tenant's current version, else the bundled one. */
  async effective(tenantId: string, type: string): Promise<ContractRecord | undefined> {
    return (await this.get(tenantId, type)) ?? this.bundledContract(type);
  }

  /** The trigger type of a bundled workflow whose key is not its trigger (`webhook.endpoint_disabled`), for hints. */
  bundledTriggerOf(workflow: string): string | undefined {
    for (const [type, contract] of this.#bundledContracts) if (contract.workflow === workflow && type !== workflow) return type;
    return undefined;
  }

  /** The bundled workflow's contract for the type, whether or not a tenant replaced it. */
  bundledContract(type: string): ContractRecord | undefined {
    const bundled = this.#bundledContracts.get(type);
    if (!bundled) return undefined;
    return { id: null, type, version: null, schema: bundled.schema, createdAt: null, bundled: true, workflow: bundled.workflow };
  }

  async versions(tenantId: string, type: string): Promise<Array<{ version: number; createdAt: Date }>> {
    const rows = await this.#knex('contracts').where({ tenant_id: tenantId, type }).orderBy('version', 'desc').select('version', 'created_at');
    return rows.map((r) => ({ version: r.version, createdAt: r.created_at }));
  }

  #record(row: ContractRow): ContractRecord {
    return {
      id: row.id, type: row.type, version: row.version, schema: row.schema, createdAt: row.created_at, bundled: false,
      ...(this.#bundledContracts.has(row.type) ? { replacesBundled: true } : {}),
    };
  }

  /** The current validator of each type that has a contract (the tenant's current versions are cached). */
  async validatorsFor(tenantId: string, types: string[], trx: Knex = this.#knex): Promise<Map<string, { version: number; validate: ValidateFunction }>> {
    const load = async () => {
      const current: Array<{ id: string; type: string; version: number }> = await trx('contracts')
        .distinctOn('type')
        .where({ tenant_id: tenantId })
        .orderBy([{ column: 'type' }, { column: 'version', order: 'desc' }])
        .select('id', 'type', 'version');
      return new Map(current.map((r) => [r.type, { id: r.id, version: r.version }]));
    };
    // Inside a caller's transaction the current versions are read there, not from the cache.
    const current = trx === this.#knex ? await this.#current.get(tenantId, load) : await load();
    const rows = [...new Set(types)].flatMap((type) => {
      const found = current.get(type);
      return found ? [{ type, ...found }] : [];
    });
    const result = new Map<string, { version: number; validate: ValidateFunction }>();
    for (const row of rows) {
      let validate = this.#validators.get(row.id);
      if (!validate) {
        const { schema } = await trx('contracts').where({ id: row.id }).first('schema');
        validate = this.#ajv.compile(stripId(schema));
        if (this.#validators.size >= MAX_CACHED) this.#validators.delete(this.#validators.keys().next().value!);
        this.#validators.set(row.id, validate);
      }
      result.set(row.type, { version: row.version, validate });
    }
    for (const type of types) {
      const bundled = this.#bundled.get(type);
      if (bundled && !result.has(type)) result.set(type, { version: 0, validate: bundled });
    }
    return result;
  }
}

/** Ajv refuses a second schema with the same `$id`: validators are cached per version instead. */
function stripId(schema: unknown): object {
  if (schema && typeof schema === 'object' && !Array.isArray(schema) && '$id' in schema) {
    const { $id: _id, ...rest } = schema as Record<string, unknown>;
    return rest;
  }
  return schema as object;
}


type ContractRow = { id: string; type: string; version: number; schema: Record<string, unknown>; created_at: Date };
