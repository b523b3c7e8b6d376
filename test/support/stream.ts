import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import type { TestApp } from './clarion.ts';

/**
 * The gateway of a test app (or peer) on a real socket, with its inbox streams and presence, as
 * the runtime serves them. `databaseUrl`: where its hub listens (the app's database).
 */
export async function serve(t: Pick<TestApp, 'services' | 'callback'>, databaseUrl: string): Promise<{ url: string; ws: string; close(): Promise<void> }> {
  const server = http.createServer(t.callback);
  server.on('upgrade', t.services.inbox.hub.upgrade);
  await t.services.inbox.start(databaseUrl);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}`,
    async close() {
      await t.services.inbox.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type StreamMessage = { type: string; cursor?: string; [key: string]: unknown };

/**
 * A stream client that keeps every message, and waits for the next ones that match. Waits are on
 * messages, never on time; the test's timeout bounds them.
 */
export class StreamClient {
  readonly messages: StreamMessage[] = [];
  closed: { code: number; reason: string } | undefined;
  #waiters: Array<() => void> = [];

  protected received(message: StreamMessage): void {
    this.messages.push(message);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  protected ended(code: number, reason: string): void {
    this.closed = { code, reason };
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** The first message from index `from` on that matches, once it has arrived. */
  async next(match: (m: StreamMessage) => boolean, from = 0): Promise<StreamMessage> {
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found) return found;
      if (this.closed) throw new Error(`the stream closed (${this.closed.code} ${this.closed.reason}) before a matching message; got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Resolves once the stream has closed. */
  async whenClosed(): Promise<{ code: number; reason: string }> {
    while (!this.closed) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.closed;
  }

  /** Changes only (no ready, heartbeats...). */
  changes(): StreamMessage[] {
    return this.messages.filter((m) => m.type.startsWith('item'));
  }
}

export class WsClient extends StreamClient {
  readonly socket: WebSocket;

  private constructor(socket: WebSocket) {
    super();
    this.socket = socket;
    socket.on('message', (data) => this.received(JSON.parse(String(data))));
    socket.on('close', (code, reason) => this.ended(code, String(reason)));
  }

  /** Opens a stream; rejects with the HTTP status and problem document of a refused upgrade. */
  static open(url: string, options: { autoPong?: boolean } = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { autoPong: options.autoPong ?? true });
      const client = new WsClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => reject(Object.assign(new Error(`refused with ${res.statusCode}`), { status: res.statusCode, body: body ? JSON.parse(body) : undefined })));
      });
      socket.once('error', (err) => reject(err));
    });
  }

  /**
   * Resolves once the server has read every frame this client sent before (a pong it answered a
   * ping with, say): a ping of its own, answered after those, in order.
   */
  roundTrip(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('pong', () => resolve());
      this.socket.ping(undefined, undefined, (err) => err && reject(err));
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** An EventSource-like client over fetch: events with their ids, as browsers parse them. */
export class SseClient extends StreamClient {
  readonly ids: string[] = [];
  readonly controller = new AbortController();
  response: Response | undefined;

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: client.controller.signal });
    client.response = response;
    if (!response.ok) throw Object.assign(new Error(`refused with ${response.status}`), { status: response.status, body: await response.json() });
    void client.#read(response.body!);
    return client;
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(block.split('\n').filter((l) => l && !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trimStart()]));
          if (fields.id) this.ids.push(fields.id);
          if (fields.data) this.received(JSON.parse(fields.data));
        }
      }
      this.ended(0, 'end');
    } catch {
      this.ended(0, 'aborted');
    }
  }

  close(): void {
    this.controller.abort();
  }
}
