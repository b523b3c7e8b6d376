import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { connect, type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import request from 'supertest';
import { AmqpConsumer, type AmqpConsumerOptions, type AmqpMessageReport } from '../../core/ingest/amqp/consumer.ts';
import { testApp, type TestApp } from '../support/clarion.ts';
import { silentLog } from '../support/postgres.ts';
import { testRabbitMq, type TestBroker } from '../support/rabbitmq.ts';

const ORDER_SCHEMA = { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } };

/**
 * The RabbitMQ binding against a real broker (Debian's rabbitmq-server, started by the tests on
 * loopback with its own node, ports and data): what a service publishing CloudEvents to a queue
 * sees, and what Clarion stores.
 */
describe('RabbitMQ binding (real broker)', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let publisher: ChannelModel;
  let channel: ConfirmChannel;
  const consumers: AmqpConsumer[] = [];

  before(async () => {
    broker = await testRabbitMq();
    t = await testApp();
    ({ apiKey: key, tenantId } = await t.tenant('Acme'));
    await request(t.callback).put('/v1/contracts/com.acme.order.shipped').set('authorization', `Bearer ${key}`).send(ORDER_SCHEMA).expect(201);
    await openPublisher();
  });
  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.stop();
  });
  after(async () => {
    await publisher?.close().catch(() => {});
    await t?.close();
  });

  async function openPublisher() {
    publisher = await connect(broker.url);
    publisher.on('error', () => {});
    channel = await publisher.createConfirmChannel();
    channel.on('error', () => {});
  }

  function queues() {
    const queue = `test.${randomUUID()}`;
    return { queue, deadLetterQueue: `${queue}.dead` };
  }

  async function consumer(options: Partial<AmqpConsumerOptions> & { queue: string; deadLetterQueue: string }): Promise<AmqpConsumer> {
    const c = new AmqpConsumer(
      { url: broker.url, prefetch: 20, declare: true, tenantId: undefined, maxBodyBytes: 1024 * 1024, reconnect: { initialDelay: 50, maxDelay: 500 }, ...options },
      { ingest: t.services.ingest, apiKeys: t.services.apiKeys, tenants: t.services.tenants, log: silentLog, clock: t.services.clock },
    );
    consumers.push(c);
    const consuming = new Promise<void>((resolve) => c.once('consuming', resolve));
    await c.start();
    await consuming;
    return c;
  }

  /** Resolves with the reports of the next `n` settled messages. */
  function reports(c: AmqpConsumer, n: number): Promise<AmqpMessageReport[]> {
    const seen: AmqpMessageReport[] = [];
    return new Promise((resolve) => {
      const listener = (report: AmqpMessageReport) => {
        seen.push(report);
        if (seen.length === n) {
          c.off('message', listener);
          resolve(seen);
        }
      };
      c.on('message', listener);
    });
  }

  function publish(queue: string, content: Buffer | string, options: Options.Publish): Promise<void> {
    return new Promise((resolve, reject) =>
      channel.sendToQueue(queue, Buffer.from(content), { persistent: true, ...options }, (err) => (err ? reject(err) : resolve())),
    );
  }

  /** A binary-mode message as a service would publish it (CloudEvents AMQP binding). */
  function binary(id: string, data: unknown = { orderId: id }, extra: Record<string, unknown> = {}, auth = true): [Buffer, Options.Publish] {
    return [
      Buffer.from(JSON.stringify(data)),
      {
        contentType: 'application/json',
        messageId: id,
        headers: {
          ...(auth ? { authorization: `Bearer ${key}` } : {}),
          cloudEvents_specversion: '1.0',
          cloudEvents_id: id,
          cloudEvents_source: '/amqp/orders',
          cloudEvents_type: 'com.acme.order.shipped',
          ...extra,
        },
      },
    ];
  }

  async function storedEvent(id: string) {
    const res = await request(t.callback).get(`/v1/events/${encodeURIComponent(id)}`).set('authorization', `Bearer ${key}`);
    return res;
  }

  /** Resolves once `check` holds, re-checked after each message the consumer settles (no polling). */
  function untilMessages(c: AmqpConsumer, check: () => Promise<boolean>): Promise<void> {
    return new Promise((resolve, reject) => {
      let done = false;
      let running = false;
      let again = false;
      const evaluate = async () => {
        if (done) return;
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            if (await check()) {
              done = true;
              c.off('message', evaluate);
              resolve();
              return;
            }
          } while (again);
        } catch (err) {
          done = true;
          c.off('message', evaluate);
          reject(err);
        } finally {
          running = false;
        }
      };
      c.on('message', evaluate);
      void evaluate();
    });
  }

  async function storedIds(pattern: string): Promise<string[]> {
    const { rows } = await t.db.knex.raw(`select ce_id from events where source = '/amqp/orders' and ce_id like ?`, [pattern]);
    return rows.map((r: { ce_id: string }) => r.ce_id).sort();
  }

  async function declared(queue: string): Promise<number> {
    const ch = await publisher.createChannel();
    try {
      return (await ch.checkQueue(queue)).messageCount;
    } finally {
      await ch.close();
    }
  }

  it('stores binary, structured and batched messages as events, and acknowledges each once committed', async () => {
    const q = queues();
    const c = await consumer(q);
    const settled = reports(c, 3);
    await publish(q.queue, ...binary('bin-1', { orderId: 'bin-1' }, { cloudEvents_subject: 'order/bin-1', cloudEvents_tenantref: 'crm-7' }));
    await publish(q.queue, JSON.stringify({ specversion: '1.0', id: 'str-1', source: '/amqp/orders', type: 'com.acme.order.shipped', data: { orderId: 'str-1' } }), {
      contentType: 'application/cloudevents+json',
      headers: { authorization: `Bearer ${key}` },
    });
    const batch = ['bat-1', 'bat-2'].map((id) => ({ specversion: '1.0', id, source: '/amqp/orders', type: 'com.acme.order.shipped', data: { orderId: id } }));
    await publish(q.queue, JSON.stringify(batch), { contentType: 'application/cloudevents-batch+json', headers: { authorization: `Bearer ${key}` } });
    const done = await settled;
    expect(done.map((r) => r.outcome)).to.deep.equal(['accepted', 'accepted', 'accepted']);
    expect(done.flatMap((r) => r.accepted.map((a) => a.id)).sort()).to.deep.equal(['bat-1', 'bat-2', 'bin-1', 'str-1']);

    const bin = await storedEvent('bin-1');
    expect(bin.status).to.equal(200);
    expect(bin.body.cloudevent).to.deep.include({ id: 'bin-1', source: '/amqp/orders', subject: 'order/bin-1', tenantref: 'crm-7', datacontenttype: 'application/json', data: { orderId: 'bin-1' } });
    expect((await storedEvent('bat-2')).body.cloudevent.data).to.deep.equal({ orderId: 'bat-2' });
    // Fanned out like any other event.
    await t.runJobsUntilIdle();
    expect((await storedEvent('str-1')).body.status).to.equal('processed');

    await c.stop();
    expect(await declared(q.queue)).to.equal(0);
    expect(await declared(q.deadLetterQueue)).to.equal(0);
  });

  it('keeps UTF-8 header values as sent: no percent-decoding of what was never encoded', async () => {
    const q = queues();
    const c = await consumer(q);
    const settled = reports(c, 1);
    await publish(q.queue, ...binary('utf8-1', { orderId: 'utf8-1' }, { cloudEvents_subject: 'Café 100% sûr', cloudEvents_priority: 3, cloudEvents_urgent: true }));
    expect((await settled)[0].outcome).to.equal('accepted');
    expect((await storedEvent('utf8-1')).body.cloudevent).to.include({ subject: 'Café 100% sûr', priority: '3', urgent: 'true' });
  });

  it('stores a redelivered or resent message once, and acknowledges the duplicate', async () => {
    const q = queues();
    const c = await consumer(q);
    const settled = reports(c, 2);
    await publish(q.queue, ...binary('dup-1'));
    await publish(q.queue, ...binary('dup-1'));
    const [first, second] = await settled;
    expect(first.outcome).to.equal('accepted');
    expect(second).to.include({ outcome: 'duplicate' });
    expect(second.duplicates[0].eventId).to.equal(first.accepted[0].eventId);
    const page = await request(t.callback).get('/v1/events?source=/amqp/orders&limit=200').set('authorization', `Bearer ${key}`);
    expect(page.body.items.filter((e: { cloudevent: { id: string } }) => e.cloudevent.id === 'dup-1')).to.have.length(1);
    await c.stop();
    expect(await declared(q.queue)).to.equal(0);
  });

  it('dead-letters a refused message with its problem document in the headers, and stores nothing of it', async () => {
    const q = queues();
    const c = await consumer(q);
    // Messages are handled concurrently (up to the prefetch): they settle in any order.
    const ORDER = ['bad-data', 'no-key', 'bad-key', 'bad-header', 'not-an-event'];
    const settled = reports(c, 5);
    await publish(q.queue, ...binary('bad-data', { amount: 3 }));
    await publish(q.queue, ...binary('no-key', { orderId: 'x' }, {}, false));
    await publish(q.queue, ...binary('bad-key', { orderId: 'x' }, { authorization: 'Bearer ck_not-a-key' }));
    await publish(q.queue, ...binary('bad-header', { orderId: 'x' }, { cloudEvents_subject: { nested: true }, cloudEvents_time: 'yesterday' }));
    await publish(q.queue, Buffer.from('{"orderId": "x"}'), { contentType: 'application/json', headers: { authorization: `Bearer ${key}` }, messageId: 'not-an-event' });
    const done = (await settled).sort((a, b) => ORDER.indexOf(a.messageId!) - ORDER.indexOf(b.messageId!));
    expect(done.map((r) => [r.messageId, r.outcome, r.code])).to.deep.equal([
      ['bad-data', 'refused', 'CLARION_ERR_INGEST_DATA_INVALID'],
      ['no-key', 'refused', 'CLARION_ERR_AUTH_MISSING'],
      ['bad-key', 'refused', 'CLARION_ERR_AUTH_INVALID'],
      ['bad-header', 'refused', 'CLARION_ERR_INGEST_INVALID_EVENT'],
      ['not-an-event', 'refused', 'CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE'],
    ]);
    await c.stop();
    expect(await declared(q.queue)).to.equal(0);

    const ch = await publisher.createChannel();
    const dead: Array<{ messageId: string; headers: Record<string, unknown>; problem: Record<string, unknown>; content: string }> = [];
    for (;;) {
      const m = await ch.get(q.deadLetterQueue, { noAck: true });
      if (!m) break;
      dead.push({ messageId: m.properties.messageId, headers: m.properties.headers ?? {}, problem: JSON.parse(String(m.properties.headers?.['x-clarion-problem'])), content: m.content.toString() });
    }
    await ch.close();
    dead.sort((a, b) => ORDER.indexOf(a.messageId) - ORDER.indexOf(b.messageId));
    expect(dead.map((d) => d.messageId)).to.deep.equal(ORDER);
    const [badData, noKey, , badHeader, notEvent] = dead;
    expect(badData.problem).to.include({ status: 422, code: 'CLARION_ERR_INGEST_DATA_INVALID', type: 'urn:clarion:error:CLARION_ERR_INGEST_DATA_INVALID', instance: `amqp:${q.queue}` });
    expect(badData.problem.errors).to.deep.equal([{ pointer: '/data/orderId', message: 'is required' }]);
    expect(badData.content).to.equal('{"amount":3}');
    expect(badData.headers).to.include({ cloudEvents_id: 'bad-data', 'x-clarion-error-code': 'CLARION_ERR_INGEST_DATA_INVALID', 'x-clarion-queue': q.queue });
    // The API key that came with it is not kept in a queue anyone may browse.
    expect(badData.headers).to.not.have.property('authorization');
    expect(noKey.problem.detail).to.match(/authorization: Bearer <key>/);
    expect(badHeader.problem.errors).to.deep.include({ pointer: 'header:cloudEvents_subject', message: 'must be a string, number or boolean (UTF-8 text)' });
    expect((badHeader.problem.errors as Array<{ pointer: string }>).map((e) => e.pointer)).to.include('header:cloudEvents_time');
    expect(notEvent.problem.detail).to.match(/carries no CloudEvent/);

    for (const id of ['bad-data', 'no-key', 'bad-key', 'bad-header']) expect((await storedEvent(id)).status, id).to.equal(404);
  });

  it('takes messages without a key as the tenant the operator dedicated the queue to', async () => {
    const q = queues();
    const c = await consumer({ ...q, tenantId });
    const settled = reports(c, 1);
    await publish(q.queue, ...binary('dedicated-1', { orderId: 'dedicated-1' }, {}, false));
    expect((await settled)[0].outcome).to.equal('accepted');
    expect((await storedEvent('dedicated-1')).status).to.equal(200);
  });

  it('holds at most `prefetch` messages unacknowledged while the database is slow, and loses none', async () => {
    const q = queues();
    const c = await consumer({ ...q, prefetch: 3 });
    const received: Array<string | undefined> = [];
    const three = new Promise<void>((resolve) =>
      c.on('received', (id) => {
        received.push(id);
        if (received.length === 3) resolve();
      }),
    );
    const trx = await t.db.knex.transaction();
    await trx.raw('lock table events in exclusive mode');
    const settled = reports(c, 10);
    try {
      for (let i = 0; i < 10; i++) await publish(q.queue, ...binary(`slow-${i}`));
      await three;
      // Three handed to Clarion, blocked on the lock; seven still ready in the queue.
      expect(await declared(q.queue)).to.equal(7);
      expect(received).to.have.length(3);
    } finally {
      await trx.commit();
    }
    const done = await settled;
    expect(done.every((r) => r.outcome === 'accepted')).to.equal(true);
    expect(done.map((r) => r.messageId).sort()).to.deep.equal([...Array(10).keys()].map((i) => `slow-${i}`).sort());
  });

  it('acknowledges, before it disconnects, every message it finished while stopping: none comes back', async () => {
    const q = queues();
    const c = await consumer({ ...q, prefetch: 20 });
    const ids = [...Array(20).keys()].map((i) => `drain-${i}`);
    let received = 0;
    const all = new Promise<void>((resolve) => c.on('received', () => ++received === ids.length && resolve()));
    const settled = reports(c, ids.length);
    // Held on a lock, the messages finish together once it is released: their acknowledgements
    // and the disconnection leave in one burst.
    const trx = await t.db.knex.transaction();
    await trx.raw('lock table events in exclusive mode');
    let stopped: Promise<void>;
    try {
      for (const id of ids) await publish(q.queue, ...binary(id));
      await all;
      stopped = c.stop();
    } finally {
      await trx.commit();
    }
    await stopped;
    expect((await settled).map((r) => r.outcome)).to.deep.equal(ids.map(() => 'accepted'));
    expect(await storedIds('drain-%')).to.deep.equal([...ids].sort());
    // Nothing left unacknowledged: the broker has no message to deliver again.
    expect(await declared(q.queue)).to.equal(0);
  });

  it('loses nothing when Clarion stops mid-stream: in-flight messages are committed and acknowledged, the rest wait', async () => {
    const q = queues();
    const first = await consumer({ ...q, prefetch: 5 });
    const ids = [...Array(60).keys()].map((i) => `stop-${i}`);
    const some = reports(first, 10);
    // Published while the first consumer works, which stops after ten.
    const published = Promise.all(ids.map((id) => publish(q.queue, ...binary(id))));
    await some;
    await first.stop();
    await published;
    const second = await consumer(q);
    const outcomes: AmqpMessageReport[] = [];
    second.on('message', (r) => outcomes.push(r));
    // Every event stored, the queue drained, and nothing held by the second consumer (being
    // ingested, or waiting out a backoff after a failure that was not the message's fault).
    await untilMessages(second, async () => (await storedIds('stop-%')).length === ids.length && (await declared(q.queue)) === 0 && second.unsettled === 0);
    expect(await storedIds('stop-%')).to.deep.equal([...ids].sort());
    // The first acknowledged all it stored before it disconnected: none of it came back.
    expect(outcomes.filter((r) => r.outcome === 'duplicate').map((r) => r.messageId)).to.deep.equal([]);
    await second.stop();
    expect(await declared(q.queue)).to.equal(0);
    // A message dead-lettered here was refused as a client error: name it and why (seen once
    // under load, not reproduced since), rather than only counting it.
    const ch = await publisher.createChannel();
    try {
      const dead = await ch.get(q.deadLetterQueue, { noAck: true });
      expect(dead ? { messageId: dead.properties.messageId, code: dead.properties.headers?.['x-clarion-error-code'], problem: String(dead.properties.headers?.['x-clarion-problem']) } : null).to.equal(null);
    } finally {
      await ch.close();
    }
  });

  it('loses nothing when the broker restarts mid-stream, and stores each event once', async () => {
    const q = queues();
    const c = await consumer({ ...q, prefetch: 10 });
    const ids = [...Array(200).keys()].map((i) => `restart-${i}`);
    const outcomes: AmqpMessageReport[] = [];
    c.on('message', (r) => outcomes.push(r));
    const some = reports(c, 30);
    for (const id of ids) await publish(q.queue, ...binary(id));
    await some;
    const disconnected = new Promise<void>((resolve) => c.once('disconnected', () => resolve()));
    await broker.restart();
    await disconnected;
    await openPublisher();
    // Everything published is committed, whatever was in flight when the broker went away; what
    // was committed but not acknowledged then comes back, and is settled as a duplicate.
    await untilMessages(c, async () => {
      const seen = new Set(outcomes.flatMap((r) => [...r.accepted, ...r.duplicates].map((a) => a.id)));
      return ids.every((id) => seen.has(id)) && (await declared(q.queue)) === 0;
    });
    expect(await storedIds('restart-%')).to.deep.equal([...ids].sort());
    expect(outcomes.filter((r) => r.outcome === 'refused')).to.deep.equal([]);
    await c.stop();
    expect(await declared(q.queue)).to.equal(0);
    expect(await declared(q.deadLetterQueue)).to.equal(0);
  });
});
