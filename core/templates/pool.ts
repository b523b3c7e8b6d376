import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RenderedContent } from '@clarion/adapter-kit';
import type { Logger } from 'pino';
import type { RenderFailureInfo, RenderJob, RenderReply } from './types.ts';

/**
 * A small pool of render processes. Each render goes to an idle process; when it does not answer
 * within the time limit, the process is killed (which really stops an endless loop or a runaway
 * regular expression, unlike any check inside the render) and replaced. Processes, not worker
 * threads: V8 aborts the whole process when one allocation exceeds a heap limit, so a template
 * that builds a huge string or array must only ever bring down its own process. The processes
 * get no environment variables and, where Node supports it, run under the permission model. They
 * start on first use and never keep the parent alive.
 */

export interface PoolOptions {
  /** Render processes. Default: the number of CPUs minus one, from 1 to 4. */
  size?: number;
  /** Longest a single render may take, in milliseconds. Default 1000. */
  timeLimitMs?: number;
  /** Heap cap of each render process (old generation), in MiB. Default 128. */
  memoryLimitMb?: number;
  localesDir: string;
  layoutsDir: string;
  log: Logger;
}

/** A render that failed because of the template (bad syntax, an error, a limit): retrying cannot help. */
export class TemplateRenderError extends Error {
  readonly info: RenderFailureInfo;
  constructor(info: RenderFailureInfo) {
    super(info.message);
    this.name = 'TemplateRenderError';
    this.info = info;
  }
}

/** The render processes themselves are broken (cannot start, crashed): not the template's fault. */
export class RenderUnavailableError extends Error {
  override name = 'RenderUnavailableError';
}

interface Pending {
  id: number;
  job: RenderJob;
  resolve(content: RenderedContent): void;
  reject(err: Error): void;
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  current: (Pending & { timer: NodeJS.Timeout }) | undefined;
  retired: boolean;
  /** The end of the process's stderr, for the log when it dies. */
  stderr: string;
}

/** A starting or busy render process keeps the parent alive (its caller awaits it); an idle one does not. */
function hold(slot: Slot, on: boolean): void {
  if (on) {
    slot.child.ref();
    slot.child.channel?.ref();
  } else {
    slot.child.unref();
    slot.child.channel?.unref();
  }
}

const WORKER_FILE = fileURLToPath(new URL('./render-worker.ts', import.meta.url));
const MAX_START_FAILURES = 3;

export class RenderPool {
  readonly #size: number;
  readonly #timeLimitMs: number;
  readonly #memoryLimitMb: number;
  readonly #options: { localesDir: string; layoutsDir: string };
  readonly #log: Logger;
  readonly #slots = new Set<Slot>();
  readonly #queue: Pending[] = [];
  #execArgv: string[] | undefined;
  #nextId = 1;
  #startFailures = 0;
  #closed = false;

  constructor(options: PoolOptions) {
    this.#size = options.size ?? Math.max(1, Math.min(4, availableParallelism() - 1));
    this.#timeLimitMs = options.timeLimitMs ?? 1000;
    this.#memoryLimitMb = options.memoryLimitMb ?? 128;
    this.#options = { localesDir: path.resolve(options.localesDir), layoutsDir: path.resolve(options.layoutsDir) };
    this.#log = options.log;
  }

  get timeLimitMs(): number {
    return this.#timeLimitMs;
  }

