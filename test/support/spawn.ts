import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/clarion.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `clarion ...` to completion with its own environment. */
export async function runCli(args: string[], env: Record<string, string | undefined>, input?: string): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(input ?? '');
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Starts a long-running `clarion` command and resolves once a stdout line matches. */
export async function startCli(
  args: string[],
  env: Record<string, string | undefined>,
  ready: RegExp,
  options: { ownProcessGroup?: boolean } = {},
): Promise<{ child: ChildProcess; line: string; output: () => string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Like a terminal's foreground job: Ctrl-C signals the whole group.
    detached: options.ownProcessGroup ?? false,
  });
  let all = '';
  child.stderr!.on('data', (d) => (all += d));
  const lines = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    lines.on('line', (l) => {
      all += `${l}\n`;
      if (ready.test(l)) resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`clarion exited with ${code} before it was ready:\n${all}`)));
  });
  return { child, line, output: () => all };
}
