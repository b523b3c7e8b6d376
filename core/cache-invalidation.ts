import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';
import pg from 'pg';
import type { Logger } from 'pino';
import { TtlCache } from './cache.ts';

/**
 * Every process caches the configuration it reads on each event and delivery (core/cache.ts).
 * A change announces itself in its own transaction (`announceChange`): PostgreSQL delivers a
 * NOTIFY at commit, and never for a rolled-back transaction, so no process hears of a change
 * before it can read it. Each gateway and worker process holds one dedicated connection that
 * LISTENs on the channel (`CacheInvalidation.start`) and drops the named cache's entries as the
 * notification arrives. A lost connection is reopened with backoff, and every cache is dropped
 * once it listens again, as notifications sent in between were missed. CLARION_CACHE_TTL_MS stays
 * as the safety net: the longest a process can serve a stale entry while it cannot listen.
 */

export const INVALIDATION_CHANNEL = 'clarion_cache';

/** The caches that changes are announced for; each names its keys the way its owner does. */
export const CACHE_NAMES = ['workflows', 'contracts', 'providers', 'templates', 'layouts', 'webhook_endpoints', 'api_keys', 'preferences'] as const;
export type CacheName = (typeof CACHE_NAMES)[number];

/** A notification: drop the entries of `cache` whose keys start with `prefix` ('' for all). */
export interface CacheChange {
  cache: CacheName;
  prefix: string;
}

/**
 * Tells every process (this one included) to drop the entries of `cache` under `prefix` once the
 * transaction `db` belongs to commits; outside a transaction, at once. The caller still drops its
 * own entries after the commit, so a change applies here even before the notification arrives.
 */
export async function announceChange(db: Knex, cache: CacheName, prefix: string): Promise<void> {
  await db.raw('select pg_notify(?, ?)', [INVALIDATION_CHANNEL, JSON.stringify({ cache, prefix } satisfies CacheChange)]);
}

/** Makes the caches a service reads through; the service names them. */
export interface CacheFactory {
  cache<V>(name: CacheName, max?: number): TtlCache<V>;
}

/** Caches nobody invalidates from outside (a service built on its own, the CLI). */
export function localCaches(ttlMs: number): CacheFactory {
  return { cache: <V>(_name: CacheName, max?: number) => new TtlCache<V>(ttlMs, max) };
}

export interface CacheInvalidationEvents {
  /** A notification was applied. */
  change: [CacheChange];
  /** The listening connection is in place (at start, and after every reconnection). */
  listening: [];
  /** The listening connection was lost; a reconnection is scheduled. */
  lost: [Error];
}

export interface CacheInvalidationOptions {
  ttlMs: number;
  log: Logger;
  /** First delay before reconnecting, doubled on every failure up to `maxRetryMs`. Default 100 ms. */
  retryMs?: number;
  /** Longest delay between two reconnection attempts. Default 10 s. */
  maxRetryMs?: number;
}

/** The caches of one process, and the connection that hears about changes made by any process. */
export class CacheInvalidation extends EventEmitter<CacheInvalidationEvents> implements CacheFactory {
  readonly #ttlMs: number;
  readonly #log: Logger;
  readonly #retryMs: number;
  readonly #maxRetryMs: number;
  readonly #caches = new Map<string, Array<TtlCache<unknown>>>();
  #url: string | undefined;
  #client: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #failures = 0;
  #stopped = false;

  constructor(options: CacheInvalidationOptions) {
    super();
    this.#ttlMs = options.ttlMs;
    this.#log = options.log.child({ component: 'cache-invalidation' });
    this.#retryMs = options.retryMs ?? 100;
    this.#maxRetryMs = options.maxRetryMs ?? 10_000;
  }

  cache<V>(name: CacheName, max?: number): TtlCache<V> {
    const cache = new TtlCache<V>(this.#ttlMs, max);
    const list = this.#caches.get(name) ?? [];
    list.push(cache as TtlCache<unknown>);
    this.#caches.set(name, list);
    return cache;
  }

  /** Whether the listening connection is in place now. */
  get listening(): boolean {
    return this.#client !== undefined;
  }

  /** Drops what a change names, in this process only. */
  apply(change: CacheChange): void {
    for (const cache of this.#caches.get(change.cache) ?? []) cache.drop(change.prefix);
  }

  dropAll(): void {
    for (const list of this.#caches.values()) for (const cache of list) cache.drop();
  }

  /**
   * Listens from now on, reconnecting by itself until `stop`. Resolves once the first LISTEN is in
   * place; a process that cannot open the connection at all fails to start, loudly.
   */
  async start(connectionString: string): Promise<void> {
    if (this.#url) throw new Error('cache invalidation is already started');
    this.#url = connectionString;
    this.#stopped = false;
    await this.#connect();
    this.emit('listening');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    this.#url = undefined;
    await client?.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url, application_name: 'clarion-cache-listener', keepAlive: true });
    // Errors of a client that is no longer ours are expected (it is being closed) and ignored.
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, new Error('the connection ended')));
    client.on('notification', (message) => {
      if (client === this.#client && message.channel === INVALIDATION_CHANNEL) this.#received(message.payload);
    });
    try {
      await client.connect();
      await client.query(`listen ${INVALIDATION_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    if (this.#stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
  }

  #received(payload: string | undefined): void {
    let change: unknown;
    try {
      change = JSON.parse(payload ?? '');
    } catch {
      change = undefined;
    }
    const { cache, prefix } = (change ?? {}) as Partial<CacheChange>;
    if (typeof cache !== 'string' || typeof prefix !== 'string') {
      // Not something Clarion sent (or a newer shape): forgetting everything is always safe.
      this.#log.warn({ payload: payload?.slice(0, 200) }, 'unreadable cache invalidation: dropping every cache');
      this.dropAll();
      return;
    }
    this.apply({ cache, prefix });
    this.emit('change', { cache, prefix });
  }

  #lost(client: pg.Client, err: Error): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    client.end().catch(() => {});
    if (this.#stopped) return;
    this.#log.warn({ err }, 'cache invalidation connection lost: reconnecting (caches expire after CLARION_CACHE_TTL_MS meanwhile)');
    this.emit('lost', err);
    this.#schedule();
  }

  #schedule(): void {
    const delay = Math.min(this.#maxRetryMs, this.#retryMs * 2 ** this.#failures);
    this.#failures += 1;
    this.#retry = setTimeout(() => void this.#reconnect(), delay);
    this.#retry.unref();
  }

  async #reconnect(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#connect();
    } catch (err) {
      if (this.#stopped) return;
      this.#log.warn({ err, attempt: this.#failures }, 'cache invalidation cannot reconnect yet');
      this.#schedule();
      return;
    }
    if (this.#stopped) return;
    this.#failures = 0;
    // Whatever changed while nobody listened is unknown: start afresh.
    this.dropAll();
    this.#log.info('cache invalidation listening again; every cache dropped');
    this.emit('listening');
  }
}
