import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { SmtpSink } from '../support/smtp.ts';

/**
 * Subscribers' choices hold for every workflow that is not required, whatever the workflow names:
 * the bundled workflows as shipped, and a tenant's workflow without any plugin. The mail that must
 * not arrive is looked for at a real SMTP server on loopback.
 */
describe('opt-outs, one-click unsubscribe and quiet hours apply by default', () => {
  let t: TestApp;
  let key: string;
  let sink: SmtpSink;
  let seq = 0;
  // 23:30 UTC: inside quiet hours of 22:00-07:00 for a subscriber in UTC.
  let now = new Date('2026-12-01T12:00:00Z');
  before(async () => {
    t = await testApp({ env: { CLARION_PUBLIC_URL: 'http://clarion.test' }, clock: { now: () => now } });
    ({ apiKey: key } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    sink = new SmtpSink();
    await sink.start();
    await call('post', '/v1/providers').send({ channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'Acme <no-reply@acme.example>' } }).expect(201);
  });
  after(async () => {
    await t.services.delivery.close();
    await sink.stop();
    await t.close();
  });
  const call = (method: 'post' | 'put' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

  async function post(type: string, data: Record<string, unknown>): Promise<{ status: string; channels: string[]; decisions: Array<{ plugin: string; decision: string; reason?: string }> }> {
    const id = `e-${++seq}`;
    await call('post', '/v1/events').set('content-type', 'application/cloudevents+json').send(JSON.stringify({ specversion: '1.0', id, source: '/crm', type, data })).expect(202);
    await t.runJobs();
    const event = (await call('get', `/v1/events/${id}`).expect(200)).body;
    const notification = (await call('get', `/v1/notifications/${event.notifications[0].id}`).expect(200)).body;
    return { status: notification.status, channels: notification.deliveries.map((d: { channel: string }) => d.channel).sort(), decisions: notification.decisions };
  }
  const quotation = (n: number) => ({ recipients: [{ id: 'ada', name: 'Ada', email: 'ada@example.com' }], quotation: { id: `Q-${n}`, title: `Quote ${n}` }, status: 'sent' });
  const mailsTo = (address: string) => sink.received.filter((m) => m.to.includes(address)).length;

  it('one-click unsubscribe from a bundled workflow\'s email stops its next emails (RFC 8058)', async () => {
    await post('quotation.status_changed', quotation(1));
    const mail = await sink.mailTo('ada@example.com');
    // A long header is folded onto the next line.
    const link = new URL(/^List-Unsubscribe:\s*<([^>]+)>/m.exec(mail.raw)![1]);
    await request(t.callback).post(link.pathname).type('form').send('List-Unsubscribe=One-Click').expect(200);
    const before = mailsTo('ada@example.com');
    const next = await post('quotation.status_changed', quotation(2));
    expect(mailsTo('ada@example.com'), 'no second email').to.equal(before);
    // The unsubscribe was for email: the in-app copy still goes.
    expect(next.channels).to.deep.equal(['in_app']);
    expect(next.decisions.find((d) => d.plugin === 'preferences')).to.include({ decision: 'continue', reason: 'opted out of email' });
  });

  it('a per-workflow opt-out reported by the API is applied', async () => {
    await call('put', '/v1/subscribers/bob').send({ name: 'Bob', email: 'bob@example.com' }).expect(201);
    await call('put', '/v1/subscribers/bob/preferences').send({ settings: { workflows: { 'issue.assigned': { email: false } } } }).expect(200);
    const result = await post('issue.assigned', { recipients: ['bob'], issue: { key: 'ISS-1', title: 'Broken build', url: 'https://tracker.example/ISS-1' } });
    expect(result.channels).to.deep.equal(['in_app']);
    expect(mailsTo('bob@example.com')).to.equal(0);
  });

  it('a tenant workflow without any plugin honours opt-outs and quiet hours too', async () => {
    await call('put', '/v1/workflows/order.shipped').send({ trigger: 'com.acme.order.shipped', channels: ['email'], templates: { email: { subject: 'Shipped', text: 'On its way.' } } }).expect(201);
    await call('put', '/v1/subscribers/carol').send({ name: 'Carol', email: 'carol@example.com', timezone: 'UTC' }).expect(201);
    await call('put', '/v1/subscribers/carol/preferences').send({ settings: { channels: { email: false } } }).expect(200);
    const optedOut = await post('com.acme.order.shipped', { recipients: ['carol'] });
    expect(optedOut).to.include({ status: 'suppressed' });
    expect(mailsTo('carol@example.com')).to.equal(0);

    await call('put', '/v1/subscribers/dan').send({ name: 'Dan', email: 'dan@example.com', timezone: 'UTC' }).expect(201);
    await call('put', '/v1/subscribers/dan/preferences').send({ settings: { quietHours: { start: '22:00', end: '07:00' } } }).expect(200);
    now = new Date('2026-12-01T23:30:00Z');
    try {
      const night = await post('com.acme.order.shipped', { recipients: ['dan'] });
      expect(night.status).to.equal('scheduled');
      expect(night.decisions.find((d) => d.plugin === 'quiet-hours')).to.include({ decision: 'defer', reason: 'quiet_hours' });
      expect(mailsTo('dan@example.com')).to.equal(0);
    } finally {
      now = new Date('2026-12-01T12:00:00Z');
    }
  });

  it('a required workflow still reaches a subscriber who opted out, and says so', async () => {
    const result = await post('security.suspicious_login', {
      recipients: ['carol'], login: { at: '2026-12-01T11:59:00Z', ip: '203.0.113.9', location: { city: 'Lisbon' } }, secureAccountUrl: 'https://acme.example/security',
    });
    expect(result.decisions.find((d) => d.plugin === 'preferences')?.reason).to.equal('required workflow: opt-outs of email ignored');
    expect(result.channels).to.include('email');
    await sink.mailTo('carol@example.com');
  });

  it('refuses a workflow that is not required turning the subscribers\' choices off', async () => {
    const res = await call('put', '/v1/workflows/nagging').send({ trigger: 'com.acme.nag', channels: ['email'], plugins: { preferences: false }, templates: { email: { subject: 'Hi', text: 'Hi' } } }).expect(422);
    expect(res.body.errors[0]).to.include({ pointer: '/plugins/preferences' });
    expect(res.body.errors[0].message).to.match(/only a required workflow/);
    await call('put', '/v1/workflows/nagging').send({ trigger: 'com.acme.nag', channels: ['email'], required: true, plugins: { preferences: false, 'quiet-hours': false }, templates: { email: { subject: 'Hi', text: 'Hi' } } }).expect(201);
  });
});
