import { once } from 'node:events';
import { expect } from 'chai';
import request from 'supertest';
import { announceChange, INVALIDATION_CHANNEL, type CacheChange } from '../../core/cache-invalidation.ts';
import { nextChange, testApp, testPeer, type TestApp, type TestPeer } from '../support/clarion.ts';

/**
 * Two Clarion processes on one database, each with its own pool, caches and LISTEN connection.
 * The cache TTL is ten minutes, so a change one process makes can reach the other's caches only
 * through the announcement; every wait is for the notification itself, never for time.
 */
const LONG_TTL = { CLARION_CACHE_TTL_MS: '600000', CLARION_WEBHOOK_ALLOWLIST: '127.0.0.1' };

describe('cache invalidation across processes (LISTEN/NOTIFY)', () => {
  let t: TestApp;
  let peer: TestPeer;
  let tenantId: string;
  let key: string;

  before(async () => {
    t = await testApp({ env: LONG_TTL, listen: true });
    peer = await testPeer(t, { env: LONG_TTL });
    ({ tenantId, apiKey: key } = await t.tenant('Acme'));
  });
  after(async () => {
    await peer?.close();
    await t?.close();
  });

  const on = (callback: TestApp['callback']) => ({
    get: (path: string) => request(callback).get(path).set('authorization', `Bearer ${key}`),
    post: (path: string) => request(callback).post(path).set('authorization', `Bearer ${key}`),
    put: (path: string) => request(callback).put(path).set('authorization', `Bearer ${key}`),
    patch: (path: string) => request(callback).patch(path).set('authorization', `Bearer ${key}`),
  });
  const one = () => on(t.callback);
  const two = () => on(peer.callback);
  const heard = (cache: CacheChange['cache']) => nextChange(peer.services.invalidation, (c) => c.cache === cache);

  it('starts listening with the process', () => {
    expect(t.services.invalidation.listening).to.equal(true);
    expect(peer.services.invalidation.listening).to.equal(true);
  });

  it('a workflow saved through one process is what the other triggers at once', async () => {
    expect(await peer.services.workflows.forTrigger(tenantId, 'com.acme.order.shipped')).to.deep.equal([]);
    const change = heard('workflows');
    await one()
      .put('/v1/workflows/order.shipped')
      .send({ trigger: 'com.acme.order.shipped', channels: ['email'], recipients: '/data/recipients', templates: { email: { subject: 'Shipped', text: 'Shipped.' } } })
      .expect(201);
    expect(await change).to.deep.equal({ cache: 'workflows', prefix: tenantId });
    const workflows = await peer.services.workflows.forTrigger(tenantId, 'com.acme.order.shipped');
    expect(workflows.map((w) => w.key)).to.deep.equal(['order.shipped']);
  });

  it('a provider disabled through one process is no longer used by the other', async () => {
    const created = await one().post('/v1/providers').send({ channel: 'email', adapter: 'sandbox', config: {} }).expect(201);
    expect((await peer.services.providers.forChannel(tenantId, 'email')).map((p) => p.id)).to.deep.equal([created.body.id]);
    const change = heard('providers');
    await one().patch(`/v1/providers/${created.body.id}`).send({ enabled: false }).expect(200);
    await change;
    expect(await peer.services.providers.forChannel(tenantId, 'email')).to.deep.equal([]);
  });

  it("a contract registered through one process validates the other's events at once", async () => {
    const event = { specversion: '1.0', id: 'c-1', source: '/shop', type: 'com.acme.invoice.sent', data: { total: 12 } };
    const refused = await two().post('/v1/events').set('content-type', 'application/cloudevents+json').send(JSON.stringify(event));
    expect(refused.status).to.equal(422);
    expect(refused.body.code).to.equal('CLARION_ERR_INGEST_NO_CONTRACT');
    const change = heard('contracts');
    await one().put('/v1/contracts/com.acme.invoice.sent').send({ type: 'object', properties: { total: { type: 'number' } } }).expect(201);
    await change;
    await two().post('/v1/events').set('content-type', 'application/cloudevents+json').send(JSON.stringify(event)).expect(202);
  });

  it('a webhook endpoint created through one process makes the other emit to it at once', async () => {
    expect(await peer.services.webhooks.subscribed(tenantId, 'io.clarion.notification.delivered')).to.equal(false);
    const change = heard('webhook_endpoints');
    await one().post('/v1/webhooks/endpoints').send({ url: 'http://127.0.0.1:9/hooks' }).expect(201);
    await change;
    expect(await peer.services.webhooks.subscribed(tenantId, 'io.clarion.notification.delivered')).to.equal(true);
  });

  it("tenant settings changed through one process are what the other's requests carry", async () => {
    expect((await two().get('/v1/tenant').expect(200)).body.settings).to.deep.equal({});
    const change = heard('api_keys');
    await one().patch('/v1/tenant').send({ settings: { defaultLocale: 'fr' } }).expect(200);
    expect(await change).to.deep.equal({ cache: 'api_keys', prefix: '' });
    expect((await two().get('/v1/tenant').expect(200)).body.settings).to.deep.equal({ defaultLocale: 'fr' });
  });

  it('announces nothing for a change that is rolled back', async () => {
    const seen: CacheChange[] = [];
    const record = (c: CacheChange) => seen.push(c);
    peer.services.invalidation.on('change', record);
    try {
      await t.db.knex
        .transaction(async (trx) => {
          await announceChange(trx, 'workflows', 'rolled-back');
          throw new Error('abort');
        })
        .catch(() => {});
      // Notifications arrive in commit order: once this one is here, the other never will be.
      const committed = nextChange(peer.services.invalidation, (c) => c.prefix === 'committed');
      await t.db.knex.transaction((trx) => announceChange(trx, 'workflows', 'committed'));
      await committed;
      expect(seen.map((c) => c.prefix)).to.deep.equal(['committed']);
    } finally {
      peer.services.invalidation.off('change', record);
    }
  });

  describe('when announcements may have been missed', () => {
    let otherKey: string;
    beforeEach(async () => {
      // A key revoked behind Clarion's back (in SQL, announcing nothing) stays cached for the TTL.
      ({ apiKey: otherKey } = await t.tenant(`Other ${Date.now()}`));
      await request(peer.callback).get('/v1/tenant').set('authorization', `Bearer ${otherKey}`).expect(200);
      await t.db.knex('api_keys').where({ prefix: otherKey.slice(0, 10) }).update({ revoked_at: new Date() });
      await request(peer.callback).get('/v1/tenant').set('authorization', `Bearer ${otherKey}`).expect(200);
    });

    it('drops every cache after reconnecting, as notifications may have been lost meanwhile', async () => {
      const lost = once(peer.services.invalidation, 'lost');
      const listening = once(peer.services.invalidation, 'listening');
      const { rows } = await t.db.knex.raw(
        `select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = 'clarion-cache-listener' and datname = current_database()`,
      );
      expect(rows.length).to.be.greaterThan(0);
      await lost;
      await listening;
      expect(peer.services.invalidation.listening).to.equal(true);
      await request(peer.callback).get('/v1/tenant').set('authorization', `Bearer ${otherKey}`).expect(401);
      // And it hears announcements again.
      const change = heard('workflows');
      await t.db.knex.transaction((trx) => announceChange(trx, 'workflows', 'after-reconnect'));
      expect((await change).prefix).to.equal('after-reconnect');
    });

    it('drops every cache on a notification it cannot read', async () => {
      await t.db.knex.raw('select pg_notify(?, ?)', [INVALIDATION_CHANNEL, 'not json']);
      const next = nextChange(peer.services.invalidation, (c) => c.prefix === 'marker');
      await t.db.knex.raw('select pg_notify(?, ?)', [INVALIDATION_CHANNEL, JSON.stringify({ cache: 'workflows', prefix: 'marker' })]);
      await next;
      await request(peer.callback).get('/v1/tenant').set('authorization', `Bearer ${otherKey}`).expect(401);
    });
  });
});
