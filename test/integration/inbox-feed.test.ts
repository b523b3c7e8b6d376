import { expect } from 'chai';
import { ManualClock } from '../support/clock.ts';
import { testApp, type TestApp } from '../support/clarion.ts';
import { advance, clients, inAppWorkflow } from '../support/inbox.ts';

type Item = { id: string; notificationId: string; title: string; readAt: string | null; seenAt: string | null; archivedAt: string | null; snoozedUntil: string | null; actions: Array<{ key: string; style: string; url: string | null }>; category: string; tags: string[]; workflow: string; action: { key: string } | null };

/**
 * The feed API as a subscriber's browser uses it: list with filters and cursors, counts, item
 * states, bulk marks and action buttons; and where those states go: the notification's status,
 * the audit trail, the outgoing webhooks, the escalation.
 */
describe('inbox feed API', function () {
  this.timeout(60_000);
  let t: TestApp;
  let clock: ManualClock;
  let c: ReturnType<typeof clients>;
  let tenantId: string;
  let ada: string;

  before(async () => {
    // A day ahead: nothing scheduled on this clock is due for the worker by itself.
    clock = new ManualClock();
    t = await testApp({ clock, env: { CLARION_WEBHOOK_ALLOWLIST: '127.0.0.1' } });
    let apiKey: string;
    ({ tenantId, apiKey } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    c = clients(t, apiKey);
    await c.api.put('/v1/workflows/order.shipped').send(inAppWorkflow('com.acme.order.shipped')).expect(201);
    await c.api.put('/v1/workflows/invoice.due').send(inAppWorkflow('com.acme.invoice.due', { category: 'billing', tags: ['money'] })).expect(201);
    await c.api.post('/v1/webhooks/endpoints').send({ url: 'http://127.0.0.1:9/hooks' }).expect(201);
    ada = await c.token('ada');
  });
  after(() => t.close());

  const webhooks = async (type: string) => (await t.db.knex('webhook_messages').where({ tenant_id: tenantId, event_type: type }).orderBy('created_at')).map((m) => m.payload.data);

  it('lists the subscriber\'s items, newest first, filed under their workflow\'s category and tags, with the template\'s buttons', async () => {
    await c.post('com.acme.order.shipped', ['ada', 'bob']);
    await c.post('com.acme.invoice.due', ['ada']);
    const { body } = await c.as(ada).get('/v1/inbox').expect(200);
    expect(body.items.map((i: Item) => i.workflow)).to.deep.equal(['invoice.due', 'order.shipped']);
    const order = body.items[1] as Item;
    expect(order).to.include({ category: 'orders', readAt: null, seenAt: null, archivedAt: null, snoozedUntil: null, action: null });
    expect(order.tags).to.deep.equal(['shop']);
    expect(order.title).to.match(/^Order \d+ shipped$/);
    expect(order.actions).to.deep.equal([
      { key: 'track', label: 'Track', url: 'https://shop.example/track', style: 'primary' },
      { key: 'dismiss', label: 'Dismiss', url: null, style: 'secondary' },
    ]);
    // Bob's copy is not Ada's to see.
    expect(body.items).to.have.length(2);
  });

  it('pages with cursors, and filters by category, workflow, tags, status and time', async () => {
    for (let i = 0; i < 3; i++) await c.post('com.acme.order.shipped', ['ada']);
    const first = await c.as(ada).get('/v1/inbox?limit=2').expect(200);
    const second = await c.as(ada).get(`/v1/inbox?limit=2&cursor=${first.body.nextCursor}`).expect(200);
    const third = await c.as(ada).get(`/v1/inbox?limit=2&cursor=${second.body.nextCursor}`).expect(200);
    const ids = [...first.body.items, ...second.body.items, ...third.body.items].map((i: Item) => i.id);
    expect(ids).to.have.length(5);
    expect(new Set(ids).size).to.equal(5);
    expect(third.body.nextCursor).to.equal(null);

    expect((await c.as(ada).get('/v1/inbox?category=billing').expect(200)).body.items.map((i: Item) => i.workflow)).to.deep.equal(['invoice.due']);
    expect((await c.as(ada).get('/v1/inbox?workflow=order.shipped').expect(200)).body.items).to.have.length(4);
    expect((await c.as(ada).get('/v1/inbox?tags=money,other').expect(200)).body.items).to.have.length(1);
    // A repeat adds to the list, as a comma does; spaces around the names are dropped.
    expect((await c.as(ada).get('/v1/inbox?tags=money&tags=other').expect(200)).body.items).to.have.length(1);
    expect((await c.as(ada).get('/v1/inbox?tags=%20money%20,%20other').expect(200)).body.items).to.have.length(1);
    expect((await c.as(ada).get('/v1/inbox?status=read').expect(200)).body.items).to.have.length(0);
    expect((await c.as(ada).get(`/v1/inbox?since=${new Date(Date.now() + 60_000).toISOString()}`).expect(200)).body.items).to.have.length(0);
    expect((await c.as(ada).get(`/v1/inbox?until=${new Date(Date.now() + 60_000).toISOString()}`).expect(200)).body.items).to.have.length(5);
  });

  it('counts total, unread and unseen, per category', async () => {
    const { body } = await c.as(ada).get('/v1/inbox/counts').expect(200);
    expect(body).to.deep.equal({
      total: 5, unread: 5, unseen: 5,
      categories: [{ category: 'billing', total: 1, unread: 1, unseen: 1 }, { category: 'orders', total: 4, unread: 4, unseen: 4 }],
    });
    expect((await c.as(ada).get('/v1/inbox/counts?category=billing').expect(200)).body).to.include({ total: 1, unread: 1 });
  });

  it('seen and read flow into the notification: status, audit, webhooks, the in-app delivery', async () => {
    const [item] = (await c.as(ada).get('/v1/inbox?workflow=invoice.due').expect(200)).body.items as Item[];
    const seen = await c.as(ada).patch(`/v1/inbox/${item.id}`).send({ seen: true }).expect(200);
    expect(seen.body.seenAt).to.equal(clock.now().toISOString());
    let notification = (await c.api.get(`/v1/notifications/${item.notificationId}`).expect(200)).body;
    expect(notification.status).to.equal('seen');

    const read = await c.as(ada).patch(`/v1/inbox/${item.id}`).send({ read: true }).expect(200);
    expect(read.body.readAt).to.equal(clock.now().toISOString());
    notification = (await c.api.get(`/v1/notifications/${item.notificationId}`).expect(200)).body;
    expect(notification.status).to.equal('read');
    expect(notification.deliveries.map((d: { channel: string; status: string }) => [d.channel, d.status])).to.deep.equal([['in_app', 'read']]);

    // Unread again: the item shows unread, the notification stays read (it was read), nothing is announced twice.
    await c.as(ada).patch(`/v1/inbox/${item.id}`).send({ read: false }).expect(200);
    await c.as(ada).patch(`/v1/inbox/${item.id}`).send({ read: true }).expect(200);
    expect((await c.api.get(`/v1/notifications/${item.notificationId}`).expect(200)).body.status).to.equal('read');
    expect((await webhooks('io.clarion.notification.seen')).map((d) => d.notificationId)).to.deep.equal([item.notificationId]);
    const reads = await webhooks('io.clarion.notification.read');
    expect(reads).to.have.length(1);
    expect(reads[0]).to.include({ notificationId: item.notificationId, subscriberId: 'ada', status: 'read', itemId: item.id, via: 'in_app', workflow: 'invoice.due' });
    const audits = (await t.db.knex('audit_logs').where({ tenant_id: tenantId, target_id: item.notificationId }).whereLike('action', 'notification.%').orderBy('id')).map((a) => [a.action, a.actor]);
    expect(audits).to.deep.include.members([['notification.seen', 'subscriber:ada'], ['notification.read', 'subscriber:ada']]);
  });

  it('archives and brings back; archived items leave the inbox and its counts', async () => {
    const [item] = (await c.as(ada).get('/v1/inbox?workflow=order.shipped&limit=1').expect(200)).body.items as Item[];
    await c.as(ada).patch(`/v1/inbox/${item.id}`).send({ archived: true }).expect(200);
    expect((await c.as(ada).get('/v1/inbox').expect(200)).body.items.map((i: Item) => i.id)).to.not.include(item.id);
    expect((await c.as(ada).get('/v1/inbox?status=archived').expect(200)).body.items.map((i: Item) => i.id)).to.deep.equal([item.id]);
    expect((await c.as(ada).get('/v1/inbox/counts').expect(200)).body.total).to.equal(4);
    expect((await c.api.get(`/v1/notifications/${item.notificationId}`).expect(200)).body.status).to.equal('archived');
    expect((await webhooks('io.clarion.notification.archived')).map((d) => d.itemId)).to.deep.equal([item.id]);
    await c.as(ada).patch(`/v1/inbox/${item.id}`).send({ archived: false }).expect(200);
    expect((await c.as(ada).get('/v1/inbox/counts').expect(200)).body.total).to.equal(5);
  });

  it('records the action button taken: the item is read, the webhook says which', async () => {
    const [item] = (await c.as(ada).get('/v1/inbox?workflow=order.shipped&status=unread&limit=1').expect(200)).body.items as Item[];
    const taken = await c.as(ada).post(`/v1/inbox/${item.id}/actions/track`).expect(200);
    expect(taken.body.action.key).to.equal('track');
    expect(taken.body.readAt).to.not.equal(null);
    await c.as(ada).post(`/v1/inbox/${item.id}/actions/track`).expect(200);
    const actions = await webhooks('io.clarion.notification.action');
    expect(actions).to.have.length(1);
    expect(actions[0]).to.deep.include({ itemId: item.id, action: { key: 'track', label: 'Track', url: 'https://shop.example/track' }, subscriberId: 'ada' });
    const unknown = await c.as(ada).post(`/v1/inbox/${item.id}/actions/launch`).expect(404);
    expect(unknown.body).to.include({ code: 'CLARION_ERR_INBOX_ACTION_UNKNOWN' });
    expect(unknown.body.actions).to.deep.equal(['track', 'dismiss']);
    expect((await t.db.knex('audit_logs').where({ tenant_id: tenantId, action: 'notification.action_taken', target_id: item.notificationId })).map((a) => a.summary.action)).to.deep.equal(['track']);
  });

  it('marks in bulk: all seen, all read, archive the read ones, or a filter\'s', async () => {
    expect((await c.as(ada).post('/v1/inbox/mark').send({ action: 'seen', filter: { category: ['orders'] } }).expect(200)).body.updated).to.be.greaterThan(0);
    expect((await c.as(ada).get('/v1/inbox/counts?category=orders').expect(200)).body.unseen).to.equal(0);
    const marked = await c.as(ada).post('/v1/inbox/mark').send({ action: 'read' }).expect(200);
    expect(marked.body).to.deep.equal({ updated: 3, more: false });
    expect((await c.as(ada).get('/v1/inbox/counts').expect(200)).body).to.include({ unread: 0, unseen: 0 });
    const statuses = (await t.db.knex('notifications').where({ 'notifications.tenant_id': tenantId }).join('subscribers as s', 's.id', 'notifications.subscriber_id').where('s.external_id', 'ada').select('notifications.status')).map((n) => n.status);
    expect(statuses.every((s) => ['read', 'archived'].includes(s)), statuses.join()).to.equal(true);
    const archived = await c.as(ada).post('/v1/inbox/mark').send({ action: 'archive_read' }).expect(200);
    expect(archived.body.updated).to.equal(5);
    expect((await c.as(ada).get('/v1/inbox/counts').expect(200)).body.total).to.equal(0);
    expect((await c.as(ada).post('/v1/inbox/mark').send({ action: 'read' }).expect(200)).body).to.deep.equal({ updated: 0, more: false });
  });

  it('reading acknowledges, stopping an escalation, only when the workflow says so', async () => {
    const escalating = (acks: boolean) => inAppWorkflow(`com.acme.page.${acks}`, {
      category: 'ops', priority: 'high', inAppReadAcknowledges: acks, templates: { in_app: { title: 'Page', body: 'Disk full' }, sms: { text: 'Disk full' } },
      plugins: { escalation: { steps: [{ delaySeconds: 0, channels: ['in_app'] }, { delaySeconds: 300, channels: ['sms'] }] } },
    });
    await c.api.put('/v1/workflows/page.acks').send(escalating(true)).expect(201);
    await c.api.put('/v1/workflows/page.reads').send(escalating(false)).expect(201);
    await c.post('com.acme.page.true', ['ada']);
    await c.post('com.acme.page.false', ['ada']);
    const items = (await c.as(ada).get('/v1/inbox?category=ops').expect(200)).body.items as Item[];
    for (const item of items) await c.as(ada).patch(`/v1/inbox/${item.id}`).send({ read: true }).expect(200);
    await advance(t, clock, 301_000);
    const byWorkflow = Object.fromEntries(
      await Promise.all(items.map(async (i) => [i.workflow, (await c.api.get(`/v1/notifications/${i.notificationId}`).expect(200)).body])),
    );
    expect(byWorkflow['page.acks'].status).to.equal('acknowledged');
    expect(byWorkflow['page.acks'].escalation.steps.map((s: { status: string }) => s.status)).to.deep.equal(['fired', 'cancelled']);
    expect(byWorkflow['page.reads'].status).to.equal('read');
    expect(byWorkflow['page.reads'].escalation.steps.map((s: { status: string }) => s.status)).to.deep.equal(['fired', 'fired']);
    expect((await webhooks('io.clarion.notification.acknowledged')).map((d) => d.via)).to.deep.equal(['in_app read']);
  });

  it('gives each token its own subscriber\'s items only', async () => {
    const bob = await c.token('bob');
    const [bobs] = (await c.as(bob).get('/v1/inbox').expect(200)).body.items as Item[];
    expect(bobs).to.not.equal(undefined);
    for (const [method, url, body] of [['patch', `/v1/inbox/${bobs.id}`, { read: true }], ['post', `/v1/inbox/${bobs.id}/actions/track`, undefined]] as const) {
      const res = await c.as(ada)[method](url).send(body).expect(404);
      expect(res.body.code).to.equal('CLARION_ERR_INBOX_ITEM_NOT_FOUND');
    }
    expect((await c.as(ada).post('/v1/inbox/mark').send({ action: 'read', ids: [bobs.id] }).expect(200)).body.updated).to.equal(0);
    expect((await c.as(bob).get('/v1/inbox').expect(200)).body.items[0].readAt).to.equal(null);
    const readOnly = await c.token('ada', { scopes: ['inbox:read'] });
    await c.as(readOnly).get('/v1/inbox').expect(200);
    expect((await c.as(readOnly).post('/v1/inbox/mark').send({ action: 'read' }).expect(403)).body.code).to.equal('CLARION_ERR_INBOX_SCOPE_MISSING');
    expect((await c.as(readOnly).get('/v1/inbox/preferences').expect(403)).body.code).to.equal('CLARION_ERR_INBOX_SCOPE_MISSING');
    const missing = await c.as('').get('/v1/inbox');
    expect(missing.status).to.equal(401);
    expect((await c.as('ck_an-api-key-is-not-a-subscriber').get('/v1/inbox').expect(401)).body.code).to.equal('CLARION_ERR_INBOX_AUTH_INVALID');
  });

  it('lets the subscriber switch their own channels per category, and nobody else\'s', async () => {
    const before = await c.as(ada).get('/v1/inbox/preferences').expect(200);
    expect(before.body.subscriberId).to.equal('ada');
    const after = await c.as(ada).patch('/v1/inbox/preferences').send({ settings: { categories: { orders: { in_app: false } } } }).expect(200);
    expect(after.body.settings).to.deep.equal({ categories: { orders: { in_app: false } } });
    await c.as(ada).patch('/v1/inbox/preferences').send({ settings: { categories: { billing: { email: false } } } }).expect(200);
    const merged = (await c.api.get('/v1/subscribers/ada/preferences').expect(200)).body.settings;
    expect(merged).to.deep.equal({ categories: { orders: { in_app: false }, billing: { email: false } } });
    expect((await c.api.get('/v1/subscribers/bob/preferences').expect(200)).body.settings).to.deep.equal({});
    const bad = await c.as(ada).patch('/v1/inbox/preferences').send({ settings: { categories: { orders: { fax: false } } } }).expect(422);
    expect(bad.body.errors[0].pointer).to.match(/^\/settings\/categories\/orders/);
  });

  it('names the field of every bad request', async () => {
    const [item] = (await c.as(ada).get('/v1/inbox?status=all&limit=1').expect(200)).body.items as Item[];
    const queries: Array<[string, string]> = [
      ['/v1/inbox?status=pending', '/query/status'],
      ['/v1/inbox?limit=0', '/query/limit'],
      ['/v1/inbox?cursor=nonsense', '/query/cursor'],
      ['/v1/inbox?category=Orders!', '/query/category'],
      ['/v1/inbox?since=yesterday', '/query/since'],
      ['/v1/inbox?until=2026-13-45T00:00:00Z', '/query/until'],
      ['/v1/inbox?tags=a,B', '/query/tags'],
      ['/v1/inbox/counts?status=unread', '/query/status'],
      ['/v1/inbox/counts?workflow=-x', '/query/workflow'],
    ];
    for (const [url, pointer] of queries) {
      const res = await c.as(ada).get(url).expect(400);
      expect(res.headers['content-type'], url).to.match(/^application\/problem\+json/);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer), url).to.include(pointer);
    }
    const patches: Array<[unknown, string]> = [
      [{ seen: false }, '/seen'],
      [{ read: 'yes' }, '/read'],
      [{ archived: 1 }, '/archived'],
      [{ snoozedUntil: 'tomorrow' }, '/snoozedUntil'],
      [{ snoozedUntil: new Date(clock.now().getTime() - 1000).toISOString() }, '/snoozedUntil'],
      [{ snoozedUntil: new Date(clock.now().getTime() + 91 * 24 * 3600_000).toISOString() }, '/snoozedUntil'],
      [{ pinned: true }, '/pinned'],
      [{}, ''],
    ];
    for (const [body, pointer] of patches) {
      const res = await c.as(ada).patch(`/v1/inbox/${item.id}`).send(body as object).expect(422);
      expect(res.body.code).to.equal('CLARION_ERR_INBOX_INVALID');
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(body)).to.include(pointer);
    }
    const marks: Array<[unknown, string]> = [
      [{}, '/action'],
      [{ action: 'delete' }, '/action'],
      [{ action: 'read', ids: ['x'] }, '/ids/0'],
      [{ action: 'read', filter: { category: 'orders' } }, '/filter/category'],
      [{ action: 'read', filter: { since: 'now' } }, '/filter/since'],
      [{ action: 'read', filter: { colour: 'red' } }, '/filter/colour'],
    ];
    for (const [body, pointer] of marks) {
      const res = await c.as(ada).post('/v1/inbox/mark').send(body as object).expect(422);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(body)).to.include(pointer);
    }
    expect((await c.as(ada).patch('/v1/inbox/not-a-uuid').send({ read: true }).expect(404)).body.code).to.equal('CLARION_ERR_INBOX_ITEM_NOT_FOUND');
    expect((await c.as(ada).patch(`/v1/inbox/${item.id}`).set('content-type', 'text/plain').send('read').expect(415)).body.code).to.equal('CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE');
    expect((await c.as(ada).patch(`/v1/inbox/${item.id}`).set('content-type', 'application/json').send('{"read": tru').expect(400)).body.code).to.equal('CLARION_ERR_HTTP_MALFORMED_JSON');
  });
});
