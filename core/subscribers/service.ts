import { randomUUID } from 'node:crypto';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Knex } from 'knex';
import { ClarionError, type FieldError } from '../errors.ts';
import { toFieldErrors } from '../ingest/contracts.ts';
import { audit } from '../delivery/providers.ts';
import { deviceProblems } from './devices.ts';

/**
 * Subscribers: the people notifications are for, keyed by the tenant's own id for them
 * (`external_id`). Events may name them by id, inline (upserted), or as `team:<id>` / `project:<id>`.
 */
export interface SubscriberInput {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  locale?: string | null;
  timezone?: string | null;
  devices?: unknown[];
  chat?: Record<string, unknown>;
  teams?: string[];
  projects?: string[];
  data?: Record<string, unknown>;
}

export interface SubscriberView extends Required<SubscriberInput> {
  id: string;
  subscriberId: string;
  createdAt: string;
  updatedAt: string;
}

export interface SubscriberRow {
  id: string;
  tenant_id: string;
  external_id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  locale: string | null;
  timezone: string | null;
  devices: unknown[];
  chat: Record<string, unknown>;
  teams: string[];
  projects: string[];
  data: Record<string, unknown>;
  erased_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const EXTERNAL_ID = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,199}$/;

const FIELDS = {
  name: { type: ['string', 'null'], maxLength: 200 },
  email: { type: ['string', 'null'], format: 'email', maxLength: 320 },
  phone: { type: ['string', 'null'], pattern: '^\\+[1-9][0-9]{6,14}$', description: 'E.164' },
  locale: { type: ['string', 'null'], pattern: '^[a-zA-Z]{2,3}([-_][A-Za-z0-9]{2,8})*$' },
  timezone: { type: ['string', 'null'], maxLength: 64 },
  // Checked per platform by deviceProblems, for errors that say what that kind of device needs.
  devices: { type: 'array' },
  chat: { type: 'object' },
  teams: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, maxItems: 200, uniqueItems: true },
  projects: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, maxItems: 200, uniqueItems: true },
  data: { type: 'object' },
};

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const validateInput = ajv.compile({ type: 'object', additionalProperties: false, properties: FIELDS });
const validateInline = ajv.compile({ type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', pattern: EXTERNAL_ID.source }, subscriberId: { type: 'string' }, ...FIELDS } });

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

export class SubscriberService {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  async put(tenantId: string, externalId: string, input: unknown, actor: string): Promise<{ subscriber: SubscriberView; created: boolean }> {
    checkExternalId(externalId);
    const errors = subscriberProblems(validateInput, input);
    if (errors.length > 0) throw new ClarionError('CLARION_ERR_SUBSCRIBER_INVALID', 'Invalid subscriber', { errors });
    const body = input as SubscriberInput;
    checkTimezone(body.timezone, '/timezone');
    return this.#knex.transaction(async (trx) => {
      const existing = await trx('subscribers').where({ tenant_id: tenantId, external_id: externalId }).first('id');
      const row = await upsert(trx, tenantId, externalId, body, true);
      await audit(trx, tenantId, actor, existing ? 'subscriber.updated' : 'subscriber.created', row.id, { fields: Object.keys(body) });
      return { subscriber: view(row), created: !existing };
    });
  }

  async get(tenantId: string, externalId: string): Promise<SubscriberView> {
    const row = await this.#knex('subscribers').where({ tenant_id: tenantId, external_id: externalId }).whereNull('erased_at').first();
    if (!row) throw new ClarionError('CLARION_ERR_SUBSCRIBER_NOT_FOUND', `No subscriber ${externalId}`);
    return view(row);
  }

  async list(tenantId: string, options: { limit: number; after?: string; team?: string; project?: string }): Promise<{ items: SubscriberView[]; nextCursor: string | null }> {
    const query = this.#knex('subscribers').where({ tenant_id: tenantId }).whereNull('erased_at').orderBy('external_id').limit(options.limit + 1);
    if (options.after) query.where('external_id', '>', decodeAfter(options.after));
    if (options.team) query.whereRaw('teams @> ?::text[]', [[options.team]]);
    if (options.project) query.whereRaw('projects @> ?::text[]', [[options.project]]);
    const rows: SubscriberRow[] = await query;
    const items = rows.slice(0, options.limit).map(view);
    return { items, nextCursor: rows.length > options.limit ? Buffer.from(items.at(-1)!.subscriberId).toString('base64url') : null };
  }

  /**
   * Erases a subscriber's personal data (GDPR): the row is anonymised, the inbox and the outbox
   * copies go, rendered content is dropped; notifications and the audit trail stay, anonymous.
   */
  async erase(tenantId: string, externalId: string, actor: string): Promise<void> {
    await this.#knex.transaction(async (trx) => {
      const row = await trx('subscribers').where({ tenant_id: tenantId, external_id: externalId }).whereNull('erased_at').first('id');
      if (!row) throw new ClarionError('CLARION_ERR_SUBSCRIBER_NOT_FOUND', `No subscriber ${externalId}`);
      await trx('subscribers').where({ id: row.id }).update({
        external_id: `erased:${randomUUID()}`,
        name: null, email: null, phone: null, locale: null, timezone: null,
        devices: '[]', chat: '{}', teams: '{}', projects: '{}', data: '{}',
        erased_at: trx.fn.now(), updated_at: trx.fn.now(),
      });
      await trx('inbox_items').where({ tenant_id: tenantId, subscriber_id: row.id }).delete();
      // The inbox's change log holds copies of its items.
      await trx('inbox_changes').where({ tenant_id: tenantId, subscriber_id: row.id }).delete();
      const notifications = trx('notifications').where({ tenant_id: tenantId, subscriber_id: row.id }).select('id');
      await trx('outbox_messages').where({ tenant_id: tenantId }).whereIn('notification_id', notifications).update({ recipient: JSON.stringify({ erased: true }), content: JSON.stringify({ erased: true }) });
      await trx('notifications').where({ tenant_id: tenantId, subscriber_id: row.id }).update({ content: null });
      await trx('preferences').where({ tenant_id: tenantId, scope: 'subscriber', scope_id: externalId }).delete();
      await audit(trx, tenantId, actor, 'subscriber.erased', row.id, {});
    });
  }

  /**
   * Turns an event's recipients into subscriber rows: external ids (created bare when unknown, so
   * in-app delivery still works), inline objects (upserted), `team:<id>` and `project:<id>`.
   * Returns them once each, in order, with the problems found in the list.
   */
  async resolve(trx: Knex, tenantId: string, recipients: unknown): Promise<{ subscribers: SubscriberRow[]; problems: string[] }> {
    const { entries, problems } = planRecipients(recipients);
    const seen = new Map<string, SubscriberRow>();
    for (const entry of entries) {
      if (entry.kind === 'group') {
        const members: SubscriberRow[] = await trx('subscribers').where({ tenant_id: tenantId }).whereNull('erased_at').whereRaw(`${entry.column} @> ?::text[]`, [[entry.value]]).orderBy('external_id');
        if (members.length === 0) problems.push(`recipients[${entry.index}]: ${entry.entry} has no members`);
        for (const m of members) if (!seen.has(m.id)) seen.set(m.id, m);
      } else if (entry.kind === 'id') {
        let row: SubscriberRow | undefined = await trx('subscribers').where({ tenant_id: tenantId, external_id: entry.externalId }).first();
        row ??= await upsert(trx, tenantId, entry.externalId, {}, false);
        if (row.erased_at) continue;
        if (!seen.has(row.id)) seen.set(row.id, row);
      } else {
        const row = await upsert(trx, tenantId, entry.externalId, entry.fields, false);
        if (!seen.has(row.id)) seen.set(row.id, row);
      }
    }
    return { subscribers: [...seen.values()], problems };
  }

  /**
   * The statement that upserts an inline recipient (only the fields it gives) or, with no
   * fields, makes sure a bare subscriber exists; it returns the row. For the fan-out's one-statement
   * path, which runs it as part of a larger statement.
   */
  upsertStatement(db: Knex, tenantId: string, externalId: string, fields: SubscriberInput): Knex.QueryBuilder {
    return upsertQuery(db, tenantId, externalId, fields, false);
  }

  /** Removes a push device that can never work again (an adapter reported it). */
  async removeDevice(db: Knex, subscriberId: string, value: string): Promise<void> {
    const row = await db('subscribers').where({ id: subscriberId }).first('devices');
    if (!row) return;
    const devices = (row.devices as Array<{ token?: string; subscription?: { endpoint?: string } }>).filter((d) => d.token !== value && d.subscription?.endpoint !== value);
    if (devices.length !== row.devices.length) await db('subscribers').where({ id: subscriberId }).update({ devices: JSON.stringify(devices), updated_at: db.fn.now() });
  }
}

