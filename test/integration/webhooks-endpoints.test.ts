import { expect } from 'chai';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { unseal, type Sealed } from '../../core/crypto.ts';
import { TEST_SECRET, testApp, type TestApp } from '../support/clarion.ts';

const problem = (res: request.Response, status: number, code: string) => {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.type).to.equal('application/problem+json');
  expect(res.body).to.include({ status, code });
};

describe('webhook endpoints API (integration)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let otherKey: string;

  before(async () => {
    t = await testApp({ env: { CLARION_OUTBOUND_ALLOWLIST: "" } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme'));
    ({ apiKey: otherKey } = await t.tenant('Other'));
  });
  after(() => t.close());

  const api = (method: 'get' | 'post' | 'patch' | 'delete', path: string, apiKey = key) => request(t.callback)[method](path).set('authorization', `Bearer ${apiKey}`);
  const create = (body: unknown, apiKey = key) => api('post', '/v1/webhooks/endpoints', apiKey).send(body as object);

  it('registers an endpoint and shows its whsec_ secret once, stored encrypted', async () => {
    const res = await create({ url: 'https://hooks.example.com/clarion', description: 'Orders', eventTypes: ['io.clarion.notification.*'] }).expect(201);
    expect(res.headers.location).to.equal(`/v1/webhooks/endpoints/${res.body.id}`);
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(res.body).to.include({ url: 'https://hooks.example.com/clarion', description: 'Orders', enabled: true, disabledReason: null, rateLimit: null, failingSince: null, tenantId });
    expect(res.body.eventTypes).to.deep.equal(['io.clarion.notification.*']);
    expect(res.body.secret).to.match(/^whsec_[A-Za-z0-9+/]{43}=$/);
    // The official library accepts the secret as it is.
    expect(() => new Webhook(res.body.secret)).to.not.throw();

    const read = await api('get', `/v1/webhooks/endpoints/${res.body.id}`).expect(200);
    expect(read.body).to.not.have.property('secret');
    expect(read.body.url).to.equal('https://hooks.example.com/clarion');
    const list = await api('get', '/v1/webhooks/endpoints').expect(200);
    expect(JSON.stringify(list.body)).to.not.include(res.body.secret.slice(6));

    const row = await t.db.knex('webhook_endpoints').where({ id: res.body.id }).first();
    expect(JSON.stringify(row.secret_encrypted)).to.not.include(res.body.secret.slice(6));
    expect(unseal(Buffer.from(TEST_SECRET, 'base64'), row.secret_encrypted as Sealed)).to.equal(res.body.secret);
    const audit = await t.db.knex('audit_logs').where({ target_id: res.body.id, action: 'webhook_endpoint.created' });
    expect(audit).to.have.length(1);
    expect(audit[0].actor).to.match(/^api_key:/);
  });

  it('takes a secret of your own, and refuses one that is not whsec_', async () => {
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    const res = await create({ url: 'https://hooks.example.com/own', secret }).expect(201);
    expect(res.body.secret).to.equal(secret);
    const bad = await create({ url: 'https://hooks.example.com/own', secret: 'hunter2' });
    problem(bad, 400, 'CLARION_ERR_HTTP_INVALID_REQUEST');
    expect(bad.body.errors).to.deep.equal([{ pointer: '/secret', message: 'must be whsec_ followed by the base64 of 24 to 64 random bytes' }]);
  });

  it('names every invalid field', async () => {
    const res = await create({ url: 42, eventTypes: [], rateLimit: 0, color: 'red' });
    problem(res, 400, 'CLARION_ERR_HTTP_INVALID_REQUEST');
    const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).to.include.members(['/url', '/eventTypes', '/rateLimit', '/color']);
    problem(await create({}), 400, 'CLARION_ERR_HTTP_INVALID_REQUEST');
    const types = await create({ url: 'https://hooks.example.com/', eventTypes: ['io.clarion.notification.deliverd', 'io.clarion.notification.sent'] });
    problem(types, 400, 'CLARION_ERR_HTTP_INVALID_REQUEST');
    expect(types.body.errors).to.have.length(1);
    expect(types.body.errors[0].pointer).to.equal('/eventTypes/0');
    expect(types.body.errors[0].message).to.match(/^matches no event type; known types: /);
    const url = await create({ url: 'not a url' });
    problem(url, 400, 'CLARION_ERR_HTTP_INVALID_REQUEST');
    expect(url.body.errors).to.deep.equal([{ pointer: '/url', message: 'must be an absolute http:// or https:// URL' }]);
    problem(await api('post', '/v1/webhooks/endpoints').set('content-type', 'text/plain').send('url=x'), 415, 'CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE');
    problem(await api('post', '/v1/webhooks/endpoints').set('content-type', 'application/json').send('{"url":'), 400, 'CLARION_ERR_HTTP_MALFORMED_JSON');
  });

  it('refuses URLs that are not http(s), carry credentials, or name a private address', async () => {
    problem(await create({ url: 'ftp://hooks.example.com/' }), 422, 'CLARION_ERR_WEBHOOK_URL_NOT_ALLOWED');
    problem(await create({ url: 'https://user:secret@hooks.example.com/' }), 422, 'CLARION_ERR_WEBHOOK_URL_NOT_ALLOWED');
    for (const url of ['http://127.0.0.1:8080/hook', 'http://[::ffff:127.0.0.1]/hook', 'http://169.254.169.254/latest', 'http://10.0.0.1/hook', 'http://[::1]/', 'http://2130706433/']) {
      const res = await create({ url });
      problem(res, 422, 'CLARION_ERR_WEBHOOK_URL_NOT_ALLOWED');
      expect(res.body.detail, url).to.match(/CLARION_OUTBOUND_ALLOW_PRIVATE=true or CLARION_OUTBOUND_ALLOWLIST/);
      expect(res.body.errors[0].pointer).to.equal('/url');
    }
    const metadata = await create({ url: 'http://169.254.169.254/latest' });
    expect(metadata.body.errors[0].message).to.equal('is not allowed: 169.254.169.254 is a cloud metadata address');
  });

  it('lists endpoints newest first with paging and an enabled filter, per tenant', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await create({ url: `https://page.example.com/${i}` }, otherKey).expect(201)).body.id);
    await api('patch', `/v1/webhooks/endpoints/${ids[0]}`, otherKey).send({ enabled: false }).expect(200);
    const first = await api('get', '/v1/webhooks/endpoints?limit=2', otherKey).expect(200);
    expect(first.body.items.map((e: { id: string }) => e.id)).to.deep.equal([ids[2], ids[1]]);
    const second = await api('get', `/v1/webhooks/endpoints?limit=2&cursor=${first.body.nextCursor}`, otherKey).expect(200);
    expect(second.body.items.map((e: { id: string }) => e.id)).to.deep.equal([ids[0]]);
    expect(second.body.nextCursor).to.equal(null);
    const disabled = await api('get', '/v1/webhooks/endpoints?enabled=false', otherKey).expect(200);
    expect(disabled.body.items.map((e: { id: string }) => e.id)).to.deep.equal([ids[0]]);
    problem(await api('get', '/v1/webhooks/endpoints?enabled=maybe', otherKey), 400, 'CLARION_ERR_HTTP_INVALID_REQUEST');
    // Another tenant's endpoints do not exist for this one.
    problem(await api('get', `/v1/webhooks/endpoints/${ids[1]}`), 404, 'CLARION_ERR_WEBHOOK_ENDPOINT_NOT_FOUND');
    problem(await api('get', '/v1/webhooks/endpoints/not-a-uuid'), 404, 'CLARION_ERR_WEBHOOK_ENDPOINT_NOT_FOUND');
    const mine = await api('get', '/v1/webhooks/endpoints?limit=200').expect(200);
    expect(mine.body.items.map((e: { id: string }) => e.id)).to.not.include.members(ids);
  });

  it('changes, disables and re-enables an endpoint', async () => {
    const { body: created } = await create({ url: 'https://hooks.example.com/a' }).expect(201);
    const changed = await api('patch', `/v1/webhooks/endpoints/${created.id}`).send({ url: 'https://hooks.example.com/b', eventTypes: ['io.clarion.escalation.step'], rateLimit: 5, description: null }).expect(200);
    expect(changed.body).to.include({ url: 'https://hooks.example.com/b', rateLimit: 5, description: null });
    expect(changed.body.eventTypes).to.deep.equal(['io.clarion.escalation.step']);
    const off = await api('patch', `/v1/webhooks/endpoints/${created.id}`).send({ enabled: false }).expect(200);
    expect(off.body.enabled).to.equal(false);
    expect(off.body.disabledReason).to.match(/^disabled by api_key:/);
    expect(off.body.disabledAt).to.be.a('string');
    await t.db.knex('webhook_endpoints').where({ id: created.id }).update({ failing_since: new Date() });
    const on = await api('patch', `/v1/webhooks/endpoints/${created.id}`).send({ enabled: true, eventTypes: null }).expect(200);
    expect(on.body).to.include({ enabled: true, disabledReason: null, disabledAt: null, failingSince: null, eventTypes: null });
    problem(await api('patch', `/v1/webhooks/endpoints/${created.id}`).send({}), 400, 'CLARION_ERR_HTTP_INVALID_REQUEST');
    problem(await api('patch', `/v1/webhooks/endpoints/${created.id}`).send({ url: 'http://192.168.1.1/' }), 422, 'CLARION_ERR_WEBHOOK_URL_NOT_ALLOWED');
    const actions = (await t.db.knex('audit_logs').where({ target_id: created.id }).orderBy('id')).map((r) => r.action);
    expect(actions).to.deep.equal(['webhook_endpoint.created', 'webhook_endpoint.updated', 'webhook_endpoint.disabled', 'webhook_endpoint.enabled']);
  });

  it('rotates the secret, keeping the old one for a grace period', async () => {
    const { body: created } = await create({ url: 'https://hooks.example.com/rotate' }).expect(201);
    const rotated = await api('post', `/v1/webhooks/endpoints/${created.id}/rotate-secret`).expect(200);
    expect(rotated.body.secret).to.match(/^whsec_/).and.not.equal(created.secret);
    const expires = Date.parse(rotated.body.previousSecretExpiresAt) - Date.parse(rotated.body.updatedAt);
    expect(expires).to.equal(24 * 3600_000);
    const quick = await api('post', `/v1/webhooks/endpoints/${created.id}/rotate-secret`).send({ gracePeriodSeconds: 0 }).expect(200);
    expect(quick.body.previousSecretExpiresAt).to.equal(null);
    const row = await t.db.knex('webhook_endpoints').where({ id: created.id }).first();
    expect(row.previous_secret_encrypted).to.equal(null);
    problem(await api('post', `/v1/webhooks/endpoints/${created.id}/rotate-secret`).send({ gracePeriodSeconds: 10 ** 7 }), 400, 'CLARION_ERR_HTTP_INVALID_REQUEST');
    problem(await api('post', '/v1/webhooks/endpoints/00000000-0000-4000-8000-000000000000/rotate-secret'), 404, 'CLARION_ERR_WEBHOOK_ENDPOINT_NOT_FOUND');
    const audit = await t.db.knex('audit_logs').where({ target_id: created.id, action: 'webhook_endpoint.secret_rotated' });
    expect(audit.map((a) => a.summary.gracePeriodSeconds)).to.deep.equal([86400, 0]);
  });

  it('deletes an endpoint with its messages', async () => {
    const { body: created } = await create({ url: 'https://hooks.example.com/gone' }).expect(201);
    await t.db.knex.transaction((trx) => t.services.webhooks.emit(trx, { tenantId, type: 'io.clarion.notification.sent', subject: 'n-1', data: {} }));
    expect(await t.db.knex('webhook_messages').where({ endpoint_id: created.id })).to.have.length(1);
    await api('delete', `/v1/webhooks/endpoints/${created.id}`).expect(204);
    problem(await api('get', `/v1/webhooks/endpoints/${created.id}`), 404, 'CLARION_ERR_WEBHOOK_ENDPOINT_NOT_FOUND');
    expect(await t.db.knex('webhook_messages').where({ endpoint_id: created.id })).to.have.length(0);
    problem(await api('delete', `/v1/webhooks/endpoints/${created.id}`), 404, 'CLARION_ERR_WEBHOOK_ENDPOINT_NOT_FOUND');
    expect(await t.db.knex('audit_logs').where({ target_id: created.id, action: 'webhook_endpoint.deleted' })).to.have.length(1);
  });

  it('lists the event types endpoints can subscribe to', async () => {
    const res = await api('get', '/v1/webhooks/event-types').expect(200);
    expect(res.body.items.map((i: { type: string }) => i.type)).to.include.members([
      'io.clarion.notification.sent',
      'io.clarion.notification.delivered',
      'io.clarion.notification.failed',
      'io.clarion.notification.read',
      'io.clarion.notification.acknowledged',
      'io.clarion.notification.suppressed',
      'io.clarion.delivery.attempt_failed',
      'io.clarion.escalation.step',
      'io.clarion.webhook.endpoint_disabled',
    ]);
  });

  it('needs an API key', async () => {
    problem(await request(t.callback).get('/v1/webhooks/endpoints'), 401, 'CLARION_ERR_AUTH_MISSING');
  });
});

describe('webhook endpoints with private targets allowed (integration)', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await testApp({ env: { CLARION_OUTBOUND_ALLOW_PRIVATE: 'true' } });
    ({ apiKey: key } = await t.tenant('Laptop'));
  });
  after(() => t.close());

  it('accepts loopback and private URLs, never the metadata address', async () => {
    const post = (url: string) => request(t.callback).post('/v1/webhooks/endpoints').set('authorization', `Bearer ${key}`).send({ url });
    await post('http://127.0.0.1:9999/hook').expect(201);
    await post('http://10.0.0.1/hook').expect(201);
    problem(await post('http://169.254.169.254/latest/meta-data/'), 422, 'CLARION_ERR_WEBHOOK_URL_NOT_ALLOWED');
    problem(await post('http://[fd00:ec2::254]/'), 422, 'CLARION_ERR_WEBHOOK_URL_NOT_ALLOWED');
  });
});
