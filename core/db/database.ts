import { readdir, stat } from 'node:fs/promises';
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
/** Where pipeline plugins live: a plugin with tables ships its migrations in `plugins/<name>/migrations/`. */
export const PLUGINS_DIR = fileURLToPath(new URL('../../plugins/', import.meta.url));

const MIGRATION_FILE = /^\d{14}_[a-z0-9_]+\.ts$/;

/**
 * Every migration: the engine's (`migrations/`) and those of the plugins (`plugins/<name>/migrations/`),
 * one list ordered by file name, so a plugin's table is made between the engine's tables it needs
 * and those that need it. knex records (and checks, on every run, against this list) only the
 * file name: a migration may move between these folders under its name and an existing database
 * still finds it applied. Two files of one name are refused.
 */
export async function migrationFiles(): Promise<Array<{ name: string; dir: string }>> {
  const dirs = [MIGRATIONS_DIR];
  for (const entry of await readdir(PLUGINS_DIR, { withFileTypes: true }).catch(() => [])) {
    const dir = path.join(PLUGINS_DIR, entry.name, 'migrations');
    if (entry.isDirectory() && (await stat(dir).catch(() => undefined))?.isDirectory()) dirs.push(dir);
  }
  const files = new Map<string, string>();
  for (const dir of dirs) {
    for (const name of (await readdir(dir)).filter((f) => MIGRATION_FILE.test(f))) {
      if (files.has(name)) throw new Error(`Two migrations are named ${name}: ${files.get(name)} and ${dir}`);
      files.set(name, dir);
    }
  }
  return [...files].map(([name, dir]) => ({ name, dir })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Loads migrations with `import()`, so the TypeScript files run as they are on Node's type
 * stripping; knex's own loader would look for compiled JavaScript.
 */
export const migrationSource: Knex.MigrationSource<{ name: string; dir: string }> = {
  getMigrations: () => migrationFiles(),
  getMigrationName: (migration) => migration.name,
  getMigration: (migration) => import(pathToFileURL(path.join(migration.dir, migration.name)).href),
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
    ...(log ? { log: { warn: line(log, 'warn'), error: line(log, 'error'), debug: line(log, 'debug'), deprecate: line(log, 'warn') } } : {}),
    migrations: { migrationSource, tableName: 'knex_migrations' },
  });
  Model.knex(knex);
  return knex;
}

/** One log line of a knex message (its first line: knex appends the stack of the error it reports). */
function line(log: Logger, level: 'warn' | 'error' | 'debug') {
  return (message: unknown) => log[level](String(message).split('\n')[0]);
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
