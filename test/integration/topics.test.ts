import { expect } from 'chai';
import request from 'supertest';
import { queuedJobs, testApp, type TestApp } from '../support/clarion.ts';

/**
 * Topics: audiences a tenant fills in bulk and events address as `topic:<key>`. The fan-out to a
 * topic is streamed in pages, each a job and a transaction of its own: the members when it began,
 * once each, never the event's own recipients nor its `exclude` list.
 */
describe('topics (integration)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let seq = 0;
  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true', CLARION_TOPIC_PAGE_SIZE: '3', CLARION_TOPIC_STREAMS: '1' } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
  });
  after(() => t.close());
  const call = (method: 'post' | 'put' | 'get' | 'delete', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const workflow = async (body: Record<string, unknown> = {}) => {
    const name = `topic.${++seq}`;
    await call('put', `/v1/workflows/${name}`).send({ trigger: `com.acme.${name}`, channels: ['in_app'], templates: { in_app: { title: 'Hi {{ subscriber.id }}', body: 'Hello' } }, ...body }).expect(201);
    return name;
  };
  const post = async (type: string, data: unknown) => {
    const res = await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `e-${++seq}`, source: '/test', type, data })).expect(202);
    return res.body.accepted[0].eventId as string;
  };
  const recipients = async (eventId: string) =>
    (await t.db.knex('notifications as n').join('subscribers as s', 's.id', 'n.subscriber_id').where('n.event_id', eventId).pluck('s.external_id')).sort();
  const members = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(2, '0')}`);

  describe('the REST API', () => {
    it('creates, updates, lists and deletes a topic', async () => {
      const created = await call('put', '/v1/topics/billing.customers').send({ name: 'Customers', description: 'Everyone billed' }).expect(201);
      expect(created.body).to.include({ key: 'billing.customers', name: 'Customers', description: 'Everyone billed', subscriberCount: 0 });
      const updated = await call('put', '/v1/topics/billing.customers').send({ name: 'All customers' }).expect(200);
      expect(updated.body).to.include({ name: 'All customers', description: null });
      await call('put', '/v1/topics/second').send({}).expect(201);
      const list = (await call('get', '/v1/topics?limit=1').expect(200)).body;
      expect(list.items.map((i: { key: string }) => i.key)).to.deep.equal(['second']);
      const next = (await call('get', `/v1/topics?limit=1&cursor=${list.nextCursor}`).expect(200)).body;
      expect(next.items.map((i: { key: string }) => i.key)).to.deep.equal(['billing.customers']);
      await call('delete', '/v1/topics/second').expect(204);
      await call('get', '/v1/topics/second').expect(404);
      await call('delete', '/v1/topics/second').expect(404);
      const audit = (await call('get', '/v1/audit?targetType=topic').expect(200)).body.items.map((e: { action: string }) => e.action);
      expect(audit).to.include.members(['topic.created', 'topic.updated', 'topic.deleted']);
    });

    it('adds and removes subscribers in bulk: unknown ids created bare, erased ones refused', async () => {
      await call('put', '/v1/topics/bulk').send({ name: 'Bulk' }).expect(201);
      await call('put', '/v1/subscribers/known').send({ name: 'Known' }).expect(201);
      await call('put', '/v1/subscribers/gone').send({ name: 'Gone' }).expect(201);
      await call('delete', '/v1/subscribers/gone').expect(204);
      const added = (await call('put', '/v1/topics/bulk/subscribers').send({ subscribers: ['known', 'fresh', 'gone', 'fresh'] }).expect(200)).body;
      expect(added).to.deep.equal({ added: 2, alreadyMembers: 0, created: 1, erased: ['gone'] });
      expect((await call('get', '/v1/subscribers/fresh').expect(200)).body).to.include({ name: null });
      const again = (await call('put', '/v1/topics/bulk/subscribers').send({ subscribers: ['known'] }).expect(200)).body;
      expect(again).to.deep.equal({ added: 0, alreadyMembers: 1, created: 0, erased: [] });
      expect((await call('get', '/v1/topics/bulk').expect(200)).body.subscriberCount).to.equal(2);
      const page = (await call('get', '/v1/topics/bulk/subscribers?limit=1').expect(200)).body;
      expect(page.items).to.have.length(1);
      const rest = (await call('get', `/v1/topics/bulk/subscribers?cursor=${page.nextCursor}`).expect(200)).body;
      expect([...page.items, ...rest.items].map((m: { subscriberId: string }) => m.subscriberId).sort()).to.deep.equal(['fresh', 'known']);
      expect((await call('delete', '/v1/topics/bulk/subscribers').send({ subscribers: ['fresh', 'stranger'] }).expect(200)).body).to.deep.equal({ removed: 1, notMembers: 1 });
      expect((await call('get', '/v1/topics/bulk').expect(200)).body.subscriberCount).to.equal(1);
      // The subscriber stays; only the membership went.
      await call('get', '/v1/subscribers/fresh').expect(200);
    });

    it('takes 10,000 ids in one call, refuses more, and changes nothing for a list with a bad id', async () => {
      await call('put', '/v1/topics/big').send({}).expect(201);
      const ids = members('big', 10_000);
      expect((await call('put', '/v1/topics/big/subscribers').send({ subscribers: ids }).expect(200)).body).to.include({ added: 10_000, created: 10_000 });
      const tooMany = await call('put', '/v1/topics/big/subscribers').send({ subscribers: [...ids, 'one-more'] }).expect(422);
      expect(tooMany.body.errors).to.deep.equal([{ pointer: '/subscribers', message: 'must NOT have more than 10000 items' }]);
      const bad = await call('put', '/v1/topics/big/subscribers').send({ subscribers: ['ok-new', 'not valid!', ''] }).expect(422);
      expect(bad.body.code).to.equal('CLARION_ERR_TOPIC_INVALID');
      expect(bad.body.errors.map((e: { pointer: string }) => e.pointer)).to.deep.equal(['/subscribers/1', '/subscribers/2']);
      await call('get', '/v1/subscribers/ok-new').expect(404);
      await call('put', '/v1/topics/nope/subscribers').send({ subscribers: ['x'] }).expect(404);
      expect((await call('put', '/v1/topics/has space').send({}).expect(422)).body.errors[0].pointer).to.equal('/path/key');
      await call('put', '/v1/topics/big').send({ name: 1 }).expect(422);
    });

    it("never shows or changes another tenant's topic", async () => {
      await call('put', '/v1/topics/private').send({ name: 'Mine' }).expect(201);
      await call('put', '/v1/topics/private/subscribers').send({ subscribers: ['mine-1'] }).expect(200);
      const other = await t.tenant('Other');
      const as = (method: 'get' | 'put' | 'delete', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${other.apiKey}`);
      await as('get', '/v1/topics/private').expect(404);
      await as('get', '/v1/topics/private/subscribers').expect(404);
      await as('delete', '/v1/topics/private').expect(404);
      await as('put', '/v1/topics/private/subscribers').send({ subscribers: ['intruder'] }).expect(404);
      expect((await as('get', '/v1/topics').expect(200)).body.items).to.deep.equal([]);
      // Its own topic of the same key holds its own members only.
      await as('put', '/v1/topics/private').send({}).expect(201);
      expect((await as('get', '/v1/topics/private').expect(200)).body.subscriberCount).to.equal(0);
      expect((await call('get', '/v1/topics/private').expect(200)).body.subscriberCount).to.equal(1);
    });
  });

  describe('fan-out', () => {
    it('streams a topic in pages: members at the start, once each, not the actor, not those who left before their page', async () => {
      const name = await workflow();
      const ids = members('m', 8);
      await call('put', '/v1/topics/weekly').send({}).expect(201);
      await call('put', '/v1/topics/weekly/subscribers').send({ subscribers: ids }).expect(200);
      // Pages go in subscriber (row) id order: the last one in that order leaves mid-way.
      const order: string[] = await t.db.knex('subscribers').where({ tenant_id: tenantId }).whereIn('external_id', ids).orderBy('id').pluck('external_id');
      const others = order.filter((id) => id !== ids[3]);
      const leaver = others.at(-1)!;
      const actor = others[0];
      // The event names the topic, one member directly (one notification, not two), and its actor.
      const eventId = await post(`com.acme.${name}`, { recipients: ['topic:weekly', ids[3], 'outsider'], exclude: [actor] });
      expect(await t.services.notifications.processEvent(eventId, tenantId, `com.acme.${name}`)).to.deep.equal({ notifications: 2 });
      const [fanOut] = (await call('get', `/v1/events/${eventId}`).expect(200)).body.topicFanOuts;
      expect(fanOut).to.include({ workflow: name, status: 'running', pages: 0, notifications: 0 });
      expect(fanOut.topics).to.deep.equal(['weekly']);

      // Page 1, then a subscriber joins and another leaves.
      expect(await t.services.notifications.topicPage(fanOut.id, tenantId)).to.deep.equal({ notifications: 3, done: false });
      await call('put', '/v1/topics/weekly/subscribers').send({ subscribers: ['latecomer'] }).expect(200);
      await call('delete', '/v1/topics/weekly/subscribers').send({ subscribers: [leaver] }).expect(200);
      // The page's job runs again (a worker lost its completion): it continues, it does not repeat.
      await t.runJobsUntilIdle();

      const expected = ids.filter((id) => id !== actor && id !== leaver).concat('outsider').sort();
      expect(await recipients(eventId)).to.deep.equal(expected);
      const done = (await call('get', `/v1/events/${eventId}`).expect(200)).body;
      expect(done.topicFanOuts[0]).to.include({ status: 'done', notifications: 5 });
      expect(done.topicFanOuts[0].finishedAt).to.be.a('string');
      // Every notification got its in-app delivery.
      const statuses = await t.db.knex('deliveries as d').join('notifications as n', 'n.id', 'd.notification_id').where('n.event_id', eventId).pluck('d.status');
      expect(statuses).to.have.length(expected.length);
      expect(new Set(statuses)).to.deep.equal(new Set(['delivered']));
      expect(await queuedJobs(t.db.knex, 'fan_out_topic')).to.deep.equal([]);
    });

    it('notifies a member of two topics once, and reports topics that do not exist', async () => {
      const name = await workflow();
      await call('put', '/v1/topics/a').send({}).expect(201);
      await call('put', '/v1/topics/b').send({}).expect(201);
      await call('put', '/v1/topics/a/subscribers').send({ subscribers: ['both', 'only-a'] }).expect(200);
      await call('put', '/v1/topics/b/subscribers').send({ subscribers: ['both', 'only-b', 'b-2', 'b-3'] }).expect(200);
      const eventId = await post(`com.acme.${name}`, { recipients: ['topic:a', 'topic:b', 'topic:missing', 'topic:'] });
      await t.runJobsUntilIdle();
      expect(await recipients(eventId)).to.deep.equal(['b-2', 'b-3', 'both', 'only-a', 'only-b']);
      const event = (await call('get', `/v1/events/${eventId}`).expect(200)).body;
      expect(event.error.split('\n')).to.deep.equal([
        `${name}: recipients[3]: "topic:" does not name a topic (topic:<key>, the key 1-100 letters, digits and . _ -)`,
        `${name}: recipients[2]: no topic missing (create it with PUT /v1/topics/missing)`,
      ]);
      expect(event.topicFanOuts[0]).to.include({ status: 'done', notifications: 5, pages: 2 });
      expect(event.topicFanOuts[0].topics).to.deep.equal(['a', 'b']);
    });

    it("sends each member through the workflow's plugins when they decide (an opt-out), and skips erased members", async () => {
      const name = await workflow({ category: 'news' });
      await call('put', '/v1/topics/news').send({}).expect(201);
      await call('put', '/v1/topics/news/subscribers').send({ subscribers: ['reader-1', 'reader-2', 'reader-3', 'reader-4', 'opted-out', 'erased-one'] }).expect(200);
      await call('put', '/v1/subscribers/opted-out/preferences').send({ settings: { categories: { news: { enabled: false } } } }).expect(200);
      await call('delete', '/v1/subscribers/erased-one').expect(204);
      const eventId = await post(`com.acme.${name}`, { recipients: 'topic:news' });
      await t.runJobsUntilIdle();
      const rows = await t.db.knex('notifications as n').join('subscribers as s', 's.id', 'n.subscriber_id').where('n.event_id', eventId).select('s.external_id', 'n.status');
      expect(Object.fromEntries(rows.map((r) => [r.external_id, r.status]))).to.deep.equal({ 'reader-1': 'delivered', 'reader-2': 'delivered', 'reader-3': 'delivered', 'reader-4': 'delivered', 'opted-out': 'suppressed' });
    });

    it('takes topics from a workflow whose fixed recipients name them', async () => {
      await call('put', '/v1/topics/ops').send({}).expect(201);
      await call('put', '/v1/topics/ops/subscribers').send({ subscribers: ['op-1', 'op-2'] }).expect(200);
      const name = await workflow({ recipients: ['topic:ops'] });
      const eventId = await post(`com.acme.${name}`, { exclude: 'op-2' });
      await t.runJobsUntilIdle();
      expect(await recipients(eventId)).to.deep.equal(['op-1']);
    });

    it('splits a large topic into streams over ranges of subscriber ids, each member notified once', async () => {
      const streamed = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true', CLARION_TOPIC_PAGE_SIZE: '3', CLARION_TOPIC_STREAMS: '4' } });
      try {
        const tenant = await streamed.tenant('Streams', { acceptUnvalidatedTypes: true });
        const as = (method: 'post' | 'put' | 'get', url: string) => request(streamed.callback)[method](url).set('authorization', `Bearer ${tenant.apiKey}`);
        await as('put', '/v1/workflows/wide').send({ trigger: 'com.acme.wide', channels: ['in_app'], templates: { in_app: { title: 'Hi', body: 'Hello' } } }).expect(201);
        await as('put', '/v1/topics/wide').send({}).expect(201);
        const ids = members('w', 40);
        await as('put', '/v1/topics/wide/subscribers').send({ subscribers: ids }).expect(200);
        const res = await as('post', '/v1/events').set('content-type', 'application/cloudevents+json').send(JSON.stringify({ specversion: '1.0', id: 'wide-1', source: '/test', type: 'com.acme.wide', data: { recipients: 'topic:wide' } })).expect(202);
        const eventId = res.body.accepted[0].eventId;
        await streamed.runJobsUntilIdle(60);
        const got = await streamed.db.knex('notifications as n').join('subscribers as s', 's.id', 'n.subscriber_id').where('n.event_id', eventId).pluck('s.external_id');
        expect(got.sort()).to.deep.equal(ids);
        const [fanOut] = (await as('get', `/v1/events/${eventId}`).expect(200)).body.topicFanOuts;
        expect(fanOut).to.include({ status: 'done', streams: 4, notifications: 40 });
        expect(await streamed.db.knex('topic_fan_outs').where({ event_id: eventId }).orderBy('range_from', 'asc').pluck('range_from')).to.deep.equal(['40000000-0000-0000-0000-000000000000', '80000000-0000-0000-0000-000000000000', 'c0000000-0000-0000-0000-000000000000', null]);
      } finally {
        await streamed.close();
      }
    });

    it('leaves out an excluded actor named directly or as a member of a team', async () => {
      const name = await workflow();
      await call('put', '/v1/subscribers/lead').send({ teams: ['crew'] }).expect(201);
      await call('put', '/v1/subscribers/hand').send({ teams: ['crew'] }).expect(201);
      const eventId = await post(`com.acme.${name}`, { recipients: ['team:crew', 'lead', 'guest'], exclude: ['lead', 42] });
      await t.runJobsUntilIdle();
      expect(await recipients(eventId)).to.deep.equal(['guest', 'hand']);
      expect((await call('get', `/v1/events/${eventId}`).expect(200)).body.error).to.equal(`${name}: exclude (/data/exclude)[1]: must be a subscriber id`);
      // The one-statement path (ids only) leaves the actor out too.
      const direct = await post(`com.acme.${name}`, { recipients: ['lead', 'guest'], exclude: 'lead' });
      await t.runJobsUntilIdle();
      expect(await recipients(direct)).to.deep.equal(['guest']);
    });
  });
});
