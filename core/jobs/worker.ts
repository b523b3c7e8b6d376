import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, type Runner, type WorkerEvents } from 'graphile-worker';
import type { Knex } from 'knex';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Clock } from '../kernel/clock.ts';
import { graphileLogger } from '../log.ts';
import type { Services } from '../services.ts';
import { pluginCrontab, taskList } from './index.ts';
import { SweepGate, forgetWorkers, heartbeat, releaseWorkers, sweepDeadWorkers } from './liveness.ts';
import { PRUNE_INBOX_CRONTAB } from './prune-inbox-changes.ts';
import { FOLD_ANALYTICS_CRONTAB } from './fold-analytics.ts';
import { ignoreStrayRejections } from './stray-rejections.ts';
import { RETENTION_CRONTAB } from './enforce-retention.ts';

export interface JobWorkerOptions {
  config: Config;
  services: Services;
  knex: Knex;
  url: string;
  log: Logger;
  clock: Clock;
  /** First wait before starting a runner again after it stopped on its own; doubles up to 30 s. Default 1 s. */
  restartDelayMs?: number;
  /**
   * How long a runner shutting itself down may take to end once its workers have stopped, before
   * it counts as hung and is replaced. Default 3 s.
   */
  stuckShutdownMs?: number;
}

/**
 * The worker of one process: a graphile-worker runner over Clarion's task list, kept running.
 *
 * graphile-worker stops its whole pool when it cannot record a job's completion or failure (the
 * database went away while the job ran): "the queue is in an inconsistent state". Nothing would
 * start it again, and the process would sit there doing no work until someone restarted it. So
 * when the runner ends on its own, this waits for the database, releases the jobs the ended
 * runner still held (they run again: every task is idempotent, a final delivery is never sent
 * again), and starts a new runner, with a backoff. `events` stays the same emitter throughout.
 *
 * graphile-worker (0.17.3 and 0.18.0) can also hang in that stop: its completion and failure
 * batchers count their pending writes wrong once a write failed and another one followed (the
 * count goes below zero and never comes back to it), so the pool waits for them forever, its
 * workers all stopped, and its promise never ends. A runner whose workers have all stopped and
 * which has not ended `stuckShutdownMs` later is left (its cron released) and replaced the same way.
 *
 * It also beats for its workers (core/jobs/liveness.ts) and sweeps the jobs of dead ones, and
 * stops within a deadline: running jobs get until then to finish, then they are failed back to
 * the queue (graphile-worker's forceful shutdown), and nothing this process held stays locked.
 */
export class JobWorker {
  readonly events: WorkerEvents = new EventEmitter();
  readonly #options: JobWorkerOptions;
  readonly #log: Logger;
  readonly #pool: pg.Pool;
  #runner: Runner | undefined;
  /** Ids of the current runner's pool and workers, beating now. */
  #live = new Set<string>();
  /** Every id this process ever had, to release and forget at stop. */
  readonly #ever = new Set<string>();
  #liveness: NodeJS.Timeout | undefined;
  /** Only a process beating without a break for a dead-after period sweeps others' jobs. */
  readonly #gate: SweepGate;
  #stopping = false;
  #restarting: Promise<void> | undefined;
  /** The workers (not pools) of the current runner that have not stopped. */
  readonly #working = new Set<string>();
  /** Runners already given up on: a late end of theirs restarts nothing. */
  readonly #over = new WeakSet<Runner>();
  /** How many times a runner was started again after it stopped on its own. */
  restarts = 0;
  /** Stops ignoring graphile-worker's stray rejection (core/jobs/stray-rejections.ts). */
  readonly #heedStrays: () => void;

