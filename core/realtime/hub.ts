import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { PgListener } from '../db/listener.ts';
import { ClarionError } from '../errors.ts';
import { CURSOR_PATTERN } from './schemas.ts';
import { inboxConnections, inboxDisconnects, inboxMessages } from '../metrics.ts';
import type { Clock, Timers } from '../kernel/clock.ts';
import { INBOX_CHANNEL, changesAfter, currentSeq, inboxCounts, type InboxAnnouncement, type InboxChange, type StoredChange } from './changes.ts';
import type { InboxSubscriber } from './auth.ts';

const CURSOR = new RegExp(CURSOR_PATTERN);

/**
 * The inbox streams of one gateway process, at `/v1/inbox/stream`: WebSocket (`ws`) or
 * Server-Sent Events, the same messages either way (JSON objects with a `type`):
 *
 * - `ready` `{cursor, counts, heartbeatMs}`: the stream is live; everything up to `cursor` was sent;
 * - a change, `item.created` | `item.updated` `{cursor, item, counts, reason?}` or
 *   `items.updated` `{cursor, ids, patch, counts, reason}` (`ids: null`: too many, reload);
 * - `reset` `{cursor, counts}`: the cursor given cannot be resumed from (older than the change
 *   log keeps, or unknown): reload the list, then carry on from this cursor;
 * - `heartbeat` `{at}` every CLARION_INBOX_HEARTBEAT_MS.
 *
 * Resuming: a client reconnects with the `cursor` of the last change it handled (`?cursor=`, or
 * SSE's `Last-Event-ID`, which EventSource sends by itself) and gets every later change once, in
 * order, then `ready`. The database is the only source: a change is pushed when its announcement
 * arrives (LISTEN on `clarion_inbox`, one connection per process) straight from the announcement
 * when it follows the last one sent, otherwise read from the change log after the connection's
 * own cursor. So nothing is lost (a missed or out-of-order announcement only triggers a read) and
 * nothing is doubled (a connection never sends a change at or below its cursor). When the
 * listening connection comes back after a loss, every stream catches up from the log.
 *
 * Back-pressure: before each message the bytes a connection has not yet sent are checked; beyond
 * CLARION_INBOX_MAX_BUFFER_BYTES the client is cut (it can resume from its cursor), never
 * buffered without limit. A WebSocket that does not answer a ping within a heartbeat is cut too;
 * a stream ends when its token expires (WebSocket close 4001, SSE event `error`).
 */

export const STREAM_PATH = '/v1/inbox/stream';
/** Changes replayed on resume, at most; a client further behind reloads (`reset`). */
const RESUME_MAX = 1000;
/** Changes read from the log per query while catching up. */
const CATCH_UP_BATCH = 200;
/** WebSocket close codes (4000-4999 are the application's). */
export const CLOSE = { expired: 4001, slow: 4008, shutdown: 1001 } as const;

export interface HubDeps {
  knex: Knex;
  log: Logger;
  clock: Clock;
  /**
   * The heartbeats (and with them the pings whose answer is checked at the next beat) and the wait
   * for a lagging client to take more: tests decide when they fire (test/support/clock.ts
   * ManualTimers), so no stream is cut because a loaded process ran a check late.
   */
  timers: Timers;
  heartbeatMs: number;
  maxBufferBytes: number;
  /** The subscriber of a stream request (token in the Authorization header or `?token=`). */
  authenticate(header: string | undefined, token: string | undefined): Promise<InboxSubscriber>;
}

export interface HubEvents {
  /** A stream of a subscriber opened in this process (presence counts them). */
  opened(subscriber: { tenantId: string; subscriberId: string }): void;
  /** A stream of a subscriber in this process ended. */
  closed(subscriber: { tenantId: string; subscriberId: string }): void;
}

type Transport = 'ws' | 'sse';
type Reason = 'client' | 'slow' | 'heartbeat' | 'expired' | 'shutdown' | 'error';

