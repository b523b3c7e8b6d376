/**
 * Chaos harness (not a test): `npm run chaos`. docs/reliability.md says what it proves and how to
 * read it.
 *
 * Runs Clarion as separate processes, two gateways and two workers, on an embedded PostgreSQL the
 * harness owns, with a real SMTP sink as the tenant's email provider and a real webhook receiver
 * as its endpoint, all on loopback. It drives a steady load of single and batched CloudEvents with
 * unique ids and injects faults one after another, letting the system recover in between (see
 * chaos/faults.ts). At the end it reconciles: every event answered 202 must have produced exactly
 * its emails (by recipient address and Message-ID), every notification must have reached a final
 * status and every `sent` notification its webhook. It prints a table per fault and writes the
 * same as JSON (CHAOS_REPORT, default ./chaos-report.json).
 *
 * CHAOS_RATE (20) events per second; CHAOS_FAULTS (all) a comma-separated subset of the faults;
 * CHAOS_KEEP=1 keeps the run directory (processes' logs, the database).
 */
import { cpus, loadavg, tmpdir } from 'node:os';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../core/log.ts';
import { createTenant } from '../core/tenants.ts';
import { Receiver } from '../test/integration/webhooks-receiver.ts';
import { SmtpSink } from '../test/support/smtp.ts';
import { Cluster } from './chaos/cluster.ts';
import { FAULTS, type FaultContext } from './chaos/faults.ts';
import { LoadGenerator } from './chaos/load.ts';
import { Mailbox, WebhookTally, databaseOutcome, reconcile, stuck, type PhaseReport, type PhaseWindow } from './chaos/reconcile.ts';

const RATE = Number(process.env.CHAOS_RATE ?? 20);
const CONCURRENCY = 10;
const SEND_TIMEOUT_MS = 2000;
const SETTLE_MS = 3000;
const DRAIN_BOUND_MS = 90_000;
const selected = process.env.CHAOS_FAULTS !== undefined ? process.env.CHAOS_FAULTS.split(',').map((s) => s.trim()).filter(Boolean) : FAULTS.map((f) => f.name);
const unknown = selected.filter((s) => !FAULTS.some((f) => f.name === s));
if (unknown.length > 0) {
  console.error(`chaos: unknown faults ${unknown.join(', ')}; known: ${FAULTS.map((f) => f.name).join(', ')}`);
  process.exit(2);
}

/**
 * What every Clarion process runs with: production defaults, except the waits that would make a
 * run last an hour, scaled down (listed in the report and in docs/reliability.md).
 */
const CLARION_ENV: Record<string, string> = {
  CLARION_LOG_LEVEL: 'warn',
  CLARION_WORKER_CONCURRENCY: String(CONCURRENCY),
  CLARION_SEND_TIMEOUT_MS: String(SEND_TIMEOUT_MS),
  // Delivery retries 10 times sooner: 1 s, 6 s, 30 s, 1 min, 2 min, 3 min.
  CLARION_RETRY_SCALE: '0.1',
  CLARION_CIRCUIT_HALF_OPEN_MS: '2000',
  CLARION_WORKER_DEAD_AFTER_MS: '6000',
  CLARION_WEBHOOK_RETRY_SCHEDULE: '0s,1s,2s,4s,8s,15s,30s,60s',
  CLARION_SHUTDOWN_TIMEOUT_MS: '5000',
  CLARION_OUTBOUND_ALLOWLIST: '127.0.0.1',
};

