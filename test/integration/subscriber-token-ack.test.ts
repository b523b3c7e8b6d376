import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';

/** A subscriber acknowledges with their own token: their notifications only, never another's. */
describe('POST /v1/notifications/:id/ack with the subscriber\'s own token', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true' } });
  });
  after(() => t.close());

  it('acknowledges the subscriber\'s notification and refuses others, forged or expired tokens', async () => {
    const { apiKey } = await t.tenant('Acme', { acceptUnvalidatedTypes: true });
    const call = (method: 'put' | 'post' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${apiKey}`);
    await call('put', '/v1/workflows/page').send({ trigger: 'com.acme.page', priority: 'high', channels: ['in_app'], templates: { in_app: { title: 'Page', body: 'Server down' } } }).expect(201);
    await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'pg-1', source: '/ops', type: 'com.acme.page', data: { recipients: ['ada', 'bob'] } }))
      .expect(202);
    await t.runJobs();
    const list = (await call('get', '/v1/notifications?workflow=page').expect(200)).body.items as Array<{ id: string; subscriberId: string }>;
    const ada = list.find((n) => n.subscriberId === 'ada')!;
    const bob = list.find((n) => n.subscriberId === 'bob')!;

    const issued = await call('post', '/v1/subscribers/ada/token').send({ ttlSeconds: 3600 }).expect(201);
    expect(issued.body.token).to.be.a('string');
    const asAda = (id: string, token = issued.body.token) => request(t.callback).post(`/v1/notifications/${id}/ack`).set('authorization', `Bearer ${token}`);

    const other = await asAda(bob.id).expect(404);
    expect(other.body.code).to.equal('CLARION_ERR_NOTIFICATION_NOT_FOUND');
    const [body, mac] = issued.body.token.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forged = `${Buffer.from(JSON.stringify({ ...claims, s: 'bob' })).toString('base64url')}.${mac}`;
    expect((await asAda(bob.id, forged).expect(401)).body.code).to.equal('CLARION_ERR_AUTH_INVALID');

    const { tenantId } = (await t.db.knex('notifications').where({ id: ada.id }).first('tenant_id as tenantId'));
    const expired = t.services.preferences.subscriberToken(tenantId, 'ada', -10).token;
    expect((await asAda(ada.id, expired).expect(401)).body.code).to.equal('CLARION_ERR_AUTH_INVALID');

    const ok = await asAda(ada.id).expect(200);
    expect(ok.body).to.include({ acknowledged: true, changed: true });
    expect(ok.body.notification.status).to.equal('acknowledged');
    const audit = (await call('get', `/v1/audit?action=notification.acknowledged&targetId=${ada.id}`).expect(200)).body.items;
    expect(audit[0].actor).to.equal('subscriber:ada');

    // The API key still works, and an unknown subscriber gets no token.
    expect((await call('post', `/v1/notifications/${bob.id}/ack`).expect(200)).body.changed).to.equal(true);
    await call('post', '/v1/subscribers/nobody/token').expect(404);
    await call('post', '/v1/subscribers/ada/token').send({ ttlSeconds: 5 }).expect(400);
    await request(t.callback).post(`/v1/notifications/${ada.id}/ack`).expect(401);
  });
});
