import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { Knex } from 'knex';
import { ClarionError, type FieldError } from '../errors.ts';
import { audit } from '../db/repositories/audit-log.ts';
import { toFieldErrors } from '../kernel/validation.ts';
import type { WorkflowService } from '../workflows/service.ts';
import { deviceProblems } from './devices.ts';
import { schemaAjv } from '../kernel/schema.ts';
import { EXTERNAL_ID, inlineSubscriberChecks, MAX_BULK, subscriberInputChecks, type BulkRefusal, type BulkResult, type SubscriberInput, type SubscriberView } from './schemas.ts';
import { ERASED, erasedMarker, erasePerson, forgottenId, type ErasureCounts, type PluginErasure } from './erasure.ts';
import type { SubscriberRow } from '../db/repositories/rows.ts';

export type { SubscriberInput, SubscriberView } from './schemas.ts';
export type { SubscriberRow };

/**
 * Subscribers: the people notifications are for, keyed by the tenant's own id for them
 * (`external_id`). Events may name them by id, inline (upserted), or as `team:<id>` / `project:<id>`.
 */

const ajv = schemaAjv();
const validateInput = ajv.compile(subscriberInputChecks);
const validateInline = ajv.compile(inlineSubscriberChecks);

const TOPIC_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Whether a string can be a subscriber's id (the tenant's own id for the person). */
export function isSubscriberId(value: string): boolean {
  return EXTERNAL_ID.test(value);
}

/** The schema's errors and the devices' (checked per platform), together. */
function subscriberProblems(validate: ValidateFunction, input: unknown): FieldError[] {
  const errors = validate(input) ? [] : toFieldErrors(validate.errors ?? []);
  if (input && typeof input === 'object' && !errors.some((e) => e.pointer === '/devices')) errors.push(...deviceProblems((input as { devices?: unknown }).devices));
  return errors;
}

function checkTimezone(tz: string | null | undefined, pointer: string) {
  if (!tz) return;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new ClarionError('CLARION_ERR_SUBSCRIBER_INVALID', `Unknown time zone ${tz}`, { errors: [{ pointer, message: 'must be an IANA time zone such as Europe/Paris' }] });
  }
}

export type Recipient = string | (SubscriberInput & { id: string });

/** Items written per transaction of a bulk call (each commits on its own: locks are held briefly). */
const BULK_CHUNK = 500;

export class SubscriberService {
  readonly #knex: Knex;
  readonly #workflows: Pick<WorkflowService, 'list'> | undefined;

  /** `workflows`: where the tenant's events name their recipients, for erasure. */
  /** What plugins with state keep of a subscriber, erased with her (their erase hooks; set by the composition root). */
  pluginErasure: PluginErasure | undefined;

  constructor(knex: Knex, workflows?: Pick<WorkflowService, 'list'>) {
    this.#knex = knex;
    this.#workflows = workflows;
  }

