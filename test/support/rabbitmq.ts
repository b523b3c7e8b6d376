import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import getPort from 'get-port';

/**
 * A real RabbitMQ broker (Debian's `rabbitmq-server`) of the test run's own: its own node name,
 * ports (AMQP, distribution, epmd), data and log directories under a temporary folder, on
 * loopback only, so it neither needs nor touches a system service. Started once, by the first test
 * file that asks; stopped by the root hooks (hooks.ts). `restart()` stops and starts the same node
 * on the same data, as a broker restart in production would.
 */

const SERVER = process.env.CLARION_TEST_RABBITMQ_SERVER ?? '/usr/lib/rabbitmq/bin/rabbitmq-server';
const EPMD = ['/usr/bin/epmd', '/usr/lib/erlang/bin/epmd'].find((p) => existsSync(p));

export interface TestBroker {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
}

let broker: Promise<Broker> | undefined;

export function testRabbitMq(): Promise<TestBroker> {
  return (broker ??= Broker.create());
}

/** Stops the broker if this run started one (root afterAll hook). */
export async function stopTestRabbitMq(): Promise<void> {
  if (!broker) return;
  const b = await broker.catch(() => undefined);
  broker = undefined;
  await b?.destroy();
}

class Broker implements TestBroker {
  readonly url: string;
  readonly #dir: string;
  readonly #env: Record<string, string>;
  #server: ChildProcess | undefined;
  #epmd: ChildProcess | undefined;
  #output = '';

  private constructor(dir: string, env: Record<string, string>, port: number) {
    this.#dir = dir;
    this.#env = env;
    this.url = `amqp://guest:guest@127.0.0.1:${port}`;
  }

  static async create(): Promise<Broker> {
    if (!existsSync(SERVER) || !EPMD) {
      throw new Error(
        `RabbitMQ is not installed (no ${existsSync(SERVER) ? 'epmd' : SERVER}): the AMQP binding is tested against a real broker. ` +
          'Install it with `apt-get install -y rabbitmq-server` (Debian; .ci/run does this), or point CLARION_TEST_RABBITMQ_SERVER at its rabbitmq-server script.',
      );
    }
    const dir = await mkdtemp(path.join(tmpdir(), 'clarion-rabbitmq-'));
    const [port, distPort, epmdPort] = [await getPort({ host: '127.0.0.1' }), await getPort({ host: '127.0.0.1' }), await getPort({ host: '127.0.0.1' })];
    await writeFile(path.join(dir, 'enabled_plugins'), '[].\n');
    await mkdir(path.join(dir, 'log'), { recursive: true });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      // The Erlang cookie is written to HOME.
      HOME: dir,
      LANG: 'C.UTF-8',
      RABBITMQ_NODENAME: `clarion-test-${process.pid}@localhost`,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      ERL_EPMD_PORT: String(epmdPort),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(dir, 'log'),
      RABBITMQ_PID_FILE: path.join(dir, 'rabbitmq.pid'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
      RABBITMQ_PLUGINS_EXPAND_DIR: path.join(dir, 'plugins-expand'),
      // Files that do not exist: none of the system's configuration is read.
      RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq'),
      RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
      RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
    };
    const b = new Broker(dir, env, port);
    // Our own epmd, in the foreground as our child: the broker would otherwise start a daemon
    // that outlives the run.
    b.#epmd = spawn(EPMD, ['-port', String(epmdPort), '-address', '127.0.0.1'], { env, stdio: 'ignore' });
    try {
      await b.start();
    } catch (err) {
      await b.destroy();
      throw err;
    }
    return b;
  }

  async start(): Promise<void> {
    if (this.#server) return;
    const child = spawn(SERVER, [], { env: this.#env, cwd: this.#dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.#server = child;
    // A test run that dies leaves no broker behind.
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    process.once('exit', kill);
    child.once('exit', () => process.off('exit', kill));
    child.stderr!.on('data', (d) => (this.#output += d));
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`rabbitmq-server exited with ${code} before it was ready:\n${this.#output.slice(-4000)}`));
      child.once('exit', onExit);
      lines.on('line', (line) => {
        this.#output += `${line}\n`;
        // "Starting broker... completed with 0 plugins." once the node accepts connections.
        if (/completed with \d+ plugins/.test(line)) {
          child.off('exit', onExit);
          resolve();
        }
      });
    });
  }

  /** Stops the broker as SIGTERM does (a clean shutdown: durable queues and persistent messages are kept). */
  async stop(): Promise<void> {
    const child = this.#server;
    if (!child) return;
    this.#server = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    // The script traps SIGTERM, stops the Erlang VM under it cleanly and exits once it is gone.
    child.kill('SIGTERM');
    await exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => {});
    this.#epmd?.kill('SIGTERM');
    await rm(this.#dir, { recursive: true, force: true }).catch(() => {});
  }

}
