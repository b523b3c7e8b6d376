import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';

/**
 * Providers that say a machine made an open (SendGrid's `sg_machine_open` for Apple Mail Privacy
 * Protection, Mailgun's `client-info.bot`) are recorded like the pixel's prefetches: an interaction
 * flagged `prefetch`, no openedAt, no open in the analytics, the delivery not moved to read. The
 * person's own open arriving afterwards still counts. Callbacks are signed as each provider signs
 * them and posted over HTTP to the callback route.
 */
describe('provider machine-open flags (integration)', function () {
  this.timeout(60_000);
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const SIGNING_KEY = 'key-mailgun-signing-0123456789';
  let t: TestApp;
  let key: string;
  let tenantId: string;
  const providers: Record<'sendgrid' | 'mailgun', string> = { sendgrid: '', mailgun: '' };
  let seq = 0;

  before(async () => {
    t = await testApp({ env: { CLARION_PUBLIC_URL: 'https://clarion.example.com' } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme'));
    const call = (url: string) => request(t.callback).post(url).set('authorization', `Bearer ${key}`);
    providers.sendgrid = (await call('/v1/providers').send({
      channel: 'email', adapter: 'sendgrid',
      config: { apiKey: 'SG.test-key.secret-part', fromEmail: 'alerts@acme.example.com', webhookPublicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') },
    }).expect(201)).body.id;
    providers.mailgun = (await call('/v1/providers').send({
      channel: 'email', adapter: 'mailgun',
      config: { apiKey: 'key-test', domain: 'mg.acme.example.com', fromEmail: 'alerts@mg.acme.example.com', webhookSigningKey: SIGNING_KEY },
    }).expect(201)).body.id;
    await call('/v1/webhooks/endpoints').send({ url: 'http://127.0.0.1:9/hooks' }).expect(201);
  });
  after(() => t.close());

  /** A delivered e-mail through `adapter`, waiting for engagement events. */
  async function sentEmail(adapter: 'sendgrid' | 'mailgun', providerMessageId: string) {
    seq++;
    const [subscriber] = await t.db.knex('subscribers').insert({ tenant_id: tenantId, external_id: `sub-${seq}`, email: `sub-${seq}@example.com` }).returning('id');
    const [event] = await t.db.knex('events').insert({ tenant_id: tenantId, ce_id: `e-${seq}`, source: '/x', type: 't', specversion: '1.0', status: 'processed' }).returning('id');
    const [notification] = await t.db.knex('notifications').insert({ tenant_id: tenantId, event_id: event.id, subscriber_id: subscriber.id, workflow_key: 'w', priority: 'normal', status: 'delivered' }).returning('id');
    const [delivery] = await t.db.knex('deliveries').insert({
      tenant_id: tenantId, notification_id: notification.id, channel: 'email', status: 'delivered', adapter, provider_config_id: providers[adapter], provider_message_id: providerMessageId, idempotency_key: `k-${seq}`,
    }).returning('id');
    return { notificationId: notification.id as string, deliveryId: delivery.id as string };
  }

  /** SendGrid's Event Webhook: a JSON array, ECDSA-signed over the timestamp and the raw body. */
  const sendgrid = (events: unknown[]) => {
    const body = JSON.stringify(events);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), privateKey).toString('base64');
    return request(t.callback).post(`/v1/providers/sendgrid/callbacks/${providers.sendgrid}`)
      .set('content-type', 'application/json')
      .set('X-Twilio-Email-Event-Webhook-Signature', signature)
      .set('X-Twilio-Email-Event-Webhook-Timestamp', timestamp)
      .send(body);
  };
  /** Mailgun's webhook: the signature object (HMAC of timestamp + token) beside the event data. */
  const mailgun = (eventData: Record<string, unknown>) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const token = randomBytes(25).toString('hex');
    const signature = createHmac('sha256', SIGNING_KEY).update(timestamp + token).digest('hex');
    return request(t.callback).post(`/v1/providers/mailgun/callbacks/${providers.mailgun}`).send({ signature: { timestamp, token, signature }, 'event-data': eventData });
  };
  const sgOpen = (messageId: string, extra: Record<string, unknown>) => ({
    email: 'sub@example.com', timestamp: Math.floor(Date.now() / 1000), event: 'open', sg_event_id: randomBytes(8).toString('hex'), sg_message_id: `${messageId}.filter0001p1las1-1234-5C90E446-34.0`, useragent: 'Mozilla/5.0', ip: '17.58.0.1', ...extra,
  });
  const mgEvent = (event: string, messageId: string, bot: string) => ({
    event, timestamp: Date.now() / 1000, recipient: 'sub@example.com', id: randomBytes(8).toString('hex'), message: { headers: { 'message-id': messageId } },
    'client-info': { 'client-name': 'unknown', 'client-type': 'unknown', 'user-agent': 'Mozilla/5.0', 'device-type': 'unknown', 'client-os': 'unknown', bot },
    geolocation: { region: 'Unknown', country: 'US', city: 'Unknown' }, tags: [],
  });

  const interactions = (notificationId: string) => t.db.knex('interactions').where({ notification_id: notificationId }).orderBy('occurred_at').orderBy('created_at').select('kind', 'source', 'adapter', 'prefetch');
  const state = async (notificationId: string, deliveryId: string) => ({
    notification: (await t.db.knex('notifications').where({ id: notificationId }).first('opened_at', 'clicked_at')),
    delivery: (await t.db.knex('deliveries').where({ id: deliveryId }).first('status', 'opened_at', 'clicked_at')),
  });
  const announced = async (notificationId: string) => (await t.db.knex('webhook_messages').where({ tenant_id: tenantId, event_type: 'io.clarion.interaction.open' }))
    .map((m) => m.payload.data).filter((d) => d.notificationId === notificationId).map((d) => [d.source, d.prefetch, d.first]);

  it("records SendGrid's sg_machine_open as a prefetch, and the person's later open as the open", async () => {
    const { notificationId, deliveryId } = await sentEmail('sendgrid', 'sgMachine1');
    await sendgrid([sgOpen('sgMachine1', { sg_machine_open: true })]).expect(200);
    // SendGrid retrying the batch: still one.
    await sendgrid([sgOpen('sgMachine1', { sg_machine_open: true })]).expect(200);
    expect(await interactions(notificationId)).to.deep.equal([{ kind: 'open', source: 'provider', adapter: 'sendgrid', prefetch: true }]);
    expect(await state(notificationId, deliveryId)).to.deep.equal({ notification: { opened_at: null, clicked_at: null }, delivery: { status: 'delivered', opened_at: null, clicked_at: null } });
    expect(await announced(notificationId)).to.deep.equal([['provider', true, false]]);

    await sendgrid([sgOpen('sgMachine1', { sg_machine_open: false, useragent: 'Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15', ip: '203.0.113.7' })]).expect(200);
    expect((await interactions(notificationId)).map((i) => i.prefetch)).to.deep.equal([true, false]);
    const after = await state(notificationId, deliveryId);
    expect(after.notification.opened_at).to.be.an.instanceOf(Date);
    expect(after.delivery).to.deep.include({ status: 'read' });
    expect(await announced(notificationId)).to.have.deep.members([['provider', true, false], ['provider', false, true]]);
  });

  it("records Mailgun's client-info.bot opens and clicks as prefetches, an empty bot as the person's", async () => {
    const bots = await sentEmail('mailgun', '20261201.bot@mg.acme.example.com');
    await mailgun(mgEvent('opened', '20261201.bot@mg.acme.example.com', 'apple')).expect(200);
    await mailgun(mgEvent('clicked', '20261201.bot@mg.acme.example.com', 'generic')).expect(200);
    expect(await interactions(bots.notificationId)).to.deep.equal([
      { kind: 'open', source: 'provider', adapter: 'mailgun', prefetch: true },
      { kind: 'click', source: 'provider', adapter: 'mailgun', prefetch: true },
    ]);
    expect(await state(bots.notificationId, bots.deliveryId)).to.deep.equal({ notification: { opened_at: null, clicked_at: null }, delivery: { status: 'delivered', opened_at: null, clicked_at: null } });

    const person = await sentEmail('mailgun', '20261201.person@mg.acme.example.com');
    await mailgun(mgEvent('opened', '20261201.person@mg.acme.example.com', '')).expect(200);
    expect(await interactions(person.notificationId)).to.deep.equal([{ kind: 'open', source: 'provider', adapter: 'mailgun', prefetch: false }]);
    expect((await state(person.notificationId, person.deliveryId)).notification.opened_at).to.be.an.instanceOf(Date);
  });

  it('counts only the genuine opens in the analytics', async () => {
    await t.services.analytics.fold();
    const res = await request(t.callback).get('/v1/analytics?groupBy=provider&channel=email').set('authorization', `Bearer ${key}`).expect(200);
    const byAdapter = Object.fromEntries(res.body.totals.filter((row: { group: { adapter: string | null } }) => row.group.adapter !== null).map((row: { group: { adapter: string }; opened: number; clicked: number }) => [row.group.adapter, { opened: row.opened, clicked: row.clicked }]));
    // SendGrid: the person's open after Apple's prefetch. Mailgun: the person's open; the bots' none.
    // (The group without an adapter holds the notification-level figures.)
    expect(byAdapter).to.deep.equal({ sendgrid: { opened: 1, clicked: 0 }, mailgun: { opened: 1, clicked: 0 } });
  });
});
