import { expect } from 'chai';
import request from 'supertest';
import { MAX_JSON_DEPTH } from '../../core/ingest/limits.ts';
import { testApp, type TestApp } from '../support/clarion.ts';

/**
 * Every route that reads JSON goes through the same parser as ingest (core/ingest/json.ts), and
 * path and query parameters are checked before any handler: hostile input is a 4xx problem
 * document naming the field, never a 500, and changes nothing.
 */

const nest = (levels: number, leaf = '1') => '{"a":'.repeat(levels) + leaf + '}'.repeat(levels);
const WORKFLOW = '"trigger":"com.acme.x","channels":["email"]';

interface Case {
  name: string;
  method: 'put' | 'patch' | 'post' | 'get';
  path: string;
  /** Raw JSON text, so escapes reach the server as written. */
  body?: string | Buffer;
  code: string;
  pointer: string;
}

const cases: Case[] = [
  // PUT /v1/subscribers/:id
  { name: 'NUL in a subscriber name', method: 'put', path: '/v1/subscribers/s-1', body: '{"name":"a\\u0000"}', code: 'CLARION_ERR_HTTP_JSON_UNSTORABLE', pointer: '/name' },
  { name: 'lone surrogate in a subscriber name', method: 'put', path: '/v1/subscribers/s-1', body: '{"name":"\\ud800"}', code: 'CLARION_ERR_HTTP_JSON_UNSTORABLE', pointer: '/name' },
  { name: 'NUL in a key of subscriber data', method: 'put', path: '/v1/subscribers/s-1', body: '{"data":{"k\\u0000":1}}', code: 'CLARION_ERR_HTTP_JSON_UNSTORABLE', pointer: '/data/k\u0000' },
  { name: 'subscriber data nested 10,000 levels', method: 'put', path: '/v1/subscribers/s-1', body: `{"data":${nest(10_000)}}`, code: 'CLARION_ERR_HTTP_JSON_TOO_DEEP', pointer: `/data${'/a'.repeat(MAX_JSON_DEPTH - 1)}` },
  { name: '1e400 in subscriber data', method: 'put', path: '/v1/subscribers/s-1', body: '{"data":{"n":1e400}}', code: 'CLARION_ERR_HTTP_JSON_UNSTORABLE', pointer: '/data/n' },
  { name: 'NUL (%00) in a subscriber id', method: 'put', path: '/v1/subscribers/a%00b', body: '{}', code: 'CLARION_ERR_HTTP_INVALID_REQUEST', pointer: '/path/subscriberId' },
  { name: 'NUL in a subscriber id read', method: 'get', path: '/v1/subscribers/a%00b', code: 'CLARION_ERR_HTTP_INVALID_REQUEST', pointer: '/path/subscriberId' },
  { name: 'body that is not UTF-8', method: 'put', path: '/v1/subscribers/s-1', body: Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), code: 'CLARION_ERR_HTTP_MALFORMED_JSON', pointer: '' },
  // PUT /v1/workflows/:key
  { name: 'NUL in a workflow trigger', method: 'put', path: '/v1/workflows/wf-1', body: '{"trigger":"com.acme\\u0000","channels":["email"]}', code: 'CLARION_ERR_HTTP_JSON_UNSTORABLE', pointer: '/trigger' },
  { name: 'lone surrogate in a workflow name', method: 'put', path: '/v1/workflows/wf-1', body: `{${WORKFLOW},"name":"x\\udfff"}`, code: 'CLARION_ERR_HTTP_JSON_UNSTORABLE', pointer: '/name' },
  { name: 'a workflow nested 10,000 levels', method: 'put', path: '/v1/workflows/wf-1', body: `{${WORKFLOW},"plugins":${nest(10_000)}}`, code: 'CLARION_ERR_HTTP_JSON_TOO_DEEP', pointer: `/plugins${'/a'.repeat(MAX_JSON_DEPTH - 1)}` },
  { name: 'NUL (%00) in a workflow key', method: 'put', path: '/v1/workflows/wf%00', body: `{${WORKFLOW}}`, code: 'CLARION_ERR_HTTP_INVALID_REQUEST', pointer: '/path/key' },
  // PUT /v1/contracts/:type
  { name: 'NUL in a contract', method: 'put', path: '/v1/contracts/com.acme.x', body: '{"type":"object","description":"\\u0000"}', code: 'CLARION_ERR_HTTP_JSON_UNSTORABLE', pointer: '/description' },
  { name: 'lone surrogate in a contract property name', method: 'put', path: '/v1/contracts/com.acme.x', body: '{"type":"object","properties":{"\\udc00":{}}}', code: 'CLARION_ERR_HTTP_JSON_UNSTORABLE', pointer: '/properties/\udc00' },
  { name: 'a contract nested 10,000 levels', method: 'put', path: '/v1/contracts/com.acme.x', body: '{"not":'.repeat(10_000) + '{}' + '}'.repeat(10_000), code: 'CLARION_ERR_HTTP_JSON_TOO_DEEP', pointer: '/not'.repeat(MAX_JSON_DEPTH) },
  { name: 'a contract bound that does not round-trip', method: 'put', path: '/v1/contracts/com.acme.x', body: '{"type":"integer","maximum":12345678901234567890}', code: 'CLARION_ERR_HTTP_JSON_UNSTORABLE', pointer: '/maximum' },
  { name: 'NUL (%00) in a contract type', method: 'put', path: '/v1/contracts/a%00', body: '{}', code: 'CLARION_ERR_HTTP_INVALID_REQUEST', pointer: '/path/type' },
  // other routes
  { name: 'NUL in a tenant brand name', method: 'patch', path: '/v1/tenant', body: '{"settings":{"brand":{"name":"\\u0000"}}}', code: 'CLARION_ERR_HTTP_JSON_UNSTORABLE', pointer: '/settings/brand/name' },
  { name: 'NUL in a webhook endpoint description', method: 'post', path: '/v1/webhooks/endpoints', body: '{"url":"https://example.com/hook","description":"\\u0000"}', code: 'CLARION_ERR_HTTP_JSON_UNSTORABLE', pointer: '/description' },
  { name: 'NUL (%00) in an event id read', method: 'get', path: '/v1/events/a%00b', code: 'CLARION_ERR_HTTP_INVALID_REQUEST', pointer: '/path/id' },
  { name: 'NUL (%00) in a query filter', method: 'get', path: '/v1/events?type=a%00b', code: 'CLARION_ERR_HTTP_INVALID_REQUEST', pointer: '/query/type' },
  { name: 'a subscriber list cursor that decodes to a NUL', method: 'get', path: '/v1/subscribers?cursor=AA', code: 'CLARION_ERR_HTTP_INVALID_REQUEST', pointer: '/query/cursor' },
  { name: 'NUL (%00) in a query parameter name', method: 'get', path: '/v1/events?a%00=1', code: 'CLARION_ERR_HTTP_INVALID_REQUEST', pointer: '/query/a\u0000' },
];

