/**
 * The in-app figures of `npm run bench` (step 9 of bench/run.ts): BENCH_INBOX_CLIENTS (1000)
 * WebSocket clients, one subscriber each, open on one gateway (in a process of their own:
 * bench/inbox-clients.ts); events to one of them at a time at BENCH_INBOX_RATE (50/s) for
 * BENCH_INBOX_SECONDS (5), each on the in-app channel; reported: event-to-socket p50/p99 (from
 * the POST to the item.created frame reaching the client) and the gateway's memory per open
 * connection (the gateway process's resident set, with its children, before and after).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const now = () => performance.timeOrigin + performance.now();

type Call = (method: string, path: string, body: unknown, contentType?: string) => Promise<Response>;

export interface InAppFigures {
  clients: number;
  openSeconds: number;
  /** The gateway's resident memory added per open connection, in KiB. */
  perConnectionKiB: number;
  items: number;
  total: number;
  rate: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
}

/** `gatewayRss`: the gateway process's resident set now, in bytes. */
export async function inAppBench(baseUrl: string, call: Call, gatewayRss: () => number): Promise<InAppFigures | undefined> {
  const clients = Number(process.env.BENCH_INBOX_CLIENTS ?? 1000);
  const rate = Number(process.env.BENCH_INBOX_RATE ?? 50);
  const seconds = Number(process.env.BENCH_INBOX_SECONDS ?? 5);
  if (clients <= 0) return undefined;
  const put = await call('PUT', '/v1/workflows/bench-inbox', { trigger: 'com.clarion.bench.inbox', channels: ['in_app'], templates: { in_app: { title: 'inbox {{ data.n }}', body: 'Hello' } } });
  if (!put.ok) throw new Error(`in-app workflow refused: ${put.status} ${await put.text()}`);

  // A token per subscriber, as each one's page would have.
  const tokens: string[] = [];
  for (let i = 0; i < clients; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, clients - i) }, async (_, k) => {
        const res = await call('POST', `/v1/subscribers/inbox-${i + k}/inbox-token`, { ttlSeconds: 3600 });
        if (res.status !== 201) throw new Error(`token refused: ${res.status} ${await res.text()}`);
        return ((await res.json()) as { token: string }).token;
      }),
    );
    tokens.push(...batch);
  }

  const child = fork(new URL('./inbox-clients.ts', import.meta.url), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const reply = <T>() => once(child, 'message').then(([m]) => m as T);
  try {
    const before = gatewayRss();
    const ws = baseUrl.replace(/^http/, 'ws');
    const opened = performance.now();
    child.send({ open: tokens.map((token) => `${ws}/v1/inbox/stream?token=${token}`) });
    const { ready } = await reply<{ ready: number }>();
    const openSeconds = (performance.now() - opened) / 1000;
    const perConnectionKiB = (gatewayRss() - before) / ready / 1024;

    const sentAt = new Map<string, number>();
    const total = Math.round(rate * seconds);
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      const wait = started + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sentAt.set(`inbox ${i}`, now());
      const event = { specversion: '1.0', id: `bench-inbox-${i}`, source: '/bench', type: 'com.clarion.bench.inbox', data: { n: i, recipients: [{ id: `inbox-${(i * 7919) % clients}` }] } };
      void call('POST', '/v1/events', event, 'application/cloudevents+json');
    }
    let received: Array<[string, number]> = [];
    const deadline = performance.now() + 60_000;
    while (performance.now() < deadline) {
      child.send({ report: true });
      ({ received } = await reply<{ received: Array<[string, number]> }>());
      if (received.length >= total) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const latencies = received.map(([title, at]) => at - (sentAt.get(title) ?? at)).sort((a, b) => a - b);
    if (latencies.length === 0) throw new Error('no in-app item reached a client');
    return { clients: ready, openSeconds, perConnectionKiB, items: latencies.length, total, rate, seconds, p50: pct(latencies, 50), p99: pct(latencies, 99), max: latencies.at(-1)! };
  } finally {
    child.send({ close: true });
    await once(child, 'exit');
  }
}
