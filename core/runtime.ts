import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Runner } from 'graphile-worker';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { decodeSecretKey, type Config } from './config.ts';
import { createKnex, migrate } from './db/database.ts';
import { startEmbedded, type EmbeddedDatabase } from './db/embedded.ts';
import { ClarionError } from './errors.ts';
import type { JobWorker } from './jobs/worker.ts';
import { observeQueue } from './metrics.ts';
import { createServices, type Services } from './services.ts';
import type { AmqpConsumer } from './ingest/amqp/consumer.ts';
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

/** `exclusive`: a Clarion start, which refuses to run beside another one on the same embedded data directory. */
export async function openDatabase(config: Config, log: Logger, poolMax = config.dbPoolMax, options: { exclusive?: boolean } = {}): Promise<Database> {
  let url = config.databaseUrl;
  let embedded: EmbeddedDatabase | undefined;
  let secretKey = config.secretKey;
  if (!url) {
    embedded = await startEmbedded(config.dataDir, log.child({ component: 'postgres' }), { settings: config.embeddedPostgresSettings, exclusive: options.exclusive });
    url = embedded.url;
    secretKey ??= await readOrCreateSecretKey(config.dataDir);
  } else if (!secretKey) {
    throw new ClarionError(
      'CLARION_ERR_CONFIG_INVALID',
      'CLARION_SECRET_KEY is required when DATABASE_URL is set: 32 random bytes as 64 hex digits or 44 base64 characters (e.g. `openssl rand -base64 32`)',
    );
  }
  const knex = createKnex(url, poolMax, { preparedStatements: config.dbPreparedStatements, log });
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
  /** The job runner working now (a new one after it was started again); its `events` stay the same. */
  readonly runner: Runner | undefined;
  /** The worker of this process (when it runs one). */
  jobs: JobWorker | undefined;
  /** The RabbitMQ binding, when this process consumes (CLARION_AMQP_URL). */
  amqp: AmqpConsumer | undefined;
  /** Graceful stop: no new requests, running jobs finish, then the database (if ours) stops. */
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  log: Logger;
  gateway?: boolean;
  worker?: boolean;
  /** Consume CLARION_AMQP_URL's queue (when set). Default: with the gateway. */
  amqp?: boolean;
  clock?: Clock;
}

export async function startClarion({ config: givenConfig, log, gateway = true, worker = true, amqp: consume = gateway, clock = systemClock }: StartOptions): Promise<RunningClarion> {
  let config = givenConfig;
  for (const warning of config.deprecations) log.warn(warning);
  // Worker jobs run in transactions and may read configuration beside them: two connections each
  // at most, so the pool has room for every job's pair besides the gateway's own.
  const database = await openDatabase(config, log, config.dbPoolMax + (worker ? 2 * config.workerConcurrency : 0), { exclusive: true });
  let server: http.Server | undefined;
  let jobs: JobWorker | undefined;
  let closeGateway: (() => void) | undefined;
  let amqp: AmqpConsumer | undefined;
  config = { ...config, secretKey: database.secretKey };
  const services = createServices(config, database.knex, log, clock);
  let stopping: Promise<void> | undefined;

  const stop = () =>
    (stopping ??= (async () => {
      log.info('shutting down');
      // Requests and jobs get the same time to finish, side by side.
      const deadline = Date.now() + config.shutdownTimeoutMs;
      const closeServer = async () => {
        if (!server) return;
        // Open inbox streams and console live streams end first (clients reconnect to another
        // gateway), or the server would wait for them.
        await services.inbox.stop();
        closeGateway?.();
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server!.closeAllConnections(), config.shutdownTimeoutMs).unref();
        await closed;
        clearTimeout(timer);
      };
      // Messages in flight are committed and acknowledged; the rest stay in the queue.
      await Promise.all([closeServer(), amqp?.stop(), jobs?.stop(deadline)]);
      await services.invalidation.stop();
      await services.delivery.close();
      await services.templates.close();
      await services.outbound.close();
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
      // Each role imports its own modules: a worker never holds the HTTP app (koa, the routes,
      // the API document's schemas: 3.7 MB of heap).
      const { JobWorker } = await import('./jobs/worker.ts');
      jobs = await JobWorker.start({ config, services, knex: database.knex, url: database.url, log, clock });
    }
    if (consume && config.amqpUrl) amqp = await startAmqp(services, config);
    if (gateway) {
      const { createGateway } = await import('./gateway/app.ts');
      const { app, close } = createGateway(services);
      closeGateway = close;
      server = http.createServer(app.callback());
      server.keepAliveTimeout = 65_000;
      // Inbox streams: WebSocket upgrades go to the hub, which hears every process's changes.
      await services.inbox.start(database.url);
      server.on('upgrade', services.inbox.hub.upgrade);
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
  return {
    services,
    database,
    url,
    get runner() {
      return jobs?.runner;
    },
    jobs,
    amqp,
    stop,
  };
}

async function startAmqp(services: Services, config: Config): Promise<AmqpConsumer> {
  if (config.amqpTenant && !(await services.tenants.find(config.amqpTenant))) {
    throw new ClarionError('CLARION_ERR_CONFIG_INVALID', `CLARION_AMQP_TENANT=${config.amqpTenant} names no tenant: use the tenantId that \`clarion tenant create\` printed`);
  }
  const { AmqpConsumer } = await import('./ingest/amqp/consumer.ts');
  const consumer = new AmqpConsumer(
    {
      url: config.amqpUrl!,
      queue: config.amqpQueue,
      deadLetterQueue: config.amqpDeadLetterQueue,
      prefetch: config.amqpPrefetch,
      declare: config.amqpDeclare,
      tenantId: config.amqpTenant,
      maxBodyBytes: config.maxBodyBytes,
    },
    { ingest: services.ingest, apiKeys: services.apiKeys, tenants: services.tenants, log: services.log, clock: services.clock },
  );
  await consumer.start();
  return consumer;
}
