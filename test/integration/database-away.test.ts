import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { loadConfig } from '../../core/config.ts';
import { announceChange } from '../../core/cache-invalidation.ts';
import { createKnex, migrate } from '../../core/db/database.ts';
import { startEmbedded, type EmbeddedDatabase } from '../../core/db/embedded.ts';
import { startClarion, type RunningClarion } from '../../core/runtime.ts';
import { createTenant } from '../../core/tenants.ts';
import { TEST_SECRET } from '../support/clarion.ts';
import { silentLog } from '../support/postgres.ts';
import { SmtpSink } from '../support/smtp.ts';
import { untilJobs } from '../support/wait.ts';

/**
 * PostgreSQL going away under a running Clarion (gateway and worker in one process), and coming
 * back: the gateway refuses with 503, a problem document and Retry-After (never a hang, never a
 * bare 500), /readyz says not ready, and once the server is back everything carries on by itself,
 * with no restart of Clarion. The test stops and starts a PostgreSQL of its own, so the suite's
 * shared server is never disturbed.
 */
describe('while the database is away (integration)', function () {
  this.timeout(120_000);
  let dir: string;
  let postgres: EmbeddedDatabase;
  let knex: Knex;
  let clarion: RunningClarion;
  let sink: SmtpSink;
  let apiKey: string;
  let n = 0;

  const restart = async () => {
    postgres = await startEmbedded(dir, silentLog, { port: postgres.port });
  };
  const post = (body: unknown, contentType = 'application/cloudevents+json') =>
    fetch(`${clarion.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': contentType }, body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
  const event = () => {
    n += 1;
    return { specversion: '1.0', id: `away-${n}`, source: '/ops', type: 'com.acme.ping', data: { n, recipients: [{ id: `oncall-${n}`, email: `oncall-${n}@acme.example` }] } };
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'clarion-away-'));
    postgres = await startEmbedded(dir, silentLog);
    knex = createKnex(postgres.url, 2, { log: silentLog });
    await migrate(knex, postgres.url, silentLog);
    sink = new SmtpSink();
    await sink.start();
    const config = loadConfig({
      DATABASE_URL: postgres.url, CLARION_SECRET_KEY: TEST_SECRET, PORT: '0', CLARION_LOG_LEVEL: 'silent', CLARION_OUTBOUND_ALLOWLIST: '127.0.0.1',
      CLARION_DEFAULT_SANDBOX: 'false', CLARION_WORKER_POLL_MS: '200',
    });
    clarion = await startClarion({ config, log: silentLog });
    ({ apiKey } = await createTenant(knex, { name: 'Acme', settings: { acceptUnvalidatedTypes: true } }));
    const call = (method: string, p: string, body: unknown) =>
      fetch(`${clarion.url}${p}`, { method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await call('POST', '/v1/providers', { channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'ops@acme.example' } })).status).to.equal(201);
    expect((await call('PUT', '/v1/workflows/ping', { trigger: 'com.acme.ping', channels: ['email'], templates: { email: { subject: 'Ping {{ data.n }}', text: 'ping' } } })).status).to.equal(201);
  });

  after(async () => {
    await clarion?.stop();
    await knex?.destroy();
    await sink?.stop();
    await postgres?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses ingest with 503, a problem document and Retry-After, says not ready, and works again once PostgreSQL is back', async () => {
    const first = event();
    expect((await post(first)).status).to.equal(202);
    await sink.mailTo(first.data.recipients[0].email);
    const listening = once(clarion.services.invalidation, 'listening');

    await postgres.stop();

    for (const [body, type] of [[event(), 'application/cloudevents+json'], [[event(), event()], 'application/cloudevents-batch+json']] as const) {
      const refused = await post(body, type);
      expect(refused.status).to.equal(503);
      expect(refused.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(refused.headers.get('retry-after')).to.equal('2');
      expect(await refused.json()).to.include({ status: 503, code: 'CLARION_ERR_DB_UNAVAILABLE', type: 'urn:clarion:error:CLARION_ERR_DB_UNAVAILABLE' });
    }
    const read = await fetch(`${clarion.url}/v1/events?limit=1`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(read.status).to.equal(503);
    expect(read.headers.get('retry-after')).to.equal('2');
    const ready = await fetch(`${clarion.url}/readyz`);
    expect(ready.status).to.equal(503);
    expect(await ready.json()).to.have.property('status', 'not ready');

    await restart();

    const again = event();
    const accepted = await post(again);
    expect(accepted.status, await accepted.clone().text()).to.equal(202);
    // The worker resumed by itself: the event becomes an email.
    expect((await sink.mailTo(again.data.recipients[0].email)).subject).to.equal(`Ping ${again.data.n}`);
    expect((await fetch(`${clarion.url}/readyz`)).status).to.equal(200);
    // The cache invalidation connection listens again, and hears changes made elsewhere.
    await listening;
    const heard = once(clarion.services.invalidation, 'change');
    await announceChange(knex, 'workflows', 'nothing-of-this-test');
    expect((await heard)[0]).to.deep.equal({ cache: 'workflows', prefix: 'nothing-of-this-test' });
  });

  const deliveryOf = async (ceId: string) =>
    knex('deliveries').join('notifications', 'notifications.id', 'deliveries.notification_id').join('events', 'events.id', 'notifications.event_id').where('events.ce_id', ceId).first('deliveries.*');

  it('records a send the provider took while PostgreSQL was away once it is back: the email goes once', async () => {
    sink.replies.push('hang');
    const cut = event();
    const address = cut.data.recipients[0].email;
    const inFlight = once(sink, 'data');
    expect((await post(cut)).status).to.equal(202);
    await inFlight; // the worker is in the middle of the SMTP conversation
    await postgres.stop();
    // The server takes the message now, while the worker cannot record it.
    sink.acceptHung();
    const copy = await sink.mailTo(address);

    await restart();

    const delivery = await untilJobs(clarion.runner!, async () => {
      const row = await deliveryOf(cut.id);
      return row?.status === 'sent' ? row : undefined;
    });
    expect(copy.messageId).to.equal(`${delivery.idempotency_key}@clarion`);
    expect(sink.received.filter((m) => m.to.includes(address))).to.have.length(1);
    expect(await knex('delivery_attempts').where({ delivery_id: delivery.id }).pluck('outcome')).to.deep.equal(['success']);
  });

  it('starts its job runner again when graphile-worker stopped it for an outcome it could not record, and the job runs again', async () => {
    sink.replies.push('hang');
    const cut = event();
    const address = cut.data.recipients[0].email;
    const inFlight = once(sink, 'data');
    expect((await post(cut)).status).to.equal(202);
    await inFlight;
    await postgres.stop();
    // The server refuses it (421, try later): recording that failure, then the job's, both need
    // the database, and graphile-worker stops its pool ("the queue is in an inconsistent state").
    const restarted = once(clarion.runner!.events, 'pool:create');
    sink.refuseHung();

    await restart();
    await restarted;

    // The job was released and ran again: the email goes out, nothing stays locked, work flows.
    expect((await sink.mailTo(address)).subject).to.equal(`Ping ${cut.data.n}`);
    await untilJobs(clarion.runner!, async () => (await deliveryOf(cut.id))?.status === 'sent');
    const next = event();
    expect((await post(next)).status).to.equal(202);
    await sink.mailTo(next.data.recipients[0].email);
    expect(clarion.jobs!.restarts).to.be.at.least(1);
  });
});
