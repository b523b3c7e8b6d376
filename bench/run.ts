/**
 * `npm run bench` (not a test): each of Clarion's throughput figures beside the ceiling this
 * machine and database allow, measured in the same run, and the goals of docs/performance.md.
 *
 * One embedded PostgreSQL (a throwaway data directory) serves every figure. Clarion runs as
 * production runs it: `clarion gateway` and `clarion worker`, each its own process; HTTP load
 * comes from a load generator process of its own (autocannon, bench/lib/loadgen.ts).
 *
 *  1. ceiling: node http + pg, one INSERT per POST (bench/lib/http-insert.ts), 50 connections;
 *  2. single events, one POST each, 50 connections, the gateway alone (no worker running);
 *  3. ceiling: graphile-worker no-op jobs, at Clarion's worker settings;
 *  4. deliveries through the engine on the in-app channel (events posted in batches of 100);
 *  5. ceiling: nodemailer, pooled, to the SMTP sink, with the provider's connection count;
 *  6. email deliveries to the same sink through the engine (events in batches of 100);
 *  7. single events end to end (one POST each, to email) at a sustained rate: event-to-SMTP latency;
 *  8. one event to a team of BENCH_TEAM subscribers (in-app): notifications created and sent;
 *  9. BENCH_INBOX_CLIENTS (1000) WebSocket inbox clients on the gateway (a process of their own,
 *     bench/inbox-clients.ts), in-app events to them: event-to-socket latency and the gateway's
 *     memory per open connection (bench/inbox.ts);
 *  and the gateway's plus the worker's resident memory (render processes included) throughout 4-8.
 *
 * Options: `--json FILE` writes the figures as JSON too; `--only 1,2` runs some steps (their
 * ceilings are steps too). Environment: BENCH_SECONDS (10) per HTTP figure, BENCH_CONNECTIONS (50),
 * BENCH_ENGINE_EVENTS (6000), BENCH_EMAIL_EVENTS (3000), BENCH_E2E_RATE (1000 events/s),
 * BENCH_TEAM (10000), BENCH_SMTP_CONNECTIONS (5), CLARION_WORKER_CONCURRENCY (Clarion's default),
 * BENCH_PGSS=1 (print the statements that took the database's time, pg_stat_statements, and what
 * the busy backends waited on, sampled from pg_stat_activity).
 * BENCH_CPU_PROF=gateway,worker (a V8 CPU profile of each, into BENCH_CPU_PROF_DIR, default the working directory).
 * BENCH_NODE_FLAGS: the Node flags of the gateway and the worker instead of bin/clarion.js's own ("" for Node's defaults).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runMigrations, runOnce } from 'graphile-worker';
import type { Knex } from 'knex';
import nodemailer from 'nodemailer';
import { loadConfig } from '../core/config.ts';
import { createKnex, migrate } from '../core/db/database.ts';
import { startEmbedded } from '../core/db/embedded.ts';
import { createLogger, graphileLogger } from '../core/log.ts';
import { createTenant } from '../core/tenants.ts';
import { SmtpSink } from '../test/support/smtp.ts';
import { load } from './lib/loadgen.ts';
import { MemorySampler, rssTree, startProcess, type ClarionProcess } from './lib/processes.ts';
import { inAppBench } from './inbox.ts';
import { Progress, table, writeJson, type Figure } from './lib/report.ts';

const { values: args } = parseArgs({ options: { json: { type: 'string' }, only: { type: 'string' } } });
const only = args.only ? new Set(args.only.split(',').map(Number)) : undefined;
const wanted = (step: number) => !only || only.has(step);

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SECONDS = env('BENCH_SECONDS', 10);
const CONNECTIONS = env('BENCH_CONNECTIONS', 50);
const ENGINE_EVENTS = env('BENCH_ENGINE_EVENTS', 6000);
const EMAIL_EVENTS = env('BENCH_EMAIL_EVENTS', 3000);
const E2E_RATE = env('BENCH_E2E_RATE', 1000);
const TEAM = env('BENCH_TEAM', 10_000);
const SMTP_CONNECTIONS = env('BENCH_SMTP_CONNECTIONS', 5);
const defaults = loadConfig({ CLARION_SECRET_KEY: randomBytes(32).toString('base64'), DATABASE_URL: 'postgres://unused' });
const CONCURRENCY = env('CLARION_WORKER_CONCURRENCY', defaults.workerConcurrency);
const FINAL = ['sent', 'delivered', 'read', 'failed', 'dead', 'undelivered', 'bounced', 'cancelled'];

const log = createLogger('error');
const progress = new Progress(only ? only.size : 9);
const figures: Figure[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function database(admin: Knex, base: string, name: string): Promise<string> {
  await admin.raw(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Waits until `count()` reaches `target`, showing progress; returns the seconds since `started`. */
