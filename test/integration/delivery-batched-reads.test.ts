import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { loadSendContexts } from '../../core/db/repositories/deliveries.ts';
import { SendContexts } from '../../core/delivery/send-contexts.ts';
import { testApp, type TestApp } from '../support/clarion.ts';

/**
 * The sends the worker runs at once read their deliveries in one query (core/delivery/
 * send-contexts.ts). The real read is observed (how often, with which ids), not replaced.
 */
describe('batched reads of the sends (integration)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let deliveryIds: string[];
  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true' } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    const call = (method: 'post' | 'put', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
    await call('put', '/v1/workflows/batch.reads')
      .send({ trigger: 'com.acme.batch', channels: ['email', 'in_app'], templates: { email: { subject: 'Order {{ data.n }}', text: 'Hello' }, in_app: { title: 'Order {{ data.n }}', body: 'Hello' } } })
      .expect(201);
    const recipients = ['ada', 'bob', 'cy'].map((id) => ({ id, email: `${id}@example.com` }));
    const posted = await call('post', '/v1/events')
      .set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'batch-1', source: '/shop', type: 'com.acme.batch', data: { n: 7, recipients } }))
      .expect(202);
    await t.services.notifications.processEvent(posted.body.accepted[0].eventId, tenantId);
    deliveryIds = (await t.db.knex('deliveries').where({ tenant_id: tenantId }).orderBy('id').select('id')).map((r) => r.id);
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
});
