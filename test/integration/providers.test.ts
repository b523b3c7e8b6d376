import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import twilio from 'twilio';
import { testApp, type TestApp } from '../support/clarion.ts';

const TWILIO = { accountSid: `AC${'a'.repeat(32)}`, authToken: 'tok-secret-1234567890', from: '+14155550100' };

describe('/v1/providers', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    // The operator lets tenants reference these environment variables and files (CLARION_SECRET_REFS).
    t = await testApp({ env: { CLARION_PUBLIC_URL: 'https://clarion.example.com', CLARION_SECRET_REFS: `env:CLARION_TEST_*,file:${tmpdir()}/clarion-secret-*` } });
    ({ apiKey: key } = await t.tenant());
  });
  after(() => t.close());
  const call = (method: 'get' | 'post' | 'patch' | 'delete', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

  it('lists the installed adapters with their schemas', async () => {
    const res = await call('get', '/v1/adapters').expect(200);
    const names = res.body.items.map((a: { name: string }) => a.name);
    expect(names).to.include.members(['smtp', 'sandbox', 'in-app', 'twilio-sms', 'vonage-sms', 'fcm', 'slack', 'webhook']);
    const smtp = res.body.items.find((a: { name: string }) => a.name === 'smtp');
    expect(smtp.configSchema.properties.password.writeOnly).to.equal(true);
  });

  it('stores credentials encrypted and never returns secrets', async () => {
    const res = await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'twilio-sms', priority: 1, config: TWILIO }).expect(201);
    expect(res.body.config).to.deep.equal({ ...TWILIO, authToken: '********' });
    const row = await t.db.knex('provider_configs').where({ id: res.body.id }).first();
    expect(JSON.stringify(row)).to.not.include(TWILIO.authToken);
    expect(row.config_encrypted).to.have.keys(['v', 'iv', 'tag', 'data']);
    const read = await call('get', `/v1/providers/${res.body.id}`).expect(200);
    expect(read.body.config.authToken).to.equal('********');
  });

  it('validates the config against the adapter schema, naming the fields', async () => {
    const res = await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'twilio-sms', config: { accountSid: 'nope', from: '+14155550100' } }).expect(422);
    expect(res.body.code).to.equal('CLARION_ERR_PROVIDER_INVALID_CONFIG');
    const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).to.include.members(['/config/accountSid', '/config/authToken']);
  });

  it('refuses an unknown adapter and an adapter on the wrong channel', async () => {
    const unknown = await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'carrier-pigeon', config: {} }).expect(422);
    expect(unknown.body.code).to.equal('CLARION_ERR_PROVIDER_UNKNOWN_ADAPTER');
    const wrong = await call('post', '/v1/providers').send({ channel: 'email', adapter: 'twilio-sms', config: TWILIO }).expect(422);
    expect(wrong.body.errors[0].pointer).to.equal('/channel');
    await call('post', '/v1/providers').send({ channel: 'sms' }).expect(422);
    await call('post', '/v1/providers').set('content-type', 'application/json').send('[1').expect(400);
  });

  it('keeps secrets on PATCH unless replaced, and switches priority without a restart', async () => {
    const created = await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'twilio-sms', priority: 5, config: TWILIO }).expect(201);
    const patched = await call('patch', `/v1/providers/${created.body.id}`).send({ priority: 0, config: { from: '+14155550199', authToken: '********' } }).expect(200);
    expect(patched.body.priority).to.equal(0);
    expect(patched.body.config.from).to.equal('+14155550199');
    const config = await t.services.providers.resolvedConfig(patched.body.tenantId ?? (await t.db.knex('provider_configs').where({ id: created.body.id }).first()).tenant_id, created.body.id);
    expect(config.authToken).to.equal(TWILIO.authToken);
    const refused = await call('patch', `/v1/providers/${created.body.id}`).send({ adapter: 'vonage-sms' }).expect(422);
    expect(refused.body.errors[0].pointer).to.equal('/adapter');
  });

  it('resolves env: and file: references where they are used, and names one that cannot be', async () => {
    const file = path.join(tmpdir(), `clarion-secret-${process.pid}`);
    writeFileSync(file, 'from-a-file\n');
    process.env.CLARION_TEST_TWILIO_TOKEN = 'from-the-env';
    try {
      const byEnv = await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'twilio-sms', config: { ...TWILIO, authToken: 'env:CLARION_TEST_TWILIO_TOKEN' } }).expect(201);
      expect(byEnv.body.config.authToken).to.equal('env:CLARION_TEST_TWILIO_TOKEN');
      const tenantId = (await t.db.knex('provider_configs').where({ id: byEnv.body.id }).first()).tenant_id;
      expect((await t.services.providers.resolvedConfig(tenantId, byEnv.body.id)).authToken).to.equal('from-the-env');
      const byFile = await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'twilio-sms', config: { ...TWILIO, authToken: `file:${file}` } }).expect(201);
      expect((await t.services.providers.resolvedConfig(tenantId, byFile.body.id)).authToken).to.equal('from-a-file');
      const missing = await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'twilio-sms', config: { ...TWILIO, authToken: 'env:CLARION_TEST_NOT_SET' } }).expect(201);
      const err = await t.services.providers.resolvedConfig(tenantId, missing.body.id).catch((e) => e);
      expect(err.code).to.equal('CLARION_ERR_PROVIDER_SECRET_UNRESOLVED');
      expect(err.message).to.include('env:CLARION_TEST_NOT_SET');
    } finally {
      delete process.env.CLARION_TEST_TWILIO_TOKEN;
    }
  });

  it("keeps providers per tenant and deletes them", async () => {
    const created = await call('post', '/v1/providers').send({ channel: 'email', adapter: 'sandbox', config: {} }).expect(201);
    const other = await t.tenant('Other');
    await request(t.callback).get(`/v1/providers/${created.body.id}`).set('authorization', `Bearer ${other.apiKey}`).expect(404);
    await call('delete', `/v1/providers/${created.body.id}`).expect(204);
    await call('get', `/v1/providers/${created.body.id}`).expect(404);
    const audit = await call('get', `/v1/audit?targetId=${created.body.id}`).expect(200);
    expect(audit.body.items.map((a: { action: string }) => a.action)).to.deep.equal(['provider.deleted', 'provider.created']);
  });

  it('sends a test message to an address or a recipient, and refuses a body that names neither at /to', async () => {
    const created = await call('post', '/v1/providers').send({ channel: 'email', adapter: 'sandbox', config: {} }).expect(201);
    const sent = await call('post', `/v1/providers/${created.body.id}/test`).send({ to: 'ada@acme.example' }).expect(200);
    // The sandbox records the message: delivered at once.
    expect(sent.body).to.include({ ok: true, status: 'delivered' });
    expect(sent.body.durationMs).to.be.a('number');
    await call('post', `/v1/providers/${created.body.id}/test`).send({ to: { email: 'ada@acme.example' } }).expect(200);
    for (const body of [{}, { to: 5 }, { to: ['ada@acme.example'] }, { to: null }, ['ada@acme.example']]) {
      const res = await call('post', `/v1/providers/${created.body.id}/test`).send(body).expect(400);
      expect(res.body.code, JSON.stringify(body)).to.equal('CLARION_ERR_HTTP_INVALID_REQUEST');
      expect(res.body.errors).to.deep.equal([{ pointer: '/to', message: 'must be an email address, an E.164 phone number, or a recipient object ({email, phone, devices, chat})' }]);
    }
    const outbox = await call('get', '/v1/outbox?to=ada@acme.example').expect(200);
    expect(outbox.body.items).to.have.length(2);
  });

  describe('receipts at /v1/providers/:adapter/callbacks/:providerId', () => {
    let providerId: string;
    let deliveryId: string;
    let tenantId: string;
    const url = () => `https://clarion.example.com/v1/providers/twilio-sms/callbacks/${providerId}`;

    before(async () => {
      const created = await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'twilio-sms', config: TWILIO }).expect(201);
      providerId = created.body.id;
      tenantId = (await t.db.knex('provider_configs').where({ id: providerId }).first()).tenant_id;
      // A sent SMS waiting for its receipt.
      const [subscriber] = await t.db.knex('subscribers').insert({ tenant_id: tenantId, external_id: 'sam', phone: '+14155550111' }).returning('id');
      const [event] = await t.db.knex('events').insert({ tenant_id: tenantId, ce_id: 'r-1', source: '/x', type: 't', specversion: '1.0', status: 'processed' }).returning('id');
      const [notification] = await t.db.knex('notifications').insert({ tenant_id: tenantId, event_id: event.id, subscriber_id: subscriber.id, workflow_key: 'w', priority: 'critical', status: 'sent' }).returning('id');
      const [delivery] = await t.db.knex('deliveries').insert({ tenant_id: tenantId, notification_id: notification.id, channel: 'sms', status: 'sent', adapter: 'twilio-sms', provider_config_id: providerId, provider_message_id: 'SM123', idempotency_key: 'k-1' }).returning('id');
      deliveryId = delivery.id;
    });

    const post = (fields: Record<string, string>, signature?: string) => {
      const req = request(t.callback).post(`/v1/providers/twilio-sms/callbacks/${providerId}`).type('form').send(fields);
      return signature === undefined ? req : req.set('X-Twilio-Signature', signature);
    };

    it('refuses an unsigned receipt with 401 and a forged one with 403, changing nothing', async () => {
      const fields = { MessageSid: 'SM123', MessageStatus: 'delivered', AccountSid: TWILIO.accountSid };
      const unsigned = await post(fields).expect(401);
      expect(unsigned.body.code).to.equal('CLARION_ERR_CALLBACK_UNSIGNED');
      const forged = await post(fields, twilio.getExpectedTwilioSignature('not-the-token', url(), fields)).expect(403);
      expect(forged.body.code).to.equal('CLARION_ERR_CALLBACK_FORGED');
      const tampered = await post({ ...fields, MessageStatus: 'read' }, twilio.getExpectedTwilioSignature(TWILIO.authToken, url(), fields)).expect(403);
      expect(tampered.body.code).to.equal('CLARION_ERR_CALLBACK_FORGED');
      expect((await t.db.knex('deliveries').where({ id: deliveryId }).first()).status).to.equal('sent');
    });

    it('moves the delivery to delivered on a signed receipt', async () => {
      const fields = { MessageSid: 'SM123', MessageStatus: 'delivered', AccountSid: TWILIO.accountSid };
      await post(fields, twilio.getExpectedTwilioSignature(TWILIO.authToken, url(), fields)).expect(200);
      const delivery = await call('get', `/v1/deliveries/${deliveryId}`).expect(200);
      expect(delivery.body.status).to.equal('delivered');
      expect(delivery.body.deliveredAt).to.be.a('string');
      const notification = await call('get', `/v1/notifications/${delivery.body.notificationId}`).expect(200);
      expect(notification.body.status).to.equal('delivered');
    });

    it('turns an inbound ACK into an acknowledgement and STOP into an SMS opt-out', async () => {
      const ack = { MessageSid: 'SM900', From: '+14155550111', To: TWILIO.from, Body: 'ACK', AccountSid: TWILIO.accountSid };
      await post(ack, twilio.getExpectedTwilioSignature(TWILIO.authToken, url(), ack)).expect(200);
      const delivery = await call('get', `/v1/deliveries/${deliveryId}`).expect(200);
      const notification = await call('get', `/v1/notifications/${delivery.body.notificationId}`).expect(200);
      expect(notification.body.status).to.equal('acknowledged');
      expect(notification.body.acknowledgedAt).to.be.a('string');

      const stop = { MessageSid: 'SM901', From: '+14155550111', To: TWILIO.from, Body: 'STOP', AccountSid: TWILIO.accountSid };
      await post(stop, twilio.getExpectedTwilioSignature(TWILIO.authToken, url(), stop)).expect(200);
      const preference = await t.db.knex('preferences').where({ tenant_id: tenantId, scope: 'subscriber', scope_id: 'sam' }).first();
      expect(preference.settings.channels.sms).to.equal(false);
    });

    it('records every inbound message as a reply to the latest SMS its sender got, once per provider message, without its text', async () => {
      const text = { MessageSid: 'SM902', From: '+14155550111', To: TWILIO.from, Body: 'Can I come at 3pm instead?', AccountSid: TWILIO.accountSid };
      await post(text, twilio.getExpectedTwilioSignature(TWILIO.authToken, url(), text)).expect(200);
      // Twilio retrying the same callback: still one reply.
      await post(text, twilio.getExpectedTwilioSignature(TWILIO.authToken, url(), text)).expect(200);
      // From a number Clarion does not know: nothing.
      const stranger = { ...text, MessageSid: 'SM903', From: '+14155550999' };
      await post(stranger, twilio.getExpectedTwilioSignature(TWILIO.authToken, url(), stranger)).expect(200);
      const delivery = await call('get', `/v1/deliveries/${deliveryId}`).expect(200);
      const notification = (await call('get', `/v1/notifications/${delivery.body.notificationId}`).expect(200)).body;
      const replies = notification.interactions.filter((i: { kind: string }) => i.kind === 'reply');
      // The ACK and STOP of the test before, and the free text.
      expect(replies.map((r: { action: string | null; deliveryId: string; source: string; channel: string }) => [r.action, r.deliveryId, r.source, r.channel])).to.have.deep.members([
        ['ack', deliveryId, 'provider', 'sms'], ['stop', deliveryId, 'provider', 'sms'], [null, deliveryId, 'provider', 'sms'],
      ]);
      expect(JSON.stringify(await t.db.knex('interactions').where({ tenant_id: tenantId }))).to.not.include('3pm');
      expect(notification.openedAt).to.equal(null);
    });

    it('records a read receipt as a provider open, once, setting openedAt', async () => {
      const read = { MessageSid: 'SM123', MessageStatus: 'read', AccountSid: TWILIO.accountSid };
      await post(read, twilio.getExpectedTwilioSignature(TWILIO.authToken, url(), read)).expect(200);
      await post(read, twilio.getExpectedTwilioSignature(TWILIO.authToken, url(), read)).expect(200);
      const delivery = (await call('get', `/v1/deliveries/${deliveryId}`).expect(200)).body;
      expect(delivery.openedAt).to.be.a('string');
      const notification = (await call('get', `/v1/notifications/${delivery.notificationId}`).expect(200)).body;
      expect(notification.openedAt).to.equal(delivery.openedAt);
      expect(notification.interactions.filter((i: { kind: string }) => i.kind === 'open').map((i: { source: string; adapter: string; deliveryId: string }) => [i.source, i.adapter, i.deliveryId])).to.deep.equal([['provider', 'twilio-sms', deliveryId]]);
    });

    it('answers 404 for an unknown provider or adapter', async () => {
      await request(t.callback).post(`/v1/providers/twilio-sms/callbacks/00000000-0000-4000-8000-000000000000`).type('form').send({}).expect(404);
      await request(t.callback).post(`/v1/providers/vonage-sms/callbacks/${providerId}`).type('form').send({}).expect(404);
    });
  });
});
