import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Knex } from 'knex';
import type { TtlCache } from '../cache.ts';
import { announceChange, localCaches, type CacheFactory } from '../cache-invalidation.ts';
import { ClarionError, type FieldError } from '../errors.ts';

/**
 * Event contracts: a JSON Schema (2020-12) per tenant and event type, versioned (a replaced
 * contract keeps its history). Compiled validators are cached by contract row id, which never
 * changes meaning, so the cache is safe across processes without invalidation. Which version is
 * current is cached per tenant like other configuration: a contract put through any process
 * applies in every process at once (core/cache-invalidation.ts).
 */

export interface ContractRecord {
  id: string;
  type: string;
  version: number;
  schema: Record<string, unknown>;
  createdAt: Date;
}

const MAX_CACHED = 2000;

export class ContractRegistry {
  readonly #knex: Knex;
  readonly #ajv: Ajv2020;
  readonly #validators = new Map<string, ValidateFunction>();
  readonly #bundled: Map<string, ValidateFunction>;
  readonly #current: TtlCache<Map<string, { id: string; version: number }>>;

  /**
   * `bundled`: default contracts by event type (the `schema.json` of bundled workflows), used
   * while a tenant has registered none of its own for that type.
   */
  constructor(knex: Knex, bundled: Map<string, object> = new Map(), caches: CacheFactory = localCaches(0)) {
    this.#knex = knex;
    this.#current = caches.cache('contracts');
    this.#ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictTuples: false, strictRequired: false, allowUnionTypes: true, validateSchema: true });
    addFormats.default(this.#ajv);
    this.#bundled = new Map([...bundled].map(([type, schema]) => [type, this.#ajv.compile(stripId(schema))]));
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
      await trx('audit_logs').insert({
        tenant_id: tenantId,
        actor,
        action: version === 1 ? 'contract.created' : 'contract.replaced',
        target_type: 'contract',
        target_id: type,
        summary: JSON.stringify({ version }),
      });
      await announceChange(trx, 'contracts', tenantId);
      return toRecord(row);
    });
    return saved.finally(() => this.#current.drop(tenantId));
  }

  async list(tenantId: string): Promise<ContractRecord[]> {
    const rows = await this.#knex('contracts')
      .distinctOn('type')
      .where({ tenant_id: tenantId })
      .orderBy([{ column: 'type' }, { column: 'version', order: 'desc' }])
      .select('id', 'type', 'version', 'schema', 'created_at');
    return rows.map(toRecord);
  }

  async get(tenantId: string, type: string, version?: number): Promise<ContractRecord | undefined> {
    const query = this.#knex('contracts').where({ tenant_id: tenantId, type });
    if (version !== undefined) query.where({ version });
    const row = await query.orderBy('version', 'desc').first('id', 'type', 'version', 'schema', 'created_at');
    return row ? toRecord(row) : undefined;
  }

  async versions(tenantId: string, type: string): Promise<Array<{ version: number; createdAt: Date }>> {
    const rows = await this.#knex('contracts').where({ tenant_id: tenantId, type }).orderBy('version', 'desc').select('version', 'created_at');
    return rows.map((r) => ({ version: r.version, createdAt: r.created_at }));
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

export function toFieldErrors(errors: ErrorObject[], prefix = ''): FieldError[] {
  return errors.map((e) => {
    let pointer = prefix + e.instancePath;
    if (e.keyword === 'required') pointer += `/${(e.params as { missingProperty: string }).missingProperty}`;
    if (e.keyword === 'additionalProperties') pointer += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
    const message = e.keyword === 'required' ? 'is required' : e.keyword === 'additionalProperties' ? 'is not allowed' : (e.message ?? 'is invalid');
    return { pointer, message };
  });
}

function toRecord(row: { id: string; type: string; version: number; schema: Record<string, unknown>; created_at: Date }): ContractRecord {
  return { id: row.id, type: row.type, version: row.version, schema: row.schema, createdAt: row.created_at };
}
