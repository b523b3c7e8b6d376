import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { queuedJobs, testApp, type TestApp } from '../support/clarion.ts';

/**
 * A successful attempt is written in one statement (attempt, delivery, content, the notification's
 * status from its own locked row, and the audit entry); these pin down what that statement must
 * keep doing: the roll-up across channels in either order, the statuses a delivery never
 * overrides, the webhook of a status change, and the tenant a send job names.
 */
describe('delivery status on the hot path (integration)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let seq = 0;
  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true', CLARION_OUTBOUND_ALLOW_PRIVATE: 'true' } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
  });
  after(() => t.close());
  const call = (method: 'post' | 'put' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

  /** Posts an event to an email-only subscriber for a workflow on these channels; returns its notification. */
  async function notify(channels: string[], extra: Record<string, unknown> = {}): Promise<{ id: string }> {
    const workflow = `status.${++seq}`;
    await call('put', `/v1/workflows/${workflow}`)
      .send({ trigger: `com.acme.${workflow}`, channels, templates: { email: { subject: 'Order {{ data.n }}', text: 'Hello' }, sms: { text: 'Order {{ data.n }}' }, in_app: { title: 'Order {{ data.n }}', body: 'Hello' } } })
      .expect(201);
    const posted = await call('post', '/v1/events')
      .set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `e-${seq}`, source: '/shop', type: `com.acme.${workflow}`, data: { n: seq, recipients: [{ id: `ada-${seq}`, email: 'ada@example.com', ...extra }] } }))
      .expect(202);
    const eventId = posted.body.accepted[0].eventId;
    await t.runJobs();
    const event = await call('get', `/v1/events/${eventId}`).expect(200);
    return event.body.notifications[0];
  }

  const statusChanges = async (id: string) =>
    (await call('get', `/v1/audit?targetType=notification&targetId=${id}&action=notification.status_changed`).expect(200)).body.items.map((e: { summary: unknown }) => e.summary);

  it('shows a notification whose SMS failed while its email arrived as partially delivered, whichever finished first', async () => {
    for (const channels of [['email', 'sms'], ['sms', 'email']]) {
      const { id } = await notify(channels);
      const notification = (await call('get', `/v1/notifications/${id}`).expect(200)).body;
      expect(notification.status, channels.join()).to.equal('partially_delivered');
      const byChannel = Object.fromEntries(notification.deliveries.map((d: { channel: string; status: string }) => [d.channel, d.status]));
      // No phone number: the SMS fails for good, the email goes out through the sandbox.
      expect(byChannel).to.deep.equal({ email: 'delivered', sms: 'failed' });
      expect(notification.content.email.subject).to.equal(`Order ${seq}`);
      const changes = await statusChanges(id);
      // Newest first: the last change is to partially_delivered (from delivered when the email finished first).
      expect(changes[0], channels.join()).to.deep.equal({ from: changes.length === 1 ? 'pending' : 'delivered', to: 'partially_delivered' });
    }
  });

  it('shows delivered when every channel arrived, and keeps each channel\'s content', async () => {
    const { id } = await notify(['email', 'in_app'], { phone: undefined });
    const notification = (await call('get', `/v1/notifications/${id}`).expect(200)).body;
    expect(notification.status).to.equal('delivered');
    expect(Object.keys(notification.content)).to.deep.equal(['email']);
    const both = await notify(['email', 'sms'], { phone: '+14155550100' });
    const withSms = (await call('get', `/v1/notifications/${both.id}`).expect(200)).body;
    expect(withSms.status).to.equal('delivered');
    expect(Object.keys(withSms.content).sort()).to.deep.equal(['email', 'sms']);
    expect(withSms.content.sms.text).to.be.a('string');
  });

  it('never moves a notification back from read, and audits no change', async () => {
    const workflow = `status.${++seq}`;
    await call('put', `/v1/workflows/${workflow}`).send({ trigger: `com.acme.${workflow}`, channels: ['email'], templates: { email: { subject: 'Hi', text: 'Hello' } } }).expect(201);
    await call('post', '/v1/events')
      .set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `e-${seq}`, source: '/shop', type: `com.acme.${workflow}`, data: { recipients: [{ id: 'bob', email: 'bob@example.com' }] } }))
      .expect(202);
    // Fan out only, then mark the notification read before its delivery is sent.
    const [job] = await queuedJobs(t.db.knex, 'process_event');
    await t.services.notifications.processEvent(job.payload.eventId as string, tenantId, job.payload.type as string);
    await t.db.knex.raw(`select graphile_worker.complete_jobs(array[?::bigint])`, [job.id]);
    const notification = await t.db.knex('notifications').where({ event_id: job.payload.eventId }).first('id');
    await t.db.knex('notifications').where({ id: notification.id }).update({ status: 'read' });
    await t.runJobs();
    const after = (await call('get', `/v1/notifications/${notification.id}`).expect(200)).body;
    expect(after.status).to.equal('read');
    expect(after.deliveries[0].status).to.equal('delivered');
    expect(await statusChanges(notification.id)).to.deep.equal([]);
  });

  it('queues the status webhook in the same write when an endpoint takes it', async () => {
    await call('post', '/v1/webhooks/endpoints').send({ url: 'http://127.0.0.1:9/hooks', eventTypes: ['io.clarion.notification.delivered'] }).expect(201);
    const { id } = await notify(['email']);
    const messages = await t.db.knex('webhook_messages').where({ tenant_id: tenantId, event_type: 'io.clarion.notification.delivered' }).select('payload');
    const subjects = messages.map((m) => (typeof m.payload === 'string' ? JSON.parse(m.payload) : m.payload).subject);
    expect(subjects).to.include(id);
  });

  it('does nothing for a send job naming another tenant', async () => {
    const workflow = `status.${++seq}`;
    await call('put', `/v1/workflows/${workflow}`).send({ trigger: `com.acme.${workflow}`, channels: ['email'], templates: { email: { subject: 'Hi', text: 'Hello' } } }).expect(201);
    const posted = await call('post', '/v1/events')
      .set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `e-${seq}`, source: '/shop', type: `com.acme.${workflow}`, data: { recipients: [{ id: 'cy', email: 'cy@example.com' }] } }))
      .expect(202);
    const eventId = posted.body.accepted[0].eventId;
    await t.services.notifications.processEvent(eventId, tenantId);
    const delivery = await t.db.knex('deliveries as d').join('notifications as n', 'n.id', 'd.notification_id').where('n.event_id', eventId).first('d.id');
    await t.services.delivery.sendDelivery(delivery.id, randomUUID());
    expect(await t.db.knex('delivery_attempts').where({ delivery_id: delivery.id }).count('* as n').first()).to.deep.equal({ n: 0 });
    expect((await t.db.knex('deliveries').where({ id: delivery.id }).first('status')).status).to.equal('pending');
    await t.services.delivery.sendDelivery(delivery.id, tenantId);
    expect((await t.db.knex('deliveries').where({ id: delivery.id }).first('status')).status).to.equal('delivered');
  });
});
