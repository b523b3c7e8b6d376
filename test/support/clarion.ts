import { randomBytes } from 'node:crypto';
import { runOnce, type TaskList } from 'graphile-worker';
import type { CacheChange, CacheInvalidation } from '../../core/cache-invalidation.ts';
import { loadConfig, type Config } from '../../core/config.ts';
import { createKnex } from '../../core/db/database.ts';
import { createGateway } from '../../core/gateway/app.ts';
import { openApiDocument } from '../../core/gateway/openapi.ts';
import { taskList } from '../../core/jobs/index.ts';
import { graphileLogger } from '../../core/log.ts';
import { createServices, type Services } from '../../core/services.ts';
import { createTenant } from '../../core/tenants.ts';
import { responseValidator } from './openapi-responses.ts';
import { freshDatabase, silentLog, type TestDatabase } from './postgres.ts';
import { systemClock, type Clock, type Timers } from '../../core/kernel/clock.ts';

export const TEST_SECRET = randomBytes(32).toString('base64');

export function testConfig(db: TestDatabase, env: Record<string, string> = {}): Config {
  // The operator of the tests lets outbound connections reach loopback, where every test
  // receiver listens; tests of the outbound policy set their own.
  return loadConfig({ DATABASE_URL: db.url, CLARION_SECRET_KEY: TEST_SECRET, PORT: '0', CLARION_LOG_LEVEL: 'silent', CLARION_OUTBOUND_ALLOWLIST: '127.0.0.1,::1,localhost', ...env });
}

export interface TestApp {
  db: TestDatabase;
  services: Services;
  /** `app.callback()`, for supertest where no socket is needed. */
  callback: ReturnType<ReturnType<typeof createGateway>['app']['callback']>;
  routers: ReturnType<typeof createGateway>['routers'];
  /** One `runOnce`: runs the jobs that are due when it looks, then returns (no polling, no sleeping). */
  runJobs(): Promise<void>;
  /**
   * `runOnce` again and again until no job of the task list is due (jobs that the jobs it ran
   * queued included), at most `rounds` times; fails if the queue is still busy then. Jobs due
   * later (retries after a backoff, quiet hours) are left for the test to bring forward.
   */
  runJobsUntilIdle(rounds?: number): Promise<void>;
  /**
   * Makes due every job scheduled at or before `at` (a test clock's time: see ./clock.ts), then
   * runs jobs until idle. `tasks` narrows it to some task identifiers.
   */
  runJobsDueBy(at: Date, tasks?: string[]): Promise<void>;
  tenant(name?: string, settings?: Record<string, unknown>): Promise<{ tenantId: string; apiKey: string }>;
  close(): Promise<void>;
}

/**
 * A gateway on a fresh database, driven without a socket. `listen`: its caches hear the changes
 * other processes announce (as under the runtime); otherwise only its own changes drop them.
 * `timers`: the operational timers (ingest's group-commit window, the inbox streams' heartbeats),
 * e.g. ./clock.ts ManualTimers.
 */
export async function testApp(options: { env?: Record<string, string>; clock?: Clock; timers?: Timers; listen?: boolean } = {}): Promise<TestApp> {
  const db = await freshDatabase();
  const config = testConfig(db, options.env);
  const services = createServices(config, db.knex, silentLog, options.clock ?? systemClock, undefined, options.timers);
  await services.ready();
  if (options.listen) await services.invalidation.start(db.url);
  const gateway = createGateway(services);
  // Outermost: every answer the test receives is held to the OpenAPI document (openapi-responses.ts).
  gateway.app.middleware.unshift(responseValidator(openApiDocument(config.publicUrl)));
  const tasks = taskList(services);
  const runJobsUntilIdle = async (rounds = 20): Promise<void> => {
    for (let round = 0; round < rounds; round++) {
      if ((await dueJobs(db.knex, Object.keys(tasks))) === 0) return;
      await runJobsOnce(db.url, tasks);
    }
    throw new Error(`jobs still due after ${rounds} rounds of runOnce: ${JSON.stringify(await dueJobs(db.knex, Object.keys(tasks)))}`);
  };
  return {
    db,
    services,
    callback: gateway.app.callback(),
    routers: gateway.routers,
    async runJobs() {
      await runJobsOnce(db.url, tasks);
    },
    runJobsUntilIdle,
    async runJobsDueBy(at, only) {
      await bringForward(db.knex, at, only ?? Object.keys(tasks));
      await runJobsUntilIdle();
    },
    async tenant(name = 'Acme', settings = {}) {
      const { tenant, apiKey } = await createTenant(db.knex, { name, settings });
      return { tenantId: tenant.id, apiKey };
    },
    async close() {
      await services.invalidation.stop();
      await db.drop();
    },
  };
}

export interface TestPeer {
  services: Services;
  callback: TestApp['callback'];
  close(): Promise<void>;
}

