import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { ManualClock, TEST_EPOCH } from '../support/clock.ts';

/**
 * Timing and conditions: a workflow's steps (delays, fixed or read from the event; sends with
 * conditions), channel conditions, and the ingest extensions `deliverafter` and `deliverlocal`.
 * Every outcome is a decision on the notification. The clock is moved by hand.
 */
describe('workflow steps, delays and conditions (integration)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let seq = 0;
  const clock = new ManualClock();
  before(async () => {
    t = await testApp({ clock, env: { CLARION_DEFAULT_SANDBOX: 'true' } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
  });
  after(() => t.close());
  const call = (method: 'post' | 'put' | 'get' | 'delete', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const templates = { in_app: { title: 'Invoice {{ data.n }}', body: 'Due' }, email: { subject: 'Invoice {{ data.n }}', text: 'Due' }, sms: { text: 'Invoice {{ data.n }} due' } };
  const workflow = async (body: Record<string, unknown>) => {
    const name = `steps.${++seq}`;
    await call('put', `/v1/workflows/${name}`).send({ trigger: `com.acme.${name}`, templates, ...body }).expect(201);
    return name;
  };
  const post = async (type: string, data: Record<string, unknown>, extensions: Record<string, unknown> = {}) => {
    const res = await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `e-${++seq}`, source: '/billing', type, data: { n: seq, ...data }, ...extensions })).expect(202);
    return res.body.accepted[0].eventId as string;
  };
  const notifications = async (eventId: string) => {
    const event = (await call('get', `/v1/events/${eventId}`).expect(200)).body;
    const byId: Record<string, { id: string; status: string; channels: string[]; decisions: Array<{ plugin: string; decision: string; reason: string; until?: string }>; scheduledFor: string | null }> = {};
    for (const n of event.notifications) {
      const detail = (await call('get', `/v1/notifications/${n.id}`).expect(200)).body;
      byId[n.subscriberId] = { ...detail, channels: detail.deliveries.map((d: { channel: string }) => d.channel) };
    }
    return byId;
  };
  const person = (id: string, extra: Record<string, unknown> = {}) => ({ id, email: `${id}@example.com`, phone: '+14155550100', ...extra });

  it('sends in-app now and the email an hour later only to those who have not read the in-app copy', async () => {
    const name = await workflow({
      channels: ['in_app', 'email'],
      steps: [{ channels: ['in_app'] }, { delay: '1h', name: 'grace' }, { channels: ['email'], condition: { '!': { var: 'notification.read' } } }],
    });
    const eventId = await post(`com.acme.${name}`, { recipients: [person('reader'), person('busy')] });
    await t.runJobsUntilIdle();
    let now = await notifications(eventId);
    expect(now.reader.channels).to.deep.equal(['in_app']);
    expect(now.reader.status).to.equal('delivered');
    expect(now.reader.decisions.at(-1)).to.deep.include({ plugin: 'delay', decision: 'defer', reason: 'steps[1] (grace): waits until 2040-01-02T10:00:00.000Z' });
    // The reader opens the in-app item.
    await t.db.knex('inbox_items').where({ notification_id: now.reader.id }).update({ read_at: clock.now() });

    clock.advance(3600_000);
    await t.runJobsDueBy(clock.now());
    now = await notifications(eventId);
    expect(now.reader.channels).to.deep.equal(['in_app']);
    expect(now.reader.decisions.at(-1)).to.deep.include({ plugin: 'condition', decision: 'suppress', reason: 'steps[2]: condition false: skipped' });
    expect(now.busy.channels).to.deep.equal(['in_app', 'email']);
    expect(now.busy.decisions.at(-1)).to.deep.include({ plugin: 'condition', decision: 'continue', reason: 'steps[2]: condition true: runs' });
    const mail = (await call('get', '/v1/outbox?to=busy%40example.com').expect(200)).body.items;
    expect(mail.map((m: { channel: string }) => m.channel)).to.deep.equal(['email']);
    expect((await t.db.knex('notifications').where({ id: now.busy.id }).first('workflow_steps')).workflow_steps).to.deep.equal({ status: 'done', next: 3 });
  });

  it('sends SMS only when data.amount > 1000, recording each outcome', async () => {
    const name = await workflow({ channels: ['in_app', 'sms'], conditions: { sms: { '>': [{ var: 'data.amount' }, 1000] } } });
    const small = await post(`com.acme.${name}`, { amount: 500, recipients: [person('small')] });
    const large = await post(`com.acme.${name}`, { amount: 1500, recipients: [person('large')] });
    await t.runJobsUntilIdle();
    const a = (await notifications(small)).small;
    const b = (await notifications(large)).large;
    expect(a.channels).to.deep.equal(['in_app']);
    expect(a.decisions.at(-1)).to.deep.include({ plugin: 'condition', decision: 'suppress', reason: 'conditions.sms: false: not sent' });
    expect(b.channels.sort()).to.deep.equal(['in_app', 'sms']);
    expect(b.decisions.at(-1)).to.deep.include({ plugin: 'condition', decision: 'continue', reason: 'conditions.sms: true: sent' });
  });

  it('suppresses a notification no step sends anything for', async () => {
    const name = await workflow({ channels: ['in_app'], steps: [{ channels: ['in_app'], condition: { '==': [{ var: 'subscriber.data.tier' }, 'vip'] } }] });
    const eventId = await post(`com.acme.${name}`, { recipients: [person('plain', { data: { tier: 3 } })] });
    await t.runJobsUntilIdle();
    const n = (await notifications(eventId)).plain;
    expect(n.status).to.equal('suppressed');
    expect(n.channels).to.deep.equal([]);
    expect(n.decisions.at(-2)!.reason).to.equal('steps[0]: condition false: skipped');
    expect(n.decisions.at(-1)).to.deep.include({ decision: 'suppress', reason: 'no step sent anything: suppressed' });
  });

  it('waits until a time of the event, minus an offset; a local time is read in the subscriber\'s zone', async () => {
    const name = await workflow({ channels: ['in_app'], steps: [{ delay: { until: '/data/dueAt', offset: '-3d' } }, { channels: ['in_app'] }] });
    const utc = await post(`com.acme.${name}`, { dueAt: '2040-01-12T09:00:00Z', recipients: ['due-utc'] });
    const local = await post(`com.acme.${name}`, { dueAt: '2040-01-12T09:00', recipients: [{ id: 'due-ny', timezone: 'America/New_York' }] });
    const missing = await post(`com.acme.${name}`, { recipients: ['due-none'] });
    await t.runJobsUntilIdle();
    const u = (await notifications(utc))['due-utc'];
    expect(u).to.include({ status: 'scheduled', scheduledFor: '2040-01-09T09:00:00.000Z' });
    expect((await notifications(local))['due-ny']).to.include({ status: 'scheduled', scheduledFor: '2040-01-09T14:00:00.000Z' });
    const m = (await notifications(missing))['due-none'];
    expect(m.status).to.equal('delivered');
    expect(m.decisions.at(-1)).to.deep.include({ plugin: 'delay', decision: 'continue', reason: 'steps[0]: no time at /data/dueAt: not delayed' });
    clock.advance(new Date('2040-01-09T14:00:00Z').getTime() - clock.now().getTime());
    await t.runJobsDueBy(clock.now());
    expect((await notifications(utc))['due-utc'].status).to.equal('delivered');
    expect((await notifications(local))['due-ny'].status).to.equal('delivered');
  });

  it('fans out an event with deliverafter at that time, and a delayed one can be cancelled', async () => {
    const name = await workflow({ channels: ['in_app'] });
    const later = new Date(clock.now().getTime() + 2 * 86_400_000).toISOString();
    const eventId = await post(`com.acme.${name}`, { recipients: ['patient'] }, { deliverafter: later });
    const cancelled = await post(`com.acme.${name}`, { recipients: ['patient'] }, { deliverafter: later, cancelkey: 'later-1' });
    await t.runJobsUntilIdle();
    expect((await call('get', `/v1/events/${eventId}`).expect(200)).body).to.include({ status: 'received' });
    expect(Object.keys(await notifications(eventId))).to.deep.equal([]);
    expect((await call('post', '/v1/cancellations').send({ key: 'later-1' }).expect(200)).body.cancelled).to.include({ events: 1 });
    clock.advance(2 * 86_400_000);
    await t.runJobsDueBy(clock.now());
    expect((await notifications(eventId)).patient.status).to.equal('delivered');
    expect((await call('get', `/v1/events/${cancelled}`).expect(200)).body).to.include({ status: 'cancelled' });
    expect(Object.keys(await notifications(cancelled))).to.deep.equal([]);
  });

  it('cancels a notification waiting in a delay step', async () => {
    const name = await workflow({ channels: ['in_app', 'email'], steps: [{ channels: ['in_app'] }, { delay: '2d' }, { channels: ['email'] }] });
    const eventId = await post(`com.acme.${name}`, { recipients: [person('reminded')] }, { cancelkey: 'remind-7' });
    await t.runJobsUntilIdle();
    const res = await call('post', '/v1/cancellations').send({ key: 'remind-7', reason: 'paid' }).expect(200);
    expect(res.body.cancelled).to.include({ delayed: 1, suppressed: 0 });
    expect(res.body.alreadySent.count).to.equal(1);
    clock.advance(2 * 86_400_000);
    await t.runJobsDueBy(clock.now());
    const n = (await notifications(eventId)).reminded;
    expect(n.channels).to.deep.equal(['in_app']);
    expect((await t.db.knex('notifications').where({ id: n.id }).first('workflow_steps')).workflow_steps).to.deep.include({ status: 'cancelled', reason: 'paid' });
  });

  it('holds each notification of a deliverlocal event until that local time in its subscriber\'s zone', async () => {
    const name = await workflow({ channels: ['in_app'] });
    // Ten days ahead at 10:00 local: 09:00Z in Paris, 15:00Z in New York, 01:00Z in Tokyo (for those without a zone).
    const day = new Date(clock.now().getTime() + 10 * 86_400_000).toISOString().slice(0, 10);
    const eventId = await post(`com.acme.${name}`, { recipients: [{ id: 'paris', timezone: 'Europe/Paris' }, { id: 'ny', timezone: 'America/New_York' }, 'nowhere'] }, { deliverlocal: `${day}T10:00`, deliverzone: 'Asia/Tokyo' });
    await t.runJobsUntilIdle();
    const n = await notifications(eventId);
    expect(n.paris).to.include({ status: 'scheduled', scheduledFor: `${day}T09:00:00.000Z` });
    expect(n.ny).to.include({ status: 'scheduled', scheduledFor: `${day}T15:00:00.000Z` });
    expect(n.nowhere).to.include({ status: 'scheduled', scheduledFor: `${day}T01:00:00.000Z` });
    expect(n.ny.decisions.at(-1)).to.deep.include({ plugin: 'deliverlocal', decision: 'defer', reason: `deliverlocal ${day}T10:00 in America/New_York` });
    clock.advance(new Date(`${day}T09:30:00Z`).getTime() - clock.now().getTime());
    await t.runJobsDueBy(clock.now());
    const after = await notifications(eventId);
    expect([after.paris.status, after.ny.status, after.nowhere.status]).to.deep.equal(['delivered', 'scheduled', 'delivered']);
    expect(clock.now().getTime()).to.be.greaterThan(TEST_EPOCH.getTime());
  });

  it('refuses bad timing extensions at ingest, storing nothing', async () => {
    const send = (extensions: Record<string, unknown>) => call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `bad-${++seq}`, source: '/billing', type: 'com.acme.x', data: {}, ...extensions })).expect(400);
    expect((await send({ deliverafter: 'tomorrow' })).body.errors).to.deep.equal([{ pointer: '/deliverafter', message: 'must be an RFC 3339 time with an offset, e.g. 2040-01-09T09:00:00Z' }]);
    expect((await send({ deliverafter: '2041-06-01T00:00:00Z' })).body.errors).to.deep.equal([{ pointer: '/deliverafter', message: 'must be at most 366 days ahead' }]);
    expect((await send({ deliverlocal: '2040-02-30T09:00' })).body.errors[0].pointer).to.equal('/deliverlocal');
    expect((await send({ deliverlocal: '2040-01-09T09:00', deliverzone: 'Mars/Olympus' })).body.errors).to.deep.equal([{ pointer: '/deliverzone', message: 'must be an IANA time zone such as Europe/Paris' }]);
    expect(await t.db.knex('events').where({ tenant_id: tenantId }).where('ce_id', 'like', 'bad-%').count({ n: '*' }).first()).to.deep.equal({ n: 0 });
  });

  it('checks steps and conditions when the workflow is saved', async () => {
    const save = (body: Record<string, unknown>) => call('put', `/v1/workflows/bad.${++seq}`).send({ trigger: 'com.acme.bad', channels: ['in_app', 'email'], templates, ...body }).expect(422);
    const pointers = async (body: Record<string, unknown>) => (await save(body)).body.errors.map((e: { pointer: string; message: string }) => `${e.pointer} ${e.message}`);
    expect(await pointers({ steps: [{ channels: ['sms'] }] })).to.deep.equal(["/steps/0/channels/0 is not one of the workflow's channels (in_app, email)"]);
    expect(await pointers({ steps: [{ delay: '1h' }] })).to.deep.equal(['/steps must have at least one step that sends ({"channels": [...]})']);
    expect(await pointers({ steps: [{ delay: '400d' }, { channels: ['email'] }] })).to.deep.equal(['/steps/0/delay must be at most 366d']);
    expect((await pointers({ conditions: { email: { log: 'hello' } } }))[0]).to.match(/^\/conditions\/email\/log is not a JSON Logic operation Clarion runs/);
    expect(await pointers({ conditions: { email: { '>': [{ var: 'process.env.SECRET' }, 1] } } })).to.deep.equal(['/conditions/email/>/0/var must start with data, event, subscriber, notification (e.g. data.amount, notification.read)']);
    expect(await pointers({ conditions: { email: { '==': [{ var: 'data.constructor' }, 1] } } })).to.deep.equal(['/conditions/email/==/0/var must not name __proto__, prototype, constructor']);
    expect(await pointers({ conditions: { sms: true } })).to.deep.equal(["/conditions/sms is not one of the workflow's channels (in_app, email)"]);
    expect(await pointers({ steps: [{ channels: ['email'], condition: { a: 1, b: 2 } }] })).to.deep.equal(['/steps/0/condition must be a JSON Logic operation: an object with exactly one key, the operator (e.g. {">": [{"var": "data.amount"}, 1000]})']);
    // Inside map/filter/all..., var paths are the item's own.
    await call('put', `/v1/workflows/ok.${++seq}`).send({ trigger: 'com.acme.ok', channels: ['email'], templates, conditions: { email: { some: [{ var: 'data.lines' }, { '>': [{ var: 'amount' }, 100] }] } } }).expect(201);
  });
});
