import { expect } from 'chai';
import request from 'supertest';
import { migrate, migrationFiles } from '../../core/db/database.ts';
import { taskList } from '../../core/jobs/index.ts';
import type { StatefulPlugin } from '../../core/pipeline/host.ts';
import { PipelineRunner } from '../../core/pipeline/runner.ts';
import { testApp, type TestApp } from '../support/clarion.ts';
import { freshDatabase, silentLog } from '../support/postgres.ts';

/**
 * The plugin host API (core/pipeline/host.ts): the engine reaches a plugin's state only through
 * its hooks, and a plugin reaches the engine only through the host; its tasks and migrations are
 * the engine's to run.
 */
describe('plugin host API (integration)', function () {
  this.timeout(120_000);
  let t: TestApp;
  let key: string;
  let tenantId: string;
  const erased: Array<{ tenantId: string; subscriberId: string; notifications: string[] }> = [];
  const cancelled: Array<{ tenantId: string; notificationIds: string[]; reason: string }> = [];
  const ran: unknown[] = [];
  const probe: StatefulPlugin = {
    name: 'probe',
    optionsSchema: { type: 'object' },
    async run() {
      return { decision: 'continue' };
    },
    tasks: {
      probe_task: {
        payload: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } }, additionalProperties: false },
        async run(host, payload: { n: number }) {
          ran.push(payload);
          return { n: payload.n, at: host.now().toISOString() };
        },
      },
    },
    async erase(db, input) {
      erased.push({ tenantId: input.tenantId, subscriberId: input.subscriberId, notifications: (await input.notificationIds).map((r: { id: string }) => r.id) });
      return { probeRows: 2 };
    },
    async cancel(_db, input) {
      cancelled.push({ tenantId: input.tenantId, notificationIds: input.notificationIds, reason: input.reason });
      return { batched: input.notificationIds.length };
    },
  };

  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true' } });
    t.services.pipeline.register(probe, 'test');
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
  });
  after(() => t.close());
  const call = (method: 'put' | 'post' | 'get' | 'delete', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const post = async (id: string, type: string, data: Record<string, unknown>, extensions: Record<string, unknown> = {}) =>
    (await call('post', '/v1/events').set('content-type', 'application/cloudevents+json').send(JSON.stringify({ specversion: '1.0', id, source: '/x', type, data, ...extensions })).expect(202)).body.accepted[0].eventId as string;

  it("calls every plugin's erase hook in the erasure, and audits its counts beside the engine's", async () => {
    await call('put', '/v1/workflows/probe.note').send({ trigger: 'com.acme.note', channels: ['in_app'], templates: { in_app: { title: 'Note', body: 'n' } } }).expect(201);
    await call('put', '/v1/subscribers/ada').send({ email: 'ada@acme.example' }).expect(201);
    await call('put', '/v1/subscribers/bob').send({}).expect(201);
    await post('n-1', 'com.acme.note', { recipients: ['ada', 'bob'] });
    await t.runJobsUntilIdle();
    const ada = await t.db.knex('subscribers').where({ tenant_id: tenantId, external_id: 'ada' }).first('id');
    const hers = await t.db.knex('notifications').where({ subscriber_id: ada.id }).pluck('id');
    expect(hers).to.have.length(1);

    await call('delete', '/v1/subscribers/ada').expect(204);
    expect(erased).to.deep.equal([{ tenantId, subscriberId: ada.id, notifications: hers }]);
    const entry = await t.db.knex('audit_logs').where({ tenant_id: tenantId, action: 'subscriber.erased' }).first('summary');
    // The plugin's count, and the digest plugin's (through its own hook), with the engine's.
    expect(entry.summary.deleted).to.include({ probeRows: 2, digests: 0, inboxItems: 1 });
  });

  it("calls every plugin's cancel hook with the locked pending notifications, and counts what it released", async () => {
    await call('put', '/v1/subscribers/cy').send({ timezone: 'UTC' }).expect(201);
    await call('put', '/v1/workflows/probe.later').send({ trigger: 'com.acme.later', channels: ['in_app'], templates: { in_app: { title: 'Later', body: 'l' } } }).expect(201);
    await call('put', '/v1/subscribers/cy/preferences').send({ settings: { quietHours: { start: '00:00', end: '23:59', timezone: 'UTC' } } }).expect(200);
    const later = await post('n-3', 'com.acme.later', { recipients: ['cy'] });
    await t.runJobsUntilIdle();
    const [deferred] = await t.db.knex('notifications').where({ event_id: later }).select('id', 'status');
    expect(deferred.status).to.equal('scheduled');
    const res = await call('delete', `/v1/events/${later}?reason=paid`).expect(200);
    expect(cancelled).to.deep.equal([{ tenantId, notificationIds: [deferred.id], reason: 'paid' }]);
    expect(res.body.cancelled).to.include({ notifications: 1, batched: 1 });
  });

  it("runs a plugin's task with the host, checks its payload, and queues only plugins' tasks", async () => {
    expect(t.services.pipeline.tasks().get('probe_task')).to.include({ plugin: 'probe' });
    expect(await t.services.notifications.runPluginTask('probe_task', { n: 7 })).to.include({ n: 7 });
    expect(ran).to.deep.equal([{ n: 7 }]);
    let error: Error | undefined;
    await t.services.notifications.runPluginTask('probe_task', { n: 'seven' }).catch((err: Error) => (error = err));
    expect(error?.message).to.match(/^probe_task: invalid payload/);
    expect(ran).to.have.length(1);

    // The host queues a plugin's own task in the caller's transaction, never one of the engine's.
    const host = t.services.notifications.host;
    await host.enqueue(t.db.knex, 'probe_task', { n: 8 }, { runAt: new Date(0), jobKey: 'probe:8' });
    const jobs = await t.db.knex.raw(`select task_identifier from graphile_worker.jobs where key = 'probe:8'`);
    expect(jobs.rows).to.have.length(1);
    expect(jobs.rows[0]).to.deep.equal({ task_identifier: 'probe_task' });
    let refused: Error | undefined;
    await host.enqueue(t.db.knex, 'send_delivery', { deliveryId: 'x' }, { runAt: new Date(0) }).catch((err: Error) => (refused = err));
    expect(refused?.message).to.equal('enqueue: send_delivery is not a task of a plugin');
    await t.db.knex.raw(`select graphile_worker.remove_job('probe:8')`);
  });

  it("gives the worker the plugins' tasks, and refuses a task name taken by the engine or another plugin", async () => {
    const tasks = taskList(t.services);
    for (const name of ['send_digest', 'send_daily_summaries', 'probe_task']) expect(tasks).to.have.property(name).that.is.a('function');

    const runner = new PipelineRunner();
    runner.register(probe, 'first');
    expect(() => runner.register({ ...probe, name: 'copy' }, 'second')).to.throw(/task probe_task is already owned by plugin probe/);
    const engineName = new PipelineRunner();
    engineName.register({ ...probe, tasks: { send_delivery: probe.tasks!.probe_task } }, 'rogue');
    expect(() => taskList({ ...t.services, pipeline: engineName })).to.throw(/declares the engine's task send_delivery/);
    expect(() => new PipelineRunner().register({ ...probe, tasks: { 'Bad-Name': probe.tasks!.probe_task } }, 'bad')).to.throw(/must be snake_case/);
  });
});

