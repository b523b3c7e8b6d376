import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';

describe('POST /v1/subscribers:bulk', function () {
  this.timeout(120_000);
  let t: TestApp;
  let key: string;
  let otherKey: string;

  before(async () => {
    t = await testApp();
    ({ apiKey: key } = await t.tenant('Acme'));
    ({ apiKey: otherKey } = await t.tenant('Other'));
  });
  after(() => t.close());

  const bulk = (body: unknown, apiKey = key) => request(t.callback).post('/v1/subscribers:bulk').set('authorization', `Bearer ${apiKey}`).send(body as object);
  const get = (id: string, apiKey = key) => request(t.callback).get(`/v1/subscribers/${id}`).set('authorization', `Bearer ${apiKey}`);

  it('writes the valid items, lists the refused ones with their fields, and keeps fields an item does not give', async () => {
    await request(t.callback).put('/v1/subscribers/kept').set('authorization', `Bearer ${key}`).send({ name: 'Kept Name', phone: '+14155550100' }).expect(201);
    await request(t.callback).put('/v1/subscribers/gone').set('authorization', `Bearer ${key}`).send({ name: 'Gone' }).expect(201);
    await request(t.callback).delete('/v1/subscribers/gone').set('authorization', `Bearer ${key}`).expect(204);
    const res = await bulk({
      subscribers: [
        { id: 'ada', name: 'Ada', email: 'ada@example.com', teams: ['support'] },
        { id: 'kept', email: 'kept@example.com' },
        { id: 'bad-mail', email: 'not an address' },
        { name: 'No id' },
        { id: 'ada', name: 'Ada again' },
        { id: 'gone', email: 'gone@example.com' },
        { id: 'tz', timezone: 'Mars/Olympus' },
        { id: 'grace', locale: 'fr-CA', timezone: 'America/Toronto', data: { plan: 'pro' } },
      ],
    }).expect(200);
    expect(res.body).to.include({ created: 2, updated: 1 });
    expect(res.body.refused.map((r: { index: number; id: string | null; code: string }) => [r.index, r.id, r.code])).to.deep.equal([
      [2, 'bad-mail', 'CLARION_ERR_SUBSCRIBER_INVALID'],
      [3, null, 'CLARION_ERR_SUBSCRIBER_INVALID'],
      [4, 'ada', 'CLARION_ERR_SUBSCRIBER_INVALID'],
      [5, 'gone', 'CLARION_ERR_SUBSCRIBER_ERASED'],
      [6, 'tz', 'CLARION_ERR_SUBSCRIBER_INVALID'],
    ]);
    expect(res.body.refused[0].errors.map((e: { pointer: string }) => e.pointer)).to.deep.equal(['/subscribers/2/email']);
    expect(res.body.refused[1].errors.map((e: { pointer: string }) => e.pointer)).to.deep.equal(['/subscribers/3/id']);
    expect(res.body.refused[4].errors).to.deep.equal([{ pointer: '/subscribers/6/timezone', message: 'must be an IANA time zone such as Europe/Paris' }]);

    expect((await get('ada')).body).to.include({ name: 'Ada', email: 'ada@example.com' });
    expect((await get('kept')).body).to.include({ name: 'Kept Name', phone: '+14155550100', email: 'kept@example.com' });
    expect((await get('grace')).body).to.deep.include({ locale: 'fr-CA', data: { plan: 'pro' } });
    for (const id of ['bad-mail', 'tz', 'gone']) expect((await get(id)).status, id).to.equal(404);
    // Another tenant's subscribers are another tenant's.
    expect((await get('ada', otherKey)).status).to.equal(404);
    const audit = await request(t.callback).get('/v1/audit?action=subscriber.bulk_upserted').set('authorization', `Bearer ${key}`).expect(200);
    expect(audit.body.items[0].summary).to.deep.equal({ created: 2, updated: 1 });
  });

  it('refuses a body that is no bulk request, naming the field', async () => {
    const cases: Array<[unknown, string, string]> = [
      [{}, '/subscribers', 'is required'],
      [{ subscribers: [] }, '/subscribers', 'at least one'],
      [{ subscribers: [{ id: 'a' }], upsert: true }, '/upsert', 'not a member'],
      [{ subscribers: Array.from({ length: 10_001 }, (_, i) => ({ id: `s${i}` })) }, '/subscribers', 'at most 10000'],
    ];
    for (const [body, pointer, message] of cases) {
      const res = await bulk(body).expect(400);
      expect(res.body.code).to.equal('CLARION_ERR_HTTP_INVALID_REQUEST');
      expect(res.body.errors[0].pointer).to.equal(pointer);
      expect(res.body.errors[0].message).to.include(message);
    }
    expect((await get('s0')).status).to.equal(404);
  });

  it('takes 10,000 subscribers in one call', async () => {
    const subscribers = Array.from({ length: 10_000 }, (_, i) => ({ id: `u${i}`, email: `u${i}@example.com` }));
    const res = await bulk({ subscribers }).expect(200);
    expect(res.body).to.deep.equal({ created: 10_000, updated: 0, refused: [] });
    expect((await get('u9999')).body.email).to.equal('u9999@example.com');
  });
});
