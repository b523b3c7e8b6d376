import { expect } from 'chai';
import request from 'supertest';
import { queuedJobs, testApp, type TestApp } from '../support/clarion.ts';
import { TEST_EPOCH } from '../support/clock.ts';

/** A provider's throughput cap (messages/s) holds across sends; the excess waits, it is not lost. */
describe('per-provider throughput cap', () => {
  let t: TestApp;
  // A clock that stands still (../support/clock.ts): every send falls in the same one-second
  // window, and what is rescheduled to a later second is not due while the test runs.
  const now = TEST_EPOCH;
  before(async () => {
    t = await testApp({ clock: { now: () => now } });
  });
  after(() => t.close());

  it('sends at most maxPerSecond per second and schedules the rest at their slots', async () => {
    const { apiKey } = await t.tenant('Acme', { acceptUnvalidatedTypes: true });
    const call = (method: 'post' | 'put' | 'patch' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${apiKey}`);
    const provider = await call('post', '/v1/providers').send({ channel: 'email', adapter: 'sandbox', maxPerSecond: 2, config: {} }).expect(201);
    expect(provider.body.maxPerSecond).to.equal(2);
    await call('put', '/v1/workflows/news').send({ trigger: 'com.acme.news', channels: ['email'], templates: { email: { subject: 'News {{ data.n }}', text: 'News' } } }).expect(201);
    for (let n = 1; n <= 5; n++) {
      await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
        .send(JSON.stringify({ specversion: '1.0', id: `n-${n}`, source: '/news', type: 'com.acme.news', data: { n, recipients: [{ id: `u${n}`, email: `u${n}@acme.example` }] } }))
        .expect(202);
    }
    await t.runJobsUntilIdle();
    const deliveries = (await call('get', '/v1/deliveries?channel=email').expect(200)).body.items as Array<{ status: string; attemptCount: number; nextAttemptAt: string | null }>;
    expect(deliveries.filter((d) => d.status === 'delivered')).to.have.length(2);
    const waiting = deliveries.filter((d) => d.status === 'retrying');
    expect(waiting).to.have.length(3);
    // Paced at two a second after the first second's burst: +0.5 s, +1 s, +1.5 s; no attempt spent.
    expect(waiting.map((d) => new Date(d.nextAttemptAt!).getTime() - now.getTime()).sort((a, b) => a - b)).to.deep.equal([500, 1000, 1500]);
    for (const d of waiting) expect(d.attemptCount).to.equal(0);
    expect((await call('get', '/v1/outbox?channel=email').expect(200)).body.items).to.have.length(2);
    // Their jobs hold their slots: they will send without asking for another.
    const jobs = await queuedJobs(t.db.knex, 'send_delivery');
    expect(jobs.map((j) => j.payload.slot)).to.deep.equal([true, true, true]);
  });

  it('paces one a second at maxPerSecond 1, not one every two seconds, and owes nothing after a pause', async () => {
    const { tenantId, apiKey } = await t.tenant('Pace');
    const provider = await request(t.callback).post('/v1/providers').set('authorization', `Bearer ${apiKey}`).send({ channel: 'sms', adapter: 'sandbox', maxPerSecond: 1, config: {} }).expect(201);
    void tenantId;
    const at = (ms: number) => new Date(now.getTime() + ms);
    const slots = [];
    for (let i = 0; i < 4; i++) slots.push((await t.services.providers.reserveSlot(provider.body.id, 1, at(0))).getTime() - now.getTime());
    expect(slots).to.deep.equal([0, 1000, 2000, 3000]);
    // Ten seconds later the debt is gone: the next one goes at once.
    expect((await t.services.providers.reserveSlot(provider.body.id, 1, at(10_000))).getTime() - now.getTime()).to.equal(10_000);
  });

  it('refuses an invalid cap', async () => {
    const { apiKey } = await t.tenant('Other');
    const res = await request(t.callback).post('/v1/providers').set('authorization', `Bearer ${apiKey}`).send({ channel: 'email', adapter: 'sandbox', maxPerSecond: 0, config: {} }).expect(422);
    expect(res.body.errors[0].pointer).to.equal('/maxPerSecond');
  });
});
