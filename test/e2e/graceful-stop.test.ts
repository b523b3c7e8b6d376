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
 * SIGTERM of a worker with a job in flight: the job finishes if it can within
 * CLARION_SHUTDOWN_TIMEOUT_MS; if it cannot, it is failed back to the queue, so another worker
 * takes it after graphile-worker's backoff, and the stopped worker leaves nothing locked.
 */
describe('a worker stopped gracefully with jobs in flight (e2e)', function () {
  this.timeout(90_000);
  let db: TestDatabase;
  let gateway: RunningClarion;
  let rescuer: RunningClarion | undefined;
  let sink: SmtpSink;
  let apiKey: string;
  let env: Record<string, string>;
  let n = 0;

  const post = (address: string) =>
    fetch(`${gateway.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: `stop-${++n}`, source: '/ops', type: 'com.acme.ping', data: { n, recipients: [{ id: address.split('@')[0], email: address }] } }),
    });
  const lockedJobs = async () => (await db.knex.raw(`select count(*)::int as n from graphile_worker.jobs where locked_at is not null`)).rows[0].n as number;
  const deliveryTo = (address: string) =>
    db.knex('deliveries').join('notifications', 'notifications.id', 'deliveries.notification_id').join('subscribers', 'subscribers.id', 'notifications.subscriber_id').where('subscribers.email', address).first('deliveries.*');

  before(async () => {
    db = await freshDatabase();
    sink = new SmtpSink();
    await sink.start();
    gateway = await startClarion({ config: testConfig(db, { CLARION_DEFAULT_SANDBOX: 'false' }), log: silentLog, worker: false });
    ({ apiKey } = await createTenant(db.knex, { name: 'Acme', settings: { acceptUnvalidatedTypes: true } }));
    const call = (method: string, p: string, body: unknown) =>
      fetch(`${gateway.url}${p}`, { method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await call('POST', '/v1/providers', { channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'ops@acme.example', timeoutSeconds: 60 } })).status).to.equal(201);
    expect((await call('PUT', '/v1/workflows/ping', { trigger: 'com.acme.ping', channels: ['email'], templates: { email: { subject: 'Ping {{ data.n }}', text: 'ping' } } })).status).to.equal(201);
    env = { DATABASE_URL: db.url, CLARION_SECRET_KEY: TEST_SECRET, CLARION_LOG_LEVEL: 'warn', CLARION_WORKER_POLL_MS: '100', CLARION_OUTBOUND_ALLOWLIST: '127.0.0.1', CLARION_SHUTDOWN_TIMEOUT_MS: '1000', CLARION_SEND_TIMEOUT_MS: '60000' };
  });
  after(async () => {
    await rescuer?.stop();
    await gateway?.stop();
    await sink?.stop();
    await db?.drop();
  });

  it('lets a job that can finish in time finish, and records it', async () => {
    const { child } = await startCli(['worker'], { ...env, CLARION_SHUTDOWN_TIMEOUT_MS: '30000' }, /^Clarion .* Ctrl-C stops\.$/);
    sink.delayMs = 500;
    const inFlight = once(sink, 'data');
    expect((await post('quick@acme.example')).status).to.equal(202);
    await inFlight;
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    sink.delayMs = 0;
    expect(code).to.equal(0);
    expect(sink.received.filter((m) => m.to.includes('quick@acme.example'))).to.have.length(1);
    expect(await deliveryTo('quick@acme.example')).to.include({ status: 'sent', attempt_count: 1 });
    expect(await lockedJobs()).to.equal(0);
  });

  it('fails a job that cannot finish in time back to the queue, leaves nothing locked, and another worker completes it', async () => {
    const { child, output } = await startCli(['worker'], env, /^Clarion .* Ctrl-C stops\.$/);
    sink.replies.push('hang');
    const inFlight = once(sink, 'data');
    expect((await post('stuck@acme.example')).status).to.equal(202);
    await inFlight; // the send hangs: it cannot finish within the 1 s the stop allows
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code, output()).to.equal(0);
    expect(output()).to.include('jobs still running at CLARION_SHUTDOWN_TIMEOUT_MS');
    expect(await lockedJobs()).to.equal(0);

    rescuer = await startClarion({ config: testConfig(db, { CLARION_WORKER_POLL_MS: '100' }), log: silentLog, gateway: false });
    const mail = await sink.mailTo('stuck@acme.example');
    expect(mail.subject).to.equal(`Ping ${n}`);
    const delivery = await untilJobs(rescuer.runner!, async () => {
      const row = await deliveryTo('stuck@acme.example');
      return row?.status === 'sent' ? row : undefined;
    });
    expect(await db.knex('delivery_attempts').where({ delivery_id: delivery.id }).pluck('outcome')).to.deep.equal(['success']);
  });
});
