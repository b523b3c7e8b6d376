import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';

describe('/v1/contracts', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await testApp();
    ({ apiKey: key } = await t.tenant());
  });
  after(() => t.close());

  const put = (type: string, body: unknown, contentType = 'application/json') =>
    request(t.callback).put(`/v1/contracts/${type}`).set('authorization', `Bearer ${key}`).set('content-type', contentType).send(JSON.stringify(body));

  it('registers a contract, then versions its replacements', async () => {
    const first = await put('com.acme.invoice.paid', { type: 'object', required: ['invoice'] }).expect(201);
    expect(first.body).to.include({ type: 'com.acme.invoice.paid', version: 1 });
    expect(first.headers.location).to.equal('/v1/contracts/com.acme.invoice.paid');
    const second = await put('com.acme.invoice.paid', { type: 'object', required: ['invoice', 'amount'] }, 'application/schema+json').expect(200);
    expect(second.body.version).to.equal(2);

    const current = await request(t.callback).get('/v1/contracts/com.acme.invoice.paid').set('authorization', `Bearer ${key}`).expect(200);
    expect(current.body.version).to.equal(2);
    expect(current.body.schema.required).to.deep.equal(['invoice', 'amount']);
    expect(current.body.versions.map((v: { version: number }) => v.version)).to.deep.equal([2, 1]);
    const old = await request(t.callback).get('/v1/contracts/com.acme.invoice.paid?version=1').set('authorization', `Bearer ${key}`).expect(200);
    expect(old.body.schema.required).to.deep.equal(['invoice']);

    const list = await request(t.callback).get('/v1/contracts').set('authorization', `Bearer ${key}`).expect(200);
    expect(list.body.items.map((c: { type: string; version: number }) => [c.type, c.version])).to.deep.include(['com.acme.invoice.paid', 2]);
  });

  it('validates events against the newest version', async () => {
    await put('com.acme.stock.low', { type: 'object', required: ['sku'] }).expect(201);
    const event = { specversion: '1.0', id: 's-1', source: '/stock', type: 'com.acme.stock.low', data: { sku: 'X' } };
    const post = (e: unknown) => request(t.callback).post('/v1/events').set('authorization', `Bearer ${key}`).set('content-type', 'application/cloudevents+json').send(JSON.stringify(e));
    await post(event).expect(202);
    await put('com.acme.stock.low', { type: 'object', required: ['sku', 'warehouse'] }).expect(200);
    const refused = await post({ ...event, id: 's-2' }).expect(422);
    expect(refused.body.errors).to.deep.equal([{ pointer: '/data/warehouse', message: 'is required' }]);
    const stored = await t.db.knex('events').where({ ce_id: 's-1' }).first();
    expect(stored.contract_version).to.equal(1);
  });

  it('refuses a schema that is not valid JSON Schema 2020-12, with the reason', async () => {
    const res = await put('com.acme.bad', { type: 'objekt' }).expect(422);
    expect(res.type).to.equal('application/problem+json');
    expect(res.body.code).to.equal('CLARION_ERR_CONTRACT_INVALID_SCHEMA');
    expect(res.body.errors[0].pointer).to.equal('/type');
    const unknownKeyword = await put('com.acme.bad', { type: 'object', requird: ['x'] }).expect(422);
    expect(unknownKeyword.body.detail).to.match(/unknown keyword: "requird"/);
    const badRef = await put('com.acme.bad', { $ref: '#/$defs/missing' }).expect(422);
    expect(badRef.body.detail).to.match(/can't resolve reference/);
    await put('com.acme.bad', [1, 2]).expect(422);
    const notJson = await request(t.callback).put('/v1/contracts/com.acme.bad').set('authorization', `Bearer ${key}`).set('content-type', 'application/json').send('{"type": ');
    expect(notJson.status).to.equal(400);
    expect(notJson.body.code).to.equal('CLARION_ERR_HTTP_MALFORMED_JSON');
    const notFound = await request(t.callback).get('/v1/contracts/com.acme.bad').set('authorization', `Bearer ${key}`).expect(404);
    expect(notFound.body.code).to.equal('CLARION_ERR_CONTRACT_NOT_FOUND');
  });

  it('refuses a non-JSON content type with 415 and an invalid type name with 400', async () => {
    await request(t.callback).put('/v1/contracts/com.acme.x').set('authorization', `Bearer ${key}`).set('content-type', 'text/plain').send('{}').expect(415);
    const res = await put('has%20space', { type: 'object' }).expect(400);
    expect(res.body.errors[0].pointer).to.equal('/path/type');
  });

  it('keeps contracts per tenant', async () => {
    await put('com.acme.private', { type: 'object' }).expect(201);
    const other = await t.tenant('Other');
    await request(t.callback).get('/v1/contracts/com.acme.private').set('authorization', `Bearer ${other.apiKey}`).expect(404);
  });

  it('records contract changes in the audit log', async () => {
    const rows = await t.db.knex('audit_logs').where({ target_type: 'contract', target_id: 'com.acme.invoice.paid' }).orderBy('id');
    expect(rows.map((r) => r.action)).to.deep.equal(['contract.created', 'contract.replaced']);
    expect(rows[0].actor).to.match(/^api_key:/);
  });
});
