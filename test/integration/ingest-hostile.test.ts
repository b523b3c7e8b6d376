import { expect } from 'chai';
import request from 'supertest';
import { MAX_DATACONTENTTYPE_BYTES, MAX_DATASCHEMA_BYTES, MAX_EXTENSION_VALUE_BYTES, MAX_EXTENSIONS, MAX_ID_BYTES, MAX_JSON_DEPTH, MAX_SOURCE_BYTES, MAX_SUBJECT_BYTES, MAX_TYPE_BYTES } from '../../core/ingest/limits.ts';
import { testApp, type TestApp } from '../support/clarion.ts';

/**
 * Hostile input to POST /v1/events, as an attacker would send it: each case must come back as a
 * 4xx problem document naming the field, and leave the database as it was (no event row, no
 * job). Then the values just inside every limit, which must be stored and read back unchanged.
 */

const TYPE = 'com.acme.hostile';
const STRUCTURED = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';

/** JSON text of a structured event; override values are raw JSON text, so escapes reach the server as written. */
function event(overrides: Record<string, string> = {}, id = 'h-1'): string {
  const members: Record<string, string> = { specversion: '"1.0"', id: JSON.stringify(id), source: '"/hostile"', type: JSON.stringify(TYPE), ...overrides };
  return `{${Object.entries(members).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}
const batch = (...events: string[]) => `[${events.join(',')}]`;
const nest = (levels: number, leaf = '1') => '{"a":'.repeat(levels) + leaf + '}'.repeat(levels);
const deepPointer = (prefix: string) => `${prefix}${'/a'.repeat(MAX_JSON_DEPTH)}`;
const manyExtensions = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`ext${i}`, '"v"']));
const binaryHeaders = (extra: Record<string, string> = {}) => ({ 'ce-specversion': '1.0', 'ce-id': 'hb-1', 'ce-source': '/hostile', 'ce-type': TYPE, ...extra });

interface Case {
  name: string;
  body: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  code?: string;
  /** The pointer of errors[] that names the field. */
  pointer: string;
}

const cases: Case[] = [
  // structured: NUL anywhere
  { name: 'NUL in id', body: event({ id: '"a\\u0000b"' }), pointer: '/id' },
  { name: 'NUL in source', body: event({ source: '"/a\\u0000"' }), pointer: '/source' },
  { name: 'NUL in type', body: event({ type: '"com.acme\\u0000"' }), pointer: '/type' },
  { name: 'NUL in subject', body: event({ subject: '"order/\\u0000"' }), pointer: '/subject' },
  { name: 'NUL in an extension value', body: event({ tenantref: '"x\\u0000"' }), pointer: '/tenantref' },
  { name: 'NUL in a data string', body: event({ data: '{"note":"a\\u0000b"}' }), pointer: '/data/note' },
  { name: 'NUL in a data key', body: event({ data: '{"ok":{"a\\u0000b":1}}' }), pointer: '/data/ok/a\u0000b' },
  { name: 'NUL in a string in a data array', body: event({ data: '{"list":["x",["y","\\u0000"]]}' }), pointer: '/data/list/1/1' },
  // structured: unpaired surrogates, sent as the six characters \ud800 (JSON.parse would take them)
  { name: 'lone high surrogate in id', body: event({ id: '"\\ud800"' }), pointer: '/id' },
  { name: 'lone low surrogate in id', body: event({ id: '"x\\udc00"' }), pointer: '/id' },
  { name: 'high surrogate followed by a non-surrogate escape', body: event({ subject: '"\\ud800\\u0041"' }), pointer: '/subject' },
  { name: 'lone surrogate in source', body: event({ source: '"/\\udbff"' }), pointer: '/source' },
  { name: 'lone surrogate in an extension value', body: event({ tenantref: '"\\udfff"' }), pointer: '/tenantref' },
  { name: 'lone low surrogate in a data string', body: event({ data: '{"note":"\\udc00x"}' }), pointer: '/data/note' },
  { name: 'lone high surrogate in a data key', body: event({ data: '{"k\\ud800":1}' }), pointer: '/data/k\ud800' },
  // the same surrogate as raw bytes (ED A0 80) is not UTF-8 at all
  { name: 'a surrogate encoded as bytes (not UTF-8)', body: Buffer.concat([Buffer.from(event({ id: '"x' }).slice(0, -1)), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), code: 'CLARION_ERR_HTTP_MALFORMED_JSON', pointer: '' },
  // structured: lengths
  { name: '5 KB id', body: event({ id: JSON.stringify('i'.repeat(5000)) }), pointer: '/id' },
  { name: '5 KB source', body: event({ source: JSON.stringify(`/${'s'.repeat(5000)}`) }), pointer: '/source' },
  { name: 'id one byte over, in two-byte characters', body: event({ id: JSON.stringify(`${'é'.repeat(MAX_ID_BYTES / 2)}x`) }), pointer: '/id' },
  { name: 'type one byte over', body: event({ type: JSON.stringify('t'.repeat(MAX_TYPE_BYTES + 1)) }), pointer: '/type' },
  { name: 'subject of 600 characters but 1200 bytes', body: event({ subject: JSON.stringify('é'.repeat(600)) }), pointer: '/subject' },
  { name: 'overlong dataschema', body: event({ dataschema: JSON.stringify(`https://example.com/${'d'.repeat(MAX_DATASCHEMA_BYTES)}`) }), pointer: '/dataschema' },
  { name: 'overlong datacontenttype', body: event({ datacontenttype: JSON.stringify(`application/json; p=${'c'.repeat(MAX_DATACONTENTTYPE_BYTES)}`) }), pointer: '/datacontenttype' },
  { name: 'time with a megabyte-style fraction', body: event({ time: JSON.stringify(`2026-11-21T10:00:00.${'0'.repeat(5000)}Z`) }), pointer: '/time' },
  { name: 'overlong extension value', body: event({ tenantref: JSON.stringify('v'.repeat(MAX_EXTENSION_VALUE_BYTES + 1)) }), pointer: '/tenantref' },
  { name: 'too many extensions', body: event(manyExtensions(MAX_EXTENSIONS + 1)), pointer: `/ext${MAX_EXTENSIONS}` },
  { name: 'ten thousand extensions', body: event(manyExtensions(10_000)), pointer: `/ext${MAX_EXTENSIONS}` },
  // structured: depth and numbers
  { name: 'data nested 10,000 levels', body: event({ data: nest(10_000) }), pointer: deepPointer('/data') },
  { name: 'data nested one level too deep', body: event({ data: nest(MAX_JSON_DEPTH + 1) }), pointer: deepPointer('/data') },
  { name: 'an extension nested 10,000 levels', body: event({ tenantref: '['.repeat(10_000) + ']'.repeat(10_000) }), pointer: `/tenantref${'/0'.repeat(MAX_JSON_DEPTH)}` },
  { name: '1e400 in data', body: event({ data: '{"n":1e400}' }), pointer: '/data/n' },
  { name: '-1e400 in data', body: event({ data: '{"n":[-1e400]}' }), pointer: '/data/n/0' },
  { name: '1e-400 in data (would become 0)', body: event({ data: '{"n":1e-400}' }), pointer: '/data/n' },
  { name: 'an integer that does not round-trip', body: event({ data: '{"n":12345678901234567890}' }), pointer: '/data/n' },
  { name: '2^53 + 1', body: event({ data: '9007199254740993' }), pointer: '/data' },
  { name: '1e400 as an extension value', body: event({ seq: '1e400' }), pointer: '/seq' },
  // batch: the field of the right event
  { name: 'batch: NUL in the source of the 4th event', body: batch(event({}, 'b0'), event({}, 'b1'), event({}, 'b2'), event({ source: '"/\\u0000"' }, 'b3')), contentType: BATCH, code: 'CLARION_ERR_INGEST_INVALID_BATCH', pointer: '/3/source' },
  { name: 'batch: data nested 10,000 levels', body: batch(event({}, 'b0'), event({ data: nest(10_000) }, 'b1')), contentType: BATCH, code: 'CLARION_ERR_INGEST_INVALID_BATCH', pointer: deepPointer('/1/data') },
  { name: 'batch: lone surrogate in a data key', body: batch(event({ data: '{"\\ud800":true}' }, 'b0')), contentType: BATCH, code: 'CLARION_ERR_INGEST_INVALID_BATCH', pointer: '/0/data/\ud800' },
  { name: 'batch: 1e400', body: batch(event({}, 'b0'), event({ data: '{"n":1e400}' }, 'b1')), contentType: BATCH, code: 'CLARION_ERR_INGEST_INVALID_BATCH', pointer: '/1/data/n' },
  { name: 'batch: 5 KB id', body: batch(event({}, 'b0'), event({ id: JSON.stringify('i'.repeat(5000)) })), contentType: BATCH, code: 'CLARION_ERR_INGEST_INVALID_BATCH', pointer: '/1/id' },
  { name: 'batch: too many extensions', body: batch(event(manyExtensions(40), 'b0')), contentType: BATCH, code: 'CLARION_ERR_INGEST_INVALID_BATCH', pointer: `/0/ext${MAX_EXTENSIONS}` },
  // binary: headers percent-decoded, then judged like attributes
  { name: 'binary: NUL (%00) in ce-id', body: '{}', contentType: 'application/json', headers: binaryHeaders({ 'ce-id': 'a%00b' }), pointer: 'header:ce-id' },
  { name: 'binary: NUL in ce-source', body: '{}', contentType: 'application/json', headers: binaryHeaders({ 'ce-source': '/%00' }), pointer: 'header:ce-source' },
  { name: 'binary: NUL in ce-type', body: '{}', contentType: 'application/json', headers: binaryHeaders({ 'ce-type': 'x%00' }), pointer: 'header:ce-type' },
  { name: 'binary: NUL in ce-subject', body: '{}', contentType: 'application/json', headers: binaryHeaders({ 'ce-subject': '%00' }), pointer: 'header:ce-subject' },
  { name: 'binary: NUL in an extension header', body: '{}', contentType: 'application/json', headers: binaryHeaders({ 'ce-tenantref': '%00' }), pointer: 'header:ce-tenantref' },
  { name: 'binary: a surrogate percent-encoded as UTF-8 bytes', body: '{}', contentType: 'application/json', headers: binaryHeaders({ 'ce-id': '%ED%A0%80' }), pointer: 'header:ce-id' },
  { name: 'binary: raw non-ASCII byte in a header (Latin-1 or UTF-8?)', body: '{}', contentType: 'application/json', headers: binaryHeaders({ 'ce-subject': 'caf\u00e9' }), pointer: 'header:ce-subject' },
  { name: 'binary: 5 KB ce-id', body: '{}', contentType: 'application/json', headers: binaryHeaders({ 'ce-id': 'i'.repeat(5000) }), pointer: 'header:ce-id' },
  { name: 'binary: 5 KB ce-source', body: '{}', contentType: 'application/json', headers: binaryHeaders({ 'ce-source': `/${'s'.repeat(5000)}` }), pointer: 'header:ce-source' },
  { name: 'binary: ce-id over the limit once percent-decoded', body: '{}', contentType: 'application/json', headers: binaryHeaders({ 'ce-id': '%C3%A9'.repeat(MAX_ID_BYTES / 2 + 1) }), pointer: 'header:ce-id' },
  { name: 'binary: overlong extension header', body: '{}', contentType: 'application/json', headers: binaryHeaders({ 'ce-tenantref': 'v'.repeat(MAX_EXTENSION_VALUE_BYTES + 1) }), pointer: 'header:ce-tenantref' },
  { name: 'binary: too many extension headers', body: '{}', contentType: 'application/json', headers: binaryHeaders(Object.fromEntries(Array.from({ length: MAX_EXTENSIONS + 1 }, (_, i) => [`ce-ext${i}`, 'v']))), pointer: `header:ce-ext${MAX_EXTENSIONS}` },
  { name: 'binary: overlong Content-Type', body: '{}', contentType: `application/json; p=${'c'.repeat(MAX_DATACONTENTTYPE_BYTES)}`, headers: binaryHeaders(), pointer: 'header:content-type' },
  { name: 'binary: NUL in a JSON body key', body: '{"k\\u0000":1}', contentType: 'application/json', headers: binaryHeaders(), pointer: '/data/k\u0000' },
  { name: 'binary: lone surrogate in a JSON body string', body: '{"s":["\\ud800"]}', contentType: 'application/json', headers: binaryHeaders(), pointer: '/data/s/0' },
  { name: 'binary: JSON body nested 10,000 levels', body: nest(10_000), contentType: 'application/json', headers: binaryHeaders(), pointer: `/data${'/a'.repeat(MAX_JSON_DEPTH)}` },
  { name: 'binary: JSON body nested 10,000 levels, no Content-Type', body: Buffer.from('['.repeat(10_000) + ']'.repeat(10_000)), headers: binaryHeaders(), pointer: `/data${'/0'.repeat(MAX_JSON_DEPTH)}` },
  { name: 'binary: 1e400 in a JSON body', body: '{"n":1e400}', contentType: 'application/json', headers: binaryHeaders(), pointer: '/data/n' },
  { name: 'binary: -1e400 in a JSON body', body: '-1e400', contentType: 'application/json', headers: binaryHeaders(), pointer: '/data' },
  { name: 'binary: 12345678901234567890 in a JSON body', body: '{"n":12345678901234567890}', contentType: 'application/json', headers: binaryHeaders(), pointer: '/data/n' },
  { name: 'binary: NUL byte in a text/plain body', body: Buffer.from('a\u0000b'), contentType: 'text/plain', headers: binaryHeaders(), pointer: '/data' },
];

