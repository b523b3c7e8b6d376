import type DataLoader from 'dataloader';
import type { Knex } from 'knex';
import { pacedLoader } from '../db/paced-batches.ts';
import { loadSendContexts, type SendContext } from '../db/repositories/deliveries.ts';
import { isUuid } from '../kernel/ids.ts';

/** Deliveries read together at most (one statement's `any($1)`). */
const MAX_BATCH = 100;
/** Reads at once; the loads made meanwhile wait for the next. */
const MAX_IN_FLIGHT = 2;

/**
 * The reads of the sends the worker runs at once, in one query: every `load` made in the same
 * turn of the event loop (the jobs of one fetch from graphile-worker's local queue start together),
 * or while MAX_IN_FLIGHT reads are already running (paced-batches.ts), is answered by one
 * `loadSendContexts`. Nothing is cached: each send reads the delivery as it is
 * now (a retry must see the previous attempt's outcome), so a job's view is exactly what its own
 * query would have read. DataLoader does the coalescing (its batch scheduled with setImmediate,
 * after the I/O of this turn, rather than its default end of the current tick).
 */
export class SendContexts {
  readonly #loader: DataLoader<string, SendContext | undefined>;

  constructor(knex: Knex, read: typeof loadSendContexts = loadSendContexts) {
    this.#loader = pacedLoader(
      async (ids: readonly string[]) => {
        // A job queued by hand with a malformed id must not fail the read of the others.
        const valid = ids.filter(isUuid);
        const found = valid.length > 0 ? await read(knex, valid) : new Map<string, SendContext>();
        return ids.map((id) => found.get(id));
      },
      { maxBatchSize: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT },
    );
  }

  /** What the send of this delivery needs; undefined when it does not exist, or is another tenant's. */
  async load(deliveryId: string, tenantId: string): Promise<SendContext | undefined> {
    const loaded = await this.#loader.load(deliveryId);
    return loaded && loaded.delivery.tenant_id === tenantId ? loaded : undefined;
  }
}
