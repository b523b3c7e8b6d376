import type { OutboundMessage } from '@clarion/adapter-kit';
import { PermanentError } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import { pacedLoader } from '../db/paced-batches.ts';
import { putInboxItem, putInboxItems, type FeedDeps } from './feed.ts';

/** Puts written by one transaction at most. */
const MAX_BATCH = 100;
/**
 * Transactions writing puts at once. Each announces its changes (NOTIFY), and PostgreSQL commits
 * announcing transactions one at a time: a second one prepares its writes meanwhile.
 */
const MAX_IN_FLIGHT = 2;

export interface InboxWritesDeps extends Pick<FeedDeps, 'knex' | 'workflows'> {
  /** Subscribers' row ids (not erased) by `${tenantId} ${externalId}`. */
  subscriberIds(db: Knex, subscribers: Array<{ tenantId: string; externalId: string }>): Promise<Map<string, string>>;
}

/**
 * The in-app puts of the sends the worker runs at once, written together: those made in one turn
 * of the event loop, or while MAX_IN_FLIGHT transactions are already writing (paced-batches.ts),
 * share one lookup of their subscribers and one transaction (feed.ts putInboxItems), so one
 * commit, instead of a transaction and a commit each; an inbox commit announces its changes, and
 * those commits are what held in-app sending back.
 *
 * Each put still resolves only once its item is committed. Two puts to one subscriber never
 * share a transaction (the second would need the first's counts): the second goes in the next
 * one, so the inbox's changes keep their order. A message with a correlation key (which may
 * update an item in place) is put alone. When a batch's transaction fails, its puts are written
 * again one by one, so one bad put fails only its own send.
 */
export class InboxWrites {
  readonly #deps: InboxWritesDeps;
  readonly #loader;

  constructor(deps: InboxWritesDeps) {
    this.#deps = deps;
    this.#loader = pacedLoader((messages: readonly OutboundMessage[]) => this.#write(messages), { maxBatchSize: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT });
  }

  /** Puts the message in its recipient's inbox; resolves with the item's id once it is committed. */
  put(message: OutboundMessage): Promise<string> {
    return this.#loader.load(message);
  }

  async #write(messages: readonly OutboundMessage[]): Promise<Array<string | Error>> {
    const { knex } = this.#deps;
    const results: Array<string | Error> = new Array(messages.length);
    const ids = await this.#deps.subscriberIds(knex, messages.map((m) => ({ tenantId: m.tenantId, externalId: m.to.id })));
    let left: Array<{ index: number; subscriberId: string; message: OutboundMessage }> = [];
    messages.forEach((message, index) => {
      const subscriberId = ids.get(`${message.tenantId} ${message.to.id}`);
      if (subscriberId) left.push({ index, subscriberId, message });
      else results[index] = new PermanentError(`subscriber ${message.to.id} no longer exists`);
    });
    const alone = async (put: (typeof left)[number]) => {
      results[put.index] = await putInboxItem(this.#deps, put.subscriberId, put.message).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    };
    const correlated = left.filter((p) => p.message.correlationKey);
    left = left.filter((p) => !p.message.correlationKey);
    await Promise.all(correlated.map(alone));
    while (left.length > 0) {
      const seen = new Set<string>();
      const round = left.filter((p) => !seen.has(p.subscriberId) && seen.add(p.subscriberId));
      left = left.filter((p) => !round.includes(p));
      if (round.length === 1) {
        await alone(round[0]);
        continue;
      }
      try {
        const itemIds = await putInboxItems(this.#deps, round);
        round.forEach((p, i) => (results[p.index] = itemIds[i]));
      } catch {
        await Promise.all(round.map(alone));
      }
    }
    return results;
  }
}
