import { expect } from 'chai';
import nock from 'nock';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';

const ACCOUNT = `AC${'1'.repeat(32)}`;

/**
 * BYOC: a tenant moves SMS from Twilio to Vonage with one API call, no restart. nock stands in
 * for the two providers' HTTPS APIs, answering with their documented shapes.
 */
describe('switching the SMS provider', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'false' } });
    ({ apiKey: key } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
  });
  after(async () => {
    nock.cleanAll();
    await t.close();
  });
  const call = (method: 'post' | 'put' | 'patch' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

  it('sends through Twilio, then through Vonage once Twilio is disabled', async () => {
    const twilio = await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'twilio-sms', priority: 0, config: { accountSid: ACCOUNT, authToken: 'tw-token', from: '+14155550100' } }).expect(201);
    await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'vonage-sms', priority: 1, config: { apiKey: 'vk12', apiSecret: 'vs', from: 'Acme' } }).expect(201);
    await call('put', '/v1/workflows/code').send({ trigger: 'com.acme.code', channels: ['sms'], templates: { sms: { text: 'Your code is {{ data.code }}' } } }).expect(201);
    const post = (id: string, code: string) =>
      call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
        .send(JSON.stringify({ specversion: '1.0', id, source: '/auth', type: 'com.acme.code', data: { code, recipients: [{ id: 'ada', phone: '+33612345678' }] } }))
        .expect(202);

    const viaTwilio = nock('https://api.twilio.com')
      .post(`/2010-04-01/Accounts/${ACCOUNT}/Messages.json`, (body) => body.To === '+33612345678' && body.From === '+14155550100' && body.Body === 'Your code is 111')
      .basicAuth({ user: ACCOUNT, pass: 'tw-token' })
      .reply(201, { sid: 'SM111', account_sid: ACCOUNT, status: 'queued', to: '+33612345678', from: '+14155550100', body: 'Your code is 111', num_segments: '1', error_code: null });
    await post('c-1', '111');
    await t.runJobsUntilIdle();
    viaTwilio.done();

    await call('patch', `/v1/providers/${twilio.body.id}`).send({ enabled: false }).expect(200);
    const viaVonage = nock('https://rest.nexmo.com')
      .post('/sms/json', (body) => body.to === '33612345678' && body.from === 'Acme' && body.text === 'Your code is 222' && body.api_key === 'vk12')
      .reply(200, { 'message-count': '1', messages: [{ to: '33612345678', 'message-id': '1F00000000000222', status: '0', 'remaining-balance': '1.0', 'message-price': '0.05', network: '20801' }] });
    await post('c-2', '222');
    await t.runJobsUntilIdle();
    viaVonage.done();

    const deliveries = await call('get', '/v1/deliveries?channel=sms').expect(200);
    const byMessage = Object.fromEntries(deliveries.body.items.map((d: { providerMessageId: string; adapter: string; status: string }) => [d.providerMessageId, `${d.adapter}:${d.status}`]));
    expect(byMessage).to.deep.equal({ SM111: 'twilio-sms:sent', '1F00000000000222': 'vonage-sms:sent' });
  });
});