/** One open stream: how to write to it, and how far it got. */
abstract class Connection {
  abstract readonly transport: Transport;
  /** The number of the last change sent. */
  sent = 0;
  /** Replaying or catching up from the log: announcements meanwhile only ask for another pass. */
  busy = true;
  again = false;
  closed = false;
  timer: NodeJS.Timeout | undefined;

  readonly subscriber: InboxSubscriber;
  /** Called once, whatever ended the stream (the hub forgets it). */
  readonly ended: (connection: Connection) => void;

  constructor(subscriber: InboxSubscriber, ended: (connection: Connection) => void) {
    this.subscriber = subscriber;
    this.ended = ended;
  }

  /** Bytes written but not yet sent to the client. */
  abstract pending(): number;
  /** Resolves once what was written so far has left for the client (or the stream ended). */
  abstract flushed(): Promise<void>;
  protected abstract write(type: string, message: Record<string, unknown>, id?: string): void;
  protected abstract close(reason: Reason): void;

  /** Ends the stream, once, counting why. */
  end(reason: Reason): void {
    if (this.closed) return;
    this.closed = true;
    inboxDisconnects.inc({ transport: this.transport, reason });
    try {
      this.close(reason);
    } finally {
      this.ended(this);
    }
  }

  /** Writes a message unless the client lags too far behind, in which case it is cut. */
  send(type: string, message: Record<string, unknown>, maxBuffer: number, id?: string): boolean {
    if (this.closed) return false;
    if (this.pending() > maxBuffer) {
      this.end('slow');
      return false;
    }
    this.write(type, { type, ...message }, id);
    inboxMessages.inc({ transport: this.transport });
    return true;
  }
}

class WsConnection extends Connection {
  readonly transport = 'ws';
  alive = true;
  readonly socket: WebSocket;
  #lastWrite: Promise<void> = Promise.resolve();

  constructor(subscriber: InboxSubscriber, ended: (c: Connection) => void, socket: WebSocket) {
    super(subscriber, ended);
    this.socket = socket;
  }

  pending(): number {
    return this.socket.bufferedAmount;
  }

  flushed(): Promise<void> {
    return this.#lastWrite;
  }

  protected write(_type: string, message: Record<string, unknown>): void {
    // The callback runs once the frame is handed to the socket (or the socket failed).
    this.#lastWrite = new Promise((resolve) => this.socket.send(JSON.stringify(message), () => resolve()));
  }

  protected close(reason: Reason): void {
    // A client that does not read cannot take a close frame either: its socket goes.
    if (reason === 'slow' || reason === 'heartbeat' || reason === 'error') this.socket.terminate();
    else if (reason === 'expired') this.socket.close(CLOSE.expired, 'token expired');
    else if (reason === 'shutdown') this.socket.close(CLOSE.shutdown, 'server shutting down');
  }
}

class SseConnection extends Connection {
  readonly transport = 'sse';
  readonly res: ServerResponse;

  constructor(subscriber: InboxSubscriber, ended: (c: Connection) => void, res: ServerResponse) {
    super(subscriber, ended);
    this.res = res;
  }

  pending(): number {
    return this.res.writableLength;
  }

