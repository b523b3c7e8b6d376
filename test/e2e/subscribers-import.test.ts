import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startClarion, type RunningClarion } from '../../core/runtime.ts';
import { createTenant } from '../../core/tenants.ts';
import { testConfig } from '../support/clarion.ts';
import { freshDatabase, silentLog, type TestDatabase } from '../support/postgres.ts';
import { CLI, runCli } from '../support/spawn.ts';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** `clarion subscribers import` against a running gateway, as an operator runs it. */
describe('clarion subscribers import (e2e)', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let clarion: RunningClarion;
  let apiKey: string;
  let dir: string;

  before(async () => {
    db = await freshDatabase();
    clarion = await startClarion({ config: testConfig(db), log: silentLog, worker: false });
    ({ apiKey } = await createTenant(db.knex, { name: 'Importer', settings: {} }));
    dir = await mkdtemp(path.join(tmpdir(), 'clarion-import-'));
  });
  after(async () => {
    await clarion?.stop();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const env = () => ({ CLARION_API_KEY: apiKey, CLARION_URL: clarion.url! });
  const get = async (id: string) => {
    const res = await fetch(`${clarion.url}/v1/subscribers/${id}`, { headers: { authorization: `Bearer ${apiKey}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const jsonLines = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

  it('imports a CSV file with mapped columns, reporting each refused row by its line', async () => {
    const file = path.join(dir, 'people.csv');
    await writeFile(
      file,
      [
        'User ID,E-mail,Full name,Teams,Plan,Notes',
        'ada,ada@example.com,Ada Lovelace,support;admins,pro,first',
        'bob,not-an-email,Bob,,free,',
        '"car""ol",carol@example.com,Carol,,,', // an id the API refuses
        'dee,dee@example.com,"Dee ""D"" Smith",ops,,',
        'eve,"unterminated,Eve,,,', // broken CSV from here to the end of the file
      ].join('\n') + '\n',
    );
    const { code, stdout, stderr } = await runCli(
      ['subscribers', 'import', file, '--map', 'User ID=id', '--map', 'E-mail=email', '--map', 'Full name=name', '--map', 'Teams=teams', '--map', 'Plan=data.plan', '--json', '--batch-size', '2'],
      env(),
    );
    expect(stderr).to.equal('');
    const records = jsonLines(stdout);
    // Rows refused while reading come at once, the API's with its answer: by line, they are these.
    const refused = records.filter((r) => r.type === 'refused').sort((a, b) => (a.line as number) - (b.line as number));
    expect(refused.map((r) => [r.line, r.id])).to.deep.equal([
      [3, 'bob'],
      [4, 'car"ol'],
      [6, null],
    ]);
    expect(refused[0].errors).to.deep.equal([{ field: 'email', column: 'E-mail', message: 'must match format "email"' }]);
    expect(records.find((r) => r.type === 'warning')?.message).to.match(/columns ignored .*Notes/);
    expect(records.filter((r) => r.type === 'progress').length).to.be.greaterThan(1);
    expect(records.at(-1)).to.deep.include({ type: 'summary', created: 2, updated: 0, refused: 3 });
    expect(code).to.equal(1);
    expect((await get('ada')).body).to.deep.include({ name: 'Ada Lovelace', email: 'ada@example.com', teams: ['support', 'admins'], data: { plan: 'pro' } });
    expect((await get('dee')).body).to.include({ name: 'Dee "D" Smith' });
    expect((await get('bob')).status).to.equal(404);
    // Nothing left to resume.
    expect(existsSync(`${file}.clarion-import.json`)).to.equal(false);
  });

  it('imports JSON lines and prints a readable report without --json', async () => {
    const file = path.join(dir, 'people.jsonl');
    await writeFile(file, ['{"id": "ada", "locale": "fr"}', '{"id": "fay", "mail": "fay@example.com"}', 'not json', '', '{"id": "gus", "timezone": "Europe/Paris"}'].join('\n'));
    const { code, stdout } = await runCli(['subscribers', 'import', file, '--map', 'mail=email'], env());
    expect(code).to.equal(1);
    expect(stdout).to.include('line 3: (row) is not valid JSON');
    expect(stdout).to.include('Imported');
    expect(stdout).to.match(/2 created, 1 updated, 1 refused\./);
    expect((await get('ada')).body).to.include({ locale: 'fr', name: 'Ada Lovelace' });
    expect((await get('fay')).body).to.include({ email: 'fay@example.com' });
  });

  it('shows a progress bar on a terminal', async () => {
    const file = path.join(dir, 'tty.csv');
    await writeFile(file, `id,name\n${Array.from({ length: 20 }, (_, i) => `t${i},T ${i}`).join('\n')}\n`);
    // util-linux `script` runs the command on a pseudo-terminal, as an operator's shell would.
    const child = spawn('script', ['-qfec', `${process.execPath} ${CLI} subscribers import ${file} --batch-size 5`, '/dev/null'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    const [code] = await once(child, 'exit');
    expect(code).to.equal(0);
    expect(output).to.match(/importing .*100% \| line 21\/21 \| 20 created, 0 updated, 0 refused/);
    expect(output).to.include('Imported');
  });

  it('resumes after the line an interrupted run reached, and will not resume a changed file', async () => {
    const file = path.join(dir, 'many.csv');
    const ids = Array.from({ length: 300 }, (_, i) => `m${i}`);
    await writeFile(file, `id,email\n${ids.map((id) => `${id},${id}@example.com`).join('\n')}\n`);
    // The way to the gateway is lost once the first batch is answered: a front on loopback
    // forwards one request, then drops every connection (as a gateway going away does).
    let forwarded = 0;
    const front = http.createServer(async (req, res) => {
      if (forwarded++ > 0) return void req.socket.destroy();
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const upstream = await fetch(`${clarion.url}${req.url}`, { method: req.method, headers: { 'content-type': req.headers['content-type']!, authorization: req.headers.authorization! }, body: Buffer.concat(chunks) });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    });
    front.listen(0, '127.0.0.1');
    await once(front, 'listening');
    const frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const first = await runCli(['subscribers', 'import', file, '--json', '--batch-size', '10'], { ...env(), CLARION_URL: frontUrl });
    front.closeAllConnections();
    front.close();
    expect(first.code).to.equal(1);
    expect(first.stdout + first.stderr).to.match(/No gateway answers at .* run the same command again to resume/);
    const state = JSON.parse(await readFile(`${file}.clarion-import.json`, 'utf8'));
    // The header, then the first batch of 10: answered, so kept.
    expect(state.line).to.equal(11);

    const again = await runCli(['subscribers', 'import', file, '--json', '--batch-size', '10'], env());
    const records = jsonLines(again.stdout);
    expect(records[0]).to.deep.include({ type: 'resumed', afterLine: state.line });
    expect(again.code).to.equal(0);
    expect(records.at(-1)).to.deep.include({ type: 'summary', refused: 0, resumedAfterLine: state.line });
    const summary = records.at(-1)!;
    expect((summary.created as number) + (summary.updated as number)).to.be.at.least(300);
    const { rows } = await db.knex.raw(`select count(*)::int as n from subscribers where external_id like 'm%'`);
    expect(rows[0].n).to.equal(300);

    // A state left by a run of another version of the file is not applied to this one.
    await writeFile(`${file}.clarion-import.json`, JSON.stringify({ ...state, line: 5 }));
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    const changed = await runCli(['subscribers', 'import', file], env());
    expect(changed.code).to.equal(2);
    expect(changed.stderr).to.match(/changed since the unfinished import .* pass --restart/);
    const restarted = await runCli(['subscribers', 'import', file, '--restart'], env());
    expect(restarted.code).to.equal(0);
    expect(restarted.stdout).to.match(/0 created, 300 updated, 0 refused/);
  });
});
