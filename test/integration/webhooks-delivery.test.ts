import { expect } from 'chai';
import request from 'supertest';
import { WebhookVerificationError } from 'standardwebhooks';
import { WebhookService } from '../../core/webhooks/service.ts';
import type { EndpointView } from '../../core/webhooks/views.ts';
import { queuedJobs, testApp, type TestApp } from '../support/clarion.ts';
import { silentLog } from '../support/postgres.ts';
import { Receiver, type Received } from './webhooks-receiver.ts';
import { ManualClock } from '../support/clock.ts';


const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Hub {
  t: TestApp;
  clock: ManualClock;
  key: string;
  tenantId: string;
  receivers: Receiver[];
}

/**
 * A fresh database per test, on a hand-moved clock (../support/clock.ts): a retry the hub
 * schedules on it is never due by itself; `advance` moves the clock and makes due exactly the
 * jobs it has reached, then runs them: the test decides when time passes, nothing sleeps.
 */
async function hub(env: Record<string, string> = {}): Promise<Hub> {
  const clock = new ManualClock();
  const t = await testApp({ clock, env: { CLARION_OUTBOUND_ALLOWLIST: '127.0.0.1', ...env } });
  const { apiKey, tenantId } = await t.tenant('Acme');
  return { t, clock, key: apiKey, tenantId, receivers: [] };
}

async function close(h: Hub | undefined): Promise<void> {
  if (!h) return;
  for (const r of h.receivers) await r.close();
  await h.t.close();
}

async function receiver(h: Hub): Promise<Receiver> {
  const r = await Receiver.start();
  h.receivers.push(r);
  return r;
}

const api = (h: Hub, method: 'get' | 'post' | 'patch', path: string) => request(h.t.callback)[method](path).set('authorization', `Bearer ${h.key}`);

async function endpoint(h: Hub, body: Record<string, unknown>): Promise<EndpointView & { secret: string }> {
  const res = await api(h, 'post', '/v1/webhooks/endpoints').send(body);
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body;
}

function emit(h: Hub, type = 'io.clarion.notification.delivered', subject = 'notif-1', data: Record<string, unknown> = { notificationId: subject, channel: 'email' }) {
  return h.t.db.knex.transaction((trx) => h.t.services.webhooks.emit(trx, { tenantId: h.tenantId, type, subject, data }));
}

async function advance(h: Hub, ms: number): Promise<void> {
  h.clock.advance(ms);
  await h.t.runJobsDueBy(h.clock.now(), ['deliver_webhook']);
}

async function attempts(h: Hub, endpointId: string, query = '') {
  const res = await api(h, 'get', `/v1/webhooks/endpoints/${endpointId}/attempts${query}`).expect(200);
  return res.body.items as Array<Record<string, unknown>>;
}

async function messages(h: Hub, endpointId: string, query = '') {
  const res = await api(h, 'get', `/v1/webhooks/endpoints/${endpointId}/messages${query}`).expect(200);
  return res.body.items as Array<Record<string, unknown>>;
}

const signatures = (r: Received) => r.headers['webhook-signature'].split(' ');

