import { expect } from 'chai';
import request from 'supertest';
import { observeQueue } from '../../core/metrics.ts';
import { queuedJobs, testApp, type TestApp } from '../support/clarion.ts';

const ORDER_SCHEMA = {
  type: 'object',
  required: ['orderId', 'amount'],
  properties: { orderId: { type: 'string' }, amount: { type: 'number', minimum: 0 }, recipients: { type: 'array' } },
};

function structured(overrides: Record<string, unknown> = {}) {
  return { specversion: '1.0', id: 'evt-1', source: '/orders', type: 'com.acme.order.shipped', data: { orderId: 'A-1', amount: 12.5 }, ...overrides };
}

describe('POST /v1/events (integration)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;

  before(async () => {
    t = await testApp();
    ({ apiKey: key, tenantId } = await t.tenant('Acme'));
    await request(t.callback).put('/v1/contracts/com.acme.order.shipped').set('authorization', `Bearer ${key}`).send(ORDER_SCHEMA).expect(201);
  });
  after(() => t.close());

  const post = (body: unknown, contentType = 'application/cloudevents+json') =>
    request(t.callback).post('/v1/events').set('authorization', `Bearer ${key}`).set('content-type', contentType).send(typeof body === 'string' ? body : JSON.stringify(body));

  it('accepts a structured event, stores it whole and enqueues process_event in the same transaction', async () => {
    const res = await post(structured({ id: 'structured-1', subject: 'order/A-1', time: '2026-11-21T10:00:00Z', tenantref: 'x1' })).expect(202);
    expect(res.body.accepted).to.have.length(1);
    expect(res.body.accepted[0]).to.include({ id: 'structured-1', source: '/orders' });
    expect(res.body.duplicates).to.deep.equal([]);
    const eventId = res.body.accepted[0].eventId;
    const jobs = (await queuedJobs(t.db.knex, 'process_event')).filter((j) => j.payload.eventId === eventId);
    expect(jobs).to.have.length(1);
    expect(jobs[0].payload.tenantId).to.equal(tenantId);

    const read = await request(t.callback).get(`/v1/events/${eventId}`).set('authorization', `Bearer ${key}`).expect(200);
    expect(read.body.status).to.equal('received');
    expect(read.body.cloudevent).to.deep.equal({
      specversion: '1.0', id: 'structured-1', source: '/orders', type: 'com.acme.order.shipped', subject: 'order/A-1',
      time: '2026-11-21T10:00:00Z', tenantref: 'x1', data: { orderId: 'A-1', amount: 12.5 },
    });
  });

  it('shows waiting jobs in the queue-depth metric', async () => {
    observeQueue(t.db.knex);
    await post(structured({ id: 'metric-1' })).expect(202);
    const waiting = (await queuedJobs(t.db.knex, 'process_event')).length;
    const metrics = await request(t.callback).get('/metrics').expect(200);
    expect(metrics.text).to.include(`clarion_queue_depth{task="process_event",state="ready"} ${waiting}`);
  });

  it('runs the process_event job, which marks the event processed', async () => {
    const res = await post(structured({ id: 'job-1' })).expect(202);
    await t.runJobs();
    const read = await request(t.callback).get(`/v1/events/${res.body.accepted[0].eventId}`).set('authorization', `Bearer ${key}`).expect(200);
    expect(read.body.status).to.equal('processed');
    expect(read.body.processedAt).to.be.a('string');
    expect(await queuedJobs(t.db.knex, 'process_event')).to.deep.equal([]);
  });

  it('accepts any charset spelling of application/cloudevents+json', async () => {
    await post(structured({ id: 'cs-1' }), 'application/cloudevents+json; charset=UTF-8').expect(202);
    await post(structured({ id: 'cs-2' }), 'Application/CloudEvents+JSON;charset="utf-8"').expect(202);
  });

  it('answers a resent event as a duplicate, never storing or processing it twice', async () => {
    const first = await post(structured({ id: 'dup-1' })).expect(202);
    const again = await post(structured({ id: 'dup-1', data: { orderId: 'changed', amount: 1 } })).expect(202);
    expect(again.body.accepted).to.deep.equal([]);
    expect(again.body.duplicates).to.deep.equal([{ id: 'dup-1', source: '/orders', eventId: first.body.accepted[0].eventId }]);
    const rows = await t.db.knex('events').where({ ce_id: 'dup-1' });
    expect(rows).to.have.length(1);
    expect(rows[0].data.orderId).to.equal('A-1');
    const jobs = (await queuedJobs(t.db.knex, 'process_event')).filter((j) => j.payload.eventId === rows[0].id);
    expect(jobs).to.have.length(1);
    // The same id from another source is another event.
    const other = await post(structured({ id: 'dup-1', source: '/billing' })).expect(202);
    expect(other.body.accepted).to.have.length(1);
  });

  it('accepts a batch, reporting repeats inside it as duplicates', async () => {
    const res = await post([structured({ id: 'b-1' }), structured({ id: 'b-2' }), structured({ id: 'b-1' })], 'application/cloudevents-batch+json').expect(202);
    expect(res.body.accepted.map((a: { id: string }) => a.id)).to.deep.equal(['b-1', 'b-2']);
    expect(res.body.duplicates.map((a: { id: string }) => a.id)).to.deep.equal(['b-1']);
  });

  it('refuses a whole batch when one event is invalid, with errors per index, storing nothing', async () => {
    const before = await t.db.knex('events').count('* as n').first();
    const res = await post(
      [structured({ id: 'bb-1' }), structured({ id: 'bb-2', type: undefined }), structured({ id: 'bb-3', data: { orderId: 7 } })],
      'application/cloudevents-batch+json',
    ).expect(400);
    expect(res.type).to.equal('application/problem+json');
    expect(res.body).to.include({ status: 400, code: 'CLARION_ERR_INGEST_INVALID_BATCH' });
    expect(res.body.errors).to.deep.include({ pointer: '/1/type', message: 'is required' });
    const after = await t.db.knex('events').count('* as n').first();
    expect(after!.n).to.equal(before!.n);
  });

  it('refuses a batch whose data breaks the contract, naming index and field', async () => {
    const res = await post([structured({ id: 'bc-1' }), structured({ id: 'bc-2', data: { orderId: 7, amount: -1 } })], 'application/cloudevents-batch+json').expect(400);
    const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).to.include.members(['/1/data/orderId', '/1/data/amount']);
    expect(await t.db.knex('events').where({ ce_id: 'bc-1' })).to.have.length(0);
  });

  describe('bad input', () => {
    const problem = (res: request.Response, status: number, code: string) => {
      expect(res.status).to.equal(status);
      expect(res.type).to.equal('application/problem+json');
      expect(res.body).to.include({ status, code, type: `urn:clarion:error:${code}` });
      expect(res.body.title).to.be.a('string');
      expect(res.body.detail).to.be.a('string');
    };

    it('401 without an API key', async () => {
      const res = await request(t.callback).post('/v1/events').set('content-type', 'application/cloudevents+json').send(JSON.stringify(structured()));
      problem(res, 401, 'CLARION_ERR_AUTH_MISSING');
      expect(res.headers['www-authenticate']).to.match(/^Bearer/);
    });

    it('401 with an unknown or malformed API key', async () => {
      for (const header of ['Bearer ck_notakey', 'Basic abc', `Bearer ${key}x`, 'Bearer']) {
        const res = await request(t.callback).post('/v1/events').set('authorization', header).set('content-type', 'application/cloudevents+json').send(JSON.stringify(structured()));
        problem(res, 401, 'CLARION_ERR_AUTH_INVALID');
      }
    });

    it('413 over the body limit', async () => {
      const big = structured({ id: 'big', data: { orderId: 'x'.repeat(1_100_000), amount: 1 } });
      problem(await post(big), 413, 'CLARION_ERR_HTTP_BODY_TOO_LARGE');
    });

    it('415 for an unsupported content type', async () => {
      problem(await post(structured(), 'application/json'), 415, 'CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE');
      problem(await post('<xml/>', 'application/cloudevents+xml'), 415, 'CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE');
      problem(await post(structured(), 'text/plain'), 415, 'CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE');
      problem(await post(structured(), 'application/cloudevents+json; charset=klingon'), 415, 'CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE');
    });

    it('400 for malformed JSON, never a 500', async () => {
      problem(await post('{"specversion": "1.0", "id": '), 400, 'CLARION_ERR_HTTP_MALFORMED_JSON');
      problem(await post('[{]', 'application/cloudevents-batch+json'), 400, 'CLARION_ERR_HTTP_MALFORMED_JSON');
      problem(await post(''), 400, 'CLARION_ERR_HTTP_MALFORMED_JSON');
    });

    it('400 naming every missing or wrong attribute', async () => {
      const res = await post({ specversion: '0.3', data: {} });
      problem(res, 400, 'CLARION_ERR_INGEST_INVALID_EVENT');
      expect(res.body.errors).to.deep.include.members([
        { pointer: '/id', message: 'is required' },
        { pointer: '/source', message: 'is required' },
        { pointer: '/type', message: 'is required' },
        { pointer: '/specversion', message: 'must be "1.0" (got "0.3")' },
      ]);
    });

    it('400 for bad optional attributes and extension names', async () => {
      const res = await post(structured({ time: 'yesterday', subject: 5, 'Bad-Name': 'x', nested: { a: 1 } }));
      problem(res, 400, 'CLARION_ERR_INGEST_INVALID_EVENT');
      const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
      expect(pointers).to.include.members(['/time', '/subject', '/Bad-Name', '/nested']);
    });

    it('400 for a non-object event and for an empty or non-array batch', async () => {
      problem(await post('"hello"'), 400, 'CLARION_ERR_INGEST_INVALID_EVENT');
      problem(await post([]), 400, 'CLARION_ERR_INGEST_INVALID_EVENT');
      problem(await post([], 'application/cloudevents-batch+json'), 400, 'CLARION_ERR_INGEST_INVALID_BATCH');
      problem(await post(structured(), 'application/cloudevents-batch+json'), 400, 'CLARION_ERR_INGEST_INVALID_BATCH');
    });

    it('400 when data and data_base64 are both sent', async () => {
      const res = await post(structured({ data_base64: 'aGVsbG8=' }));
      problem(res, 400, 'CLARION_ERR_INGEST_INVALID_EVENT');
      expect(res.body.errors).to.deep.include({ pointer: '/data_base64', message: 'must not be sent together with data' });
    });

    it('422 when the data breaks the contract, naming each field', async () => {
      const res = await post(structured({ id: 'bad-data', data: { amount: 'ten' } }));
      problem(res, 422, 'CLARION_ERR_INGEST_DATA_INVALID');
      expect(res.body.errors).to.deep.include.members([
        { pointer: '/data/orderId', message: 'is required' },
        { pointer: '/data/amount', message: 'must be number' },
      ]);
      expect(await t.db.knex('events').where({ ce_id: 'bad-data' })).to.have.length(0);
    });

    it('422 for a type with no contract, unless the tenant accepts unvalidated types', async () => {
      const res = await post(structured({ id: 'nc-1', type: 'com.acme.unknown' }));
      problem(res, 422, 'CLARION_ERR_INGEST_NO_CONTRACT');
      expect(res.body.errors[0].pointer).to.equal('/type');
      await request(t.callback).patch('/v1/tenant').set('authorization', `Bearer ${key}`).send({ settings: { acceptUnvalidatedTypes: true } }).expect(200);
      try {
        await post(structured({ id: 'nc-1', type: 'com.acme.unknown', data: 'free text' })).expect(202);
      } finally {
        await request(t.callback).patch('/v1/tenant').set('authorization', `Bearer ${key}`).send({ settings: { acceptUnvalidatedTypes: false } }).expect(200);
      }
    });

    it('stores nothing and enqueues nothing when queueing the job fails', async () => {
      const before = await t.db.knex('events').count('* as n').first();
      // Make the enqueue fail inside the statement: the event insert must roll back with it.
      await t.db.knex.raw('alter function graphile_worker.add_jobs(graphile_worker.job_spec[], boolean) rename to add_jobs_disabled');
      try {
        const res = await post(structured({ id: 'tx-1' }));
        expect(res.status).to.equal(500);
        expect(res.type).to.equal('application/problem+json');
        expect(res.body.detail).to.not.match(/add_job/);
      } finally {
        await t.db.knex.raw('alter function graphile_worker.add_jobs_disabled(graphile_worker.job_spec[], boolean) rename to add_jobs');
      }
      const after = await t.db.knex('events').count('* as n').first();
      expect(after!.n).to.equal(before!.n);
      await post(structured({ id: 'tx-1' })).expect(202);
    });
  });

  describe('OPTIONS /v1/events', () => {
    it('answers the CloudEvents webhook abuse-protection handshake without credentials', async () => {
      const res = await request(t.callback).options('/v1/events').set('WebHook-Request-Origin', 'eventemitter.example.com').expect(200);
      expect(res.headers['webhook-allowed-origin']).to.equal('*');
      expect(res.headers['webhook-allowed-rate']).to.equal('1200');
      expect(res.headers.allow).to.match(/POST/);
    });
  });

  describe('reading events back', () => {
    it("never shows another tenant's events", async () => {
      const res = await post(structured({ id: 'mine-1' })).expect(202);
      const eventId = res.body.accepted[0].eventId;
      const other = await t.tenant('Globex');
      const miss = await request(t.callback).get(`/v1/events/${eventId}`).set('authorization', `Bearer ${other.apiKey}`);
      expect(miss.status).to.equal(404);
      expect(miss.body.code).to.equal('CLARION_ERR_EVENT_NOT_FOUND');
      const list = await request(t.callback).get('/v1/events').set('authorization', `Bearer ${other.apiKey}`).expect(200);
      expect(list.body.items).to.deep.equal([]);
      // Same CloudEvent id and source in another tenant is that tenant's own event.
      await request(t.callback).post('/v1/events').set('authorization', `Bearer ${other.apiKey}`).set('content-type', 'application/cloudevents+json')
        .send(JSON.stringify(structured({ id: 'mine-1', type: 'com.globex.x' })));
      expect(tenantId).to.be.a('string');
    });

    it('finds an event by its CloudEvent id too', async () => {
      await post(structured({ id: 'by-ce-id' })).expect(202);
      const res = await request(t.callback).get('/v1/events/by-ce-id').set('authorization', `Bearer ${key}`).expect(200);
      expect(res.body.cloudevent.id).to.equal('by-ce-id');
    });

    it('pages with a cursor, newest first, and filters', async () => {
      for (let i = 0; i < 5; i++) await post(structured({ id: `page-${i}`, source: '/paging' })).expect(202);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: request.Response = await request(t.callback)
          .get('/v1/events')
          .query({ limit: 2, source: '/paging', ...(cursor ? { cursor } : {}) })
          .set('authorization', `Bearer ${key}`)
          .expect(200);
        seen.push(...res.body.items.map((e: { cloudevent: { id: string } }) => e.cloudevent.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).to.deep.equal(['page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
    });

    it('refuses bad paging parameters', async () => {
      const res = await request(t.callback).get('/v1/events').query({ limit: 0, cursor: 'nope' }).set('authorization', `Bearer ${key}`);
      expect(res.status).to.equal(400);
      expect(res.body.errors[0].pointer).to.equal('/query/limit');
      const bad = await request(t.callback).get('/v1/events').query({ cursor: 'nope' }).set('authorization', `Bearer ${key}`);
      expect(bad.status).to.equal(400);
      expect(bad.body.errors[0].pointer).to.equal('/query/cursor');
    });
  });
});
