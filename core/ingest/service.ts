import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { systemClock, systemTimers, type Clock, type Timers } from '../kernel/clock.ts';
import { ClarionError, type FieldError } from '../errors.ts';
import { batchQueuedCte, insertQueued, queuedCte, type JobSpec } from '../jobs/queue.ts';
import { eventsReceived } from '../metrics.ts';
import type { TenantRow } from '../tenants.ts';
import { type ContractRegistry } from './contracts.ts';
import type { IncomingEvent, Mode } from './cloudevents.ts';
import { isJsonMedia, parseMediaType } from './cloudevents.ts';
import { toFieldErrors } from '../kernel/validation.ts';
import { contextOf, hasActiveTrace, linkTo, tracingEnabled, withSpan } from '../tracing.ts';
import { readExtensions } from './extensions.ts';
import { GroupCommit, type GroupCommitSettings, type GroupOutcome } from './group-commit.ts';
import type { OutboundPolicy } from '@clarion/adapter-kit';
import { attachmentLimits, attachmentRefs, takeAttachments, type AttachmentPart } from './attachments.ts';
import { AttachmentFetchError, fetchAttachment } from './attachment-fetch.ts';
import { createHash } from 'node:crypto';
import { insertAttachments } from '../db/repositories/attachments.ts';

export interface EventRef {
  /** The CloudEvent's own id. */
  id: string;
  source: string;
  /** Clarion's id of the stored event (`GET /v1/events/:eventId`). */
  eventId: string;
}

export interface IngestResult {
  accepted: EventRef[];
  duplicates: EventRef[];
}

/** Events checked and their files fetched by `IngestService.prepare`, ready to be stored. */
export interface PreparedEvents {
  readonly tenant: TenantRow;
  readonly mode: Mode;
  readonly events: IncomingEvent[];
  readonly read: ReturnType<typeof readExtensions>;
  readonly versions: Array<number | undefined>;
  readonly files: AttachmentPart[][];
}

/**
 * Validates events against their contracts, then stores them and enqueues their fan-out jobs
 * (`process_events`, `process_event`) in one statement: the job exists exactly when the event row
 * exists. A resent event (same tenant, source and id) is reported as a duplicate and neither
 * stored nor processed again. Single events
 * are group-committed (./group-commit.ts): the events of many concurrent requests share one
 * statement, and each request is answered once that statement has committed.
 */
export class IngestService {
  readonly #knex: Knex;
  readonly #contracts: ContractRegistry;
  readonly #log: Logger;
  readonly #clock: Clock;

  readonly #group: GroupCommit<EventRow>;
  /** Attachments by URL: fetched through this policy, each fetch within `timeoutMs`; without it, refused. */
  readonly #fetch: { outbound: OutboundPolicy; timeoutMs: number } | undefined;

  constructor(knex: Knex, contracts: ContractRegistry, log: Logger, group: GroupCommitSettings, clock: Clock = systemClock, timers: Timers = systemTimers, fetch?: { outbound: OutboundPolicy; timeoutMs: number }) {
    this.#knex = knex;
    this.#fetch = fetch;
    this.#contracts = contracts;
    this.#log = log;
    this.#clock = clock;
    this.#group = new GroupCommit((rows) => this.#store(rows), group, timers);
  }

  /**
   * In a `clarion.ingest` span continuing the caller's trace: the request's (`traceparent` header,
   * or the broker message's), else the one the events share in their `traceparent` extension.
   * Events carrying another trace are linked. The process_event jobs carry this span's context.
   * `db`: a transaction to store the events in (a schedule's occurrence, with the schedule's own row).
   */
  async ingest(tenant: TenantRow, mode: Mode, events: IncomingEvent[], options: { db?: Knex } = {}): Promise<IngestResult> {
    return this.#spanned(tenant, mode, events, async () => this.#write(await this.prepare(tenant, mode, events), options.db));
  }

