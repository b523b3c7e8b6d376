import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Receiver } from '../../test/integration/webhooks-receiver.ts';
import type { SmtpSink } from '../../test/support/smtp.ts';
import type { ClarionProcess, Cluster } from './cluster.ts';
import type { LoadGenerator } from './load.ts';

/**
 * The faults, injected one after another while the load runs. Each returns when it injected
 * (ms since the start of the run) and when it was lifted: recovery is measured from there.
 */

export interface FaultContext {
  cluster: Cluster;
  sink: SmtpSink;
  sinkPort: number;
  receiver: Receiver;
  /** Index ranges of the receiver's requests it answered 503 (not deliveries). */
  refusedWebhooks: Array<[number, number]>;
  load: LoadGenerator;
  gateways: ClarionProcess[];
  workers: ClarionProcess[];
  /** The send timeout the workers run with (the slow sink answers beyond it). */
  sendTimeoutMs: number;
  /** How many jobs a worker runs at once (what one worker can have in flight). */
  concurrency: number;
  now(): number;
  note(text: string): void;
}

export interface FaultRun {
  injectedAt: number;
  liftedAt: number;
  /** Fault-specific observations (e.g. the stop time of a graceful stop). */
  observed: Record<string, unknown>;
}

export interface Fault {
  name: string;
  what: string;
  /**
   * The most extra copies of emails it may cause (same Message-ID), by the documented bound
   * (docs/reliability.md); `timeouts` bounds it by the attempts that timed out in its window.
   */
  duplicateBound: (ctx: FaultContext) => number | 'timeouts';
  /**
   * The most webhook requests it may repeat (same webhook-id): a webhook the receiver took whose
   * delivery was not recorded (the worker or the database gone) goes again; receivers dedupe by id.
   */
  webhookDuplicateBound: (ctx: FaultContext) => number;
  run(ctx: FaultContext): Promise<FaultRun>;
}

/** Resolves once the SMTP sink holds a message it has not answered yet: sends are in flight. */
async function sendsInFlight(sink: SmtpSink): Promise<void> {
  await once(sink, 'data');
  await sleep(50);
}

