import type { Knex } from 'knex';
import { ClarionError } from '../errors.ts';
import { keysetPage, type Page } from '../db/paging.ts';
import { isUuid } from '../kernel/ids.ts';

export interface StoredEvent {
  id: string;
  status: string;
  /** What went wrong processing it (recipients that cannot be resolved...). */
  error: string | null;
  /** Why a processed event produced nothing, when that is no error (no workflow for its type). */
  notice: string | null;
  receivedAt: string;
  processedAt: string | null;
  contractVersion: number | null;
  /** When it was cancelled (`DELETE /v1/events/{id}`, `POST /v1/cancellations`), and why. */
  cancelledAt: string | null;
  cancelReason: string | null;
  /** From its `deliverafter` extension: not fanned out before. */
  deliverAfter: string | null;
  /** The CloudEvent as received, in structured JSON form. */
  cloudevent: Record<string, unknown>;
}

export type { Page } from '../db/paging.ts';

const COLUMNS = [
  'id', 'ce_id', 'source', 'type', 'specversion', 'subject', 'time', 'datacontenttype', 'dataschema', 'data', 'data_base64',
  'extensions', 'contract_version', 'status', 'error', 'notice', 'received_at', 'processed_at', 'cancelled_at', 'cancel_reason',
  'deliver_after',
];

/** Reads a tenant's stored events; another tenant's events do not exist for it. */
export class EventQueries {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  /**
   * By Clarion's id, or by the CloudEvent id (add `source` when several sources used the same id).
   */
  async get(tenantId: string, id: string, source?: string): Promise<StoredEvent> {
    const query = this.#knex('events').where({ tenant_id: tenantId });
    if (isUuid(id) && !source) query.where((q) => q.where({ id }).orWhere({ ce_id: id }));
    else query.where({ ce_id: id });
    if (source) query.where({ source });
    const rows = await query.select(COLUMNS).limit(3);
    const exact = rows.find((r) => r.id === id);
    if (exact) return toStored(exact);
    if (rows.length === 0) throw new ClarionError('CLARION_ERR_EVENT_NOT_FOUND', `No event ${id}${source ? ` from ${source}` : ''}`);
    if (rows.length > 1) {
      throw new ClarionError('CLARION_ERR_EVENT_AMBIGUOUS', `Several sources sent an event with id ${id}: add ?source= to choose`, {
        extensions: { sources: rows.map((r) => r.source) },
      });
    }
    return toStored(rows[0]);
  }

  async list(tenantId: string, options: { limit: number; cursor?: string; type?: string; status?: string; source?: string }): Promise<Page<StoredEvent>> {
    const query = this.#knex('events').where({ tenant_id: tenantId }).select(COLUMNS);
    if (options.type) query.where({ type: options.type });
    if (options.status) query.where({ status: options.status });
    if (options.source) query.where({ source: options.source });
    return keysetPage(this.#knex, query, { ts: 'received_at', id: 'id' }, options, toStored);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function toStored(row: any): StoredEvent {
  const cloudevent: Record<string, unknown> = { specversion: row.specversion, id: row.ce_id, source: row.source, type: row.type };
  if (row.subject !== null) cloudevent.subject = row.subject;
  if (row.time !== null) cloudevent.time = row.time;
  if (row.datacontenttype !== null) cloudevent.datacontenttype = row.datacontenttype;
  if (row.dataschema !== null) cloudevent.dataschema = row.dataschema;
  Object.assign(cloudevent, row.extensions);
  if (row.data_base64 !== null) cloudevent.data_base64 = row.data_base64;
  else if (row.data !== null) cloudevent.data = row.data;
  return {
    id: row.id,
    status: row.status,
    error: row.error,
    notice: row.notice ?? null,
    receivedAt: new Date(row.received_at).toISOString(),
    processedAt: row.processed_at ? new Date(row.processed_at).toISOString() : null,
    cancelledAt: row.cancelled_at ? new Date(row.cancelled_at).toISOString() : null,
    cancelReason: row.cancel_reason ?? null,
    deliverAfter: row.deliver_after ? new Date(row.deliver_after).toISOString() : null,
    contractVersion: row.contract_version,
    cloudevent,
  };
}
