import { expect } from 'chai';
import request from 'supertest';
import { fanOutEntries, queuedJobs, testApp, type TestApp } from '../support/clarion.ts';
import { ManualClock, ManualTimers } from '../support/clock.ts';

type Entry = { eventId: string; tenantId: string; type: string };

/**
 * Batching across events: the events stored by one statement (a batch POST, a group commit of
 * single POSTs) that are due now share `process_events` batch jobs (core/jobs/process-events.ts),
 * whose events that qualify for the one-statement fan-out are fanned out by one statement, their
 * first sends in shared `send_deliveries` jobs; the others go through the transaction path. An
 * entry that fails is retried alone, and an event is never fanned out twice.
 */
describe('process_events batch jobs (integration)', () => {
  const clock = new ManualClock();
  const timers = new ManualTimers();
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let seq = 0;
  const call = (method: 'post' | 'put' | 'get' | 'delete', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const event = (type: string, data: unknown, extensions: Record<string, unknown> = {}) => ({ specversion: '1.0', id: `fb-${++seq}`, source: '/shop', type, data, ...extensions });

  /** Posts the events as one batch; returns their ids, in order. */
  async function batch(events: unknown[]): Promise<string[]> {
    const res = await call('post', '/v1/events').set('content-type', 'application/cloudevents-batch+json').send(JSON.stringify(events)).expect(202);
    return res.body.accepted.map((a: { eventId: string }) => a.eventId);
  }

  /** Each event's notifications by workflow and subscriber, and the transaction that inserted them (fb_writers, below). */
  async function notificationsOf(eventIds: string[]): Promise<Array<{ event_id: string; external_id: string; workflow_key: string; writer: string }>> {
    return t.db.knex('notifications as n').join('subscribers as s', 's.id', 'n.subscriber_id').join('fb_writers as w', 'w.notification_id', 'n.id').whereIn('n.event_id', eventIds)
      .orderBy(['n.event_id', 's.external_id'])
      .select('n.event_id', 's.external_id', 'n.workflow_key', t.db.knex.raw('w.writer::text as writer'));
  }

  async function eventOf(eventId: string): Promise<{ status: string; error: string | null; notice: string | null }> {
    return (await call('get', `/v1/events/${eventId}`).expect(200)).body;
  }

  before(async () => {
    t = await testApp({ clock, timers, env: { CLARION_DEFAULT_SANDBOX: 'true', CLARION_INGEST_GROUP_WINDOW_MS: '2', CLARION_INGEST_GROUP_MAX: '10' } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    // The transaction that inserted each notification (its xmin changes when its status does: sends update it).
    await t.db.knex.raw('create table fb_writers (notification_id uuid primary key, writer bigint not null)');
    await t.db.knex.raw(`create function fb_note_writer() returns trigger language plpgsql as $$ begin insert into fb_writers values (new.id, txid_current()); return null; end $$`);
    await t.db.knex.raw('create trigger fb_note_writer after insert on notifications for each row execute function fb_note_writer()');
    for (const name of ['order', 'news']) {
      await call('put', `/v1/workflows/${name}`).send({ trigger: `com.acme.${name}`, channels: ['in_app'], templates: { in_app: { title: name, body: 'Hello' } } }).expect(201);
    }
  });
  after(() => t.close());

  it('fans the events of a batch out by one statement, their first sends in send_deliveries jobs of up to 100', async () => {
    const ids = await batch(Array.from({ length: 150 }, (_, i) => event('com.acme.order', { recipients: [{ id: `many-${i}`, email: `many-${i}@example.com` }] })));
    // 150 events: two process_events jobs (100 and 50), no process_event job.
    const jobs = await queuedJobs(t.db.knex, 'process_events');
    expect(jobs.map((j) => (j.payload as unknown as Entry[]).length)).to.deep.equal([100, 50]);
    expect(await queuedJobs(t.db.knex, 'process_event')).to.deep.equal([]);
    const first = jobs[0].payload as unknown as Entry[];
    const queued = jobs.flatMap((j) => j.payload as unknown as Entry[]);
    expect(queued.map((e) => e.eventId).sort()).to.deep.equal([...ids].sort());
    expect(queued.find((e) => e.eventId === ids[0])).to.deep.equal({ eventId: ids[0], tenantId, type: 'com.acme.order' });

    // The first job's events, as its task fans them out: one statement (one transaction id) for all.
    const outcomes = await Promise.all(t.services.notifications.processEvents(first));
    expect(outcomes.every((o) => o.notifications === 1)).to.equal(true);
    const written = await notificationsOf(first.map((e) => e.eventId));
    expect(written).to.have.length(100);
    expect(new Set(written.map((n) => n.writer)).size).to.equal(1);
    // Their 100 first sends share one send_deliveries job.
    const sends = await queuedJobs(t.db.knex, 'send_deliveries');
    expect(sends.map((j) => (j.payload as unknown as unknown[]).length)).to.deep.equal([100]);
    await t.db.knex.raw(`select graphile_worker.complete_jobs(array[?::bigint])`, [jobs[0].id]);

    await t.runJobsUntilIdle();
    const all = await notificationsOf(ids);
    expect(all).to.have.length(150);
    const second = new Set((jobs[1].payload as unknown as Entry[]).map((e) => e.eventId));
    expect(new Set(all.filter((n) => second.has(n.event_id)).map((n) => n.writer)).size).to.equal(1);
    const delivered = await t.db.knex('deliveries as d').join('notifications as n', 'n.id', 'd.notification_id').whereIn('n.event_id', ids).where('d.status', 'delivered').count<{ n: number }[]>('* as n');
    expect(Number(delivered[0].n)).to.equal(150);
    for (const id of [ids[0], ids[149]]) expect((await eventOf(id)).status).to.equal('processed');
  });

  it('fans a mixed batch out by both paths with the same rules: one statement for those it can take, the transaction path for the others', async () => {
    for (const id of ['ops-1', 'ops-2']) await call('put', `/v1/subscribers/${id}`).send({ name: id, teams: ['ops'] }).expect(201);
    await call('put', '/v1/subscribers/gone').send({ name: 'Gone' }).expect(201);
    await call('delete', '/v1/subscribers/gone').expect(204);
    const [plain, team, erased, nobody, shared, local] = await batch([
      event('com.acme.order', { recipients: [{ id: 'ann', email: 'ann@example.com' }] }),
      event('com.acme.order', { recipients: ['team:ops'] }),
      event('com.acme.order', { recipients: ['gone', 'bea'] }),
      event('com.acme.nobody.listens', { recipients: ['ann'] }),
      // Two workflows, and a subscriber another event of the batch names too (one upsert, fields merged in order).
      event('com.acme.news', { recipients: [{ id: 'ann', name: 'Ann' }, 'cid'] }),
      event('com.acme.order', { recipients: ['dee'] }, { deliverlocal: '2040-01-02T08:00:00' }),
    ]);
    const [job] = await queuedJobs(t.db.knex, 'process_events');
    expect((job.payload as unknown as Entry[]).map((e) => e.eventId).sort()).to.deep.equal([plain, team, erased, nobody, shared, local].sort());
    await t.runJobsUntilIdle();

    const written = await notificationsOf([plain, team, erased, nobody, shared, local]);
    const of = (eventId: string) => written.filter((n) => n.event_id === eventId);
    expect(of(plain).map((n) => n.external_id)).to.deep.equal(['ann']);
    expect(of(team).map((n) => n.external_id)).to.deep.equal(['ops-1', 'ops-2']);
    expect(of(erased).map((n) => n.external_id)).to.deep.equal(['bea']);
    expect(of(nobody)).to.deep.equal([]);
    expect(of(shared).map((n) => `${n.workflow_key}:${n.external_id}`)).to.deep.equal(['news:ann', 'news:cid']);
    expect(of(local).map((n) => n.external_id)).to.deep.equal(['dee']);
    // The one-statement events share a writer; the team and deliverlocal events were written by transactions of their own.
    const statement = new Set([...of(plain), ...of(erased), ...of(shared)].map((n) => n.writer));
    expect(statement.size).to.equal(1);
    expect(statement.has(of(team)[0].writer)).to.equal(false);
    expect(statement.has(of(local)[0].writer)).to.equal(false);

    for (const id of [plain, team, erased, nobody, shared, local]) expect((await eventOf(id)).status).to.equal('processed');
    expect((await eventOf(erased)).error).to.equal('subscriber gone was erased: nothing is sent to them (PUT /v1/subscribers/gone with "reactivate": true creates them again)');
    expect((await eventOf(nobody)).notice).to.equal('no workflow is triggered by com.acme.nobody.listens: nothing to send');
    expect((await eventOf(plain)).error).to.equal(null);
    // ann's fields from both events: the email of the first, the name of the second.
    expect((await call('get', '/v1/subscribers/ann').expect(200)).body).to.include({ email: 'ann@example.com', name: 'Ann' });
    // The erased id was not created again.
    expect(await t.db.knex('subscribers').where({ tenant_id: tenantId, external_id: 'gone' })).to.deep.equal([]);
  });

  it('retries only the entry that failed, and fans nothing out twice when the batch runs again', async () => {
    const ids = await batch(['fay', 'gil', 'hal'].map((id) => event('com.acme.order', { recipients: [{ id, email: `${id}@example.com` }] })));
    const [job] = await queuedJobs(t.db.knex, 'process_events');
    // gil's notification cannot be written (an error of the database's): its event's statement fails.
    await t.db.knex.raw(`create function fb_refuse() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$`);
    await t.db.knex.raw(`create trigger fb_refuse before insert on notifications for each row when (new.event_id = '${ids[1]}'::uuid) execute function fb_refuse()`);
    try {
      await t.runJobs();
      const written = await notificationsOf(ids);
      expect(written.map((n) => n.external_id).sort()).to.deep.equal(['fay', 'hal']);
      expect(written.map((n) => n.event_id).sort()).to.deep.equal([ids[0], ids[2]].sort());
      expect((await eventOf(ids[1])).status).to.equal('received');
      // The job kept only gil's entry, and waits for graphile-worker's backoff.
      const [retry, ...others] = await queuedJobs(t.db.knex, 'process_events');
      expect(others).to.have.length(0);
      expect(retry.id).to.equal(job.id);
      expect((retry.payload as unknown as Entry[]).map((e) => e.eventId)).to.deep.equal([ids[1]]);
      const [state] = (await t.db.knex.raw(`select attempts, last_error from graphile_worker.jobs where id = ?`, [retry.id])).rows;
      expect(state.attempts).to.equal(1);
      expect(state.last_error).to.include('refused by the test');
    } finally {
      await t.db.knex.raw('drop trigger fb_refuse on notifications');
      await t.db.knex.raw('drop function fb_refuse()');
    }
    await t.db.knex.raw(`select graphile_worker.reschedule_jobs(array[?::bigint], run_at => now())`, [job.id]);
    await t.runJobsUntilIdle();
    expect((await notificationsOf(ids)).map((n) => n.event_id).sort()).to.deep.equal([...ids].sort());

    // The whole batch again, as the sweep of a dead worker's job would run it: nothing twice.
    await t.db.knex.raw(`select graphile_worker.add_job('process_events', ?::json)`, [JSON.stringify(job.payload)]);
    await t.runJobsUntilIdle();
    expect(await notificationsOf(ids)).to.have.length(3);
    const deliveries = await t.db.knex('deliveries as d').join('notifications as n', 'n.id', 'd.notification_id').whereIn('n.event_id', ids).select('d.status');
    expect(deliveries.map((d) => d.status)).to.deep.equal(['delivered', 'delivered', 'delivered']);
  });

  it('gives the single events of one group commit one process_events job, and a deliverafter event its own job at its time', async () => {
    const post = (body: unknown) => Promise.resolve(call('post', '/v1/events').set('content-type', 'application/cloudevents+json').send(JSON.stringify(body)));
    const later = new Date(clock.now().getTime() + 3_600_000);
    const requests = [
      post(event('com.acme.order', { recipients: ['ivy'] })),
      post(event('com.acme.order', { recipients: ['jay'] }, { deliverafter: later.toISOString() })),
      post(event('com.acme.order', { recipients: ['kim'] })),
      post(event('com.acme.order', { recipients: ['lou'] })),
    ];
    await t.services.ingest.queue.whenWaiting(requests.length);
    timers.fireAll();
    const answers = await Promise.all(requests);
    expect(answers.map((r) => r.status)).to.deep.equal([202, 202, 202, 202]);
    const [ivy, jay, kim, lou] = answers.map((r) => r.body.accepted[0].eventId as string);
    // One statement stored them all.
    const writers = await t.db.knex('events').whereIn('id', [ivy, jay, kim, lou]).select(t.db.knex.raw('xmin::text as x'));
    expect(new Set(writers.map((w) => w.x)).size).to.equal(1);
    const entries = (await fanOutEntries(t.db.knex)).filter((e) => [ivy, jay, kim, lou].includes(e.eventId));
    const due = entries.filter((e) => e.task === 'process_events');
    expect(due.map((e) => e.eventId).sort()).to.deep.equal([ivy, kim, lou].sort());
    expect(new Set(due.map((e) => e.jobId)).size).to.equal(1);
    const delayed = entries.filter((e) => e.task === 'process_event');
    expect(delayed.map((e) => e.eventId)).to.deep.equal([jay]);
    expect(new Date(delayed[0].runAt).getTime()).to.equal(later.getTime());

    await t.runJobsUntilIdle();
    const fannedOut = await notificationsOf([ivy, jay, kim, lou]);
    expect(fannedOut.map((n) => n.external_id).sort()).to.deep.equal(['ivy', 'kim', 'lou']);
    // By one statement.
    expect(new Set(fannedOut.map((n) => n.writer)).size).to.equal(1);
    expect((await eventOf(jay)).status).to.equal('received');
    await t.runJobsDueBy(later);
    expect((await eventOf(jay)).status).to.equal('processed');
    expect((await notificationsOf([jay])).map((n) => n.external_id)).to.deep.equal(['jay']);
  });

  it('still runs a process_event job as older versions queued it (without the type)', async () => {
    const [row] = await t.db.knex('events').insert({ tenant_id: tenantId, ce_id: `old-${++seq}`, source: '/shop', type: 'com.acme.order', specversion: '1.0', data: JSON.stringify({ recipients: ['old-timer'] }) }).returning('id');
    await t.db.knex.raw(`select graphile_worker.add_job('process_event', ?::json)`, [JSON.stringify({ eventId: row.id, tenantId })]);
    await t.runJobsUntilIdle();
    expect((await eventOf(row.id)).status).to.equal('processed');
    expect((await notificationsOf([row.id])).map((n) => n.external_id)).to.deep.equal(['old-timer']);
  });
});
