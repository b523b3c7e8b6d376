import { expect } from 'chai';
import request from 'supertest';
import { createKnex } from '../../core/db/database.ts';
import { createServices } from '../../core/services.ts';
import { testApp, testConfig, type TestApp } from '../support/clarion.ts';
import { silentLog } from '../support/postgres.ts';

/**
 * Fan-out: who gets a notification. Without plugins and with up to 50 subscriber ids or inline
 * subscribers, an event is fanned out in one statement; teams, projects, plugins and longer lists
 * go through the transaction path. Both must follow the same rules.
 */
describe('fan-out (integration)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let seq = 0;
  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true' } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
  });
  after(() => t.close());
  const call = (method: 'post' | 'put' | 'get' | 'delete', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

  const workflow = async (body: Record<string, unknown>) => {
    const name = `fan.${++seq}`;
    await call('put', `/v1/workflows/${name}`).send({ trigger: `com.acme.${name}`, channels: ['in_app'], templates: { in_app: { title: 'Hi', body: 'Hello' } }, ...body }).expect(201);
    return name;
  };
  /** Posts an event of the type, returns its id (not yet processed). */
  const post = async (type: string, data: unknown) => {
    const res = await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `e-${++seq}`, source: '/test', type, data })).expect(202);
    return res.body.accepted[0].eventId as string;
  };
  const outcome = async (eventId: string) => {
    const event = (await call('get', `/v1/events/${eventId}`).expect(200)).body;
    return {
      status: event.status,
      error: event.error as string | null,
      recipients: event.notifications.map((n: { subscriberId: string; workflow: string }) => `${n.workflow}:${n.subscriberId}`).sort(),
    };
  };

  it('sends to ids and inline subscribers, creating unknown ids bare (an erased one gets nothing)', async () => {
    await call('put', '/v1/subscribers/known').send({ name: 'Known', email: 'known@example.com' }).expect(201);
    await call('put', '/v1/subscribers/gone').send({ name: 'Gone', email: 'gone@example.com' }).expect(201);
    await call('delete', '/v1/subscribers/gone').expect(204);
    const name = await workflow({});
    const eventId = await post(`com.acme.${name}`, { recipients: ['known', 'gone', 'newcomer', { id: 'inline', email: 'inline@example.com', locale: 'fr', teams: ['night', 'support'], data: { tier: 'gold' } }, 'known'] });
    await t.runJobs();
    const result = await outcome(eventId);
    expect(result).to.deep.equal({
      status: 'processed',
      error: 'subscriber gone was erased: nothing is sent to them (PUT /v1/subscribers/gone with "reactivate": true creates them again)',
      recipients: [`${name}:inline`, `${name}:known`, `${name}:newcomer`],
    });
    // The erasure is remembered: "gone" was not created again.
    const gone = await t.db.knex('subscribers').where({ tenant_id: tenantId }).where((q) => q.where({ external_id: 'gone' }).orWhereNotNull('erased_at')).select('external_id', 'name', 'erased_at');
    expect(gone.find((r) => r.external_id === 'gone')).to.equal(undefined);
    expect(gone.filter((r) => r.erased_at !== null).every((r) => r.external_id.startsWith('erased~') && r.name === null)).to.equal(true);
    const inline = (await call('get', '/v1/subscribers/inline').expect(200)).body;
    expect(inline).to.include({ email: 'inline@example.com', locale: 'fr' });
    expect(inline.teams).to.deep.equal(['night', 'support']);
    expect(inline.data).to.deep.equal({ tier: 'gold' });
    const newcomer = (await call('get', '/v1/subscribers/newcomer').expect(200)).body;
    expect(newcomer).to.include({ email: null, name: null });
    // Every notification got its in-app delivery, sent.
    const notifications = await t.db.knex('notifications as n').join('deliveries as d', 'd.notification_id', 'n.id').where('n.event_id', eventId).select('d.status');
    expect(notifications.map((n) => n.status)).to.deep.equal(['delivered', 'delivered', 'delivered']);
  });

  it('records the problems of a recipient list and still sends to the valid entries', async () => {
    const name = await workflow({});
    const eventId = await post(`com.acme.${name}`, { recipients: ['ok-1', 'not valid!', { email: 'no-id@example.com' }, { id: 'tz', timezone: 'Mars/Olympus' }, 42] });
    await t.runJobs();
    const result = await outcome(eventId);
    expect(result.recipients).to.deep.equal([`${name}:ok-1`]);
    const lines = result.error!.split('\n');
    expect(lines).to.have.length(4);
    expect(lines[0]).to.equal(`${name}: recipients[1]: "not valid!" is not a valid subscriber id`);
    expect(lines[1]).to.match(new RegExp(`^${name}: recipients\\[2\\]: `));
    expect(lines[2]).to.match(new RegExp(`^${name}: recipients\\[3\\]: .*Mars/Olympus`));
    expect(lines[3]).to.equal(`${name}: recipients[4]: must be a subscriber id, "team:<id>", "project:<id>", "topic:<key>" or a subscriber object`);
  });

  it('records an event whose pointer finds no recipients', async () => {
    const name = await workflow({ recipients: '/data/people' });
    const eventId = await post(`com.acme.${name}`, { recipients: ['someone'] });
    await t.runJobs();
    expect(await outcome(eventId)).to.deep.equal({ status: 'processed', error: `${name}: no recipients at /data/people`, recipients: [] });
  });

  it('sends each workflow the event triggers, merging what they say of a subscriber', async () => {
    const type = `com.acme.shared.${++seq}`;
    const a = `fan.${++seq}`;
    const b = `fan.${++seq}`;
    await call('put', `/v1/workflows/${a}`).send({ trigger: type, channels: ['in_app'], recipients: '/data/a', templates: { in_app: { title: 'A', body: 'A' } } }).expect(201);
    await call('put', `/v1/workflows/${b}`).send({ trigger: type, channels: ['in_app'], recipients: '/data/b', templates: { in_app: { title: 'B', body: 'B' } } }).expect(201);
    const eventId = await post(type, { a: [{ id: 'merged', name: 'Merged' }], b: [{ id: 'merged', phone: '+33612345678' }] });
    await t.runJobs();
    expect((await outcome(eventId)).recipients).to.deep.equal([`${a}:merged`, `${b}:merged`]);
    expect((await call('get', '/v1/subscribers/merged').expect(200)).body).to.include({ name: 'Merged', phone: '+33612345678' });
  });

  it('fans an event out once however often its job runs, and only for its tenant', async () => {
    const name = await workflow({});
    const eventId = await post(`com.acme.${name}`, { recipients: [{ id: 'once', email: 'once@example.com' }] });
    // A job naming another tenant (one with a workflow for the type) does nothing.
    const other = await t.tenant('Other', { acceptUnvalidatedTypes: true });
    await request(t.callback).put(`/v1/workflows/${name}`).set('authorization', `Bearer ${other.apiKey}`)
      .send({ trigger: `com.acme.${name}`, channels: ['in_app'], templates: { in_app: { title: 'Hi', body: 'Hello' } } }).expect(201);
    expect(await t.services.notifications.processEvent(eventId, other.tenantId, `com.acme.${name}`)).to.deep.equal({ notifications: 0 });
    expect((await t.db.knex('events').where({ id: eventId }).first('status')).status).to.equal('received');
    const first = await t.services.notifications.processEvent(eventId, tenantId, `com.acme.${name}`);
    const again = await t.services.notifications.processEvent(eventId, tenantId, `com.acme.${name}`);
    expect([first.notifications, again.notifications]).to.deep.equal([1, 0]);
    expect(await t.db.knex('notifications').where({ event_id: eventId }).count('* as n').first()).to.deep.equal({ n: 1 });
    await t.runJobs();
    expect((await outcome(eventId)).recipients).to.deep.equal([`${name}:once`]);
  });

  it('follows the same rules for teams and for long lists (the transaction path)', async () => {
    await call('put', '/v1/subscribers/ops-1').send({ name: 'Ops 1', teams: ['ops'] }).expect(201);
    await call('put', '/v1/subscribers/ops-2').send({ name: 'Ops 2', teams: ['ops'] }).expect(201);
    await call('put', '/v1/subscribers/gone-2').send({ name: 'Gone 2' }).expect(201);
    await call('delete', '/v1/subscribers/gone-2').expect(204);
    const name = await workflow({});
    const team = await post(`com.acme.${name}`, { recipients: ['team:ops', 'ops-1', 'gone-2', 'newcomer-2', 'team:nobody', 'not valid!'] });
    const many = Array.from({ length: 60 }, (_, i) => ({ id: `many-${String(i).padStart(2, '0')}`, email: `many-${i}@example.com` }));
    const long = await post(`com.acme.${name}`, { recipients: [...many, ...many.slice(0, 5)] });
    await t.runJobs();
    const viaTeam = await outcome(team);
    expect(viaTeam.recipients).to.deep.equal([`${name}:newcomer-2`, `${name}:ops-1`, `${name}:ops-2`]);
    expect(viaTeam.error!.split('\n').sort()).to.deep.equal([
      `${name}: recipients[2]: subscriber gone-2 was erased: nothing is sent to them (PUT /v1/subscribers/gone-2 with "reactivate": true creates them again)`,
      `${name}: recipients[4]: team:nobody has no members`,
      `${name}: recipients[5]: "not valid!" is not a valid subscriber id`,
    ]);
    const viaList = await outcome(long);
    expect(viaList.recipients).to.have.length(60);
    expect(viaList.error).to.equal(null);
  });

  it("writes a team's notifications many per statement when no plugin decides, one by one through the chain when one does", async () => {
    // A tenant of its own: whether any of its subscribers has preferences decides the path.
    const own = await t.tenant('Teams', { acceptUnvalidatedTypes: true });
    const ownCall = (method: 'post' | 'put' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${own.apiKey}`);
    for (const id of ['sre-1', 'sre-2', 'sre-3', 'sre-4']) await ownCall('put', `/v1/subscribers/${id}`).send({ teams: ['sre'] }).expect(201);
    await ownCall('put', '/v1/workflows/pager').send({ trigger: 'com.acme.pager', channels: ['in_app'], templates: { in_app: { title: 'Page', body: 'Up' } } }).expect(201);
    const inserts: string[] = [];
    const count = (q: { sql: string }) => {
      if (/insert into "?notifications"?/i.test(q.sql)) inserts.push(q.sql);
    };
    const fanOut = async (actor: string) => {
      const posted = await ownCall('post', '/v1/events').set('content-type', 'application/cloudevents+json')
        .send(JSON.stringify({ specversion: '1.0', id: `team-${++seq}`, source: '/test', type: 'com.acme.pager', data: { recipients: ['team:sre'], exclude: actor } }))
        .expect(202);
      const eventId = posted.body.accepted[0].eventId as string;
      inserts.length = 0;
      t.db.knex.on('query', count);
      try {
        expect((await t.services.notifications.processEvent(eventId, own.tenantId, 'com.acme.pager')).notifications).to.equal(3);
      } finally {
        t.db.knex.off('query', count);
      }
      const rows = await t.db.knex('notifications as n').join('subscribers as s', 's.id', 'n.subscriber_id').where('n.event_id', eventId).orderBy('s.external_id').select('s.external_id', 'n.status');
      const deliveries = await t.db.knex('deliveries as d').join('notifications as n', 'n.id', 'd.notification_id').where('n.event_id', eventId).count('* as n').first();
      return { rows: rows.map((r) => `${r.external_id}:${r.status}`), statements: inserts.length, deliveries: Number(deliveries!.n) };
    };

    // Nobody has preferences: one statement for the three, with their deliveries (the actor left out).
    expect(await fanOut('sre-2')).to.deep.equal({ rows: ['sre-1:pending', 'sre-3:pending', 'sre-4:pending'], statements: 1, deliveries: 3 });
    // One member opts out of in-app: the chain decides for each member, one by one.
    await ownCall('put', '/v1/subscribers/sre-3/preferences').send({ settings: { channels: { in_app: false } } }).expect(200);
    expect(await fanOut('sre-1')).to.deep.equal({ rows: ['sre-2:pending', 'sre-3:suppressed', 'sre-4:pending'], statements: 3, deliveries: 2 });
  });

  it('prepares at most 64 shapes of the one-statement fan-out per process, and runs the others unprepared', async () => {
    // One connection, so that its prepared statements can be counted.
    const knex = createKnex(t.db.url, 1);
    const services = createServices(testConfig(t.db, { CLARION_DEFAULT_SANDBOX: 'true' }), knex, silentLog);
    try {
      await services.ready();
      const name = await workflow({});
      // 35 list lengths x 2 sets of inline fields: 70 shapes.
      for (let n = 1; n <= 35; n++) {
        for (const withName of [false, true]) {
          const recipients = Array.from({ length: n }, (_, i) => ({ id: `shape-${n}-${i}`, email: `s${i}@example.com`, ...(withName ? { name: 'S' } : {}) }));
          const eventId = await post(`com.acme.${name}`, { recipients });
          expect((await services.notifications.processEvent(eventId, tenantId, `com.acme.${name}`)).notifications).to.equal(n);
        }
      }
      const { rows } = await knex.raw(`select count(*)::int as n from pg_prepared_statements where name like 'clarion_fan_out_%'`);
      expect(rows[0].n).to.equal(64);
    } finally {
      // Its 1,260 sends are not what the test is about: later tests' runJobs must not send them.
      await knex.raw('select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs))');
      await services.delivery.close();
      await services.templates.close();
      await knex.destroy();
    }
  });
  it('processes an event no workflow takes without calling it an error, and says why nothing came of it', async () => {
    const eventId = await post('com.acme.nobody.listens', { recipients: ['known'] });
    await t.runJobs();
    const event = (await call('get', `/v1/events/${eventId}`).expect(200)).body;
    expect(event).to.include({ status: 'processed', error: null, notice: 'no workflow is triggered by com.acme.nobody.listens: nothing to send' });
    expect(event.notifications).to.deep.equal([]);
  });
});
