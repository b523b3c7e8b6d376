import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { TtlCache } from './cache.ts';
import { PgListener } from './db/listener.ts';

/**
 * Every process caches the configuration it reads on each event and delivery (core/cache.ts).
 * A change announces itself in its own transaction (`announceChange`): PostgreSQL delivers a
 * NOTIFY at commit, and never for a rolled-back transaction, so no process hears of a change
 * before it can read it. Each gateway and worker process holds one dedicated connection that
 * LISTENs on the channel (`CacheInvalidation.start`, through core/db/listener.ts) and drops the named cache's entries as the
 * notification arrives. A lost connection is reopened with backoff, and every cache is dropped
 * once it listens again, as notifications sent in between were missed. CLARION_CACHE_TTL_MS stays
 * as the safety net: the longest a process can serve a stale entry while it cannot listen.
 */

export const INVALIDATION_CHANNEL = 'clarion_cache';

/** The caches that changes are announced for; each names its keys the way its owner does. */
export const CACHE_NAMES = ['workflows', 'contracts', 'providers', 'templates', 'layouts', 'webhook_endpoints', 'api_keys', 'preferences', 'inbox_secrets'] as const;
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
  readonly #caches = new Map<string, Array<TtlCache<unknown>>>();
  readonly #listener: PgListener;
  #started = false;

  constructor(options: CacheInvalidationOptions) {
    super();
    this.#ttlMs = options.ttlMs;
    this.#log = options.log.child({ component: 'cache-invalidation' });
    this.#listener = new PgListener({ channels: [INVALIDATION_CHANNEL], applicationName: 'clarion-cache-listener', log: this.#log, retryMs: options.retryMs, maxRetryMs: options.maxRetryMs });
    this.#listener.on('notification', (_channel, payload) => this.#received(payload));
    this.#listener.on('lost', (err) => {
      this.#log.warn('caches expire after CLARION_CACHE_TTL_MS until the cache invalidation connection is back');
      this.emit('lost', err);
    });
    this.#listener.on('listening', () => {
      if (this.#started) {
        // Whatever changed while nobody listened is unknown: start afresh.
        this.dropAll();
        this.#log.info('cache invalidation listening again; every cache dropped');
      }
      this.#started = true;
      this.emit('listening');
    });
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
    return this.#listener.listening;
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
    this.#started = false;
    await this.#listener.start(connectionString);
  }

  async stop(): Promise<void> {
    await this.#listener.stop();
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
}
