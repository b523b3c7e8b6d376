import { expect } from 'chai';
import { startClarion, type RunningClarion } from '../../core/runtime.ts';
import { createTenant } from '../../core/tenants.ts';
import { nextChange, testConfig } from '../support/clarion.ts';
import { freshDatabase, silentLog, type TestDatabase } from '../support/postgres.ts';

/**
 * Two gateways as the runtime starts them (each its own pool, caches and LISTEN connection) on
 * one PostgreSQL, over real HTTP. Their caches keep entries for ten minutes, so only the
 * announcement of a change can explain the second gateway seeing it at once.
 */
describe('configuration changes across gateways (e2e)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let one: RunningClarion;
  let two: RunningClarion;
  let apiKey: string;

  before(async () => {
    db = await freshDatabase();
    const env = { CLARION_CACHE_TTL_MS: '600000' };
    one = await startClarion({ config: testConfig(db, env), log: silentLog, worker: false });
    two = await startClarion({ config: testConfig(db, env), log: silentLog, worker: false });
    ({ apiKey } = await createTenant(db.knex, { name: 'Acme' }));
  });
  after(async () => {
    await two?.stop();
    await one?.stop();
    await db?.drop();
  });

  const call = (gateway: RunningClarion, method: string, path: string, key = apiKey, body?: unknown) =>
    fetch(`${gateway.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  it('a key revoked through one gateway is refused by the other at once', async () => {
    const created = await call(one, 'POST', '/v1/api-keys', apiKey, { name: 'deploy bot' });
    expect(created.status).to.equal(201);
    const { id, key } = (await created.json()) as { id: string; key: string };
    // The second gateway has the key cached as valid.
    expect((await call(two, 'GET', '/v1/tenant', key)).status).to.equal(200);

    const heard = nextChange(two.services.invalidation, (c) => c.cache === 'api_keys');
    expect((await call(one, 'DELETE', `/v1/api-keys/${id}`)).status).to.equal(204);
    await heard;
    const refused = await call(two, 'GET', '/v1/tenant', key);
    expect(refused.status).to.equal(401);
    expect(((await refused.json()) as { code: string }).code).to.equal('CLARION_ERR_AUTH_INVALID');
    expect((await call(one, 'GET', '/v1/tenant', key)).status).to.equal(401);
    expect((await call(two, 'GET', '/v1/tenant')).status).to.equal(200);
  });

  it('a workflow saved through one gateway is served by the other at once', async () => {
    expect((await call(two, 'GET', '/v1/workflows/order.shipped')).status).to.equal(404);
    const heard = nextChange(two.services.invalidation, (c) => c.cache === 'workflows');
    const saved = await call(one, 'PUT', '/v1/workflows/order.shipped', apiKey, { trigger: 'com.acme.order.shipped', channels: ['email'], recipients: '/data/recipients', templates: { email: { subject: 'Shipped', text: 'Shipped.' } } });
    expect(saved.status).to.equal(201);
    await heard;
    const served = await call(two, 'GET', '/v1/workflows/order.shipped');
    expect(served.status).to.equal(200);
    expect(((await served.json()) as { trigger: string }).trigger).to.equal('com.acme.order.shipped');
  });
});