  /**
   * `PUT /v1/subscribers/:id`. An erased id is refused (409) unless the body says
   * `"reactivate": true`: then the marker left by the erasure is forgotten and a new subscriber
   * starts under the id (the erased history stays anonymous, linked to nothing).
   */
  async put(tenantId: string, externalId: string, input: unknown, actor: string): Promise<{ subscriber: SubscriberView; created: boolean }> {
    checkExternalId(externalId);
    const { reactivate, fields } = splitReactivate(input);
    const errors = subscriberProblems(validateInput, fields);
    if (reactivate !== undefined && typeof reactivate !== 'boolean') errors.push({ pointer: '/reactivate', message: 'must be a boolean' });
    if (errors.length > 0) throw new ClarionError('CLARION_ERR_SUBSCRIBER_INVALID', 'Invalid subscriber', { errors });
    const body = fields as SubscriberInput;
    checkTimezone(body.timezone, '/timezone');
    return this.#knex.transaction(async (trx) => {
      const existing = await trx('subscribers').where({ tenant_id: tenantId, external_id: externalId }).first('id');
      let reactivated = false;
      if (!existing) {
        const erased = await trx('subscribers').where({ tenant_id: tenantId, external_id: erasedMarker(tenantId, externalId) }).forUpdate().first('id');
        if (erased && reactivate !== true) throw erasedError(externalId);
        if (erased) {
          await trx('subscribers').where({ id: erased.id }).update({ external_id: forgottenId(), updated_at: trx.fn.now() });
          reactivated = true;
        }
      }
      const row = await upsert(trx, tenantId, externalId, body, true);
      // Erased by another request while this one ran.
      if (!row) throw erasedError(externalId);
      await audit(trx, tenantId, actor, reactivated ? 'subscriber.reactivated' : existing ? 'subscriber.updated' : 'subscriber.created', row.id, { fields: Object.keys(body) });
      return { subscriber: view(row), created: !existing };
    });
  }

  /**
   * `POST /v1/subscribers:bulk`: creates or updates up to 10,000 subscribers, each judged as
   * `PUT /v1/subscribers/{id}` judges one (the same schema and checks), each setting only the
   * fields it gives (an import of some columns leaves the others alone). Valid items are written,
   * in transactions of 500; refused ones come back with their index, id and failing fields
   * (`/subscribers/3/email`), so nothing valid is held back by one bad row. An erased id is
   * refused (`CLARION_ERR_SUBSCRIBER_ERASED`); an id twice in one call is refused the second time.
   */
  async bulkUpsert(tenantId: string, input: unknown, actor: string): Promise<BulkResult> {
    const items = (input && typeof input === 'object' && !Array.isArray(input) ? (input as { subscribers?: unknown }).subscribers : undefined) as unknown[] | undefined;
    const extra = input && typeof input === 'object' && !Array.isArray(input) ? Object.keys(input).filter((k) => k !== 'subscribers') : [];
    if (!Array.isArray(items) || items.length === 0 || items.length > MAX_BULK || extra.length > 0) {
      const errors: FieldError[] = extra.length > 0 ? extra.map((k) => ({ pointer: `/${k}`, message: 'is not a member of a bulk request' })) : [];
      if (!Array.isArray(items)) errors.push({ pointer: '/subscribers', message: 'is required: an array of subscribers, each with its id' });
      else if (items.length === 0) errors.push({ pointer: '/subscribers', message: 'must hold at least one subscriber' });
      else if (items.length > MAX_BULK) errors.push({ pointer: '/subscribers', message: `must hold at most ${MAX_BULK} subscribers (this one has ${items.length}): split the import` });
      throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid bulk request', { errors });
    }
    const refused: BulkRefusal[] = [];
    const valid: Array<{ index: number; externalId: string; fields: SubscriberInput }> = [];
    const seen = new Set<string>();
    for (const [index, item] of items.entries()) {
      const prefix = `/subscribers/${index}`;
      const id = item && typeof item === 'object' && typeof (item as { id?: unknown }).id === 'string' ? (item as { id: string }).id : null;
      const problems = subscriberProblems(validateInline, item).map((e) => ({ pointer: `${prefix}${e.pointer}`, message: e.message }));
      const timezone = item && typeof item === 'object' ? (item as SubscriberInput).timezone : undefined;
      if (problems.length === 0 && timezone) {
        try {
          checkTimezone(timezone, `${prefix}/timezone`);
        } catch (err) {
          problems.push(...(err as ClarionError).errors);
        }
      }
      if (problems.length === 0 && seen.has(id!)) problems.push({ pointer: `${prefix}/id`, message: `repeats subscriber ${id} of an earlier item: send each subscriber once per call` });
      if (problems.length > 0) {
        refused.push({ index, id, code: 'CLARION_ERR_SUBSCRIBER_INVALID', errors: problems });
        continue;
      }
      seen.add(id!);
      const { id: _id, subscriberId: _s, ...fields } = item as SubscriberInput & { id: string; subscriberId?: string };
      valid.push({ index, externalId: id!, fields });
    }
    let created = 0;
    let updated = 0;
    for (let start = 0; start < valid.length; start += BULK_CHUNK) {
      const chunk = valid.slice(start, start + BULK_CHUNK);
      await this.#knex.transaction(async (trx) => {
        const existing = new Set<string>(
          (await trx('subscribers').where({ tenant_id: tenantId }).whereIn('external_id', chunk.map((c) => c.externalId)).select('external_id')).map((r: { external_id: string }) => r.external_id),
        );
        let chunkCreated = 0;
        let chunkUpdated = 0;
        // One statement per set of fields given (an import's rows usually all give the same ones).
        const groups = new Map<string, typeof chunk>();
        for (const item of chunk) {
          const fieldsKey = Object.keys(item.fields).filter((k) => (item.fields as Record<string, unknown>)[k] !== undefined).sort().join(',');
          groups.set(fieldsKey, [...(groups.get(fieldsKey) ?? []), item]);
        }
        for (const [fieldsKey, group] of groups) {
          const written = await bulkUpsertQuery(trx, tenantId, group, fieldsKey === '' ? [] : fieldsKey.split(','));
          for (const { index, externalId } of group) {
            if (!written.has(externalId)) {
              refused.push({ index, id: externalId, code: 'CLARION_ERR_SUBSCRIBER_ERASED', errors: [{ pointer: `/subscribers/${index}/id`, message: `names a subscriber that was erased: PUT /v1/subscribers/${externalId} with "reactivate": true creates them again` }] });
            } else if (existing.has(externalId)) chunkUpdated++;
            else chunkCreated++;
          }
        }
        await audit(trx, tenantId, actor, 'subscriber.bulk_upserted', null, { created: chunkCreated, updated: chunkUpdated });
        created += chunkCreated;
        updated += chunkUpdated;
      });
    }
    refused.sort((a, b) => a.index - b.index);
    return { created, updated, refused };
  }

  async get(tenantId: string, externalId: string): Promise<SubscriberView> {
    const row = await this.#knex('subscribers').where({ tenant_id: tenantId, external_id: externalId }).whereNull('erased_at').first();
    if (!row) throw await notFound(this.#knex, tenantId, externalId);
    return view(row);
  }

  /** `search` (the console's): ids and emails starting with it, names containing it, case-insensitively. */
  async list(tenantId: string, options: { limit: number; after?: string; team?: string; project?: string; search?: string }): Promise<{ items: SubscriberView[]; nextCursor: string | null }> {
    const query = this.#knex('subscribers').where({ tenant_id: tenantId }).whereNull('erased_at').orderBy('external_id').limit(options.limit + 1);
    if (options.search) {
      const like = options.search.replace(/[\\%_]/g, (c) => `\\${c}`);
      query.where((q) => q.whereILike('external_id', `${like}%`).orWhereILike('email', `${like}%`).orWhereILike('name', `%${like}%`));
    }
    if (options.after) query.where('external_id', '>', decodeAfter(options.after));
    if (options.team) query.whereRaw('teams @> ?::text[]', [[options.team]]);
    if (options.project) query.whereRaw('projects @> ?::text[]', [[options.project]]);
    const rows: SubscriberRow[] = await query;
    const items = rows.slice(0, options.limit).map(view);
    return { items, nextCursor: rows.length > options.limit ? Buffer.from(items.at(-1)!.subscriberId).toString('base64url') : null };
  }

  /**
   * `DELETE /v1/subscribers/:id`: erases the subscriber's personal data wherever Clarion stored
   * it (core/subscribers/erasure.ts), in one transaction, and remembers the id as erased so later
   * events naming it reach no one. Returns what was removed, as the audit entry records it.
   */
  async erase(tenantId: string, externalId: string, actor: string): Promise<ErasureCounts> {
    // Read before the transaction, so it never waits for a second connection.
    const workflows = this.#workflows ? await this.#workflows.list(tenantId) : [];
    const pointers = (type: string) => workflows.filter((w) => w.trigger === type && typeof w.recipients === 'string').map((w) => w.recipients as string);
    return this.#knex.transaction(async (trx) => {
      // The lock makes events naming the id wait for the erasure, then meet its marker.
      const row: SubscriberRow | undefined = await trx('subscribers').where({ tenant_id: tenantId, external_id: externalId }).whereNull('erased_at').forUpdate().first();
      if (!row) throw await notFound(trx, tenantId, externalId);
      const counts = await erasePerson(trx, { tenantId, id: row.id, externalId, name: row.name, email: row.email, phone: row.phone }, pointers, this.pluginErasure);
      await audit(trx, tenantId, actor, 'subscriber.erased', row.id, { ...counts });
      return counts;
    });
  }

  /** Why an event's entry naming an erased subscriber reached no one (recorded on the event). */
  erasedProblem(externalId: string): string {
    return `subscriber ${externalId} was erased: nothing is sent to them (PUT /v1/subscribers/${externalId} with "reactivate": true creates them again)`;
  }

  /**
   * Turns an event's recipients into subscriber rows: external ids (created bare when unknown, so
   * in-app delivery still works), inline objects (upserted), `team:<id>` and `project:<id>`.
   * An erased id, named alone or inline, is neither found nor created: a problem says so.
   * Returns them once each, in order, with the problems found in the list.
   */
  async resolve(trx: Knex, tenantId: string, recipients: unknown): Promise<{ subscribers: SubscriberRow[]; problems: string[] }> {
    return this.resolvePlan(trx, tenantId, planRecipients(recipients));
  }

  /** `resolve` for recipients already read (`planRecipients`): the fan-out plans once for both of its paths. */
  async resolvePlan(trx: Knex, tenantId: string, plan: { entries: RecipientEntry[]; problems: string[] }): Promise<{ subscribers: SubscriberRow[]; problems: string[] }> {
    const entries = plan.entries;
    const problems = [...plan.problems];
    const seen = new Map<string, SubscriberRow>();
    for (const entry of entries) {
      if (entry.kind === 'group') {
        const members: SubscriberRow[] = await trx('subscribers').where({ tenant_id: tenantId }).whereNull('erased_at').whereRaw(`${entry.column} @> ?::text[]`, [[entry.value]]).orderBy('external_id');
        if (members.length === 0) problems.push(`recipients[${entry.index}]: ${entry.entry} has no members`);
        for (const m of members) if (!seen.has(m.id)) seen.set(m.id, m);
      } else if (entry.kind === 'topic') {
        // Expanded whole here (an escalation step's recipients); the fan-out streams topics in pages instead.
        const members: SubscriberRow[] = await trx('subscribers as s')
          .join('topic_subscriptions as m', 'm.subscriber_id', 's.id')
          .join('topics as t', 't.id', 'm.topic_id')
          .where({ 't.tenant_id': tenantId, 't.key': entry.key })
          .whereNull('s.erased_at')
          .orderBy('s.external_id')
          .select('s.*');
        if (members.length === 0) problems.push(`recipients[${entry.index}]: ${entry.entry} has no members`);
        for (const m of members) if (!seen.has(m.id)) seen.set(m.id, m);
      } else if (entry.kind === 'id') {
        // Unlocked: an erasure running now makes this row anonymous, and its deliveries then fail
        // as `subscriber_erased`; only creating a subscriber has to wait for it (upsert).
        let row: SubscriberRow | undefined = await trx('subscribers').where({ tenant_id: tenantId, external_id: entry.externalId }).first();
        row ??= await upsert(trx, tenantId, entry.externalId, {}, false);
        if (!row || row.erased_at) problems.push(`recipients[${entry.index}]: ${this.erasedProblem(entry.externalId)}`);
        else if (!seen.has(row.id)) seen.set(row.id, row);
      } else {
        const row = await upsert(trx, tenantId, entry.externalId, entry.fields, false);
        if (!row) problems.push(`recipients[${entry.index}]: ${this.erasedProblem(entry.externalId)}`);
        else if (!seen.has(row.id)) seen.set(row.id, row);
      }
    }
    return { subscribers: [...seen.values()], problems };
  }

  /**
   * The statement that upserts an inline recipient (only the fields it gives) or, with no
   * fields, makes sure a bare subscriber exists; it returns the row, or no row when the id was
   * erased. For the fan-out's one-statement path, which runs it as part of a larger statement.
   */
  upsertStatement(db: Knex, tenantId: string, externalId: string, fields: SubscriberInput): Knex.QueryBuilder {
    return upsertQuery(db, tenantId, externalId, fields, false);
  }

  /** The subscriber an inbound message comes from (an SMS reply, a WhatsApp message): the one last updated with that address. */
  async byAddress(db: Knex, tenantId: string, address: { email: string } | { phone: string }): Promise<Pick<SubscriberRow, 'id' | 'external_id'> | undefined> {
    return db('subscribers').where({ tenant_id: tenantId, ...address }).whereNull('erased_at').orderBy('updated_at', 'desc').first('id', 'external_id');
  }

  /** The row ids of subscribers (not erased), for writes that reference them, in one query: by `${tenantId} ${externalId}`. */
  async idsOf(db: Knex, subscribers: Array<{ tenantId: string; externalId: string }>): Promise<Map<string, string>> {
    const rows: Array<{ id: string; tenant_id: string; external_id: string }> = await db('subscribers')
      .whereIn(['tenant_id', 'external_id'], subscribers.map((s) => [s.tenantId, s.externalId]))
      .whereNull('erased_at')
      .select('id', 'tenant_id', 'external_id');
    return new Map(rows.map((r) => [`${r.tenant_id} ${r.external_id}`, r.id]));
  }

  /** The tenant's subscribers (not erased), with what resolving their preferences needs. */
  async active(tenantId: string): Promise<Array<Pick<SubscriberRow, 'id' | 'external_id' | 'teams' | 'projects' | 'timezone'>>> {
    return this.#knex('subscribers').where({ tenant_id: tenantId }).whereNull('erased_at').select('id', 'external_id', 'teams', 'projects', 'timezone');
  }

  /** Removes a push device that can never work again (an adapter reported it). */
  async removeDevice(db: Knex, subscriberId: string, value: string): Promise<void> {
    const row = await db('subscribers').where({ id: subscriberId }).first('devices');
    if (!row) return;
    const devices = (row.devices as Array<{ token?: string; subscription?: { endpoint?: string } }>).filter((d) => d.token !== value && d.subscription?.endpoint !== value);
    if (devices.length !== row.devices.length) await db('subscribers').where({ id: subscriberId }).update({ devices: JSON.stringify(devices), updated_at: db.fn.now() });
  }
}