  private constructor(options: JobWorkerOptions) {
    this.#options = options;
    this.#log = options.log;
    const { config, url, log } = options;
    this.#gate = new SweepGate(config.workerDeadAfterMs);
    this.#heedStrays = ignoreStrayRejections(log);
    this.#pool = new pg.Pool({ connectionString: url, max: config.workerConcurrency + 2, application_name: 'clarion-worker' });
    // An idle client losing its connection (database restart) must not crash the process.
    this.#pool.on('error', (err) => log.warn({ err }, 'worker database connection lost'));
    this.#pool.on('connect', (client) => client.on('error', (err) => log.warn({ err }, 'worker database connection lost')));
    const started = (id: string) => {
      this.#live.add(id);
      this.#ever.add(id);
    };
    this.events.on('worker:create', ({ worker: w }) => {
      started(w.workerId);
      this.#working.add(w.workerId);
    });
    this.events.on('worker:stop', ({ worker: w }) => {
      this.#live.delete(w.workerId);
      this.#working.delete(w.workerId);
    });
    // The pool stopping itself (not by our stop): watch that it really ends.
    this.events.on('pool:gracefulShutdown', () => {
      const runner = this.#runner;
      if (!this.#stopping && runner) void this.#watchShutdown(runner);
    });
    // With a local queue the pool itself locks the jobs it fetched ahead: it beats as a worker too.
    this.events.on('pool:create', ({ workerPool }) => started(workerPool.id));
    this.events.on('pool:release', ({ workerPool }) => this.#live.delete(workerPool.id));
  }

  static async start(options: JobWorkerOptions): Promise<JobWorker> {
    const worker = new JobWorker(options);
    try {
      await worker.#startRunner();
      await worker.#beat();
    } catch (err) {
      await worker.#pool.end().catch(() => {});
      worker.#heedStrays();
      throw err;
    }
    // Beat three times per dead-after period; sweep the jobs of workers that stopped beating.
    worker.#liveness = setInterval(() => void worker.#beat(), Math.max(500, Math.floor(options.config.workerDeadAfterMs / 3)));
    worker.#liveness.unref();
    return worker;
  }

  /** The runner working now (a new one after a restart). */
  get runner(): Runner | undefined {
    return this.#runner;
  }

  async #startRunner(): Promise<void> {
    const { config, services } = this.#options;
    const runner = await run({
      pgPool: this.#pool,
      taskList: taskList(services),
      crontab: [PRUNE_INBOX_CRONTAB, FOLD_ANALYTICS_CRONTAB, RETENTION_CRONTAB, ...pluginCrontab(services)].join('\n'),
      noPreparedStatements: !config.dbPreparedStatements,
      concurrency: config.workerConcurrency,
      pollInterval: config.workerPollMs,
      // Fetch jobs in batches and mark completions in batches: far fewer round trips under load.
      // A completion not yet written when a worker dies only means the job runs again, and every
      // task is idempotent (a final delivery is never sent twice).
      preset: {
        worker: {
          localQueue: { size: config.workerLocalQueue === 0 ? config.workerConcurrency + 1 : config.workerLocalQueue },
          completeJobBatchDelay: config.workerCompleteBatchMs,
          failJobBatchDelay: config.workerCompleteBatchMs,
        },
      },
      noHandleSignals: true,
      logger: graphileLogger(this.#log),
      events: this.events,
    });
    this.#runner = runner;
    runner.promise.then(
      () => this.#ended(runner, undefined),
      (err: unknown) => this.#ended(runner, err),
    );
  }

  #ended(runner: Runner, err: unknown): void {
    if (this.#stopping || runner !== this.#runner || this.#over.has(runner)) return;
    this.#over.add(runner);
    this.#log.error({ err }, 'the job runner stopped on its own (the database went away while it held jobs): starting it again once the database answers');
    this.#restarting = this.#restart();
  }

  /** Replaces a runner that stopped its workers on its own but does not end (see above). */
  async #watchShutdown(runner: Runner): Promise<void> {
    const ended = runner.promise.then(
      () => true,
      () => true,
    );
    const endedWithin = (ms: number) => Promise.race([ended, sleep(ms).then(() => false)]);
    // Its workers finish the jobs they run first (a send may wait for the database to record it).
    while (this.#working.size > 0) if (this.#stopping || (await endedWithin(250))) return;
    if (await endedWithin(this.#options.stuckShutdownMs ?? 3000)) return;
    if (this.#stopping || runner !== this.#runner) return;
    this.#log.warn("graphile-worker's pool stopped its workers but never finished stopping: leaving it and starting a new runner");
    // Its cron still runs: stop it (the pool's own stop is already under way and stays hung).
    runner.stop().catch(() => {});
    this.#ended(runner, new Error('the job runner did not end after stopping its workers'));
  }

  async #restart(): Promise<void> {
    const { knex } = this.#options;
    let delay = this.#options.restartDelayMs ?? 1000;
    // The ended runner's ids: its workers have all stopped, so whatever they still lock is stale.
    const stale = [...this.#ever];
    while (!this.#stopping) {
      await sleep(delay);
      if (this.#stopping) return;
      try {
        await releaseWorkers(knex, stale);
        await this.#startRunner();
        this.restarts += 1;
        this.#log.warn({ restarts: this.restarts }, 'job runner started again');
        return;
      } catch (err) {
        this.#log.warn({ err, retryInMs: delay }, 'the job runner cannot start yet');
        delay = Math.min(30_000, delay * 2);
      }
    }
  }

  async #beat(): Promise<void> {
    const { knex, clock, config, log } = this.#options;
    let beaten = false;
    try {
      await heartbeat(knex, [...this.#live], clock.now());
      beaten = true;
      if (this.#gate.beat(true, clock.now())) await sweepDeadWorkers(knex, clock.now(), config.workerDeadAfterMs, log);
    } catch (err) {
      if (!beaten) this.#gate.beat(false, clock.now());
      log.warn({ err }, 'worker liveness check failed');
    }
  }

  /**
   * Stops by `deadline` (a Date.now() time): no new jobs; running ones finish until then, and are
   * failed back to the queue after it (they run again elsewhere, after graphile-worker's backoff);
   * jobs fetched ahead are returned. Then every lock this process held is released.
   */
  async stop(deadline: number): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#liveness);
    const runner = this.#runner;
    if (runner) {
      const graceful = runner.stop().then(() => true, () => true);
      const finished = await Promise.race([graceful, sleep(Math.max(0, deadline - Date.now())).then(() => false)]);
      if (!finished) {
        this.#log.warn({ timeoutMs: this.#options.config.shutdownTimeoutMs }, 'jobs still running at CLARION_SHUTDOWN_TIMEOUT_MS: failing them back to the queue for another worker');
        await Promise.race([runner.kill().catch(() => {}), sleep(5000)]);
      }
    }
    await this.#restarting?.catch(() => {});
    const ids = [...this.#ever];
    await releaseWorkers(this.#options.knex, ids).catch((err) => this.#log.warn({ err }, 'could not release the jobs of this worker (they are unlocked once it counts as dead)'));
    await forgetWorkers(this.#options.knex, ids).catch(() => {});
    await this.#pool.end().catch(() => {});
    this.#heedStrays();
  }
}
