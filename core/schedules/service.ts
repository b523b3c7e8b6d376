import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { audit } from '../db/repositories/audit-log.ts';
import { keysetPage, type Page } from '../db/paging.ts';
import { ClarionError, type FieldError } from '../errors.ts';
import { parseEvents } from '../ingest/cloudevents.ts';
import { isZone } from '../ingest/extensions.ts';
import type { IngestService, PreparedEvents } from '../ingest/service.ts';
import { enqueue } from '../jobs/tasks.ts';
import type { Clock } from '../kernel/clock.ts';
import { AnyObject, Nullable, NullableDateTime, NullableString, schemaAjv, StringEnum, Type, type Static } from '../kernel/schema.ts';
import { toFieldErrors } from '../kernel/validation.ts';
import { findTenant } from '../tenants.ts';
import { earliestInstant, MIN_GAP_MS, parseRule, tooFrequent, upcoming, wallTime, type Rule } from './rules.ts';

/**
 * Recurring schedules (`POST /v1/schedules`): an RRULE or cron expression in a time zone, with the
 * event each occurrence emits (its type, data, extensions; `recipients` go to `data.recipients`).
 * Each occurrence is a `fire_schedule` job due at its time; the job emits the event under the
 * schedule row's lock, only if the row still waits for that very occurrence, with an id made of
 * the schedule and the occurrence (a second run, on another worker or after a crash, finds the row
 * moved on, and the event would be a duplicate anyway), then queues the next occurrence in the same
 * transaction. State lives in the database: a restart loses nothing, and an occurrence missed
 * while no worker ran is emitted once, late, before the schedule goes on from the present.
 * With `localTime`, the event carries `deliverlocal` (the occurrence's wall time) and is emitted
 * as that wall time first comes anywhere, so each subscriber is notified at that local time.
 */

export const SCHEDULE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Most schedules a tenant keeps. */
export const MAX_SCHEDULES = 1000;
/** A schedule's status (see the view's description). */
export const SCHEDULE_STATUSES = ['active', 'paused', 'ended', 'cancelled'] as const;
/** Occurrences a schedule's view lists ahead. */
const UPCOMING = 5;

const scheduleEventSchema = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 255, description: 'The CloudEvent type (a workflow trigger)' }),
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Default /clarion/schedules/<key>' })),
    subject: Type.Optional(Type.String({ maxLength: 1024 })),
    data: Type.Optional(AnyObject({ description: 'The event data; `recipients` (when given) is set as data.recipients' })),
    extensions: Type.Optional(AnyObject({ description: 'CloudEvent extensions, e.g. cancelkey: a cancellation with that key also ends the schedule' })),
  },
  { additionalProperties: false },
);

export const scheduleInputSchema = Type.Object(
  {
    key: Type.String({ pattern: SCHEDULE_KEY.source, description: 'Unique in the tenant' }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    rrule: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'An RFC 5545 RRULE value, e.g. FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0 (no DTSTART: see start)' })),
    cron: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Five-field cron: minute hour day-of-month month day-of-week' })),
    start: Type.Optional(Type.String({ description: 'RRULE only: the first local date-time (e.g. 2040-01-08T09:00); default now' })),
    timezone: Type.Optional(Type.String({ default: 'UTC', description: 'IANA time zone the rule is read in' })),
    localTime: Type.Optional(Type.Boolean({ default: false, description: "Notify each subscriber at the occurrence's wall time in their own time zone (the schedule's for those without one)" })),
    recipients: Type.Optional(Type.Array(Type.Unknown(), { minItems: 1, maxItems: 1000, description: 'Recipients as an event names them: ids, topic:<key>, team:<id>, inline subscribers' })),
    event: scheduleEventSchema,
  },
  { additionalProperties: false },
);
export type ScheduleInput = Static<typeof scheduleInputSchema>;