/**
 * Inserts or updates; `replace` (PUT) resets fields not given, an inline upsert only sets those
 * given. Undefined when the id was erased.
 */
async function upsert(trx: Knex, tenantId: string, externalId: string, input: SubscriberInput, replace: boolean): Promise<SubscriberRow | undefined> {
  const [row] = await upsertQuery(trx, tenantId, externalId, input, replace);
  return row;
}

const CASTS: Record<string, string> = { tenant_id: 'uuid', devices: 'jsonb', chat: 'jsonb', data: 'jsonb', teams: 'text[]', projects: 'text[]' };

/**
 * The upsert writes nothing, and returns no row, when the id was erased (a row carries its
 * marker). The check locks the rows it reads (FOR KEY SHARE, which the upsert's own update does
 * not conflict with): when an erasure of the id is under way, it waits for its commit and then
 * sees the marker; unlocked, it would read the row as it was and create the id afresh. OFFSET 0
 * keeps the `erased_at` test above the lock, so the row is locked before it is judged.
 */
function upsertQuery(db: Knex, tenantId: string, externalId: string, input: SubscriberInput, replace: boolean): Knex.QueryBuilder {
  const values: Record<string, unknown> = {};
  const scalar = ['name', 'email', 'phone', 'locale', 'timezone'] as const;
  for (const key of scalar) if (replace || input[key] !== undefined) values[key] = input[key] ?? null;
  if (replace || input.devices !== undefined) values.devices = JSON.stringify(input.devices ?? []);
  if (replace || input.chat !== undefined) values.chat = JSON.stringify(input.chat ?? {});
  if (replace || input.data !== undefined) values.data = JSON.stringify(input.data ?? {});
  if (replace || input.teams !== undefined) values.teams = input.teams ?? [];
  if (replace || input.projects !== undefined) values.projects = input.projects ?? [];
  const columns = ['tenant_id', 'external_id', ...Object.keys(values)];
  const insert = db('subscribers').insert(
    db.raw(
      `(${columns.join(', ')}) select ${columns.map((c) => `?::${CASTS[c] ?? 'text'}`).join(', ')}
        where not exists (select 1 from (select erased_at from subscribers where tenant_id = ? and external_id in (?, ?) offset 0 for key share) s where s.erased_at is not null)`,
      [tenantId, externalId, ...Object.values(values), tenantId, externalId, erasedMarker(tenantId, externalId)] as Knex.RawBinding[],
    ),
  );
  return Object.keys(values).length === 0
    ? insert.onConflict(['tenant_id', 'external_id']).merge({ updated_at: db.raw('subscribers.updated_at') }).returning('*')
    : insert.onConflict(['tenant_id', 'external_id']).merge({ ...Object.fromEntries(Object.keys(values).map((c) => [c, db.raw('excluded.??', [c])])), updated_at: db.fn.now() }).returning('*');
}

