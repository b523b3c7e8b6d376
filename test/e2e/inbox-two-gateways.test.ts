import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { expect } from 'chai';
import { createTenant } from '../../core/tenants.ts';
import { TEST_SECRET } from '../support/clarion.ts';
import { inAppWorkflow } from '../support/inbox.ts';
import { freshDatabase, type TestDatabase } from '../support/postgres.ts';
import { startCli } from '../support/spawn.ts';
import { SseClient, WsClient } from '../support/stream.ts';

/**
 * Three real processes on one PostgreSQL: two gateways (`clarion gateway`) and a worker
 * (`clarion worker`). An event posted to one gateway, processed by the worker, reaches a
 * subscriber's stream on the other gateway: the processes share nothing but the database
 * (LISTEN/NOTIFY). Waits are for messages, never for time.
 */
describe('inbox streams across gateway processes (e2e)', function () {
  this.timeout(90_000);
  let db: TestDatabase;
  const children: ChildProcess[] = [];
  let one: string;
  let two: string;
  let apiKey: string;
  let seq = 0;
  const streams: Array<{ close(): void }> = [];

  before(async () => {
    db = await freshDatabase();
    const env = {
      DATABASE_URL: db.url, CLARION_SECRET_KEY: TEST_SECRET, PORT: '0', HOST: '127.0.0.1', CLARION_LOG_LEVEL: 'warn',
      CLARION_WORKER_POLL_MS: '100', CLARION_DEFAULT_SANDBOX: 'true',
    };
    const started = await Promise.all([startCli(['gateway'], env, /Ctrl-C stops/), startCli(['gateway'], env, /Ctrl-C stops/), startCli(['worker'], env, /Ctrl-C stops/)]);
    children.push(...started.map((s) => s.child));
    [one, two] = started.slice(0, 2).map((s) => /gateway on (http:\/\/[^\s,;]+)/.exec(s.line)![1]);
    ({ apiKey } = await createTenant(db.knex, { name: 'Acme', settings: { acceptUnvalidatedTypes: true } }));
    const saved = await call(one, 'PUT', '/v1/workflows/order.shipped', inAppWorkflow('com.acme.order.shipped'));
    expect(saved.status).to.equal(201);
  });
  after(async () => {
    for (const s of streams) s.close();
    await Promise.all(children.map(async (child) => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    }));
    await db?.drop();
  });

  const call = (base: string, method: string, path: string, body?: unknown, key = apiKey) =>
    fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const post = async (base: string, recipient: string) => {
    const res = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: `e2e-${++seq}`, source: '/shop', type: 'com.acme.order.shipped', data: { orderId: String(seq), recipients: [recipient] } }),
    });
    expect(res.status).to.equal(202);
  };
  const token = async (subscriber: string) => ((await (await call(one, 'POST', `/v1/subscribers/${subscriber}/inbox-token`, {})).json()) as { token: string }).token;
  const ws = async (base: string, query: string) => {
    const client = await WsClient.open(`${base.replace('http', 'ws')}/v1/inbox/stream?${query}`);
    streams.push(client);
    return client;
  };

  it('an event posted to one gateway and processed by the worker reaches a stream of the other gateway', async () => {
    const ada = await token('ada');
    const onTwo = await ws(two, `token=${ada}`);
    const sseOnOne = await SseClient.open(`${one}/v1/inbox/stream?token=${ada}`);
    streams.push(sseOnOne);
    await Promise.all([onTwo.next((m) => m.type === 'ready'), sseOnOne.next((m) => m.type === 'ready')]);

    await post(one, 'ada');
    const created = await onTwo.next((m) => m.type === 'item.created');
    expect((created.item as { title: string }).title).to.equal(`Order ${seq} shipped`);
    expect(created.counts).to.deep.include({ total: 1, unread: 1 });
    await sseOnOne.next((m) => m.type === 'item.created');

    // Read through the second gateway: the first gateway's stream follows.
    const read = await fetch(`${two}/v1/inbox/${(created.item as { id: string }).id}`, { method: 'PATCH', headers: { authorization: `Bearer ${ada}`, 'content-type': 'application/json' }, body: '{"read": true}' });
    expect(read.status).to.equal(200);
    const updated = await sseOnOne.next((m) => m.type === 'item.updated');
    expect(updated.counts).to.deep.include({ unread: 0 });
    await onTwo.next((m) => m.type === 'item.updated');
  });

  it('a stream cut from one gateway resumes on the other from its cursor, nothing lost or doubled', async () => {
    const bob = await token('bob');
    const first = await ws(one, `token=${bob}`);
    // Another device of Bob's stays connected: when it has the three changes, they are in the log.
    const observer = await ws(two, `token=${bob}`);
    await observer.next((m) => m.type === 'ready');
    const ready = await first.next((m) => m.type === 'ready');
    await post(two, 'bob');
    const seen = await first.next((m) => m.type === 'item.created');
    first.close();
    await first.whenClosed();
    for (let i = 0; i < 3; i++) await post(one, 'bob');
    await observer.next((m) => m.type === 'item.created' && Number(m.cursor) === Number(seen.cursor) + 3);
    const again = await ws(two, `token=${bob}&cursor=${seen.cursor}`);
    await again.next((m) => m.type === 'ready');
    const cursors = again.changes().map((m) => Number(m.cursor));
    expect(cursors).to.deep.equal([Number(seen.cursor) + 1, Number(seen.cursor) + 2, Number(seen.cursor) + 3]);
    expect(Number(ready.cursor)).to.be.below(Number(seen.cursor));
  });
});