describe('other JSON routes: hostile input (integration)', () => {
  let t: TestApp;
  let key: string;

  before(async () => {
    t = await testApp();
    ({ apiKey: key } = await t.tenant('Acme'));
  });
  after(() => t.close());

  const TABLES = ['subscribers', 'workflows', 'contracts', 'webhook_endpoints', 'audit_logs', 'events'];
  const rows = async () => {
    const counts: Record<string, number> = {};
    for (const table of TABLES) counts[table] = Number((await t.db.knex(table).count('* as n').first())!.n);
    counts.tenantSettings = JSON.stringify((await t.db.knex('tenants').select('settings')).map((r) => r.settings)).length;
    return counts;
  };

  for (const c of cases) {
    it(`refuses ${c.name} (${c.method.toUpperCase()} ${c.path.split('?')[0]}): 4xx naming the field, nothing changed`, async () => {
      const before = await rows();
      let req = request(t.callback)[c.method](c.path).set('authorization', `Bearer ${key}`);
      // Bytes as they are: superagent would serialise a Buffer sent as JSON to {"type":"Buffer",...}.
      if (c.body !== undefined) req = req.set('content-type', 'application/json').serialize((value: unknown) => value as string).send(c.body as string);
      const res = await req;
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.be.within(400, 499);
      expect(res.type).to.equal('application/problem+json');
      expect(res.body.code).to.equal(c.code);
      expect((res.body.errors as Array<{ pointer: string }>).map((e) => e.pointer)).to.include(c.pointer);
      expect(await rows()).to.deep.equal(before);
    });
  }

  it('still takes the same documents without the hostile parts', async () => {
    await request(t.callback).put('/v1/subscribers/s-1').set('authorization', `Bearer ${key}`).send({ name: 'Ada 😀', data: { n: 6.02e23, big: 12345678901234567000 } }).expect(201);
    const read = await request(t.callback).get('/v1/subscribers/s-1').set('authorization', `Bearer ${key}`).expect(200);
    expect(read.body).to.deep.include({ name: 'Ada 😀', data: { n: 6.02e23, big: 12345678901234567000 } });
    const schema = '{"not":'.repeat(MAX_JSON_DEPTH - 1) + '{}' + '}'.repeat(MAX_JSON_DEPTH - 1);
    await request(t.callback).put('/v1/contracts/com.acme.deep').set('authorization', `Bearer ${key}`).set('content-type', 'application/json').send(schema).expect(201);
  });
});
