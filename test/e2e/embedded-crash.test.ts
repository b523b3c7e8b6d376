import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import getPort from 'get-port';
import { runCli, startCli } from '../support/spawn.ts';

/**
 * `npm start` on the embedded PostgreSQL when the previous one did not end well: killed with
 * SIGKILL (its PostgreSQL, in a session of its own, still running with nobody to stop it), or
 * killed with its PostgreSQL (a postmaster.pid left behind, naming a pid that may since belong to
 * another process). Each time the next start comes up on the same data with no cleanup by hand.
 * And a second start beside a running one refuses, saying why, while CLI commands attach.
 */
describe('clarion start after a crash, and beside another start (e2e)', function () {
  this.timeout(180_000);
  let dataDir: string;
  let env: Record<string, string>;
  let port: number;
  const pidFile = () => path.join(dataDir, 'postgres', 'postmaster.pid');
  const postmaster = async () => Number((await readFile(pidFile(), 'utf8')).split('\n')[0]);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const start = () => startCli(['start'], env, /^Clarion .* Ctrl-C stops\.$/);

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'clarion-crash-'));
    port = await getPort({ host: '127.0.0.1' });
    env = { CLARION_DATA_DIR: dataDir, PORT: String(port), CLARION_LOG_LEVEL: 'warn' };
  });
  after(async () => {
    // Whatever a failed test left running on this data directory (found by its pid file, never by name).
    if (existsSync(pidFile())) {
      const pid = await postmaster().catch(() => 0);
      if (pid && alive(pid)) process.kill(pid, 'SIGINT');
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a second start on the same data directory, lets CLI commands attach, and takes over the PostgreSQL a killed start left running', async () => {
    const first = await start();
    let tenant: { tenantId: string; apiKey: string };
    try {
      const second = await runCli(['start'], { ...env, PORT: String(await getPort({ host: '127.0.0.1' })) });
      expect(second.code).to.equal(1);
      expect(second.stderr).to.include(`clarion: Clarion is already running on the data directory ${dataDir} (process ${first.child.pid})`);
      expect(second.stderr).to.include('stop it first, or give this one another CLARION_DATA_DIR');
      const worker = await runCli(['worker'], env);
      expect(worker.code).to.equal(1);
      expect(worker.stderr).to.include('Clarion is already running on the data directory');

      const created = await runCli(['tenant', 'create', '--name', 'Survivor', '--json'], env);
      expect(created.code, created.stderr).to.equal(0);
      tenant = JSON.parse(created.stdout);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);
    } finally {
      first.child.kill('SIGKILL');
      await once(first.child, 'exit');
    }
    // Its PostgreSQL runs on, orphaned.
    const orphan = await postmaster();
    expect(alive(orphan)).to.equal(true);

    const next = await start();
    try {
      expect(alive(orphan)).to.equal(false);
      expect(await postmaster()).to.not.equal(orphan);
      expect(next.output()).to.include('left running by a Clarion process that ended without stopping it');
      // Same data: the tenant made before the crash is there, its key works.
      const read = await fetch(`http://127.0.0.1:${port}/v1/tenant`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
      expect(read.status).to.equal(200);
      expect(((await read.json()) as { id: string }).id).to.equal(tenant.tenantId);
    } finally {
      next.child.kill('SIGTERM');
      const [code] = await once(next.child, 'exit');
      expect(code).to.equal(0);
    }
    expect(existsSync(pidFile())).to.equal(false);
  });

  it('starts after both it and its PostgreSQL were killed, even when the stale postmaster.pid names a live process that is not PostgreSQL', async () => {
    const first = await start();
    const server = await postmaster();
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    process.kill(server, 'SIGKILL');
    // The pid file stays; after a reboot its pid may be anyone's: here a live process of ours.
    const stranger = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
    try {
      const lines = (await readFile(pidFile(), 'utf8')).split('\n');
      lines[0] = String(stranger.pid);
      await writeFile(pidFile(), lines.join('\n'));

      const next = await start();
      try {
        expect(next.output()).to.include('postmaster.pid names a process that is not PostgreSQL');
        expect(await postmaster()).to.not.equal(stranger.pid);
        expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).to.equal(200);
        expect(alive(stranger.pid!)).to.equal(true);
      } finally {
        next.child.kill('SIGTERM');
        const [code] = await once(next.child, 'exit');
        expect(code).to.equal(0);
      }
    } finally {
      stranger.kill('SIGKILL');
    }
    expect(existsSync(pidFile())).to.equal(false);
  });
});