  /**
   * Stores events `prepare` checked, in `db` (a transaction of the caller's) when given: a
   * schedule's occurrence fetches its files before it locks its row, then stores the event in the
   * transaction that moves the schedule on.
   */
  store(prepared: PreparedEvents, options: { db?: Knex } = {}): Promise<IngestResult> {
    return this.#spanned(prepared.tenant, prepared.mode, prepared.events, () => this.#write(prepared, options.db));
  }

  #spanned(tenant: TenantRow, mode: Mode, events: IncomingEvent[], run: () => Promise<IngestResult>): Promise<IngestResult> {
    const carried = events.map((e) => e.extensions.traceparent);
    const shared = carried.every((t) => typeof t === 'string' && t === carried[0]) ? carried[0] : undefined;
    const parent = hasActiveTrace() ? undefined : contextOf(shared, events[0].extensions.tracestate);
    const links = parent ? [] : [...new Set(carried)].slice(0, 32).map(linkTo).filter((l) => l !== undefined);
    const single = events.length === 1 ? { 'cloudevents.event_id': events[0].id, 'cloudevents.event_source': events[0].source, 'cloudevents.event_type': events[0].type } : {};
    return withSpan('clarion.ingest', { parent, links, attributes: { 'clarion.tenant_id': tenant.id, 'clarion.ingest.mode': mode, 'clarion.ingest.events': events.length, ...single } }, async (span) => {
      const result = await run();
      span.setAttributes({ 'clarion.ingest.accepted': result.accepted.length, 'clarion.ingest.duplicates': result.duplicates.length });
      return result;
    });
  }

  /** What `ingest` checks (extensions, contracts), storing nothing: a schedule's event when it is saved. */
  async check(tenant: TenantRow, mode: Mode, events: IncomingEvent[]): Promise<void> {
    this.#extensions(mode, events);
    await this.#checkContracts(tenant, mode, events);
    this.#attachments(tenant, mode, structuredClone(events));
  }

  /** Takes the files out of the events' data (in place), or refuses them all. */
  #attachments(tenant: TenantRow, mode: Mode, events: IncomingEvent[]): AttachmentPart[][] {
    const problems: FieldError[] = [];
    const outbound = this.#fetch?.outbound;
    const files = takeAttachments(events, mode, tenant.settings, problems, outbound ? { checkUrl: (url) => void outbound.checkUrl(url) } : {});
    if (problems.length > 0) {
      throw new ClarionError(mode === 'batch' ? 'CLARION_ERR_INGEST_INVALID_BATCH' : 'CLARION_ERR_INGEST_INVALID_EVENT', mode === 'batch' ? 'Invalid attachments in the batch; nothing of the batch was accepted' : 'Invalid attachments', { errors: problems });
    }
    return files;
  }

  /**
   * Fetches the files given by URL (in parallel, each through the outbound policy and the tenant's
   * limits), and puts their references in the events' data; one refused refuses them all, each
   * error naming its `/url` and why.
   */
  async #fetchUrls(tenant: TenantRow, mode: Mode, events: IncomingEvent[], files: AttachmentPart[][]): Promise<void> {
    const pending = files.flat().filter((p) => p.url !== undefined);
    if (pending.length === 0 || !this.#fetch) return;
    const { outbound, timeoutMs } = this.#fetch;
    const { maxBytes, types } = attachmentLimits(tenant.settings);
    const problems: FieldError[] = [];
    await Promise.all(
      pending.map(async (part) => {
        try {
          const got = await fetchAttachment(outbound, part.url!, { maxBytes, types, timeoutMs });
          if (!part.contentType) {
            if (!got.contentType || !types.includes(got.contentType)) throw new AttachmentFetchError(`the server answered ${got.contentType ?? 'no Content-Type'}: give contentType`);
            part.contentType = got.contentType;
          }
          part.content = got.content;
          part.sha256 = createHash('sha256').update(got.content).digest('hex');
        } catch (err) {
          if (!(err instanceof Error) || !('code' in err || err instanceof AttachmentFetchError)) throw err;
          problems.push({ pointer: `${part.pointer}/url`, message: err.message });
        }
      }),
    );
    if (problems.length > 0) {
      this.#log.info({ tenantId: tenant.id, refused: problems }, 'attachment URL refused');
      problems.sort((a, b) => a.pointer.localeCompare(b.pointer));
      throw new ClarionError(mode === 'batch' ? 'CLARION_ERR_INGEST_INVALID_BATCH' : 'CLARION_ERR_INGEST_INVALID_EVENT', mode === 'batch' ? 'Attachments of the batch could not be fetched; nothing of the batch was accepted' : 'Attachments could not be fetched', { errors: problems });
    }
    events.forEach((event, i) => {
      if (files[i].length > 0) (event.data as Record<string, unknown>).attachments = attachmentRefs(files[i]);
    });
  }

  #extensions(mode: Mode, events: IncomingEvent[]) {
    const problems: FieldError[] = [];
    const read = readExtensions(events, mode, problems, this.#clock.now());
    if (problems.length > 0) {
      throw new ClarionError(mode === 'batch' ? 'CLARION_ERR_INGEST_INVALID_BATCH' : 'CLARION_ERR_INGEST_INVALID_EVENT', mode === 'batch' ? 'Invalid events in the batch; nothing of the batch was accepted' : 'Invalid CloudEvent', { errors: problems });
    }
    return read;
  }

  /**
   * Everything `ingest` does before it writes (extensions, contracts, files taken out of the data,
   * files given by URL fetched), writing nothing: a refused event throws here. `events` are
   * changed in place (their files replaced by references).
   */
  async prepare(tenant: TenantRow, mode: Mode, events: IncomingEvent[]): Promise<PreparedEvents> {
    const read = this.#extensions(mode, events);
    const versions = await this.#checkContracts(tenant, mode, events);
    // After the contracts (they validate the data as sent), before storing: files out of the data.
    const files = this.#attachments(tenant, mode, events);
    await this.#fetchUrls(tenant, mode, events, files);
    return { tenant, mode, events, read, versions, files };
  }

  async #write({ tenant, mode, events, read, versions, files }: PreparedEvents, db: Knex | undefined): Promise<IngestResult> {
    const rows = events.map((e, i) => ({ ...toRow(tenant, e, versions[i]), cancel_key: read[i].cancelKey, deliver_after: read[i].deliverAfter }));
    let outcomes: GroupOutcome[];
    if (files.some((f) => f.length > 0)) {
      // The events and their files together, or neither.
      const storeWithFiles = async (trx: Knex) => {
        const stored = await this.#store(rows, trx);
        for (const [i, outcome] of stored.entries()) if (!outcome.duplicate) await insertAttachments(trx, tenant.id, outcome.eventId, files[i]);
        return stored;
      };
      outcomes = db ? await storeWithFiles(db) : await this.#knex.transaction(storeWithFiles);
    } else if (db || mode === 'batch' || tracingEnabled()) {
      // A batch is one statement already; a given transaction is the caller's. With tracing on,
      // each event is written by its own statement: its process_event job must carry its own
      // request's trace, and a group's statement runs in one request's context only.
      outcomes = await this.#store(rows, db);
    } else {
      // A single event joins the open group (one statement for the events of a millisecond or two).
      outcomes = [await this.#group.submit(rows[0])];
    }
    const accepted: EventRef[] = [];
    const duplicates: EventRef[] = [];
    events.forEach((e, i) => (outcomes[i].duplicate ? duplicates : accepted).push({ id: e.id, source: e.source, eventId: outcomes[i].eventId }));
    for (const ref of accepted) this.#log.info({ ceId: ref.id, ceSource: ref.source, eventId: ref.eventId, tenantId: tenant.id }, 'event accepted');
    for (const ref of duplicates) this.#log.info({ ceId: ref.id, ceSource: ref.source, eventId: ref.eventId, tenantId: tenant.id }, 'duplicate event ignored');
    eventsReceived.inc({ outcome: 'accepted' }, accepted.length);
    eventsReceived.inc({ outcome: 'duplicate' }, duplicates.length);
    return { accepted, duplicates };
  }

  /** Single events submitted and not yet answered; `whenWaiting(n)`: once n wait for their group. */
  get queue(): Pick<GroupCommit<EventRow>, 'queued' | 'whenWaiting' | 'flush'> {
    return this.#group;
  }

  /**
   * Stores events of any tenants, each with its fan-out job, in one statement (atomic without a
   * transaction): a job exists exactly when its event does. The events due now of a statement of
   * several share `process_events` batch jobs (FAN_OUT_BATCH events each: one job added, locked
   * and completed, one fan-out statement, for all of them: core/jobs/process-events.ts); a lone
   * event, and an event with `deliverafter` (fanned out then: its job is due then), get a
   * `process_event` job of their own. A resent event (same tenant, source and id as a stored one,
   * or as an earlier row of `rows`) is not inserted, nor queued: its outcome is the stored event's
   * id, as a duplicate. Outcomes in the order of `rows`.
   */
  async #store(rows: EventRow[], db: Knex = this.#knex): Promise<GroupOutcome[]> {
    const insert = db('events').insert(rows).onConflict(['tenant_id', 'source', 'ce_id']).ignore().returning(['id', 'tenant_id', 'ce_id', 'source', 'type', 'deliver_after']);
    type Inserted = { id: string; tenant_id: string; ce_id: string; source: string };
    const result = rows.length === 1 ? await insertQueued<Inserted>(db, insert, PROCESS_EVENT_JOB) : await insertBatched<Inserted>(db, insert);

    const key = (tenantId: string, source: string, id: string) => `${tenantId}\u0000${source}\u0000${id}`;
    const insertedByKey = new Map(result.map((r) => [key(r.tenant_id, r.source, r.ce_id), r.id]));
    const outcomes: Array<GroupOutcome | undefined> = rows.map((row) => {
      const k = key(row.tenant_id, row.source, row.ce_id);
      const eventId = insertedByKey.get(k);
      if (!eventId) return undefined;
      insertedByKey.delete(k); // a repeat further on in `rows` is a duplicate
      return { eventId, duplicate: false };
    });
    const missing = rows.filter((_, i) => outcomes[i] === undefined);
    if (missing.length > 0) {
      const existing: Array<{ id: string; tenant_id: string; ce_id: string; source: string }> = await db('events')
        .whereIn(['tenant_id', 'source', 'ce_id'], missing.map((r) => [r.tenant_id, r.source, r.ce_id]))
        .select('id', 'tenant_id', 'ce_id', 'source');
      const existingByKey = new Map(existing.map((r) => [key(r.tenant_id, r.source, r.ce_id), r.id]));
      rows.forEach((row, i) => {
        outcomes[i] ??= { eventId: existingByKey.get(key(row.tenant_id, row.source, row.ce_id)) ?? '', duplicate: true };
      });
    }
    return outcomes as GroupOutcome[];
  }

  /** Validates each event's data against its type's contract; returns the contract versions used. */
  async #checkContracts(tenant: TenantRow, mode: Mode, events: IncomingEvent[]): Promise<Array<number | undefined>> {
    const validators = await this.#contracts.validatorsFor(tenant.id, events.map((e) => e.type));
    const errors: FieldError[] = [];
    let noContract = false;
    const versions = events.map((event, index) => {
      const prefix = mode === 'batch' ? `/${index}` : '';
      const contract = validators.get(event.type);
      if (!contract) {
        if (!tenant.settings.acceptUnvalidatedTypes) {
          noContract = true;
          const trigger = this.#contracts.bundledTriggerOf(event.type);
          errors.push({
            pointer: mode === 'binary' ? 'header:ce-type' : `${prefix}/type`,
            message: trigger
              ? `has no contract: the bundled workflow ${event.type} is triggered by the type ${trigger}`
              : `has no contract: register one with PUT /v1/contracts/${event.type}, or let the tenant accept unvalidated types`,
          });
        }
        return undefined;
      }
      const json = event.datacontenttype === undefined || isJsonMedia(parseMediaType(event.datacontenttype)!.essence);
      if (event.dataBase64 !== undefined || !json) {
        errors.push({ pointer: `${prefix}/data`, message: `must be JSON: the contract for ${event.type} validates JSON data` });
      } else if (!contract.validate(event.data ?? null)) {
        errors.push(...toFieldErrors(contract.validate.errors ?? [], `${prefix}/data`));
      }
      return contract.version === 0 ? undefined : contract.version;
    });
    if (errors.length === 0) return versions;
    if (mode === 'batch') {
      const bad = new Set(errors.map((e) => e.pointer.split('/')[1])).size;
      throw new ClarionError('CLARION_ERR_INGEST_INVALID_BATCH', `${bad} of ${events.length} events are invalid; nothing of the batch was accepted`, { errors });
    }
    if (noContract) throw new ClarionError('CLARION_ERR_INGEST_NO_CONTRACT', `No contract is registered for the event type ${events[0].type}`, { errors });
    throw new ClarionError('CLARION_ERR_INGEST_DATA_INVALID', `The data of ${events[0].type} event ${events[0].id} does not match its contract`, { errors });
  }
}

