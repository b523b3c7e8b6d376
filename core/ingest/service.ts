import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../kernel/clock.ts';
import { ClarionError, type FieldError } from '../errors.ts';
import { insertQueued } from '../jobs/queue.ts';
import { eventsReceived } from '../metrics.ts';
import type { TenantRow } from '../tenants.ts';
import { type ContractRegistry } from './contracts.ts';
import type { IncomingEvent, Mode } from './cloudevents.ts';
import { isJsonMedia, parseMediaType } from './cloudevents.ts';
import { toFieldErrors } from '../kernel/validation.ts';
import { readExtensions } from './extensions.ts';
import { takeAttachments, type AttachmentPart } from './attachments.ts';
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

/**
 * Validates events against their contracts, then stores them and enqueues `process_event` in one
 * statement: the job exists exactly when the event row exists. A resent event (same tenant,
 * source and id) is reported as a duplicate and neither stored nor processed again.
 */
export class IngestService {
  readonly #knex: Knex;
  readonly #contracts: ContractRegistry;
  readonly #log: Logger;
  readonly #clock: Clock;

  constructor(knex: Knex, contracts: ContractRegistry, log: Logger, clock: Clock = systemClock) {
    this.#knex = knex;
    this.#contracts = contracts;
    this.#log = log;
    this.#clock = clock;
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
    const files = takeAttachments(events, mode, tenant.settings, problems);
    if (problems.length > 0) {
      throw new ClarionError(mode === 'batch' ? 'CLARION_ERR_INGEST_INVALID_BATCH' : 'CLARION_ERR_INGEST_INVALID_EVENT', mode === 'batch' ? 'Invalid attachments in the batch; nothing of the batch was accepted' : 'Invalid attachments', { errors: problems });
    }
    return files;
  }

  #extensions(mode: Mode, events: IncomingEvent[]) {
    const problems: FieldError[] = [];
    const read = readExtensions(events, mode, problems, this.#clock.now());
    if (problems.length > 0) {
      throw new ClarionError(mode === 'batch' ? 'CLARION_ERR_INGEST_INVALID_BATCH' : 'CLARION_ERR_INGEST_INVALID_EVENT', mode === 'batch' ? 'Invalid events in the batch; nothing of the batch was accepted' : 'Invalid CloudEvent', { errors: problems });
    }
    return read;
  }

  /** `db`: a transaction to store the events in (a schedule's occurrence, with the schedule's own row). */
  async ingest(tenant: TenantRow, mode: Mode, events: IncomingEvent[], options: { db?: Knex } = {}): Promise<IngestResult> {
    const read = this.#extensions(mode, events);
    const versions = await this.#checkContracts(tenant, mode, events);
    // After the contracts (they validate the data as sent), before storing: files out of the data.
    const files = this.#attachments(tenant, mode, events);
    if (files.some((f) => f.length > 0) && !options.db) {
      // The events and their files together, or neither.
      return this.#knex.transaction((trx) => this.#store(trx, tenant, mode, events, read, versions, files));
    }
    return this.#store(options.db ?? this.#knex, tenant, mode, events, read, versions, files);
  }

  async #store(db: Knex, tenant: TenantRow, mode: Mode, events: IncomingEvent[], read: ReturnType<typeof readExtensions>, versions: Array<number | undefined>, files: AttachmentPart[][]): Promise<IngestResult> {
    const rows = events.map((e, i) => ({
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
      contract_version: versions[i] ?? null,
      cancel_key: read[i].cancelKey,
      deliver_after: read[i].deliverAfter,
    }));

    // One statement (atomic without a transaction): the new events and their process_event jobs,
    // so a job exists exactly when its event does. A resent event is not inserted, nor queued.
    // An event with `deliverafter` is fanned out then (its job is due then).
    const result = await insertQueued<{ id: string; ce_id: string; source: string }>(
      db,
      db('events').insert(rows).onConflict(['tenant_id', 'source', 'ce_id']).ignore().returning(['id', 'tenant_id', 'ce_id', 'source', 'type', 'deliver_after']),
      // Fan-out runs after the work already queued (sends, webhooks): a burst of events does not
      // hold back the deliveries of the events before it.
      { task: 'process_event', payload: `json_build_object('eventId', i.id, 'tenantId', i.tenant_id, 'type', i.type)`, runAt: 'i.deliver_after', maxAttempts: 10, priority: 1 },
    );

    const key = (source: string, id: string) => `${source}\u0000${id}`;
    const insertedByKey = new Map(result.map((r) => [key(r.source, r.ce_id), r.id]));
    const accepted: EventRef[] = [];
    const duplicates: EventRef[] = [];
    const missing: IncomingEvent[] = [];
    for (const e of events) {
      const eventId = insertedByKey.get(key(e.source, e.id));
      if (eventId) {
        accepted.push({ id: e.id, source: e.source, eventId });
        insertedByKey.delete(key(e.source, e.id)); // a repeat inside the same batch is a duplicate
      } else missing.push(e);
    }
    if (missing.length > 0) {
      const existing: Array<{ id: string; ce_id: string; source: string }> = await db('events')
        .where({ tenant_id: tenant.id })
        .whereIn(['source', 'ce_id'], missing.map((e) => [e.source, e.id]))
        .select('id', 'ce_id', 'source');
      const existingByKey = new Map(existing.map((r) => [key(r.source, r.ce_id), r.id]));
      for (const e of missing) duplicates.push({ id: e.id, source: e.source, eventId: existingByKey.get(key(e.source, e.id)) ?? '' });
    }
    const fileKeys = new Map(events.map((e, i) => [key(e.source, e.id), files[i]]));
    for (const ref of accepted) await insertAttachments(db, tenant.id, ref.eventId, fileKeys.get(key(ref.source, ref.id)) ?? []);
    for (const ref of accepted) this.#log.info({ ceId: ref.id, ceSource: ref.source, eventId: ref.eventId, tenantId: tenant.id }, 'event accepted');
    for (const ref of duplicates) this.#log.info({ ceId: ref.id, ceSource: ref.source, eventId: ref.eventId, tenantId: tenant.id }, 'duplicate event ignored');
    eventsReceived.inc({ outcome: 'accepted' }, accepted.length);
    eventsReceived.inc({ outcome: 'duplicate' }, duplicates.length);
    return { accepted, duplicates };
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
