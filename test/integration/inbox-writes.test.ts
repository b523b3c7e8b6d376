import { expect } from 'chai';
import pg from 'pg';
import request from 'supertest';
import type { OutboundMessage } from '@clarion/adapter-kit';
import { INBOX_CHANNEL, type InboxAnnouncement } from '../../core/realtime/changes.ts';
import { InboxWrites } from '../../core/realtime/inbox-writes.ts';
import { testApp, type TestApp } from '../support/clarion.ts';

/**
 * The in-app puts made together share one transaction (core/realtime/inbox-writes.ts): one
 * commit, one announcement per change. Which puts shared a transaction is read from the rows'
 * transaction ids (xmin); the announcements are heard on a LISTEN connection of the test's own.
 */
describe('batched in-app puts (integration)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let listener: pg.Client;
  const heard: InboxAnnouncement[] = [];
  let seq = 0;
  const PEOPLE = ['ada', 'bob', 'cy', 'dee'];

  /** One notification per person, from one event: the notification ids by person. */
  async function notificationsFor(people: string[]): Promise<Map<string, string>> {
    const posted = await request(t.callback).post('/v1/events').set('authorization', `Bearer ${key}`)
      .set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `puts-${++seq}`, source: '/shop', type: 'com.acme.puts', data: { recipients: people.map((id) => ({ id })) } }))
      .expect(202);
    const eventId = posted.body.accepted[0].eventId;
    await t.services.notifications.processEvent(eventId, tenantId);
    const rows = await t.db.knex('notifications as n').join('subscribers as s', 's.id', 'n.subscriber_id').where('n.event_id', eventId).select('n.id', 's.external_id');
    return new Map(rows.map((r) => [r.external_id, r.id]));
  }

  function message(person: string, notificationId: string, title: string, extra: Partial<OutboundMessage> = {}): OutboundMessage {
    return { tenantId, notificationId, deliveryId: notificationId, channel: 'in_app', priority: 'normal', locale: 'en', to: { id: person }, content: { title, body: 'Hello' }, metadata: { workflow: 'puts.inbox' }, ...extra };
  }

  function writes(): InboxWrites {
    return new InboxWrites({ knex: t.db.knex, workflows: t.services.workflows, subscriberIds: (db, s) => t.services.subscribers.idsOf(db, s) });
  }

  const itemOf = (a: InboxAnnouncement): string => (a.c && 'item' in a.c ? (a.c.item.id as string) : '');
  const xmins = async (ids: string[]) => new Map((await t.db.knex('inbox_items').whereIn('id', ids).select('id', t.db.knex.raw('xmin::text as xmin'))).map((r) => [r.id, r.xmin]));
  /** The announcements heard for these items, once every one of them has been (NOTIFY arrives after commit). */
  async function announced(itemIds: string[]): Promise<InboxAnnouncement[]> {
    const of = () => heard.filter((a) => itemIds.includes(itemOf(a)));
    while (of().length < itemIds.length) await new Promise((resolve) => listener.once('notification', resolve));
    return of();
  }

  before(async () => {
    t = await testApp();
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    await request(t.callback).put('/v1/workflows/puts.inbox').set('authorization', `Bearer ${key}`)
      .send({ trigger: 'com.acme.puts', channels: ['in_app'], category: 'orders', templates: { in_app: { title: 'Order', body: 'Hello' } } })
      .expect(201);
    listener = new pg.Client({ connectionString: t.db.url });
    await listener.connect();
    listener.on('notification', (n) => {
      if (n.channel === INBOX_CHANNEL) heard.push(JSON.parse(n.payload!));
    });
    await listener.query(`listen ${INBOX_CHANNEL}`);
  });
  after(async () => {
    await listener.end();
    await t.close();
  });

  it('writes the puts made together to different inboxes in one transaction, each its own change, announced', async () => {
    const notifications = await notificationsFor(PEOPLE);
    // A first item each (an InboxWrites each: written alone), then a second through one shared
    // InboxWrites, as the worker's senders share one.
    const ids = await Promise.all(PEOPLE.map((p) => writes().put(message(p, notifications.get(p)!, `For ${p}`))));
    const shared = writes();
    const more = await notificationsFor(PEOPLE);
    const itemIds = await Promise.all(PEOPLE.map((p) => shared.put(message(p, more.get(p)!, `Again ${p}`))));
    expect(new Set((await xmins(itemIds)).values()).size).to.equal(1);
    const items = await t.db.knex('inbox_items as i').join('subscribers as s', 's.id', 'i.subscriber_id').whereIn('i.id', itemIds).select('i.id', 'i.title', 'i.category', 's.external_id');
    for (const p of PEOPLE) expect(items.find((i) => i.external_id === p)).to.include({ title: `Again ${p}`, category: 'orders' });
    const announcements = await announced(itemIds);
    expect(announcements).to.have.length(4);
    for (const a of announcements) {
      expect(a.t).to.equal(tenantId);
      expect(a.c!.type).to.equal('item.created');
      // The counts after the change: each inbox now holds its two items.
      expect(a.c!.counts).to.deep.include({ total: 2, unread: 2, unseen: 2 });
      expect(a.c!.counts.categories).to.deep.equal([{ category: 'orders', total: 2, unread: 2, unseen: 2 }]);
    }
    const changes = await t.db.knex('inbox_changes').whereIn('subscriber_id', [...new Set(announcements.map((a) => a.s))]).orderBy(['subscriber_id', 'seq']).select('subscriber_id', 'seq');
    expect(changes).to.have.length(8);
    for (const a of announcements) expect(changes.filter((c) => c.subscriber_id === a.s).map((c) => Number(c.seq))).to.deep.equal([1, 2]);
    expect(ids).to.have.length(4);
  });

  it('puts two messages to one inbox in order, in two transactions, with the counts after each', async () => {
    const [first, second] = [await notificationsFor(['ada']), await notificationsFor(['ada'])];
    const shared = writes();
    const itemIds = await Promise.all([shared.put(message('ada', first.get('ada')!, 'First')), shared.put(message('ada', second.get('ada')!, 'Second'))]);
    const byItem = await xmins(itemIds);
    expect(byItem.get(itemIds[0])).to.not.equal(byItem.get(itemIds[1]));
    const announcements = await announced(itemIds);
    const [a, b] = itemIds.map((id) => announcements.find((x) => itemOf(x) === id)!);
    expect(b.q).to.equal(a.q + 1);
    expect(b.c!.counts.total).to.equal(a.c!.counts.total + 1);
  });

  it('fails only the put whose subscriber is gone, or whose row the database refuses; the others are written', async () => {
    const notifications = await notificationsFor(['bob', 'cy', 'dee']);
    await request(t.callback).delete('/v1/subscribers/dee').set('authorization', `Bearer ${key}`).expect((res) => expect(res.status).to.be.oneOf([200, 202, 204]));
    const shared = writes();
    const outcomes = await Promise.allSettled([
      shared.put(message('bob', notifications.get('bob')!, 'Fine')),
      // No such notification: the row breaks its foreign key, and with it the batch's statement.
      shared.put(message('cy', '00000000-0000-4000-8000-000000000000', 'Broken')),
      shared.put(message('dee', notifications.get('dee')!, 'Erased')),
      shared.put(message('nobody', notifications.get('bob')!, 'Unknown')),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'rejected', 'rejected']);
    expect((outcomes[2] as PromiseRejectedResult).reason.message).to.match(/no longer exists/);
    expect((outcomes[3] as PromiseRejectedResult).reason.message).to.match(/no longer exists/);
    const fine = (outcomes[0] as PromiseFulfilledResult<string>).value;
    expect(await t.db.knex('inbox_items').where({ id: fine }).first('title')).to.deep.equal({ title: 'Fine' });
    expect(Number((await t.db.knex('inbox_items').whereIn('title', ['Broken', 'Erased', 'Unknown']).count('* as n').first())!.n)).to.equal(0);
  });

  it('updates an item of the same correlation key in place, beside puts written together', async () => {
    const [first, second] = [await notificationsFor(['bob', 'cy']), await notificationsFor(['bob'])];
    const shared = writes();
    const original = await shared.put(message('bob', first.get('bob')!, 'Order 1 placed', { correlationKey: 'order-1' }));
    const [updated, other] = await Promise.all([
      shared.put(message('bob', second.get('bob')!, 'Order 1 shipped', { correlationKey: 'order-1' })),
      shared.put(message('cy', first.get('cy')!, 'Unrelated')),
    ]);
    expect(updated).to.equal(original);
    expect(await t.db.knex('inbox_items').where({ id: original }).first('title')).to.deep.equal({ title: 'Order 1 shipped' });
    const [change] = (await announced([updated, other])).filter((a) => itemOf(a) === updated).slice(-1);
    expect(change.c).to.include({ type: 'item.updated', reason: 'correlated' });
  });
});
