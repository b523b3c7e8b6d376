import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { loadSendContexts, type SuccessRecord } from '../../core/db/repositories/deliveries.ts';
import { SendContexts } from '../../core/delivery/send-contexts.ts';
import { SuccessWrites } from '../../core/delivery/success-writes.ts';
import { testApp, type TestApp } from '../support/clarion.ts';

/**
 * The sends the worker runs at once read their deliveries in one query (core/delivery/
 * send-contexts.ts) and write their successes in one statement (success-writes.ts). The real
 * read is observed (how often, with which ids), not replaced; which successes shared a statement
 * is read from the rows' transaction ids (xmin).
 */
describe('batched reads and writes of the sends (integration)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let deliveryIds: string[];
  let seq = 0;

  /** Posts an event for three recipients on email and in-app, fans it out; its deliveries, by notification then channel. */
  async function fanOut(): Promise<Array<{ id: string; notification_id: string; channel: string }>> {
    const recipients = ['ada', 'bob', 'cy'].map((id) => ({ id, email: `${id}@example.com` }));
    const posted = await request(t.callback).post('/v1/events').set('authorization', `Bearer ${key}`)
      .set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `batch-${++seq}`, source: '/shop', type: 'com.acme.batch', data: { n: 7, recipients } }))
      .expect(202);
    const eventId = posted.body.accepted[0].eventId;
    await t.services.notifications.processEvent(eventId, tenantId);
    return t.db.knex('deliveries as d').join('notifications as n', 'n.id', 'd.notification_id').where('n.event_id', eventId)
      .orderBy(['d.notification_id', 'd.channel']).select('d.id', 'd.notification_id', 'd.channel');
  }

  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true' } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    const call = (method: 'post' | 'put', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
    await call('put', '/v1/workflows/batch.reads')
      .send({ trigger: 'com.acme.batch', channels: ['email', 'in_app'], templates: { email: { subject: 'Order {{ data.n }}', text: 'Hello' }, in_app: { title: 'Order {{ data.n }}', body: 'Hello' } } })
      .expect(201);
    deliveryIds = (await fanOut()).map((d) => d.id).sort();
    expect(deliveryIds).to.have.length(6);
  });
  after(() => t.close());

  function observed(): { contexts: SendContexts; reads: string[][] } {
    const reads: string[][] = [];
    const contexts = new SendContexts(t.db.knex, (db, ids) => {
      reads.push([...ids]);
      return loadSendContexts(db, ids);
    });
    return { contexts, reads };
  }

  it('answers the loads made together with one query, each with its own delivery', async () => {
    const { contexts, reads } = observed();
    const loaded = await Promise.all(deliveryIds.map((id) => contexts.load(id, tenantId)));
    expect(reads).to.have.length(1);
    expect([...reads[0]].sort()).to.deep.equal([...deliveryIds].sort());
    expect(loaded.map((c) => c?.delivery.id)).to.deep.equal(deliveryIds);
    for (const context of loaded) {
      expect(context!.notification.id).to.equal(context!.delivery.notification_id);
      expect(context!.subscriber!.id).to.equal(context!.notification.subscriber_id);
      expect(context!.tenant.id).to.equal(tenantId);
      expect(context!.event.ce_id).to.equal('batch-1');
    }
  });

  it('answers nothing for another tenant, a missing delivery or a malformed id, and still the rest', async () => {
    const { contexts, reads } = observed();
    const [other, missing, malformed, mine] = await Promise.all([
      contexts.load(deliveryIds[0], randomUUID()),
      contexts.load(randomUUID(), tenantId),
      contexts.load('not-a-uuid-but-thirty-six-characters', tenantId),
      contexts.load(deliveryIds[1], tenantId),
    ]);
    expect([other, missing, malformed]).to.deep.equal([undefined, undefined, undefined]);
    expect(mine!.delivery.id).to.equal(deliveryIds[1]);
    // The malformed id never reaches the database (it would fail the others' query).
    expect(reads).to.have.length(1);
    expect(reads[0]).to.not.include('not-a-uuid-but-thirty-six-characters');
  });

  it('caches nothing: a later load reads the delivery as it is now', async () => {
    const { contexts, reads } = observed();
    const before = await contexts.load(deliveryIds[2], tenantId);
    await t.db.knex('deliveries').where({ id: deliveryIds[2] }).update({ attempt_count: 5 });
    const after = await contexts.load(deliveryIds[2], tenantId);
    expect(reads).to.have.length(2);
    expect([before!.delivery.attempt_count, after!.delivery.attempt_count]).to.deep.equal([0, 5]);
    await t.db.knex('deliveries').where({ id: deliveryIds[2] }).update({ attempt_count: 0 });
  });

  it('sends deliveries started together, each once, with its own attempt', async () => {
    await Promise.all(deliveryIds.map((id) => t.services.delivery.sendDelivery(id, tenantId)));
    const rows = await t.db.knex('deliveries').whereIn('id', deliveryIds).select('id', 'status', 'attempt_count');
    expect(rows.map((r) => [r.status, r.attempt_count])).to.deep.equal(deliveryIds.map(() => ['delivered', 1]));
    const attempts = await t.db.knex('delivery_attempts').whereIn('delivery_id', deliveryIds).select('delivery_id', 'outcome');
    expect(attempts.map((a) => a.delivery_id).sort()).to.deep.equal([...deliveryIds].sort());
    expect(new Set(attempts.map((a) => a.outcome))).to.deep.equal(new Set(['success']));
    // A job run again (graphile-worker retries, a duplicate job) finds the delivery final: no second attempt.
    await Promise.all(deliveryIds.map((id) => t.services.delivery.sendDelivery(id, tenantId)));
    expect(await t.db.knex('delivery_attempts').whereIn('delivery_id', deliveryIds).count('* as n').first()).to.deep.equal({ n: 6 });
  });

  function success(d: { id: string; notification_id: string }, status: 'sent' | 'delivered'): SuccessRecord {
    return {
      tenantId, deliveryId: d.id, notificationId: d.notification_id, attempt: 1, providerId: null, adapter: 'sandbox', providerMessageId: `m-${d.id}`,
      response: null, startedAt: new Date(), durationMs: 3, status, now: new Date(), content: null,
    };
  }

  const xmins = async (table: string, column: string, ids: string[]) =>
    new Map((await t.db.knex(table).whereIn(column, ids).select(column, t.db.knex.raw('xmin::text as xmin'))).map((r) => [r[column], r.xmin]));

  it('writes the successes that finish together in one statement, one delivery per notification each', async () => {
    const deliveries = await fanOut();
    const writes = new SuccessWrites(t.db.knex);
    // Email merely sent, in-app delivered: the notification is delivered only if the roll-up of
    // the in-app success sees the email's (in one statement, it would not).
    const changes = await Promise.all(deliveries.map((d) => writes.write(success(d, d.channel === 'email' ? 'sent' : 'delivered'))));
    const byAttempt = await xmins('delivery_attempts', 'delivery_id', deliveries.map((d) => d.id));
    const statements = new Map<string, string[]>();
    for (const d of deliveries) statements.set(byAttempt.get(d.id)!, [...(statements.get(byAttempt.get(d.id)!) ?? []), d.notification_id]);
    expect(statements.size).to.equal(2);
    for (const notifications of statements.values()) expect(new Set(notifications).size).to.equal(3);
    const notificationIds = [...new Set(deliveries.map((d) => d.notification_id))];
    const rows = await t.db.knex('notifications').whereIn('id', notificationIds).select('status');
    expect(rows.map((r) => r.status)).to.deep.equal(['delivered', 'delivered', 'delivered']);
    const rowsOf = await t.db.knex('deliveries').whereIn('id', deliveries.map((d) => d.id)).select('id', 'status', 'attempt_count', 'provider_message_id');
    for (const row of rowsOf) expect(row.provider_message_id).to.equal(`m-${row.id}`);
    // Each write answers with its own notification's change: pending -> sent, then sent -> delivered.
    const changeOf = (d: { id: string }) => changes[deliveries.findIndex((x) => x.id === d.id)];
    for (const d of deliveries) {
      expect(changeOf(d)!.after).to.equal(d.channel === 'email' ? 'sent' : 'delivered');
      expect(changeOf(d)!.before).to.equal(d.channel === 'email' ? 'pending' : 'sent');
    }
    const audits = await t.db.knex('audit_logs').whereIn('target_id', notificationIds).where({ action: 'notification.status_changed' }).select('target_id');
    expect(audits).to.have.length(6);
  });

  it('writes the others alone when one success of a statement is refused, and fails only that one', async () => {
    const deliveries = (await fanOut()).filter((d) => d.channel === 'email');
    const writes = new SuccessWrites(t.db.knex);
    const [ghost, ...real] = deliveries;
    const settled = await Promise.allSettled([
      writes.write({ ...success(ghost, 'sent'), deliveryId: randomUUID() }), // no such delivery: the attempt's foreign key fails
      ...real.map((d) => writes.write(success(d, 'sent'))),
    ]);
    expect(settled.map((s) => s.status)).to.deep.equal(['rejected', 'fulfilled', 'fulfilled']);
    expect(String((settled[0] as PromiseRejectedResult).reason)).to.match(/foreign key/);
    const written = await xmins('delivery_attempts', 'delivery_id', real.map((d) => d.id));
    expect(written.size).to.equal(2);
    expect(new Set(written.values()).size).to.equal(2);
    const statuses = await t.db.knex('deliveries').whereIn('id', deliveries.map((d) => d.id)).orderBy('id').select('id', 'status');
    expect(Object.fromEntries(statuses.map((r) => [r.id, r.status]))).to.deep.equal({ [ghost.id]: 'pending', [real[0].id]: 'sent', [real[1].id]: 'sent' });
  });
});
