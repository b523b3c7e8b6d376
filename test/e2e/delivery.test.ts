import { expect } from 'chai';
import { startClarion, type RunningClarion } from '../../core/runtime.ts';
import { createTenant } from '../../core/tenants.ts';
import { testConfig } from '../support/clarion.ts';
import { freshDatabase, silentLog, type TestDatabase } from '../support/postgres.ts';
import { SmtpSink } from '../support/smtp.ts';
import { untilJobs } from '../support/wait.ts';

/** A running gateway and worker with a tenant, its SMTP provider on the sink, and the two order workflows. */
interface Engine {
  db: TestDatabase;
  clarion: RunningClarion;
  sink: SmtpSink;
  apiKey: string;
  providerId: string;
}

let seq = 0;

/** The API as the tenant of `engine` calls it. */
function apiOf(engine: () => Pick<Engine, 'clarion' | 'apiKey'>) {
  return async (method: string, path: string, body?: unknown) => {
    const { clarion, apiKey } = engine();
    const res = await fetch(`${clarion.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** Posts an order event for one inline recipient (shipped: email falls back to SMS; direct: email only); returns the event's id. */
function postOf(engine: () => Pick<Engine, 'clarion' | 'apiKey'>) {
  return async (recipient: Record<string, unknown>, type = 'com.acme.order.shipped') => {
    const { clarion, apiKey } = engine();
    const res = await fetch(`${clarion.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: `order-${++seq}`, source: '/shop', type, data: { orderId: `A-${seq}`, recipients: [recipient] } }),
    });
    expect(res.status).to.equal(202);
    return ((await res.json()) as { accepted: Array<{ eventId: string }> }).accepted[0].eventId;
  };
}

/** The (single) notification of an event, once the check on it holds. */
function notificationOfOf(engine: () => Pick<Engine, 'clarion' | 'apiKey'>) {
  const api = apiOf(engine);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies, asserted field by field
  return (eventId: string, check: (n: Record<string, any>) => boolean) =>
    untilJobs(engine().clarion.runner!, async () => {
      const event = await api('GET', `/v1/events/${eventId}`);
      const summary = event.body.notifications?.[0];
      if (!summary) return undefined;
      const notification = (await api('GET', `/v1/notifications/${summary.id}`)).body;
      return check(notification) ? notification : undefined;
    });
}

async function startEngine(env: Record<string, string>): Promise<Engine> {
  const db = await freshDatabase();
  const sink = new SmtpSink();
  await sink.start();
  const clarion = await startClarion({
    config: testConfig(db, {
      CLARION_RETRY_SCALE: '0.002',
      // Only open circuits and permanent failures fall back here (not the length of an outage).
      CLARION_FALLBACK_AFTER: 'low=1d,normal=1d,high=1d,critical=1d',
      CLARION_CIRCUIT_THRESHOLD: '3',
      CLARION_DEFAULT_SANDBOX: 'true',
      CLARION_WORKER_CONCURRENCY: '4',
      CLARION_WORKER_POLL_MS: '50',
      ...env,
    }),
    log: silentLog,
  });
  const { apiKey } = await createTenant(db.knex, { name: 'Acme', settings: { acceptUnvalidatedTypes: true } });
  const api = apiOf(() => ({ clarion, apiKey }));
  const provider = await api('POST', '/v1/providers', {
    channel: 'email',
    adapter: 'smtp',
    name: 'loopback',
    config: { host: '127.0.0.1', port: sink.port, from: 'Acme <no-reply@acme.example>', user: 'clarion', password: 'secret', timeoutSeconds: 5 },
  });
  expect(provider.status, JSON.stringify(provider.body)).to.equal(201);
  expect(provider.body.config.password).to.equal('********');
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
  const direct = await api('PUT', '/v1/workflows/order.direct', {
    trigger: 'com.acme.order.direct', category: 'orders', channels: ['email'], recipients: '/data/recipients',
    templates: { email: { subject: 'Order {{ data.orderId }} shipped', text: 'Hello {{ subscriber.name }}, order {{ data.orderId }} is on its way.' } },
  });
  expect(direct.status, JSON.stringify(direct.body)).to.equal(201);
  return { db, clarion, sink, apiKey, providerId: provider.body.id };
}

async function stopEngine(engine: Partial<Engine> | undefined): Promise<void> {
  await engine?.clarion?.stop();
  await engine?.sink?.stop();
  await engine?.db?.drop();
}

/**
 * The delivery engine end to end: a real gateway and worker, a real SMTP server on loopback, the
 * sandbox for the SMS fallback. Waits are on events (a mail arriving, a job finishing), never sleeps.
 */