export const scheduleUpdateSchema = Type.Object(
  {
    name: Type.Optional(NullableString({ maxLength: 200 })),
    rrule: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'A new RRULE (replaces the cron expression, if any)' })),
    cron: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'A new cron expression (replaces the RRULE and its start, if any)' })),
    start: Type.Optional(NullableString({ description: 'RRULE only: the first local date-time; null: from now' })),
    timezone: Type.Optional(Type.String({ description: 'IANA time zone the rule is read in' })),
    localTime: Type.Optional(Type.Boolean()),
    recipients: Type.Optional(Nullable(Type.Array(Type.Unknown(), { minItems: 1, maxItems: 1000 }), { description: 'Replaces the recipients; null: none (the event data names them)' })),
    event: Type.Optional(scheduleEventSchema),
    paused: Type.Optional(Type.Boolean({ description: 'true: no occurrence emits anything until resumed; false: resumes from the next occurrence after now' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ScheduleUpdate = Static<typeof scheduleUpdateSchema>;

export const scheduleViewSchema = Type.Object({
  key: Type.String(),
  name: NullableString(),
  rrule: NullableString(),
  cron: NullableString(),
  start: NullableString(),
  timezone: Type.String(),
  localTime: Type.Boolean(),
  event: AnyObject(),
  status: StringEnum(SCHEDULE_STATUSES, { description: '`paused`: by PATCH, until resumed; `ended`: the rule has no more occurrences; `cancelled`: by a cancellation of its cancelkey' }),
  nextAt: NullableDateTime({ description: 'The next occurrence' }),
  fireAt: NullableDateTime({ description: 'When its event is emitted (earlier than nextAt with localTime)' }),
  upcoming: Type.Array(Type.String({ format: 'date-time' }), { description: `The next ${UPCOMING} occurrences` }),
  firedCount: Type.Integer({ minimum: 0 }),
  lastFiredAt: NullableDateTime(),
  lastOccurrence: NullableDateTime({ description: 'The last occurrence handled (emitted, or refused: see lastError); a changed rule goes on after it' }),
  pausedAt: NullableDateTime(),
  lastEventId: Nullable(Type.String({ format: 'uuid' }), { description: 'The event the last occurrence emitted (GET /v1/events/{id})' }),
  lastError: NullableString({ description: 'Why the last occurrence emitted nothing (its event no longer passes its contract...)' }),
  createdAt: Type.String({ format: 'date-time' }),
});
export type ScheduleView = Static<typeof scheduleViewSchema>;

const validateInput = schemaAjv({ useDefaults: true }).compile(scheduleInputSchema);
const validateUpdate = schemaAjv().compile(scheduleUpdateSchema);

interface ScheduleRow {
  id: string;
  tenant_id: string;
  key: string;
  name: string | null;
  rrule: string | null;
  cron: string | null;
  start: string | null;
  timezone: string;
  local_time: boolean;
  event: ScheduleInput['event'] & { recipients?: unknown[] };
  status: (typeof SCHEDULE_STATUSES)[number];
  next_at: Date | null;
  fire_at: Date | null;
  last_fired_at: Date | null;
  last_occurrence: Date | null;
  paused_at: Date | null;
  last_event_id: string | null;
  fired_count: number;
  last_error: string | null;
  created_at: Date;
}

export interface ScheduleContext {
  knex: Knex;
  clock: Clock;
  log: Logger;
  ingest: IngestService;
}

export class ScheduleService {
  readonly #ctx: ScheduleContext;

  constructor(ctx: ScheduleContext) {
    this.#ctx = ctx;
  }

  async create(tenantId: string, body: unknown, actor: string): Promise<ScheduleView> {
    const { knex, clock } = this.#ctx;
    const copy = structuredClone(body ?? {});
    if (!validateInput(copy)) throw invalid(toFieldErrors(validateInput.errors ?? []));
    const input = copy as ScheduleInput & { timezone: string; localTime: boolean };
    const now = clock.now();
    const rule = checkTiming(input, now);
    const event = { ...input.event, ...(input.recipients ? { recipients: input.recipients } : {}) };
    const first = rule.next(now);
    await this.#checkEvent(tenantId, input.key, { event, local_time: input.localTime, timezone: input.timezone }, first ?? now, now);
    return knex.transaction(async (trx) => {
      const [{ n }] = await trx('schedules').where({ tenant_id: tenantId }).count({ n: '*' });
      if (Number(n) >= MAX_SCHEDULES) throw invalid([{ pointer: '/key', message: `the tenant has ${MAX_SCHEDULES} schedules: delete some first` }]);
      const timing = first ? this.#timing(first, input.timezone, input.localTime, now) : undefined;
      const [row] = await trx('schedules')
        .insert({
          tenant_id: tenantId, key: input.key, name: input.name ?? null, rrule: input.rrule ?? null, cron: input.cron ?? null, start: input.start ?? null,
          timezone: input.timezone, local_time: input.localTime, event: JSON.stringify(event), status: timing ? 'active' : 'ended',
          next_at: timing?.nextAt ?? null, fire_at: timing?.fireAt ?? null, created_at: now, updated_at: now,
        })
        .onConflict(['tenant_id', 'key'])
        .ignore()
        .returning('*');
      if (!row) throw new ClarionError('CLARION_ERR_SCHEDULE_EXISTS', `A schedule ${input.key} exists: delete it first to replace it`);
      if (timing) await this.#queue(trx, row.id, tenantId, timing);
      await audit(trx, tenantId, actor, 'schedule.created', input.key, { rrule: input.rrule ?? null, cron: input.cron ?? null, timezone: input.timezone, type: input.event.type });
      return this.#view(row);
    });
  }

  /**
   * `PATCH /v1/schedules/{key}`: changes the rule, time zone, recipients, event or name, pauses or
   * resumes. Under the row's lock, as an occurrence fires: an occurrence already handled is never
   * emitted again (a changed rule goes on after both now and the last occurrence handled);
   * occurrences that fall while paused are skipped, not emitted late on resuming. The event is
   * checked again like a posted one. A cancelled schedule stays cancelled (409).
   */
  async update(tenantId: string, key: string, body: unknown, actor: string): Promise<ScheduleView> {
    const { knex, clock } = this.#ctx;
    const patch = structuredClone(body ?? {});
    if (!validateUpdate(patch)) throw invalid(toFieldErrors(validateUpdate.errors ?? []));
    const input = patch as ScheduleUpdate;
    if (input.rrule !== undefined && input.cron !== undefined) throw invalid([{ pointer: '/rrule', message: 'give either rrule or cron' }]);
    return knex.transaction(async (trx) => {
      const row = await this.#row(trx, tenantId, key, true);
      if (row.status === 'cancelled') throw new ClarionError('CLARION_ERR_SCHEDULE_CANCELLED', `Schedule ${key} was cancelled by its cancelkey: create a new one`);
      const now = clock.now();
      const rrule = input.cron !== undefined ? null : (input.rrule ?? row.rrule);
      const cron = input.rrule !== undefined ? null : (input.cron ?? row.cron);
      const start = input.cron !== undefined ? (input.start ?? null) : input.start !== undefined ? input.start : row.start;
      const timezone = input.timezone ?? row.timezone;
      const localTime = input.localTime ?? row.local_time;
      const rule = checkTiming({ rrule: rrule ?? undefined, cron: cron ?? undefined, start: start ?? undefined, timezone }, now);
      const { recipients: oldRecipients, ...oldEvent } = row.event;
      const recipients = input.recipients === undefined ? oldRecipients : (input.recipients ?? undefined);
      const event = { ...(input.event ?? oldEvent), ...(recipients ? { recipients } : {}) };
      const paused = input.paused ?? row.status === 'paused';
      const timingChanged = rrule !== row.rrule || cron !== row.cron || start !== row.start || timezone !== row.timezone || localTime !== row.local_time;
      const resumed = !paused && row.status === 'paused';
      // Where the schedule goes on: unchanged timing keeps the occurrence it waits for (even late);
      // otherwise the rule's first occurrence after now and after the last one handled.
      let nextAt: Date | null = row.next_at ? new Date(row.next_at) : null;
      if (timingChanged || resumed || (row.status === 'active' && !nextAt)) {
        const handled = row.last_occurrence ?? row.last_fired_at;
        nextAt = rule.next(new Date(Math.max(now.getTime(), handled ? new Date(handled).getTime() + MIN_GAP_MS - 1 : 0)));
      }
      await this.#checkEvent(tenantId, row.key, { event, local_time: localTime, timezone }, nextAt ?? now, now);
      const timing = !paused && nextAt ? this.#timing(nextAt, timezone, localTime, now) : undefined;
      const status = paused ? 'paused' : timing ? 'active' : 'ended';
      const [updated] = await trx('schedules')
        .where({ id: row.id })
        .update({
          name: input.name !== undefined ? input.name : row.name, rrule, cron, start, timezone, local_time: localTime, event: JSON.stringify(event), status,
          next_at: timing?.nextAt ?? null, fire_at: timing?.fireAt ?? null, paused_at: paused ? (row.paused_at ?? now) : null, updated_at: now,
        })
        .returning('*');
      if (timing) await this.#queue(trx, row.id, tenantId, timing);
      else await trx.raw('select graphile_worker.remove_job(?)', [jobKey(row.id)]);
      const changed = Object.keys(input).filter((k) => k !== 'paused');
      if (changed.length > 0) await audit(trx, tenantId, actor, 'schedule.updated', key, { changed, rrule, cron, timezone, localTime, status, nextAt: updated.next_at ? new Date(updated.next_at).toISOString() : null });
      if (paused !== (row.status === 'paused')) await audit(trx, tenantId, actor, paused ? 'schedule.paused' : 'schedule.resumed', key, { nextAt: timing?.nextAt.toISOString() ?? null });
      return this.#view(updated);
    });
  }

  async get(tenantId: string, key: string): Promise<ScheduleView> {
    return this.#view(await this.#row(this.#ctx.knex, tenantId, key));
  }

  async list(tenantId: string, options: { limit: number; cursor?: string }): Promise<Page<ScheduleView>> {
    const { knex } = this.#ctx;
    return keysetPage(knex, knex('schedules').where({ tenant_id: tenantId }).select('*'), { ts: 'created_at', id: 'id' }, options, (row) => this.#view(row as unknown as ScheduleRow));
  }

  /** Removes a schedule: no occurrence fires any more (a job already queued finds it gone); events it emitted stay. */
  async remove(tenantId: string, key: string, actor: string): Promise<void> {
    await this.#ctx.knex.transaction(async (trx) => {
      const row = await this.#row(trx, tenantId, key);
      await trx('schedules').where({ id: row.id }).delete();
      await trx.raw('select graphile_worker.remove_job(?)', [jobKey(row.id)]);
      await audit(trx, tenantId, actor, 'schedule.deleted', key, { firedCount: row.fired_count });
    });
  }

  /**
   * `fire_schedule`: emits the event of `occurrence` once, and queues the next. Skipped when the
   * schedule is gone, no longer active, or already past that occurrence (a second run of the job).
   */
  async fire(scheduleId: string, tenantId: string, occurrence: string): Promise<'fired' | 'skipped' | 'failed'> {
    const { knex, clock, log, ingest } = this.#ctx;
    const tenant = await findTenant(knex, tenantId);
    if (!tenant) return 'skipped';
    const due = (row: ScheduleRow | undefined): row is ScheduleRow => !!row && row.status === 'active' && !!row.next_at && new Date(row.next_at).toISOString() === occurrence;
    // What the event is made of: prepared from one version of the row, stored only with the same.
    const source = (row: ScheduleRow) => JSON.stringify([row.event, row.local_time, row.timezone]);
    /** The occurrence's event checked and its files fetched (a refusal is the occurrence's error). */
    const prepare = async (row: ScheduleRow): Promise<{ prepared?: PreparedEvents; error?: string }> => {
      try {
        return { prepared: await ingest.prepare(tenant, 'structured', [toIncoming(row.key, row, new Date(row.next_at!), clock.now())]) };
      } catch (err) {
        if (!(err instanceof ClarionError)) throw err;
        return { error: `${err.message}${err.errors.length > 0 ? `: ${err.errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}` : ''}`.slice(0, 2000) };
      }
    };
    // The event is prepared before the schedule's row is locked: fetching its files (by URL,
    // up to the fetch timeout) must not hold the lock that PATCH and DELETE wait for. A row
    // changed meanwhile (its event edited) is prepared again; after a few rounds, under the lock.
    for (let round = 0; ; round++) {
      const seen: ScheduleRow | undefined = await knex('schedules').where({ id: scheduleId, tenant_id: tenantId }).first();
      if (!due(seen)) return 'skipped';
      const early = await prepare(seen);
      const outcome = await knex.transaction(async (trx) => {
        const row: ScheduleRow | undefined = await trx('schedules').where({ id: scheduleId, tenant_id: tenantId }).forUpdate().first();
        if (!due(row)) return 'skipped' as const;
        const changed = source(row) !== source(seen);
        if (changed && round < 2) return 'again' as const;
        const now = clock.now();
        const at = new Date(row.next_at!);
        const { prepared, error: refused } = changed ? await prepare(row) : early;
        let eventId: string | null = null;
        let error = refused ?? null;
        if (prepared) {
          // A savepoint: an event refused now (a duplicate's race) leaves the schedule to go on.
          try {
            const result = await trx.transaction((sp) => ingest.store(prepared, { db: sp }));
            eventId = (result.accepted[0] ?? result.duplicates[0])?.eventId ?? null;
          } catch (err) {
            if (!(err instanceof ClarionError)) throw err;
            error = `${err.message}${err.errors.length > 0 ? `: ${err.errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}` : ''}`.slice(0, 2000);
          }
        }
        // Late (no worker ran at its time): once, then on from the present; never twice within a minute.
        const rule = this.#rule(row, now);
        const after = new Date(Math.max(at.getTime() + MIN_GAP_MS - 1, now.getTime()));
        const next = rule?.next(after) ?? null;
        const timing = next ? this.#timing(next, row.timezone, row.local_time, now) : undefined;
        await trx('schedules').where({ id: row.id }).update({
          status: timing ? 'active' : 'ended', next_at: timing?.nextAt ?? null, fire_at: timing?.fireAt ?? null,
          last_fired_at: now, last_occurrence: at, last_event_id: eventId ?? row.last_event_id, fired_count: eventId ? row.fired_count + 1 : row.fired_count, last_error: error, updated_at: now,
        });
        if (timing) await this.#queue(trx, row.id, tenantId, timing);
        log.info({ tenantId, schedule: row.key, occurrence, eventId, error, next: timing?.nextAt.toISOString() ?? null }, error ? 'schedule occurrence refused' : 'schedule fired');
        return error ? ('failed' as const) : ('fired' as const);
      });
      if (outcome !== 'again') return outcome;
    }
  }

  #timing(nextAt: Date, zone: string, localTime: boolean, now: Date): { nextAt: Date; fireAt: Date } {
    const fireAt = localTime ? earliestInstant(nextAt, zone) : nextAt;
    return { nextAt, fireAt: fireAt.getTime() < now.getTime() ? now : fireAt };
  }

  async #queue(trx: Knex, scheduleId: string, tenantId: string, timing: { nextAt: Date; fireAt: Date }): Promise<void> {
    await enqueue(trx, 'fire_schedule', { scheduleId, tenantId, occurrence: timing.nextAt.toISOString() }, { runAt: timing.fireAt, jobKey: jobKey(scheduleId), maxAttempts: 10 });
  }

  #rule(row: Pick<ScheduleRow, 'rrule' | 'cron' | 'timezone' | 'start'>, now: Date): Rule | undefined {
    return parseRule({ rrule: row.rrule ?? undefined, cron: row.cron ?? undefined, timezone: row.timezone, start: row.start ?? undefined }, now, []);
  }

  /** The event as an occurrence will emit it, checked now like one posted (envelope, extensions, contract); errors point under /event. */
  async #checkEvent(tenantId: string, key: string, row: Pick<ScheduleRow, 'event' | 'local_time' | 'timezone'>, occurrence: Date, now: Date): Promise<void> {
    const tenant = await findTenant(this.#ctx.knex, tenantId);
    if (!tenant) throw new ClarionError('CLARION_ERR_SCHEDULE_NOT_FOUND', 'No such tenant');
    await this.#ctx.ingest.check(tenant, 'structured', [toIncoming(key, row, occurrence, now, '/event')]).catch((err) => {
      if (err instanceof ClarionError && err.code !== 'CLARION_ERR_SCHEDULE_INVALID') throw invalid(err.errors.map((e) => ({ ...e, pointer: `/event${mapPointer(e.pointer)}` })), err.message);
      throw err;
    });
  }

  async #row(db: Knex, tenantId: string, key: string, lock = false): Promise<ScheduleRow> {
    const query = db('schedules').where({ tenant_id: tenantId, key });
    const row = SCHEDULE_KEY.test(key) ? await (lock ? query.forUpdate() : query).first() : undefined;
    if (!row) throw new ClarionError('CLARION_ERR_SCHEDULE_NOT_FOUND', `No schedule ${key}`);
    return row;
  }

  #view(row: ScheduleRow): ScheduleView {
    const now = this.#ctx.clock.now();
    const rule = row.status === 'active' && row.next_at ? this.#rule(row, now) : undefined;
    const nextAt = row.next_at ? new Date(row.next_at) : null;
    const later = rule && nextAt ? [nextAt, ...upcoming(rule, nextAt, UPCOMING - 1)] : [];
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    return {
      key: row.key, name: row.name, rrule: row.rrule, cron: row.cron, start: row.start, timezone: row.timezone, localTime: row.local_time, event: row.event, status: row.status,
      nextAt: iso(row.next_at), fireAt: iso(row.fire_at), upcoming: later.map((d) => d.toISOString()), firedCount: row.fired_count,
      lastFiredAt: iso(row.last_fired_at), lastOccurrence: iso(row.last_occurrence), pausedAt: iso(row.paused_at), lastEventId: row.last_event_id, lastError: row.last_error, createdAt: new Date(row.created_at).toISOString(),
    };
  }
}

