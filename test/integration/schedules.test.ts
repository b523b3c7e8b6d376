import { expect } from 'chai';
import { runOnce } from 'graphile-worker';
import request from 'supertest';
import { taskList } from '../../core/jobs/index.ts';
import { graphileLogger } from '../../core/log.ts';
import { testApp, testPeer, type TestApp, type TestPeer } from '../support/clarion.ts';
import { ManualClock } from '../support/clock.ts';
import { silentLog } from '../support/postgres.ts';

/**
 * Recurring schedules: each occurrence emits its event exactly once, with two workers on one
 * database and an injected clock, across a DST change; in each subscriber's local time; late
 * after an outage, once; ended by a cancellation of its key. Checked like a posted event.
 */
describe('schedules (integration)', () => {
  let t: TestApp;
  let peer: TestPeer;
  let key: string;
  let tenantId: string;
  let seq = 0;
  const clock = new ManualClock();
  const setClock = (iso: string) => clock.advance(new Date(iso).getTime() - clock.now().getTime());
  before(async () => {
    t = await testApp({ clock, env: { CLARION_DEFAULT_SANDBOX: 'true' } });
    peer = await testPeer(t, { clock, env: { CLARION_DEFAULT_SANDBOX: 'true' } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    await call('put', '/v1/topics/billing').send({ name: 'Billing' }).expect(201);
    for (const [id, timezone] of [['paris', 'Europe/Paris'], ['ny', 'America/New_York'], ['nowhere', null]] as const) {
      await call('put', `/v1/subscribers/${id}`).send(timezone ? { timezone } : {}).expect(201);
    }
    await call('put', '/v1/topics/billing/subscribers').send({ subscribers: ['paris', 'ny', 'nowhere'] }).expect(200);
  });
  after(async () => {
    await peer.close();
    await t.close();
  });
  const call = (method: 'post' | 'put' | 'get' | 'delete' | 'patch', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const workflow = async (body: Record<string, unknown> = {}) => {
    const name = `remind.${++seq}`;
    await call('put', `/v1/workflows/${name}`).send({ trigger: `com.acme.${name}`, channels: ['in_app'], templates: { in_app: { title: 'Payment due in {{ data.days }} days', body: 'Invoice' } }, ...body }).expect(201);
    return `com.acme.${name}`;
  };
  const scheduleId = async (k: string) => (await t.db.knex('schedules').where({ tenant_id: tenantId, key: k }).first('id')).id as string;
  const emitted = async (k: string) => {
    const items = (await call('get', `/v1/events?source=${encodeURIComponent(`/clarion/schedules/${k}`)}&limit=50`).expect(200)).body.items as Array<{ id: string; cloudevent: { id: string } }>;
    return items.map((e) => e.cloudevent.id).sort();
  };
  /** Both processes' workers take the due jobs at once, as two `clarion worker`s would. */
  const twoWorkers = async () => {
    const options = (services: typeof peer.services) => ({ connectionString: t.db.url, taskList: taskList(services), logger: graphileLogger(silentLog), preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } } });
    // The occurrences due by the clock become due now (graphile-worker's public reschedule_jobs), for both to see.
    await t.db.knex.raw(
      `select graphile_worker.reschedule_jobs(array(select id from graphile_worker.jobs where task_identifier = 'fire_schedule' and run_at <= ?::timestamptz and locked_at is null), run_at => now())`,
      [clock.now()],
    );
    await Promise.all([runOnce(options(t.services)), runOnce(options(peer.services))]);
    await settle();
  };
  /** Runs what is due by the clock, jobs queued on the way at the clock's time included (a topic's pages). */
  const settle = async () => {
    for (let i = 0; i < 3; i++) await t.runJobsDueBy(clock.now());
  };

  it('emits each Monday 09:00 Paris occurrence exactly once with two workers, across the DST change', async () => {
    setClock('2040-03-10T12:00:00Z');
    const type = await workflow();
    const created = await call('post', '/v1/schedules')
      .send({ key: 'weekly', cron: '0 9 * * 1', timezone: 'Europe/Paris', recipients: ['topic:billing'], event: { type, data: { days: 3 } } })
      .expect(201);
    expect(created.body).to.deep.include({ key: 'weekly', status: 'active', nextAt: '2040-03-12T08:00:00.000Z', fireAt: '2040-03-12T08:00:00.000Z', firedCount: 0 });
    // Paris moves to summer time on Sunday 25 March 2040: 09:00 is then 07:00Z.
    expect(created.body.upcoming).to.deep.equal(['2040-03-12T08:00:00.000Z', '2040-03-19T08:00:00.000Z', '2040-03-26T07:00:00.000Z', '2040-04-02T07:00:00.000Z', '2040-04-09T07:00:00.000Z']);
    const id = await scheduleId('weekly');

    for (const occurrence of ['2040-03-12T08:00:00.000Z', '2040-03-19T08:00:00.000Z', '2040-03-26T07:00:00.000Z']) {
      setClock(occurrence);
      // The same occurrence run twice at once (a job taken by two workers): one emits, one finds it done.
      const outcomes = await Promise.all([t.services.schedules.fire(id, tenantId, occurrence), peer.services.schedules.fire(id, tenantId, occurrence)]);
      expect(outcomes.sort()).to.deep.equal(['fired', 'skipped']);
      await twoWorkers();
    }
    setClock('2040-04-02T07:00:00.000Z');
    await twoWorkers(); // its job only, on both workers
    expect(await emitted('weekly')).to.deep.equal(['weekly/2040-03-12T08:00:00.000Z', 'weekly/2040-03-19T08:00:00.000Z', 'weekly/2040-03-26T07:00:00.000Z', 'weekly/2040-04-02T07:00:00.000Z']);
    const view = (await call('get', '/v1/schedules/weekly').expect(200)).body;
    expect(view).to.deep.include({ firedCount: 4, nextAt: '2040-04-09T07:00:00.000Z', lastError: null });
    const last = (await call('get', `/v1/events/${view.lastEventId}`).expect(200)).body;
    expect(last.notifications.map((n: { subscriberId: string }) => n.subscriberId).sort()).to.deep.equal(['nowhere', 'ny', 'paris']);
    await call('delete', '/v1/schedules/weekly').expect(204);
    setClock('2040-04-09T07:00:00.000Z');
    await twoWorkers();
    expect(await emitted('weekly')).to.have.length(4);
  });

  it("reminds each subscriber at 09:00 in their own time zone, and ends with the payment's cancellation", async () => {
    setClock('2040-04-10T12:00:00Z');
    const type = await workflow();
    const res = await call('post', '/v1/schedules')
      .send({ key: 'invoice-42', rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', timezone: 'Europe/Paris', localTime: true, recipients: ['topic:billing'], event: { type, data: { days: 3 }, extensions: { cancelkey: 'invoice-42' } } })
      .expect(201);
    // Monday 16 April, 09:00 where each subscriber is: emitted when it is 09:00 in UTC+14 (Sunday 19:00Z).
    expect(res.body).to.deep.include({ nextAt: '2040-04-16T07:00:00.000Z', fireAt: '2040-04-15T19:00:00.000Z' });
    setClock('2040-04-15T19:00:00.000Z');
    await settle();
    const view = (await call('get', '/v1/schedules/invoice-42').expect(200)).body;
    const event = (await call('get', `/v1/events/${view.lastEventId}`).expect(200)).body;
    expect(event.cloudevent).to.include({ deliverlocal: '2040-04-16T09:00:00', deliverzone: 'Europe/Paris', cancelkey: 'invoice-42' });
    const due = Object.fromEntries(event.notifications.map((n: { subscriberId: string; status: string }) => [n.subscriberId, n.status]));
    expect(due).to.deep.equal({ paris: 'scheduled', ny: 'scheduled', nowhere: 'scheduled' });
    const scheduledFor = async () => Object.fromEntries(await Promise.all(event.notifications.map(async (n: { id: string; subscriberId: string }) => [n.subscriberId, (await call('get', `/v1/notifications/${n.id}`).expect(200)).body.scheduledFor])));
    expect(await scheduledFor()).to.deep.equal({ paris: '2040-04-16T07:00:00.000Z', ny: '2040-04-16T13:00:00.000Z', nowhere: '2040-04-16T07:00:00.000Z' });

    setClock('2040-04-16T08:00:00.000Z');
    await settle();
    // The payment arrives: New York's reminder, still pending, and every later Monday are cancelled.
    const cancelled = (await call('post', '/v1/cancellations').send({ key: 'invoice-42', reason: 'paid' }).expect(200)).body;
    expect(cancelled.cancelled).to.include({ schedules: 1, notifications: 1, suppressed: 1 });
    expect(cancelled.alreadySent.count).to.equal(2);
    expect((await call('get', '/v1/schedules/invoice-42').expect(200)).body).to.deep.include({ status: 'cancelled', nextAt: null, upcoming: [] });
    setClock('2040-04-29T19:00:00.000Z');
    await settle();
    expect(await emitted('invoice-42')).to.have.length(1);
    const audit = (await call('get', '/v1/audit?action=schedule.cancelled').expect(200)).body.items;
    expect(audit[0].summary).to.deep.include({ key: 'invoice-42', reason: 'paid', schedules: 1 });
  });

  it('emits an occurrence missed while no worker ran once, late, then goes on from the present', async () => {
    setClock('2040-05-01T00:00:00Z');
    const type = await workflow();
    await call('post', '/v1/schedules').send({ key: 'daily', rrule: 'FREQ=DAILY;BYHOUR=6;BYMINUTE=30', timezone: 'UTC', recipients: ['paris'], event: { type, data: { days: 1 } } }).expect(201);
    // No worker for three days and a half: the due job runs once when one starts again.
    setClock('2040-05-04T12:00:00Z');
    await twoWorkers();
    expect(await emitted('daily')).to.deep.equal(['daily/2040-05-01T06:30:00.000Z']);
    expect((await call('get', '/v1/schedules/daily').expect(200)).body).to.deep.include({ nextAt: '2040-05-05T06:30:00.000Z', firedCount: 1 });
    await call('delete', '/v1/schedules/daily').expect(204);
  });

  it('ends a rule with COUNT, and records an occurrence its contract now refuses without stopping', async () => {
    setClock('2040-06-01T00:00:00Z');
    const type = await workflow();
    await call('post', '/v1/schedules').send({ key: 'twice', rrule: 'FREQ=DAILY;COUNT=2', start: '2040-06-01T10:00', timezone: 'UTC', recipients: ['paris'], event: { type } }).expect(201);
    await call('put', `/v1/contracts/${type}`).send({ type: 'object', required: ['amount'] }).expect(201);
    setClock('2040-06-01T10:00:00Z');
    await settle();
    let view = (await call('get', '/v1/schedules/twice').expect(200)).body;
    expect(view).to.deep.include({ status: 'active', firedCount: 0, nextAt: '2040-06-02T10:00:00.000Z' });
    expect(view.lastError).to.match(/\/data\/amount is required/);
    await call('put', `/v1/contracts/${type}`).send({ type: 'object' }).expect(200);
    setClock('2040-06-02T10:00:00Z');
    await settle();
    view = (await call('get', '/v1/schedules/twice').expect(200)).body;
    expect(view).to.deep.include({ status: 'ended', nextAt: null, upcoming: [] });
  });

  it('attaches the invoice to every occurrence, checking the file when the schedule is saved', async () => {
    setClock('2040-07-01T00:00:00Z');
    const type = await workflow();
    const invoice = { filename: 'INV-42.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4 invoice 42').toString('base64') };
    const refused = await call('post', '/v1/schedules').send({ key: 'with-file', cron: '0 9 * * 1', recipients: ['paris'], event: { type, data: { attachments: [{ ...invoice, contentType: 'application/x-msdownload' }] } } }).expect(422);
    expect(refused.body.errors.map((e: { pointer: string }) => e.pointer)).to.deep.equal(['/event/data/attachments/0/contentType']);
    await call('post', '/v1/schedules').send({ key: 'with-file', cron: '0 9 * * 1', recipients: ['paris'], event: { type, data: { attachments: [invoice] } } }).expect(201);
    setClock('2040-07-02T09:00:00Z');
    await settle();
    const view = (await call('get', '/v1/schedules/with-file').expect(200)).body;
    expect(view).to.deep.include({ firedCount: 1, lastError: null });
    const files = await t.db.knex('attachments').where({ tenant_id: tenantId, event_id: view.lastEventId }).select('filename', 'content');
    expect(files.map((f) => [f.filename, f.content.toString()])).to.deep.equal([['INV-42.pdf', '%PDF-1.4 invoice 42']]);
    const event = (await call('get', `/v1/events/${view.lastEventId}`).expect(200)).body;
    expect(event.cloudevent.data.attachments[0]).to.include({ filename: 'INV-42.pdf', contentType: 'application/pdf' });
    await call('delete', '/v1/schedules/with-file').expect(204);
  });

  it('refuses bad schedules naming each field, storing nothing, and keeps tenants apart', async () => {
    const type = await workflow();
    const bad = async (body: Record<string, unknown>, status = 422) => (await call('post', '/v1/schedules').send({ key: 'bad', timezone: 'UTC', recipients: ['paris'], event: { type }, ...body }).expect(status)).body;
    const pointers = async (body: Record<string, unknown>) => (await bad(body)).errors.map((e: { pointer: string }) => e.pointer);
    expect(await pointers({})).to.deep.equal(['/rrule']);
    expect(await pointers({ rrule: 'FREQ=DAILY', cron: '0 9 * * *' })).to.deep.equal(['/rrule']);
    expect(await pointers({ rrule: 'FREQ=SOMETIMES' })).to.deep.equal(['/rrule']);
    expect(await pointers({ rrule: 'DTSTART:20400101T000000Z\nRRULE:FREQ=DAILY' })).to.deep.equal(['/rrule']);
    expect(await pointers({ rrule: 'FREQ=SECONDLY' })).to.deep.equal(['/rrule']);
    expect((await bad({ cron: '*/5 * * * * *' })).errors[0]).to.deep.equal({ pointer: '/cron', message: 'must have five fields: minute hour day-of-month month day-of-week (e.g. 0 9 * * 1)' });
    expect(await pointers({ cron: '99 9 * * *' })).to.deep.equal(['/cron']);
    expect(await pointers({ cron: '0 9 * * *', timezone: 'Mars/Olympus' })).to.deep.equal(['/timezone']);
    expect(await pointers({ rrule: 'FREQ=DAILY', start: 'tomorrow' })).to.deep.equal(['/start']);
    expect((await bad({ rrule: 'FREQ=MINUTELY;BYSECOND=0,30' })).errors).to.deep.equal([{ pointer: '/rrule', message: 'must not fire more often than once a minute' }]);
    expect(await pointers({ cron: '0 9 * * *', event: { type, extensions: { deliverafter: 'soon' } } })).to.deep.equal(['/event/extensions/deliverafter']);
    expect(await pointers({ cron: '0 9 * * *', event: { type: '' } })).to.deep.equal(['/event/type']);
    expect(await pointers({ key: 'no spaces', cron: '0 9 * * *' })).to.deep.equal(['/key']);
    expect((await call('get', '/v1/schedules').expect(200)).body.items.filter((s: { key: string }) => s.key === 'bad')).to.deep.equal([]);

    await call('post', '/v1/schedules').send({ key: 'once-only', cron: '0 9 * * *', recipients: ['paris'], event: { type } }).expect(201);
    expect((await call('post', '/v1/schedules').send({ key: 'once-only', cron: '0 10 * * *', recipients: ['paris'], event: { type } }).expect(409)).body.type).to.match(/CLARION_ERR_SCHEDULE_EXISTS/);
    const other = await t.tenant('Other');
    const as = (method: 'get' | 'delete', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${other.apiKey}`);
    await as('get', '/v1/schedules/once-only').expect(404);
    await as('delete', '/v1/schedules/once-only').expect(404);
    expect((await as('get', '/v1/schedules').expect(200)).body.items).to.deep.equal([]);
    await call('delete', '/v1/schedules/once-only').expect(204);
    await call('get', '/v1/schedules/once-only').expect(404);
  });

  it('pauses, resumes and changes a schedule, never emitting an occurrence twice', async () => {
    setClock('2040-08-05T12:00:00Z'); // a Sunday
    const type = await workflow();
    const rule = 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0';
    const created = await call('post', '/v1/schedules')
      .send({ key: 'edited', rrule: rule, timezone: 'Europe/Paris', localTime: true, recipients: ['paris'], event: { type, data: { days: 3 } } })
      .expect(201);
    expect(created.body).to.deep.include({ nextAt: '2040-08-06T07:00:00.000Z', fireAt: '2040-08-05T19:00:00.000Z', lastOccurrence: null, pausedAt: null });
    const id = await scheduleId('edited');
    // Emitted Sunday evening UTC for Monday 09:00 local; the occurrence is still ahead when the rule is rewritten.
    setClock('2040-08-05T19:00:00.000Z');
    await settle();
    expect(await emitted('edited')).to.deep.equal(['edited/2040-08-06T07:00:00.000Z']);
    setClock('2040-08-05T20:00:00.000Z');
    const rewritten = (await call('patch', '/v1/schedules/edited').send({ rrule: `${rule};BYSECOND=0` }).expect(200)).body;
    // The same Monday is not emitted again: the new rule goes on after the last occurrence handled.
    expect(rewritten).to.deep.include({ status: 'active', rrule: `${rule};BYSECOND=0`, lastOccurrence: '2040-08-06T07:00:00.000Z', nextAt: '2040-08-13T07:00:00.000Z', fireAt: '2040-08-12T19:00:00.000Z' });
    await twoWorkers();
    setClock('2040-08-06T07:00:00.000Z');
    await twoWorkers();
    expect(await emitted('edited')).to.have.length(1);

    // New recipients and event: the next occurrence emits them; its timing is unchanged.
    const changed = (await call('patch', '/v1/schedules/edited').send({ name: 'Reminder', recipients: ['ny'], event: { type, data: { days: 7 } } }).expect(200)).body;
    expect(changed).to.deep.include({ name: 'Reminder', nextAt: '2040-08-13T07:00:00.000Z', fireAt: '2040-08-12T19:00:00.000Z' });
    expect(changed.event).to.deep.equal({ type, data: { days: 7 }, recipients: ['ny'] });
    setClock('2040-08-12T19:00:00.000Z');
    await twoWorkers();
    const second = (await call('get', '/v1/schedules/edited').expect(200)).body;
    const event = (await call('get', `/v1/events/${second.lastEventId}`).expect(200)).body;
    expect(event.cloudevent.data).to.deep.equal({ days: 7, recipients: ['ny'] });
    expect(second).to.deep.include({ firedCount: 2, lastOccurrence: '2040-08-13T07:00:00.000Z' });

    // Paused over two Mondays: nothing fires, even from a job already queued; resumed, it goes on
    // from the next occurrence after now (those that fell while paused are skipped, not late).
    setClock('2040-08-14T10:00:00.000Z');
    const paused = (await call('patch', '/v1/schedules/edited').send({ paused: true }).expect(200)).body;
    expect(paused).to.deep.include({ status: 'paused', nextAt: null, fireAt: null, upcoming: [], pausedAt: '2040-08-14T10:00:00.000Z' });
    expect(await t.services.schedules.fire(id, tenantId, '2040-08-20T07:00:00.000Z')).to.equal('skipped');
    setClock('2040-08-27T12:00:00.000Z');
    await twoWorkers();
    expect(await emitted('edited')).to.have.length(2);
    const resumed = (await call('patch', '/v1/schedules/edited').send({ paused: false }).expect(200)).body;
    expect(resumed).to.deep.include({ status: 'active', pausedAt: null, nextAt: '2040-09-03T07:00:00.000Z', fireAt: '2040-09-02T19:00:00.000Z' });
    const actions = (await call('get', '/v1/audit?limit=20').expect(200)).body.items.filter((a: { action: string }) => a.action.startsWith('schedule.')).map((a: { action: string }) => a.action);
    expect(actions.slice(0, 4)).to.deep.equal(['schedule.resumed', 'schedule.paused', 'schedule.updated', 'schedule.updated']);

    // A rule change racing the occurrence it waits for: emitted at most once, whichever wins.
    setClock('2040-09-02T19:00:00.000Z');
    await Promise.all([t.services.schedules.fire(id, tenantId, '2040-09-03T07:00:00.000Z'), call('patch', '/v1/schedules/edited').send({ rrule: rule }).expect(200)]);
    await twoWorkers();
    const all = await emitted('edited');
    expect(new Set(all).size).to.equal(all.length);
    expect(all.filter((e) => e === 'edited/2040-09-03T07:00:00.000Z').length).to.be.at.most(1);
    expect((await call('get', '/v1/schedules/edited').expect(200)).body.nextAt).to.equal('2040-09-10T07:00:00.000Z');

    // A paused schedule is still ended by its cancelkey's cancellation, and stays so.
    await call('patch', '/v1/schedules/edited').send({ paused: true, event: { type, extensions: { cancelkey: 'edited-1' } } }).expect(200);
    expect((await call('post', '/v1/cancellations').send({ key: 'edited-1' }).expect(200)).body.cancelled.schedules).to.equal(1);
    const refused = (await call('patch', '/v1/schedules/edited').send({ paused: false }).expect(409)).body;
    expect(refused.type).to.match(/CLARION_ERR_SCHEDULE_CANCELLED/);
    expect((await call('get', '/v1/schedules/edited').expect(200)).body).to.deep.include({ status: 'cancelled', nextAt: null });
    await call('delete', '/v1/schedules/edited').expect(204);
  });

  it('refuses bad changes naming each field, changing nothing', async () => {
    setClock('2040-10-01T00:00:00Z');
    const type = await workflow();
    await call('post', '/v1/schedules').send({ key: 'steady', cron: '0 9 * * *', recipients: ['paris'], event: { type } }).expect(201);
    const before = (await call('get', '/v1/schedules/steady').expect(200)).body;
    const pointers = async (body: unknown) => ((await call('patch', '/v1/schedules/steady').send(body as object).expect(422)).body.errors as Array<{ pointer: string }>).map((e) => e.pointer);
    expect(await pointers({})).to.have.length(1);
    expect(await pointers({ bogus: 1 })).to.deep.equal(['/bogus']);
    expect(await pointers({ rrule: 'FREQ=DAILY', cron: '0 9 * * *' })).to.deep.equal(['/rrule']);
    expect(await pointers({ timezone: 'Mars/Olympus' })).to.deep.equal(['/timezone']);
    expect(await pointers({ start: '2040-10-02T09:00' })).to.deep.equal(['/start']);
    expect(await pointers({ cron: '* * * * * *' })).to.deep.equal(['/cron']);
    expect(await pointers({ rrule: 'FREQ=MINUTELY;BYSECOND=0,30' })).to.deep.equal(['/rrule']);
    expect(await pointers({ paused: 'yes' })).to.deep.equal(['/paused']);
    expect(await pointers({ event: { type, extensions: { deliverafter: 'soon' } } })).to.deep.equal(['/event/extensions/deliverafter']);
    expect(await pointers({ recipients: [] })).to.deep.equal(['/recipients']);
    await call('patch', '/v1/schedules/steady').set('content-type', 'application/json').send('{"paused": tru').expect(400);
    await call('patch', '/v1/schedules/steady').set('content-type', 'text/plain').send('paused').expect(415);
    expect((await call('get', '/v1/schedules/steady').expect(200)).body).to.deep.equal(before);
    await call('patch', '/v1/schedules/nope').send({ paused: true }).expect(404);
    const other = await t.tenant('Other2');
    await request(t.callback).patch('/v1/schedules/steady').set('authorization', `Bearer ${other.apiKey}`).send({ paused: true }).expect(404);
    expect((await call('get', '/v1/schedules/steady').expect(200)).body).to.deep.equal(before);
    await call('delete', '/v1/schedules/steady').expect(204);
  });
});
