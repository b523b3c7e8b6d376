import { expect } from 'chai';
import request from 'supertest';
import { ManualClock } from '../support/clock.ts';
import { testApp, type TestApp } from '../support/clarion.ts';
import { clients, inAppWorkflow } from '../support/inbox.ts';

/**
 * Engagement outside email lands in the same interactions: an in-app read is an open, an action
 * button a click (with a link) or an action, an archive a dismissal; a push opened (the app POSTs
 * the push's signed `clarion_open_url`) an open. Each sets the delivery's and the notification's
 * first `openedAt`/`clickedAt`, counts in analytics and is announced as a signed webhook.
 */
describe('in-app and push engagement (integration)', function () {
  this.timeout(60_000);
  const PUBLIC = 'https://clarion.example.com';
  let t: TestApp;
  let c: ReturnType<typeof clients>;
  let tenantId: string;
  let other: ReturnType<typeof clients>;

  before(async () => {
    const clock = new ManualClock(new Date());
    t = await testApp({ clock, env: { CLARION_PUBLIC_URL: PUBLIC } });
    let apiKey: string;
    ({ tenantId, apiKey } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    c = clients(t, apiKey);
    await c.api.put('/v1/workflows/order.shipped').send(inAppWorkflow('com.acme.order.shipped')).expect(201);
    await c.api.post('/v1/providers').send({ channel: 'push', adapter: 'sandbox', config: {} }).expect(201);
    for (const [key, tracking] of [['pushed.tracked', { opens: true }], ['pushed.plain', undefined]] as const) {
      await c.api.put(`/v1/workflows/${key}`).send({
        trigger: `com.acme.${key}`, channels: ['push'], recipients: '/data/recipients', ...(tracking ? { tracking } : {}),
        templates: { push: { title: 'Shipped', body: 'Order {{ data.orderId }}' } },
      }).expect(201);
    }
    await c.api.post('/v1/webhooks/endpoints').send({ url: 'http://127.0.0.1:9/hooks' }).expect(201);
    const second = await t.tenant('Other', { acceptUnvalidatedTypes: true });
    other = clients(t, second.apiKey);
  });
  after(async () => {
    await t.services.delivery.close();
    await t.close();
  });

  const webhooks = async (type: string) => (await t.db.knex('webhook_messages').where({ tenant_id: tenantId, event_type: type }).orderBy('created_at')).map((m) => m.payload.data);
  const interactions = (notificationId: string) => t.db.knex('interactions').where({ notification_id: notificationId }).orderBy('created_at').select('kind', 'source', 'channel', 'link', 'action', 'delivery_id', 'prefetch');
  const engagement = (notificationId: string) => t.db.knex('notifications').where({ id: notificationId }).first('opened_at', 'clicked_at');

  it('records an in-app read as an open, once, on the in-app delivery, with its webhook', async () => {
    const eventId = await c.post('com.acme.order.shipped', ['ada']);
    const token = await c.token('ada');
    const item = (await c.as(token).get('/v1/inbox').expect(200)).body.items[0];
    const delivery = await t.db.knex('deliveries').where({ notification_id: item.notificationId, channel: 'in_app' }).first('id');
    expect(await engagement(item.notificationId)).to.deep.equal({ opened_at: null, clicked_at: null });

    await c.as(token).patch(`/v1/inbox/${item.id}`).send({ read: true }).expect(200);
    await c.as(token).patch(`/v1/inbox/${item.id}`).send({ read: false }).expect(200);
    await c.as(token).patch(`/v1/inbox/${item.id}`).send({ read: true }).expect(200);

    expect(await interactions(item.notificationId)).to.deep.equal([{ kind: 'open', source: 'inbox', channel: 'in_app', link: null, action: null, delivery_id: delivery.id, prefetch: false }]);
    const { opened_at: openedAt } = await engagement(item.notificationId);
    expect(openedAt).to.be.an.instanceOf(Date);
    expect((await t.db.knex('deliveries').where({ id: delivery.id }).first('opened_at')).opened_at).to.deep.equal(openedAt);
    const announced = (await webhooks('io.clarion.interaction.open')).filter((d) => d.notificationId === item.notificationId);
    expect(announced).to.have.length(1);
    expect(announced[0]).to.include({ kind: 'open', channel: 'in_app', source: 'inbox', subscriberId: 'ada', deliveryId: delivery.id, first: true, prefetch: false });
    expect(eventId).to.be.a('string');
  });

  it('records an action button with a link as a click, one without as an action, and an archive as a dismissal', async () => {
    await c.post('com.acme.order.shipped', ['bea']);
    await c.post('com.acme.order.shipped', ['bea']);
    const token = await c.token('bea');
    const [second, first] = (await c.as(token).get('/v1/inbox').expect(200)).body.items;

    await c.as(token).post(`/v1/inbox/${first.id}/actions/track`).expect(200);
    expect(await interactions(first.notificationId)).to.deep.equal([
      { kind: 'open', source: 'inbox', channel: 'in_app', link: null, action: null, delivery_id: (await interactions(first.notificationId))[0].delivery_id, prefetch: false },
      { kind: 'click', source: 'inbox', channel: 'in_app', link: 'https://shop.example/track', action: 'track', delivery_id: (await interactions(first.notificationId))[0].delivery_id, prefetch: false },
    ]);
    const clicked = await engagement(first.notificationId);
    expect(clicked.clicked_at).to.be.an.instanceOf(Date);
    expect((await webhooks('io.clarion.interaction.click')).filter((d) => d.notificationId === first.notificationId)).to.have.length(1);

    await c.as(token).post(`/v1/inbox/${second.id}/actions/dismiss`).expect(200);
    await c.as(token).patch(`/v1/inbox/${second.id}`).send({ archived: true }).expect(200);
    expect((await interactions(second.notificationId)).map((i) => [i.kind, i.action])).to.deep.equal([['open', null], ['action', 'dismiss'], ['dismiss', null]]);
    // An action without a link is no click.
    expect((await engagement(second.notificationId)).clicked_at).to.equal(null);
    expect((await webhooks('io.clarion.interaction.action')).filter((d) => d.notificationId === second.notificationId)).to.have.length(1);
    expect((await webhooks('io.clarion.interaction.dismiss')).filter((d) => d.notificationId === second.notificationId)).to.have.length(1);

    // Analytics: the in-app channel's opens and clicks.
    await t.services.analytics.fold();
    const figures = (await c.api.get('/v1/analytics?groupBy=channel&channel=in_app').expect(200)).body.totals[0];
    expect(figures).to.deep.include({ opened: 3, clicked: 1 });
  });

  it('puts a signed open URL in tracked pushes; the app POSTing it records the open', async () => {
    const device = { platform: 'fcm', token: 'device-1' };
    await c.post('com.acme.pushed.tracked', [{ id: 'cy', devices: [device] }]);
    await c.post('com.acme.pushed.plain', [{ id: 'di', devices: [device] }]);
    await t.runJobsUntilIdle();
    const pushes = (await c.api.get('/v1/outbox?channel=push').expect(200)).body.items as Array<{ to: { id: string }; notificationId: string; deliveryId: string; content: { data?: Record<string, string> } }>;
    const tracked = pushes.find((p) => p.to.id === 'cy')!;
    const plain = pushes.find((p) => p.to.id === 'di')!;
    expect(plain.content.data?.clarion_open_url).to.equal(undefined);
    const url = tracked.content.data!.clarion_open_url;
    expect(url.startsWith(`${PUBLIC}/v1/track/open/`)).to.equal(true);
    const path = url.slice(PUBLIC.length);

    // A changed token is refused and records nothing.
    const tampered = path.slice(0, -2) + (path.endsWith('AA') ? 'BB' : 'AA');
    const refused = await request(t.callback).post(tampered).expect(400);
    expect(refused.headers['content-type']).to.include('application/problem+json');
    expect(refused.body.code).to.equal('CLARION_ERR_TRACKING_LINK_INVALID');
    expect(await interactions(tracked.notificationId)).to.deep.equal([]);

    // The app has no browser user agent: a POST is a deliberate open, never a prefetch.
    const res = await request(t.callback).post(path).expect(204);
    expect(res.headers['access-control-allow-origin']).to.equal('*');
    await request(t.callback).post(path).set('user-agent', 'okhttp/4.12').expect(204);
    expect(await interactions(tracked.notificationId)).to.deep.equal([
      { kind: 'open', source: 'api', channel: 'push', link: null, action: null, delivery_id: tracked.deliveryId, prefetch: false },
      { kind: 'open', source: 'api', channel: 'push', link: null, action: null, delivery_id: tracked.deliveryId, prefetch: false },
    ]);
    expect((await engagement(tracked.notificationId)).opened_at).to.be.an.instanceOf(Date);
    const announced = (await webhooks('io.clarion.interaction.open')).filter((d) => d.notificationId === tracked.notificationId);
    expect(announced.map((d) => [d.channel, d.source, d.first])).to.deep.equal([['push', 'api', true], ['push', 'api', false]]);
    // Nothing of it shows in another tenant's figures.
    await t.services.analytics.fold();
    expect((await other.api.get('/v1/analytics?channel=push').expect(200)).body.totals).to.deep.equal([]);
    expect((await c.api.get('/v1/analytics?channel=push').expect(200)).body.totals[0]).to.deep.include({ opened: 1 });
  });
});