/**
 * `upsertQuery` for many subscribers giving the same fields, in one statement: the rows come as
 * one JSON array read by `jsonb_to_recordset`; an erased id (its row, or its marker's, carries
 * `erased_at`) is skipped the same way. Returns the ids written.
 */
async function bulkUpsertQuery(trx: Knex, tenantId: string, items: Array<{ externalId: string; fields: SubscriberInput }>, columns: string[]): Promise<Set<string>> {
  const types: Record<string, string> = { name: 'text', email: 'text', phone: 'text', locale: 'text', timezone: 'text', devices: 'jsonb', chat: 'jsonb', data: 'jsonb', teams: 'text[]', projects: 'text[]' };
  const known = columns.filter((c) => c in types);
  const rows = items.map(({ externalId, fields }) => ({
    external_id: externalId,
    marker: erasedMarker(tenantId, externalId),
    ...Object.fromEntries(known.map((c) => [c, (fields as Record<string, unknown>)[c] ?? null])),
  }));
  const record = ['external_id text', 'marker text', ...known.map((c) => `${c} ${types[c]}`)].join(', ');
  const set = known.length === 0 ? 'updated_at = subscribers.updated_at' : [...known.map((c) => `${c} = excluded.${c}`), 'updated_at = now()'].join(', ');
  const defaults: Record<string, string> = { devices: `'[]'::jsonb`, chat: `'{}'::jsonb`, data: `'{}'::jsonb`, teams: `'{}'::text[]`, projects: `'{}'::text[]` };
  const { rows: written } = await trx.raw(
    `insert into subscribers (tenant_id, external_id${known.map((c) => `, ${c}`).join('')})
     select ?::uuid, r.external_id${known.map((c) => `, ${defaults[c] ? `coalesce(r.${c}, ${defaults[c]})` : `r.${c}`}`).join('')}
       from jsonb_to_recordset(?::jsonb) as r(${record})
      where not exists (select 1 from (select erased_at from subscribers s where s.tenant_id = ?::uuid and s.external_id in (r.external_id, r.marker) offset 0 for key share) x where x.erased_at is not null)
     on conflict (tenant_id, external_id) do update set ${set}
     returning external_id`,
    [tenantId, JSON.stringify(rows), tenantId],
  );
  return new Set(written.map((r: { external_id: string }) => r.external_id));
}

