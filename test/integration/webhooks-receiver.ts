import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * A webhook receiver on loopback (node:http), as a tenant would run one. It records every request
 * with its raw body, answers from a script (then 200), and verifies signatures with the official
 * `standardwebhooks` library, never with Clarion's own signing code.
 */
export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Date.now() when it arrived. */
  at: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Never answer (a hanging receiver). */
  hang?: boolean;
}

export class Receiver {
  readonly requests: Received[] = [];
  #script: Answer[] = [];
  #fallback: Answer = { status: 200, body: 'ok' };
  #waiters: Array<{ n: number; resolve: () => void }> = [];
  #server: http.Server;
  #port = 0;

  private constructor(server: http.Server) {
    this.#server = server;
  }

  static async start(): Promise<Receiver> {
    const server = http.createServer();
    const receiver = new Receiver(server);
    server.on('request', (req, res) => receiver.#handle(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    receiver.#port = (server.address() as AddressInfo).port;
    return receiver;
  }

  get port(): number {
    return this.#port;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.#port}${path}`;
  }

  /** The next requests get these answers, in order; then `always` (default 200 "ok"). */
  respond(...answers: Answer[]): this {
    this.#script.push(...answers);
    return this;
  }

  always(answer: Answer): this {
    this.#fallback = answer;
    return this;
  }

  /** Resolves once `n` requests in all have arrived. */
  waitFor(n: number): Promise<void> {
    if (this.requests.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  /** Verifies a received request with `standardwebhooks` and returns the parsed CloudEvent. */
  static verify(secret: string, request: Received): Record<string, unknown> {
    return new Webhook(secret).verify(request.body, request.headers) as Record<string, unknown>;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      this.requests.push({ method: req.method!, path: req.url!, headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const answer = this.#script.shift() ?? this.#fallback;
      if (!answer.hang) res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
      for (const w of this.#waiters.filter((w) => this.requests.length >= w.n)) w.resolve();
      this.#waiters = this.#waiters.filter((w) => this.requests.length < w.n);
    });
  }
}
