import { defineAdapter } from '@clarion/adapter-kit';
import { expect } from 'chai';
import request from 'supertest';
import { queuedJobs, testApp, type TestApp } from '../support/clarion.ts';
import { ManualClock } from '../support/clock.ts';

/**
 * The first sends of deliveries created together go as one `send_deliveries` batch job
 * (core/jobs/send-deliveries.ts): an entry that fails is retried alone, an entry already sent is
 * never sent again when the batch runs again, and critical sends come before the rest.
 */
describe('send_deliveries batch jobs (integration)', () => {
  const clock = new ManualClock();
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let seq = 0;
  const call = (method: 'post' | 'put' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

  /** Posts an event to these inline subscribers (or `team:<id>`) and fans it out (its process_event job, due at the manual clock's time, is not run). */
  async function post(type: string, recipients: string[]): Promise<void> {
    const posted = await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `sb-${++seq}`, source: '/shop', type, data: { recipients: recipients.map((id) => (id.startsWith('team:') ? id : { id, email: `${id}@example.com` })) } }))
      .expect(202);
    await t.services.notifications.processEvent(posted.body.accepted[0].eventId, tenantId);
  }

  /** Deliveries of these recipients by external id: status, success attempts, and the transaction of the first attempt (in order of writing). */
  async function deliveriesOf(ids: string[]): Promise<Map<string, { id: string; status: string; successes: number; first: number | null }>> {
    const rows = await t.db.knex('deliveries as d').join('notifications as n', 'n.id', 'd.notification_id').join('subscribers as s', 's.id', 'n.subscriber_id')
      .where('d.tenant_id', tenantId).whereIn('s.external_id', ids)
      .select('s.external_id', 'd.id', 'd.status',
        t.db.knex.raw(`(select count(*)::int from delivery_attempts a where a.delivery_id = d.id and a.outcome = 'success') as successes`),
        t.db.knex.raw(`(select min(a.xmin::text::bigint) from delivery_attempts a where a.delivery_id = d.id) as first`));
    return new Map(rows.map((r: { external_id: string; id: string; status: string; successes: number; first: string | null }) => [r.external_id, { id: r.id, status: r.status, successes: r.successes, first: r.first === null ? null : Number(r.first) }]));
  }

  /** Messages the sandbox provider took for this address. */
  async function sentTo(id: string): Promise<number> {
    const items = (await call('get', '/v1/outbox?channel=email&limit=200').expect(200)).body.items as unknown[];
    return items.filter((item) => JSON.stringify(item).includes(`${id}@example.com`)).length;
  }

  before(async () => {
    t = await testApp({ clock, env: { CLARION_DEFAULT_SANDBOX: 'true' } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    for (const [name, priority] of [['news', 'low'], ['alarm', 'critical'], ['order', 'normal']]) {
      await call('put', `/v1/workflows/${name}`)
        .send({ trigger: `com.acme.${name}`, priority, channels: ['email'], templates: { email: { subject: `${name}`, text: 'Hello' } } })
        .expect(201);
    }
  });
  after(() => t.close());

  it('queues one job for the deliveries of one fan-out, retries a failed entry alone, and sends the others once', async () => {
    await post('com.acme.order', ['ann', 'ben', 'cat']);
    const [job, ...more] = await queuedJobs(t.db.knex, 'send_deliveries');
    expect(more).to.have.length(0);
    expect(await queuedJobs(t.db.knex, 'send_delivery')).to.have.length(0);
    const before = await deliveriesOf(['ann', 'ben', 'cat']);
    expect((job.payload as unknown as Array<{ deliveryId: string }>).map((e) => e.deliveryId).sort()).to.deep.equal([...before.values()].map((d) => d.id).sort());

    // Recording ben's success fails (the provider took it): an error of the database's, not the provider's.
    const ben = before.get('ben')!.id;
    await t.db.knex.raw(`create function sb_refuse() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$`);
    await t.db.knex.raw(`create trigger sb_refuse before update on deliveries for each row when (new.id = '${ben}'::uuid and new.status <> 'pending') execute function sb_refuse()`);
    try {
      await t.runJobsUntilIdle();
      const after = await deliveriesOf(['ann', 'ben', 'cat']);
      expect(after.get('ann')).to.include({ status: 'delivered', successes: 1 });
      expect(after.get('cat')).to.include({ status: 'delivered', successes: 1 });
      expect(after.get('ben')).to.include({ status: 'pending', successes: 0 });
      // The job kept only ben's entry, and waits for graphile-worker's backoff.
      const [retry, ...others] = await queuedJobs(t.db.knex, 'send_deliveries');
      expect(others).to.have.length(0);
      expect(retry.id).to.equal(job.id);
      expect((retry.payload as unknown as Array<{ deliveryId: string }>).map((e) => e.deliveryId)).to.deep.equal([ben]);
      const [state] = (await t.db.knex.raw(`select attempts, last_error from graphile_worker.jobs where id = ?`, [retry.id])).rows;
      expect(state.attempts).to.equal(1);
      expect(state.last_error).to.include('refused by the test');
    } finally {
      await t.db.knex.raw('drop trigger sb_refuse on deliveries');
      await t.db.knex.raw('drop function sb_refuse()');
    }

    await t.db.knex.raw(`select graphile_worker.reschedule_jobs(array[?::bigint], run_at => now())`, [job.id]);
    await t.runJobsUntilIdle();
    const done = await deliveriesOf(['ann', 'ben', 'cat']);
    for (const id of ['ann', 'ben', 'cat']) expect(done.get(id)).to.include({ status: 'delivered', successes: 1 });
    expect(await queuedJobs(t.db.knex, 'send_deliveries')).to.have.length(0);
    expect(await sentTo('ann')).to.equal(1);
    expect(await sentTo('cat')).to.equal(1);
    // ben's first send reached the provider but its record was lost: sent again, as any job run again would.
    expect(await sentTo('ben')).to.equal(2);
  });

  it('sends nothing again when a batch runs again after its entries were sent (a worker killed before completing it)', async () => {
    await post('com.acme.order', ['dan', 'eve']);
    const [job] = await queuedJobs(t.db.knex, 'send_deliveries');
    await t.runJobsUntilIdle();
    expect(await sentTo('dan')).to.equal(1);
    expect(await sentTo('eve')).to.equal(1);
    // The same batch again, as the sweep of a dead worker's job would run it.
    await t.db.knex.raw(`select graphile_worker.add_job('send_deliveries', ?::json)`, [JSON.stringify(job.payload)]);
    await t.runJobsUntilIdle();
    const after = await deliveriesOf(['dan', 'eve']);
    for (const id of ['dan', 'eve']) expect(after.get(id)).to.include({ status: 'delivered', successes: 1 });
    expect(await sentTo('dan')).to.equal(1);
    expect(await sentTo('eve')).to.equal(1);
    expect(await queuedJobs(t.db.knex, 'send_deliveries')).to.have.length(0);
  });

  it('leaves to its own send_delivery job a delivery whose first attempt has passed (a retry is not brought forward)', async () => {
    await post('com.acme.order', ['fay']);
    const [job] = await queuedJobs(t.db.knex, 'send_deliveries');
    const [fay] = (job.payload as unknown as Array<{ deliveryId: string }>).map((e) => e.deliveryId);
    // Its first attempt failed and scheduled a retry (as attempts.ts does), then the batch runs again.
    await t.db.knex('deliveries').where({ id: fay }).update({ status: 'retrying', attempt_count: 1, next_attempt_at: new Date(clock.now().getTime() + 60_000) });
    await t.runJobsUntilIdle();
    expect((await deliveriesOf(['fay'])).get('fay')).to.include({ status: 'retrying', successes: 0 });
    expect(await sentTo('fay')).to.equal(0);
  });

  it("takes a turn for a provider's call only: a local adapter's send does not wait for one", async () => {
    // A network adapter of the test's own, saying whether its call ran inside a turn.
    let inTurn = false;
    const calls: boolean[] = [];
    t.services.adapters.register(
      defineAdapter({ name: 'gauge', channel: 'email', configSchema: { type: 'object', properties: {} }, create: () => ({ send: async () => (calls.push(inTurn), { providerMessageId: `g-${calls.length}`, status: 'sent' }) }) }),
      'test',
    );
    const turns: string[] = [];
    const limit = async <T>(call: () => Promise<T>): Promise<T> => {
      turns.push('turn');
      inTurn = true;
      try {
        return await call();
      } finally {
        inTurn = false;
      }
    };
    // Acme sends email through the sandbox (local); Beta through its gauge provider.
    const beta = await t.tenant('Beta', { acceptUnvalidatedTypes: true });
    const betaCall = (method: 'post' | 'put', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${beta.apiKey}`);
    await betaCall('post', '/v1/providers').send({ channel: 'email', adapter: 'gauge', config: {} }).expect(201);
    await betaCall('put', '/v1/workflows/order').send({ trigger: 'com.acme.order', channels: ['email'], templates: { email: { subject: 'order', text: 'Hello' } } }).expect(201);
    const posted = await betaCall('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `sb-${++seq}`, source: '/shop', type: 'com.acme.order', data: { recipients: [{ id: 'gil', email: 'gil@example.com' }] } }))
      .expect(202);
    await t.services.notifications.processEvent(posted.body.accepted[0].eventId, beta.tenantId);
    await post('com.acme.order', ['hal']);
    const [gil] = await t.db.knex('deliveries').where({ tenant_id: beta.tenantId }).select('id');
    const hal = (await deliveriesOf(['hal'])).get('hal')!;
    await t.services.delivery.sendDelivery(hal.id, tenantId, { onlyPending: true, limit });
    expect(turns).to.deep.equal([]);
    expect(await sentTo('hal')).to.equal(1);
    await t.services.delivery.sendDelivery(gil.id, beta.tenantId, { onlyPending: true, limit });
    expect(turns).to.deep.equal(['turn']);
    expect(calls).to.deep.equal([true]);
    expect(await t.db.knex('deliveries').where({ id: gil.id }).first('status', 'provider_message_id')).to.deep.equal({ status: 'sent', provider_message_id: 'g-1' });
    // Their batch jobs find them sent, and send nothing again.
    await t.runJobsUntilIdle();
    expect(calls).to.have.length(1);
    expect(await sentTo('hal')).to.equal(1);
  });

  it('queues the first sends of a fan-out through the transaction path (a team) as one batch job too', async () => {
    for (const id of ['jon', 'kay', 'lea']) await call('put', `/v1/subscribers/${id}`).send({ email: `${id}@example.com`, teams: ['night'] }).expect(201);
    await post('com.acme.order', ['team:night']);
    const jobs = await queuedJobs(t.db.knex, 'send_deliveries');
    expect(jobs).to.have.length(1);
    expect(await queuedJobs(t.db.knex, 'send_delivery')).to.have.length(0);
    const team = await deliveriesOf(['jon', 'kay', 'lea']);
    expect((jobs[0].payload as unknown as Array<{ deliveryId: string }>).map((e) => e.deliveryId).sort()).to.deep.equal([...team.values()].map((d) => d.id).sort());
    await t.runJobsUntilIdle();
    for (const id of ['jon', 'kay', 'lea']) {
      expect((await deliveriesOf([id])).get(id)).to.include({ status: 'delivered', successes: 1 });
      expect(await sentTo(id)).to.equal(1);
    }
  });

  it('runs critical sends before normal and low ones queued earlier', async () => {
    await post('com.acme.news', ['gus']);
    await post('com.acme.order', ['hal']);
    await post('com.acme.alarm', ['ivy']);
    const jobs = (await t.db.knex.raw(`select id, priority from graphile_worker.jobs where task_identifier = 'send_deliveries' order by id`)).rows as Array<{ priority: number }>;
    expect(jobs.map((j) => j.priority)).to.deep.equal([0, 0, -2]);
    await t.runJobsUntilIdle();
    const sent = await deliveriesOf(['gus', 'hal', 'ivy']);
    for (const id of ['gus', 'hal', 'ivy']) expect(sent.get(id)).to.include({ status: 'delivered', successes: 1 });
    // One job at a time (runOnce): the critical one first, though queued last.
    expect(sent.get('ivy')!.first!).to.be.below(sent.get('gus')!.first!);
    expect(sent.get('ivy')!.first!).to.be.below(sent.get('hal')!.first!);
    expect(sent.get('gus')!.first!).to.be.below(sent.get('hal')!.first!);
  });

  it('keeps the priority of a critical delivery in the send_delivery job that comes after its first send (a slot wait)', async () => {
    await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'sandbox', maxPerSecond: 1, config: {} }).expect(201);
    await call('put', '/v1/workflows/page').send({ trigger: 'com.acme.page', priority: 'critical', channels: ['sms'], templates: { sms: { text: 'Paged' } } }).expect(201);
    const posted = await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `sb-${++seq}`, source: '/ops', type: 'com.acme.page', data: { recipients: ['mo', 'ned', 'oz'].map((id, i) => ({ id, phone: `+1555000000${i}` })) } }))
      .expect(202);
    await t.services.notifications.processEvent(posted.body.accepted[0].eventId, tenantId);
    await t.runJobsUntilIdle();
    // The clock stands still: one send in this second, the two others wait for their slots.
    const waiting = (await t.db.knex.raw(`select priority from graphile_worker.jobs where task_identifier = 'send_delivery' order by id`)).rows as Array<{ priority: number }>;
    expect(waiting.map((j) => j.priority)).to.deep.equal([-2, -2]);
  });
});
