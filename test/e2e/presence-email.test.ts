import { expect } from 'chai';
import { startClarion, type RunningClarion } from '../../core/runtime.ts';
import { createTenant } from '../../core/tenants.ts';
import { testConfig } from '../support/clarion.ts';
import { ManualClock } from '../support/clock.ts';
import { inAppWorkflow } from '../support/inbox.ts';
import { freshDatabase, silentLog, type TestDatabase } from '../support/postgres.ts';
import { SmtpSink } from '../support/smtp.ts';
import { WsClient } from '../support/stream.ts';
import { untilJobs } from '../support/wait.ts';

const MINUTE = 60_000;

/**
 * The presence plugin end to end: a real gateway and worker, a real SMTP server on loopback, a
 * subscriber's browser on the stream. The email of an online subscriber is held, then sent once
 * the hold is over and the in-app copy is still unread; read in time, it is never sent. The clock
 * is moved by hand; waits are for mails, messages and jobs, never for time.
 */
describe('presence plugin holding and releasing an email (e2e, SMTP on loopback)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let clarion: RunningClarion;
  let sink: SmtpSink;
  let apiKey: string;
  const clock = new ManualClock();
  let seq = 0;
  const streams: WsClient[] = [];

  const api = async (method: string, path: string, body?: unknown, key = apiKey) => {
    const res = await fetch(`${clarion.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const post = async (recipient: Record<string, unknown>) => {
    const res = await fetch(`${clarion.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: `o-${++seq}`, source: '/shop', type: 'com.acme.order.shipped', data: { orderId: `A-${seq}`, recipients: [recipient] } }),
    });
    expect(res.status).to.equal(202);
    return ((await res.json()) as { accepted: Array<{ eventId: string }> }).accepted[0].eventId;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies, asserted field by field
  const notificationOf = async (eventId: string): Promise<Record<string, any> | undefined> => {
    const summary = (await api('GET', `/v1/events/${eventId}`)).body.notifications?.[0];
    return summary ? (await api('GET', `/v1/notifications/${summary.id}`)).body : undefined;
  };
  const online = async (subscriber: string) => {
    const token = (await api('POST', `/v1/subscribers/${subscriber}/inbox-token`, {})).body.token as string;
    const client = await WsClient.open(`${clarion.url!.replace('http', 'ws')}/v1/inbox/stream?token=${token}`);
    streams.push(client);
    await client.next((m) => m.type === 'ready');
    await clarion.services.inbox.presence.settled();
    return { client, token };
  };
  /** Moves the clock past the hold and makes the escalation jobs due by it due now for the worker. */
  const afterHold = async () => {
    clock.advance(5 * MINUTE + 1000);
    await db.knex.raw(
      `select graphile_worker.reschedule_jobs(array(select id from graphile_worker.jobs where task_identifier = 'escalate_notification' and run_at <= ?::timestamptz and locked_at is null), run_at => now())`,
      [clock.now()],
    );
  };

  before(async () => {
    db = await freshDatabase();
    sink = new SmtpSink();
    await sink.start();
    clarion = await startClarion({ config: testConfig(db, { CLARION_WORKER_POLL_MS: '50', CLARION_WORKER_CONCURRENCY: '4' }), log: silentLog, clock });
    ({ apiKey } = await createTenant(db.knex, { name: 'Acme', settings: { acceptUnvalidatedTypes: true } }));
    expect((await api('POST', '/v1/providers', { channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'Acme <no-reply@acme.example>' } })).status).to.equal(201);
    const workflow = await api('PUT', '/v1/workflows/order.shipped', inAppWorkflow('com.acme.order.shipped', {
      channels: ['in_app', 'email'],
      templates: { ...inAppWorkflow('x').templates, email: { subject: 'Order {{ data.orderId }} shipped', text: 'It is on its way.' } },
      plugins: { presence: { action: 'hold', holdMinutes: 5 } },
    }));
    expect(workflow.status, JSON.stringify(workflow.body)).to.equal(201);
  });
  after(async () => {
    for (const s of streams) s.close();
    await clarion?.stop();
    await sink?.stop();
    await db?.drop();
  });

  it('holds the email while the subscriber is online, then sends it because the in-app copy is still unread', async () => {
    await api('PUT', '/v1/subscribers/ada', { email: 'ada@example.com', name: 'Ada' });
    const { client } = await online('ada');
    const eventId = await post({ id: 'ada' });
    await client.next((m) => m.type === 'item.created');
    const held = await untilJobs(clarion.runner!, async () => {
      const n = await notificationOf(eventId);
      return n?.escalation?.steps?.[0]?.status === 'fired' ? n : undefined;
    });
    expect(held.decisions.find((d: { plugin: string }) => d.plugin === 'presence').decision).to.equal('schedule');
    expect(held.deliveries.map((d: { channel: string }) => d.channel)).to.deep.equal(['in_app']);
    expect(sink.received.filter((m) => m.to.includes('ada@example.com')), 'held').to.have.length(0);

    await afterHold();
    const mail = await sink.mailTo('ada@example.com');
    expect(mail.subject).to.equal(`Order A-${seq} shipped`);
    const sent = await untilJobs(clarion.runner!, async () => {
      const n = await notificationOf(eventId);
      return n?.deliveries?.some((d: { channel: string; status: string }) => d.channel === 'email' && d.status === 'sent') ? n : undefined;
    });
    expect(sent.escalation.steps.map((s: { status: string }) => s.status)).to.deep.equal(['fired', 'fired']);
  });

  it('never sends the held email when the in-app copy is read in time', async () => {
    await api('PUT', '/v1/subscribers/bob', { email: 'bob@example.com', name: 'Bob' });
    const { client, token } = await online('bob');
    const eventId = await post({ id: 'bob' });
    const created = await client.next((m) => m.type === 'item.created');
    expect((await api('PATCH', `/v1/inbox/${(created.item as { id: string }).id}`, { read: true }, token)).status).to.equal(200);
    await afterHold();
    const cancelled = await untilJobs(clarion.runner!, async () => {
      const n = await notificationOf(eventId);
      return n?.escalation?.steps?.[1]?.status === 'cancelled' ? n : undefined;
    });
    expect(cancelled.escalation.steps[1].reason).to.equal('read');
    expect(cancelled.status).to.equal('read');
    expect(cancelled.deliveries.map((d: { channel: string }) => d.channel)).to.deep.equal(['in_app']);
    expect(sink.received.filter((m) => m.to.includes('bob@example.com'))).to.have.length(0);
  });

  it('sends the email at once to a subscriber who is offline', async () => {
    const eventId = await post({ id: 'carol', email: 'carol@example.com' });
    await sink.mailTo('carol@example.com');
    const n = await untilJobs(clarion.runner!, async () => notificationOf(eventId));
    expect(n.decisions.find((d: { plugin: string }) => d.plugin === 'presence')).to.deep.include({ decision: 'continue', reason: 'the subscriber is offline: every channel goes now' });
  });
});
