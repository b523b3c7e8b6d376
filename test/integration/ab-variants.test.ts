import { expect } from 'chai';
import request from 'supertest';
import { variantFor } from '../../core/workflows/variants.ts';
import { testApp, type TestApp } from '../support/clarion.ts';

/**
 * A/B tests of a workflow's template: each notification takes the variant its id hashes to
 * (weighted), the email that goes out is that variant's, the delivery records it, the analytics
 * group by it (clicks included), and ending the test publishes the winner's template. Bad tests
 * are refused with the field named, leaving the workflow as it was.
 */
describe('A/B template variants (integration)', () => {
  let t: TestApp;
  let key: string;
  let seq = 0;
  const PUBLIC = 'https://clarion.example.com';
  const call = (method: 'get' | 'put' | 'post', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const post = async (recipients: unknown[]) => {
    await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `ab-${++seq}`, source: '/shop', type: 'com.acme.promo', data: { recipients } })).expect(202);
  };
  const workflow = (abTest: unknown) => ({
    trigger: 'com.acme.promo', channels: ['email'], tracking: { clicks: true },
    templates: { email: { subject: 'Control', html: '<p><a href="https://shop.example/a">Shop</a></p>' } },
    abTest,
  });
  const TEST = {
    channel: 'email',
    variants: [
      { key: 'A', weight: 1 },
      { key: 'B', weight: 3, template: { subject: 'Variant B for {{ subscriber.name }}', html: '<p><a href="https://shop.example/b">Shop now</a></p>' } },
    ],
  };

  before(async () => {
    t = await testApp({ env: { CLARION_PUBLIC_URL: PUBLIC } });
    ({ apiKey: key } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    await call('post', '/v1/providers').send({ channel: 'email', adapter: 'sandbox', config: {} }).expect(201);
  });
  after(async () => {
    await t.services.delivery.close();
    await t.close();
  });

  it('picks a variant per notification by its weighted hash, sends its template, records it and counts it in the analytics', async () => {
    await call('put', '/v1/workflows/promo').send(workflow(TEST)).expect(201);
    await post(Array.from({ length: 40 }, (_, i) => ({ id: `u-${i}`, email: `u-${i}@example.com`, name: `U${i}` })));
    await t.runJobsUntilIdle();

    const deliveries = await t.db.knex('deliveries as d').join('notifications as n', 'n.id', 'd.notification_id').select('d.id', 'd.variant', 'n.id as notification_id');
    expect(deliveries).to.have.length(40);
    for (const d of deliveries) expect(d.variant, d.notification_id).to.equal(variantFor({ abTest: TEST as never }, 'email', d.notification_id)!.key);
    const counts = { A: deliveries.filter((d) => d.variant === 'A').length, B: deliveries.filter((d) => d.variant === 'B').length };
    // One in four A by weight: with 40 notifications, far from 0 or 40 either way.
    expect(counts.A).to.be.within(3, 20);
    expect(counts.A + counts.B).to.equal(40);

    const outbox = (await call('get', '/v1/outbox?channel=email&limit=200').expect(200)).body.items as Array<{ deliveryId: string; to: { email: string; name: string }; content: { subject: string; html: string } }>;
    const variantOf = new Map(deliveries.map((d) => [d.id, d.variant]));
    for (const m of outbox) {
      expect(m.content.subject).to.equal(variantOf.get(m.deliveryId) === 'B' ? `Variant B for ${m.to.name}` : 'Control');
    }

    // Two B recipients and one A recipient click.
    const click = async (variant: string, n: number) => {
      for (const m of outbox.filter((x) => variantOf.get(x.deliveryId) === variant).slice(0, n)) {
        const link = /href="([^"]+)"/.exec(m.content.html)![1].replace(/&amp;/g, '&').slice(PUBLIC.length);
        await request(t.callback).get(link).set('user-agent', 'Firefox/140').expect(302);
      }
    };
    await click('B', 2);
    await click('A', 1);
    const answer = (await call('get', '/v1/analytics?groupBy=variant&workflow=promo').expect(200)).body;
    const of = (v: string | null) => answer.totals.find((x: { group: { variant: string | null } }) => x.group.variant === v);
    expect(of('A')).to.deep.include({ sent: counts.A, clicked: 1 });
    expect(of('B')).to.deep.include({ sent: counts.B, clicked: 2 });
    expect(of('B').rates.clicked).to.equal(Math.round((2 / counts.B) * 1e4) / 1e4);
  });

  it('publishes the winner on ending the test: later notifications get its template and no variant', async () => {
    const ended = (await call('post', '/v1/workflows/promo/variants/B/win').expect(200)).body;
    expect(ended).to.not.have.property('abTest');
    expect(ended.templates.email.subject).to.equal('Variant B for {{ subscriber.name }}');
    await post([{ id: 'late', email: 'late@example.com', name: 'Late' }]);
    await t.runJobsUntilIdle();
    const late = await t.db.knex('deliveries as d').join('notifications as n', 'n.id', 'd.notification_id').join('subscribers as s', 's.id', 'n.subscriber_id').where('s.external_id', 'late').first('d.variant', 'd.id');
    expect(late.variant).to.equal(null);
    const mail = (await call('get', '/v1/outbox?channel=email&limit=200').expect(200)).body.items.find((m: { deliveryId: string }) => m.deliveryId === late.id);
    expect(mail.content.subject).to.equal('Variant B for Late');
    const audit = (await call('get', '/v1/audit?action=workflow.ab_test_ended').expect(200)).body.items;
    expect(audit[0].summary).to.deep.include({ channel: 'email', winner: 'B' });
    // No test runs any more.
    expect((await call('post', '/v1/workflows/promo/variants/B/win').expect(404)).body.code).to.equal('CLARION_ERR_WORKFLOW_NOT_FOUND');
  });

  it('ends a test with the control as winner, keeping the published template', async () => {
    await call('put', '/v1/workflows/promo2').send({ ...workflow(TEST), trigger: 'com.acme.promo2' }).expect(201);
    await call('post', '/v1/workflows/promo2/variants/C/win').expect(404);
    // Another tenant cannot end it.
    const other = await t.tenant('Other');
    await request(t.callback).post('/v1/workflows/promo2/variants/A/win').set('authorization', `Bearer ${other.apiKey}`).expect(404);
    expect((await call('get', '/v1/workflows/promo2').expect(200)).body.abTest).to.deep.equal(TEST);
    const ended = (await call('post', '/v1/workflows/promo2/variants/A/win').expect(200)).body;
    expect(ended.templates.email.subject).to.equal('Control');
    expect(ended).to.not.have.property('abTest');
  });

  it('refuses a test that cannot run, naming the field, and keeps the workflow as it was', async () => {
    await call('put', '/v1/workflows/promo3').send({ ...workflow(TEST), trigger: 'com.acme.promo3' }).expect(201);
    const bad: Array<[unknown, string]> = [
      [{ channel: 'sms', variants: TEST.variants }, '/abTest/channel'],
      [{ channel: 'email', variants: [{ key: 'A', weight: 1 }] }, '/abTest/variants'],
      [{ channel: 'email', variants: [{ key: 'A', weight: 0 }, { key: 'B', weight: 0 }] }, '/abTest/variants'],
      [{ channel: 'email', variants: [{ key: 'A', weight: 1 }, { key: 'A', weight: 1 }] }, '/abTest/variants/1/key'],
      [{ channel: 'email', variants: [{ key: 'A', weight: -1 }, { key: 'B', weight: 1 }] }, '/abTest/variants/0/weight'],
      [{ channel: 'email', variants: [{ key: 'a b', weight: 1 }, { key: 'B', weight: 1 }] }, '/abTest/variants/0/key'],
      [{ channel: 'email', variants: [{ key: 'A', weight: 1 }, { key: 'B', weight: 1, template: { subject: 'Hi {{ broken', text: 'x' } }] }, '/abTest/variants/1/template/subject'],
      [{ channel: 'email', variants: [{ key: 'A', weight: 1 }, { key: 'B', weight: 1, template: { text: 'no subject' } }] }, '/abTest/variants/1/template/subject'],
    ];
    for (const [abTest, pointer] of bad) {
      const res = await call('put', '/v1/workflows/promo3').send({ ...workflow(abTest), trigger: 'com.acme.promo3' });
      expect(res.status, JSON.stringify(abTest)).to.be.within(400, 422);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(abTest)).to.include(pointer);
    }
    expect((await call('get', '/v1/workflows/promo3').expect(200)).body.abTest).to.deep.equal(TEST);
  });
});