export const jobKey = (scheduleId: string) => `schedule:${scheduleId}`;

/** The rule and time zone of a schedule, checked: its rule, or a 422 naming each field. */
function checkTiming(input: { rrule?: string; cron?: string; start?: string; timezone: string }, now: Date): Rule {
  const errors: FieldError[] = [];
  if (!isZone(input.timezone)) errors.push({ pointer: '/timezone', message: 'must be an IANA time zone such as Europe/Paris' });
  if ((input.rrule === undefined) === (input.cron === undefined)) errors.push({ pointer: '/rrule', message: 'give either rrule or cron' });
  if (input.cron !== undefined && input.start !== undefined) errors.push({ pointer: '/start', message: 'only goes with rrule' });
  if (errors.length > 0) throw invalid(errors);
  const rule = parseRule(input, now, errors);
  if (rule && tooFrequent(rule, now)) errors.push({ pointer: input.rrule !== undefined ? '/rrule' : '/cron', message: 'must not fire more often than once a minute' });
  if (errors.length > 0 || !rule) throw invalid(errors);
  return rule;
}

function invalid(errors: FieldError[], detail = 'Invalid schedule'): ClarionError {
  return new ClarionError('CLARION_ERR_SCHEDULE_INVALID', detail, { errors });
}

/**
 * The CloudEvent of one occurrence, through the same parser as a posted one: its id names the
 * schedule and the occurrence (unique: a second emission is a duplicate, not a second event).
 */
