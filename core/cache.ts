/**
 * A small read-through cache for configuration read on every event and delivery (workflows,
 * providers, API keys). A change drops the affected entries at once in the process that made it,
 * and in every other process when its announcement arrives (core/cache-invalidation.ts). Entries
 * also expire after `ttlMs` (CLARION_CACHE_TTL_MS; 0 turns caching off), the safety net for a
 * process that could not listen. Expiry runs on the monotonic clock: it is operational, not
 * business time, so it does not follow an injected clock.
 */
export class TtlCache<V> {
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #entries = new Map<string, { value: Promise<V>; expires: number }>();

  constructor(ttlMs: number, max = 10_000) {
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  get(key: string, load: () => PromiseLike<V>): Promise<V> {
    if (this.#ttlMs <= 0) return Promise.resolve(load());
    const now = performance.now();
    const hit = this.#entries.get(key);
    if (hit && hit.expires > now) return hit.value;
    // A real promise: a knex query builder is a thenable that would run its query on every await.
    const value = Promise.resolve(load());
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { value, expires: now + this.#ttlMs });
    // A failed load is not remembered.
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    return value;
  }

  /** Drops every entry whose key starts with the prefix (all of them with ''). */
  drop(prefix = ''): void {
    for (const key of [...this.#entries.keys()]) if (key.startsWith(prefix)) this.#entries.delete(key);
  }
}
