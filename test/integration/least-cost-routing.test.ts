import { expect } from 'chai';
import request from 'supertest';
import { orderByPrice } from '../../core/delivery/routing.ts';
import type { ProviderRecord } from '../../core/delivery/providers.ts';
import { testApp, type TestApp } from '../support/clarion.ts';

/**
 * Least-cost routing: with `routing: leastCost` (the tenant's settings or the workflow's own), a
 * channel's providers go cheapest first for the recipient's country (`price.byPrefix`, the longest
 * prefix, else the base price), the rest by priority; a provider refusing for good still falls
 * back to the next. The delivery's cost is the country's price. Bad prices are refused.
 */
describe('least-cost routing (integration)', () => {
  let t: TestApp;
  let key: string;
  let seq = 0;
  const ids: Record<'a' | 'b' | 'c', string> = {} as never;
  const call = (method: 'get' | 'put' | 'post' | 'patch', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  /** Sends an SMS through `workflow` to `phone`; the provider and cost of its delivery. */
  const send = async (workflow: string, phone: string) => {
    const id = `p-${++seq}`;
    await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `e-${seq}`, source: '/ops', type: `com.acme.${workflow}`, data: { recipients: [{ id, phone }] } })).expect(202);
    await t.runJobsUntilIdle();
    const rows = await t.db.knex('deliveries as d').join('notifications as n', 'n.id', 'd.notification_id').join('subscribers as s', 's.id', 'n.subscriber_id')
      .where('s.external_id', id).orderBy('d.created_at').select('d.provider_config_id', 'd.status', 'd.cost', 'd.currency', 'd.providers_tried');
    return rows.map((r) => ({ ...r, cost: r.cost === null ? null : Number(r.cost) }));
  };
  const providerOf = (rows: Array<{ provider_config_id: string; status: string }>) => {
    const sent = rows.find((r) => r.status === 'sent' || r.status === 'delivered');
    return Object.entries(ids).find(([, id]) => id === sent?.provider_config_id)?.[0];
  };

  before(async () => {
    t = await testApp();
    ({ apiKey: key } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    // a: first by priority, cheaper to the UK; b: cheaper elsewhere, cheapest to Puerto Rico (+1 787); c: no price.
    ids.a = (await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'sandbox', priority: 0, config: { rejectAddresses: ['+33612345678'], rejectScope: 'provider' }, price: { currency: 'USD', perSegment: 0.05, byPrefix: { 44: 0.04 } } }).expect(201)).body.id;
    ids.b = (await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'sandbox', priority: 1, config: { rejectAddresses: ['+33612345678'], rejectScope: 'provider' }, price: { currency: 'USD', perSegment: 0.01, byPrefix: { 44: 0.09, 1787: 0.001, 33: 0.002 } } }).expect(201)).body.id;
    ids.c = (await call('post', '/v1/providers').send({ channel: 'sms', adapter: 'sandbox', priority: 2, config: {} }).expect(201)).body.id;
    for (const [workflow, routing] of [['alerts', undefined], ['pinned', 'priority'], ['cheap', 'leastCost']] as const) {
      await call('put', `/v1/workflows/${workflow}`).send({ trigger: `com.acme.${workflow}`, channels: ['sms'], ...(routing ? { routing } : {}), templates: { sms: { text: 'Disk full' } } }).expect(201);
    }
  });
  after(async () => {
    await t.services.delivery.close();
    await t.close();
  });

  it('goes by priority unless asked, and a workflow may ask on its own', async () => {
    expect(providerOf(await send('alerts', '+14155550101'))).to.equal('a');
    expect(providerOf(await send('cheap', '+14155550102'))).to.equal('b');
    expect((await call('get', '/v1/workflows/cheap').expect(200)).body.routing).to.equal('leastCost');
  });

  it('with the tenant on leastCost, takes the cheapest for the recipient’s country and records that price', async () => {
    await call('patch', '/v1/tenant').send({ settings: { routing: 'leastCost' } }).expect(200);
    const us = await send('alerts', '+14155550103');
    expect(providerOf(us)).to.equal('b');
    expect(us[0]).to.include({ cost: 0.01, currency: 'USD' });
    const uk = await send('alerts', '+447700900123');
    expect(providerOf(uk)).to.equal('a');
    expect(uk[0]).to.include({ cost: 0.04, currency: 'USD' });
    // The longest prefix wins: +1 787 is b's 0.001, not its +1 base.
    const pr = await send('alerts', '+17875550123');
    expect(providerOf(pr)).to.equal('b');
    expect(pr[0]).to.include({ cost: 0.001 });
    // A workflow's own `priority` wins over the tenant's leastCost.
    expect(providerOf(await send('pinned', '+14155550104'))).to.equal('a');
  });

  it('falls back to the next cheapest when the cheapest refuses for good, then to the unpriced', async () => {
    // France: b (0.002) first, then a (0.05), both refuse the number; c (no price) takes it.
    const rows = await send('alerts', '+33612345678');
    expect(providerOf(rows)).to.equal('c');
    expect(rows[0].providers_tried.slice(0, 2)).to.deep.equal([ids.b, ids.a]);
    expect(rows[0]).to.include({ cost: null });
  });

  it('orders providers priced in another currency, or not at all, after the comparable ones', () => {
    const p = (id: string, price: ProviderRecord['price']): ProviderRecord => ({ id, tenantId: 't', channel: 'sms', adapter: 'sandbox', priority: 0, updatedAt: new Date(0), price });
    const order = orderByPrice([p('none', null), p('eur', { currency: 'EUR', perMessage: 0.001 }), p('usd-2', { currency: 'USD', perMessage: 0.02 }), p('usd-1', { currency: 'USD', perMessage: 0.01 })], '+14155550100');
    // The cheapest priced one sets the currency (EUR here), the rest follow by priority order.
    expect(order.map((x) => x.id)).to.deep.equal(['eur', 'usd-2', 'usd-1', 'none']);
    const ties = orderByPrice([p('first', { currency: 'USD', perMessage: 0.01 }), p('second', { currency: 'USD', perMessage: 0.01 })], undefined);
    expect(ties.map((x) => x.id)).to.deep.equal(['first', 'second']);
  });

  it('refuses prices by prefix that are not, and routing modes that do not exist, naming the field', async () => {
    for (const [price, pointer] of [
      [{ currency: 'USD', perSegment: 0.01, byPrefix: { '+44': 0.04 } }, '/price/byPrefix'],
      [{ currency: 'USD', perSegment: 0.01, byPrefix: { '044': 0.04 } }, '/price/byPrefix'],
      [{ currency: 'USD', perSegment: 0.01, byPrefix: { 44: -1 } }, '/price/byPrefix/44'],
      [{ currency: 'USD', perSegment: 0.01, byPrefix: { 44: '0.04' } }, '/price/byPrefix/44'],
      [{ currency: 'USD', perSegment: 0.01, byPrefix: [0.04] }, '/price/byPrefix'],
    ] as const) {
      const res = await call('patch', `/v1/providers/${ids.a}`).send({ price }).expect(422);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer).some((x: string) => x.startsWith(pointer)), JSON.stringify(res.body.errors)).to.equal(true);
    }
    expect((await call('get', `/v1/providers/${ids.a}`).expect(200)).body.price).to.deep.equal({ currency: 'USD', perSegment: 0.05, byPrefix: { 44: 0.04 } });
    const tenant = await call('patch', '/v1/tenant').send({ settings: { routing: 'cheapest' } }).expect(400);
    expect(tenant.body.errors.map((e: { pointer: string }) => e.pointer)).to.include('/settings/routing');
    const workflow = await call('put', '/v1/workflows/odd').send({ trigger: 'com.acme.odd', channels: ['sms'], routing: 'random', templates: { sms: { text: 'x' } } });
    expect(workflow.status).to.be.oneOf([400, 422]);
    expect(JSON.stringify(workflow.body.errors)).to.include('/routing');
  });
});
