import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { subscriberHash } from '../../core/realtime/auth.ts';
import { testApp, type TestApp } from '../support/clarion.ts';

/**
 * Subscribers' browsers authenticate with a subscriber hash or a short-lived token, both made
 * from the tenant's inbox secret. A token opens its own subscriber's inbox only: changed, expired,
 * signed by another tenant's secret or by a rotated one, it is a 401. Time is the injected clock.
 */
describe('inbox authentication: secret, subscriber hash, tokens', () => {
  let t: TestApp;
  const clock = { at: new Date('2026-12-15T09:00:00Z'), now() { return this.at; } };
  let acme: { tenantId: string; apiKey: string };
  let globex: { tenantId: string; apiKey: string };
  before(async () => {
    t = await testApp({ clock });
    acme = await t.tenant('Acme');
    globex = await t.tenant('Globex');
  });
  after(() => t.close());

  const as = (key: string) => ({
    get: (url: string) => request(t.callback).get(url).set('authorization', `Bearer ${key}`),
    post: (url: string) => request(t.callback).post(url).set('authorization', `Bearer ${key}`),
  });
  const mint = async (key: string, subscriber: string, body: Record<string, unknown> = {}) => (await as(key).post(`/v1/subscribers/${subscriber}/inbox-token`).send(body).expect(201)).body;

  it('creates the inbox secret on first read, stores it sealed, and rotates it', async () => {
    const first = await as(acme.apiKey).get('/v1/tenant/inbox-secret').expect(200);
    expect(first.body.secret).to.match(/^cis_[A-Za-z0-9_-]{43}$/);
    expect(first.headers['cache-control']).to.equal('no-store');
    expect((await as(acme.apiKey).get('/v1/tenant/inbox-secret').expect(200)).body.secret, 'stable until rotated').to.equal(first.body.secret);
    const row = await t.db.knex('tenants').where({ id: acme.tenantId }).first('inbox_secret');
    expect(JSON.stringify(row.inbox_secret)).to.not.include(first.body.secret.slice(4));
    expect(row.inbox_secret).to.include.keys('v', 'iv', 'tag', 'data');

    const rotated = await as(acme.apiKey).post('/v1/tenant/inbox-secret').expect(200);
    expect(rotated.body.secret).to.not.equal(first.body.secret);
    expect((await as(acme.apiKey).get('/v1/tenant/inbox-secret').expect(200)).body.secret).to.equal(rotated.body.secret);
    const actions = (await t.db.knex('audit_logs').where({ tenant_id: acme.tenantId }).whereLike('action', 'tenant.inbox_secret%').orderBy('id')).map((r) => r.action);
    expect(actions).to.deep.equal(['tenant.inbox_secret_created', 'tenant.inbox_secret_rotated']);
  });

  it('mints a token for a subscriber (created bare if unknown) that authenticates as that subscriber', async () => {
    const token = await mint(acme.apiKey, 'ada', { ttlSeconds: 600 });
    expect(token.token).to.match(/^cin_/);
    expect(token.expiresAt).to.equal('2026-12-15T09:10:00.000Z');
    expect(token.scopes).to.deep.equal(['inbox:read', 'inbox:write', 'preferences']);
    const who = await t.services.inbox.authenticate(token.token);
    expect(who).to.include({ tenantId: acme.tenantId, externalId: 'ada', actor: 'subscriber:ada' });
    expect(await t.db.knex('subscribers').where({ tenant_id: acme.tenantId, external_id: 'ada' }).first('id')).to.deep.equal({ id: who.subscriberId });
  });

  it('refuses a changed, expired, rotated or another tenant\'s token with 401', async () => {
    const { token } = await mint(acme.apiKey, 'ada', { ttlSeconds: 60 });
    const [body, mac] = token.slice(4).split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const reclaimed = (change: Record<string, unknown>) => `cin_${Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url')}.${mac}`;
    const refused = async (candidate: string, code = 'CLARION_ERR_INBOX_AUTH_INVALID') => {
      const err = await t.services.inbox.authenticate(candidate).then(() => undefined, (e) => e);
      expect(err?.code, candidate).to.equal(code);
      expect(err.status).to.equal(401);
    };
    await refused(reclaimed({ s: 'bob' }));
    await refused(reclaimed({ e: claims.e + 86_400 }));
    await refused(`${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`);
    await refused('cin_garbage');
    await refused('ck_not-an-inbox-token');

    // Globex's own valid token, relabelled as Acme's: Acme's secret did not sign it.
    const theirs = (await mint(globex.apiKey, 'ada')).token;
    const [tb, tm] = theirs.slice(4).split('.');
    const relabelled = `cin_${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(tb, 'base64url').toString()), t: acme.tenantId })).toString('base64url')}.${tm}`;
    await refused(relabelled);
    // And a Globex token stays Globex's: it never opens Acme's subscriber of the same id.
    expect((await t.services.inbox.authenticate(theirs)).tenantId).to.equal(globex.tenantId);

    clock.at = new Date(clock.at.getTime() + 61_000);
    try {
      await refused(token, 'CLARION_ERR_INBOX_TOKEN_EXPIRED');
    } finally {
      clock.at = new Date(clock.at.getTime() - 61_000);
    }

    const fresh = (await mint(acme.apiKey, 'ada')).token;
    await t.services.inbox.authenticate(fresh);
    await as(acme.apiKey).post('/v1/tenant/inbox-secret').expect(200);
    await refused(fresh);
  });

  it('exchanges a subscriber hash for a token (Novu\'s scheme), refusing a wrong or another tenant\'s hash', async () => {
    const { secret } = (await as(acme.apiKey).get('/v1/tenant/inbox-secret').expect(200)).body;
    const hash = createHmac('sha256', secret).update('grace').digest('hex');
    expect(subscriberHash(secret, 'grace')).to.equal(hash);
    const session = await request(t.callback).post('/v1/inbox/session').send({ tenantId: acme.tenantId, subscriberId: 'grace', subscriberHash: hash }).expect(201);
    expect((await t.services.inbox.authenticate(session.body.token)).externalId).to.equal('grace');

    const wrong = await request(t.callback).post('/v1/inbox/session').send({ tenantId: acme.tenantId, subscriberId: 'ada', subscriberHash: hash }).expect(401);
    expect(wrong.body.code).to.equal('CLARION_ERR_INBOX_HASH_INVALID');
    const { secret: theirs } = (await as(globex.apiKey).get('/v1/tenant/inbox-secret').expect(200)).body;
    const cross = await request(t.callback).post('/v1/inbox/session').send({ tenantId: acme.tenantId, subscriberId: 'grace', subscriberHash: subscriberHash(theirs, 'grace') }).expect(401);
    expect(cross.body.code).to.equal('CLARION_ERR_INBOX_HASH_INVALID');
  });

  it('mints a token when another gateway created the secret after this one cached its absence', async () => {
    // This process looked the secret up (a session with a hash) before there was one: it keeps
    // that absence. Another gateway then creates the secret (here: the row written as it would).
    const initech = await t.tenant('Initech');
    const session = { tenantId: initech.tenantId, subscriberId: 'ada', subscriberHash: 'ab'.repeat(32) };
    await request(t.callback).post('/v1/inbox/session').send(session).expect(401);
    await as(globex.apiKey).get('/v1/tenant/inbox-secret').expect(200);
    const sealed = (await t.db.knex('tenants').where({ id: globex.tenantId }).first('inbox_secret')).inbox_secret;
    await t.db.knex('tenants').where({ id: initech.tenantId }).update({ inbox_secret: JSON.stringify(sealed), inbox_secret_rotated_at: clock.at });
    // Minting finds the secret, not the cached absence (it was a 500).
    const { token } = await mint(initech.apiKey, 'ada');
    expect(token).to.match(/^cin_/);
  });

  it('mints tokens for many subscribers at once, the first mint creating the secret', async () => {
    const hooli = await t.tenant('Hooli');
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => mint(hooli.apiKey, `sub-${i}`)));
    expect(new Set(tokens.map((r) => r.token)).size).to.equal(20);
  });

  it('mints tokens with fewer scopes', async () => {
    const token = await mint(acme.apiKey, 'ada', { scopes: ['inbox:read'] });
    expect(token.scopes).to.deep.equal(['inbox:read']);
    expect((await t.services.inbox.authenticate(token.token)).scopes).to.deep.equal(['inbox:read']);
  });

  it('names the field of every bad request', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ttlSeconds: 10 }, '/ttlSeconds'],
      [{ ttlSeconds: 86_401 }, '/ttlSeconds'],
      [{ scopes: ['admin'] }, '/scopes/0'],
      [{ scopes: [] }, '/scopes'],
      [{ extra: true }, '/extra'],
    ];
    for (const [body, pointer] of cases) {
      const res = await as(acme.apiKey).post('/v1/subscribers/ada/inbox-token').send(body).expect(422);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(res.body.code).to.equal('CLARION_ERR_INBOX_INVALID');
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(body)).to.include(pointer);
    }
    const badId = await as(acme.apiKey).post('/v1/subscribers/-bad/inbox-token').send({}).expect(422);
    expect(badId.body.errors[0].pointer).to.equal('/path/subscriberId');
    const sessionCases: Array<[Record<string, unknown>, string]> = [
      [{ subscriberId: 'a', subscriberHash: 'a'.repeat(64) }, '/tenantId'],
      [{ tenantId: acme.tenantId, subscriberHash: 'a'.repeat(64) }, '/subscriberId'],
      [{ tenantId: acme.tenantId, subscriberId: 'a', subscriberHash: 'xyz' }, '/subscriberHash'],
      [{ tenantId: 'not-a-uuid', subscriberId: 'a', subscriberHash: 'a'.repeat(64) }, '/tenantId'],
    ];
    for (const [body, pointer] of sessionCases) {
      const res = await request(t.callback).post('/v1/inbox/session').send(body).expect(422);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(body)).to.include(pointer);
    }
    expect((await request(t.callback).post('/v1/inbox/session').set('content-type', 'text/plain').send('x').expect(415)).body.code).to.equal('CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE');
    expect((await request(t.callback).get('/v1/tenant/inbox-secret').expect(401)).body.code).to.equal('CLARION_ERR_AUTH_MISSING');
  });
});