/** `reactivate` is an instruction of PUT, not a field of the subscriber. */
function splitReactivate(input: unknown): { reactivate: unknown; fields: unknown } {
  if (!input || typeof input !== 'object' || Array.isArray(input) || !('reactivate' in input)) return { reactivate: undefined, fields: input };
  const { reactivate, ...fields } = input as Record<string, unknown>;
  return { reactivate, fields };
}

function erasedError(externalId: string): ClarionError {
  return new ClarionError('CLARION_ERR_SUBSCRIBER_ERASED', `Subscriber ${externalId} was erased. To create a subscriber under this id again, send PUT /v1/subscribers/${externalId} with "reactivate": true`, {
    errors: [{ pointer: '/reactivate', message: 'must be true to create an erased subscriber again' }],
  });
}

/** 404, saying so when the id was erased. */
async function notFound(db: Knex, tenantId: string, externalId: string): Promise<ClarionError> {
  const erased = await db('subscribers').where({ tenant_id: tenantId, external_id: erasedMarker(tenantId, externalId) }).first('id');
  return new ClarionError('CLARION_ERR_SUBSCRIBER_NOT_FOUND', erased ? `No subscriber ${externalId}: it was erased (PUT with "reactivate": true creates it again)` : `No subscriber ${externalId}`);
}

