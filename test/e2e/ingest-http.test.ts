import { once } from 'node:events';
import { expect } from 'chai';
import { CloudEvent, HTTP } from 'cloudevents';
import { startClarion, type RunningClarion } from '../../core/runtime.ts';
import { createTenant } from '../../core/tenants.ts';
import { testConfig } from '../support/clarion.ts';
import { freshDatabase, silentLog, type TestDatabase } from '../support/postgres.ts';

/** A real gateway and worker over real HTTP, posting with the official CloudEvents SDK. */
describe('ingest over HTTP (e2e)', () => {
  let db: TestDatabase;
  let clarion: RunningClarion;
  let apiKey: string;

  before(async () => {
    db = await freshDatabase();
    clarion = await startClarion({ config: testConfig(db, { CLARION_WORKER_CONCURRENCY: '2' }), log: silentLog });
    ({ apiKey } = await createTenant(db.knex, { name: 'E2E', settings: {} }));
    const res = await fetch(`${clarion.url}/v1/contracts/com.acme.order.shipped`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } }),
    });
    expect(res.status).to.equal(201);
  });
  after(async () => {
    await clarion.stop();
    await db.drop();
  });

  const send = (message: { headers: Record<string, unknown>; body: unknown }) =>
    fetch(`${clarion.url}/v1/events`, {
      method: 'POST',
      headers: { ...(message.headers as Record<string, string>), authorization: `Bearer ${apiKey}` },
      body: message.body as string,
    });

  const event = (id: string, data: unknown = { orderId: id }) =>
    new CloudEvent({ id, source: '/e2e/orders', type: 'com.acme.order.shipped', subject: `order/${id}`, data });

  async function processed(eventId: string) {
    const res = await fetch(`${clarion.url}/v1/events/${eventId}`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(res.status).to.equal(200);
    return (await res.json()) as { status: string; cloudevent: Record<string, unknown> };
  }

  it('accepts binary mode and the worker processes the event', async () => {
    const done = once(clarion.runner!.events, 'job:success');
    const res = await send(HTTP.binary(event('bin-1')));
    expect(res.status).to.equal(202);
    const body = (await res.json()) as { accepted: Array<{ eventId: string; id: string }> };
    expect(body.accepted[0].id).to.equal('bin-1');
    await done;
    const stored = await processed(body.accepted[0].eventId);
    expect(stored.status).to.equal('processed');
    expect(stored.cloudevent).to.include({ id: 'bin-1', source: '/e2e/orders', type: 'com.acme.order.shipped', subject: 'order/bin-1' });
    expect(stored.cloudevent.data).to.deep.equal({ orderId: 'bin-1' });
  });

  it('accepts structured mode', async () => {
    const done = once(clarion.runner!.events, 'job:success');
    const res = await send(HTTP.structured(event('str-1')));
    expect(res.status).to.equal(202);
    const body = (await res.json()) as { accepted: Array<{ eventId: string }> };
    await done;
    expect((await processed(body.accepted[0].eventId)).status).to.equal('processed');
  });

  it('accepts batched mode', async () => {
    const events = [event('bat-1'), event('bat-2'), event('bat-3')];
    const res = await send({ headers: { 'content-type': 'application/cloudevents-batch+json; charset=utf-8' }, body: JSON.stringify(events.map((e) => e.toJSON())) });
    expect(res.status).to.equal(202);
    const body = (await res.json()) as { accepted: unknown[]; duplicates: unknown[] };
    expect(body.accepted).to.have.length(3);
    expect(body.duplicates).to.have.length(0);
  });

  it('answers a resend of the same event as a duplicate', async () => {
    await send(HTTP.structured(event('again-1'))).then((r) => expect(r.status).to.equal(202));
    const res = await send(HTTP.binary(event('again-1')));
    expect(res.status).to.equal(202);
    const body = (await res.json()) as { accepted: unknown[]; duplicates: Array<{ id: string }> };
    expect(body.accepted).to.deep.equal([]);
    expect(body.duplicates.map((d) => d.id)).to.deep.equal(['again-1']);
  });

  it('refuses a binary event without ce-type, naming the header', async () => {
    const message = HTTP.binary(event('no-type'));
    delete (message.headers as Record<string, unknown>)['ce-type'];
    const res = await send(message);
    expect(res.status).to.equal(400);
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    const problem = (await res.json()) as { errors: Array<{ pointer: string; message: string }> };
    expect(problem.errors).to.deep.include({ pointer: 'header:ce-type', message: 'is required' });
  });

  it('refuses a binary event whose JSON data is malformed with 400', async () => {
    const res = await fetch(`${clarion.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'ce-id': 'm-1', 'ce-source': '/x', 'ce-type': 'com.acme.order.shipped', 'ce-specversion': '1.0', 'content-type': 'application/json' },
      body: '{"orderId": ',
    });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { code: string }).code).to.equal('CLARION_ERR_HTTP_MALFORMED_JSON');
  });

  it('refuses a body over the limit with 413 while streaming, without a Content-Length', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent++ < 40) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${clarion.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/cloudevents+json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).to.equal(413);
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    expect((await fetch(`${clarion.url}/healthz`)).status).to.equal(200);
    const ready = await fetch(`${clarion.url}/readyz`);
    expect(ready.status).to.equal(200);
    expect(await ready.json()).to.deep.equal({ status: 'ready', checks: { database: 'ok', migrations: 'ok' } });
    const metrics = await (await fetch(`${clarion.url}/metrics`)).text();
    expect(metrics).to.match(/clarion_events_received_total\{outcome="accepted"\} \d+/);
    expect(metrics).to.match(/# TYPE clarion_queue_depth gauge/);
  });
});
