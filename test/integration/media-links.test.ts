import { expect } from 'chai';
import nock from 'nock';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { ManualClock } from '../support/clock.ts';

const ACCOUNT = `AC${'2'.repeat(32)}`;

/**
 * MMS media: an SMS of an event with files carries them as `MediaUrl`s (Twilio's documented
 * Messages API field) pointing at Clarion's signed, expiring media links, which serve the stored
 * file to whoever holds the link (the provider) and nothing to a changed or expired one. nock
 * stands in for Twilio's HTTPS API.
 */
describe('media links for MMS (integration)', () => {
  let t: TestApp;
  let key: string;
  const clock = new ManualClock();
  const pdf = Buffer.from('%PDF-1.4\n% invoice 42\n%%EOF\n');
  before(async () => {
    t = await testApp({ clock, env: { CLARION_DEFAULT_SANDBOX: 'false', CLARION_PUBLIC_URL: 'https://notify.acme.example' } });
    ({ apiKey: key } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'twilio-sms', config: { accountSid: ACCOUNT, authToken: 'tw-token', from: '+14155550100' } }).expect(201);
    await call('put', '/v1/workflows/invoice').send({ trigger: 'com.acme.invoice', channels: ['sms'], templates: { sms: { text: 'Invoice {{ data.invoice }} attached' } } }).expect(201);
  });
  after(async () => {
    nock.cleanAll();
    await t.close();
  });
  const call = (method: 'post' | 'put' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

  it('sends the invoice as MMS media through a signed link that serves it until it expires', async () => {
    let mediaUrl: string | undefined;
    const twilio = nock('https://api.twilio.com')
      .post(`/2010-04-01/Accounts/${ACCOUNT}/Messages.json`, (body) => {
        mediaUrl = body.MediaUrl;
        return body.To === '+33612345678' && body.Body === 'Invoice 42 attached' && typeof body.MediaUrl === 'string';
      })
      .reply(201, { sid: 'SM42', account_sid: ACCOUNT, status: 'queued', to: '+33612345678', from: '+14155550100', body: 'Invoice 42 attached', num_segments: '1', num_media: '1', error_code: null });
    await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'inv-42', source: '/billing', type: 'com.acme.invoice', data: { invoice: '42', recipients: [{ id: 'ada', phone: '+33612345678' }], attachments: [{ filename: 'INV 42.pdf', contentType: 'application/pdf', content: pdf.toString('base64') }] } }))
      .expect(202);
    await t.runJobsUntilIdle();
    twilio.done();
    expect(mediaUrl).to.match(/^https:\/\/notify\.acme\.example\/v1\/media\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const path = new URL(mediaUrl!).pathname;

    // What Twilio fetches: the file, no API key needed, with its type and name.
    const served = await request(t.callback).get(path).buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    }).expect(200);
    expect(served.headers['content-type']).to.equal('application/pdf');
    expect(served.headers['content-disposition']).to.equal("inline; filename*=UTF-8''INV%2042.pdf");
    expect(Buffer.compare(served.body, pdf)).to.equal(0);

    // A changed token (another file of the event, another event) serves nothing.
    const [claims, signature] = path.split('/').at(-1)!.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(claims, 'base64url').toString()), p: 1 })).toString('base64url');
    for (const bad of [`/v1/media/${forged}.${signature}`, `/v1/media/${claims}.${'A'.repeat(43)}`, '/v1/media/nothing']) {
      const res = await request(t.callback).get(bad).expect(404);
      expect(res.body.code, bad).to.equal('CLARION_ERR_MEDIA_LINK_INVALID');
    }
    // A day later the link has expired.
    clock.advance(24 * 3600 * 1000 + 1000);
    expect((await request(t.callback).get(path).expect(410)).body.code).to.equal('CLARION_ERR_MEDIA_LINK_EXPIRED');
  });
});