export type RecipientEntry =
  | { kind: 'id'; index: number; externalId: string }
  | { kind: 'inline'; index: number; externalId: string; fields: SubscriberInput }
  | { kind: 'group'; index: number; entry: string; column: 'teams' | 'projects'; value: string }
  | { kind: 'topic'; index: number; entry: string; key: string };

/**
 * Reads an event's recipients (no database): each valid entry in order, and a problem for each
 * invalid one (`recipients[<index>]: ...`).
 */
export function planRecipients(recipients: unknown): { entries: RecipientEntry[]; problems: string[] } {
  const list = Array.isArray(recipients) ? recipients : recipients === undefined || recipients === null ? [] : [recipients];
  const problems: string[] = [];
  const entries: RecipientEntry[] = [];
  for (const [index, entry] of list.entries()) {
    if (entry === ERASED || (entry && typeof entry === 'object' && (entry as { id?: unknown }).id === ERASED)) {
      problems.push(`recipients[${index}]: a subscriber erased since this event was received (the erasure removed them from it)`);
    } else if (typeof entry === 'string') {
      const group = /^(team|project):(.+)$/.exec(entry);
      const topic = /^topic:(.*)$/.exec(entry);
      if (topic) {
        if (TOPIC_KEY.test(topic[1])) entries.push({ kind: 'topic', index, entry, key: topic[1] });
        else problems.push(`recipients[${index}]: "${entry}" does not name a topic (topic:<key>, the key 1-100 letters, digits and . _ -)`);
      } else if (group) entries.push({ kind: 'group', index, entry, column: group[1] === 'team' ? 'teams' : 'projects', value: group[2] });
      else if (!EXTERNAL_ID.test(entry)) problems.push(`recipients[${index}]: "${entry}" is not a valid subscriber id`);
      else entries.push({ kind: 'id', index, externalId: entry });
    } else if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
      const inline = { ...(entry as Record<string, unknown>) };
      if (inline.id === undefined && typeof inline.subscriberId === 'string') inline.id = inline.subscriberId;
      const invalid = subscriberProblems(validateInline, inline);
      if (invalid.length > 0) {
        problems.push(`recipients[${index}]: ${invalid.map((e) => `${e.pointer} ${e.message}`).join('; ')}`);
        continue;
      }
      const { id, subscriberId: _s, ...fields } = inline as unknown as SubscriberInput & { id: string; subscriberId?: string };
      try {
        checkTimezone(fields.timezone, `/recipients/${index}/timezone`);
      } catch (err) {
        problems.push(`recipients[${index}]: ${(err as Error).message}`);
        continue;
      }
      entries.push({ kind: 'inline', index, externalId: id, fields });
    } else {
      problems.push(`recipients[${index}]: must be a subscriber id, "team:<id>", "project:<id>", "topic:<key>" or a subscriber object`);
    }
  }
  return { entries, problems };
}

/** A list cursor is a subscriber id; anything else (`AA` decodes to a NUL, which PostgreSQL refuses) was not one we gave. */
function decodeAfter(cursor: string): string {
  const after = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!EXTERNAL_ID.test(after)) {
    throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'The cursor is not one this API returned', { errors: [{ pointer: '/query/cursor', message: 'is invalid' }] });
  }
  return after;
}

export function checkExternalId(externalId: string) {
  if (!EXTERNAL_ID.test(externalId)) {
    throw new ClarionError('CLARION_ERR_SUBSCRIBER_INVALID', 'Invalid subscriber id', {
      errors: [{ pointer: '/path/subscriberId', message: 'must be 1-200 characters: letters, digits and . _ : @ + -, starting with a letter or digit' }],
    });
  }
}

export function view(row: SubscriberRow): SubscriberView {
  return {
    id: row.id,
    subscriberId: row.external_id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    locale: row.locale,
    timezone: row.timezone,
    devices: row.devices,
    chat: row.chat,
    teams: row.teams,
    projects: row.projects,
    data: row.data,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