export const FAULTS: Fault[] = [
  {
    name: 'worker-kill',
    what: 'SIGKILL of a worker in the middle of sends (the SMTP sink holds their data, unanswered), started again 2 s later',
    duplicateBound: (ctx) => ctx.concurrency,
    webhookDuplicateBound: (ctx) => ctx.concurrency,
    async run(ctx) {
      const [victim] = ctx.workers;
      ctx.sink.delayMs = 400;
      await sendsInFlight(ctx.sink);
      const injectedAt = ctx.now();
      await ctx.cluster.kill(victim);
      ctx.sink.delayMs = 0;
      ctx.note(`killed ${victim.name}`);
      await sleep(2000);
      await ctx.cluster.start(victim);
      ctx.note(`${victim.name} started again`);
      return { injectedAt, liftedAt: injectedAt, observed: {} };
    },
  },
  {
    name: 'gateway-kill',
    what: 'SIGKILL of a gateway with three batches of 30 events in flight to it, started again 2 s later',
    duplicateBound: () => 0,
    webhookDuplicateBound: () => 0,
    async run(ctx) {
      const [victim] = ctx.gateways;
      const burst = [ctx.load.send(30, victim.url), ctx.load.send(30, victim.url), ctx.load.send(30, victim.url)];
      await sleep(15);
      const injectedAt = ctx.now();
      await ctx.cluster.kill(victim);
      ctx.note(`killed ${victim.name} with requests in flight`);
      await sleep(2000);
      await ctx.cluster.start(victim);
      ctx.note(`${victim.name} started again`);
      await Promise.all(burst);
      return { injectedAt, liftedAt: injectedAt, observed: {} };
    },
  },
  {
    name: 'worker-sigterm',
    what: 'SIGTERM (graceful stop) of a worker with sends in flight (the sink answers after 1 s), started again after it exited',
    duplicateBound: (ctx) => ctx.concurrency,
    webhookDuplicateBound: (ctx) => ctx.concurrency,
    async run(ctx) {
      const victim = ctx.workers[1];
      ctx.sink.delayMs = 1000;
      await sendsInFlight(ctx.sink);
      const pid = ctx.cluster.pid(victim);
      const ids = (await ctx.cluster.knex('worker_heartbeats').where('process', 'like', `%:${pid}`).pluck('worker_id')) as string[];
      const injectedAt = ctx.now();
      const { code, ms } = await ctx.cluster.terminate(victim);
      ctx.sink.delayMs = 0;
      const { rows } = await ctx.cluster.knex.raw(`select count(*)::int as n from graphile_worker.jobs where locked_by = any(?::text[])`, [ids]);
      ctx.note(`${victim.name} stopped in ${Math.round(ms)} ms (exit ${code}), ${rows[0].n} jobs left locked by it`);
      await ctx.cluster.start(victim);
      return { injectedAt, liftedAt: injectedAt + ms, observed: { exitCode: code, stopMs: Math.round(ms), jobsLeftLocked: rows[0].n } };
    },
  },
  {
    name: 'pg-stop',
    what: 'PostgreSQL stopped (fast shutdown) for 10 s, then started again',
    duplicateBound: (ctx) => ctx.concurrency * ctx.workers.length,
    webhookDuplicateBound: (ctx) => ctx.concurrency * ctx.workers.length,
    async run(ctx) {
      const injectedAt = ctx.now();
      await ctx.cluster.stopPostgres();
      ctx.note('PostgreSQL stopped');
      await sleep(10_000);
      await ctx.cluster.startPostgres();
      ctx.note('PostgreSQL started again');
      return { injectedAt, liftedAt: ctx.now(), observed: {} };
    },
  },
  {
    name: 'pg-kill',
    what: 'SIGKILL of the PostgreSQL postmaster, started again 1 s later (crash recovery)',
    duplicateBound: (ctx) => ctx.concurrency * ctx.workers.length,
    webhookDuplicateBound: (ctx) => ctx.concurrency * ctx.workers.length,
    async run(ctx) {
      const injectedAt = ctx.now();
      await ctx.cluster.killPostgres();
      ctx.note('PostgreSQL killed');
      await sleep(1000);
      await ctx.cluster.startPostgres();
      ctx.note('PostgreSQL started again');
      return { injectedAt, liftedAt: ctx.now(), observed: { restartMs: Math.round(ctx.now() - injectedAt - 1000) } };
    },
  },
  {
    name: 'smtp-down',
    what: 'the SMTP sink down (connections refused) for 30 s',
    duplicateBound: () => 0,
    webhookDuplicateBound: () => 0,
    async run(ctx) {
      const injectedAt = ctx.now();
      await ctx.sink.stop();
      ctx.note('SMTP sink down');
      await sleep(30_000);
      await ctx.sink.start(ctx.sinkPort);
      ctx.note('SMTP sink up');
      return { injectedAt, liftedAt: ctx.now(), observed: {} };
    },
  },
  {
    name: 'smtp-slow',
    what: 'the SMTP sink answering every message after 3 s, beyond the 2 s send timeout, for 12 s, then at once',
    duplicateBound: () => 'timeouts',
    webhookDuplicateBound: () => 0,
    async run(ctx) {
      const injectedAt = ctx.now();
      ctx.sink.delayMs = ctx.sendTimeoutMs + 1000;
      ctx.note(`SMTP sink answering after ${ctx.sink.delayMs} ms`);
      await sleep(12_000);
      ctx.sink.delayMs = 0;
      ctx.note('SMTP sink answering at once');
      return { injectedAt, liftedAt: ctx.now(), observed: {} };
    },
  },
  {
    name: 'webhook-fail',
    what: 'the webhook receiver answering 503 for 15 s, then 200',
    duplicateBound: () => 0,
    webhookDuplicateBound: () => 0,
    async run(ctx) {
      const injectedAt = ctx.now();
      const refused: [number, number] = [ctx.receiver.requests.length, Number.POSITIVE_INFINITY];
      ctx.refusedWebhooks.push(refused);
      ctx.receiver.always({ status: 503, body: 'down for maintenance' });
      ctx.note('webhook receiver failing');
      await sleep(15_000);
      ctx.receiver.always({ status: 200, body: 'ok' });
      refused[1] = ctx.receiver.requests.length;
      ctx.note('webhook receiver answering 200');
      return { injectedAt, liftedAt: ctx.now(), observed: { requestsRefused: refused[1] - refused[0] } };
    },
  },
];
