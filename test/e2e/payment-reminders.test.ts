import { expect } from 'chai';
import { simpleParser } from 'mailparser';
import { startClarion, type RunningClarion } from '../../core/runtime.ts';
import { createTenant } from '../../core/tenants.ts';
import { testConfig } from '../support/clarion.ts';
import { ManualClock } from '../support/clock.ts';
import { freshDatabase, silentLog, type TestDatabase } from '../support/postgres.ts';
import { SmtpSink } from '../support/smtp.ts';
import { untilJobs } from '../support/wait.ts';

/**
 * The "done when" of issue 17, as a newcomer would run it from the README: "payment due in 3
 * days" reminders to everyone in a topic, every Monday at 09:00 in each subscriber's time zone,
 * with the invoice PDF attached, cancelled when the payment arrives. A real gateway and worker
 * over HTTP, a real SMTP server on loopback, and a clock the test moves: jobs Clarion queues for
 * the clock's time are made due for the worker when the clock reaches them (graphile-worker's
 * public `reschedule_jobs`), never slept for.
 */
describe('payment reminders: topic, weekly local-time schedule, PDF, cancellation (e2e, SMTP on loopback)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let clarion: RunningClarion;
  let sink: SmtpSink;
  let apiKey: string;
  let tenantId: string;
  const clock = new ManualClock(new Date('2040-04-10T12:00:00.000Z'));
  const setClock = (iso: string) => clock.advance(new Date(iso).getTime() - clock.now().getTime());
  // A small but real PDF.
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${clarion.url}${path}`, { method, headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  /** Jobs queued at or before the clock's time (and not being run) become due now for the worker. */
  const bringForward = () =>
    db.knex.raw(
      `select graphile_worker.reschedule_jobs(array(select id from graphile_worker.jobs where run_at <= ?::timestamptz and run_at > now() and locked_at is null and attempts < max_attempts), run_at => now())`,
      [clock.now()],
    );
  /** Waits, job by job, until `check` holds, bringing forward what the jobs queue for the clock's time. */
  const until = <T>(check: () => Promise<T | undefined | false>) =>
    untilJobs(clarion.runner!, async () => {
      await bringForward();
      return check();
    });
  /**
   * Waits until nothing is left to run by the clock's time. A job's row goes a moment after the
   * worker reports it done (graphile-worker writes completions after its event): the rows of the
   * jobs reported done are not counted.
   */
  const succeeded = new Set<string>();
  const idle = () =>
    until(async () => {
      const { rows } = await db.knex.raw('select id::text as id from graphile_worker.jobs where run_at <= ?::timestamptz and attempts < max_attempts', [clock.now()]);
      return (rows as Array<{ id: string }>).every((r) => succeeded.has(r.id));
    });
  const mailsTo = (to: string) => sink.received.filter((m) => m.to.includes(to));
  /** The emails of one subscriber, parsed: subject, text and attachments. */
  const parsed = (to: string) => Promise.all(mailsTo(to).map((m) => simpleParser(m.raw)));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies, asserted field by field
  const notificationsOf = async (eventId: string): Promise<Array<Record<string, any>>> => {
    const event = (await api('GET', `/v1/events/${eventId}`)).body;
    return Promise.all(event.notifications.map(async (n: { id: string }) => (await api('GET', `/v1/notifications/${n.id}`)).body));
  };

  before(async () => {
    db = await freshDatabase();
    sink = new SmtpSink();
    await sink.start();
    clarion = await startClarion({ config: testConfig(db, { CLARION_WORKER_POLL_MS: '50', CLARION_WORKER_CONCURRENCY: '4' }), log: silentLog, clock });
    clarion.runner!.events.on('job:success', ({ job }) => succeeded.add(String(job.id)));
    ({ apiKey, tenant: { id: tenantId } } = await createTenant(db.knex, { name: 'Acme', settings: { acceptUnvalidatedTypes: true } }));
  });
  after(async () => {
    await clarion?.stop();
    await sink?.stop();
    await db?.drop();
  });

  it('reminds each member of the topic at 09:00 where they are, with the invoice, until the payment cancels it', async () => {
    // The README's steps: an email provider, subscribers in two time zones, a topic, a workflow.
    const provider = await api('POST', '/v1/providers', { channel: 'email', adapter: 'smtp', name: 'loopback', config: { host: '127.0.0.1', port: sink.port, from: 'Acme Billing <billing@acme.example>' } });
    expect(provider.status, JSON.stringify(provider.body)).to.equal(201);
    expect((await api('PUT', '/v1/subscribers/ada', { name: 'Ada', email: 'ada@example.com', timezone: 'Europe/Paris' })).status).to.equal(201);
    expect((await api('PUT', '/v1/subscribers/bob', { name: 'Bob', email: 'bob@example.com', timezone: 'America/New_York' })).status).to.equal(201);
    expect((await api('PUT', '/v1/topics/billing.monthly', { name: 'Billed monthly' })).status).to.equal(201);
    expect((await api('PUT', '/v1/topics/billing.monthly/subscribers', { subscribers: ['ada', 'bob'] })).body).to.deep.include({ added: 2 });
    const workflow = await api('PUT', '/v1/workflows/payment.due', {
      trigger: 'com.acme.payment.due', channels: ['email'],
      templates: { email: { subject: 'Payment due in {{ data.days }} days', text: 'Hello {{ subscriber.name }}, invoice {{ data.invoice }} is due in {{ data.days }} days: {% for a in data.attachments %}{{ a.filename }}{% endfor %} attached.' } },
    });
    expect(workflow.status, JSON.stringify(workflow.body)).to.equal(201);

    // Every Monday at 09:00 in each subscriber's time zone, the invoice attached, until paid.
    const created = await api('POST', '/v1/schedules', {
      key: 'invoice-42', rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', timezone: 'Europe/Paris', localTime: true, recipients: ['topic:billing.monthly'],
      event: { type: 'com.acme.payment.due', data: { days: 3, invoice: '42', attachments: [{ filename: 'INV-42.pdf', contentType: 'application/pdf', content: pdf.toString('base64') }] }, extensions: { cancelkey: 'invoice-42' } },
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    // Monday 16 April 2040, 09:00 Paris (summer time) is 07:00Z; emitted when 09:00 first comes anywhere (UTC+14).
    expect(created.body).to.deep.include({ status: 'active', nextAt: '2040-04-16T07:00:00.000Z', fireAt: '2040-04-15T19:00:00.000Z' });

    // Sunday evening UTC: the event is emitted, each notification waits for 09:00 where its subscriber is.
    setClock('2040-04-15T19:00:00.000Z');
    const first = await until(async () => (await api('GET', '/v1/schedules/invoice-42')).body.lastEventId as string | undefined);
    await idle();
    const waiting = Object.fromEntries((await notificationsOf(first)).map((n) => [n.subscriberId, [n.status, n.scheduledFor]]));
    expect(waiting).to.deep.equal({ ada: ['scheduled', '2040-04-16T07:00:00.000Z'], bob: ['scheduled', '2040-04-16T13:00:00.000Z'] });
    expect(sink.received).to.have.length(0);
    // The PDF is stored once for the event, not once per subscriber.
    expect(Number((await db.knex('attachments').where({ tenant_id: tenantId, event_id: first }).count({ n: '*' }))[0].n)).to.equal(1);

    // 09:00 in Paris: Ada's reminder, with the PDF; Bob's still waits for 09:00 in New York.
    setClock('2040-04-16T07:00:00.000Z');
    await until(async () => mailsTo('ada@example.com').length === 1);
    await idle();
    expect(mailsTo('bob@example.com')).to.have.length(0);
    setClock('2040-04-16T13:00:00.000Z');
    await until(async () => mailsTo('bob@example.com').length === 1);
    await idle();
    for (const [to, name] of [['ada@example.com', 'Ada'], ['bob@example.com', 'Bob']]) {
      const [mail] = await parsed(to);
      expect(mail.subject).to.equal('Payment due in 3 days');
      expect(mail.text?.trim()).to.equal(`Hello ${name}, invoice 42 is due in 3 days: INV-42.pdf attached.`);
      expect(mail.attachments.map((a) => [a.filename, a.contentType, a.contentDisposition])).to.deep.equal([['INV-42.pdf', 'application/pdf', 'attachment']]);
      expect(mail.attachments[0].content.equals(pdf)).to.equal(true);
    }
    const sentAt = Object.fromEntries((await notificationsOf(first)).map((n) => [n.subscriberId, [n.status, n.deliveries[0].attempts.at(-1).startedAt]]));
    expect(sentAt).to.deep.equal({ ada: ['sent', '2040-04-16T07:00:00.000Z'], bob: ['sent', '2040-04-16T13:00:00.000Z'] });

    // The next Monday: Ada has her reminder, then the payment arrives before 09:00 in New York.
    setClock('2040-04-22T19:00:00.000Z');
    const second = await until(async () => {
      const id = (await api('GET', '/v1/schedules/invoice-42')).body.lastEventId as string;
      return id !== first && id;
    });
    setClock('2040-04-23T07:00:00.000Z');
    await until(async () => mailsTo('ada@example.com').length === 2);
    await idle();
    setClock('2040-04-23T10:00:00.000Z');
    const cancelled = await api('POST', '/v1/cancellations', { key: 'invoice-42', reason: 'payment received' });
    expect(cancelled.status, JSON.stringify(cancelled.body)).to.equal(200);
    expect(cancelled.body.cancelled).to.include({ schedules: 1, notifications: 1, suppressed: 1 });
    // What had gone out is reported, not recalled: both reminders of the first week, Ada's of the second.
    expect(cancelled.body.alreadySent.count).to.equal(3);
    const after = Object.fromEntries((await notificationsOf(second)).map((n) => [n.subscriberId, n.status]));
    expect(after).to.deep.equal({ ada: 'sent', bob: 'suppressed' });
    expect((await api('GET', '/v1/schedules/invoice-42')).body).to.deep.include({ status: 'cancelled', nextAt: null, upcoming: [] });

    // Bob's 09:00 passes, and the Monday after: nothing more is emitted or sent.
    for (const at of ['2040-04-23T13:00:00.000Z', '2040-04-29T19:00:00.000Z', '2040-04-30T13:00:00.000Z']) {
      setClock(at);
      await idle();
    }
    expect(mailsTo('ada@example.com')).to.have.length(2);
    expect(mailsTo('bob@example.com')).to.have.length(1);
    const emitted = (await api('GET', `/v1/events?source=${encodeURIComponent('/clarion/schedules/invoice-42')}&limit=50`)).body.items;
    expect(emitted.map((e: { id: string }) => e.id).sort()).to.deep.equal([first, second].sort());
  });
});