async function main() {
  const startEpoch = Date.now();
  const now = () => Date.now() - startEpoch;
  const runDir = await mkdtemp(path.join(tmpdir(), 'clarion-chaos-'));
  // As root, the embedded PostgreSQL runs as `postgres`, which must reach its data directory inside.
  await chmod(runDir, 0o755);
  const log = createLogger('error');
  const sink = new SmtpSink({ closeTimeoutMs: 100 });
  await sink.start();
  const sinkPort = sink.port;
  const receiver = await Receiver.start();
  const mailbox = new Mailbox();
  sink.on('mail', (mail) => mailbox.record(mail, now()));
  const cluster = new Cluster(runDir, log, CLARION_ENV);
  const started = performance.now();
  const say = (text: string) => console.log(`[${(now() / 1000).toFixed(1).padStart(6)}s] ${text}`);
  let progress: NodeJS.Timeout | undefined;
  // Ctrl-C stops everything the run started (the PostgreSQL runs in a session of its own).
  const interrupted = (signal: string) => {
    console.log(`\n${signal}: stopping the cluster`);
    clearInterval(progress);
    void cluster.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    say(`run directory ${runDir}; ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    await cluster.startPostgres();
    await cluster.migrate();
    const { apiKey } = await createTenant(cluster.knex, { name: 'Chaos', settings: { acceptUnvalidatedTypes: true } });
    const gateways = await Promise.all([cluster.add('gateway', 'gateway-1'), cluster.add('gateway', 'gateway-2')]);
    const workers = await Promise.all([cluster.add('worker', 'worker-1'), cluster.add('worker', 'worker-2')]);
    say('2 gateways and 2 workers up');

    const call = async (method: string, p: string, body: unknown) => {
      const res = await fetch(`${gateways[0].url}${p}`, { method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
      return JSON.parse(text) as Record<string, unknown>;
    };
    await call('POST', '/v1/providers', { channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sinkPort, from: 'chaos@clarion.test', maxConnections: 5 } });
    await call('PUT', '/v1/workflows/chaos', { trigger: 'com.clarion.chaos', channels: ['email'], templates: { email: { subject: 'chaos {{ data.n }}', text: 'Hello {{ subscriber.name }}' } } });
    const endpoint = await call('POST', '/v1/webhooks/endpoints', { url: receiver.url('/chaos'), eventTypes: ['io.clarion.notification.sent'] });
    const secret = endpoint.secret as string;

    const load = new LoadGenerator({
      gateways: () => gateways.map((g) => g.url),
      apiKey,
      rate: RATE,
      batchEvery: 5,
      batchSize: 5,
      pairEvery: 4,
      requestTimeoutMs: 10_000,
      patienceMs: 120_000,
      now,
    });
    const phases: PhaseWindow[] = [];
    const refusedWebhooks: Array<[number, number]> = [];
    const webhooks = new WebhookTally(secret, startEpoch);
    const begin = (name: string, what: string) => {
      const last = phases.at(-1);
      if (last) last.to = now();
      phases.push({ name, what, from: now(), to: Number.POSITIVE_INFINITY });
      load.phase = name;
    };
    progress = setInterval(() => {
      webhooks.take(receiver.requests, refusedWebhooks);
      const accepted = load.events.filter((e) => e.acceptedAt !== undefined).length;
      const expected = load.events.reduce((s, e) => s + (e.acceptedAt !== undefined ? e.emails.length : 0), 0);
      const t = load.trafficOf(load.phase);
      say(`${load.phase.padEnd(15)} events ${String(load.events.length).padStart(6)} accepted ${String(accepted).padStart(6)}  refused ${t.refused503 + t.refused5xx + t.networkErrors} (this phase)  emails ${mailbox.byAddress.size}/${expected}  in flight ${load.inFlight}`);
    }, 2000);
    progress.unref();

    const drain = async (bound: number): Promise<boolean> => {
      const deadline = now() + bound;
      while (now() < deadline) {
        if (mailbox.drained(load.events)) return true;
        await sleep(250);
      }
      return false;
    };

    begin('baseline', 'no fault: the steady load alone');
    load.start();
    await sleep(8000);
    const ctx: FaultContext = { cluster, sink, sinkPort, receiver, refusedWebhooks, load, gateways, workers, sendTimeoutMs: SEND_TIMEOUT_MS, concurrency: CONCURRENCY, now, note: say };
    for (const fault of FAULTS.filter((f) => selected.includes(f.name))) {
      begin(fault.name, fault.what);
      say(`--- ${fault.name}: ${fault.what}`);
      const run = await fault.run(ctx);
      const window = phases.at(-1)!;
      Object.assign(window, { injectedAt: run.injectedAt, liftedAt: run.liftedAt, observed: run.observed, duplicateBound: fault.duplicateBound(ctx), webhookDuplicateBound: fault.webhookDuplicateBound(ctx) });
      const drained = await drain(DRAIN_BOUND_MS);
      say(drained ? `${fault.name}: every accepted event delivered again` : `${fault.name}: NOT drained after ${DRAIN_BOUND_MS / 1000} s, going on`);
      await sleep(SETTLE_MS);
    }
    begin('end', 'the load stopped; waiting for the last deliveries');
    await load.stop();
    const drained = await drain(DRAIN_BOUND_MS);
    // The webhooks of the last sends follow their emails; give them the same bound.
    const deadline = now() + DRAIN_BOUND_MS;
    let outcome = await databaseOutcome(cluster.knex);
    while (now() < deadline && stuck(outcome).length > 0) {
      await sleep(1000);
      outcome = await databaseOutcome(cluster.knex);
    }
    clearInterval(progress);
    phases.at(-1)!.to = now();

    webhooks.take(receiver.requests, refusedWebhooks);
    const reports = await reconcile({ knex: cluster.knex, events: load.events, mailbox, phases, traffic: load.traffic, webhooks, startEpoch });
    const problems = stuck(outcome);
    const verdict = judge(reports, problems, webhooks.forged);
    const durationS = (performance.now() - started) / 1000;

    printTable(reports);
    console.log(`\ndatabase at the end: events ${JSON.stringify(outcome.events)}, notifications ${JSON.stringify(outcome.notifications)}, deliveries ${JSON.stringify(outcome.deliveries)}, webhook messages ${JSON.stringify(outcome.webhookMessages)}, jobs left ${outcome.jobs.total}`);
    console.log(`attempts by outcome: ${JSON.stringify(outcome.attemptsByOutcome)}`);
    if (!drained) console.log('the last deliveries did not all arrive within the bound');
    for (const p of verdict.failures) console.log(`FAIL: ${p}`);
    console.log(`\n${verdict.ok ? 'PASS' : 'FAIL'}: ${reports.reduce((s, r) => s + r.eventsAccepted, 0)} events accepted, ${mailbox.count} emails received, ${reports.reduce((s, r) => s + r.lost, 0)} lost, ${reports.reduce((s, r) => s + r.duplicates, 0)} duplicated (same Message-ID) in ${durationS.toFixed(0)} s`);

    const report = {
      date: new Date(startEpoch).toISOString(),
      durationSeconds: Math.round(durationS),
      machine: { cores: cpus().length, cpu: cpus()[0]?.model, loadAverageAtEnd: loadavg(), node: process.version },
      settings: { rate: RATE, ...CLARION_ENV, gateways: 2, workers: 2 },
      verdict,
      phases: reports,
      database: outcome,
    };
    const file = path.resolve(process.env.CHAOS_REPORT ?? 'chaos-report.json');
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`report written to ${file}`);
    process.exitCode = verdict.ok ? 0 : 1;
  } finally {
    clearInterval(progress);
    await cluster.stop();
    await sink.stop();
    await receiver.close();
    if (process.env.CHAOS_KEEP === '1') console.log(`kept ${runDir}`);
    else await rm(runDir, { recursive: true, force: true });
  }
}

function judge(reports: PhaseReport[], problems: string[], forged: number): { ok: boolean; failures: string[] } {
  const failures: string[] = [...problems];
  if (forged > 0) failures.push(`${forged} webhook requests did not verify`);
  for (const r of reports) {
    if (r.lost > 0) failures.push(`${r.phase}: ${r.lost} emails lost (${r.lostAddresses.slice(0, 5).join(', ')})`);
    if (r.webhooksLost > 0) failures.push(`${r.phase}: ${r.webhooksLost} webhooks lost`);
    if (r.duplicatesNewMessageId > 0) failures.push(`${r.phase}: ${r.duplicatesNewMessageId} emails sent again under a new Message-ID`);
    if (r.duplicateBound !== null && r.duplicates > r.duplicateBound) failures.push(`${r.phase}: ${r.duplicates} duplicates, beyond the bound of ${r.duplicateBound}`);
    if (r.webhookDuplicates > r.webhookDuplicateBound) failures.push(`${r.phase}: ${r.webhookDuplicates} webhooks sent again, beyond the bound of ${r.webhookDuplicateBound}`);
    if (r.refusedOther5xx > 0) failures.push(`${r.phase}: ${r.refusedOther5xx} answers were a 5xx other than 503`);
    if (r.refused503Malformed > 0) failures.push(`${r.phase}: ${r.refused503Malformed} 503s without Retry-After or a problem document`);
    if (r.refused4xx > 0) failures.push(`${r.phase}: ${r.refused4xx} valid requests refused with a 4xx`);
    if (r.requestTimeouts > 0) failures.push(`${r.phase}: ${r.requestTimeouts} requests hung beyond 10 s`);
    if (r.abandoned > 0) failures.push(`${r.phase}: ${r.abandoned} events never answered 202 within 120 s`);
    if (r.observed.exitCode !== undefined && r.observed.exitCode !== 0) failures.push(`${r.phase}: the stopped worker exited with ${String(r.observed.exitCode)}`);
    // The graceful stop's one deadline, plus the time a process takes to exit.
    if (typeof r.observed.stopMs === 'number' && r.observed.stopMs > Number(CLARION_ENV.CLARION_SHUTDOWN_TIMEOUT_MS) + 2000) failures.push(`${r.phase}: the graceful stop took ${r.observed.stopMs} ms, beyond CLARION_SHUTDOWN_TIMEOUT_MS`);
    if (r.observed.jobsLeftLocked) failures.push(`${r.phase}: ${String(r.observed.jobsLeftLocked)} jobs left locked by the stopped worker`);
  }
  return { ok: failures.length === 0, failures };
}

function printTable(reports: PhaseReport[]): void {
  const secs = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
  const rows = [
    ['fault', 'events', 'accepted', '503', 'other 5xx', 'conn. errors', 'emails', 'delivered', 'duplicated', 'bound', 'lost', 'webhooks', 'wh dup', 'wh bound', 'wh lost', 'ingest refused', 'recovered in'],
    ...reports.map((r) => [
      r.phase, r.eventsSent, r.eventsAccepted, r.refused503, r.refusedOther5xx, r.networkErrors, r.emailsExpected, r.emailsDelivered,
      r.duplicates + (r.duplicatesNewMessageId ? ` (+${r.duplicatesNewMessageId} new id)` : ''), r.duplicateBound ?? '-', r.lost,
      `${r.webhooksDelivered}/${r.webhooksExpected}`, r.webhookDuplicates, r.webhookDuplicateBound, r.webhooksLost, secs(r.ingestRefusingMs), secs(r.recoveredMs),
    ].map(String)),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log('');
  for (const [i, r] of rows.entries()) {
    console.log(r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

await main();
