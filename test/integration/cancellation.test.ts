import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { ManualClock } from '../support/clock.ts';
import { SmtpSink } from '../support/smtp.ts';

/**
 * Cancellation: `DELETE /v1/events/:id` and `POST /v1/cancellations {key}` stop every kind of
 * pending work of an event (not yet fanned out, a topic fan-out under way, deferred, digested,
 * escalation steps, retries), record why, audit it and announce it; what went out is reported.
 */
describe('cancellation (integration)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let seq = 0;
  const clock = new ManualClock();
  const sink = new SmtpSink();
  before(async () => {
    await sink.start();
    t = await testApp({ clock, env: { CLARION_DEFAULT_SANDBOX: 'true', CLARION_TOPIC_PAGE_SIZE: '2', CLARION_TOPIC_STREAMS: '1' } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    await call('post', '/v1/webhooks/endpoints').send({ url: 'http://127.0.0.1:9/hooks', eventTypes: ['io.clarion.notification.suppressed'] }).expect(201);
  });
  after(async () => {
    await t.close();
    await sink.stop();
  });
  const call = (method: 'post' | 'put' | 'get' | 'delete', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const workflow = async (body: Record<string, unknown> = {}) => {
    const name = `cancel.${++seq}`;
    await call('put', `/v1/workflows/${name}`)
      .send({ trigger: `com.acme.${name}`, channels: ['in_app'], templates: { in_app: { title: 'Pay {{ data.n }}', body: 'Due' }, email: { subject: 'Pay', text: 'Due' }, sms: { text: 'Pay' } }, ...body })
      .expect(201);
    return name;
  };
  const post = async (type: string, data: Record<string, unknown>, extensions: Record<string, unknown> = {}) => {
    const res = await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `e-${++seq}`, source: '/billing', type, data: { n: seq, ...data }, ...extensions })).expect(202);
    return res.body.accepted[0].eventId as string;
  };
  const notificationsOf = async (eventId: string) => (await call('get', `/v1/events/${eventId}`).expect(200)).body.notifications as Array<{ id: string; status: string; subscriberId: string }>;
  const detail = async (id: string) => (await call('get', `/v1/notifications/${id}`).expect(200)).body;
  const suppressedWebhooks = async () => {
    const rows = await t.db.knex('webhook_messages').where({ tenant_id: tenantId, event_type: 'io.clarion.notification.suppressed' }).select('payload');
    return rows.map((r) => r.payload.data as { notificationId: string; reason: string });
  };

  it('cancels a deferred notification (quiet hours): suppressed, with why, and nothing goes out when its time comes', async () => {
    const name = await workflow();
    await call('put', '/v1/subscribers/night-owl').send({}).expect(201);
    await call('put', '/v1/subscribers/night-owl/preferences').send({ settings: { quietHours: { start: '08:00', end: '10:00', timezone: 'UTC' } } }).expect(200);
    const eventId = await post(`com.acme.${name}`, { recipients: ['night-owl'] });
    await t.runJobsUntilIdle();
    const [before] = await notificationsOf(eventId);
    expect(before.status).to.equal('scheduled');

    const cancelledAt = clock.now().toISOString();
    const res = await call('delete', `/v1/events/${eventId}?reason=${encodeURIComponent('paid on time')}`).expect(200);
    expect(res.body).to.deep.include({ events: 1, reason: 'paid on time', inFlight: 0, alreadySent: { count: 0, items: [] } });
    expect(res.body.cancelled).to.include({ events: 0, notifications: 1, deferred: 1, suppressed: 1, deliveries: 0 });
    const after = await detail(before.id);
    expect(after.status).to.equal('suppressed');
    expect(after.decisions.at(-1)).to.include({ plugin: 'cancellation', decision: 'suppress', reason: 'paid on time' });
    // The quiet hours end: the dispatch job finds nothing to send.
    clock.advance(2 * 3600_000);
    await t.runJobsDueBy(clock.now());
    expect((await detail(before.id)).deliveries).to.deep.equal([]);
    const event = (await call('get', `/v1/events/${eventId}`).expect(200)).body;
    expect(event).to.include({ status: 'processed', cancelReason: 'paid on time', cancelledAt });
    expect((await suppressedWebhooks()).find((w) => w.notificationId === before.id)).to.deep.include({ reason: 'cancelled: paid on time' });
    const audit = (await call('get', `/v1/audit?action=event.cancelled&targetId=${eventId}`).expect(200)).body.items;
    expect(audit).to.have.length(1);
    expect(audit[0].summary).to.deep.include({ reason: 'paid on time', notProcessed: false });
    await t.db.knex('preferences').where({ tenant_id: tenantId }).delete();
  });

  it('takes a batched notification out of its open digest', async () => {
    const name = await workflow({ priority: 'low', plugins: { digest: { windowSeconds: 600, channels: ['in_app'] } } });
    const keep = await post(`com.acme.${name}`, { recipients: ['reader'] });
    const drop = await post(`com.acme.${name}`, { recipients: ['reader'] });
    await t.runJobsUntilIdle();
    const [dropped] = await notificationsOf(drop);
    expect(dropped.status).to.equal('batched');
    const res = await call('delete', `/v1/events/${drop}`).expect(200);
    expect(res.body.cancelled).to.include({ batched: 1, suppressed: 1 });
    expect((await t.db.knex('notifications').where({ id: dropped.id }).first('digest_id')).digest_id).to.equal(null);
    clock.advance(600_000);
    await t.runJobsDueBy(clock.now());
    // The digest went out with the item that stayed, not the cancelled one.
    const digest = await t.db.knex('digests').where({ tenant_id: tenantId, status: 'sent' }).orderBy('created_at', 'desc').first();
    const items = await t.db.knex('notifications').where({ digest_id: digest.id }).pluck('id');
    expect(items).to.deep.equal([(await notificationsOf(keep))[0].id]);
  });

  it('cancels pending escalation steps and reports what the first step sent', async () => {
    const name = await workflow({ priority: 'high', plugins: { escalation: { steps: [{ delaySeconds: 0, channels: ['in_app'] }, { delaySeconds: 300, channels: ['sms'] }, { delaySeconds: 900, channels: ['email'] }] } } });
    await call('put', '/v1/subscribers/oncall').send({ phone: '+14155550100', email: 'oncall@example.com' }).expect(201);
    const eventId = await post(`com.acme.${name}`, { recipients: ['oncall'] });
    await t.runJobsUntilIdle();
    const [n] = await notificationsOf(eventId);
    const res = await call('delete', `/v1/events/${eventId}`).expect(200);
    expect(res.body.cancelled).to.include({ escalationSteps: 2, suppressed: 0 });
    expect(res.body.alreadySent).to.deep.equal({ count: 1, items: [{ notificationId: n.id, subscriberId: 'oncall', channel: 'in_app', status: 'delivered' }] });
    const steps = (await detail(n.id)).escalation.steps.map((s: { status: string; reason?: string }) => [s.status, s.reason ?? null]);
    expect(steps).to.deep.equal([['fired', null], ['cancelled', 'cancelled'], ['cancelled', 'cancelled']]);
    clock.advance(900_000);
    await t.runJobsDueBy(clock.now());
    expect((await detail(n.id)).deliveries.map((d: { channel: string }) => d.channel)).to.deep.equal(['in_app']);
    // Cancelling again changes nothing more.
    const again = await call('delete', `/v1/events/${eventId}`).expect(200);
    expect(again.body.cancelled).to.include({ notifications: 0, escalationSteps: 0 });
  });

  it('cancels a delivery waiting for its retry', async () => {
    await call('post', '/v1/providers').send({ channel: 'email', adapter: 'smtp', priority: 0, config: { host: '127.0.0.1', port: sink.port, from: 'billing@acme.test' } }).expect(201);
    try {
      const name = await workflow({ channels: ['email'] });
      sink.replies.push({ code: 451, message: '4.3.0 try again later' });
      const eventId = await post(`com.acme.${name}`, { recipients: [{ id: 'payer', email: 'payer@example.com' }] });
      await t.runJobsUntilIdle();
      const [n] = await notificationsOf(eventId);
      expect((await detail(n.id)).deliveries[0].status).to.equal('retrying');
      const res = await call('delete', `/v1/events/${eventId}`).expect(200);
      expect(res.body.cancelled).to.include({ deliveries: 1, suppressed: 1 });
      const after = await detail(n.id);
      expect(after.status).to.equal('suppressed');
      expect(after.deliveries[0]).to.include({ status: 'cancelled' });
      clock.advance(3600_000);
      await t.runJobsDueBy(clock.now());
      expect(sink.received.filter((m) => m.to.includes('payer@example.com'))).to.deep.equal([]);
      expect((await detail(n.id)).deliveries[0].status).to.equal('cancelled');
    } finally {
      const providers = (await call('get', '/v1/providers?channel=email').expect(200)).body.items;
      for (const p of providers) await call('delete', `/v1/providers/${p.id}`).expect(204);
    }
  });

  it('cancels by key every event that carried it, before they are fanned out too', async () => {
    const name = await workflow();
    const first = await post(`com.acme.${name}`, { recipients: ['debtor'] }, { cancelkey: 'invoice-42' });
    await t.runJobsUntilIdle();
    // The second is not fanned out yet when the cancellation comes.
    const second = await post(`com.acme.${name}`, { recipients: ['debtor', 'guarantor'] }, { cancelkey: 'invoice-42' });
    const other = await post(`com.acme.${name}`, { recipients: ['debtor'] }, { cancelkey: 'invoice-43' });
    const res = await call('post', '/v1/cancellations').send({ key: 'invoice-42', reason: 'payment received' }).expect(200);
    expect(res.body).to.deep.include({ events: 2, reason: 'payment received' });
    expect(res.body.cancelled).to.include({ events: 1 });
    // The first had already gone to the inbox: reported, not recalled.
    expect(res.body.alreadySent.count).to.equal(1);
    await t.runJobsUntilIdle();
    expect(await notificationsOf(second)).to.deep.equal([]);
    expect((await call('get', `/v1/events/${second}`).expect(200)).body).to.include({ status: 'cancelled', cancelReason: 'payment received' });
    expect((await notificationsOf(other)).map((n) => n.status)).to.deep.equal(['delivered']);
    expect((await call('get', `/v1/events/${first}`).expect(200)).body.status).to.equal('processed');
    expect((await call('get', '/v1/events?status=cancelled').expect(200)).body.items.map((e: { id: string }) => e.id)).to.deep.equal([second]);
    // A key no event carried cancels nothing.
    expect((await call('post', '/v1/cancellations').send({ key: 'invoice-999' }).expect(200)).body).to.deep.include({ events: 0 });
  });

  it('stops a topic fan-out under way and cancels the pages already made', async () => {
    const name = await workflow();
    await call('put', '/v1/topics/late-payers').send({}).expect(201);
    await call('put', '/v1/topics/late-payers/subscribers').send({ subscribers: ['lp-1', 'lp-2', 'lp-3', 'lp-4', 'lp-5'] }).expect(200);
    await call('put', '/v1/subscribers/lp-1/preferences').send({ settings: { quietHours: { start: '00:00', end: '23:59', timezone: 'UTC' } } }).expect(200);
    const eventId = await post(`com.acme.${name}`, { recipients: 'topic:late-payers' }, { cancelkey: 'dunning-1' });
    await t.services.notifications.processEvent(eventId, tenantId);
    const [fanOut] = (await call('get', `/v1/events/${eventId}`).expect(200)).body.topicFanOuts;
    await t.services.notifications.topicPage(fanOut.id, tenantId);
    const res = await call('post', '/v1/cancellations').send({ key: 'dunning-1' }).expect(200);
    expect(res.body.cancelled).to.include({ topicFanOuts: 1, notifications: 2, suppressed: 2 });
    await t.runJobsUntilIdle();
    const event = (await call('get', `/v1/events/${eventId}`).expect(200)).body;
    expect(event.topicFanOuts[0]).to.include({ status: 'cancelled', notifications: 2 });
    expect(event.notifications.map((n: { status: string }) => n.status)).to.deep.equal(['suppressed', 'suppressed']);
    await t.db.knex('preferences').where({ tenant_id: tenantId }).delete();
  });

  it('refuses bad cancellations and never touches another tenant', async () => {
    expect((await call('post', '/v1/cancellations').send({}).expect(400)).body.errors).to.deep.equal([{ pointer: '/key', message: 'is required' }]);
    await call('post', '/v1/cancellations').send({ key: 'k', reason: 'x'.repeat(501) }).expect(400);
    await call('delete', '/v1/events/no-such-event').expect(404);
    const bad = await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'bad-key', source: '/billing', type: 'com.acme.x', cancelkey: 42, data: {} })).expect(400);
    expect(bad.body.errors).to.deep.equal([{ pointer: '/cancelkey', message: 'must be a string (the key POST /v1/cancellations names)' }]);

    const name = await workflow();
    const mine = await post(`com.acme.${name}`, { recipients: ['mine'] }, { cancelkey: 'shared-key' });
    const other = await t.tenant('Other');
    const as = (method: 'post' | 'delete', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${other.apiKey}`);
    await as('delete', `/v1/events/${mine}`).expect(404);
    expect((await as('post', '/v1/cancellations').send({ key: 'shared-key' }).expect(200)).body.events).to.equal(0);
    await t.runJobsUntilIdle();
    expect((await notificationsOf(mine)).map((n) => n.status)).to.deep.equal(['delivered']);
  });
});
