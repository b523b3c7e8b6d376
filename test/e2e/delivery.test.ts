import { expect } from 'chai';
import { startClarion, type RunningClarion } from '../../core/runtime.ts';
import { createTenant } from '../../core/tenants.ts';
import { testConfig } from '../support/clarion.ts';
import { freshDatabase, silentLog, type TestDatabase } from '../support/postgres.ts';
import { SmtpSink } from '../support/smtp.ts';
import { untilJobs } from '../support/wait.ts';

/**
 * The delivery engine end to end: a real gateway and worker, a real SMTP server on loopback, the
 * sandbox for the SMS fallback. Waits are on events (a mail arriving, a job finishing), never sleeps.
 */
describe('delivery engine (e2e, SMTP on loopback)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let clarion: RunningClarion;
  let sink: SmtpSink;
  let apiKey: string;
  let providerId: string;
  let seq = 0;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${clarion.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  /** Posts an order.shipped event for one inline recipient; returns the event's id. */
  const post = async (recipient: Record<string, unknown>) => {
    const res = await fetch(`${clarion.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: `order-${++seq}`, source: '/shop', type: 'com.acme.order.shipped', data: { orderId: `A-${seq}`, recipients: [recipient] } }),
    });
    expect(res.status).to.equal(202);
    return ((await res.json()) as { accepted: Array<{ eventId: string }> }).accepted[0].eventId;
  };

  /** The (single) notification of an event, once the check on it holds. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies, asserted field by field
  const notificationOf = (eventId: string, check: (n: Record<string, any>) => boolean) =>
    untilJobs(clarion.runner!, async () => {
      const event = await api('GET', `/v1/events/${eventId}`);
      const summary = event.body.notifications?.[0];
      if (!summary) return undefined;
      const notification = (await api('GET', `/v1/notifications/${summary.id}`)).body;
      return check(notification) ? notification : undefined;
    });

  before(async () => {
    db = await freshDatabase();
    sink = new SmtpSink();
    await sink.start();
    clarion = await startClarion({
      config: testConfig(db, {
        CLARION_RETRY_BASE_MS: '5',
        CLARION_CIRCUIT_THRESHOLD: '3',
        CLARION_CIRCUIT_HALF_OPEN_MS: '300',
        CLARION_DEFAULT_SANDBOX: 'true',
        CLARION_WORKER_CONCURRENCY: '4',
        CLARION_WORKER_POLL_MS: '50',
      }),
      log: silentLog,
    });
    ({ apiKey } = await createTenant(db.knex, { name: 'Acme', settings: { acceptUnvalidatedTypes: true } }));
    const provider = await api('POST', '/v1/providers', {
      channel: 'email',
      adapter: 'smtp',
      name: 'loopback',
      config: { host: '127.0.0.1', port: sink.port, from: 'Acme <no-reply@acme.example>', user: 'clarion', password: 'secret', timeoutSeconds: 5 },
    });
    expect(provider.status, JSON.stringify(provider.body)).to.equal(201);
    expect(provider.body.config.password).to.equal('********');
    providerId = provider.body.id;
    const workflow = await api('PUT', '/v1/workflows/order.shipped', {
      trigger: 'com.acme.order.shipped',
      category: 'orders',
      channels: ['email'],
      fallbacks: { email: ['sms'] },
      recipients: '/data/recipients',
      templates: {
        email: { subject: 'Order {{ data.orderId }} shipped', text: 'Hello {{ subscriber.name }}, order {{ data.orderId }} is on its way.' },
        sms: { text: 'Order {{ data.orderId }} shipped' },
      },
    });
    expect(workflow.status, JSON.stringify(workflow.body)).to.equal(201);
  });

  after(async () => {
    await clarion?.stop();
    await sink?.stop();
    await db?.drop();
  });

  it('turns an event into an email', async () => {
    const eventId = await post({ id: 'ada', name: 'Ada', email: 'ada@example.com' });
    const mail = await sink.mailTo('ada@example.com');
    expect(mail.subject).to.equal(`Order A-${seq} shipped`);
    expect(mail.raw).to.include('Hello Ada, order');
    const notification = await notificationOf(eventId, (n) => n.status === 'sent');
    expect(notification.deliveries).to.have.length(1);
    expect(notification.deliveries[0]).to.include({ channel: 'email', status: 'sent', adapter: 'smtp', providerId });
    expect(notification.deliveries[0].attempts.map((a: { outcome: string }) => a.outcome)).to.deep.equal(['success']);
  });

  it('retries a 4xx SMTP reply and then delivers, both attempts visible', async () => {
    sink.replies.push({ code: 451, message: 'Greylisted, try again later' });
    const eventId = await post({ id: 'bob', name: 'Bob', email: 'bob@example.com' });
    await sink.mailTo('bob@example.com');
    const notification = await notificationOf(eventId, (n) => n.status === 'sent');
    const attempts = notification.deliveries[0].attempts;
    expect(attempts.map((a: { outcome: string }) => a.outcome)).to.deep.equal(['transient', 'success']);
    expect(attempts[0].errorCode).to.equal('451');
    expect(attempts[0].errorMessage).to.match(/Greylisted/);
  });

  it('does not retry a 5xx reply and falls back to SMS (recorded in the outbox)', async () => {
    sink.replies.push({ code: 550, message: 'No such user here' });
    const eventId = await post({ id: 'carol', name: 'Carol', email: 'carol@example.com', phone: '+14155550123' });
    const notification = await notificationOf(eventId, (n) => n.deliveries.length === 2 && n.deliveries.every((d: { status: string }) => ['failed', 'delivered', 'sent'].includes(d.status)));
    const email = notification.deliveries.find((d: { channel: string }) => d.channel === 'email');
    const sms = notification.deliveries.find((d: { channel: string }) => d.channel === 'sms');
    expect(email.status).to.equal('failed');
    expect(email.attempts.map((a: { outcome: string }) => a.outcome)).to.deep.equal(['permanent']);
    expect(email.error).to.include({ class: 'permanent', code: '550' });
    expect(sms).to.include({ status: 'delivered', adapter: 'sandbox', fallbackOf: email.id });
    expect(notification.status).to.equal('delivered');
    const outbox = await api('GET', '/v1/outbox?channel=sms&to=%2B14155550123');
    expect(outbox.body.items[0].content.text).to.equal(`Order A-${seq} shipped`);
  });

  it('treats invalid credentials as a config error: one attempt, no retry storm', async () => {
    await api('PATCH', `/v1/providers/${providerId}`, { config: { password: 'wrong' } }).then((r) => expect(r.status).to.equal(200));
    try {
      const eventId = await post({ id: 'dave', name: 'Dave', email: 'dave@example.com' });
      const notification = await notificationOf(eventId, (n) => n.status === 'failed');
      const email = notification.deliveries[0];
      expect(email.attempts).to.have.length(1);
      expect(email.error).to.include({ class: 'config' });
      const provider = await api('GET', `/v1/providers/${providerId}`);
      expect(provider.body.lastError).to.match(/Authentication|535|Invalid login/i);
      const audit = await api('GET', `/v1/audit?action=provider.config_error&targetId=${providerId}`);
      expect(audit.body.items).to.have.length.greaterThan(0);
    } finally {
      await api('PATCH', `/v1/providers/${providerId}`, { config: { password: 'secret' } });
    }
  });

  it('makes an exhausted delivery a dead letter that can be requeued', async () => {
    for (let i = 0; i < 5; i++) sink.replies.push({ code: 421, message: 'Service not available' });
    const eventId = await post({ id: 'erin', name: 'Erin', email: 'erin@example.com' });
    const notification = await notificationOf(eventId, (n) => n.deliveries[0]?.status === 'dead');
    const delivery = notification.deliveries[0];
    // Five transient failures (the attempts of a normal-priority delivery); the circuit may have
    // opened in between, which reschedules without spending an attempt.
    expect(delivery.attempts.filter((a: { outcome: string }) => a.outcome === 'transient')).to.have.length(5);
    expect(delivery.attempts.every((a: { outcome: string }) => ['transient', 'circuit_open'].includes(a.outcome))).to.equal(true);
    expect(delivery.error).to.include({ class: 'transient', code: '421' });
    const dead = await api('GET', '/v1/deliveries?status=dead');
    expect(dead.body.items.map((d: { id: string }) => d.id)).to.include(delivery.id);
    const requeued = await api('POST', `/v1/deliveries/${delivery.id}/requeue`);
    expect(requeued.status).to.equal(202);
    await sink.mailTo('erin@example.com');
    const after = await notificationOf(eventId, (n) => n.deliveries[0].status === 'sent');
    expect(after.deliveries[0].attempts.at(-1).outcome).to.equal('success');
    const again = await api('POST', `/v1/deliveries/${delivery.id}/requeue`);
    expect(again.status).to.equal(409);
  });

  it('opens the circuit while the SMTP server is down and delivers once it is back', async () => {
    const port = sink.port;
    await sink.stop();
    const ids = [];
    for (const name of ['f1', 'f2', 'f3', 'f4']) ids.push(await post({ id: name, name, email: `${name}@example.com` }));
    await untilJobs(clarion.runner!, async () => (await api('GET', `/v1/providers/${providerId}`)).body.circuit.state === 'open');
    // Counted by adapter and state; the provider's id is no label unless the operator opts in.
    const metrics = await (await fetch(`${clarion.url}/metrics`)).text();
    expect(metrics).to.match(/^clarion_provider_circuits\{adapter="smtp",state="open"\} [1-9]\d*$/m);
    expect(metrics).to.not.include(providerId);
    await sink.start(port);
    for (const name of ['f1', 'f2', 'f3', 'f4']) await sink.mailTo(`${name}@example.com`);
    for (const id of ids) {
      const n = await notificationOf(id, (x) => x.status === 'sent');
      expect(n.deliveries[0].attempts.some((a: { outcome: string }) => a.outcome === 'transient' || a.outcome === 'circuit_open')).to.equal(true);
    }
    await untilJobs(clarion.runner!, async () => (await api('GET', `/v1/providers/${providerId}`)).body.circuit.state === 'closed');
  });
});
