/**
 * Ingest benchmark (not a test): `npm run bench:ingest`.
 *
 * Starts Clarion (gateway + worker) on a fresh database of a throwaway embedded PostgreSQL (or
 * DATABASE_URL), then posts single structured events at a steady rate and batches of 100, and
 * prints requests/s, events/s and p50/p99 latency. Goal: p99 under 50 ms at 200 single events/s.
 *
 * Options (environment): BENCH_RATE (200 events/s), BENCH_SECONDS (10), BENCH_BATCHES (50),
 * BENCH_WITH_WORKER=1 to run the worker in the same process (as `npm start` does; by default the
 * gateway runs alone, as in production where workers are separate processes),
 * BENCH_URL + BENCH_API_KEY to target an already running gateway instead.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../core/config.ts';
import { createLogger } from '../core/log.ts';
import { startClarion } from '../core/runtime.ts';
import { createTenant } from '../core/tenants.ts';

const rate = Number(process.env.BENCH_RATE ?? 200);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const batches = Number(process.env.BENCH_BATCHES ?? 50);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function report(name: string, latencies: number[], events: number, elapsedMs: number, errors: number) {
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    `${name}: ${latencies.length} requests in ${(elapsedMs / 1000).toFixed(1)} s = ${(latencies.length / (elapsedMs / 1000)).toFixed(0)} req/s, ` +
      `${(events / (elapsedMs / 1000)).toFixed(0)} events/s, p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, ` +
      `max ${sorted.at(-1)?.toFixed(1)} ms, errors ${errors}`,
  );
}

const event = (source: string) => ({
  specversion: '1.0',
  id: randomUUID(),
  source,
  type: 'com.clarion.bench.ping',
  time: new Date().toISOString(),
  data: { orderId: randomUUID(), amount: 42.5, recipients: ['bench-user'] },
});

async function main() {
  let url = process.env.BENCH_URL;
  let apiKey = process.env.BENCH_API_KEY;
  let stop = async () => {};
  if (!url || !apiKey) {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'clarion-bench-'));
    const config = loadConfig({ ...process.env, CLARION_DATA_DIR: dataDir, PORT: '0', CLARION_LOG_LEVEL: 'warn' });
    const clarion = await startClarion({ config, log: createLogger('warn'), worker: process.env.BENCH_WITH_WORKER === '1' });
    const tenant = await createTenant(clarion.database.knex, { name: 'Bench', settings: { acceptUnvalidatedTypes: true } });
    url = clarion.url!;
    apiKey = tenant.apiKey;
    stop = async () => {
      await clarion.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const headers = { authorization: `Bearer ${apiKey}` };
  const post = async (body: string, contentType: string) => {
    const started = performance.now();
    const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { ...headers, 'content-type': contentType }, body });
    await res.arrayBuffer();
    return { ms: performance.now() - started, ok: res.status === 202 };
  };

  // Warm up connections and caches.
  for (let i = 0; i < 50; i++) await post(JSON.stringify(event('/bench/warmup')), 'application/cloudevents+json');

  // Single events at a steady rate (open loop: requests are sent on schedule, whatever the answers).
  {
    const total = rate * seconds;
    const latencies: number[] = [];
    let errors = 0;
    const started = performance.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      inflight.push(
        post(JSON.stringify(event('/bench/single')), 'application/cloudevents+json').then((r) => {
          latencies.push(r.ms);
          if (!r.ok) errors++;
        }),
      );
    }
    await Promise.all(inflight);
    report(`single events at ${rate}/s`, latencies, latencies.length, performance.now() - started, errors);
  }

  // Batches of 100, closed loop with 4 concurrent senders.
  {
    const latencies: number[] = [];
    let errors = 0;
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next++ < batches) {
          const body = JSON.stringify(Array.from({ length: 100 }, () => event('/bench/batch')));
          const r = await post(body, 'application/cloudevents-batch+json');
          latencies.push(r.ms);
          if (!r.ok) errors++;
        }
      }),
    );
    report('batches of 100', latencies, latencies.length * 100, performance.now() - started, errors);
  }
  await stop();
}

await main();
