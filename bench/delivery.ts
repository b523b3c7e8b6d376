/**
 * Delivery benchmark (not a test): `npm run bench`.
 *
 * Starts Clarion (gateway + worker in one process) on a throwaway embedded PostgreSQL with a
 * local SMTP sink as the tenant's email provider (pooled connections), then:
 *  1. measures graphile-worker's own no-op job rate on this machine: the ceiling;
 *  2. posts events at a steady rate (BENCH_RATE, 100/s) for BENCH_SECONDS (10) and reports the
 *     event-to-SMTP latency (p50/p99), from the POST to the message arriving at the SMTP server,
 *     after BENCH_WARMUP_SECONDS (1) at that rate reported apart (a process's first events pay for
 *     its connections and compiled code);
 *  3. posts BENCH_BURST (3000) events as fast as batches of 100 allow and reports events/s and
 *     deliveries/s until the last email arrives.
 *  4. in-app: BENCH_INBOX_CLIENTS (1000) WebSocket clients on the gateway, events to them at a
 *     steady rate; event-to-socket p50/p99 and the gateway's memory per connection
 *     (bench/inbox.ts; BENCH_INBOX_CLIENTS=0 skips it).
 * Each event of steps 2 and 3 goes to one subscriber on the email channel.
 *
 * BENCH_SEPARATE_WORKER=1 runs the worker as its own process (`clarion worker`), as in
 * production, instead of inside the gateway's process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runOnce } from 'graphile-worker';
import { loadConfig } from '../core/config.ts';
import { createLogger, graphileLogger } from '../core/log.ts';
import { startClarion } from '../core/runtime.ts';
import { createTenant } from '../core/tenants.ts';
import { SmtpSink } from '../test/support/smtp.ts';
import { inAppBench } from './inbox.ts';

const rate = Number(process.env.BENCH_RATE ?? 100);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const burst = Number(process.env.BENCH_BURST ?? 3000);
const concurrency = process.env.CLARION_WORKER_CONCURRENCY ?? '20';

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'clarion-bench-'));
  const sink = new SmtpSink();
  await sink.start();
  // BENCH_PGSS=1 prints the statements that took the database's time (pg_stat_statements).
  const pgss = process.env.BENCH_PGSS ? { CLARION_EMBEDDED_POSTGRES_SETTINGS: `shared_preload_libraries=pg_stat_statements pg_stat_statements.track_planning=on pg_stat_statements.track=${process.env.BENCH_PGSS === 'all' ? 'all' : 'top'}` } : {};
  const config = loadConfig({ ...process.env, ...pgss, CLARION_DATA_DIR: dataDir, PORT: '0', CLARION_LOG_LEVEL: 'error', CLARION_WORKER_CONCURRENCY: concurrency, CLARION_DB_POOL_MAX: '20' });
  const separate = process.env.BENCH_SEPARATE_WORKER === '1';
  const clarion = await startClarion({ config, log: createLogger(process.env.BENCH_LOG_LEVEL ?? 'error'), worker: !separate });
  let workerProcess: ChildProcess | undefined;
  if (separate) {
    const secret = (await readFile(path.join(dataDir, 'secret-key'), 'utf8')).trim();
    workerProcess = spawn(process.execPath, [fileURLToPath(new URL('../bin/clarion.js', import.meta.url)), 'worker'], {
      env: { ...process.env, DATABASE_URL: clarion.database.url, CLARION_SECRET_KEY: secret, CLARION_LOG_LEVEL: 'error', CLARION_WORKER_CONCURRENCY: concurrency, CLARION_DB_POOL_MAX: '20' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      workerProcess!.stdout!.on('data', (d: Buffer) => d.toString().includes('Ctrl-C stops') && resolve());
      workerProcess!.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    });
  }
  const knex = clarion.database.knex;
  try {
    // 1. The ceiling: graphile-worker running no-op jobs on this database.
    {
      const n = 2000;
      await knex.raw(`select graphile_worker.add_job('bench_noop', '{}'::json) from generate_series(1, ?)`, [n]);
      const started = performance.now();
      await runOnce({
        connectionString: clarion.database.url,
        concurrency: Number(concurrency),
        taskList: { bench_noop: async () => {} },
        logger: graphileLogger(createLogger('error')),
        preset: { worker: { localQueue: { size: Number(concurrency) + 1 }, completeJobBatchDelay: 0 } },
      });
      const s = (performance.now() - started) / 1000;
      console.log(`graphile-worker no-op ceiling: ${n} jobs in ${s.toFixed(2)} s = ${(n / s).toFixed(0)} jobs/s (concurrency ${concurrency})`);
    }

    const { apiKey } = await createTenant(knex, { name: 'Bench', settings: { acceptUnvalidatedTypes: true } });
    const call = (method: string, p: string, body: unknown, contentType = 'application/json') =>
      fetch(`${clarion.url}${p}`, { method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': contentType }, body: JSON.stringify(body) });
    await call('POST', '/v1/providers', { channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'bench@clarion.test', maxConnections: 10 } });
    await call('PUT', '/v1/workflows/bench', { trigger: 'com.clarion.bench', channels: ['email'], templates: { email: { subject: 'bench {{ data.n }}', text: 'Hello {{ subscriber.name }}' } } });

    if (process.env.BENCH_PGSS) await knex.raw('create extension if not exists pg_stat_statements');
    if (process.env.BENCH_PGSS) await knex.raw("select pg_stat_statements_reset(), pg_stat_reset_shared('wal')");
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    sink.on('mail', (mail: { subject: string }) => {
      const t = sentAt.get(mail.subject);
      if (t !== undefined) latencies.push(performance.now() - t);
    });
    const event = (n: number) => ({ specversion: '1.0', id: `bench-${n}`, source: '/bench', type: 'com.clarion.bench', data: { n, recipients: [{ id: `user-${n % 500}`, email: `user-${n % 500}@bench.test`, name: 'Bench' }] } });

    // 2. Steady rate: event-to-SMTP latency. The first WARMUP_SECONDS (1) warm the process up
    //    (connections, compiled code, SMTP pool) and are reported apart.
    const steady = async (label: string, from: number, total: number) => {
      latencies.length = 0;
      const started = performance.now();
      for (let i = 0; i < total; i++) {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        sentAt.set(`bench ${from + i}`, performance.now());
        void call('POST', '/v1/events', event(from + i), 'application/cloudevents+json');
      }
      while (latencies.length < total) await new Promise((r) => setTimeout(r, 50));
      if (process.env.BENCH_TRACE) console.log(latencies.map((l) => l.toFixed(0)).join(' '));
      const sorted = [...latencies].sort((a, b) => a - b);
      console.log(`${label}: ${total} emails, event-to-SMTP p50 ${pct(sorted, 50).toFixed(0)} ms, p99 ${pct(sorted, 99).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`);
    };
    const warmup = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
    if (warmup > 0) await steady(`warm-up ${rate} events/s for ${warmup} s (not counted)`, 50_000, Math.round(rate * warmup));
    await steady(`steady ${rate} events/s for ${seconds} s`, 0, rate * seconds);

    // 3. Burst: throughput until the last email arrives.
    {
      const before = sink.received.length;
      const started = performance.now();
      for (let i = 0; i < burst; i += 100) {
        const batch = Array.from({ length: Math.min(100, burst - i) }, (_, k) => event(100_000 + i + k));
        const res = await call('POST', '/v1/events', batch, 'application/cloudevents-batch+json');
        if (res.status !== 202) throw new Error(`batch refused: ${res.status} ${await res.text()}`);
      }
      const ingested = (performance.now() - started) / 1000;
      const perSecond: number[] = [];
      let last = sink.received.length;
      let tick = performance.now();
      while (sink.received.length - before < burst) {
        await new Promise((r) => setTimeout(r, 50));
        if (process.env.BENCH_TRACE && performance.now() - tick >= 1000) {
          perSecond.push(sink.received.length - last);
          last = sink.received.length;
          tick = performance.now();
        }
      }
      if (process.env.BENCH_TRACE) console.log(`deliveries per second: ${perSecond.join(' ')}`);
      const s = (performance.now() - started) / 1000;
      console.log(`burst of ${burst} events: ingested in ${ingested.toFixed(1)} s (${(burst / ingested).toFixed(0)} events/s); all ${burst} emails delivered in ${s.toFixed(1)} s = ${(burst / s).toFixed(0)} deliveries/s (${((burst / s) * 3600 / 1e6).toFixed(2)} M/hour)`);
    }
    // 4. In-app: open sockets, event to socket.
    await inAppBench(clarion.url!, call);
    if (process.env.BENCH_PGSS) {
      const { rows } = await knex.raw(`select calls, round(total_exec_time::numeric, 0) as ms, round(mean_exec_time::numeric, 3) as mean, round(total_plan_time::numeric, 0) as plan, left(regexp_replace(query, '\\s+', ' ', 'g'), 150) as q from pg_stat_statements order by total_exec_time + total_plan_time desc limit 40`);
      console.table(rows);
      const { rows: [t] } = await knex.raw(`select sum(calls) as calls, round(sum(total_exec_time)::numeric) as exec_ms, round(sum(total_plan_time)::numeric) as plan_ms from pg_stat_statements`);
      console.log(t);
      console.log((await knex.raw('select * from pg_stat_wal')).rows[0]);
    }
  } finally {
    if (workerProcess) {
      workerProcess.kill('SIGTERM');
      await once(workerProcess, 'exit');
    }
    await clarion.stop();
    await sink.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
