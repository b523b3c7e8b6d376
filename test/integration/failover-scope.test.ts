import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { SmtpSink } from '../support/smtp.ts';

/**
 * What a permanent failure is about decides where the message goes next: a recipient's address
 * that can never work stops the channel for that person (fallback channel next: never the same
 * bad address through every provider); a refusal by one provider moves to the next provider.
 */
describe('provider failover by the scope of permanent failures (SMTP on loopback)', () => {
  let t: TestApp;
  let key: string;
  const sinks: SmtpSink[] = [];
  let seq = 0;

  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true' } });
    ({ apiKey: key } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    for (let i = 0; i < 3; i++) {
      const sink = new SmtpSink();
      await sink.start();
      sinks.push(sink);
      await call('post', '/v1/providers').send({ channel: 'email', adapter: 'smtp', name: `mx${i}`, priority: i, config: { host: '127.0.0.1', port: sink.port, from: 'Acme <no-reply@acme.example>', user: 'u', password: 'secret' } }).expect(201);
    }
    await call('put', '/v1/workflows/order.shipped').send({
      trigger: 'com.acme.order.shipped', channels: ['email'], fallbacks: { email: ['sms'] }, recipients: '/data/recipients',
      templates: { email: { subject: 'Order {{ data.orderId }}', text: 'Shipped.' }, sms: { text: 'Order {{ data.orderId }} shipped' } },
    }).expect(201);
  });
  after(async () => {
    await t.services.delivery.close();
    for (const sink of sinks) await sink.stop();
    await t.close();
  });
  beforeEach(() => {
    for (const sink of sinks) {
      sink.rcptReplies.clear();
      sink.replies.length = 0;
      sink.received.length = 0;
    }
  });

  const call = (method: 'post' | 'put' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

  /** Posts one event to one inline recipient, runs the jobs, returns the notification as the API shows it. */
  async function deliver(recipient: Record<string, unknown>) {
    const id = `o-${++seq}`;
    await call('post', '/v1/events').set('content-type', 'application/cloudevents+json').send({ specversion: '1.0', id, source: '/shop', type: 'com.acme.order.shipped', data: { orderId: id, recipients: [recipient] } }).expect(202);
    await t.runJobs();
    const event = await call('get', `/v1/events/${id}`).expect(200);
    return (await call('get', `/v1/notifications/${event.body.notifications[0].id}`).expect(200)).body;
  }

  it('an unknown mailbox is tried once, at the first provider only, then the fallback channel takes over', async () => {
    for (const sink of sinks) sink.rcptReplies.set('bounce@example.com', { code: 550, message: '5.1.1 <bounce@example.com>: Recipient address rejected: User unknown' });
    const notification = await deliver({ id: 'bounce', email: 'bounce@example.com', phone: '+14155550142' });
    const email = notification.deliveries.find((d: { channel: string }) => d.channel === 'email');
    const sms = notification.deliveries.find((d: { channel: string }) => d.channel === 'sms');
    expect(email.status).to.equal('failed');
    expect(email.attempts).to.have.length(1);
    expect(email.attempts[0]).to.include({ outcome: 'permanent', errorCode: '550' });
    expect(sms).to.include({ status: 'delivered', adapter: 'sandbox', fallbackOf: email.id });
    // The second and third providers were never asked.
    expect(sinks[1].connections + sinks[2].connections).to.equal(0);
  });

  it('a provider refusing the message (its spam policy) hands it to the next provider, without a fallback', async () => {
    sinks[0].replies.push({ code: 554, message: '5.7.1 Message rejected as spam' });
    const notification = await deliver({ id: 'ada', email: 'ada@example.com', phone: '+14155550100' });
    expect(notification.deliveries).to.have.length(1);
    const [email] = notification.deliveries;
    expect(email.status).to.equal('sent');
    expect(email.attempts.map((a: { outcome: string }) => a.outcome)).to.deep.equal(['permanent', 'success']);
    expect(sinks[0].received).to.have.length(0);
    expect(sinks[1].received.map((m) => m.to)).to.deep.equal([['ada@example.com']]);
  });

  it('every provider refusing the message for its own reasons ends in the fallback channel after each was tried', async () => {
    for (const sink of sinks) sink.replies.push({ code: 554, message: '5.7.1 Message rejected as spam' });
    const notification = await deliver({ id: 'bob', email: 'bob@example.com', phone: '+14155550101' });
    const email = notification.deliveries.find((d: { channel: string }) => d.channel === 'email');
    expect(email.status).to.equal('failed');
    expect(email.attempts.map((a: { outcome: string }) => a.outcome)).to.deep.equal(['permanent', 'permanent', 'permanent']);
    expect(notification.deliveries.find((d: { channel: string }) => d.channel === 'sms')).to.include({ status: 'delivered' });
  });
  it('a provider with bad credentials is recorded and audited even when the next provider delivers', async () => {
    const providers = (await call('get', '/v1/providers?channel=email').expect(200)).body.items as Array<{ id: string; name: string }>;
    const first = providers.find((p) => p.name === 'mx0')!;
    await request(t.callback).patch(`/v1/providers/${first.id}`).set('authorization', `Bearer ${key}`).send({ config: { password: 'wrong' } }).expect(200);
    try {
      const notification = await deliver({ id: 'carol', email: 'carol@example.com' });
      const [email] = notification.deliveries;
      expect(email.status).to.equal('sent');
      expect(email.attempts.map((a: { outcome: string }) => a.outcome)).to.deep.equal(['config', 'success']);
      const broken = (await call('get', `/v1/providers/${first.id}`).expect(200)).body;
      expect(broken.lastError).to.match(/535|Authentication|credentials/i);
      expect(broken.lastErrorAt).to.be.a('string');
      const audit = (await call('get', `/v1/audit?action=provider.config_error&targetId=${first.id}`).expect(200)).body.items;
      expect(audit).to.have.length(1);
    } finally {
      await request(t.callback).patch(`/v1/providers/${first.id}`).set('authorization', `Bearer ${key}`).send({ config: { password: 'secret' } }).expect(200);
    }
  });
});
