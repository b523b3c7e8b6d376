import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';

/** Clarion's processes as production runs them: `clarion gateway` and `clarion worker`, each its own. */

const CLI = fileURLToPath(new URL('../../bin/clarion.js', import.meta.url));
/**
 * The Node flags `clarion` runs with: those of its `#!/usr/bin/env -S node ...` line, or
 * BENCH_NODE_FLAGS (space-separated, to compare V8 settings; empty for Node's defaults).
 */
export const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? readFileSync(CLI, 'utf8').split('\n', 1)[0]!).split(/\s+/).filter((arg) => arg.startsWith('--'));

export interface ClarionProcess {
  child: ChildProcess;
  /** The gateway's base URL (gateways only). */
  url?: string;
  stop(): Promise<void>;
}

export async function startProcess(role: 'gateway' | 'worker', env: Record<string, string>): Promise<ClarionProcess> {
  const port = role === 'gateway' ? await getPort({ host: '127.0.0.1' }) : undefined;
  // BENCH_CPU_PROF=gateway,worker: a V8 CPU profile of each process named, in BENCH_CPU_PROF_DIR
  // (the working directory by default), written when it stops (open in Chrome DevTools).
  const profile = (process.env.BENCH_CPU_PROF ?? '').split(',').includes(role) ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF_DIR ?? '.', '--cpu-prof-name', `${role}-\${pid}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...NODE_FLAGS, ...profile, CLI, role], {
    env: { ...process.env, CLARION_LOG_LEVEL: 'error', ...env, ...(port ? { PORT: String(port), HOST: '127.0.0.1' } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let exited = false;
  const exit = once(child, 'exit').then(() => (exited = true));
  const url = port ? `http://127.0.0.1:${port}` : undefined;
  const ready = role === 'gateway'
    ? (async () => {
        for (;;) {
          if (exited) throw new Error(`clarion ${role} exited before it was ready`);
          try {
            if ((await fetch(`${url}/readyz`)).status === 200) return;
          } catch {
            // not listening yet
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })()
    : new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('Ctrl-C stops') && resolve());
        void exit.then(() => reject(new Error(`clarion ${role} exited before it was ready`)));
      });
  child.stdout!.resume();
  await ready;
  return {
    child,
    url,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      await exit;
    },
  };
}

/** Resident memory (bytes) of a process and all its descendants (the render processes), from /proc. */
export function rssTree(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  const visit = (p: number) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      return;
    }
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return total;
}

/** Samples the summed RSS of some processes until stopped; `max` is the highest sum seen. */
export class MemorySampler {
  max = 0;
  /** The highest RSS seen for each process (with its descendants). */
  readonly each = new Map<number, number>();
  readonly #timer: NodeJS.Timeout;

  constructor(pids: () => number[]) {
    this.#timer = setInterval(() => {
      let sum = 0;
      for (const pid of pids()) {
        const rss = rssTree(pid);
        this.each.set(pid, Math.max(this.each.get(pid) ?? 0, rss));
        sum += rss;
      }
      this.max = Math.max(this.max, sum);
    }, 250);
  }

  stop(): number {
    clearInterval(this.#timer);
    return this.max;
  }
}