async function until(label: string, target: number, count: () => Promise<number>, started: number, timeoutMs = 600_000): Promise<number> {
  for (;;) {
    const n = await count();
    progress.update(`${label}: ${n.toLocaleString('en-US')}/${target.toLocaleString('en-US')}`);
    if (n >= target) return (performance.now() - started) / 1000;
    if (performance.now() - started > timeoutMs) throw new Error(`${label}: only ${n} of ${target} after ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** Posts events in batches of 100, four requests at a time. */
async function postBatches(url: string, apiKey: string, events: unknown[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < events.length) {
        const batch = events.slice(next, (next += 100));
        const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(batch) });
        if (res.status !== 202) throw new Error(`batch refused: ${res.status} ${await res.text()}`);
      }
    }),
  );
}

function startCeilingServer(url: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./lib/http-insert.ts', import.meta.url)), url], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const port = /listening (\d+)/.exec(d.toString())?.[1];
      if (port) resolve({ url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`the ceiling server exited with ${code}`)));
  });
}

/**
 * With BENCH_PGSS: what the Clarion database's busy backends are doing, sampled every 20 ms (the
 * wait event, none: on CPU), by statement: where a statement's time goes that pg_stat_statements
 * does not say (a lock, the WAL, I/O).
 */
function sampleWaits(knex: ReturnType<typeof createKnex>): { stop(): Promise<unknown[]> } {
  const counts = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await knex.raw(
        `select coalesce(wait_event_type || ':' || wait_event, 'cpu') as wait, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) as q
           from pg_stat_activity where datname = current_database() and state = 'active' and pid <> pg_backend_pid()`,
      ).catch(() => ({ rows: undefined }));
      if (!rows) break;
      for (const row of rows as Array<{ wait: string; q: string }>) counts.set(`${row.wait}\u0000${row.q}`, (counts.get(`${row.wait}\u0000${row.q}`) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([key, n]) => {
        const [wait, q] = key.split('\u0000');
        return { samples: n, share: `${Math.round((100 * n) / Math.max(total, 1))}%`, wait, q };
      });
    },
  };
}

async function main() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'clarion-bench-'));
  const pgss = process.env.BENCH_PGSS ? ['shared_preload_libraries=pg_stat_statements', `pg_stat_statements.track=${process.env.BENCH_PGSS === 'all' ? 'all' : 'top'}`] : [];
  const server = await startEmbedded(dataDir, log, { settings: pgss });
  const admin = createKnex(server.url, 2);
  const secret = randomBytes(32).toString('base64');
  const processes: ClarionProcess[] = [];
  const sink = new SmtpSink();
  await sink.start();
  // A step that fails still leaves the figures measured before it (printed, written), then the error.
  let failure: unknown;
  try {
    const ceilingUrl = await database(admin, server.url, 'bench_ceiling');
    const ingestUrl = await database(admin, server.url, 'clarion_ingest');
    const clarionUrl = await database(admin, server.url, 'clarion_bench');
    for (const url of [ingestUrl, clarionUrl]) {
      const knex = createKnex(url, 2);
      await migrate(knex, url, log);
      await knex.destroy();
    }
    // The SMTP sink is on loopback: the operator allows it, as for any private provider.
    const clarionEnv = { DATABASE_URL: clarionUrl, CLARION_SECRET_KEY: secret, CLARION_WORKER_CONCURRENCY: String(CONCURRENCY), CLARION_OUTBOUND_ALLOWLIST: '127.0.0.1' };
    const ingestLoad = { connections: CONNECTIONS, duration: SECONDS, path: '/v1/events', type: 'com.clarion.bench.ping', data: { recipients: ['bench-user'] } };

    // 1-2. Single events: the raw ceiling, then the gateway alone.
    if (wanted(1)) {
      progress.step(`ceiling: node http + pg INSERT, ${CONNECTIONS} connections for ${SECONDS} s`);
      const ceiling = await startCeilingServer(ceilingUrl);
      try {
        const r = await load({ ...ingestLoad, url: ceiling.url, headers: {}, idPrefix: 'ceiling' });
        figures.push({ name: 'ceiling: HTTP POST -> one INSERT -> 202', value: r.perSecond, unit: 'req/s', detail: `p99 ${r.latencyMs.p99} ms` });
      } finally {
        ceiling.stop();
      }
    }
    if (wanted(2)) {
      progress.step(`single events, one POST each, ${CONNECTIONS} connections for ${SECONDS} s, gateway alone`);
      const knex = createKnex(ingestUrl, 2);
      const { apiKey } = await createTenant(knex, { name: 'Bench', settings: { acceptUnvalidatedTypes: true } });
      await knex.destroy();
      const gateway = await startProcess('gateway', { ...clarionEnv, DATABASE_URL: ingestUrl });
      try {
        const r = await load({ ...ingestLoad, url: gateway.url!, headers: { authorization: `Bearer ${apiKey}` }, idPrefix: 'single' });
        const ceiling = figures.find((f) => f.name.startsWith('ceiling: HTTP'));
        figures.push({
          name: `single events, ${CONNECTIONS} clients, gateway alone`,
          value: r.perSecond,
          unit: 'req/s',
          detail: `p99 ${r.latencyMs.p99} ms${r.refused + r.errors > 0 ? `, ${r.refused} refused, ${r.errors} errors` : ''}`,
          ceiling: ceiling && { name: 'HTTP -> INSERT', value: ceiling.value },
          goal: { text: '>= 2,000 req/s, p99 <= 50 ms, >= 35% of ceiling', met: r.perSecond >= 2000 && r.latencyMs.p99 <= 50 && (!ceiling || r.perSecond >= 0.35 * ceiling.value) },
        });
      } finally {
        await gateway.stop();
      }
    }

    // 3. The job queue's ceiling, at the worker's settings.
    let noop: number | undefined;
    if (wanted(3)) {
      progress.step(`ceiling: graphile-worker no-op jobs (concurrency ${CONCURRENCY})`);
      const n = 20_000;
      await runMigrations({ connectionString: ceilingUrl, logger: graphileLogger(log) });
      const knex = createKnex(ceilingUrl, 2);
      await knex.raw(`select graphile_worker.add_job('bench_noop', '{}'::json) from generate_series(1, ?)`, [n]);
      await knex.destroy();
      const started = performance.now();
      await runOnce({
        connectionString: ceilingUrl,
        concurrency: CONCURRENCY,
        taskList: { bench_noop: async () => {} },
        logger: graphileLogger(log),
        preset: { worker: { localQueue: { size: CONCURRENCY + 1 }, completeJobBatchDelay: defaults.workerCompleteBatchMs, failJobBatchDelay: defaults.workerCompleteBatchMs } },
      });
      noop = n / ((performance.now() - started) / 1000);
      figures.push({ name: 'ceiling: graphile-worker no-op jobs', value: noop, unit: 'jobs/s' });
    }

    // 4-8 run on one gateway and one worker.
    const needClarion = [4, 6, 7, 8, 9].some(wanted);
    let gateway: ClarionProcess | undefined;
    let worker: ClarionProcess | undefined;
    let memory: MemorySampler | undefined;
    const knex = createKnex(clarionUrl, 4);
    let apiKey = '';
    let tenantId = '';
    let waits: { stop(): Promise<unknown[]> } | undefined;
    if (needClarion) {
      const created = await createTenant(knex, { name: 'Bench', settings: { acceptUnvalidatedTypes: true } });
      apiKey = created.apiKey;
      tenantId = created.tenant.id;
      gateway = await startProcess('gateway', clarionEnv);
      worker = await startProcess('worker', clarionEnv);
      processes.push(gateway, worker);
      memory = new MemorySampler(() => [gateway!.child.pid!, worker!.child.pid!]);
      const call = async (method: string, p: string, body: unknown) => {
        const res = await fetch(`${gateway!.url}${p}`, { method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      };
      await call('POST', '/v1/providers', { channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'bench@clarion.test', maxConnections: SMTP_CONNECTIONS } });
      await call('PUT', '/v1/workflows/bench-inapp', { trigger: 'com.clarion.bench.inapp', channels: ['in_app'], templates: { in_app: { title: 'bench {{ data.n }}', body: 'Hello {{ subscriber.name }}' } } });
      await call('PUT', '/v1/workflows/bench-email', { trigger: 'com.clarion.bench.email', channels: ['email'], templates: { email: { subject: 'bench {{ data.sentAt }} {{ data.n }}', text: 'Hello {{ subscriber.name }}' } } });
      if (process.env.BENCH_PGSS) {
        await knex.raw('create extension if not exists pg_stat_statements').then(() => knex.raw('select pg_stat_statements_reset()'));
        waits = sampleWaits(knex);
      }
    }
    const finalCount = (channel: string) => async () =>
      Number((await knex.raw(`select count(*)::int as n from deliveries where tenant_id = ? and channel = ? and status = any(?)`, [tenantId, channel, FINAL])).rows[0].n);
    const event = (type: string, n: number) => ({ specversion: '1.0', id: `${type}-${n}`, source: '/bench', type, data: { n, sentAt: 0, recipients: [{ id: `user-${n % 500}`, email: `user-${n % 500}@bench.test`, name: 'Bench' }] } });

    let engine: number | undefined;
    if (wanted(4)) {
      progress.step(`${ENGINE_EVENTS} events in batches of 100 through the engine, in-app channel`);
      const before = await finalCount('in_app')();
      const started = performance.now();
      await postBatches(gateway!.url!, apiKey, Array.from({ length: ENGINE_EVENTS }, (_, n) => event('com.clarion.bench.inapp', n)));
      const s = await until('in-app deliveries', before + ENGINE_EVENTS, finalCount('in_app'), started);
      engine = ENGINE_EVENTS / s;
      figures.push({
        name: 'deliveries through the engine, in-app, batches of 100',
        value: engine,
        unit: 'deliveries/s',
        ceiling: noop === undefined ? undefined : { name: 'no-op jobs', value: noop, unit: 'jobs/s' },
        goal: { text: '>= 3,000/s and >= 30% of ceiling', met: engine >= 3000 && (noop === undefined || engine >= 0.3 * noop) },
      });
    }

    let smtpCeiling: number | undefined;
    if (wanted(5)) {
      progress.step(`ceiling: nodemailer pooled (${SMTP_CONNECTIONS} connections) to the SMTP sink`);
      const n = 3000;
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, pool: true, maxConnections: SMTP_CONNECTIONS, maxMessages: Infinity, secure: false, ignoreTLS: true });
      const started = performance.now();
      await Promise.all(Array.from({ length: n }, (_, i) => transport.sendMail({ from: 'bench@clarion.test', to: `ceiling-${i}@bench.test`, subject: `ceiling ${i}`, text: 'Hello Bench' })));
      smtpCeiling = n / ((performance.now() - started) / 1000);
      transport.close();
      figures.push({ name: 'ceiling: nodemailer pooled -> SMTP sink', value: smtpCeiling, unit: 'emails/s' });
    }

    if (wanted(6)) {
      progress.step(`${EMAIL_EVENTS} events in batches of 100 to email, through the engine to the SMTP sink`);
      const before = sink.received.length;
      const started = performance.now();
      await postBatches(gateway!.url!, apiKey, Array.from({ length: EMAIL_EVENTS }, (_, n) => event('com.clarion.bench.email', n)));
      const s = await until('emails', EMAIL_EVENTS, async () => sink.received.length - before, started);
      const rate = EMAIL_EVENTS / s;
      figures.push({
        name: 'email deliveries to the SMTP sink, batches of 100',
        value: rate,
        unit: 'emails/s',
        ceiling: smtpCeiling === undefined ? undefined : { name: 'nodemailer pooled', value: smtpCeiling },
        goal: { text: '>= 70% of ceiling', met: smtpCeiling !== undefined && rate >= 0.7 * smtpCeiling },
      });
    }

    if (wanted(7)) {
      progress.step(`single events end to end at ${E2E_RATE}/s for ${SECONDS} s (one POST each, to email)`);
      const latencies: number[] = [];
      const onMail = (mail: { subject: string }) => {
        const sentAt = Number(/^bench (\d+) /.exec(mail.subject)?.[1]);
        if (sentAt > 0) latencies.push(Date.now() - sentAt);
      };
      sink.on('mail', onMail);
      try {
        const started = performance.now();
        const r = await load({
          url: gateway!.url!, path: '/v1/events', headers: { authorization: `Bearer ${apiKey}` }, connections: CONNECTIONS, duration: SECONDS, rate: E2E_RATE,
          type: 'com.clarion.bench.email', data: { recipients: [{ id: 'e2e-user', email: 'e2e@bench.test', name: 'Bench' }] }, idPrefix: 'e2e',
        });
        const accepted = Math.round(r.perSecond * r.seconds);
        await until('emails', accepted, async () => latencies.length, started);
        const sorted = [...latencies].sort((a, b) => a - b);
        const elapsed = (performance.now() - started) / 1000;
        const rate = accepted / elapsed;
        figures.push({
          name: 'single events end to end, one POST each, to email',
          value: rate,
          unit: 'events/s',
          detail: `offered ${E2E_RATE}/s, event-to-SMTP p50 ${pct(sorted, 50).toFixed(0)} ms, p99 ${pct(sorted, 99).toFixed(0)} ms${r.refused + r.errors > 0 ? `, ${r.refused} refused, ${r.errors} errors` : ''}`,
          goal: { text: '>= 1,000/s sustained, p99 <= 250 ms', met: rate >= 1000 && pct(sorted, 99) <= 250 },
        });
      } finally {
        sink.off('mail', onMail);
      }
    }

    if (wanted(8)) {
      progress.step(`one event to a team of ${TEAM.toLocaleString('en-US')} subscribers, in-app`);
      await knex.raw(
        `insert into subscribers (tenant_id, external_id, name, teams) select ?, 'team-' || i, 'Member ' || i, array['bench-team'] from generate_series(1, ?) i`,
        [tenantId, TEAM],
      );
      const before = await finalCount('in_app')();
      const started = performance.now();
      await postBatches(gateway!.url!, apiKey, [{ specversion: '1.0', id: 'team-1', source: '/bench', type: 'com.clarion.bench.inapp', data: { n: 0, recipients: ['team:bench-team'] } }]);
      const notified = await until('team notifications', TEAM, async () => Number((await knex.raw(`select count(*)::int as n from notifications n join events e on e.id = n.event_id where e.tenant_id = ? and e.ce_id = 'team-1'`, [tenantId])).rows[0].n), started);
      const s = await until('team deliveries', before + TEAM, finalCount('in_app'), started);
      const rate = TEAM / s;
      figures.push({
        name: `one event to a team of ${TEAM.toLocaleString('en-US')}, in-app`,
        value: rate,
        unit: 'deliveries/s',
        detail: `all notifications created in ${notified.toFixed(1)} s, all sent in ${s.toFixed(1)} s`,
        ceiling: engine === undefined ? undefined : { name: 'engine, batches', value: engine },
        goal: { text: 'at the engine rate (>= 3,000/s)', met: rate >= 3000 },
      });
    }

    if (wanted(9)) {
      progress.step(`${env('BENCH_INBOX_CLIENTS', 1000)} WebSocket inbox clients on the gateway, in-app events to them`);
      const fetchCall = (method: string, p: string, body: unknown, contentType = 'application/json') =>
        fetch(`${gateway!.url}${p}`, { method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': contentType }, body: JSON.stringify(body) });
      const r = await inAppBench(gateway!.url!, fetchCall, () => rssTree(gateway!.child.pid!));
      if (r) {
        figures.push({
          name: `in-app items to ${r.clients} open WebSocket clients`,
          value: r.p99,
          unit: 'ms p99',
          detail: `${r.items}/${r.total} items at ${r.rate}/s for ${r.seconds} s, event-to-socket p50 ${r.p50.toFixed(0)} ms, max ${r.max.toFixed(0)} ms; clients open in ${r.openSeconds.toFixed(1)} s`,
        });
        figures.push({ name: 'gateway memory per open inbox connection', value: r.perConnectionKiB, unit: 'KiB', detail: 'resident set added by the open connections, divided by their number' });
      }
    }

    if (memory) {
      const max = memory.stop();
      const mb = (pid: number | undefined) => Math.round((memory.each.get(pid ?? -1) ?? 0) / 1024 / 1024);
      figures.push({
        name: 'gateway + worker resident memory, peak',
        value: max / 1024 / 1024,
        unit: 'MB',
        detail: `gateway ${mb(gateway?.child.pid)} MB, worker ${mb(worker?.child.pid)} MB at their peaks, render processes included`,
        goal: { text: '<= 300 MB', met: max <= 300 * 1024 * 1024 },
      });
    }
    if (process.env.BENCH_PGSS && needClarion) {
      const { rows } = await knex.raw(`select calls, round(total_exec_time::numeric, 0) as ms, round(mean_exec_time::numeric, 3) as mean, round(rows::numeric / greatest(calls, 1), 1) as rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 150) as q from pg_stat_statements order by total_exec_time desc limit 30`);
      console.table(rows);
      console.table(await waits?.stop());
    }
    await knex.destroy();
  } catch (err) {
    failure = err;
  } finally {
    for (const p of processes.reverse()) await p.stop();
    await sink.stop();
    await admin.destroy();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(table(figures));
  if (args.json) {
    await writeJson(args.json, figures, { seconds: SECONDS, connections: CONNECTIONS, engineEvents: ENGINE_EVENTS, emailEvents: EMAIL_EVENTS, e2eRate: E2E_RATE, team: TEAM, smtpConnections: SMTP_CONNECTIONS, workerConcurrency: CONCURRENCY });
    console.log(`written: ${args.json}`);
  }
  if (failure !== undefined) {
    console.error('bench: a step failed; the figures above are those measured before it');
    throw failure;
  }
}

await main();
