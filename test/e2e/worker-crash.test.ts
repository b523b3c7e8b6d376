import { once } from 'node:events';
import { expect } from 'chai';
import { startClarion, type RunningClarion } from '../../core/runtime.ts';
import { createTenant } from '../../core/tenants.ts';
import { TEST_SECRET, testConfig } from '../support/clarion.ts';
import { freshDatabase, silentLog, type TestDatabase } from '../support/postgres.ts';
import { SmtpSink } from '../support/smtp.ts';
import { startCli } from '../support/spawn.ts';
import { untilJobs } from '../support/wait.ts';

/**
 * A worker killed with SIGKILL in the middle of a send loses nothing: its job stays locked, the
 * next worker sees it stopped beating, unlocks the job, and the mail goes out.
 */
describe('a worker killed mid-flight (e2e)', function () {
  this.timeout(90_000);
  let db: TestDatabase;
  let gateway: RunningClarion;
  let rescuer: RunningClarion | undefined;
  let sink: SmtpSink;

  before(async () => {
    db = await freshDatabase();
    sink = new SmtpSink();
    await sink.start();
    gateway = await startClarion({ config: testConfig(db, { CLARION_DEFAULT_SANDBOX: 'false' }), log: silentLog, worker: false });
  });
  after(async () => {
    await rescuer?.stop();
    await gateway?.stop();
    await sink?.stop();
    await db?.drop();
  });

  it('completes the work after another worker takes over', async () => {
    const { apiKey } = await createTenant(db.knex, { name: 'Acme', settings: { acceptUnvalidatedTypes: true } });
    const call = (method: string, path: string, body: unknown) =>
      fetch(`${gateway.url}${path}`, { method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': path === '/v1/events' ? 'application/cloudevents+json' : 'application/json' }, body: JSON.stringify(body) });
    expect((await call('POST', '/v1/providers', { channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'ops@acme.example', timeoutSeconds: 60 } })).status).to.equal(201);
    expect((await call('PUT', '/v1/workflows/ping', { trigger: 'com.acme.ping', channels: ['email'], templates: { email: { subject: 'Ping {{ data.n }}', text: 'ping' } } })).status).to.equal(201);

    const env = { DATABASE_URL: db.url, CLARION_SECRET_KEY: TEST_SECRET, CLARION_LOG_LEVEL: 'warn', CLARION_WORKER_POLL_MS: '100', CLARION_OUTBOUND_ALLOWLIST: '127.0.0.1' };
    const { child } = await startCli(['worker'], env, /^Clarion .* Ctrl-C stops\.$/);
    sink.replies.push('hang');
    const received = once(sink, 'data');
    expect((await call('POST', '/v1/events', { specversion: '1.0', id: 'p-1', source: '/ops', type: 'com.acme.ping', data: { n: 1, recipients: [{ id: 'oncall', email: 'oncall@acme.example' }] } })).status).to.equal(202);
    await received; // the worker is in the middle of the SMTP conversation
    child.kill('SIGKILL');
    await once(child, 'exit');

    const { rows } = await db.knex.raw(`select count(*)::int as n from graphile_worker.jobs where locked_by is not null`);
    expect(rows[0].n).to.equal(1);

    rescuer = await startClarion({
      config: testConfig(db, { CLARION_WORKER_DEAD_AFTER_MS: '1500', CLARION_WORKER_POLL_MS: '100' }),
      log: silentLog,
      gateway: false,
    });
    const mail = await sink.mailTo('oncall@acme.example');
    expect(mail.subject).to.equal('Ping 1');
    const delivery = await untilJobs(rescuer.runner!, async () => {
      const row = await db.knex('deliveries').first();
      return row?.status === 'sent' ? row : undefined;
    });
    const attempts = await db.knex('delivery_attempts').where({ delivery_id: delivery.id });
    expect(attempts.map((a) => a.outcome)).to.deep.equal(['success']);
  });
});