describe("plugins' migrations (integration)", function () {
  this.timeout(120_000);

  it('runs the plugins\' migrations with the engine\'s, ordered by file name', async () => {
    const files = await migrationFiles();
    const names = files.map((f) => f.name);
    expect(names).to.deep.equal([...names].sort());
    const digests = files.find((f) => f.name === '20261121060500_add_digests.ts');
    expect(digests?.dir).to.match(/plugins\/digest\/migrations$/);
    // Before the engine's migration that used to make the digests table, after those it needs.
    expect(names.indexOf('20261121060500_add_digests.ts')).to.equal(names.indexOf('20261121060600_add_pipeline_plugins.ts') - 1);
  });

  it('upgrades a database migrated before the digest plugin owned its table, keeping its digests', async () => {
    const db = await freshDatabase();
    try {
      const { knex } = db;
      // As such a database is: the table made by 20261121060600, no record of 20261121060500.
      await knex('knex_migrations').where({ name: '20261121060500_add_digests.ts' }).delete();
      const [tenant] = await knex('tenants').insert({ name: 'Old' }).returning('id');
      const [subscriber] = await knex('subscribers').insert({ tenant_id: tenant.id, external_id: 'ada' }).returning('id');
      await knex('digests').insert({ tenant_id: tenant.id, subscriber_id: subscriber.id, key: 'k', template: 'digest.daily', channels: JSON.stringify(['email']), send_at: new Date() });

      const applied = await migrate(knex, db.url, silentLog);
      expect(applied).to.deep.equal(['20261121060500_add_digests.ts']);
      expect(await knex('digests').count({ n: '*' }).first()).to.deep.equal({ n: 1 });
      expect(await knex.schema.hasColumn('notifications', 'digest_id')).to.equal(true);
    } finally {
      await db.drop();
    }
  });

  it('refuses to run when a migration a database applied is missing from every folder (knex checks the names)', async () => {
    const db = await freshDatabase();
    try {
      await db.knex('knex_migrations').insert({ name: '20261121060550_gone.ts', batch: 1, migration_time: new Date() });
      let error: Error | undefined;
      await migrate(db.knex, db.url, silentLog).catch((err: Error) => (error = err));
      expect(error?.message).to.match(/corrupt.*20261121060550_gone\.ts/s);
    } finally {
      await db.drop();
    }
  });
});