  render(job: RenderJob): Promise<RenderedContent> {
    if (this.#closed) return Promise.reject(new RenderUnavailableError('the template renderer is closed'));
    return new Promise<RenderedContent>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, job, resolve, reject });
      this.#dispatch();
    });
  }

  /** Starts every render process now rather than on the first renders (a worker calls it at boot). */
  warm(): void {
    let live = [...this.#slots].filter((s) => !s.retired).length;
    while (live < this.#size && !this.#closed) {
      this.#spawn();
      live++;
    }
  }

  /** Stops the render processes; renders still queued fail. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const pending of this.#queue.splice(0)) pending.reject(new RenderUnavailableError('the template renderer is closed'));
    await Promise.all([...this.#slots].map((slot) => this.#retire(slot, new RenderUnavailableError('the template renderer is closed'))));
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const slot = [...this.#slots].find((s) => s.ready && !s.current && !s.retired);
      if (!slot) break;
      const pending = this.#queue.shift()!;
      const timer = setTimeout(() => {
        this.#log.warn({ template: pending.job.name, timeLimitMs: this.#timeLimitMs }, 'template render exceeded its time limit; render process killed');
        void this.#retire(
          slot,
          new TemplateRenderError({ message: `exceeded the render time limit of ${this.#timeLimitMs} ms`, part: null, template: null, line: null, column: null, kind: 'limit' }),
        );
      }, this.#timeLimitMs);
      slot.current = { ...pending, timer };
      hold(slot, true);
      slot.child.send({ id: pending.id, job: pending.job }, (err) => {
        if (err && slot.current?.id === pending.id) void this.#retire(slot, new RenderUnavailableError(`a template render process cannot be reached: ${err.message}`, { cause: err }));
      });
    }
    // Start processes for what is waiting, up to the pool size (those starting will take the queue).
    let live = [...this.#slots].filter((s) => !s.retired).length;
    let starting = [...this.#slots].filter((s) => !s.retired && !s.ready).length;
    while (this.#queue.length > starting && live < this.#size && !this.#closed) {
      this.#spawn();
      live++;
      starting++;
    }
  }

  #spawn(): void {
    const child = fork(WORKER_FILE, [JSON.stringify(this.#options)], {
      execArgv: this.#childExecArgv(),
      // Nothing secret reaches the sandbox, even if it were ever escaped.
      env: {},
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const slot: Slot = { child, ready: false, current: undefined, retired: false, stderr: '' };
    this.#slots.add(slot);
    const stderr = child.stderr as (NodeJS.ReadableStream & { unref?: () => void }) | null;
    stderr?.unref?.();
    stderr?.on('data', (chunk: Buffer) => {
      slot.stderr = (slot.stderr + chunk.toString('utf8')).slice(-4096);
    });
    child.on('message', (message: { ready?: boolean } | RenderReply) => {
      if ('ready' in message && message.ready) {
        slot.ready = true;
        this.#startFailures = 0;
        this.#dispatch();
        if (!slot.current) hold(slot, false);
        return;
      }
      const reply = message as RenderReply;
      const current = slot.current;
      if (!current || current.id !== reply.id) return;
      clearTimeout(current.timer);
      slot.current = undefined;
      if (reply.ok) current.resolve(reply.content);
      else current.reject(new TemplateRenderError(reply.error));
      this.#dispatch();
      if (!slot.current) hold(slot, false);
    });
    child.on('error', (err) => {
      if (slot.retired) return;
      this.#log.error({ err }, 'template render process failed');
      void this.#retire(slot, new RenderUnavailableError(`a template render process failed: ${err.message}`, { cause: err }));
    });
    child.on('exit', (code, signal) => {
      if (slot.retired) return;
      // V8 aborts the process when the template's render exhausts the heap.
      const outOfMemory = slot.current !== undefined && (signal === 'SIGABRT' || code === 134 || /heap out of memory|Allocation failed/i.test(slot.stderr));
      if (outOfMemory) {
        this.#log.warn({ template: slot.current!.job.name, memoryLimitMb: this.#memoryLimitMb }, 'template render exhausted its memory; render process died');
        void this.#retire(
          slot,
          new TemplateRenderError({ message: `exceeded the render memory limit of ${this.#memoryLimitMb} MiB`, part: null, template: null, line: null, column: null, kind: 'limit' }),
        );
        return;
      }
      this.#log.error({ code, signal, stderr: slot.stderr }, 'template render process stopped');
      void this.#retire(slot, new RenderUnavailableError(`a template render process stopped (exit code ${code}, signal ${signal})${slot.stderr ? `: ${slot.stderr.trim().split('\n').pop()}` : ''}`));
    });
  }

  async #retire(slot: Slot, error: Error): Promise<void> {
    if (slot.retired) return;
    slot.retired = true;
    this.#slots.delete(slot);
    if (slot.current) {
      clearTimeout(slot.current.timer);
      slot.current.reject(error);
      slot.current = undefined;
    }
    if (!slot.ready && !this.#closed) {
      // Dies before it could render anything: the installation is broken, not a template.
      this.#startFailures++;
      if (this.#startFailures >= MAX_START_FAILURES) {
        for (const pending of this.#queue.splice(0)) pending.reject(new RenderUnavailableError(`template render processes cannot start: ${error.message}`));
      }
    }
    if (slot.child.exitCode === null && slot.child.signalCode === null) {
      hold(slot, true);
      const exited = new Promise<void>((resolve) => slot.child.once('exit', () => resolve()));
      slot.child.kill('SIGKILL');
      await exited;
    }
    if (!this.#closed && this.#startFailures < MAX_START_FAILURES) this.#dispatch();
  }

  /**
   * Node flags of the render processes: the heap cap, and the permission model where this Node
   * has it (`--permission` since 23.5, `--experimental-permission` before), allowing reads of
   * exactly what rendering needs.
   */
  #childExecArgv(): string[] {
    if (this.#execArgv) return this.#execArgv;
    const args = [`--max-old-space-size=${this.#memoryLimitMb}`];
    const flags = process.allowedNodeEnvironmentFlags;
    const permission = flags.has('--permission') ? '--permission' : flags.has('--experimental-permission') ? '--experimental-permission' : undefined;
    if (permission) {
      const readable = new Set<string>([path.dirname(WORKER_FILE), this.#options.localesDir, this.#options.layoutsDir]);
      const require = createRequire(import.meta.url);
      for (const pkg of ['nunjucks', 'i18next', 'html-to-text']) {
        // The node_modules folder that holds each package (and, hoisted, their dependencies).
        let dir = path.dirname(require.resolve(`${pkg}/package.json`));
        while (path.basename(dir) !== 'node_modules' && path.dirname(dir) !== dir) dir = path.dirname(dir);
        readable.add(dir);
      }
      // Node reads the nearest package.json to know the worker file is an ES module.
      for (let dir = path.dirname(WORKER_FILE); ; dir = path.dirname(dir)) {
        if (existsSync(path.join(dir, 'package.json'))) {
          readable.add(path.join(dir, 'package.json'));
          break;
        }
        if (path.dirname(dir) === dir) break;
      }
      args.push(permission, ...[...readable].map((p) => `--allow-fs-read=${p}`));
    }
    this.#execArgv = args;
    return args;
  }
}
