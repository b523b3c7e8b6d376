import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runMigrations } from 'graphile-worker';
import type { Logger } from 'pino';
import knexFactory, { type Knex } from 'knex';
import { Model } from 'objection';
import pg from 'pg';
import { graphileLogger } from '../log.ts';

// PostgreSQL bigint/numeric arrive as strings by default; counts here fit a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/**
 * Loads migrations with `import()`, so the TypeScript files run as they are on Node's type
 * stripping; knex's own loader would look for compiled JavaScript.
 */
export const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    return (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{14}_[a-z0-9_]+\.ts$/.test(f)).sort();
  },
  getMigrationName: (name) => name,
  getMigration: (name) => import(pathToFileURL(path.join(MIGRATIONS_DIR, name)).href),
};

/**
 * `log`: where knex's own messages go (a lost connection, a failed acquire), as JSON lines like
 * the rest; without it knex prints them to the console.
 */
export function createKnex(connectionString: string, poolMax = 10, options: { preparedStatements?: boolean; log?: Logger } = {}): Knex {
  const log = options.log?.child({ component: 'knex' });
  const knex = knexFactory({
    client: 'pg',
    // Read by core/db/prepared.ts (knex keeps its whole configuration on the client).
    ...({ clarionPreparedStatements: options.preparedStatements ?? true } as object),
    // A connection that cannot be made in 5 s fails (a 503 at the gateway), rather than hang the
    // request; keepAlive notices a server that vanished without closing its connections.
    connection: { connectionString, application_name: 'clarion', connectionTimeoutMillis: 5000, keepAlive: true },
    pool: { min: 0, max: poolMax },
    ...(log
      ? { log: { warn: (m: unknown) => log.warn(String(m)), error: (m: unknown) => log.error(String(m)), debug: (m: unknown) => log.debug(String(m)), deprecate: (m: unknown) => log.warn(String(m)) } }
      : {}),
    migrations: { migrationSource, tableName: 'knex_migrations' },
  });
  Model.knex(knex);
  return knex;
}

/** Brings the database to the current schema: Clarion's tables, then graphile-worker's. */
export async function migrate(knex: Knex, connectionString: string, log: Logger): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest()) as [number, string[]];
  const pool = new pg.Pool({ connectionString, max: 2 });
  pool.on('error', (err) => log.warn({ err }, 'migration connection lost'));
  pool.on('connect', (client) => client.on('error', (err) => log.warn({ err }, 'migration connection lost')));
  try {
    await runMigrations({ pgPool: pool, logger: graphileLogger(log) });
    await tuneJobQueue(pool, log);
  } finally {
    await pool.end();
  }
  return applied;
}

/**
 * graphile-worker's `add_jobs` (behind every `add_job`) re-plans its statements on every call:
 * PL/pgSQL keeps choosing custom plans for them, and one job costs ~0.5 ms of database CPU. With
 * generic plans it costs less than half that, measured (jobs are added on every event and
 * delivery). Only the function's planning changes, not what it does; run after every migration
 * so a newer graphile-worker's version of the function gets it too.
 */
async function tuneJobQueue(pool: pg.Pool, log: Logger): Promise<void> {
  try {
    await pool.query(`alter function graphile_worker.add_jobs(graphile_worker.job_spec[], boolean) set plan_cache_mode = force_generic_plan`);
  } catch (err) {
    log.warn({ err }, 'could not tune graphile_worker.add_jobs (jobs are added more slowly)');
  }
}

/** Migrations not yet applied (for `/readyz` and `clarion migrate --status`). */
export async function pendingMigrations(knex: Knex): Promise<string[]> {
  const [, pending] = (await knex.migrate.list()) as [unknown[], Array<{ file: string } | string>];
  return pending.map((p) => (typeof p === 'string' ? p : p.file));
}
