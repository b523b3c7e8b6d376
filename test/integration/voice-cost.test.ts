import { expect } from 'chai';
import request from 'supertest';
import twilio from 'twilio';
import { testApp, type TestApp } from '../support/clarion.ts';

/**
 * Per-minute voice prices: a call costs its duration rounded up to whole minutes times the price,
 * recorded when Twilio's status callback says it completed (`CallDuration`, seconds), and summed
 * in the analytics; a call nobody answered costs nothing. Callbacks are signed as Twilio signs
 * them and posted over HTTP to the status callback URL the adapter gives Twilio.
 */
describe('per-minute voice prices (integration)', function () {
  this.timeout(60_000);
  const PUBLIC = 'https://clarion.example.com';
  const ACCOUNT = `AC${'b'.repeat(32)}`;
  const TOKEN = 'voice-token-1234567890';
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let providerId: string;
  let seq = 0;
  const call = (method: 'get' | 'post' | 'patch', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

  before(async () => {
    t = await testApp({ env: { CLARION_PUBLIC_URL: PUBLIC } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme'));
    providerId = (await call('post', '/v1/providers').send({
      channel: 'voice', adapter: 'twilio-voice', config: { accountSid: ACCOUNT, authToken: TOKEN, from: '+15005550006' },
      price: { currency: 'USD', perMinute: 0.02, byPrefix: { 44: 0.05 } },
    }).expect(201)).body.id;
  });
  after(() => t.close());

  /** A call placed through the provider (sent, Twilio's CallSid), waiting for its status callback. */
  async function placedCall(callSid: string, phone: string) {
    seq++;
    const [subscriber] = await t.db.knex('subscribers').insert({ tenant_id: tenantId, external_id: `oncall-${seq}`, phone }).returning('id');
    const [event] = await t.db.knex('events').insert({ tenant_id: tenantId, ce_id: `v-${seq}`, source: '/x', type: 't', specversion: '1.0', status: 'processed' }).returning('id');
    const [notification] = await t.db.knex('notifications').insert({ tenant_id: tenantId, event_id: event.id, subscriber_id: subscriber.id, workflow_key: 'page', priority: 'critical', status: 'pending' }).returning('id');
    const [delivery] = await t.db.knex('deliveries').insert({
      tenant_id: tenantId, notification_id: notification.id, channel: 'voice', status: 'pending', adapter: 'twilio-voice', provider_config_id: providerId, idempotency_key: `k-${seq}`,
    }).returning('id');
    // Sent as the engine records a success: no cost yet, the price being per minute.
    await t.db.knex('deliveries').where({ id: delivery.id }).update({ status: 'sent', sent_at: new Date(), provider_message_id: callSid, attempt_count: 1 });
    return delivery.id as string;
  }

  /** Twilio's call status callback (form fields, signed over the URL with its query and the sorted fields). */
  const statusCallback = (fields: Record<string, string>) => {
    const path = `/v1/providers/twilio-voice/callbacks/${providerId}?kind=status`;
    const all = { AccountSid: ACCOUNT, ApiVersion: '2010-04-01', Direction: 'outbound-api', From: '+15005550006', CallbackSource: 'call-progress-events', SequenceNumber: '0', ...fields };
    return request(t.callback).post(path).type('form').set('X-Twilio-Signature', twilio.getExpectedTwilioSignature(TOKEN, `${PUBLIC}${path}`, all)).send(all);
  };
  const cost = async (deliveryId: string) => t.db.knex('deliveries').where({ id: deliveryId }).first('status', 'cost', 'currency');
  const analyticsCost = async () => {
    await t.services.analytics.fold();
    return (await call('get', `/v1/analytics?provider=${providerId}`).expect(200)).body.totals[0]?.cost;
  };

  it('charges a completed call of 61 s two started minutes at 0.02/min, once, and shows it in the analytics', async () => {
    const deliveryId = await placedCall('CA0000000000000000000000000000061', '+14155550123');
    expect(await cost(deliveryId)).to.deep.equal({ status: 'sent', cost: null, currency: null });
    const fields = { CallSid: 'CA0000000000000000000000000000061', CallStatus: 'completed', CallDuration: '61', To: '+14155550123', Timestamp: new Date().toUTCString() };
    await statusCallback(fields).expect(200);
    // Twilio retrying the callback: still charged once.
    await statusCallback(fields).expect(200);
    expect(await cost(deliveryId)).to.deep.equal({ status: 'delivered', cost: '0.040000', currency: 'USD' });
    expect(await analyticsCost()).to.deep.equal({ USD: 0.04 });
  });

  it('charges the price of the number called (byPrefix), and nothing for a call not answered, busy or failed', async () => {
    const uk = await placedCall('CA00000000000000000000000000000UK', '+447700900123');
    await statusCallback({ CallSid: 'CA00000000000000000000000000000UK', CallStatus: 'completed', CallDuration: '120', To: '+447700900123' }).expect(200);
    expect(await cost(uk)).to.deep.include({ cost: '0.100000', currency: 'USD' });

    for (const status of ['no-answer', 'busy', 'failed']) {
      const sid = `CA${status.padEnd(32, '0').replace(/-/g, '0')}`;
      const deliveryId = await placedCall(sid, '+14155550124');
      // Twilio reports CallDuration 0 for these: no cost either way.
      await statusCallback({ CallSid: sid, CallStatus: status, CallDuration: '0', To: '+14155550124' }).expect(200);
      expect(await cost(deliveryId), status).to.deep.equal({ status: 'undelivered', cost: null, currency: null });
    }
    expect(await analyticsCost()).to.deep.equal({ USD: 0.14 });
  });

  it('refuses bad per-minute prices with problem+json naming the field, and keeps the stored one', async () => {
    const sms = (await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'sandbox', config: {} }).expect(201)).body.id;
    for (const [method, url, body, pointer] of [
      ['post', '/v1/providers', { channel: 'voice', adapter: 'twilio-voice', config: { accountSid: ACCOUNT, authToken: TOKEN, from: '+15005550006' }, price: { currency: 'USD', perMinute: -0.01 } }, '/price/perMinute'],
      ['post', '/v1/providers', { channel: 'voice', adapter: 'twilio-voice', config: { accountSid: ACCOUNT, authToken: TOKEN, from: '+15005550006' }, price: { currency: 'USD', perMinute: '0.02' } }, '/price/perMinute'],
      ['post', '/v1/providers', { channel: 'voice', adapter: 'twilio-voice', config: { accountSid: ACCOUNT, authToken: TOKEN, from: '+15005550006' }, price: { currency: 'USD', perMinute: 0.02, perMessage: 0.01 } }, '/price'],
      ['post', '/v1/providers', { channel: 'sms', adapter: 'sandbox', config: {}, price: { currency: 'USD', perMinute: 0.02 } }, '/price/perMinute'],
      ['patch', `/v1/providers/${sms}`, { price: { currency: 'USD', perMinute: 0.02 } }, '/price/perMinute'],
      ['patch', `/v1/providers/${providerId}`, { price: { currency: 'USD', perMinute: 1001 } }, '/price/perMinute'],
    ] as const) {
      const res = await call(method, url).send(body).expect(422);
      expect(res.headers['content-type']).to.include('application/problem+json');
      expect(res.body.code).to.equal('CLARION_ERR_PROVIDER_INVALID_CONFIG');
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(body)).to.include(pointer);
    }
    expect((await call('get', `/v1/providers/${providerId}`).expect(200)).body.price).to.deep.equal({ currency: 'USD', perMinute: 0.02, byPrefix: { 44: 0.05 } });
    expect((await call('get', `/v1/providers/${sms}`).expect(200)).body.price).to.equal(null);
  });
});
