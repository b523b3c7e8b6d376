import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { presenceOf, type SubscriberPresence } from '../db/repositories/presence.ts';
import type { Clock } from '../kernel/clock.ts';

/**
 * Presence: a subscriber with an open inbox stream on any gateway is online. Each gateway process
 * keeps one row per subscriber it streams to (`inbox_presence`, keyed by the process's own id),
 * written when the subscriber's first stream opens here, deleted when the last one closes, and
 * refreshed every third of CLARION_INBOX_PRESENCE_TTL_MS. A process that dies stops refreshing:
 * its rows stop counting once they are older than the TTL (and the hourly prune removes them).
 * Times are the injected clock's, as the `presence` plugin compares them with its own `now`.
 */
export class Presence {
  readonly processId = randomUUID();
  readonly #knex: Knex;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly ttlMs: number;
  /** Open streams here, per subscriber row id. */
  readonly #here = new Map<string, { tenantId: string; connections: number }>();
  #timer: NodeJS.Timeout | undefined;
  /** Writes run one after the other, so an online is never overtaken by its offline. */
  #queue: Promise<void> = Promise.resolve();

  constructor(deps: { knex: Knex; clock: Clock; log: Logger; ttlMs: number }) {
    this.#knex = deps.knex;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.ttlMs = deps.ttlMs;
  }

  start(): void {
    this.#timer = setInterval(() => this.#write(() => this.#refresh()), Math.max(100, Math.floor(this.ttlMs / 3)));
    this.#timer.unref();
  }

  /** Stops refreshing and removes this process's rows (its subscribers are offline here). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#here.clear();
    await this.#write(() => this.#knex('inbox_presence').where({ process_id: this.processId }).delete().then(() => undefined));
  }

  /** A stream of the subscriber opened here. */
  opened(tenantId: string, subscriberId: string): void {
    const entry = this.#here.get(subscriberId) ?? { tenantId, connections: 0 };
    entry.connections += 1;
    this.#here.set(subscriberId, entry);
    const { connections } = entry;
    const now = this.#clock.now();
    void this.#write(() =>
      this.#knex('inbox_presence')
        .insert({ subscriber_id: subscriberId, process_id: this.processId, tenant_id: tenantId, connections, connected_at: now, last_seen_at: now })
        .onConflict(['subscriber_id', 'process_id'])
        .merge({ connections, last_seen_at: now })
        .then(() => undefined),
    );
  }

  /** A stream of the subscriber closed here. */
  closed(subscriberId: string): void {
    const entry = this.#here.get(subscriberId);
    if (!entry) return;
    entry.connections -= 1;
    const { connections } = entry;
    if (connections <= 0) this.#here.delete(subscriberId);
    void this.#write(() =>
      (connections <= 0
        ? this.#knex('inbox_presence').where({ subscriber_id: subscriberId, process_id: this.processId }).delete()
        : this.#knex('inbox_presence').where({ subscriber_id: subscriberId, process_id: this.processId }).update({ connections })
      ).then(() => undefined),
    );
  }

  /** Whether the subscriber is online on any gateway, by the rows refreshed within the TTL. */
  of(db: Knex, tenantId: string, subscriberId: string): Promise<SubscriberPresence> {
    return presenceOf(db, tenantId, subscriberId, this.#clock.now(), this.ttlMs);
  }

  /** Resolves once every presence write queued so far is done (tests, shutdown). */
  settled(): Promise<void> {
    return this.#queue;
  }

  /** Removes the rows of processes that stopped refreshing them (they count for nothing already). */
  async prune(): Promise<number> {
    return this.#knex('inbox_presence').where('last_seen_at', '<', new Date(this.#clock.now().getTime() - this.ttlMs)).delete();
  }

  async #refresh(): Promise<void> {
    if (this.#here.size === 0) return;
    const now = this.#clock.now();
    // Rows lost meanwhile (a prune while this process could not write) come back with their counts.
    const rows = [...this.#here].map(([subscriberId, { tenantId, connections }]) => ({ subscriber_id: subscriberId, process_id: this.processId, tenant_id: tenantId, connections, connected_at: now, last_seen_at: now }));
    await this.#knex('inbox_presence').insert(rows).onConflict(['subscriber_id', 'process_id']).merge(['connections', 'last_seen_at']);
  }

  #write(task: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(task).catch((err) => this.#log.warn({ err }, 'presence could not be written'));
    return this.#queue;
  }
}