  flushed(): Promise<void> {
    if (this.res.writableLength === 0 || this.res.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  protected write(type: string, message: Record<string, unknown>, id?: string): void {
    this.res.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${type}\ndata: ${JSON.stringify(message)}\n\n`);
  }

  protected close(reason: Reason): void {
    if (reason === 'slow' || reason === 'error') this.res.destroy();
    else {
      if (reason === 'expired') this.res.write(`event: error\ndata: ${JSON.stringify({ type: 'error', code: 'CLARION_ERR_INBOX_TOKEN_EXPIRED' })}\n\n`);
      this.res.end();
    }
  }
}

export class InboxHub {
  readonly #deps: HubDeps;
  readonly #listener: PgListener;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false, clientTracking: false });
  /** Open connections by subscriber row id. */
  readonly #connections = new Map<string, Set<Connection>>();
  readonly #listeners: Partial<HubEvents> = {};
  #cancelBeat: (() => void) | undefined;
  #started = false;
  #stopping = false;

  constructor(deps: HubDeps) {
    this.#deps = deps;
    this.#listener = new PgListener({ channels: [INBOX_CHANNEL], applicationName: 'clarion-inbox-listener', log: deps.log });
    this.#listener.on('notification', (_channel, payload) => this.#announced(payload));
    this.#listener.on('listening', () => {
      // Back after a loss: announcements were missed, every stream catches up from the log.
      if (this.#started) for (const set of this.#connections.values()) for (const c of set) void this.#catchUp(c);
      this.#started = true;
    });
  }

  on<E extends keyof HubEvents>(event: E, listener: HubEvents[E]): void {
    this.#listeners[event] = listener;
  }

  /** How many streams are open here (all subscribers). */
  get size(): number {
    let n = 0;
    for (const set of this.#connections.values()) n += set.size;
    return n;
  }

  /** Subscriber row ids with an open stream here. */
  subscribers(): Array<{ tenantId: string; subscriberId: string }> {
    return [...this.#connections.values()].map((set) => {
      const { tenantId, subscriberId } = [...set][0].subscriber;
      return { tenantId, subscriberId };
    });
  }

  get listening(): boolean {
    return this.#listener.listening;
  }

  /** Listens and beats; a hub stopped before may start again (its streams come back with their cursors). */
  async start(connectionString: string): Promise<void> {
    this.#stopping = false;
    await this.#listener.start(connectionString);
    this.#cancelBeat?.();
    this.#nextBeat();
  }

  /** Ends every stream (WebSocket close 1001, SSE end) and stops listening. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#cancelBeat?.();
    this.#cancelBeat = undefined;
    for (const set of [...this.#connections.values()]) for (const c of [...set]) this.#drop(c, 'shutdown');
    await this.#listener.stop();
  }

  // ------------------------------------------------------------ opening

  /** The `upgrade` listener of the HTTP server: WebSocket streams at STREAM_PATH. */
  upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    void this.#upgrade(req, socket, head).catch((err) => {
      this.#deps.log.error({ err }, 'inbox stream upgrade failed');
      socket.destroy();
    });
  };

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    socket.on('error', () => socket.destroy());
    if (url.pathname !== STREAM_PATH || this.#stopping) {
      refuse(socket, this.#stopping ? 503 : 404, new ClarionError(this.#stopping ? 'CLARION_ERR_DB_UNAVAILABLE' : 'CLARION_ERR_HTTP_NOT_FOUND', this.#stopping ? 'The server is shutting down' : `No WebSocket route ${url.pathname}`));
      return;
    }
    let subscriber: InboxSubscriber;
    let cursor: number | undefined;
    try {
      subscriber = await this.#deps.authenticate(req.headers.authorization, url.searchParams.get('token') ?? undefined);
      cursor = parseCursor(url.searchParams.get('cursor'));
    } catch (err) {
      if (err instanceof ClarionError && err.status < 500) {
        refuse(socket, err.status, err);
        return;
      }
      throw err;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new WsConnection(subscriber, this.#forget, ws);
      ws.on('pong', () => (connection.alive = true));
      ws.on('error', () => this.#drop(connection, 'error'));
      ws.on('close', () => this.#drop(connection, 'client'));
      // Clients have nothing to say: anything sent is ignored (a heartbeat answer at most).
      ws.on('message', () => (connection.alive = true));
      void this.#open(connection, cursor);
    });
  }

  /** An SSE stream on a response whose request the gateway authenticated (`GET /v1/inbox/stream`, `Accept: text/event-stream`). */
  sse(subscriber: InboxSubscriber, req: IncomingMessage, res: ServerResponse, cursor: number | undefined): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      // Proxies (nginx) must pass each event on as it comes.
      'X-Accel-Buffering': 'no',
    });
    // EventSource reconnects by itself after this many milliseconds (with Last-Event-ID).
    res.write(`retry: ${Math.min(10_000, this.#deps.heartbeatMs)}\n\n`);
    res.socket?.setNoDelay(true);
    const connection = new SseConnection(subscriber, this.#forget, res);
    const gone = () => this.#drop(connection, 'client');
    req.on('close', gone);
    res.on('close', gone);
    res.on('error', () => this.#drop(connection, 'error'));
    void this.#open(connection, cursor);
  }

  async #open(connection: Connection, cursor: number | undefined): Promise<void> {
    const { subscriber } = connection;
    let set = this.#connections.get(subscriber.subscriberId);
    if (!set) {
      set = new Set();
      this.#connections.set(subscriber.subscriberId, set);
    }
    // Registered first: announcements from now on mark it for another pass.
    set.add(connection);
    this.#listeners.opened?.({ tenantId: subscriber.tenantId, subscriberId: subscriber.subscriberId });
    inboxConnections.inc({ transport: connection.transport });
    const untilExpiry = subscriber.expiresAt.getTime() - this.#deps.clock.now().getTime();
    connection.timer = setTimeout(() => this.#drop(connection, 'expired'), Math.max(0, Math.min(untilExpiry, 2 ** 31 - 1)));
    connection.timer.unref();
    try {
      const { knex } = this.#deps;
      const current = await currentSeq(knex, subscriber.subscriberId);
      let resumed = false;
      if (cursor !== undefined && cursor <= current) {
        const missed = await changesAfter(knex, subscriber.subscriberId, cursor, RESUME_MAX + 1);
        // Complete: the log still holds every change after the cursor (none pruned), and not too many.
        if (missed.length <= RESUME_MAX && missed.length >= current - cursor && (missed.length === 0 || missed[0].seq === cursor + 1)) {
          connection.sent = cursor;
          for (const change of missed) if (!(await this.#pace(connection, change))) return;
          resumed = true;
        }
      }
      const counts = await inboxCounts(knex, subscriber.tenantId, subscriber.subscriberId);
      if (!resumed) {
        connection.sent = Math.max(connection.sent, current);
        if (cursor !== undefined) {
          if (!connection.send('reset', { cursor: String(connection.sent), counts }, this.#deps.maxBufferBytes, String(connection.sent))) return;
        }
      }
      if (!connection.send('ready', { cursor: String(connection.sent), counts, heartbeatMs: this.#deps.heartbeatMs }, this.#deps.maxBufferBytes, String(connection.sent))) return;
    } catch (err) {
      this.#deps.log.warn({ err }, 'inbox stream could not open');
      this.#drop(connection, 'error');
      return;
    } finally {
      connection.busy = false;
    }
    // Whatever was announced while replaying.
    await this.#catchUp(connection);
  }

  // ------------------------------------------------------------ pushing

  #announced(payload: string | undefined): void {
    let note: InboxAnnouncement;
    try {
      note = JSON.parse(payload ?? '');
    } catch {
      this.#deps.log.warn({ payload: payload?.slice(0, 200) }, 'unreadable inbox announcement ignored');
      return;
    }
    const set = typeof note?.s === 'string' ? this.#connections.get(note.s) : undefined;
    if (!set || !Number.isInteger(note.q)) return;
    if (note.end === 'erased') {
      // The subscriber was erased: its tokens no longer open anything, and its streams end as an expired one does (4001).
      for (const connection of [...set]) this.#drop(connection, 'expired');
      return;
    }
    for (const connection of set) {
      if (connection.busy) connection.again = true;
      else if (note.q <= connection.sent) continue;
      else if (note.c && note.q === connection.sent + 1) this.#push(connection, { seq: note.q, change: note.c });
      else void this.#catchUp(connection);
    }
  }

  /** Sends the changes after the connection's cursor from the log, until none is left. */
  async #catchUp(connection: Connection): Promise<void> {
    if (connection.busy) {
      connection.again = true;
      return;
    }
    connection.busy = true;
    try {
      do {
        connection.again = false;
        let batch: StoredChange[];
        do {
          batch = await changesAfter(this.#deps.knex, connection.subscriber.subscriberId, connection.sent, CATCH_UP_BATCH);
          for (const change of batch) if (!(await this.#pace(connection, change))) return;
        } while (batch.length === CATCH_UP_BATCH && !connection.closed);
      } while (connection.again && !connection.closed);
    } catch (err) {
      this.#deps.log.warn({ err }, 'inbox stream could not catch up: cut, the client resumes from its cursor');
      this.#drop(connection, 'error');
    } finally {
      connection.busy = false;
    }
  }

  #push(connection: Connection, { seq, change }: { seq: number; change: InboxChange }): boolean {
    if (seq <= connection.sent) return true;
    const { type, ...rest } = change;
    if (!connection.send(type, { cursor: String(seq), ...rest }, this.#deps.maxBufferBytes, String(seq))) return false;
    connection.sent = seq;
    return true;
  }

  /**
   * A replayed or caught-up change: sent as fast as the client takes them. Past half the buffer
   * limit, the next waits until what was written has left (a healthy client reading a burst); a
   * client that takes no more within a heartbeat is cut.
   */
  async #pace(connection: Connection, change: StoredChange): Promise<boolean> {
    if (connection.pending() > this.#deps.maxBufferBytes / 2) {
      let cancel: (() => void) | undefined;
      const timedOut = await Promise.race([
        connection.flushed().then(() => false),
        new Promise<boolean>((resolve) => (cancel = this.#deps.timers.after(this.#deps.heartbeatMs, () => resolve(true)))),
      ]);
      cancel?.();
      if (timedOut && connection.pending() > this.#deps.maxBufferBytes / 2) {
        connection.end('slow');
        return false;
      }
    }
    return this.#push(connection, change);
  }

  /** Every heartbeatMs, one beat after the other (a timer set again as each fires). */
  #nextBeat(): void {
    this.#cancelBeat = this.#deps.timers.after(this.#deps.heartbeatMs, () => {
      this.#nextBeat();
      this.#beat();
    });
  }

  #beat(): void {
    const at = this.#deps.clock.now().toISOString();
    for (const set of [...this.#connections.values()]) {
      for (const connection of [...set]) {
        if (connection instanceof WsConnection) {
          if (!connection.alive) {
            this.#drop(connection, 'heartbeat');
            continue;
          }
          connection.alive = false;
          connection.socket.ping();
        }
        connection.send('heartbeat', { at }, this.#deps.maxBufferBytes);
      }
    }
  }

  // ------------------------------------------------------------ closing

  #drop(connection: Connection, reason: Reason): void {
    connection.end(reason);
  }

  readonly #forget = (connection: Connection): void => {
    clearTimeout(connection.timer);
    const set = this.#connections.get(connection.subscriber.subscriberId);
    if (!set?.delete(connection)) return;
    inboxConnections.dec({ transport: connection.transport });
    if (set.size === 0) this.#connections.delete(connection.subscriber.subscriberId);
    this.#listeners.closed?.({ tenantId: connection.subscriber.tenantId, subscriberId: connection.subscriber.subscriberId });
  };
}

/** A cursor as streams give them (the decimal number of a change); a 400 otherwise. */
export function parseCursor(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!CURSOR.test(value)) {
    throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'The cursor is not one this stream gave', { errors: [{ pointer: '/query/cursor', message: 'must be the cursor of a change the stream sent' }] });
  }
  return Number(value);
}

/** Answers a refused WebSocket upgrade with a problem document (browsers only see that it failed). */
function refuse(socket: Duplex, status: number, error: ClarionError): void {
  const body = JSON.stringify({ type: `urn:clarion:error:${error.code}`, title: error.title, status, detail: error.message, code: error.code, instance: STREAM_PATH, ...(error.errors.length > 0 ? { errors: error.errors } : {}) });
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }[status] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${status === 401 ? 'WWW-Authenticate: Bearer realm="clarion-inbox", error="invalid_token"\r\n' : ''}\r\n${body}`,
  );
}
