import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import getPort from 'get-port';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { createKnex, migrate } from '../../core/db/database.ts';
import { startEmbedded, type EmbeddedDatabase } from '../../core/db/embedded.ts';
import { startCli } from '../../test/support/spawn.ts';

/**
 * The system under test: one embedded PostgreSQL that the harness owns (so it can stop and kill
 * it, and start it again where its clients expect it), and Clarion as separate processes, gateways
 * and workers, as in production (`clarion gateway`, `clarion worker` with DATABASE_URL).
 */

export interface ClarionProcess {
  name: string;
  role: 'gateway' | 'worker';
  /** The gateway's URL (gateways only). */
  url: string;
  port: number;
  child: ChildProcess | undefined;
}

export class Cluster {
  readonly runDir: string;
  readonly #log: Logger;
  readonly #env: Record<string, string>;
  readonly secretKey = randomBytes(32).toString('base64');
  #postgres: EmbeddedDatabase | undefined;
  #pgPort = 0;
  readonly processes: ClarionProcess[] = [];
  readonly #logs = new Map<string, WriteStream>();
  /** The harness's own connection, to read the outcome (it reconnects by itself after a restart). */
  knex!: Knex;

  constructor(runDir: string, log: Logger, env: Record<string, string>) {
    this.runDir = runDir;
    this.#log = log;
    this.#env = env;
  }

  get databaseUrl(): string {
    return this.#postgres!.url;
  }

  async startPostgres(): Promise<void> {
    this.#pgPort ||= await getPort({ host: '127.0.0.1' });
    this.#postgres = await startEmbedded(path.join(this.runDir, 'data'), this.#log, { port: this.#pgPort });
  }

  /** Fast shutdown (what an operator's restart does): sessions are told, the server stops. */
  async stopPostgres(): Promise<void> {
    await this.#postgres?.stop();
  }

  /** SIGKILL of the postmaster: no shutdown at all, crash recovery at the next start. */
  async killPostgres(): Promise<void> {
    const pid = Number((await readFile(path.join(this.runDir, 'data', 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    // Its handle only has its lock connection left to close.
    await this.#postgres?.stop();
  }

  async migrate(): Promise<void> {
    this.knex = createKnex(this.databaseUrl, 4);
    await migrate(this.knex, this.databaseUrl, this.#log);
  }

  async add(role: 'gateway' | 'worker', name: string): Promise<ClarionProcess> {
    const port = role === 'gateway' ? await getPort({ host: '127.0.0.1' }) : 0;
    const proc: ClarionProcess = { name, role, port, url: `http://127.0.0.1:${port}`, child: undefined };
    this.processes.push(proc);
    await this.start(proc);
    return proc;
  }

  /** Starts (or starts again, on the same port) one Clarion process; resolves once it serves. */
  async start(proc: ClarionProcess): Promise<void> {
    let log = this.#logs.get(proc.name);
    if (!log) {
      log = createWriteStream(path.join(this.runDir, `${proc.name}.log`), { flags: 'a' });
      this.#logs.set(proc.name, log);
    }
    const env = { ...this.#env, DATABASE_URL: this.databaseUrl, CLARION_SECRET_KEY: this.secretKey, PORT: String(proc.port) };
    const { child, output } = await startCli([proc.role], env, /^Clarion .* Ctrl-C stops\.$/);
    log.write(output());
    const sink = log;
    child.stdout!.on('data', (d: Buffer) => sink.write(d));
    child.stderr!.on('data', (d: Buffer) => sink.write(d));
    child.once('exit', (code, signal) => sink.write(`\n--- ${proc.name} exited (${code ?? signal})\n`));
    proc.child = child;
  }

  async kill(proc: ClarionProcess): Promise<void> {
    const child = proc.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    proc.child = undefined;
  }

  /** SIGTERM: a graceful stop. Resolves with the exit code and how long the stop took. */
  async terminate(proc: ClarionProcess): Promise<{ code: number | null; ms: number }> {
    const child = proc.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return { code: child?.exitCode ?? null, ms: 0 };
    const started = performance.now();
    const exited = once(child, 'exit') as Promise<[number | null]>;
    child.kill('SIGTERM');
    const [code] = await exited;
    proc.child = undefined;
    return { code, ms: performance.now() - started };
  }

  pid(proc: ClarionProcess): number | undefined {
    return proc.child?.pid;
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => this.terminate(p).catch(() => undefined)));
    await this.knex?.destroy().catch(() => {});
    await this.stopPostgres().catch(() => {});
    for (const log of this.#logs.values()) log.end();
  }
}
