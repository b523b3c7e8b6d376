import { expect } from 'chai';
import request from 'supertest';
import { hashApiKey } from '../../core/tenants.ts';
import { testApp, type TestApp } from '../support/clarion.ts';

describe('API keys (/v1/api-keys)', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  const as = (key: string) => ({
    get: (path: string) => request(t.callback).get(path).set('authorization', `Bearer ${key}`),
    post: (path: string) => request(t.callback).post(path).set('authorization', `Bearer ${key}`),
    delete: (path: string) => request(t.callback).delete(path).set('authorization', `Bearer ${key}`),
  });
  const keyIdOf = async (key: string) => (await t.db.knex('api_keys').where({ key_hash: hashApiKey(key) }).first('id')).id as string;

  it('creates a key shown once, which then works, and lists keys without revealing them', async () => {
    const { apiKey, tenantId } = await t.tenant('Acme');
    const created = await as(apiKey).post('/v1/api-keys').send({ name: ' CI deploys ' }).expect(201);
    expect(created.headers['cache-control']).to.equal('no-store');
    expect(created.body).to.have.keys(['id', 'name', 'prefix', 'createdAt', 'lastUsedAt', 'revokedAt', 'key']);
    expect(created.body).to.include({ name: 'CI deploys', lastUsedAt: null, revokedAt: null });
    expect(created.body.key).to.match(/^ck_[A-Za-z0-9_-]{43}$/);
    expect(created.body.prefix).to.equal(created.body.key.slice(0, 10));
    expect((await as(created.body.key).get('/v1/tenant').expect(200)).body.id).to.equal(tenantId);

    const list = await as(apiKey).get('/v1/api-keys').expect(200);
    expect(list.body.items.map((k: { name: string }) => k.name)).to.deep.equal(['CI deploys', 'default']);
    expect(list.body.nextCursor).to.equal(null);
    const text = JSON.stringify(list.body);
    for (const key of [apiKey, created.body.key]) {
      expect(text).to.not.include(key);
      expect(text).to.not.include(hashApiKey(key));
    }
    // Both keys were looked up once (the listing key and the new one): both have a lastUsedAt.
    for (const item of list.body.items) expect(item.lastUsedAt, item.name).to.be.a('string');

    const first = await as(apiKey).get('/v1/api-keys?limit=1').expect(200);
    expect(first.body.items).to.have.length(1);
    const second = await as(apiKey).get(`/v1/api-keys?limit=1&cursor=${first.body.nextCursor}`).expect(200);
    expect(second.body.items.map((k: { name: string }) => k.name)).to.deep.equal(['default']);
    expect(second.body.nextCursor).to.equal(null);
  });

  it('names every invalid field of a new key, and stores nothing', async () => {
    const { apiKey, tenantId } = await t.tenant('Invalid');
    const cases: Array<[unknown, string]> = [[{}, '/name'], [{ name: '   ' }, '/name'], [{ name: 'x'.repeat(101) }, '/name'], [{ name: 'ok', admin: true }, '/admin'], [{ name: 7 }, '/name']];
    for (const [body, pointer] of cases) {
      const res = await as(apiKey).post('/v1/api-keys').send(body as object);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body.code).to.equal('CLARION_ERR_HTTP_INVALID_REQUEST');
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(body)).to.include(pointer);
    }
    await as(apiKey).post('/v1/api-keys').set('content-type', 'text/plain').send('name=x').expect(415);
    await as(apiKey).post('/v1/api-keys').set('content-type', 'application/json').send('{"name":').expect(400);
    expect(await t.db.knex('api_keys').where({ tenant_id: tenantId }).count({ n: '*' }).first()).to.deep.equal({ n: 1 });
  });

  it('revokes a key: refused at once, listed with revokedAt, audited with who did it', async () => {
    const { apiKey } = await t.tenant('Revoker');
    const other = (await as(apiKey).post('/v1/api-keys').send({ name: 'old' }).expect(201)).body;
    await as(other.key).get('/v1/tenant').expect(200); // cached as valid in this process
    await as(apiKey).delete(`/v1/api-keys/${other.id}`).expect(204);
    const refused = await as(other.key).get('/v1/tenant').expect(401);
    expect(refused.body.code).to.equal('CLARION_ERR_AUTH_INVALID');
    expect(refused.headers['content-type']).to.match(/^application\/problem\+json/);

    const listed = (await as(apiKey).get('/v1/api-keys').expect(200)).body.items.find((k: { id: string }) => k.id === other.id);
    expect(listed.revokedAt).to.be.a('string');
    // Revoking it again changes nothing.
    await as(apiKey).delete(`/v1/api-keys/${other.id}`).expect(204);
    const again = (await as(apiKey).get('/v1/api-keys').expect(200)).body.items.find((k: { id: string }) => k.id === other.id);
    expect(again.revokedAt).to.equal(listed.revokedAt);

    const audit = await as(apiKey).get('/v1/audit?targetType=api_key').expect(200);
    const actor = `api_key:${await keyIdOf(apiKey)}`;
    const entries = audit.body.items.map((e: { action: string; actor: string; targetId: string }) => ({ action: e.action, actor: e.actor, targetId: e.targetId }));
    expect(entries).to.deep.equal([
      { action: 'api_key.revoked', actor, targetId: other.id },
      { action: 'api_key.created', actor, targetId: other.id },
      { action: 'api_key.created', actor: 'cli', targetId: await keyIdOf(apiKey) },
    ]);
  });

  it("lets a key revoke itself, but not the tenant's last active key", async () => {
    const { apiKey } = await t.tenant('Self');
    const second = (await as(apiKey).post('/v1/api-keys').send({ name: 'second' }).expect(201)).body;
    await as(second.key).delete(`/v1/api-keys/${second.id}`).expect(204);
    await as(second.key).get('/v1/tenant').expect(401);

    const last = await as(apiKey).delete(`/v1/api-keys/${await keyIdOf(apiKey)}`).expect(409);
    expect(last.body.code).to.equal('CLARION_ERR_APIKEY_LAST_ACTIVE');
    expect(last.body.detail).to.match(/create another one first/);
    await as(apiKey).get('/v1/tenant').expect(200);
  });

  it('leaves one active key when the last two are revoked at the same moment', async () => {
    const { apiKey } = await t.tenant('Race');
    const second = (await as(apiKey).post('/v1/api-keys').send({ name: 'second' }).expect(201)).body;
    const statuses = await Promise.all([as(apiKey).delete(`/v1/api-keys/${await keyIdOf(apiKey)}`), as(second.key).delete(`/v1/api-keys/${second.id}`)]);
    expect(statuses.map((r) => r.status).sort()).to.deep.equal([204, 409]);
    const active = (await t.db.knex('api_keys').join('tenants', 'tenants.id', 'api_keys.tenant_id').where('tenants.name', 'Race').whereNull('revoked_at')).length;
    expect(active).to.equal(1);
  });

  it("never shows or revokes another tenant's keys", async () => {
    const a = await t.tenant('Tenant A');
    const b = await t.tenant('Tenant B');
    const bKey = (await as(b.apiKey).post('/v1/api-keys').send({ name: 'b-second' }).expect(201)).body;
    const listed = (await as(a.apiKey).get('/v1/api-keys').expect(200)).body.items.map((k: { id: string }) => k.id);
    expect(listed).to.deep.equal([await keyIdOf(a.apiKey)]);
    for (const id of [bKey.id, await keyIdOf(b.apiKey)]) {
      const res = await as(a.apiKey).delete(`/v1/api-keys/${id}`).expect(404);
      expect(res.body.code).to.equal('CLARION_ERR_APIKEY_NOT_FOUND');
    }
    await as(b.apiKey).get('/v1/tenant').expect(200);
    await as(bKey.key).get('/v1/tenant').expect(200);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      expect((await as(a.apiKey).delete(`/v1/api-keys/${id}`).expect(404)).body.code).to.equal('CLARION_ERR_APIKEY_NOT_FOUND');
    }
    expect((await t.db.knex('api_keys').whereNotNull('revoked_at').whereIn('tenant_id', [b.tenantId])).length).to.equal(0);
  });

  it('asks for a key on every route', async () => {
    await request(t.callback).get('/v1/api-keys').expect(401);
    await request(t.callback).post('/v1/api-keys').send({ name: 'x' }).expect(401);
    await request(t.callback).delete('/v1/api-keys/00000000-0000-4000-8000-000000000000').expect(401);
  });
});
