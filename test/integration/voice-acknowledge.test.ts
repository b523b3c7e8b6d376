import { expect } from 'chai';
import nock from 'nock';
import request from 'supertest';
import twilio from 'twilio';
import { testApp, type TestApp } from '../support/clarion.ts';

const ACCOUNT = `AC${'7'.repeat(32)}`;
const TOKEN = 'voice-auth-token';
const PUBLIC = 'https://clarion.example.com';

/**
 * "Press 1 to acknowledge": what the caller hears is what happened. nock stands in for the Calls
 * API (its documented answer); the keypress arrives as Twilio posts it, signed with the token.
 */
describe('a voice keypress tells the caller the truth', () => {
  let t: TestApp;
  let key: string;
  let providerId: string;
  let notificationId: string;
  before(async () => {
    t = await testApp({ env: { CLARION_PUBLIC_URL: PUBLIC } });
    ({ apiKey: key } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    providerId = (await call('post', '/v1/providers').send({ channel: 'voice', adapter: 'twilio-voice', config: { accountSid: ACCOUNT, authToken: TOKEN, from: '+15005550006' } }).expect(201)).body.id;
    await call('put', '/v1/workflows/incident.call').send({ trigger: 'com.acme.incident', priority: 'high', channels: ['voice'], templates: { voice: { text: 'Incident {{ data.id }} is open.' } } }).expect(201);
    nock('https://api.twilio.com')
      .post(`/2010-04-01/Accounts/${ACCOUNT}/Calls.json`)
      .reply(201, { account_sid: ACCOUNT, api_version: '2010-04-01', direction: 'outbound-api', from: '+15005550006', to: '+14155550100', sid: `CA${'1'.repeat(32)}`, status: 'queued' });
    await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'inc-1', source: '/ops', type: 'com.acme.incident', data: { id: 'INC-1', recipients: [{ id: 'ada', phone: '+14155550100' }] } }))
      .expect(202);
    await t.runJobs();
    notificationId = (await call('get', '/v1/events/inc-1').expect(200)).body.notifications[0].id;
  });
  after(async () => {
    nock.cleanAll();
    await t.services.delivery.close();
    await t.close();
  });
  const call = (method: 'post' | 'put' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

  /** Twilio posting the key pressed on the call of `notification`. */
  function press(notification: string) {
    const path = `/v1/providers/twilio-voice/callbacks/${providerId}?kind=gather&notification=${notification}&lang=en-US`;
    const fields = { AccountSid: ACCOUNT, CallSid: `CA${'1'.repeat(32)}`, CallStatus: 'in-progress', Digits: '1' };
    return request(t.callback).post(path).type('form').set('X-Twilio-Signature', twilio.getExpectedTwilioSignature(TOKEN, `${PUBLIC}${path}`, fields)).send(fields).expect(200);
  }

  it('says the acknowledgement was recorded when it was, and the notification is acknowledged', async () => {
    const res = await press(notificationId);
    expect(res.text).to.contain('Your acknowledgement has been recorded');
    expect((await call('get', `/v1/notifications/${notificationId}`).expect(200)).body.status).to.equal('acknowledged');
  });

  it('says it was acknowledged already when 1 is pressed again', async () => {
    const res = await press(notificationId);
    expect(res.text).to.contain('This message was already acknowledged').and.not.contain('recorded');
  });

  it('says there is nothing to acknowledge for a notification that does not exist', async () => {
    const res = await press('00000000-0000-4000-8000-00000000dead');
    expect(res.text).to.contain('There is nothing to acknowledge').and.not.contain('recorded');
  });
});
