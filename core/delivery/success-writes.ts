import type DataLoader from 'dataloader';
import type { Knex } from 'knex';
import { pacedLoader } from '../db/paced-batches.ts';
import { recordSuccess, recordSuccesses, type SuccessChange, type SuccessRecord } from '../db/repositories/deliveries.ts';

/** Successes written by one statement at most. */
const MAX_BATCH = 100;
/** Statements writing successes at once; the successes that finish meanwhile wait for the next. */
const MAX_IN_FLIGHT = 2;

/**
 * The successful attempts that finish together, written by one statement and one commit
 * (deliveries.ts recordSuccesses) instead of one each: those of the same turn of the event loop,
 * and those that finish while MAX_IN_FLIGHT statements are already writing (paced-batches.ts), so
 * the slower the commits, the more each one carries. Each send still awaits its own write before its job completes, so a job done means
 * its success is committed, as before. Two deliveries of one notification never share a statement
 * (its roll-up would not see the other's change): the second goes in the next one. When a
 * statement fails, its successes are written again one by one, so one bad row fails only its own
 * send (whose job graphile-worker then retries).
 */
export class SuccessWrites {
  readonly #loader: DataLoader<SuccessRecord, SuccessChange | undefined>;
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
    this.#loader = pacedLoader((records) => this.#write(records), { maxBatchSize: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT });
  }

  /** Records one success; resolves with its notification's change once it is committed. */
  write(record: SuccessRecord): Promise<SuccessChange | undefined> {
    return this.#loader.load(record);
  }

  async #write(records: readonly SuccessRecord[]): Promise<Array<SuccessChange | undefined | Error>> {
    const results: Array<SuccessChange | undefined | Error> = new Array(records.length);
    let left = records.map((record, index) => ({ record, index }));
    while (left.length > 0) {
      const seen = new Set<string>();
      const round = left.filter(({ record }) => !seen.has(record.notificationId) && seen.add(record.notificationId));
      left = left.filter((entry) => !round.includes(entry));
      try {
        const changes = round.length === 1 ? [await recordSuccess(this.#knex, round[0].record)] : await recordSuccesses(this.#knex, round.map((e) => e.record));
        round.forEach((entry, i) => (results[entry.index] = changes[i]));
      } catch (err) {
        if (round.length === 1) {
          results[round[0].index] = err instanceof Error ? err : new Error(String(err));
          continue;
        }
        await Promise.all(
          round.map(async (entry) => {
            results[entry.index] = await recordSuccess(this.#knex, entry.record).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
          }),
        );
      }
    }
    return results;
  }
}
