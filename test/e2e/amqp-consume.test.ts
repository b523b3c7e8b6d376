import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { connect, type ChannelModel } from 'amqplib';
import { createTenant } from '../../core/tenants.ts';
import { startClarion } from '../../core/runtime.ts';
import { TEST_SECRET, testConfig } from '../support/clarion.ts';
import { freshDatabase, silentLog, type TestDatabase } from '../support/postgres.ts';
import { SmtpSink } from '../support/smtp.ts';
import { testRabbitMq, type TestBroker } from '../support/rabbitmq.ts';
import { runCli, startCli } from '../support/spawn.ts';

/**
 * `clarion consume` as its own process against a real broker: killed with SIGKILL in the middle
 * of a stream (events committed but not yet acknowledged, messages prefetched), a second process
 * finishes the queue and every event is stored exactly once.
 */
describe('clarion consume (e2e)', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  let db: TestDatabase;
  let publisher: ChannelModel;
  let apiKey: string;
  const queue = `e2e.${randomUUID()}`;
  let env: Record<string, string>;

  before(async () => {
    broker = await testRabbitMq();
    db = await freshDatabase();
    ({ apiKey } = await createTenant(db.knex, { name: 'Broker', settings: { acceptUnvalidatedTypes: true } }));
    publisher = await connect(broker.url);
    env = { DATABASE_URL: db.url, CLARION_SECRET_KEY: TEST_SECRET, CLARION_AMQP_URL: broker.url, CLARION_AMQP_QUEUE: queue, CLARION_AMQP_PREFETCH: '10', CLARION_LOG_LEVEL: 'info' };
  });
  after(async () => {
    await publisher?.close().catch(() => {});
    await db?.drop();
  });

  async function stored(): Promise<number> {
    const { rows } = await db.knex.raw(`select count(*)::int as n from events where source = '/e2e/amqp'`);
    return rows[0].n;
  }

  /** Resolves once `check` holds, re-checked after each line the process logs. */
  function untilLogged(child: ChildProcess, check: () => Promise<boolean>): Promise<void> {
    return new Promise((resolve, reject) => {
      let busy = false;
      const evaluate = async () => {
        if (busy) return;
        busy = true;
        try {
          if (await check()) {
            child.stdout!.off('data', evaluate);
            resolve();
          }
        } catch (err) {
          reject(err);
        } finally {
          busy = false;
        }
      };
      child.stdout!.on('data', evaluate);
      child.once('exit', (code) => reject(new Error(`clarion consume exited with ${code}`)));
      void evaluate();
    });
  }

  it('refuses to start without CLARION_AMQP_URL, saying what to set', async () => {
    const { code, stderr } = await runCli(['consume'], { DATABASE_URL: db.url, CLARION_SECRET_KEY: TEST_SECRET });
    expect(code).to.equal(2);
    expect(stderr).to.match(/set CLARION_AMQP_URL/);
  });

  it('loses nothing when the consuming process is killed mid-stream', async () => {
    const ch = await publisher.createConfirmChannel();
    await ch.assertQueue(queue, { durable: true });
    const ids = [...Array(300).keys()].map((i) => `kill-${i}`);
    for (const id of ids) {
      ch.sendToQueue(queue, Buffer.from(JSON.stringify({ n: id })), {
        persistent: true,
        contentType: 'application/json',
        headers: { authorization: `Bearer ${apiKey}`, cloudEvents_specversion: '1.0', cloudEvents_id: id, cloudEvents_source: '/e2e/amqp', cloudEvents_type: 'com.acme.e2e' },
      });
    }
    await ch.waitForConfirms();
    await ch.close();

    const first = await startCli(['consume'], env, /consuming RabbitMQ queue/);
    expect(first.line).to.include(`consuming RabbitMQ queue ${queue}`);
    await untilLogged(first.child, async () => (await stored()) >= 20);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const afterKill = await stored();
    expect(afterKill).to.be.lessThan(ids.length);

    const second = await startCli(['consume'], env, /consuming RabbitMQ queue/);
    await untilLogged(second.child, async () => (await stored()) === ids.length);
    second.child.kill('SIGTERM');
    const [code] = await once(second.child, 'exit');
    expect(code).to.equal(0);
    const { rows } = await db.knex.raw(`select ce_id, count(*)::int as n from events where source = '/e2e/amqp' group by ce_id`);
    expect(rows).to.have.length(ids.length);
    expect(rows.every((r: { n: number }) => r.n === 1)).to.equal(true);
    const check = await publisher.createChannel();
    expect((await check.checkQueue(queue)).messageCount).to.equal(0);
    await check.close();
  });
});

describe('a service on RabbitMQ (e2e)', function () {
  this.timeout(120_000);

  it('publishes a CloudEvent to the queue and the email arrives at the SMTP server', async () => {
    const broker = await testRabbitMq();
    const db = await freshDatabase();
    const sink = new SmtpSink();
    await sink.start();
    const queue = `e2e.mail.${randomUUID()}`;
    const clarion = await startClarion({ config: testConfig(db, { CLARION_AMQP_URL: broker.url, CLARION_AMQP_QUEUE: queue, CLARION_WORKER_POLL_MS: '50' }), log: silentLog });
    const connection = await connect(broker.url);
    try {
      const { apiKey } = await createTenant(db.knex, { name: 'Acme', settings: {} });
      const api = (method: string, path: string, body: unknown) =>
        fetch(`${clarion.url}${path}`, { method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await api('PUT', '/v1/contracts/com.acme.order.shipped', { type: 'object', required: ['orderId'] })).status).to.equal(201);
      expect((await api('POST', '/v1/providers', { channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'Acme <no-reply@acme.example>', user: 'clarion', password: 'secret' } })).status).to.equal(201);
      const workflow = await api('PUT', '/v1/workflows/order.shipped', {
        trigger: 'com.acme.order.shipped', category: 'orders', channels: ['email'], recipients: '/data/recipients',
        templates: { email: { subject: 'Order {{ data.orderId }} shipped', text: 'Hello {{ subscriber.name }}, order {{ data.orderId }} is on its way.' } },
      });
      expect(workflow.status).to.equal(201);

      // What the service does: a persistent binary-mode CloudEvent, confirmed by the broker.
      const ch = await connection.createConfirmChannel();
      await ch.assertQueue(queue, { durable: true });
      ch.sendToQueue(queue, Buffer.from(JSON.stringify({ orderId: 'R-1', recipients: [{ id: 'ada', name: 'Ada', email: 'ada@example.com' }] })), {
        persistent: true,
        contentType: 'application/json',
        headers: { authorization: `Bearer ${apiKey}`, cloudEvents_specversion: '1.0', cloudEvents_id: 'order-R-1', cloudEvents_source: '/shop', cloudEvents_type: 'com.acme.order.shipped' },
      });
      await ch.waitForConfirms();

      const mail = await sink.mailTo('ada@example.com');
      expect(mail.subject).to.equal('Order R-1 shipped');
      expect(mail.text).to.include('Hello Ada, order R-1 is on its way.');
    } finally {
      await connection.close().catch(() => {});
      await clarion.stop();
      await sink.stop();
      await db.drop();
    }
  });
});