// Fan-out runs after the work already queued (sends, webhooks): a burst of events does not hold
// back the deliveries of the events before it.
const FAN_OUT_PRIORITY = 1;
const FAN_OUT_ATTEMPTS = 10;
/** Events of one `process_events` job at most. */
const FAN_OUT_BATCH = 100;

/** The `process_event` job of an inserted event (`i`), due at its `deliver_after` (null: now). */
const PROCESS_EVENT_JOB: JobSpec = {
  task: 'process_event', payload: `json_build_object('eventId', i.id, 'tenantId', i.tenant_id, 'type', i.type)`, runAt: 'i.deliver_after', maxAttempts: FAN_OUT_ATTEMPTS, priority: FAN_OUT_PRIORITY,
};

/**
 * Inserts events (`insert` returns id, tenant_id, type, deliver_after...) with their jobs in one
 * statement: those due now as `process_events` batch jobs, those with a `deliver_after` each a
 * `process_event` job at that time. Returns the inserted rows.
 */
async function insertBatched<R>(db: Knex, insert: Knex.QueryBuilder): Promise<R[]> {
  const now = batchQueuedCte('due', {
    task: 'process_events', entry: `json_build_object('eventId', i.id, 'tenantId', i.tenant_id, 'type', i.type)`, maxAttempts: FAN_OUT_ATTEMPTS, batchSize: FAN_OUT_BATCH, priority: String(FAN_OUT_PRIORITY),
  }, 'queued_now');
  const later = queuedCte('later', PROCESS_EVENT_JOB, 'queued_later');
  const { rows } = await db.raw(
    `with inserted as (?),
       due as (select * from inserted where deliver_after is null),
       later as (select * from inserted where deliver_after is not null),
       ${now.sql}, ${later.sql}
     select inserted.* from inserted cross join queued_now cross join queued_later`,
    [insert, ...now.bindings, ...later.bindings],
  );
  return rows as R[];
}

/** An `events` row as inserted. */
interface EventRow {
  tenant_id: string;
  ce_id: string;
  source: string;
  type: string;
  specversion: string;
  subject: string | null;
  time: string | null;
  datacontenttype: string | null;
  dataschema: string | null;
  data: string | null;
  data_base64: string | null;
  extensions: string;
  contract_version: number | null;
  /** The `cancelkey` extension: a later cancellation names it. */
  cancel_key?: string | null;
  /** The `deliverafter` extension: the fan-out waits until then. */
  deliver_after?: Date | string | null;
}

function toRow(tenant: TenantRow, e: IncomingEvent, contractVersion: number | undefined): EventRow {
  return {
    tenant_id: tenant.id,
    ce_id: e.id,
    source: e.source,
    type: e.type,
    specversion: e.specversion,
    subject: e.subject ?? null,
    time: e.time ?? null,
    datacontenttype: e.datacontenttype ?? null,
    dataschema: e.dataschema ?? null,
    data: e.data === undefined ? null : JSON.stringify(e.data),
    data_base64: e.dataBase64 ?? null,
    extensions: JSON.stringify(e.extensions),
    contract_version: contractVersion ?? null,
  };
}
