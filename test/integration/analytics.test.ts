import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { bucketOf } from '../../core/analytics/histogram.ts';
import { fold } from '../../core/analytics/rollups.ts';
import { applyCallback } from '../../core/delivery/receipts.ts';
import { testApp, type TestApp } from '../support/clarion.ts';
import { silentLog } from '../support/postgres.ts';

/**
 * `GET /v1/analytics` over a mix of outcomes produced by the real engine (sandbox providers that
 * refuse some addresses, a fallback channel, a dedup plugin, tracking pixel and redirect, a bounce
 * receipt), checked against figures worked out by hand; the same figures before and after the
 * deltas are folded into the rollups; latency percentiles against known latencies; CSV; bad
 * parameters; another tenant's figures never included.
 */
describe('analytics (integration)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let emailProvider: string;
  let smsProvider: string;
  let seq = 0;
  const PUBLIC = 'https://clarion.example.com';

  const call = (method: 'get' | 'put' | 'post' | 'patch', url: string, apiKey = key) => request(t.callback)[method](url).set('authorization', `Bearer ${apiKey}`);
  const post = async (type: string, recipients: unknown[], envelope: Record<string, unknown> = {}) => {
    await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `e-${++seq}`, source: '/shop', type, data: { recipients }, ...envelope })).expect(202);
  };
  const analytics = async (query: string, apiKey = key) => (await call('get', `/v1/analytics?${query}`, apiKey).expect(200)).body;

  before(async () => {
    t = await testApp({ env: { CLARION_PUBLIC_URL: PUBLIC } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    emailProvider = (await call('post', '/v1/providers').send({ channel: 'email', adapter: 'sandbox', config: { rejectAddresses: ['eve@example.com', 'mallory@example.com'] } }).expect(201)).body.id;
    smsProvider = (await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'sandbox', config: {} }).expect(201)).body.id;
    await call('put', '/v1/workflows/orders').send({
      trigger: 'com.acme.order', channels: ['email'], fallbacks: { email: ['sms'] }, tracking: { opens: true, clicks: true },
      templates: { email: { subject: 'Order', html: '<p><a href="https://shop.example/o">Your order</a></p>' }, sms: { text: 'Order' } },
    }).expect(201);
    await call('put', '/v1/workflows/alerts').send({
      trigger: 'com.acme.alert', channels: ['email', 'sms'], plugins: { dedup: { windowSeconds: 3600 } },
      templates: { email: { subject: 'Alert', text: 'Alert' }, sms: { text: 'Alert' } },
    }).expect(201);

    // orders: four emails that arrive, one refused with a phone to fall back to, one refused without.
    await post('com.acme.order', [1, 2, 3, 4].map((i) => ({ id: `ok-${i}`, email: `ok-${i}@example.com` })));
    await post('com.acme.order', [{ id: 'eve', email: 'eve@example.com', phone: '+14155550101' }, { id: 'mallory', email: 'mallory@example.com' }]);
    // alerts: two subscribers on two channels; the same alert again is a duplicate for both.
    const both = [{ id: 'ann', email: 'ann@example.com', phone: '+14155550102' }, { id: 'bea', email: 'bea@example.com', phone: '+14155550103' }];
    await post('com.acme.alert', both, { subject: 'disk' });
    await t.runJobsUntilIdle();
    await post('com.acme.alert', both, { subject: 'disk' });
    await t.runJobsUntilIdle();

    // Engagement: ok-1 opens, ok-2 clicks (an open too), ok-3's mail client only prefetches.
    const sent = (await call('get', '/v1/outbox?channel=email&limit=200').expect(200)).body.items as Array<{ to: { email: string }; content: { html?: string } }>;
    const html = (email: string) => sent.find((m) => m.to.email === email)!.content.html!;
    const pixel = (email: string) => /src="([^"]+)"/.exec(html(email))![1].replace(/&amp;/g, '&').slice(PUBLIC.length);
    const link = (email: string) => /href="([^"]+)"/.exec(html(email))![1].replace(/&amp;/g, '&').slice(PUBLIC.length);
    await request(t.callback).get(pixel('ok-1@example.com')).set('user-agent', 'Thunderbird/128').expect(200);
    await request(t.callback).get(link('ok-2@example.com')).set('user-agent', 'Firefox/140').expect(302);
    await request(t.callback).get(pixel('ok-3@example.com')).set('user-agent', 'Mozilla/5.0').expect(200);

    // A bounce receipt for ok-4's email, as a provider callback applies it once verified.
    const delivery = await t.db.knex('deliveries as d').join('outbox_messages as o', 'o.delivery_id', 'd.id').whereRaw(`o.recipient->>'email' = 'ok-4@example.com'`).first('d.id', 'd.provider_message_id');
    await t.db.knex.transaction((trx) => applyCallback(trx, {
      tenantId, providerId: emailProvider, adapter: 'sandbox', channel: 'email', now: new Date(), log: silentLog, subscribers: t.services.subscribers,
      result: { updates: [{ providerMessageId: delivery.provider_message_id, status: 'bounced', errorCode: '550' }] },
    }));
  });
  after(async () => {
    await t.services.delivery.close();
    await t.close();
  });

  /** The figures worked out by hand from the mix above (no grouping: one bucket, today). */
  const TOTAL = {
    notifications: 10, deliveries: 12, sent: 9, delivered: 9, failed: 3, bounced: 1, suppressed: 2, suppressedByReason: { duplicate: 2 }, opened: 2, clicked: 1,
    rates: { delivered: 1, opened: 0.2222, clicked: 0.1111, clickToOpen: 0.5, bounced: 0.1111, failed: 0.25 },
    attemptsPerDelivery: 1, cost: {},
  };

  it('answers the hand-computed figures, the same before and after the deltas are folded', async () => {
    const before = await analytics('interval=day');
    // One bucket, or two when the run crossed midnight (UTC): the totals are the range's.
    expect(before.items.length).to.be.within(1, 2);
    expect(before.totals).to.have.length(1);
    expect(before.totals[0]).to.deep.include({ ...TOTAL, group: {} });
    const { p50, p95 } = before.totals[0].latencyMs.sent;
    expect(p50).to.be.a('number').greaterThan(0);
    expect(p95).to.be.at.least(p50);
    expect(before.totals[0].latencyMs.delivered.p50).to.be.a('number');

    expect(await t.services.analytics.fold()).to.be.greaterThan(0);
    expect(await t.db.knex('analytics_deltas').count('* as n').first()).to.deep.equal({ n: 0 });
    expect(await t.services.analytics.fold()).to.equal(0);
    for (const interval of ['day', 'hour', 'minute']) {
      const after = await analytics(`interval=${interval}`);
      const summed = after.totals[0];
      expect(summed, interval).to.deep.include(TOTAL);
      // The histograms too: folded into one array per bucket and group, read back as the same quantiles.
      expect(summed.latencyMs, interval).to.deep.equal(before.totals[0].latencyMs);
      if (interval === 'day') expect(after).to.deep.equal(before);
    }
  });

  it('folds one at a time: a fold waits while another holds the fold lock, then goes on', async () => {
    // Two folds at once would upsert the same rollup rows in different orders and deadlock.
    const holder = await t.db.knex.client.acquireConnection();
    try {
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock(${0x636c6672})`);
      const folding = t.services.analytics.fold();
      // The fold is now waiting for the lock (seen from the database, no sleeping).
      for (;;) {
        const { rows } = await t.db.knex.raw(`select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = ? and not granted`, [0x636c6672]);
        if (rows[0].n > 0) break;
      }
      await holder.query('commit');
      expect(await folding).to.be.a('number');
    } finally {
      await t.db.knex.client.releaseConnection(holder);
    }
  });

  it('shrinks the deltas file after a backlog, so questions stop scanning the empty pages', async () => {
    // A backlog (a rebuild, a worker stopped for a while) grows the file; folding it all leaves
    // pages that every question would scan until a vacuum truncates them.
    const other = { id: (await t.tenant('Backlog')).tenantId };
    await t.db.knex.raw(
      `insert into analytics_deltas (tenant_id, bucket, channel, sent) select ?, date_trunc('minute', now(), 'UTC'), 'email', 1 from generate_series(1, 20000)`,
      [other.id],
    );
    const pages = async () => Number((await t.db.knex.raw(`select pg_relation_size('analytics_deltas') / current_setting('block_size')::int as n`)).rows[0].n);
    expect(await pages()).to.be.greaterThan(100);
    // An autovacuum of the table is under way (its lock, held here): the fold waits for it
    // rather than skipping its own vacuum and leaving the file large.
    const holder = await t.db.knex.client.acquireConnection();
    try {
      await holder.query('begin');
      await holder.query('lock table analytics_deltas in share update exclusive mode');
      let settled = false;
      const folding = fold(t.db.knex, 5000).finally(() => { settled = true; });
      while (!settled) {
        const { rows } = await t.db.knex.raw(`select count(*)::int as n from pg_locks where relation = 'analytics_deltas'::regclass and not granted`);
        if (rows[0].n > 0) break;
      }
      await holder.query('commit');
      expect(await folding).to.equal(20000);
    } finally {
      await t.db.knex.client.releaseConnection(holder);
    }
    expect(await pages()).to.be.below(5);
    const { rows: [summed] } = await t.db.knex.raw(`select sum(sent)::int as sent from analytics_day where tenant_id = ?`, [other.id]);
    expect(summed.sent).to.equal(20000);
  });

  it('groups by channel, workflow and provider, notification-level figures in the group without one', async () => {
    const byChannel = await analytics('groupBy=channel');
    const channel = (c: string | null) => byChannel.totals.find((x: { group: { channel: string | null } }) => x.group.channel === c);
    expect(channel('email')).to.deep.include({ deliveries: 8, sent: 6, delivered: 6, failed: 2, bounced: 1, opened: 2, clicked: 1, notifications: 0 });
    expect(channel('sms')).to.deep.include({ deliveries: 4, sent: 3, delivered: 3, failed: 1, opened: 0 });
    expect(channel(null)).to.deep.include({ notifications: 10, suppressed: 2, deliveries: 0 });

    const byWorkflow = await analytics('groupBy=workflow');
    expect(byWorkflow.totals.map((x: { group: unknown }) => x.group)).to.deep.equal([{ workflow: 'alerts' }, { workflow: 'orders' }]);
    expect(byWorkflow.totals[0]).to.deep.include({ notifications: 4, suppressed: 2, deliveries: 4, sent: 4, failed: 0 });
    expect(byWorkflow.totals[1]).to.deep.include({ notifications: 6, suppressed: 0, deliveries: 8, sent: 5, failed: 3, opened: 2, clicked: 1 });

    const byProvider = await analytics('groupBy=provider&channel=email,sms');
    const provider = (id: string | null) => byProvider.totals.find((x: { group: { provider: string | null } }) => x.group.provider === id);
    expect(provider(emailProvider)).to.deep.include({ group: { provider: emailProvider, adapter: 'sandbox' }, sent: 6, failed: 2, rates: { ...provider(emailProvider).rates, failed: 0.25 } });
    expect(provider(smsProvider)).to.deep.include({ sent: 3, failed: 0 });
    // The SMS without a number failed before any provider took it.
    expect(provider(null)).to.deep.include({ failed: 1, sent: 0 });

    const filtered = await analytics('workflow=orders&channel=email');
    expect(filtered.totals[0]).to.deep.include({ deliveries: 6, sent: 4, failed: 2, opened: 2, notifications: 0 });
    const byLocale = await analytics('groupBy=locale&channel=email');
    expect(byLocale.totals.find((x: { group: { locale: string | null } }) => x.group.locale === 'en')).to.deep.include({ sent: 6 });
  });

  it('answers the same figures from the coarse rollups as from the full ones, before and after folding, at every interval', async () => {
    // A tenant of its own (the figures above stay as worked out): two email providers, SMS as a fallback, two workflows.
    const other = await t.tenant('Coarse', { acceptUnvalidatedTypes: true });
    const as = (method: 'post' | 'put', url: string) => call(method, url, other.apiKey);
    await as('post', '/v1/providers').send({ channel: 'email', adapter: 'sandbox', config: { rejectAddresses: ['eve@example.com'] } }).expect(201);
    await as('post', '/v1/providers').send({ channel: 'email', adapter: 'sandbox', priority: 2, config: {} }).expect(201);
    await as('post', '/v1/providers').send({ channel: 'sms', adapter: 'sandbox', config: {} }).expect(201);
    await as('put', '/v1/workflows/orders').send({ trigger: 'com.acme.order', channels: ['email'], fallbacks: { email: ['sms'] }, templates: { email: { subject: 'Order', text: 'Order' }, sms: { text: 'Order' } } }).expect(201);
    await as('put', '/v1/workflows/alerts').send({ trigger: 'com.acme.alert', channels: ['email', 'sms'], templates: { email: { subject: 'Alert', text: 'Alert' }, sms: { text: 'Alert' } } }).expect(201);
    const recipients = [{ id: 'ann', email: 'ann@example.com', phone: '+14155550102', locale: 'fr' }, { id: 'eve', email: 'eve@example.com', phone: '+14155550101' }, { id: 'bo', email: 'bo@example.com' }];
    for (const type of ['com.acme.order', 'com.acme.alert', 'com.acme.order']) {
      await as('post', '/v1/events').set('content-type', 'application/cloudevents+json').send(JSON.stringify({ specversion: '1.0', id: `coarse-${++seq}`, source: '/shop', type, data: { recipients } })).expect(202);
    }
    await t.runJobsUntilIdle();

    const { parseQuery, rollupOf, runQuery } = await import('../../core/analytics/queries.ts');
    const now = new Date();
    const questions = [{}, { groupBy: 'workflow' }, { groupBy: 'workflow,locale,variant' }, { groupBy: 'locale', workflow: 'orders' }, { workflow: 'alerts,orders', locale: 'fr' }];
    const answers = async () => {
      const all: unknown[] = [];
      const asked = [
        ...['hour', 'day'].flatMap((interval) => questions.map((question) => [{ interval, ...question }, 'coarse'] as const)),
        // By minute, by channel or nothing: the channel minute rollups.
        ...[{}, { groupBy: 'channel' }, { channel: 'sms' }, { groupBy: 'channel', channel: 'email,sms' }].map((question) => [{ interval: 'minute', ...question }, 'channel'] as const),
      ];
      for (const [question, rollup] of asked) {
        const q = parseQuery(question, now);
        expect(rollupOf(q), JSON.stringify(question)).to.equal(rollup);
        const answer = await runQuery(t.db.knex, other.tenantId, q);
        if (rollup === 'channel') expect(answer.items, JSON.stringify(question)).to.not.be.empty;
        expect(answer, JSON.stringify(question)).to.deep.equal(await runQuery(t.db.knex, other.tenantId, q, 'fine'));
        all.push(answer);
      }
      return all;
    };
    const pending = await answers();
    expect(await t.db.knex('analytics_deltas').where({ tenant_id: other.tenantId }).count({ n: '*' }).first()).to.not.deep.equal({ n: 0 });
    await t.services.analytics.fold();
    expect(await answers()).to.deep.equal(pending);
    // Folded into rows of their own: fewer than the full tables' (both email providers and SMS in one).
    for (const [coarse, fine] of [['analytics_coarse_day', 'analytics_day'], ['analytics_latency_coarse_day', 'analytics_latency_day'], ['analytics_latency_coarse_hour', 'analytics_latency_hour'], ['analytics_channel_minute', 'analytics_minute'], ['analytics_latency_channel_minute', 'analytics_latency_minute']]) {
      const rows = async (table: string) => Number((await t.db.knex(table).where({ tenant_id: other.tenantId }).count({ n: '*' }).first())!.n);
      expect(await rows(coarse), coarse).to.be.within(1, (await rows(fine)) - 1);
    }
    // Figures of both channels, summed: what the full rollups answer by channel, added up.
    const [total] = (pending[0] as { totals: Array<{ sent: number; failed: number; latencyMs: { sent: { p50: number | null } } }> }).totals;
    const byChannel = (await runQuery(t.db.knex, other.tenantId, parseQuery({ interval: 'hour', groupBy: 'channel' }, now))).totals;
    expect(byChannel.filter((x) => x.sent > 0).map((x) => x.group.channel).sort()).to.deep.equal(['email', 'sms']);
    expect(total.sent).to.equal(byChannel.reduce((s, x) => s + x.sent, 0));
    expect(total.failed).to.equal(byChannel.reduce((s, x) => s + x.failed, 0));
    expect(total.latencyMs.sent.p50).to.be.a('number');

    // By minute, or by channel, provider or adapter: the full rollups.
    for (const question of [{ interval: 'minute', groupBy: 'workflow' }, { interval: 'minute', groupBy: 'channel', provider: randomUUID() }, { groupBy: 'channel' }, { groupBy: 'workflow,provider' }, { channel: 'sms' }, { adapter: 'sandbox' }, { provider: randomUUID() }]) {
      expect(rollupOf(parseQuery({ interval: 'day', ...question }, now)), JSON.stringify(question)).to.equal('fine');
    }
  });

  it('answers the same figures as CSV', async () => {
    const res = await call('get', '/v1/analytics?groupBy=channel&format=csv').expect(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    const [header, ...rows] = res.text.trim().split('\r\n').map((line) => line.split(','));
    expect(header.slice(0, 11)).to.deep.equal(['bucket', 'channel', 'notifications', 'deliveries', 'sent', 'delivered', 'failed', 'bounced', 'suppressed', 'opened', 'clicked']);
    expect(header).to.include('suppressed_duplicate');
    const email = rows.find((r) => r[1] === 'email')!;
    expect(email.slice(2, 11)).to.deep.equal(['0', '8', '6', '6', '2', '1', '0', '2', '1']);
    const accept = await call('get', '/v1/analytics?groupBy=channel').set('accept', 'text/csv').expect(200);
    expect(accept.text).to.equal(res.text);
  });

  it('keeps each tenant to its own figures', async () => {
    const other = await t.tenant('Other', { acceptUnvalidatedTypes: true });
    const answer = await analytics('interval=day', other.apiKey);
    expect(answer.items).to.deep.equal([]);
    expect(answer.totals).to.deep.equal([]);
  });

  it('refuses bad parameters, naming each', async () => {
    const res = await call('get', '/v1/analytics?interval=week&groupBy=channel,colour&from=yesterday&format=xml').expect(400);
    expect(res.body.code).to.equal('CLARION_ERR_HTTP_INVALID_REQUEST');
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).to.include.members(['/query/format']);
    const detail = await call('get', '/v1/analytics?interval=week&groupBy=channel,colour&from=yesterday').expect(400);
    expect(detail.body.errors.map((e: { pointer: string }) => e.pointer)).to.have.members(['/query/interval', '/query/groupBy', '/query/from']);
    const span = await call('get', '/v1/analytics?interval=minute&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z').expect(400);
    expect(span.body.errors[0]).to.deep.equal({ pointer: '/query/from', message: 'the range holds more than 5000 minutes: narrow it or choose a longer interval' });
    await call('get', '/v1/analytics?from=2026-02-01&to=2026-01-01').expect(400);
    await call('get', '/v1/analytics?groupBy=channel&groupBy=workflow').expect(400);
  });

  it('stores what each message cost and sums it by currency: a price per message, per SMS segment, none', async () => {
    const other = await t.tenant('Costs', { acceptUnvalidatedTypes: true });
    const as = (method: 'get' | 'post' | 'put' | 'patch', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${other.apiKey}`);
    const email = (await as('post', '/v1/providers').send({ channel: 'email', adapter: 'sandbox', config: {}, price: { currency: 'EUR', perMessage: 0.0012 } }).expect(201)).body;
    expect(email.price).to.deep.equal({ currency: 'EUR', perMessage: 0.0012 });
    const sms = (await as('post', '/v1/providers').send({ channel: 'sms', adapter: 'sandbox', config: {}, price: { currency: 'USD', perSegment: 0.05 } }).expect(201)).body;
    const chat = (await as('post', '/v1/providers').send({ channel: 'chat', adapter: 'sandbox', config: {} }).expect(201)).body;
    expect(chat.price).to.equal(null);
    await as('put', '/v1/workflows/bill').send({
      trigger: 'com.acme.bill', channels: ['email', 'sms', 'chat'],
      // 161 GSM-7 characters: two segments.
      templates: { email: { subject: 'Bill', text: 'Bill' }, sms: { text: 'x'.repeat(161) }, chat: { text: 'Bill' } },
    }).expect(201);
    const recipients = [1, 2, 3].map((i) => ({ id: `payer-${i}`, email: `payer-${i}@example.com`, ...(i === 1 ? { phone: '+14155550111' } : {}), }));
    await as('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'bill-1', source: '/shop', type: 'com.acme.bill', data: { recipients } })).expect(202);
    await t.runJobsUntilIdle();

    const byProvider = await analytics('groupBy=provider', other.apiKey);
    const of = (id: string) => byProvider.totals.find((x: { group: { provider: string | null } }) => x.group.provider === id);
    expect(of(email.id)).to.deep.include({ sent: 3, cost: { EUR: 0.0036 } });
    expect(of(sms.id)).to.deep.include({ sent: 1, cost: { USD: 0.1 } });
    expect(of(chat.id)).to.deep.include({ sent: 3, cost: {} });
    const all = await analytics('', other.apiKey);
    expect(all.totals[0].cost).to.deep.equal({ EUR: 0.0036, USD: 0.1 });
    const csv = (await as('get', '/v1/analytics?format=csv').expect(200)).text.split('\r\n');
    expect(csv[0].split(',').slice(-2)).to.deep.equal(['cost_EUR', 'cost_USD']);
    expect(csv[1].split(',').slice(-2)).to.deep.equal(['0.0036', '0.1']);

    const deliveries = (await as('get', '/v1/deliveries?limit=50').expect(200)).body.items as Array<{ channel: string; cost: unknown }>;
    // Two of the SMS failed for want of a number: they cost nothing.
    expect(deliveries.filter((d) => d.channel === 'sms').map((d) => d.cost)).to.have.deep.members([{ amount: 0.1, currency: 'USD' }, null, null]);
    expect(deliveries.filter((d) => d.channel === 'chat').map((d) => d.cost)).to.deep.equal([null, null, null]);

    // A price changed later counts for what goes out after.
    await as('patch', `/v1/providers/${email.id}`).send({ price: { currency: 'EUR', perMessage: 0.002 } }).expect(200);
    await as('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'bill-2', source: '/shop', type: 'com.acme.bill', data: { recipients: [{ id: 'payer-3' }] } })).expect(202);
    await t.runJobsUntilIdle();
    await t.services.analytics.fold();
    expect((await analytics(`groupBy=provider&provider=${email.id}`, other.apiKey)).totals[0]).to.deep.include({ sent: 4, cost: { EUR: 0.0056 } });
  });

  it('refuses a price that is not one, naming the field, and keeps the stored one', async () => {
    const id = (await call('post', '/v1/providers').send({ channel: 'push', adapter: 'sandbox', config: {}, price: { currency: 'EUR', perMessage: 0.01 } }).expect(201)).body.id;
    for (const [price, pointer] of [
      [{ currency: 'euro', perMessage: 1 }, '/price/currency'],
      [{ currency: 'EUR' }, '/price'],
      [{ currency: 'EUR', perMessage: 1, perSegment: 1 }, '/price'],
      [{ currency: 'EUR', perMessage: -1 }, '/price/perMessage'],
      [{ currency: 'EUR', perMessage: '1' }, '/price/perMessage'],
      // Per-minute prices are for voice only (test/integration/voice-cost.test.ts): not this push provider's.
      [{ currency: 'EUR', perMinute: 1 }, '/price/perMinute'],
      ['1 EUR', '/price'],
    ] as const) {
      const res = await call('patch', `/v1/providers/${id}`).send({ price }).expect(422);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(price)).to.include(pointer);
      await call('post', '/v1/providers').send({ channel: 'push', adapter: 'sandbox', config: {}, price }).expect(422);
    }
    expect((await call('get', `/v1/providers/${id}`).expect(200)).body.price).to.deep.equal({ currency: 'EUR', perMessage: 0.01 });
    expect((await call('patch', `/v1/providers/${id}`).send({ price: null }).expect(200)).body.price).to.equal(null);
  });

  it('puts latencies in the same histogram buckets in the database as the code reading them', async () => {
    const values = [0, 0.5, 0.999, 1, 1.18, 1.19, 1.5, 2, 3, 10, 99.9, 100, 1000, 12345.6, 86_400_000, 2 ** 31, 1e12];
    const { rows } = await t.db.knex.raw('select v, clarion_latency_bucket(v) as k from unnest(?::float8[]) as v', [values]);
    expect(rows.map((r: { k: number }) => r.k)).to.deep.equal(values.map(bucketOf));
  });

  it('reads latency percentiles from the histograms within a bucket of the exact figures', async () => {
    const other = await t.tenant('Latency', { acceptUnvalidatedTypes: true });
    // 100 deliveries sent 10, 20, ..., 1000 ms after their event, written as the engine writes them.
    const received = new Date('2030-06-01T12:00:00Z');
    const [event] = await t.db.knex('events').insert({ tenant_id: other.tenantId, ce_id: 'x', source: '/s', type: 't', specversion: '1.0', received_at: received }).returning('id');
    const notifications = Array.from({ length: 100 }, () => ({ id: randomUUID(), tenant_id: other.tenantId, event_id: event.id, workflow_key: 'w', created_at: received }));
    await t.db.knex('notifications').insert(notifications);
    const deliveries = notifications.map((n, i) => ({ id: randomUUID(), tenant_id: other.tenantId, notification_id: n.id, channel: 'email', idempotency_key: `${n.id}:email`, created_at: received, i }));
    await t.db.knex('deliveries').insert(deliveries.map(({ i: _i, ...d }) => d));
    for (const d of deliveries) {
      await t.db.knex('deliveries').where({ id: d.id }).update({ status: 'delivered', attempt_count: 1, sent_at: new Date(received.getTime() + (d.i + 1) * 10), delivered_at: new Date(received.getTime() + (d.i + 1) * 100) });
    }
    const answer = await analytics('from=2030-06-01&to=2030-06-02', other.apiKey);
    const { sent, delivered } = answer.totals[0].latencyMs;
    const near = (value: number, exact: number) => expect(value, `${value} vs ${exact}`).to.be.within(exact / 1.19, exact * 1.19);
    near(sent.p50, 505);
    near(sent.p95, 955);
    near(delivered.p50, 5050);
    near(delivered.p95, 9550);
    expect(answer.totals[0]).to.deep.include({ deliveries: 100, sent: 100, delivered: 100, notifications: 100, attemptsPerDelivery: 1 });

    // Folded: one histogram row per bucket, group and kind, the same quantiles at every interval.
    await t.services.analytics.fold();
    const { rows } = await t.db.knex.raw(`select kind, array_lower(counts, 1) as lo, counts from analytics_latency_day where tenant_id = ? order by kind`, [other.tenantId]);
    expect(rows).to.have.length(2);
    expect(rows[0].lo).to.equal(bucketOf(10));
    expect(rows[0].counts.map(Number).reduce((a: number, b: number) => a + b, 0)).to.equal(100);
    for (const interval of ['day', 'hour', 'minute']) {
      const folded = await analytics(`from=2030-06-01&to=2030-06-02&interval=${interval}`, other.apiKey);
      expect(folded.totals[0].latencyMs, interval).to.deep.equal(answer.totals[0].latencyMs);
    }
  });

  it('adds histogram arrays in the database whatever their lower bounds (clarion_histogram_add, clarion_histogram_sum)', async () => {
    const sum = async (a: string | null, b: string | null) => {
      const { rows } = await t.db.knex.raw('select clarion_histogram_add(?::int8[], ?::int8[])::text as r', [a, b]);
      return rows[0].r as string | null;
    };
    expect(await sum('[24:26]={5,7,1}', '[25:25]={2}')).to.equal('[24:26]={5,9,1}');
    // Overlapping, the second starting first.
    expect(await sum('[24:26]={5,7,1}', '[22:25]={1,2,3,4}')).to.equal('[22:26]={1,2,8,11,1}');
    // Disjoint: the gap is zeros.
    expect(await sum('[3:4]={1,1}', '[7:7]={9}')).to.equal('[3:7]={1,1,0,0,9}');
    expect(await sum('[7:7]={9}', '[3:4]={1,1}')).to.equal('[3:7]={1,1,0,0,9}');
    // Null (and empty) add nothing; null + null stays null.
    expect(await sum(null, '[5:6]={1,2}')).to.equal('[5:6]={1,2}');
    expect(await sum('[5:6]={1,2}', null)).to.equal('[5:6]={1,2}');
    expect(await sum('{}', '[5:6]={1,2}')).to.equal('[5:6]={1,2}');
    expect(await sum(null, null)).to.equal(null);
    // A lower bound of 1 prints without its dimensions.
    expect(await sum('{1,2}', '[2:3]={1,1}')).to.equal('{1,3,1}');
    const { rows: [aggregated] } = await t.db.knex.raw(`select clarion_histogram_sum(h)::text as r from unnest(array['[24:26]={5,7,1}', null, '[30:30]={2}', '[23:24]={1,1}']::text[]) as s(t), lateral (select t::int8[] as h) x`);
    expect(aggregated.r).to.equal('[23:30]={1,6,7,1,0,0,0,2}');
    const { rows: [of] } = await t.db.knex.raw(`select clarion_histogram_of(array[26, 24, 26, 24]::smallint[], array[1, 5, 2, 3]::int8[])::text as r`);
    expect(of.r).to.equal('[24:26]={8,0,3}');
  });
});
