import { expect } from 'chai';
import request from 'supertest';
import { CHANNELS } from '@clarion/adapter-kit';
import { NOTIFICATION_STATUSES } from '../../core/notifications/status.ts';
import { testApp, type TestApp } from '../support/clarion.ts';

/**
 * The query parameters of the lists are checked against the TypeBox object that documents them
 * (core/kernel/schema.ts queryReader): a bad one is a 400 naming `/query/<name>`, a good one
 * filters as documented.
 */
describe('list query parameters (integration)', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true' } });
    ({ apiKey: key } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    await call('put', '/v1/workflows/ping').send({ trigger: 'com.acme.ping', channels: ['email'], templates: { email: { subject: 'Ping', text: 'Ping.' } } }).expect(201);
    for (const id of ['p-1', 'p-2', 'p-3']) {
      await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
        .send(JSON.stringify({ specversion: '1.0', id, source: '/q', type: 'com.acme.ping', data: { recipients: [{ id: 'ada', email: 'ada@example.com' }] } }))
        .expect(202);
    }
    await t.runJobsUntilIdle();
  });
  after(() => t.close());
  const call = (method: 'post' | 'put' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const refused = async (url: string) => {
    const res = await call('get', url).expect(400);
    expect(res.body.code).to.equal('CLARION_ERR_HTTP_INVALID_REQUEST');
    return res.body.errors as Array<{ pointer: string; message: string }>;
  };

  describe('GET /v1/notifications', () => {
    it('pages and filters by the documented parameters', async () => {
      const first = await call('get', '/v1/notifications?limit=2&workflow=ping&subscriber=ada').expect(200);
      expect(first.body.items).to.have.length(2);
      const rest = await call('get', `/v1/notifications?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`).expect(200);
      expect(rest.body.items).to.have.length(1);
      const status = first.body.items[0].status;
      expect((await call('get', `/v1/notifications?status=${status}&since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00.000%2B02:00`).expect(200)).body.items.length).to.be.at.least(1);
      expect((await call('get', '/v1/notifications?since=2999-01-01T00:00:00Z').expect(200)).body.items).to.deep.equal([]);
      expect((await call('get', '/v1/notifications?workflow=other').expect(200)).body.items).to.deep.equal([]);
      expect((await call('get', '/v1/notifications?limit=&status=').expect(200)).body.items).to.have.length(3);
    });

    it('refuses what is not a status, a timestamp or a page size, naming each parameter', async () => {
      expect(await refused('/v1/notifications?status=lost&since=yesterday&until=2026-13-45T00:00:00Z&limit=500')).to.deep.equal([
        { pointer: '/query/limit', message: 'must be an integer from 1 to 200' },
        { pointer: '/query/status', message: `must be one of ${NOTIFICATION_STATUSES.join(', ')}` },
        { pointer: '/query/since', message: 'must be an RFC 3339 timestamp' },
        { pointer: '/query/until', message: 'must be an RFC 3339 timestamp' },
      ]);
      expect(await refused('/v1/notifications?since=2026-01-02')).to.deep.equal([{ pointer: '/query/since', message: 'must be an RFC 3339 timestamp' }]);
      expect((await refused('/v1/notifications?status=sent&status=failed')).map((e) => e.pointer)).to.deep.equal(['/query/status']);
    });
  });

  describe('GET /v1/deliveries', () => {
    it('filters by status and channel, and pages', async () => {
      const all = await call('get', '/v1/deliveries?channel=email').expect(200);
      expect(all.body.items).to.have.length(3);
      const status = all.body.items[0].status;
      expect((await call('get', `/v1/deliveries?status=${status}&limit=1`).expect(200)).body.items).to.have.length(1);
      expect((await call('get', '/v1/deliveries?status=dead').expect(200)).body.items).to.deep.equal([]);
      expect((await call('get', '/v1/deliveries?channel=sms').expect(200)).body.items).to.deep.equal([]);
    });

    it('refuses an unknown status or channel and a page size that is not one, naming each', async () => {
      expect((await refused('/v1/deliveries?status=lost&channel=fax&limit=1.5')).map((e) => [e.pointer, e.message.split(' ').slice(0, 3).join(' ')])).to.deep.equal([
        ['/query/limit', 'must be an'],
        ['/query/status', 'must be one'],
        ['/query/channel', 'must be one'],
      ]);
      expect((await refused('/v1/deliveries?channel=email&channel=sms')).map((e) => e.pointer)).to.deep.equal(['/query/channel']);
    });
  });

  describe('GET /v1/outbox', () => {
    it('filters by channel and recipient; a repeated recipient is ignored, as it always was', async () => {
      expect((await call('get', '/v1/outbox?channel=email&to=ada%40example.com').expect(200)).body.items).to.have.length(3);
      expect((await call('get', '/v1/outbox?to=bob%40example.com').expect(200)).body.items).to.deep.equal([]);
      expect((await call('get', '/v1/outbox?to=bob%40example.com&to=cy%40example.com').expect(200)).body.items).to.have.length(3);
    });

    it('refuses an unknown channel and a page size out of range', async () => {
      expect(await refused('/v1/outbox?channel=fax&limit=201')).to.deep.equal([
        { pointer: '/query/limit', message: 'must be an integer from 1 to 200' },
        { pointer: '/query/channel', message: `must be one of ${CHANNELS.join(', ')}` },
      ]);
    });
  });

  describe('GET /v1/webhooks/endpoints and their lists', () => {
    let endpoint: string;
    before(async () => {
      endpoint = (await call('post', '/v1/webhooks/endpoints').send({ url: 'https://hooks.example.com/q' }).expect(201)).body.id;
    });

    it('reads enabled as a boolean; a repeat of it is ignored, as it always was', async () => {
      expect((await call('get', '/v1/webhooks/endpoints?enabled=true').expect(200)).body.items.map((e: { id: string }) => e.id)).to.deep.equal([endpoint]);
      expect((await call('get', '/v1/webhooks/endpoints?enabled=false').expect(200)).body.items).to.deep.equal([]);
      expect((await call('get', '/v1/webhooks/endpoints?enabled=false&enabled=true').expect(200)).body.items).to.have.length(1);
      expect(await refused('/v1/webhooks/endpoints?enabled=1&limit=0')).to.deep.equal([
        { pointer: '/query/limit', message: 'must be an integer from 1 to 200' },
        { pointer: '/query/enabled', message: 'must be true or false' },
      ]);
    });

    it('refuses an unknown message status, attempt outcome or stats time, naming it', async () => {
      expect((await call('get', `/v1/webhooks/endpoints/${endpoint}/messages?status=pending&eventType=x`).expect(200)).body.items).to.deep.equal([]);
      expect(await refused(`/v1/webhooks/endpoints/${endpoint}/messages?status=lost`)).to.deep.equal([{ pointer: '/query/status', message: 'must be one of pending, retrying, delivered, failed' }]);
      expect((await refused(`/v1/webhooks/endpoints/${endpoint}/attempts?outcome=meh`)).map((e) => e.pointer)).to.deep.equal(['/query/outcome']);
      expect((await call('get', `/v1/webhooks/endpoints/${endpoint}/stats?since=2026-01-01T00:00:00Z`).expect(200)).body.messages).to.deep.equal({ pending: 0, retrying: 0, delivered: 0, failed: 0 });
      expect(await refused(`/v1/webhooks/endpoints/${endpoint}/stats?since=whenever`)).to.deep.equal([{ pointer: '/query/since', message: 'must be an RFC 3339 timestamp' }]);
    });
  });

  describe('GET /v1/subscribers, /v1/providers and /v1/audit', () => {
    it('filter by their documented parameters and refuse a bad channel or page size', async () => {
      expect((await call('get', '/v1/subscribers?limit=1').expect(200)).body.items.map((s: { subscriberId: string }) => s.subscriberId)).to.deep.equal(['ada']);
      expect((await call('get', '/v1/subscribers?team=nobody').expect(200)).body.items).to.deep.equal([]);
      expect(await refused('/v1/subscribers?limit=-1')).to.deep.equal([{ pointer: '/query/limit', message: 'must be an integer from 1 to 200' }]);
      expect((await call('get', '/v1/providers?channel=email').expect(200)).body.items).to.be.an('array');
      expect(await refused('/v1/providers?channel=fax')).to.deep.equal([{ pointer: '/query/channel', message: `must be one of ${CHANNELS.join(', ')}` }]);
      const created = (await call('get', '/v1/audit?action=workflow.created&limit=5').expect(200)).body.items;
      expect(created.map((e: { action: string }) => e.action)).to.deep.equal(['workflow.created']);
      expect((await call('get', '/v1/audit?targetType=workflow&targetId=none').expect(200)).body.items).to.deep.equal([]);
      expect(await refused('/v1/audit?limit=many')).to.deep.equal([{ pointer: '/query/limit', message: 'must be an integer from 1 to 200' }]);
    });
  });

  describe('GET /v1/events', () => {
    it('filters by type, source and status; refuses an unknown status or page size, naming each', async () => {
      expect((await call('get', '/v1/events?type=com.acme.ping&source=/q&status=processed&limit=2').expect(200)).body.items).to.have.length(2);
      expect((await call('get', '/v1/events?source=/elsewhere').expect(200)).body.items).to.deep.equal([]);
      expect(await refused('/v1/events?status=lost&limit=0')).to.deep.equal([
        { pointer: '/query/limit', message: 'must be an integer from 1 to 200' },
        { pointer: '/query/status', message: 'must be one of received, processing, processed, failed, cancelled' },
      ]);
    });
  });

  describe('single reads: an event, a contract; the templates list', () => {
    it('reads an event by its CloudEvent id and source, and refuses a cancellation reason over 500 characters before looking', async () => {
      const event = (await call('get', '/v1/events/p-1?source=/q').expect(200)).body;
      expect(event.cloudevent).to.include({ id: 'p-1', source: '/q' });
      await call('get', '/v1/events/p-1?source=/elsewhere').expect(404);
      const res = await request(t.callback).delete(`/v1/events/no-such-event?reason=${'x'.repeat(501)}`).set('authorization', `Bearer ${key}`).expect(400);
      expect(res.body.errors).to.deep.equal([{ pointer: '/query/reason', message: 'must be at most 500 characters' }]);
      // Nothing was cancelled by the refused request.
      expect((await call('get', '/v1/events/p-2').expect(200)).body.status).to.equal('processed');
    });

    it('reads a contract version, refusing one that is not a positive integer', async () => {
      await call('put', '/v1/contracts/com.acme.ping').send({ type: 'object' }).expect(201);
      expect((await call('get', '/v1/contracts/com.acme.ping?version=1').expect(200)).body.version).to.equal(1);
      for (const bad of ['0', 'two', '1.5', '-3']) {
        expect(await refused(`/v1/contracts/com.acme.ping?version=${bad}`), bad).to.deep.equal([{ pointer: '/query/version', message: 'must be a positive integer' }]);
      }
      await call('get', '/v1/contracts/com.acme.ping?version=7').expect(404);
    });

    it('lists templates by workflow, channel and locale (put in canonical form), naming a bad channel or locale', async () => {
      expect((await call('get', '/v1/templates?workflow=ping&channel=email&locale=EN').expect(200)).body.items).to.be.an('array');
      expect(await refused('/v1/templates?channel=fax')).to.deep.equal([{ pointer: '/query/channel', message: `must be one of ${CHANNELS.join(', ')}` }]);
      expect(await refused('/v1/templates?locale=not_a_locale!')).to.deep.equal([{ pointer: '/query/locale', message: 'must be a BCP 47 locale such as fr or fr-CA' }]);
    });
  });
});
