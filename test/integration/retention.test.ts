import { expect } from 'chai';
import request from 'supertest';
import { loadConfig } from '../../core/config.ts';
import { TEST_SECRET, testApp, type TestApp } from '../support/clarion.ts';
import { ManualClock } from '../support/clock.ts';

/**
 * Retention (`enforce_retention`): each tenant's rows older than its own window go, children with
 * their parents, in batches of CLARION_RETENTION_BATCH; another tenant's rows with a longer window
 * stay; analytics rollups outlive the rows; pending work (a retrying delivery, a scheduled
 * notification, an event not yet fanned out, a retrying webhook message) stays however old; a row
 * another transaction holds is skipped, never waited for. And `settings.retentionDays` refused
 * outside the operator's limits.
 */
describe('retention (integration)', () => {
  const DAY = 86_400_000;
  let t: TestApp;
  let clock: ManualClock;
  let seq = 0;
  const tenants: Record<'a' | 'b', { tenantId: string; apiKey: string }> = {} as never;

  const call = (method: 'get' | 'put' | 'post' | 'patch', url: string, apiKey: string) => request(t.callback)[method](url).set('authorization', `Bearer ${apiKey}`);
  const ago = (days: number) => new Date(clock.now().getTime() - days * DAY);
  /** Posts an event to `recipients` and returns its id once its jobs have run. */
  const post = async (apiKey: string, recipients: string[], envelope: Record<string, unknown> = {}): Promise<string> => {
    const res = await call('post', '/v1/events', apiKey).set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `e-${++seq}`, source: '/shop', type: 'com.acme.order', data: { recipients: recipients.map((id) => ({ id, email: `${id}@example.com` })) }, ...envelope }))
      .expect(202);
    await t.runJobsUntilIdle();
    return res.body.accepted[0].eventId;
  };
  /** Moves an event and everything it produced `days` into the past. */
  const age = async (eventId: string, days: number) => {
    const at = ago(days);
    const k = t.db.knex;
    await k('events').where({ id: eventId }).update({ received_at: at });
    const notifications = k('notifications').where({ event_id: eventId }).select('id');
    await k('notifications').where({ event_id: eventId }).update({ created_at: at });
    const deliveries = k('deliveries').whereIn('notification_id', notifications).select('id');
    await k('deliveries').whereIn('notification_id', notifications).update({ created_at: at });
    await k('delivery_attempts').whereIn('delivery_id', deliveries).update({ started_at: at });
    await k('inbox_items').whereIn('notification_id', notifications).update({ created_at: at });
    await k('attachments').where({ event_id: eventId }).update({ created_at: at });
  };
  const counts = async (eventId: string) => {
    const k = t.db.knex;
    const notifications = k('notifications').where({ event_id: eventId }).select('id');
    const deliveries = k('deliveries').whereIn('notification_id', notifications).select('id');
    const n = async (q: ReturnType<typeof k>) => Number(((await q.count({ c: '*' })) as unknown as { c: number }[])[0].c);
    return {
      events: await n(k('events').where({ id: eventId })),
      notifications: await n(k('notifications').where({ event_id: eventId })),
      deliveries: await n(k('deliveries').whereIn('notification_id', notifications)),
      attempts: await n(k('delivery_attempts').whereIn('delivery_id', deliveries)),
      interactions: await n(k('interactions').whereIn('notification_id', notifications)),
      inboxItems: await n(k('inbox_items').whereIn('notification_id', notifications)),
    };
  };
  const addInteraction = async (tenantId: string, eventId: string, days: number) => {
    const notification = await t.db.knex('notifications').where({ event_id: eventId }).first('id');
    await t.db.knex('interactions').insert({ tenant_id: tenantId, notification_id: notification.id, kind: 'open', channel: 'email', source: 'pixel', occurred_at: ago(days), created_at: ago(days) });
  };
  const rollupRow = (tenantId: string, bucket: Date) => ({ tenant_id: tenantId, bucket, workflow_key: 'orders', channel: 'email', provider: '', adapter: 'sandbox', variant: '', locale: '', reason: '', currency: '', deliveries: 7, sent: 7 });

  before(async () => {
    clock = new ManualClock(new Date());
    t = await testApp({ clock, env: { CLARION_RETENTION_BATCH: '2' } });
    for (const name of ['a', 'b'] as const) {
      tenants[name] = await t.tenant(`Tenant ${name}`, { acceptUnvalidatedTypes: true });
      const { apiKey } = tenants[name];
      await call('post', '/v1/providers', apiKey).send({ channel: 'email', adapter: 'sandbox', config: {} }).expect(201);
      await call('put', '/v1/workflows/orders', apiKey).send({
        trigger: 'com.acme.order', channels: ['email', 'in_app'], recipients: '/data/recipients',
        templates: { email: { subject: 'Order', text: 'Your order' }, in_app: { title: 'Order', body: 'Your order' } },
      }).expect(201);
      await call('post', '/v1/webhooks/endpoints', apiKey).send({ url: 'http://127.0.0.1:9/hooks' }).expect(201);
    }
    await call('patch', '/v1/tenant', tenants.a.apiKey).send({ settings: { retentionDays: 30 } }).expect(200);
    await call('patch', '/v1/tenant', tenants.b.apiKey).send({ settings: { retentionDays: 200 } }).expect(200);
  });
  after(async () => {
    await t.services.delivery.close();
    await t.close();
  });

  it('deletes what is older than each tenant’s window, children first, and keeps pending work, other tenants and rollups', async () => {
    const { a, b } = tenants;
    const k = t.db.knex;
    // Tenant a (30 days): five finished events 40 days old (batches of 2: three rounds), one 10 days old.
    const old = [];
    for (let i = 0; i < 5; i++) old.push(await post(a.apiKey, [`old-${i}`, `old-${i}b`]));
    const recent = await post(a.apiKey, ['recent']);
    for (const id of old) await age(id, 40);
    await age(recent, 10);
    await addInteraction(a.tenantId, old[0], 40);
    // An attachment stored with an old event and one with the recent one; digests sent and open, old.
    const attachment = (eventId: string, days: number) => ({ tenant_id: a.tenantId, event_id: eventId, position: 0, filename: 'a.txt', content_type: 'text/plain', size: 2, sha256: 'x', content: Buffer.from('hi'), created_at: ago(days) });
    await k('attachments').insert([attachment(old[1], 40), attachment(recent, 10)]);
    const subscriber = (await k('subscribers').where({ tenant_id: a.tenantId, external_id: 'old-0' }).first('id')).id;
    const digest = (key: string, status: string) => ({ tenant_id: a.tenantId, subscriber_id: subscriber, key, status, template: 'digest.daily', channels: JSON.stringify(['email']), send_at: ago(39), created_at: ago(40) });
    await k('digests').insert([digest('sent', 'sent'), digest('open', 'open')]);
    await addInteraction(a.tenantId, recent, 10);
    // Pending work, as old: a delivery still retrying; a notification scheduled for later; an event not yet fanned out.
    const retrying = await post(a.apiKey, ['retrying']);
    await k('deliveries').whereIn('notification_id', k('notifications').where({ event_id: retrying }).select('id')).where({ channel: 'email' }).update({ status: 'retrying' });
    await age(retrying, 40);
    const scheduled = await post(a.apiKey, ['scheduled']);
    await k('notifications').where({ event_id: scheduled }).update({ status: 'scheduled', scheduled_for: new Date(clock.now().getTime() + DAY) });
    await age(scheduled, 40);
    const later = await post(a.apiKey, ['later'], { deliverafter: new Date(clock.now().getTime() + 2 * DAY).toISOString() });
    await age(later, 40);
    expect((await k('events').where({ id: later }).first('status')).status).to.equal('received');
    // Tenant b (200 days): the same 40-day-old history stays; 250 days old goes.
    const bKept = await post(b.apiKey, ['b-kept']);
    const bGone = await post(b.apiKey, ['b-gone']);
    await age(bKept, 40);
    await age(bGone, 250);
    await addInteraction(b.tenantId, bKept, 40);

    // Webhook messages (the engine queued them; the endpoint refuses connections): delivered, failed, retrying.
    const messages = await k('webhook_messages').where({ tenant_id: a.tenantId }).orderBy('created_at').select('id');
    expect(messages.length).to.be.greaterThan(4);
    const [oldDelivered, oldFailed, oldRetrying, newDelivered] = messages.map((m) => m.id);
    await k('webhook_messages').whereIn('id', [oldDelivered, oldFailed, oldRetrying, newDelivered]).update({ created_at: ago(40) });
    await k('webhook_messages').where({ id: oldDelivered }).update({ status: 'delivered' });
    await k('webhook_messages').where({ id: oldFailed }).update({ status: 'failed' });
    await k('webhook_messages').where({ id: oldRetrying }).update({ status: 'retrying' });
    await k('webhook_messages').where({ id: newDelivered }).update({ status: 'delivered', created_at: ago(10) });
    const bMessage = (await k('webhook_messages').where({ tenant_id: b.tenantId }).first('id')).id;
    await k('webhook_messages').where({ id: bMessage }).update({ status: 'delivered', created_at: ago(40) });

    // Rollups: today's figures (folded), one day 400 days old (within 730), one 800 days old; minute buckets 9 days old go.
    await t.services.analytics.fold();
    await k('analytics_day').insert([rollupRow(a.tenantId, ago(400)), rollupRow(a.tenantId, ago(800)), rollupRow(b.tenantId, ago(800))]);
    const coarse = ({ channel: _c, provider: _p, adapter: _a, ...row }: ReturnType<typeof rollupRow>) => row;
    await k('analytics_coarse_day').insert([coarse(rollupRow(a.tenantId, ago(400))), coarse(rollupRow(a.tenantId, ago(800))), coarse(rollupRow(b.tenantId, ago(800)))]);
    await k('analytics_minute').insert([rollupRow(a.tenantId, ago(9)), rollupRow(a.tenantId, ago(1))]);
    const figures = async () => (await call('get', `/v1/analytics?interval=day&from=${ago(2).toISOString()}`, a.apiKey).expect(200)).body.totals[0];
    const before = await figures();
    expect(before.sent).to.be.greaterThan(0);

    const beforeCounts = { old: await counts(old[0]), bKept: await counts(bKept) };
    expect(beforeCounts.old).to.include({ events: 1, notifications: 2, deliveries: 4, interactions: 1, inboxItems: 2 });
    expect(beforeCounts.old.attempts).to.be.greaterThan(0);

    const report = await t.services.analytics.enforceRetention();

    for (const id of old) expect(await counts(id)).to.deep.equal({ events: 0, notifications: 0, deliveries: 0, attempts: 0, interactions: 0, inboxItems: 0 });
    expect(report.deleted).to.include({ events: 6, notifications: 11, deliveries: 22, interactions: 1, inbox_items: 11, attachments: 1, digests: 1 });
    expect(await k('attachments').where({ tenant_id: a.tenantId }).pluck('event_id')).to.deep.equal([recent]);
    expect(await k('digests').where({ tenant_id: a.tenantId }).pluck('key')).to.deep.equal(['open']);
    expect(await counts(recent)).to.include({ events: 1, notifications: 1, deliveries: 2, interactions: 1, inboxItems: 1 });
    expect((await counts(retrying)).notifications).to.equal(1);
    expect((await counts(retrying)).events).to.equal(1);
    expect((await counts(scheduled)).notifications).to.equal(1);
    expect((await counts(later)).events).to.equal(1);
    expect(await counts(bKept)).to.deep.equal(beforeCounts.bKept);
    expect(await counts(bGone)).to.include({ events: 0, notifications: 0 });
    const left = (await k('webhook_messages').whereIn('id', [oldDelivered, oldFailed, oldRetrying, newDelivered, bMessage]).pluck('id')).sort();
    expect(left).to.deep.equal([oldRetrying, newDelivered, bMessage].sort());
    expect(await k('webhook_attempts').whereIn('message_id', [oldDelivered, oldFailed]).count({ c: '*' })).to.deep.equal([{ c: 0 }]);
    // Rollups: the figures read the same; only the 800-day-old day and 9-day-old minute went.
    expect(await figures()).to.deep.equal(before);
    const days = (await k('analytics_day').where({ tenant_id: a.tenantId }).where('bucket', '<', ago(300)).pluck('bucket')).map((d: Date) => d.getTime());
    expect(days).to.deep.equal([ago(400).getTime()]);
    expect(await k('analytics_day').where({ tenant_id: b.tenantId }).where('bucket', '<', ago(300)).count({ c: '*' })).to.deep.equal([{ c: 0 }]);
    // The coarse day rollup too (the questions by workflow, variant or locale read it).
    expect((await k('analytics_coarse_day').where({ tenant_id: a.tenantId }).where('bucket', '<', ago(300)).pluck('bucket')).map((d: Date) => d.getTime())).to.deep.equal([ago(400).getTime()]);
    expect(await k('analytics_coarse_day').where({ tenant_id: b.tenantId }).where('bucket', '<', ago(300)).count({ c: '*' })).to.deep.equal([{ c: 0 }]);
    expect((await k('analytics_minute').where({ tenant_id: a.tenantId, workflow_key: 'orders', deliveries: 7 }).pluck('bucket')).map((d: Date) => d.getTime())).to.deep.equal([ago(1).getTime()]);
    // The audit trail is append-only: retention leaves it.
    expect(Number((await k('audit_logs').where({ tenant_id: a.tenantId }).count({ c: '*' }))[0].c)).to.be.greaterThan(0);

    // A second run finds nothing more.
    expect((await t.services.analytics.enforceRetention()).deleted).to.deep.equal({});
  });

  it('skips rows another transaction holds, without waiting, and takes them on the next run', async () => {
    const { a } = tenants;
    const ids = [await post(a.apiKey, ['held']), await post(a.apiKey, ['free'])];
    for (const id of ids) await age(id, 40);
    const held = await t.db.knex('notifications').where({ event_id: ids[0] }).first('id');
    const trx = await t.db.knex.transaction();
    try {
      await trx.raw('select id from notifications where id = ? for update', [held.id]);
      await t.services.analytics.enforceRetention();
      expect((await counts(ids[0])).notifications).to.equal(1);
      expect((await counts(ids[1])).events).to.equal(0);
    } finally {
      await trx.commit();
    }
    await t.services.analytics.enforceRetention();
    expect(await counts(ids[0])).to.include({ events: 0, notifications: 0 });
  });

  describe('settings.retentionDays', () => {
    const patch = (body: unknown) => call('patch', '/v1/tenant', tenants.a.apiKey).send(body as object);

    for (const [label, value] of [['zero', 0], ['negative', -3], ['a fraction', 1.5], ['a string', '30'], ['null', null]] as const) {
      it(`refuses ${label} with problem+json naming the field, keeping the settings`, async () => {
        const res = await patch({ settings: { retentionDays: value } }).expect(400);
        expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
        expect(res.body.code).to.equal('CLARION_ERR_HTTP_INVALID_REQUEST');
        expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).to.include('/settings/retentionDays');
        expect((await call('get', '/v1/tenant', tenants.a.apiKey).expect(200)).body.settings.retentionDays).to.equal(30);
      });
    }

    it('refuses more than the operator’s maximum (CLARION_RETENTION_MAX_DAYS)', async () => {
      const res = await patch({ settings: { retentionDays: 366 } }).expect(400);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(res.body.errors).to.deep.equal([{ pointer: '/settings/retentionDays', message: "must be at most 365 (the operator's maximum)" }]);
      expect((await call('get', '/v1/tenant', tenants.a.apiKey).expect(200)).body.settings.retentionDays).to.equal(30);
      await patch({ settings: { retentionDays: 365 } }).expect(200);
      await patch({ settings: { retentionDays: 30 } }).expect(200);
    });

    it('counts a stored value above a lowered maximum as the maximum', async () => {
      const { retentionDaysOf } = await import('../../core/analytics/retention.ts');
      expect(retentionDaysOf({ retentionDays: 300 }, { retentionDays: 90, retentionMaxDays: 100 })).to.equal(100);
      expect(retentionDaysOf({}, { retentionDays: 90, retentionMaxDays: 100 })).to.equal(90);
      expect(retentionDaysOf({ retentionDays: 'x' }, { retentionDays: 90, retentionMaxDays: 100 })).to.equal(90);
    });

    it('refuses operator settings where the default exceeds the maximum or rollups would die before the rows', () => {
      const base = { CLARION_SECRET_KEY: TEST_SECRET, DATABASE_URL: 'postgres://localhost/x' };
      expect(() => loadConfig({ ...base, CLARION_RETENTION_DAYS: '400' })).to.throw(/CLARION_RETENTION_DAYS=400 is invalid/);
      expect(() => loadConfig({ ...base, CLARION_ANALYTICS_RETENTION_DAYS: '100' })).to.throw(/CLARION_ANALYTICS_RETENTION_DAYS=100 is invalid/);
      expect(() => loadConfig({ ...base, CLARION_RETENTION_MAX_DAYS: '0' })).to.throw(/CLARION_RETENTION_MAX_DAYS/);
      expect(loadConfig({ ...base, CLARION_RETENTION_DAYS: '400', CLARION_RETENTION_MAX_DAYS: '400' }).retentionDays).to.equal(400);
    });
  });
});
