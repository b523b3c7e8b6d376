import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from 'pino';

/**
 * One dedicated connection that LISTENs on some PostgreSQL channels, for as long as the process
 * runs. PostgreSQL delivers a NOTIFY at commit (never for a rolled-back transaction), in commit
 * order, to every listening session: this is how Clarion's processes hear of each other's writes
 * without a broker. A lost connection is reopened with exponential backoff (no jitter is needed:
 * the database, not a crowd of clients, is on the other side); whatever was notified while it was
 * down is lost, so `listening` is emitted again once it is back and each owner catches up from
 * the tables (the cache drops everything, the inbox hub re-reads what its clients missed).
 *
 * Used by the configuration caches (core/cache-invalidation.ts) and the inbox stream fan-out
 * (core/realtime/hub.ts), each with its own connection and application name.
 */
export interface PgListenerEvents {
  /** A notification on one of the channels. */
  notification: [channel: string, payload: string | undefined];
  /** The listening connection is in place (at start, and after every reconnection). */
  listening: [];
  /** The listening connection was lost; a reconnection is scheduled. */
  lost: [Error];
}

export interface PgListenerOptions {
  channels: readonly string[];
  /** `application_name` of the connection (pg_stat_activity shows it). */
  applicationName: string;
  log: Logger;
  /** First delay before reconnecting, doubled on every failure up to `maxRetryMs`. Default 100 ms. */
  retryMs?: number;
  /** Longest delay between two reconnection attempts. Default 10 s. */
  maxRetryMs?: number;
}

export class PgListener extends EventEmitter<PgListenerEvents> {
  readonly #channels: readonly string[];
  readonly #applicationName: string;
  readonly #log: Logger;
  readonly #retryMs: number;
  readonly #maxRetryMs: number;
  #url: string | undefined;
  #client: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #failures = 0;
  #stopped = false;

  constructor(options: PgListenerOptions) {
    super();
    for (const channel of options.channels) if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`invalid LISTEN channel ${channel}`);
    this.#channels = options.channels;
    this.#applicationName = options.applicationName;
    this.#log = options.log;
    this.#retryMs = options.retryMs ?? 100;
    this.#maxRetryMs = options.maxRetryMs ?? 10_000;
  }

  /** Whether the listening connection is in place now. */
  get listening(): boolean {
    return this.#client !== undefined;
  }

  /**
   * Listens from now on, reconnecting by itself until `stop`. Resolves once the first LISTEN is in
   * place; a process that cannot open the connection at all fails to start, loudly.
   */
  async start(connectionString: string): Promise<void> {
    if (this.#url) throw new Error(`${this.#applicationName} is already started`);
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
    const client = new pg.Client({ connectionString: this.#url, application_name: this.#applicationName, keepAlive: true });
    // Errors of a client that is no longer ours are expected (it is being closed) and ignored.
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, new Error('the connection ended')));
    client.on('notification', (message) => {
      if (client === this.#client && this.#channels.includes(message.channel)) this.emit('notification', message.channel, message.payload);
    });
    try {
      await client.connect();
      for (const channel of this.#channels) await client.query(`listen ${channel}`);
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

  #lost(client: pg.Client, err: Error): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    client.end().catch(() => {});
    if (this.#stopped) return;
    this.#log.warn({ err }, 'listening connection lost: reconnecting');
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
      this.#log.warn({ err, attempt: this.#failures }, 'listening connection cannot reconnect yet');
      this.#schedule();
      return;
    }
    if (this.#stopped) return;
    this.#failures = 0;
    this.emit('listening');
  }
}
