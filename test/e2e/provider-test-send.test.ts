import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { SmtpSink } from '../support/smtp.ts';

/** The seeds' "send-test": one message through one provider, its outcome reported, nothing recorded as a delivery. */
describe('POST /v1/providers/:id/test (SMTP on loopback)', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let key: string;
  before(async () => {
    t = await testApp();
    sink = new SmtpSink();
    await sink.start();
    ({ apiKey: key } = await t.tenant());
  });
  after(async () => {
    await t.services.delivery.close();
    await sink.stop();
    await t.close();
  });
  const call = (method: 'post', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

  it('sends a test email and reports the provider message id', async () => {
    const provider = await call('post', '/v1/providers').send({ channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'ops@acme.example', user: 'u', password: 'secret' } }).expect(201);
    const res = await call('post', `/v1/providers/${provider.body.id}/test`).send({ to: 'me@acme.example' }).expect(200);
    expect(res.body).to.include({ ok: true, status: 'sent' });
    expect(res.body.providerMessageId).to.match(/@clarion>$/);
    const mail = await sink.mailTo('me@acme.example');
    expect(mail.subject).to.equal('Clarion test message');
    expect(await t.db.knex('deliveries').count('* as n').first()).to.deep.equal({ n: 0 });
  });

  it('reports a refused test with the error class, and bad credentials as config', async () => {
    const bad = await call('post', '/v1/providers').send({ channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'ops@acme.example', user: 'u', password: 'wrong' } }).expect(201);
    const res = await call('post', `/v1/providers/${bad.body.id}/test`).send({ to: 'me@acme.example' }).expect(422);
    expect(res.body).to.include({ code: 'CLARION_ERR_PROVIDER_TEST_FAILED', errorClass: 'config' });
    await call('post', `/v1/providers/${bad.body.id}/test`).send({}).expect(400);
    await call('post', '/v1/providers/00000000-0000-4000-8000-000000000000/test').send({ to: 'me@acme.example' }).expect(404);
  });
});