function toIncoming(key: string, row: Pick<ScheduleRow, 'event' | 'local_time' | 'timezone'>, occurrence: Date, now: Date, prefix = '') {
  const { type, source, subject, data, extensions, recipients } = row.event;
  const local = row.local_time ? { deliverlocal: wallTime(occurrence, row.timezone), deliverzone: row.timezone } : {};
  const cloudevent = {
    ...(extensions ?? {}), ...local,
    specversion: '1.0', id: `${key}/${occurrence.toISOString()}`, source: source ?? `/clarion/schedules/${key}`, type,
    ...(subject !== undefined ? { subject } : {}), time: now.toISOString(), datacontenttype: 'application/json',
    data: { ...(data ?? {}), ...(recipients ? { recipients } : {}) },
  };
  try {
    return parseEvents({ 'content-type': 'application/cloudevents+json' }, Buffer.from(JSON.stringify(cloudevent))).events[0];
  } catch (err) {
    if (err instanceof ClarionError && prefix) throw invalid(err.errors.map((e) => ({ ...e, pointer: `${prefix}${mapPointer(e.pointer)}` })), err.message);
    throw err;
  }
}

/** An envelope error's pointer as the schedule's body has it: attributes under /event, extensions under /event/extensions. */
function mapPointer(pointer: string): string {
  const name = pointer.split('/')[1] ?? '';
  return ['type', 'source', 'subject', 'data', 'id', 'specversion', 'time', 'datacontenttype'].includes(name) ? pointer : `/extensions${pointer}`;
}
