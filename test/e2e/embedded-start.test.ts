import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import getPort from 'get-port';
import { runCli, startCli } from '../support/spawn.ts';

/**
 * What a newcomer does: `npm start` with no DATABASE_URL (embedded PostgreSQL under the data dir),
 * then CLI commands that attach to it, then Ctrl-C / SIGTERM: everything stops, no orphan postgres.
 */
describe('clarion start on the embedded PostgreSQL (e2e)', function () {
  this.timeout(120_000);
  let dataDir: string;
  let port: number;
  let env: Record<string, string>;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'clarion-e2e-'));
    port = await getPort({ host: '127.0.0.1' });
    env = { CLARION_DATA_DIR: dataDir, PORT: String(port), CLARION_LOG_LEVEL: 'warn' };
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('starts, serves, lets the CLI attach and send, and shuts down cleanly on SIGTERM', async () => {
    const { child, line } = await startCli(['start'], env, /^Clarion .* Ctrl-C stops\.$/);
    try {
      expect(line).to.match(/on Node v24\./);
      expect(line).to.include(`http://127.0.0.1:${port}`);
      expect(line).to.include('embedded PostgreSQL');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).to.equal(200);

      // The CLI attaches to the running embedded database.
      const created = await runCli(['tenant', 'create', '--name', 'Newcomer', '--json', '--accept-unvalidated-types'], env);
      expect(created.code, created.stderr).to.equal(0);
      const { tenantId, apiKey } = JSON.parse(created.stdout);
      expect(tenantId).to.match(/^[0-9a-f-]{36}$/);
      expect(apiKey).to.match(/^ck_/);

      const dataFile = path.join(dataDir, 'order.json');
      await writeFile(dataFile, JSON.stringify({ orderId: 'A-1' }));
      const sent = await runCli(['send', '--type', 'com.acme.order.shipped', '--source', '/shop', '--id', 'cli-1', '--data', `@${dataFile}`], { ...env, CLARION_API_KEY: apiKey });
      expect(sent.code, sent.stderr).to.equal(0);
      const answer = JSON.parse(sent.stdout);
      expect(answer.accepted[0]).to.include({ id: 'cli-1', source: '/shop' });

      const read = await fetch(`http://127.0.0.1:${port}/v1/events/${answer.accepted[0].eventId}`, { headers: { authorization: `Bearer ${apiKey}` } });
      expect(read.status).to.equal(200);
      expect(((await read.json()) as { cloudevent: { data: unknown } }).cloudevent.data).to.deep.equal({ orderId: 'A-1' });

      const another = await runCli(['apikey', 'create', '--tenant', tenantId, '--json'], env);
      expect(another.code, another.stderr).to.equal(0);
      expect(JSON.parse(another.stdout).apiKey).to.match(/^ck_/).and.not.equal(apiKey);
    } finally {
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).to.equal(0);
    }
    // The postgres server it started is gone: postgres removes postmaster.pid when it stops.
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).to.equal(false);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`).then(() => 'up', () => 'down');
    expect(health).to.equal('down');
  });

  it('stops cleanly on Ctrl-C, which signals the whole process group (postgres outlives the jobs)', async () => {
    const { child, output } = await startCli(['start'], { ...env, CLARION_LOG_LEVEL: 'info' }, /^Clarion .* Ctrl-C stops\.$/, { ownProcessGroup: true });
    process.kill(-child.pid!, 'SIGINT');
    const [code] = await once(child, 'exit');
    expect(code, output()).to.equal(0);
    expect(output()).to.include('"msg":"stopped"');
    expect(output()).to.not.include('terminating connection due to administrator command');
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).to.equal(false);
  });

  it('keeps its data between runs and a CLI command starts the database itself when nothing runs', async () => {
    const list = await runCli(['migrate', '--status'], env);
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout).to.include('up to date');
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).to.equal(false);
  });

  it('refuses a bad setting with a message naming the variable and what is allowed', async () => {
    const bad = await runCli(['start'], { ...env, PORT: 'eighty', CLARION_MAX_BODY_BYTES: '-1' });
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('PORT="eighty" is invalid: expected an integer from 0 to 65535');
    expect(bad.stderr).to.include('CLARION_MAX_BODY_BYTES="-1" is invalid');
  });

  it('requires CLARION_SECRET_KEY with DATABASE_URL', async () => {
    const bad = await runCli(['migrate'], { ...env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('CLARION_SECRET_KEY is required when DATABASE_URL is set');
  });

  it('explains CLI usage errors', async () => {
    const noName = await runCli(['tenant', 'create'], env);
    expect(noName.code).to.not.equal(0);
    expect(noName.stderr).to.include("required option '--name <name>' not specified");
    const noKey = await runCli(['send', '--type', 't', '--source', '/s'], env);
    expect(noKey.code).to.equal(2);
    expect(noKey.stderr).to.include('No API key: pass --api-key or set CLARION_API_KEY');
    const badFile = await runCli(['send', '--type', 't', '--source', '/s', '--data', '@/nonexistent.json', '--api-key', 'ck_x'], env);
    expect(badFile.code).to.equal(2);
    expect(badFile.stderr).to.include('Cannot read --data file /nonexistent.json: ENOENT');
    const down = await runCli(['send', '--type', 't', '--source', '/s', '--api-key', 'ck_x', '--url', `http://127.0.0.1:${port}`], env);
    expect(down.code).to.equal(1);
    expect(down.stderr).to.include('No gateway answers at');
  });
});