describe('delivery engine (e2e, SMTP on loopback)', function () {
  this.timeout(60_000);
  let engine: Engine | undefined;
  let clarion: RunningClarion;
  let sink: SmtpSink;
  let apiKey: string;
  let providerId: string;
  const api = apiOf(() => ({ clarion, apiKey }));
  const post = postOf(() => ({ clarion, apiKey }));
  const notificationOf = notificationOfOf(() => ({ clarion, apiKey }));

  before(async () => {
    // The recovery test waits out the half-open window: a short one.
    engine = await startEngine({ CLARION_CIRCUIT_HALF_OPEN_MS: '3000' });
    ({ clarion, sink, apiKey, providerId } = engine);
  });

  after(async () => {
    await stopEngine(engine);
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
    for (let i = 0; i < 100; i++) sink.replies.push({ code: 421, message: 'Service not available' });
    const eventId = await post({ id: 'erin', name: 'Erin', email: 'erin@example.com' }, 'com.acme.order.direct');
    const notification = await notificationOf(eventId, (n) => n.deliveries[0]?.status === 'dead');
    sink.replies.length = 0;
    const delivery = notification.deliveries[0];
    // Transient failures until the circuit opened (3), then the probes and waits of an open
    // circuit, which spend no attempt, until the outage outlasted the normal priority's schedule.
    const transient = delivery.attempts.filter((a: { outcome: string }) => a.outcome === 'transient');
    expect(transient.length).to.be.at.least(3);
    expect(transient.filter((a: { probe: boolean }) => !a.probe).length).to.be.at.most(7);
    expect(delivery.attempts.every((a: { outcome: string }) => ['transient', 'circuit_open'].includes(a.outcome))).to.equal(true);
    expect(delivery.error.class).to.equal('transient');
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
    for (const name of ['f1', 'f2', 'f3', 'f4']) ids.push(await post({ id: name, name, email: `${name}@example.com` }, 'com.acme.order.direct'));
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

/**
 * While a provider is down and its circuit open, deliveries fall back without trying it. The
 * breaker keeps operational time (cockatiel reads the wall clock): its half-open window here
 * outlasts any test, so however slow the machine, the circuit is still open, and no probe due,
 * when the next delivery comes.
 */
describe('delivery engine with an open circuit (e2e, SMTP on loopback)', function () {
  this.timeout(60_000);
  let engine: Engine | undefined;
  let clarion: RunningClarion;
  let sink: SmtpSink;
  let apiKey: string;
  let providerId: string;
  const api = apiOf(() => ({ clarion, apiKey }));
  const post = postOf(() => ({ clarion, apiKey }));
  const notificationOf = notificationOfOf(() => ({ clarion, apiKey }));

  before(async () => {
    engine = await startEngine({ CLARION_CIRCUIT_HALF_OPEN_MS: String(60 * 60_000) });
    ({ clarion, sink, apiKey, providerId } = engine);
  });

  after(async () => {
    await stopEngine(engine);
  });

  it('falls back at once, spending no attempt, while the channel\'s only provider is down', async () => {
    const port = sink.port;
    await sink.stop();
    try {
      // Enough failures to open the circuit (threshold 3) through events without a fallback.
      for (const name of ['g1', 'g2', 'g3']) await post({ id: name, name, email: `${name}@example.com` }, 'com.acme.order.direct');
      await untilJobs(clarion.runner!, async () => (await api('GET', `/v1/providers/${providerId}`)).body.circuit.state === 'open');
      const eventId = await post({ id: 'gina', name: 'Gina', email: 'gina@example.com', phone: '+14155550177' });
      const notification = await notificationOf(eventId, (n) => n.deliveries.some((d: { channel: string; status: string }) => d.channel === 'sms' && d.status === 'delivered'));
      const email = notification.deliveries.find((d: { channel: string }) => d.channel === 'email');
      expect(email).to.include({ status: 'failed' });
      expect(email.error).to.include({ class: 'transient', code: 'circuit_open' });
      expect(email.attempts.map((a: { outcome: string }) => a.outcome)).to.deep.equal(['circuit_open']);
      expect(notification.status).to.equal('delivered');
      // Counted under its channel, not "unknown".
      const metrics = await (await fetch(`${clarion.url}/metrics`)).text();
      expect(metrics).to.match(/^clarion_delivery_attempts_total\{channel="email",adapter="smtp",outcome="circuit_open"\} [1-9]\d*$/m);
      expect(metrics).to.not.match(/channel="unknown"/);
      const outbox = await api('GET', '/v1/outbox?channel=sms&to=%2B14155550177');
      expect(outbox.body.items).to.have.length(1);
    } finally {
      await sink.start(port);
    }
  });
});
