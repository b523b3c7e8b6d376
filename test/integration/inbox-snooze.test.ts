import { expect } from 'chai';
import { ManualClock } from '../support/clock.ts';
import { testApp, queuedJobs, type TestApp } from '../support/clarion.ts';
import { advance, clients, inAppWorkflow } from '../support/inbox.ts';

const HOUR = 3600_000;

/** A snoozed item leaves the inbox and comes back, unread, at its time: a job on the injected clock, no sleeping. */
describe('inbox snooze', function () {
  this.timeout(60_000);
  let t: TestApp;
  let clock: ManualClock;
  let c: ReturnType<typeof clients>;
  let ada: string;

  before(async () => {
    clock = new ManualClock();
    t = await testApp({ clock });
    const { apiKey } = await t.tenant('Acme', { acceptUnvalidatedTypes: true });
    c = clients(t, apiKey);
    await c.api.put('/v1/workflows/order.shipped').send(inAppWorkflow('com.acme.order.shipped')).expect(201);
    ada = await c.token('ada', { ttlSeconds: 86_400 });
  });
  after(() => t.close());

  const inbox = async () => (await c.as(ada).get('/v1/inbox').expect(200)).body.items as Array<{ id: string; readAt: string | null; seenAt: string | null; surfacedAt: string }>;

  it('hides a snoozed item until its time, then brings it back unread at the top', async () => {
    await c.post('com.acme.order.shipped', ['ada']);
    await c.post('com.acme.order.shipped', ['ada']);
    const [newer, older] = await inbox();
    await c.as(ada).patch(`/v1/inbox/${older.id}`).send({ read: true }).expect(200);
    const until = new Date(clock.now().getTime() + 2 * HOUR).toISOString();
    const snoozed = await c.as(ada).patch(`/v1/inbox/${older.id}`).send({ snoozedUntil: until }).expect(200);
    expect(snoozed.body.snoozedUntil).to.equal(until);

    expect((await inbox()).map((i) => i.id)).to.deep.equal([newer.id]);
    expect((await c.as(ada).get('/v1/inbox?status=snoozed').expect(200)).body.items.map((i: { id: string }) => i.id)).to.deep.equal([older.id]);
    expect((await c.as(ada).get('/v1/inbox/counts').expect(200)).body).to.include({ total: 1, unread: 1 });
    const jobs = await queuedJobs(t.db.knex, 'unsnooze_inbox_item');
    expect(jobs.map((j) => j.payload)).to.deep.equal([{ itemId: older.id, tenantId: (await t.db.knex('inbox_items').where({ id: older.id }).first('tenant_id')).tenant_id }]);

    await advance(t, clock, HOUR);
    expect((await inbox()).map((i) => i.id), 'not yet').to.deep.equal([newer.id]);

    await advance(t, clock, HOUR + 1000);
    const back = await inbox();
    expect(back.map((i) => i.id)).to.deep.equal([older.id, newer.id]);
    expect(back[0]).to.include({ readAt: null, seenAt: null, surfacedAt: clock.now().toISOString() });
    expect((await c.as(ada).get('/v1/inbox/counts').expect(200)).body).to.include({ total: 2, unread: 2 });
    const change = await t.db.knex('inbox_changes').orderBy('seq', 'desc').first('change');
    expect(change.change).to.deep.include({ type: 'item.updated', reason: 'unsnoozed' });
    expect(await queuedJobs(t.db.knex, 'unsnooze_inbox_item')).to.deep.equal([]);
  });

  it('moves the return when snoozed again, and brings it back at once when unsnoozed', async () => {
    const [item] = await inbox();
    await c.as(ada).patch(`/v1/inbox/${item.id}`).send({ snoozedUntil: new Date(clock.now().getTime() + HOUR).toISOString() }).expect(200);
    await c.as(ada).patch(`/v1/inbox/${item.id}`).send({ snoozedUntil: new Date(clock.now().getTime() + 3 * HOUR).toISOString() }).expect(200);
    expect(await queuedJobs(t.db.knex, 'unsnooze_inbox_item'), 'one job, replaced').to.have.length(1);
    await advance(t, clock, HOUR + 1000);
    expect((await inbox()).map((i) => i.id)).to.not.include(item.id);

    await c.as(ada).patch(`/v1/inbox/${item.id}`).send({ snoozedUntil: null }).expect(200);
    expect((await inbox()).map((i) => i.id)[0]).to.equal(item.id);
    expect(await queuedJobs(t.db.knex, 'unsnooze_inbox_item')).to.deep.equal([]);
  });

  it('does nothing for a job whose snooze was cancelled meanwhile', async () => {
    const [item] = await inbox();
    expect(await t.services.inbox.feed.wake(item.id, (await t.db.knex('inbox_items').where({ id: item.id }).first('tenant_id')).tenant_id)).to.equal('skipped');
  });
});