/**
 * A second Clarion process on the database of `t`: its own connection pool, caches and LISTEN
 * connection, as another gateway or worker would have. Close it before `t`.
 */
export async function testPeer(t: TestApp, options: { env?: Record<string, string>; clock?: Clock } = {}): Promise<TestPeer> {
  const knex = createKnex(t.db.url, 5);
  const services = createServices(testConfig(t.db, options.env), knex, silentLog, options.clock ?? systemClock);
  await services.ready();
  await services.invalidation.start(t.db.url);
  return {
    services,
    callback: createGateway(services).app.callback(),
    async close() {
      await services.invalidation.stop();
      await services.delivery.close();
      await services.templates.close();
      await knex.destroy();
    },
  };
}

/**
 * Resolves with the next change the process applies that matches. Call it before making the
 * change: the notification may arrive before the call that made the change returns.
 */
export function nextChange(invalidation: CacheInvalidation, match: (change: CacheChange) => boolean = () => true): Promise<CacheChange> {
  return new Promise((resolve) => {
    const listener = (change: CacheChange) => {
      if (!match(change)) return;
      invalidation.off('change', listener);
      resolve(change);
    };
    invalidation.on('change', listener);
  });
}

/**
 * One `runOnce` that returns only once the jobs it ran are marked done. Without a batch delay,
 * graphile-worker completes (or fails) a job without waiting for the write, and `runOnce` may
 * return, and close its pool, before that write lands: the job then still looks locked to the
 * test that reads the queue next. Batched (delay 0), the pool flushes the writes before it stops.
 */
async function runJobsOnce(connectionString: string, taskList: TaskList): Promise<void> {
  await runOnce({
    connectionString,
    taskList,
    logger: graphileLogger(silentLog),
    preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
  });
}

/** Jobs scheduled at or before `at` become due now (graphile-worker's public reschedule_jobs). */
async function bringForward(knex: TestDatabase['knex'], at: Date, tasks: string[]): Promise<void> {
  await knex.raw(
    `select graphile_worker.reschedule_jobs(
       array(select id from graphile_worker.jobs where task_identifier = any(?::text[]) and run_at <= ?::timestamptz and locked_at is null),
       run_at => now())`,
    [tasks, at],
  );
}

/** Jobs of these tasks that a worker would take now (due, unlocked, attempts left), by graphile-worker's public `jobs` view. */
async function dueJobs(knex: TestDatabase['knex'], tasks: string[]): Promise<number> {
  const { rows } = await knex.raw(
    `select count(*)::int as n from graphile_worker.jobs where task_identifier = any(?::text[]) and run_at <= now() and locked_at is null and attempts < max_attempts`,
    [tasks],
  );
  return rows[0].n;
}

/**
 * Queued (unlocked) graphile-worker jobs of some tasks, with their payloads, through its public
 * API only: the `jobs` view leaves payloads out, and `reschedule_jobs` with nothing to change
 * (every argument but the ids null) returns the rows it touched, payloads included, changing
 * nothing but their `updated_at`.
 */
async function queuedWithPayloads(knex: TestDatabase['knex'], tasks: string[]): Promise<Array<{ id: string; task: string; run_at: Date; payload: unknown }>> {
  const { rows } = await knex.raw(
    `select j.id, j.task_identifier as task, j.run_at, r.payload
       from graphile_worker.reschedule_jobs(array(select id from graphile_worker.jobs where task_identifier = any(?::text[]) and locked_at is null)) r
       join graphile_worker.jobs j on j.id = r.id
      order by j.id`,
    [tasks],
  );
  return rows;
}

/** Queued graphile-worker jobs of a task with their payloads (see queuedWithPayloads). */
export async function queuedJobs(knex: TestDatabase['knex'], task: string): Promise<Array<{ id: string; payload: Record<string, unknown> }>> {
  return (await queuedWithPayloads(knex, [task])).map(({ id, payload }) => ({ id, payload: payload as Record<string, unknown> }));
}

/**
 * The fan-out work queued, one entry per event: each `process_event` job, and each entry of a
 * `process_events` batch job (events stored together share one: core/ingest/service.ts).
 */
export async function fanOutEntries(knex: TestDatabase['knex']): Promise<Array<{ jobId: string; task: string; runAt: Date; eventId: string; tenantId: string; type?: string; traceparent?: string }>> {
  const rows = await queuedWithPayloads(knex, ['process_event', 'process_events']);
  return (rows as Array<{ id: string; task: string; run_at: Date; payload: Record<string, unknown> | Array<Record<string, unknown>> }>).flatMap((row) =>
    (Array.isArray(row.payload) ? row.payload : [row.payload]).map((entry) => ({ jobId: row.id, task: row.task, runAt: row.run_at, ...(entry as { eventId: string; tenantId: string }) })),
  );
}
