import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';

/** A disabled webhook endpoint is news for the tenant's admins, told through Clarion itself. */
describe('telling admins about a disabled webhook endpoint', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true', CLARION_OUTBOUND_ALLOW_PRIVATE: 'true' } });
  });
  after(() => t.close());

  it('becomes an event whose bundled workflow notifies team "admins" by email and in-app', async () => {
    const { apiKey, tenantId } = await t.tenant('Acme');
    const call = (method: 'put' | 'post' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${apiKey}`);
    await call('put', '/v1/subscribers/root').send({ name: 'Root', email: 'root@acme.example', locale: 'fr', teams: ['admins'] }).expect(201);
    await call('put', '/v1/subscribers/dev').send({ name: 'Dev', email: 'dev@acme.example' }).expect(201);
    const endpoint = await call('post', '/v1/webhooks/endpoints').send({ url: 'https://hooks.example.com/clarion', description: 'CRM sync' }).expect(201);

    await t.services.webhooks.onEndpointDisabled!({ ...endpoint.body, tenantId, enabled: false, disabledReason: 'the endpoint answered 410 Gone', disabledAt: '2026-11-22T10:00:00.000Z' });
    await t.runJobsUntilIdle();

    const events = await call('get', '/v1/events?type=io.clarion.webhook.endpoint_disabled').expect(200);
    expect(events.body.items).to.have.length(1);
    expect(events.body.items[0].status).to.equal('processed');
    const outbox = await call('get', '/v1/outbox?channel=email').expect(200);
    expect(outbox.body.items).to.have.length(1);
    expect(outbox.body.items[0].to.email).to.equal('root@acme.example');
    expect(outbox.body.items[0].content.subject).to.include('hooks.example.com');
    expect(outbox.body.items[0].content.subject).to.match(/désactivé/);
    const notifications = await call('get', '/v1/notifications?workflow=webhook.endpoint_disabled').expect(200);
    expect(notifications.body.items.map((n: { subscriberId: string }) => n.subscriberId)).to.deep.equal(['root']);
  });
});