describe('webhook delivery (integration)', () => {
  let h: Hub | undefined;
  afterEach(async () => {
    await close(h);
    h = undefined;
  });

  it('delivers a signed CloudEvent that the standardwebhooks library verifies, to every matching endpoint', async () => {
    h = await hub();
    const r = await receiver(h);
    const all = await endpoint(h, { url: r.url('/all') });
    const wildcard = await endpoint(h, { url: r.url('/notifications'), eventTypes: ['io.clarion.notification.*'] });
    await endpoint(h, { url: r.url('/escalations'), eventTypes: ['io.clarion.escalation.step'] });
    await endpoint(h, { url: r.url('/off'), enabled: false });

    expect(await emit(h, 'io.clarion.notification.delivered', 'notif-42', { notificationId: 'notif-42', channel: 'sms', to: 'sub-1' })).to.equal(2);
    await h.t.runJobs();

    expect(r.requests.map((q) => q.path).sort()).to.deep.equal(['/all', '/notifications']);
    const secrets: Record<string, string> = { '/all': all.secret, '/notifications': wildcard.secret };
    for (const req of r.requests) {
      expect(req.method).to.equal('POST');
      expect(req.headers['content-type']).to.equal('application/cloudevents+json; charset=utf-8');
      expect(req.headers['user-agent']).to.match(/^Clarion-Webhooks\//);
      const event = Receiver.verify(secrets[req.path], req);
      expect(event).to.deep.equal({
        specversion: '1.0',
        id: req.headers['webhook-id'],
        source: `clarion://tenants/${h.tenantId}`,
        type: 'io.clarion.notification.delivered',
        subject: 'notif-42',
        time: h.clock.now().toISOString(),
        datacontenttype: 'application/json',
        data: { notificationId: 'notif-42', channel: 'sms', to: 'sub-1' },
      });
      expect(Math.abs(Number(req.headers['webhook-timestamp']) - Date.now() / 1000)).to.be.lessThan(300);
      // Each endpoint's secret verifies only its own deliveries.
      const other = req.path === '/all' ? wildcard.secret : all.secret;
      expect(() => Receiver.verify(other, req)).to.throw(WebhookVerificationError);
    }
    // One event, one webhook-id, shared by the endpoints that got it.
    expect(new Set(r.requests.map((q) => q.headers['webhook-id'])).size).to.equal(1);
    expect(r.requests[0].headers['webhook-id']).to.match(/^msg_[0-9a-f]{32}$/);

    const [message] = await messages(h, all.id);
    expect(message).to.include({ status: 'delivered', attemptCount: 1, eventType: 'io.clarion.notification.delivered', nextAttemptAt: null, lastError: null });
    const [attempt] = await attempts(h, all.id);
    expect(attempt).to.include({ attempt: 1, trigger: 'event', statusCode: 200, outcome: 'success', error: null, responseBody: 'ok', responseBodyTruncated: false, nextRetryAt: null });
    expect(attempt.durationMs).to.be.a('number');
    const single = await api(h, 'get', `/v1/webhooks/messages/${message.id}`).expect(200);
    expect(single.body.payload.data).to.deep.equal({ notificationId: 'notif-42', channel: 'sms', to: 'sub-1' });
  });

  it('queues nothing when the caller rolls back, and refuses a malformed event', async () => {
    h = await hub();
    const r = await receiver(h);
    const ep = await endpoint(h, { url: r.url() });
    const hubRef = h;
    await h.t.db.knex
      .transaction(async (trx) => {
        expect(await hubRef.t.services.webhooks.emit(trx, { tenantId: hubRef.tenantId, type: 'io.clarion.notification.sent', data: {} })).to.equal(1);
        throw new Error('rolled back');
      })
      .catch(() => {});
    expect(await messages(h, ep.id)).to.deep.equal([]);
    expect(await queuedJobs(h.t.db.knex, 'deliver_webhook')).to.deep.equal([]);
    for (const bad of [
      { tenantId: 'nope', type: 'io.clarion.notification.sent', data: {} },
      { tenantId: h.tenantId, type: 'io.clarion.notification.*', data: {} },
      { tenantId: h.tenantId, type: 'io.clarion.notification.sent', data: [] },
    ]) {
      await h.t.db.knex
        .transaction((trx) => hubRef.t.services.webhooks.emit(trx, bad as never))
        .then(
          () => expect.fail('must throw'),
          (err) => expect(err).to.include({ code: 'CLARION_ERR_WEBHOOK_INVALID_EVENT' }),
        );
    }
  });

  it('500 then 200 gives two attempts with the same webhook-id, the retry on the schedule', async () => {
    h = await hub();
    const r = (await receiver(h)).respond({ status: 500, body: 'boom' });
    const ep = await endpoint(h, { url: r.url() });
    await emit(h);
    await h.t.runJobs();
    expect(r.requests).to.have.length(1);

    const [message] = await messages(h, ep.id);
    expect(message).to.include({ status: 'retrying', attemptCount: 1, lastError: 'HTTP 500' });
    const [first] = await attempts(h, ep.id);
    expect(first).to.include({ attempt: 1, statusCode: 500, outcome: 'http_error', error: 'HTTP 500', responseBody: 'boom' });
    const wait = Date.parse(first.nextRetryAt as string) - h.clock.now().getTime();
    expect(wait).to.be.within(4.5 * SECOND, 5.5 * SECOND);
    expect(message.nextAttemptAt).to.equal(first.nextRetryAt);

    // Not due yet: running the worker again sends nothing.
    await h.t.runJobs();
    expect(r.requests).to.have.length(1);
    await advance(h, 5.5 * SECOND);
    expect(r.requests).to.have.length(2);

    const [a, b] = r.requests;
    expect(b.headers['webhook-id']).to.equal(a.headers['webhook-id']);
    expect(Receiver.verify(ep.secret, a)).to.deep.equal(Receiver.verify(ep.secret, b));
    const list = await attempts(h, ep.id);
    expect(list.map((x) => [x.attempt, x.trigger, x.statusCode, x.outcome])).to.deep.equal([
      [2, 'retry', 200, 'success'],
      [1, 'event', 500, 'http_error'],
    ]);
    const [after] = await messages(h, ep.id);
    expect(after).to.include({ status: 'delivered', attemptCount: 2, nextAttemptAt: null, lastError: null });
    expect(await queuedJobs(h.t.db.knex, 'deliver_webhook')).to.deep.equal([]);
  });

  it('retries on the whole schedule, then gives up', async () => {
    h = await hub();
    const r = (await receiver(h)).always({ status: 503 });
    const ep = await endpoint(h, { url: r.url() });
    await emit(h);
    await h.t.runJobs();
    const expected = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];
    for (const [i, delay] of expected.entries()) {
      const [latest] = await attempts(h, ep.id);
      const wait = Date.parse(latest.nextRetryAt as string) - Date.parse(latest.startedAt as string);
      expect(wait, `wait before attempt ${i + 2}`).to.be.within(delay * 0.9 - 1, delay * 1.1 + 1);
      await advance(h, wait);
      expect(r.requests).to.have.length(i + 2);
    }
    const [message] = await messages(h, ep.id);
    expect(message).to.include({ status: 'failed', attemptCount: 8, nextAttemptAt: null, lastError: 'HTTP 503 (gave up after 8 attempts)' });
    const [last] = await attempts(h, ep.id);
    expect(last.nextRetryAt).to.equal(null);
    expect(await queuedJobs(h.t.db.knex, 'deliver_webhook')).to.deep.equal([]);
    expect(new Set(r.requests.map((q) => q.headers['webhook-id'])).size).to.equal(1);
  });

  it('honours Retry-After by waiting longer than the schedule', async () => {
    h = await hub();
    const r = (await receiver(h)).respond({ status: 429, headers: { 'retry-after': '120' } }, { status: 503, headers: { 'retry-after': '1' } });
    const ep = await endpoint(h, { url: r.url() });
    await emit(h);
    await h.t.runJobs();
    const [first] = await attempts(h, ep.id);
    expect(Date.parse(first.nextRetryAt as string) - Date.parse(first.startedAt as string)).to.equal(120 * SECOND);
    await advance(h, 60 * SECOND);
    expect(r.requests).to.have.length(1);
    await advance(h, 60 * SECOND);
    expect(r.requests).to.have.length(2);
    // A shorter Retry-After than the schedule does not bring the retry forward (5 min ± 10 %).
    const [second] = await attempts(h, ep.id);
    expect(Date.parse(second.nextRetryAt as string) - Date.parse(second.startedAt as string)).to.be.within(4.5 * MINUTE, 5.5 * MINUTE);
  });

  it('410 disables the endpoint, tells the hook, the audit trail and the other endpoints', async () => {
    h = await hub();
    const gone = (await receiver(h)).always({ status: 410, body: 'unsubscribed' });
    const ops = await receiver(h);
    const dead = await endpoint(h, { url: gone.url(), eventTypes: ['io.clarion.notification.*'] });
    const watcher = await endpoint(h, { url: ops.url(), eventTypes: ['io.clarion.webhook.*'] });
    const told: EndpointView[] = [];
    h.t.services.webhooks.onEndpointDisabled = (e) => {
      told.push(e);
    };

    await emit(h, 'io.clarion.notification.failed', 'notif-9');
    await h.t.runJobs();
    expect(gone.requests).to.have.length(1);

    const read = await api(h, 'get', `/v1/webhooks/endpoints/${dead.id}`).expect(200);
    expect(read.body).to.include({ enabled: false, disabledReason: 'the endpoint answered 410 Gone', disabledAt: h.clock.now().toISOString() });
    const [message] = await messages(h, dead.id);
    expect(message).to.include({ status: 'failed', nextAttemptAt: null });
    expect(message.lastError).to.equal('HTTP 410 Gone: the endpoint is disabled; the endpoint answered 410 Gone, so it was disabled');
    const [attempt] = await attempts(h, dead.id);
    expect(attempt).to.include({ statusCode: 410, outcome: 'http_error', responseBody: 'unsubscribed', nextRetryAt: null });

    expect(told.map((e) => [e.id, e.tenantId, e.enabled, e.disabledReason])).to.deep.equal([[dead.id, h.tenantId, false, 'the endpoint answered 410 Gone']]);
    const audit = await h.t.db.knex('audit_logs').where({ target_id: dead.id, action: 'webhook_endpoint.disabled' });
    expect(audit.map((a) => [a.actor, a.summary.reason])).to.deep.equal([['system', 'the endpoint answered 410 Gone']]);

    // The tenant's other endpoint heard about it as a signed CloudEvent.
    expect(ops.requests).to.have.length(1);
    const notice = Receiver.verify(watcher.secret, ops.requests[0]);
    expect(notice).to.include({ type: 'io.clarion.webhook.endpoint_disabled', subject: dead.id });
    expect(notice.data).to.deep.include({ endpointId: dead.id, url: gone.url(), reason: 'the endpoint answered 410 Gone' });

    // Nothing more goes to it; replaying to it is refused until it is enabled again.
    expect(await emit(h, 'io.clarion.notification.sent', 'notif-10')).to.equal(0);
    const refused = await api(h, 'post', `/v1/webhooks/messages/${message.id}/replay`);
    expect(refused.status).to.equal(409);
    expect(refused.body.code).to.equal('CLARION_ERR_WEBHOOK_ENDPOINT_DISABLED');
    await api(h, 'patch', `/v1/webhooks/endpoints/${dead.id}`).send({ enabled: true }).expect(200);
    expect(await emit(h, 'io.clarion.notification.sent', 'notif-11')).to.equal(1);
  });

  it('fails the queued messages of an endpoint disabled meanwhile, without calling it', async () => {
    h = await hub();
    const r = await receiver(h);
    const ep = await endpoint(h, { url: r.url() });
    await emit(h);
    await api(h, 'patch', `/v1/webhooks/endpoints/${ep.id}`).send({ enabled: false }).expect(200);
    await h.t.runJobs();
    expect(r.requests).to.have.length(0);
    const [message] = await messages(h, ep.id);
    expect(message.status).to.equal('failed');
    expect(message.lastError).to.match(/^not sent: the endpoint is disabled \(disabled by api_key:/);
  });

  it('a 302 is a failure and is never followed', async () => {
    h = await hub();
    const r = await receiver(h);
    r.respond({ status: 302, headers: { location: r.url('/elsewhere') }, body: 'moved' });
    const ep = await endpoint(h, { url: r.url('/hook') });
    await emit(h);
    await h.t.runJobs();
    expect(r.requests.map((q) => q.path)).to.deep.equal(['/hook']);
    const [attempt] = await attempts(h, ep.id);
    expect(attempt).to.include({ statusCode: 302, outcome: 'redirect', responseBody: 'moved' });
    expect(attempt.error).to.equal(`HTTP 302: redirect to ${r.url('/elsewhere')} not followed (webhooks never follow redirects: point the endpoint at the final URL)`);
    expect(attempt.nextRetryAt).to.be.a('string');
    const [message] = await messages(h, ep.id);
    expect(message.status).to.equal('retrying');
  });

  it('signs with the old and the new secret during a rotation, then with the new one only', async () => {
    h = await hub();
    const r = await receiver(h);
    const ep = await endpoint(h, { url: r.url() });
    const rotated = await api(h, 'post', `/v1/webhooks/endpoints/${ep.id}/rotate-secret`).send({ gracePeriodSeconds: 3600 }).expect(200);
    await emit(h);
    await h.t.runJobs();
    const during = r.requests[0];
    expect(signatures(during)).to.have.length(2);
    expect(Receiver.verify(rotated.body.secret, during).type).to.equal('io.clarion.notification.delivered');
    expect(Receiver.verify(ep.secret, during).type).to.equal('io.clarion.notification.delivered');

    await advance(h, HOUR + SECOND);
    await emit(h, 'io.clarion.notification.read', 'notif-2');
    await h.t.runJobs();
    const after = r.requests[1];
    expect(signatures(after)).to.have.length(1);
    expect(Receiver.verify(rotated.body.secret, after).type).to.equal('io.clarion.notification.read');
    expect(() => Receiver.verify(ep.secret, after)).to.throw(WebhookVerificationError);
    const read = await api(h, 'get', `/v1/webhooks/endpoints/${ep.id}`).expect(200);
    expect(read.body.previousSecretExpiresAt).to.equal(null);
  });

  it('replay re-sends with the same webhook-id, by message id or by webhook-id', async () => {
    h = await hub();
    const r = await receiver(h);
    const ep = await endpoint(h, { url: r.url() });
    await emit(h);
    await h.t.runJobs();
    const [message] = await messages(h, ep.id);

    const replayed = await api(h, 'post', `/v1/webhooks/messages/${message.id}/replay`).expect(202);
    expect(replayed.body.items).to.have.length(1);
    expect(replayed.body.items[0]).to.include({ id: message.id, status: 'pending', msgId: message.msgId });
    await h.t.runJobs();
    await api(h, 'post', `/v1/webhooks/messages/${message.msgId}/replay`).expect(202);
    await h.t.runJobs();

    expect(r.requests).to.have.length(3);
    for (const req of r.requests) {
      expect(req.headers['webhook-id']).to.equal(message.msgId);
      expect(Receiver.verify(ep.secret, req).id).to.equal(message.msgId);
    }
    const list = await attempts(h, ep.id, `?messageId=${message.msgId}`);
    expect(list.map((a) => [a.attempt, a.trigger, a.outcome])).to.deep.equal([
      [3, 'replay', 'success'],
      [2, 'replay', 'success'],
      [1, 'event', 'success'],
    ]);
    // All three started at the same instant of the test clock: paging one by one keeps their order.
    const paged: unknown[] = [];
    let cursor = '';
    do {
      const page = await api(h, 'get', `/v1/webhooks/endpoints/${ep.id}/attempts?limit=1${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      paged.push(...page.body.items.map((a: { attempt: number }) => a.attempt));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).to.deep.equal([3, 2, 1]);
    const audit = await h.t.db.knex('audit_logs').where({ target_id: message.id, action: 'webhook_message.replayed' });
    expect(audit).to.have.length(2);
    const missing = await api(h, 'post', '/v1/webhooks/messages/msg_doesnotexist/replay');
    expect(missing.status).to.equal(404);
    expect(missing.body.code).to.equal('CLARION_ERR_WEBHOOK_MESSAGE_NOT_FOUND');
  });

  it('a replay supersedes a pending retry: the schedule starts afresh and the old chain stops', async () => {
    h = await hub();
    const r = (await receiver(h)).respond({ status: 500 });
    const ep = await endpoint(h, { url: r.url() });
    await emit(h);
    await h.t.runJobs();
    const [message] = await messages(h, ep.id);
    expect(message.status).to.equal('retrying');
    await api(h, 'post', `/v1/webhooks/messages/${message.id}/replay`).expect(202);
    await h.t.runJobs();
    expect(r.requests).to.have.length(2);
    const [after] = await messages(h, ep.id);
    expect(after).to.include({ status: 'delivered', attemptCount: 2 });
    await advance(h, HOUR);
    expect(r.requests, 'the superseded retry never runs').to.have.length(2);
  });

  it('recover re-sends everything since a time, oldest first, with the same webhook-ids', async () => {
    h = await hub();
    const r = (await receiver(h)).respond({ status: 200 }, { status: 500 }, { status: 200 });
    const ep = await endpoint(h, { url: r.url() });
    const sent: string[] = [];
    for (let i = 1; i <= 3; i += 1) {
      await emit(h, 'io.clarion.notification.sent', `notif-${i}`);
      await h.t.runJobs();
      sent.push(r.requests.at(-1)!.headers['webhook-id']);
      h.clock.advance(MINUTE);
    }
    const since = new Date(h.clock.now().getTime() - 2 * MINUTE - 1).toISOString();
    const res = await api(h, 'post', `/v1/webhooks/endpoints/${ep.id}/recover`).send({ since }).expect(202);
    expect(res.body).to.deep.equal({ queued: 2, since, until: h.clock.now().toISOString() });
    await h.t.runJobs();
    expect(r.requests.slice(3).map((q) => q.headers['webhook-id'])).to.deep.equal([sent[1], sent[2]]);
    for (const req of r.requests.slice(3)) expect(Receiver.verify(ep.secret, req).type).to.equal('io.clarion.notification.sent');
    const recovered = await attempts(h, ep.id, '?limit=2');
    expect(recovered.map((a) => a.trigger)).to.deep.equal(['recover', 'recover']);

    // Only the failed ones, when asked.
    r.always({ status: 500 });
    await emit(h, 'io.clarion.notification.sent', 'notif-4');
    await h.t.runJobs();
    r.always({ status: 200 });
    const failedOnly = await api(h, 'post', `/v1/webhooks/endpoints/${ep.id}/recover`).send({ since: new Date(0).toISOString(), status: ['retrying', 'failed'] }).expect(202);
    expect(failedOnly.body.queued).to.equal(1);

    const bad = await api(h, 'post', `/v1/webhooks/endpoints/${ep.id}/recover`).send({ since: 'yesterday' });
    expect(bad.status).to.equal(400);
    expect(bad.body.errors[0].pointer).to.equal('/since');
    const future = await api(h, 'post', `/v1/webhooks/endpoints/${ep.id}/recover`).send({ since: new Date(h.clock.now().getTime() + DAY).toISOString() });
    expect(future.status).to.equal(400);
    const audit = await h.t.db.knex('audit_logs').where({ target_id: ep.id, action: 'webhook_endpoint.recovered' });
    expect(audit.map((a) => a.summary.queued)).to.deep.equal([2, 1]);
  });

  it('an endpoint failing continuously for 5 days is disabled; a success in between resets the streak', async () => {
    h = await hub();
    const r = (await receiver(h)).always({ status: 500 });
    const ep = await endpoint(h, { url: r.url() });
    const told: EndpointView[] = [];
    h.t.services.webhooks.onEndpointDisabled = async (e) => {
      told.push(e);
    };
    await emit(h);
    await h.t.runJobs();
    const failingSince = h.clock.now().toISOString();
    expect((await api(h, 'get', `/v1/webhooks/endpoints/${ep.id}`).expect(200)).body.failingSince).to.equal(failingSince);

    // Three days on, one success clears the streak.
    r.always({ status: 200 });
    await advance(h, 3 * DAY);
    expect((await api(h, 'get', `/v1/webhooks/endpoints/${ep.id}`).expect(200)).body.failingSince).to.equal(null);
    r.always({ status: 500 });
    await advance(h, 3 * DAY);
    await emit(h, 'io.clarion.notification.sent', 'notif-2');
    await h.t.runJobs();
    const restarted = h.clock.now().toISOString();
    expect((await api(h, 'get', `/v1/webhooks/endpoints/${ep.id}`).expect(200)).body).to.include({ enabled: true, failingSince: restarted });

    // Five days of nothing but failures: disabled.
    await advance(h, 5 * DAY);
    await emit(h, 'io.clarion.notification.sent', 'notif-3');
    await h.t.runJobs();
    const read = await api(h, 'get', `/v1/webhooks/endpoints/${ep.id}`).expect(200);
    expect(read.body.enabled).to.equal(false);
    expect(read.body.disabledReason).to.equal(`every attempt failed since ${restarted} (5 days)`);
    expect(told.map((e) => e.id)).to.deep.equal([ep.id]);
    const audit = await h.t.db.knex('audit_logs').where({ target_id: ep.id, action: 'webhook_endpoint.disabled' });
    expect(audit.map((a) => a.actor)).to.deep.equal(['system']);
  });

  it('a failing onEndpointDisabled hook never undoes the disabling', async () => {
    h = await hub();
    const r = (await receiver(h)).always({ status: 410 });
    const ep = await endpoint(h, { url: r.url() });
    h.t.services.webhooks.onEndpointDisabled = () => {
      throw new Error('notification system down');
    };
    await emit(h);
    await h.t.runJobs();
    expect((await api(h, 'get', `/v1/webhooks/endpoints/${ep.id}`).expect(200)).body.enabled).to.equal(false);
  });

  it('records an SSRF refusal as an attempt with a clear reason and never calls the address', async () => {
    h = await hub({ CLARION_OUTBOUND_ALLOWLIST: '' });
    const r = await receiver(h);
    // A host name passes at creation (it is resolved at each attempt); localhost resolves to loopback.
    const ep = await endpoint(h, { url: `http://localhost:${r.port}/hook` });
    await emit(h);
    await h.t.runJobs();
    expect(r.requests).to.have.length(0);
    const [attempt] = await attempts(h, ep.id);
    expect(attempt).to.include({ outcome: 'blocked', statusCode: null, responseBody: null });
    expect(attempt.error).to.match(/^SSRF guard: refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address; outbound connections only go to public addresses unless CLARION_OUTBOUND_ALLOW_PRIVATE=true or CLARION_OUTBOUND_ALLOWLIST allows it$/);
    expect(attempt.nextRetryAt).to.be.a('string');
    const blocked = await attempts(h, ep.id, '?outcome=blocked');
    expect(blocked).to.have.length(1);
  });

  it('refuses a host name resolving to a private address at delivery time', async () => {
    h = await hub({ CLARION_OUTBOUND_ALLOWLIST: '' });
    const ep = await endpoint(h, { url: 'https://hooks.customer.example/clarion' });
    await emit(h);
    const [job] = await queuedJobs(h.t.db.knex, 'deliver_webhook');
    const lookups: string[] = [];
    const service = new WebhookService({
      knex: h.t.db.knex,
      config: h.t.services.config,
      clock: h.clock,
      log: silentLog,
      lookup: async (host) => {
        lookups.push(host);
        return [{ address: '10.20.30.40', family: 4 }];
      },
    });
    expect(await service.deliver(job.payload as never)).to.equal('retrying');
    expect(lookups).to.deep.equal(['hooks.customer.example']);
    const [attempt] = await attempts(h, ep.id);
    expect(attempt.outcome).to.equal('blocked');
    expect(attempt.error).to.match(/refused: hooks\.customer\.example resolves to 10\.20\.30\.40, a private address/);
  });

  it('records a timeout when the endpoint does not answer in time', async () => {
    h = await hub();
    const r = (await receiver(h)).always({ status: 200, hang: true });
    const ep = await endpoint(h, { url: r.url() });
    await emit(h);
    const [job] = await queuedJobs(h.t.db.knex, 'deliver_webhook');
    const service = new WebhookService({ knex: h.t.db.knex, config: h.t.services.config, clock: h.clock, log: silentLog, timeoutMs: 200 });
    expect(await service.deliver(job.payload as never)).to.equal('retrying');
    expect(r.requests).to.have.length(1);
    const [attempt] = await attempts(h, ep.id);
    expect(attempt).to.include({ outcome: 'timeout', statusCode: null, error: 'no response within 0.2 s' });
  });

  it('records connection failures', async () => {
    h = await hub();
    const r = await receiver(h);
    const url = r.url();
    await r.close();
    h.receivers = [];
    const ep = await endpoint(h, { url });
    await emit(h);
    await h.t.runJobs();
    const [attempt] = await attempts(h, ep.id);
    expect(attempt.outcome).to.equal('network_error');
    expect(attempt.error).to.match(/ECONNREFUSED/);
  });

  it('stores response bodies truncated to 20 KB', async () => {
    h = await hub();
    const r = (await receiver(h)).respond({ status: 500, body: `${'x'.repeat(30_000)}\u0000tail` }, { status: 200, body: 'y'.repeat(20 * 1024) });
    const ep = await endpoint(h, { url: r.url() });
    await emit(h);
    await h.t.runJobs();
    await advance(h, 6 * SECOND);
    const [ok, failed] = await attempts(h, ep.id);
    expect(failed.responseBody).to.equal('x'.repeat(20 * 1024));
    expect(failed.responseBodyTruncated).to.equal(true);
    expect(ok.responseBody).to.have.length(20 * 1024);
    expect(ok.responseBodyTruncated).to.equal(false);
  });

  it('holds an endpoint to its rate limit, sending the rest as their slots come', async () => {
    h = await hub();
    const r = await receiver(h);
    const ep = await endpoint(h, { url: r.url(), rateLimit: 2 });
    for (let i = 1; i <= 5; i += 1) await emit(h, 'io.clarion.notification.sent', `notif-${i}`);
    await h.t.runJobs();
    expect(r.requests, 'a burst of one second of the rate').to.have.length(2);
    const waiting = (await messages(h, ep.id, '?status=pending')).map((m) => Date.parse(m.nextAttemptAt as string) - h!.clock.now().getTime()).sort((a, b) => a - b);
    expect(waiting).to.deep.equal([500, 1000, 1500]);
    await advance(h, 500);
    expect(r.requests).to.have.length(3);
    await advance(h, 500);
    expect(r.requests).to.have.length(4);
    await advance(h, 500);
    expect(r.requests).to.have.length(5);
    expect(new Set(r.requests.map((q) => q.headers['webhook-id'])).size).to.equal(5);
    // Waiting for a slot is not an attempt.
    expect((await messages(h, ep.id)).every((m) => m.attemptCount === 1 && m.status === 'delivered')).to.equal(true);
  });

  it('a deleted endpoint takes its queued messages with it', async () => {
    h = await hub();
    const r = await receiver(h);
    const ep = await endpoint(h, { url: r.url() });
    await emit(h);
    await request(h.t.callback).delete(`/v1/webhooks/endpoints/${ep.id}`).set('authorization', `Bearer ${h.key}`).expect(204);
    await h.t.runJobs();
    expect(r.requests).to.have.length(0);
    expect(await queuedJobs(h.t.db.knex, 'deliver_webhook')).to.deep.equal([]);
    const metrics = await request(h.t.callback).get('/metrics').expect(200);
    expect(metrics.text).to.not.include(`endpoint="${ep.id}"`);
  });

  it('pages attempts and reports per-endpoint stats', async () => {
    h = await hub({ CLARION_METRICS_TENANT_LABELS: 'true' });
    const r = (await receiver(h)).respond({ status: 500 }, { status: 500 });
    const ep = await endpoint(h, { url: r.url() });
    await emit(h);
    await h.t.runJobs();
    await advance(h, 6 * SECOND);
    await advance(h, 6 * MINUTE);
    const first = await api(h, 'get', `/v1/webhooks/endpoints/${ep.id}/attempts?limit=2`).expect(200);
    expect(first.body.items.map((a: { attempt: number }) => a.attempt)).to.deep.equal([3, 2]);
    const second = await api(h, 'get', `/v1/webhooks/endpoints/${ep.id}/attempts?limit=2&cursor=${first.body.nextCursor}`).expect(200);
    expect(second.body.items.map((a: { attempt: number }) => a.attempt)).to.deep.equal([1]);
    expect(second.body.nextCursor).to.equal(null);

    const stats = await api(h, 'get', `/v1/webhooks/endpoints/${ep.id}/stats`).expect(200);
    expect(stats.body.messages).to.deep.equal({ pending: 0, retrying: 0, delivered: 1, failed: 0 });
    expect(stats.body.attempts).to.deep.equal({ total: 3, succeeded: 1, failed: 2, byOutcome: { http_error: 2, success: 1 } });
    expect(stats.body.durationMs.p50).to.be.a('number');
    const bad = await api(h, 'get', `/v1/webhooks/endpoints/${ep.id}/stats?since=whenever`);
    expect(bad.status).to.equal(400);
    const badOutcome = await api(h, 'get', `/v1/webhooks/endpoints/${ep.id}/attempts?outcome=meh`);
    expect(badOutcome.status).to.equal(400);
    expect(badOutcome.body.errors[0].pointer).to.equal('/query/outcome');
    const badCursor = await api(h, 'get', `/v1/webhooks/endpoints/${ep.id}/attempts?cursor=nonsense`);
    expect(badCursor.status).to.equal(400);
    const unknown = await api(h, 'get', '/v1/webhooks/endpoints/00000000-0000-4000-8000-000000000000/attempts');
    expect(unknown.status).to.equal(404);

    // The operator opted in to per-endpoint series.
    const metrics = await request(h.t.callback).get('/metrics').expect(200);
    expect(metrics.text).to.include(`clarion_webhook_attempts_total{endpoint="${ep.id}",outcome="http_error"} 2`);
    expect(metrics.text).to.include(`clarion_webhook_attempts_total{endpoint="${ep.id}",outcome="success"} 1`);
    expect(metrics.text).to.include(`clarion_webhook_messages_finished_total{endpoint="${ep.id}",status="delivered"} 1`);
  });

  it('counts attempts in metrics without endpoint ids unless the operator opts in', async () => {
    h = await hub();
    const scrape = async () => (await request(h!.t.callback).get('/metrics').expect(200)).text;
    const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    const before = await scrape();
    const r = (await receiver(h)).respond({ status: 500 });
    const ep = await endpoint(h, { url: r.url() });
    await emit(h);
    await h.t.runJobs();
    await advance(h, 6 * SECOND);
    const after = await scrape();
    expect(after).to.not.include(ep.id);
    expect(value(after, 'clarion_webhook_attempts_total{outcome="http_error"}') - value(before, 'clarion_webhook_attempts_total{outcome="http_error"}')).to.equal(1);
    expect(value(after, 'clarion_webhook_attempts_total{outcome="success"}') - value(before, 'clarion_webhook_attempts_total{outcome="success"}')).to.equal(1);
    expect(value(after, 'clarion_webhook_messages_queued_total{trigger="event"}') - value(before, 'clarion_webhook_messages_queued_total{trigger="event"}')).to.equal(1);
    expect(value(after, 'clarion_webhook_attempt_duration_seconds_count') - value(before, 'clarion_webhook_attempt_duration_seconds_count')).to.equal(2);
  });
});
