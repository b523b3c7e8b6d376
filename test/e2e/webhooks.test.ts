import { expect } from 'chai';
import { startClarion, type RunningClarion } from '../../core/runtime.ts';
import { createTenant } from '../../core/tenants.ts';
import { Receiver } from '../integration/webhooks-receiver.ts';
import { testConfig } from '../support/clarion.ts';
import { freshDatabase, silentLog, type TestDatabase } from '../support/postgres.ts';
import { untilJobs } from '../support/wait.ts';

/**
 * Outgoing webhooks end to end: a real gateway and worker over real HTTP, a receiver on loopback
 * verifying with the official `standardwebhooks` library, retries on the real clock with the
 * schedule scaled down (CLARION_WEBHOOK_RETRY_SCALE). Waits are on events, never sleeps.
 */
describe('outgoing webhooks (e2e)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let clarion: RunningClarion;
  let apiKey: string;
  let tenantId: string;
  const receivers: Receiver[] = [];

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${clarion.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  const receiver = async () => {
    const r = await Receiver.start();
    receivers.push(r);
    return r;
  };

  before(async () => {
    db = await freshDatabase();
    clarion = await startClarion({
      config: testConfig(db, {
        CLARION_WEBHOOK_RETRY_SCALE: '0.001',
        CLARION_OUTBOUND_ALLOWLIST: '127.0.0.1',
        CLARION_DEFAULT_SANDBOX: 'true',
        CLARION_WORKER_CONCURRENCY: '4',
        CLARION_WORKER_POLL_MS: '50',
      }),
      log: silentLog,
    });
    const created = await createTenant(db.knex, { name: 'Acme', settings: { acceptUnvalidatedTypes: true } });
    apiKey = created.apiKey;
    tenantId = created.tenant.id;
  });

  after(async () => {
    await clarion?.stop();
    for (const r of receivers) await r.close();
    await db?.drop();
  });

  it('retries a 500 on the scaled schedule with the same webhook-id, then replays on request', async () => {
    const r = (await receiver()).respond({ status: 500, body: 'try later' });
    const created = await api('POST', '/v1/webhooks/endpoints', { url: r.url(), eventTypes: ['io.clarion.escalation.step'] });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const { id: endpointId, secret } = created.body;

    // What the delivery engine does when a status changes: emit inside its own transaction.
    const queued = await db.knex.transaction((trx) =>
      clarion.services.webhooks.emit(trx, { tenantId, type: 'io.clarion.escalation.step', subject: 'notif-e2e', data: { notificationId: 'notif-e2e', step: 2 } }),
    );
    expect(queued).to.equal(1);

    await r.waitFor(2);
    const [first, second] = r.requests;
    expect(second.headers['webhook-id']).to.equal(first.headers['webhook-id']);
    for (const req of [first, second]) {
      const event = Receiver.verify(secret, req);
      expect(event).to.include({ type: 'io.clarion.escalation.step', subject: 'notif-e2e', id: req.headers['webhook-id'], source: `clarion://tenants/${tenantId}` });
      expect(event.data).to.deep.equal({ notificationId: 'notif-e2e', step: 2 });
    }

    const attempts = await untilJobs(clarion.runner!, async () => {
      const res = await api('GET', `/v1/webhooks/endpoints/${endpointId}/attempts`);
      return res.body.items.length === 2 ? res.body.items : undefined;
    });
    expect(attempts.map((a: { statusCode: number; outcome: string }) => [a.statusCode, a.outcome])).to.deep.equal([
      [200, 'success'],
      [500, 'http_error'],
    ]);
    expect(attempts[1].responseBody).to.equal('try later');

    const replay = await api('POST', `/v1/webhooks/messages/${attempts[0].messageId}/replay`);
    expect(replay.status).to.equal(202);
    await r.waitFor(3);
    expect(r.requests[2].headers['webhook-id']).to.equal(first.headers['webhook-id']);
    expect(Receiver.verify(secret, r.requests[2]).id).to.equal(first.headers['webhook-id']);
  });

  it('disables an endpoint that answers 410 and stops sending to it', async () => {
    const r = (await receiver()).always({ status: 410 });
    const created = await api('POST', '/v1/webhooks/endpoints', { url: r.url(), eventTypes: ['io.clarion.delivery.attempt_failed'] });
    const endpointId = created.body.id;
    await db.knex.transaction((trx) => clarion.services.webhooks.emit(trx, { tenantId, type: 'io.clarion.delivery.attempt_failed', subject: 'n-1', data: { notificationId: 'n-1' } }));
    const endpoint = await untilJobs(clarion.runner!, async () => {
      const res = await api('GET', `/v1/webhooks/endpoints/${endpointId}`);
      return res.body.enabled === false ? res.body : undefined;
    });
    expect(endpoint.disabledReason).to.equal('the endpoint answered 410 Gone');
    expect(r.requests).to.have.length(1);
    expect(await db.knex.transaction((trx) => clarion.services.webhooks.emit(trx, { tenantId, type: 'io.clarion.delivery.attempt_failed', data: {} }))).to.equal(0);
  });

  it('reports the statuses of a real notification as signed CloudEvents', async () => {
    const r = await receiver();
    const created = await api('POST', '/v1/webhooks/endpoints', { url: r.url(), eventTypes: ['io.clarion.notification.*'] });
    expect(created.status).to.equal(201);
    const workflow = await api('PUT', '/v1/workflows/webhook.e2e', {
      trigger: 'com.acme.webhook.e2e',
      category: 'orders',
      channels: ['sms'],
      recipients: '/data/recipients',
      templates: { sms: { text: 'Order {{ data.orderId }} shipped' } },
    });
    expect(workflow.status, JSON.stringify(workflow.body)).to.equal(201);
    const posted = await fetch(`${clarion.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: 'wh-e2e-1', source: '/shop', type: 'com.acme.webhook.e2e', data: { orderId: 'W-1', recipients: [{ id: 'eve', phone: '+14155550199' }] } }),
    });
    expect(posted.status).to.equal(202);

    // Every status change of the notification arrives signed; the last one matches what the API shows.
    await r.waitFor(1);
    const subject = Receiver.verify(created.body.secret, r.requests[0]).subject as string;
    const { notification, event } = await untilJobs(clarion.runner!, async () => {
      const current = (await api('GET', `/v1/notifications/${subject}`)).body;
      const events = r.requests.map((req) => Receiver.verify(created.body.secret, req));
      const last = events.find((e) => e.type === `io.clarion.notification.${current.status}`);
      return last ? { notification: current, event: last } : undefined;
    });
    expect(event).to.include({ subject: notification.id, source: `clarion://tenants/${tenantId}` });
    expect(event.data).to.include({ notificationId: notification.id });
    for (const req of r.requests) expect(Receiver.verify(created.body.secret, req).subject).to.equal(notification.id);
  });
});