/** Inserts or updates; `replace` (PUT) resets fields not given, an inline upsert only sets those given. */
async function upsert(trx: Knex, tenantId: string, externalId: string, input: SubscriberInput, replace: boolean): Promise<SubscriberRow> {
  const [row] = await upsertQuery(trx, tenantId, externalId, input, replace);
  return row;
}

function upsertQuery(db: Knex, tenantId: string, externalId: string, input: SubscriberInput, replace: boolean): Knex.QueryBuilder {
  const values: Record<string, unknown> = {};
  const scalar = ['name', 'email', 'phone', 'locale', 'timezone'] as const;
  for (const key of scalar) if (replace || input[key] !== undefined) values[key] = input[key] ?? null;
  if (replace || input.devices !== undefined) values.devices = JSON.stringify(input.devices ?? []);
  if (replace || input.chat !== undefined) values.chat = JSON.stringify(input.chat ?? {});
  if (replace || input.data !== undefined) values.data = JSON.stringify(input.data ?? {});
  if (replace || input.teams !== undefined) values.teams = input.teams ?? [];
  if (replace || input.projects !== undefined) values.projects = input.projects ?? [];
  const insert = db('subscribers').insert({ tenant_id: tenantId, external_id: externalId, ...values });
  return Object.keys(values).length === 0
    ? insert.onConflict(['tenant_id', 'external_id']).merge({ updated_at: db.raw('subscribers.updated_at') }).returning('*')
    : insert.onConflict(['tenant_id', 'external_id']).merge({ ...values, updated_at: db.fn.now() }).returning('*');
}

export type RecipientEntry =
  | { kind: 'id'; index: number; externalId: string }
  | { kind: 'inline'; index: number; externalId: string; fields: SubscriberInput }
  | { kind: 'group'; index: number; entry: string; column: 'teams' | 'projects'; value: string };

/**
 * Reads an event's recipients (no database): each valid entry in order, and a problem for each
 * invalid one (`recipients[<index>]: ...`).
 */
export function planRecipients(recipients: unknown): { entries: RecipientEntry[]; problems: string[] } {
  const list = Array.isArray(recipients) ? recipients : recipients === undefined || recipients === null ? [] : [recipients];
  const problems: string[] = [];
  const entries: RecipientEntry[] = [];
  for (const [index, entry] of list.entries()) {
    if (typeof entry === 'string') {
      const group = /^(team|project):(.+)$/.exec(entry);
      if (group) entries.push({ kind: 'group', index, entry, column: group[1] === 'team' ? 'teams' : 'projects', value: group[2] });
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
      problems.push(`recipients[${index}]: must be a subscriber id, "team:<id>", "project:<id>" or a subscriber object`);
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
