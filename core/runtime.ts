import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { run, type Runner, type WorkerEvents } from 'graphile-worker';
import type { Knex } from 'knex';
import pg from 'pg';
import type { Logger } from 'pino';
import { decodeSecretKey, type Config } from './config.ts';
import { createKnex, migrate } from './db/database.ts';
import { startEmbedded, type EmbeddedDatabase } from './db/embedded.ts';
import { ClarionError } from './errors.ts';
import { createGateway } from './gateway/app.ts';
import { taskList } from './jobs/index.ts';
import { DAILY_SUMMARY_CRONTAB } from './jobs/send-daily-summaries.ts';
import { FOLD_ANALYTICS_CRONTAB } from './jobs/fold-analytics.ts';
import { forgetWorkers, heartbeat, sweepDeadWorkers } from './jobs/liveness.ts';
import { graphileLogger } from './log.ts';
import { observeQueue } from './metrics.ts';
import { createServices, type Services } from './services.ts';
import { systemClock, type Clock } from './kernel/clock.ts';

/**
 * The database a process uses: `DATABASE_URL`, or the embedded server of the data dir (attached
 * to when another Clarion process already runs it, started otherwise).
 */
export interface Database {
  url: string;
  knex: Knex;
  embedded: EmbeddedDatabase | undefined;
  secretKey: Buffer;
  close(): Promise<void>;
}

export async function openDatabase(config: Config, log: Logger, poolMax = config.dbPoolMax): Promise<Database> {
  let url = config.databaseUrl;
  let embedded: EmbeddedDatabase | undefined;
  let secretKey = config.secretKey;
  if (!url) {
    embedded = await startEmbedded(config.dataDir, log.child({ component: 'postgres' }), config.embeddedPostgresSettings);
    url = embedded.url;
    secretKey ??= await readOrCreateSecretKey(config.dataDir);
  } else if (!secretKey) {
    throw new ClarionError(
      'CLARION_ERR_CONFIG_INVALID',
      'CLARION_SECRET_KEY is required when DATABASE_URL is set: 32 random bytes as 64 hex digits or 44 base64 characters (e.g. `openssl rand -base64 32`)',
    );
  }
  const knex = createKnex(url, poolMax, { preparedStatements: config.dbPreparedStatements });
  return {
    url,
    knex,
    embedded,
    secretKey,
    async close() {
      await knex.destroy();
      await embedded?.stop();
    },
  };
}

async function readOrCreateSecretKey(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, 'secret-key');
  try {
    return decodeSecretKey((await readFile(file, 'utf8')).trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dataDir, { recursive: true });
    const key = randomBytes(32);
    await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    return decodeSecretKey((await readFile(file, 'utf8')).trim());
  }
}

export interface RunningClarion {
  services: Services;
  database: Database;
  /** Base URL of the gateway, when this process runs one. */
  url: string | undefined;
  runner: Runner | undefined;
  /** Graceful stop: no new requests, running jobs finish, then the database (if ours) stops. */
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  log: Logger;
  gateway?: boolean;
  worker?: boolean;
  clock?: Clock;
}

export async function startClarion({ config: givenConfig, log, gateway = true, worker = true, clock = systemClock }: StartOptions): Promise<RunningClarion> {
  let config = givenConfig;
  for (const warning of config.deprecations) log.warn(warning);
  // Worker jobs run in transactions and may read configuration beside them: two connections each
  // at most, so the pool has room for every job's pair besides the gateway's own.
  const database = await openDatabase(config, log, config.dbPoolMax + (worker ? 2 * config.workerConcurrency : 0));
  let server: http.Server | undefined;
  let runner: Runner | undefined;
  let workerPool: pg.Pool | undefined;
  config = { ...config, secretKey: database.secretKey };
  const services = createServices(config, database.knex, log, clock);
  let stopping: Promise<void> | undefined;
  let liveness: NodeJS.Timeout | undefined;
  // Workers (and pools) beating now; every one this process ever had, to forget them at stop.
  const workerIds = new Set<string>();
  const everWorkers = new Set<string>();

  const stop = () =>
    (stopping ??= (async () => {
      log.info('shutting down');
      if (server) {
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server!.closeAllConnections(), config.shutdownTimeoutMs).unref();
        await closed;
        clearTimeout(timer);
      }
      if (liveness) clearInterval(liveness);
      if (runner) {
        // Running jobs finish; graphile-worker releases the rest for the next worker.
        await Promise.race([runner.stop(), new Promise((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref())]);
        await forgetWorkers(database.knex, [...everWorkers]).catch(() => {});
      }
      await services.invalidation.stop();
      await services.delivery.close();
      await services.templates.close();
      await services.outbound.close();
      await workerPool?.end();
      await database.close();
      log.info('stopped');
    })());

  try {
    const applied = await migrate(database.knex, database.url, log);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');

    await services.ready();
    // Configuration changes made by any process reach this one's caches at once.
    await services.invalidation.start(database.url);
    observeQueue(database.knex);
    if (worker) {
      // The first deliveries should not wait for the render processes to start.
      services.templates.warm();
      const events: WorkerEvents = new EventEmitter();
      const started = (id: string) => {
        workerIds.add(id);
        everWorkers.add(id);
      };
      events.on('worker:create', ({ worker: w }) => started(w.workerId));
      events.on('worker:stop', ({ worker: w }) => workerIds.delete(w.workerId));
      // With a local queue the pool itself locks the jobs it fetched ahead: it beats as a worker too.
      events.on('pool:create', ({ workerPool }) => started(workerPool.id));
      events.on('pool:release', ({ workerPool }) => workerIds.delete(workerPool.id));
      workerPool = new pg.Pool({ connectionString: database.url, max: config.workerConcurrency + 2, application_name: 'clarion-worker' });
      // An idle client losing its connection (database restart) must not crash the process.
      workerPool.on('error', (err) => log.warn({ err }, 'worker database connection lost'));
      workerPool.on('connect', (client) => client.on('error', (err) => log.warn({ err }, 'worker database connection lost')));
      runner = await run({
        pgPool: workerPool,
        taskList: taskList(services),
        crontab: [DAILY_SUMMARY_CRONTAB, FOLD_ANALYTICS_CRONTAB].join('\n'),
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
        logger: graphileLogger(log),
        events,
      });
      // Beat three times per dead-after period; sweep the jobs of workers that stopped beating.
      const beat = async () => {
        try {
          await heartbeat(database.knex, [...workerIds], clock.now());
          await sweepDeadWorkers(database.knex, clock.now(), config.workerDeadAfterMs, log);
        } catch (err) {
          log.warn({ err }, 'worker liveness check failed');
        }
      };
      await beat();
      liveness = setInterval(beat, Math.max(500, Math.floor(config.workerDeadAfterMs / 3)));
      liveness.unref();
    }
    if (gateway) {
      const { app } = createGateway(services);
      server = http.createServer(app.callback());
      server.keepAliveTimeout = 65_000;
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(config.port, config.host, () => resolve());
      });
    }
  } catch (err) {
    await stop().catch(() => {});
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new ClarionError('CLARION_ERR_CONFIG_INVALID', `PORT=${config.port} is already in use on ${config.host}: stop the other server or choose another PORT`, { cause: err });
    }
    throw err;
  }

  let url: string | undefined;
  if (server) {
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    url = `http://${host}:${address.port}`;
  }
  return { services, database, url, runner, stop };
}
