import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { adminUser, loggedIn } from '../support/admin.ts';

/**
 * The console as an attacker runs it: the owner of one tenant, logged in, guesses (or learns)
 * the ids of another tenant's event, notification, delivery, provider and template, and asks
 * for them, changes them, and tries to switch into that tenant. Nothing of the other tenant is
 * shown or changed.
 */
describe('admin console: one tenant never reaches another', () => {
  let t: TestApp;
  let acme: { tenantId: string; apiKey: string };
  let globex: { tenantId: string; apiKey: string };
  const theirs: { eventId?: string; notificationId?: string; deliveryId?: string; providerId?: string } = {};

  const api = (key: string, method: 'get' | 'post' | 'put', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

  before(async () => {
    t = await testApp();
    acme = await t.tenant('Acme', { acceptUnvalidatedTypes: true });
    globex = await t.tenant('Globex', { acceptUnvalidatedTypes: true });
    await adminUser(t, acme.tenantId, 'owner', 'mallory@acme.example');
    // Globex's own data: a provider, a workflow with its template, an event and its notification.
    const provider = await api(globex.apiKey, 'post', '/v1/providers')
      .send({ channel: 'email', adapter: 'smtp', name: 'globex-smtp', config: { host: '127.0.0.1', port: 2525, from: 'Globex <no-reply@globex.example>', user: 'globex', password: 'globex-smtp-secret' } })
      .expect(201);
    theirs.providerId = provider.body.id;
    await api(globex.apiKey, 'put', '/v1/workflows/globex.secret')
      .send({ trigger: 'com.globex.secret', channels: ['in_app'], templates: { in_app: { title: 'Globex board minutes', body: 'Confidential: {{ data.plan }}' } } })
      .expect(201);
    const posted = await api(globex.apiKey, 'post', '/v1/events')
      .set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'g-1', source: '/globex', type: 'com.globex.secret', data: { plan: 'acquire-acme', recipients: ['ceo'] } }))
      .expect(202);
    theirs.eventId = posted.body.accepted[0].eventId;
    await t.runJobsUntilIdle();
    const notifications = await t.services.views.list(globex.tenantId, { limit: 10 });
    expect(notifications.items).to.have.length(1);
    theirs.notificationId = notifications.items[0].id;
    const deliveries = await t.services.views.deliveries(globex.tenantId, { limit: 10 });
    theirs.deliveryId = deliveries.items[0].id;
  });
  after(() => t.close());

  it("shows none of the other tenant's objects, whatever id is asked for", async () => {
    const { agent } = await loggedIn(t, 'mallory@acme.example');
    for (const url of [
      `/admin/events/${theirs.eventId}`,
      `/admin/notifications/${theirs.notificationId}`,
      `/admin/deliveries/${theirs.deliveryId}`,
      `/admin/providers/${theirs.providerId}`,
    ]) {
      const res = await agent.get(url);
      expect(res.status, url).to.equal(404);
      expect(res.text, url).to.not.match(/acquire-acme|globex-smtp|Globex board/);
    }
    // The lists are Acme's own: empty here.
    for (const url of ['/admin/events', '/admin/notifications', '/admin/deliveries', '/admin/providers', '/admin/workflows', '/admin/templates']) {
      const res = await agent.get(url).expect(200);
      expect(res.text, url).to.not.match(/acquire-acme|globex|Globex board/i);
    }
    // A template of Globex's workflow, opened by its key, is not Globex's.
    const template = await agent.get('/admin/templates/globex.secret/in_app/en');
    expect(template.text).to.not.include('Globex board minutes');
  });

  it("changes nothing of the other tenant's: provider edits, deletes, tests and requeues are refused", async () => {
    const { agent, csrf } = await loggedIn(t, 'mallory@acme.example');
    const attempts = [
      agent.post(`/admin/providers/${theirs.providerId}/delete`).type('form').send({ _csrf: csrf }),
      agent.post(`/admin/providers/${theirs.providerId}/enabled`).type('form').send({ _csrf: csrf, enabled: 'false' }),
      agent.post(`/admin/providers/${theirs.providerId}`).type('form').send({ _csrf: csrf, 'config.host': '127.0.0.1', 'config.port': '2626' }),
      agent.post(`/admin/providers/${theirs.providerId}/test`).type('form').send({ _csrf: csrf, to: 'mallory@acme.example' }),
      agent.post(`/admin/deliveries/${theirs.deliveryId}/requeue`).type('form').send({ _csrf: csrf }),
    ];
    for (const [i, res] of (await Promise.all(attempts)).entries()) {
      expect(res.status, `attempt ${i}`).to.be.oneOf([404, 422]);
      expect(res.text).to.not.include('globex-smtp-secret');
    }
    const provider = await t.services.providers.get(globex.tenantId, theirs.providerId!);
    expect(provider.enabled).to.equal(true);
    expect((provider.config as Record<string, unknown>).port).to.equal(2525);
  });

  it('does not let a tenant user switch into another tenant', async () => {
    const { agent, csrf } = await loggedIn(t, 'mallory@acme.example');
    const res = await agent.post('/admin/tenants/switch').type('form').send({ _csrf: csrf, tenantId: globex.tenantId });
    expect(res.status).to.equal(403);
    expect(res.text).to.include('CLARION_ERR_ADMIN_FORBIDDEN');
    const events = await agent.get('/admin/events').expect(200);
    expect(events.text).to.not.include('g-1');
    expect((await agent.get(`/admin/events/${theirs.eventId}`)).status).to.equal(404);
  });
});