describe('POST /v1/events: hostile input (integration)', () => {
  let t: TestApp;
  let key: string;

  before(async () => {
    t = await testApp();
    ({ apiKey: key } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
  });
  after(() => t.close());

  const rows = async () => {
    const events = await t.db.knex('events').count('* as n').first();
    const jobs = await t.db.knex('graphile_worker.jobs').count('* as n').first();
    return { events: Number(events!.n), jobs: Number(jobs!.n) };
  };
  /** Without a content type, send a Buffer: superagent gives strings a form content type. */
  const post = (body: string | Buffer, contentType?: string, headers: Record<string, string> = {}) => {
    const req = request(t.callback).post('/v1/events').set('authorization', `Bearer ${key}`).set(headers);
    if (contentType) req.set('content-type', contentType);
    // Bytes as they are: superagent would serialise a Buffer sent as +json to {"type":"Buffer",...}.
    return req.serialize((value: unknown) => value as string).send(body as string);
  };

  for (const c of cases) {
    it(`refuses ${c.name}: 4xx naming ${JSON.stringify(c.pointer.length > 40 ? `${c.pointer.slice(0, 40)}…` : c.pointer)}, nothing stored`, async () => {
      const before = await rows();
      const res = await post(c.body, c.contentType ?? (c.headers ? undefined : STRUCTURED), c.headers);
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.be.within(400, 499);
      expect(res.type).to.equal('application/problem+json');
      expect(res.body.code).to.equal(c.code ?? 'CLARION_ERR_INGEST_INVALID_EVENT');
      const pointers = (res.body.errors as Array<{ pointer: string; message: string }>).map((e) => e.pointer);
      expect(pointers, JSON.stringify(res.body.errors).slice(0, 300)).to.include(c.pointer);
      expect(await rows()).to.deep.equal(before);
    });
  }

  it('judges every event of a hostile batch, as it judges any batch, and stores none', async () => {
    const before = await rows();
    const res = await post(
      batch(
        event({}, 'mix-0'),
        event({ id: '"\\u0000"' }),
        event({ type: 'null' }, 'mix-2'),
        event({ data: nest(10_000) }, 'mix-3'),
        event({ data: '{"n":12345678901234567890}', time: '"yesterday"' }, 'mix-4'),
        event({}, 'mix-5'),
      ),
      BATCH,
    ).expect(400);
    expect(res.body.code).to.equal('CLARION_ERR_INGEST_INVALID_BATCH');
    expect(res.body.detail).to.match(/^4 of 6 events are invalid; nothing of the batch was accepted/);
    const pointers = (res.body.errors as Array<{ pointer: string }>).map((e) => e.pointer);
    expect(pointers).to.include.members(['/1/id', '/2/type', deepPointer('/3/data'), '/4/data/n', '/4/time']);
    expect(pointers.filter((p) => /^\/[05]\//.test(p))).to.deep.equal([]);
    expect(await rows()).to.deep.equal(before);
  });

  it('answers a lone-surrogate id with 400, never storing it under a changed id or calling it a duplicate', async () => {
    await post(event({ id: '"\\ud800"' }), STRUCTURED).expect(400);
    await post(event({ id: '"\\ud800"' }), STRUCTURED).expect(400);
    expect(await t.db.knex('events').where({ source: '/hostile' }).whereRaw(`ce_id like '%' || chr(65533) || '%'`)).to.deep.equal([]);
  });

  describe('values just inside every limit', () => {
    const id = 'é'.repeat(MAX_ID_BYTES / 2); // 1024 bytes in 512 characters
    const deepData = (levels: number): Record<string, unknown> => (levels === 1 ? { leaf: 'bottom' } : { a: deepData(levels - 1) });
    const extensions = Object.fromEntries(
      Array.from({ length: MAX_EXTENSIONS }, (_, i) => [`ext${i}`, i === 0 ? `${'ü'.repeat(MAX_EXTENSION_VALUE_BYTES / 2 - 1)}ab` : i === 1 ? 2147483647 : i === 2 ? false : `v${i}`]),
    );
    const data = {
      numbers: [9007199254740992, -9007199254740992, 12345678901234567000, 1.7976931348623157e308, 5e-324, 0.1, 6.02e23, 1e21, -1.5, 0],
      text: 'emoji 😀, escaped pair \ud83d\ude00, control \u0001, line separator \u2028, tab\t, quote " and backslash \\',
      'key with 😀 and ~/': 'ok',
      deep: deepData(MAX_JSON_DEPTH - 1), // data itself is the first level
    };
    const cloudevent = {
      specversion: '1.0',
      id,
      source: `/${'s'.repeat(MAX_SOURCE_BYTES - 1)}`,
      type: `com.acme.${'t'.repeat(MAX_TYPE_BYTES - 'com.acme.'.length)}`,
      subject: 'ü'.repeat(MAX_SUBJECT_BYTES / 2),
      time: '2026-11-21T10:00:00.123456789+01:00',
      datacontenttype: `application/json; profile=${'p'.repeat(MAX_DATACONTENTTYPE_BYTES - 'application/json; profile='.length)}`,
      dataschema: `https://example.com/${'d'.repeat(MAX_DATASCHEMA_BYTES - 'https://example.com/'.length)}`,
      ...extensions,
      data,
    };

    it('has the test values at the limits exactly', () => {
      expect(Buffer.byteLength(cloudevent.id)).to.equal(MAX_ID_BYTES);
      expect(Buffer.byteLength(cloudevent.source)).to.equal(MAX_SOURCE_BYTES);
      expect(Buffer.byteLength(cloudevent.type)).to.equal(MAX_TYPE_BYTES);
      expect(Buffer.byteLength(cloudevent.subject)).to.equal(MAX_SUBJECT_BYTES);
      expect(Buffer.byteLength(cloudevent.datacontenttype)).to.equal(MAX_DATACONTENTTYPE_BYTES);
      expect(Buffer.byteLength(cloudevent.dataschema)).to.equal(MAX_DATASCHEMA_BYTES);
      expect(Buffer.byteLength(extensions.ext0 as string)).to.equal(MAX_EXTENSION_VALUE_BYTES);
      expect(Object.keys(extensions)).to.have.length(MAX_EXTENSIONS);
    });

    const readBack = async (eventId: string) => {
      const res = await request(t.callback).get(`/v1/events/${eventId}`).set('authorization', `Bearer ${key}`).expect(200);
      return res.body.cloudevent as Record<string, unknown>;
    };

    it('structured: stores them and reads them back unchanged', async () => {
      const text = JSON.stringify(cloudevent);
      const res = await post(text, STRUCTURED).expect(202);
      expect(res.body.accepted).to.deep.equal([{ id, source: cloudevent.source, eventId: res.body.accepted[0].eventId }]);
      const stored = await readBack(res.body.accepted[0].eventId);
      expect(stored).to.deep.equal(cloudevent);
      // Every string and number identical, not merely equal after some coercion.
      expect(JSON.stringify(sortKeys(stored))).to.equal(JSON.stringify(sortKeys(cloudevent)));
      // Resent: a duplicate of the same stored event, found by its exact id.
      const again = await post(text, STRUCTURED).expect(202);
      expect(again.body.duplicates).to.deep.equal(res.body.accepted);
    });

    it('batch: the same, with every event of the batch', async () => {
      const events = [{ ...cloudevent, id: `${id.slice(1)}1` }, { ...cloudevent, id: `${id.slice(1)}2`, data: { n: 12345678901234567000 } }];
      const res = await post(JSON.stringify(events), BATCH).expect(202);
      expect(res.body.accepted).to.have.length(2);
      for (const [i, ref] of (res.body.accepted as Array<{ eventId: string }>).entries()) expect(await readBack(ref.eventId)).to.deep.equal(events[i]);
    });

    it('binary: percent-encoded headers at the limits, a body nested to the limit', async () => {
      const headers: Record<string, string> = {
        'ce-specversion': '1.0',
        'ce-id': encodeURIComponent(`b${id.slice(1)}`),
        'ce-source': cloudevent.source,
        'ce-type': cloudevent.type,
        'ce-subject': encodeURIComponent(cloudevent.subject),
        'ce-time': cloudevent.time.replace('+', '%2B'),
        'ce-dataschema': cloudevent.dataschema,
      };
      for (const [name, value] of Object.entries(extensions)) headers[`ce-${name}`] = encodeURIComponent(String(value));
      const body = { deep: deepData(MAX_JSON_DEPTH - 1), n: 12345678901234567000 };
      const res = await post(JSON.stringify(body), cloudevent.datacontenttype, headers).expect(202);
      const stored = await readBack(res.body.accepted[0].eventId);
      // Header values are strings: binary mode carries no types.
      const stringExtensions = Object.fromEntries(Object.entries(extensions).map(([k, v]) => [k, String(v)]));
      expect(stored).to.deep.equal({ ...cloudevent, ...stringExtensions, id: `b${id.slice(1)}`, data: body });
    });

    it('a recursive contract validates data nested to the limit (ajv never walks deeper)', async () => {
      const type = 'com.acme.tree';
      const schema = { $defs: { node: { type: 'object', properties: { a: { $ref: '#/$defs/node' }, leaf: { type: 'string' } }, additionalProperties: false } }, $ref: '#/$defs/node' };
      await request(t.callback).put(`/v1/contracts/${type}`).set('authorization', `Bearer ${key}`).send(schema).expect(201);
      const ok = await post(JSON.stringify({ specversion: '1.0', id: 'tree-1', source: '/tree', type, data: deepData(MAX_JSON_DEPTH) }), STRUCTURED).expect(202);
      expect((await readBack(ok.body.accepted[0].eventId)).data).to.deep.equal(deepData(MAX_JSON_DEPTH));
      const bad = await post(JSON.stringify({ specversion: '1.0', id: 'tree-2', source: '/tree', type, data: deepData(MAX_JSON_DEPTH) }).replace('"bottom"', '7'), STRUCTURED).expect(422);
      expect(bad.body.errors[0].pointer).to.equal(`/data${'/a'.repeat(MAX_JSON_DEPTH - 1)}/leaf`);
      await post(JSON.stringify({ specversion: '1.0', id: 'tree-3', source: '/tree', type, data: deepData(MAX_JSON_DEPTH + 1) }), STRUCTURED).expect(400);
    });
  });
});

/** The same value with object keys in one order (jsonb keeps its own), for a byte-for-byte comparison. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  return value;
}
