import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { ManualClock } from '../support/clock.ts';


const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * The pipeline plugins through the API with real (sandbox) deliveries: workflows enable plugins,
 * events go in, the outbox shows what went out and the notification explains why.
 */
describe('pipeline plugins (integration)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let clock: ManualClock;
  let key: string;
  let tenantId: string;
  let seq = 0;

  const call = (method: 'get' | 'put' | 'post', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

  /** Moves the clock and runs every job that has become due on it. */
  async function advance(ms: number) {
    clock.advance(ms);
    await t.runJobsDueBy(clock.now());
  }

  async function post(type: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await request(t.callback)
      .post('/v1/events')
      .set('authorization', `Bearer ${key}`)
      .set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `evt-${++seq}`, source: '/test', type, data, ...extra }))
      .expect(202);
    await t.runJobs();
    return res.body.accepted[0].eventId;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies, asserted field by field
  async function notificationOf(eventId: string, subscriber?: string): Promise<Record<string, any>> {
    const event = await call('get', `/v1/events/${eventId}`).expect(200);
    const summary = subscriber ? event.body.notifications.find((n: { subscriberId: string }) => n.subscriberId === subscriber) : event.body.notifications[0];
    return (await call('get', `/v1/notifications/${summary.id}`).expect(200)).body;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function outbox(channel: string, to: string): Promise<Array<Record<string, any>>> {
    return (await call('get', `/v1/outbox?channel=${channel}&to=${encodeURIComponent(to)}`).expect(200)).body.items;
  }

  async function workflow(name: string, definition: Record<string, unknown>) {
    const res = await call('put', `/v1/workflows/${name}`).send(definition);
    expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 201]);
  }

  before(async () => {
    clock = new ManualClock();
    t = await testApp({ clock, env: { CLARION_DEFAULT_SANDBOX: 'true', CLARION_PUBLIC_URL: 'https://clarion.example.com' } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
  });
  after(() => t?.close());

  it('refuses unknown plugins and invalid options at workflow save', async () => {
    const res = await call('put', '/v1/workflows/bad').send({ trigger: 'com.acme.bad', channels: ['email'], plugins: { 'rate-limit': { limits: [{ channel: 'fax', max: 0 }] }, nope: {} } }).expect(422);
    const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).to.include('/plugins/nope');
    expect(pointers.some((p: string) => p.startsWith('/plugins/rate-limit/limits/0'))).to.equal(true);
  });

  describe('preferences and one-click unsubscribe', () => {
    before(() =>
      workflow('order.shipped', {
        trigger: 'com.acme.order.shipped', category: 'orders', channels: ['email'], recipients: '/data/recipients',
        plugins: { preferences: {} },
        templates: { email: { subject: 'Order {{ data.orderId }} shipped', text: 'Order {{ data.orderId }} is on its way. Unsubscribe: {{ notification.unsubscribeUrl }}' } },
      }),
    );

    it('puts List-Unsubscribe headers and a signed link in the email; the link unsubscribes without a login', async () => {
      await post('com.acme.order.shipped', { orderId: 'A-1', recipients: [{ id: 'ada', email: 'ada@example.com' }] });
      const [mail] = await outbox('email', 'ada@example.com');
      expect(mail.headers['List-Unsubscribe-Post']).to.equal('List-Unsubscribe=One-Click');
      const url = /^<(https:\/\/clarion\.example\.com\/v1\/links\/unsubscribe\/[^>]+)>$/.exec(mail.headers['List-Unsubscribe'])![1];
      expect(mail.content.text).to.include(url);
      const path = url.slice('https://clarion.example.com'.length);

      // A changed claim (another subscriber) keeps the signature of the original: refused, nothing changes.
      const [body, mac] = path.split('/').at(-1)!.split('.');
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
      const tampered = `/v1/links/unsubscribe/${Buffer.from(JSON.stringify({ ...claims, s: 'bob' })).toString('base64url')}.${mac}`;
      const refused = await request(t.callback).post(tampered).type('form').send('List-Unsubscribe=One-Click').expect(403);
      expect(refused.body.code).to.equal('CLARION_ERR_LINK_INVALID');
      await request(t.callback).get(tampered).expect(403).expect('content-type', /html/);
      await request(t.callback).post(`${path.slice(0, -2)}xx`).type('form').send('List-Unsubscribe=One-Click').expect(403);
      expect((await call('get', '/v1/subscribers/ada/preferences').expect(200)).body.settings).to.deep.equal({});

      // GET only shows a confirmation page (mail scanners prefetch links).
      const page = await request(t.callback).get(path).expect(200).expect('content-type', /html/);
      expect(page.text).to.include('orders notifications by email');
      expect((await call('get', '/v1/subscribers/ada/preferences').expect(200)).body.settings).to.deep.equal({});

      // RFC 8058: the mail client POSTs List-Unsubscribe=One-Click.
      await request(t.callback).post(path).type('form').send('List-Unsubscribe=One-Click').expect(200);
      const prefs = (await call('get', '/v1/subscribers/ada/preferences').expect(200)).body;
      expect(prefs.settings).to.deep.equal({ categories: { orders: { email: false } } });
      expect(prefs.workflows.find((w: { workflow: string }) => w.workflow === 'order.shipped').channels.email).to.deep.include({ enabled: false });

      const eventId = await post('com.acme.order.shipped', { orderId: 'A-2', recipients: ['ada'] });
      const notification = await notificationOf(eventId);
      expect(notification.status).to.equal('suppressed');
      expect(notification.decisions[0]).to.deep.include({ plugin: 'preferences', decision: 'suppress', reason: 'opted_out' });
      expect(notification.decisions[0].details.channels.email.source).to.deep.include({ scope: 'subscriber', rule: 'categories.orders.email' });
      expect(await outbox('email', 'ada@example.com')).to.have.length(1);
    });

    it('applies scopes through the API: tenant off, team back on, subscriber off again', async () => {
      await call('put', '/v1/subscribers/cy').send({ email: 'cy@example.com', teams: ['ops'] }).expect(201);
      await call('put', '/v1/preferences/tenant/default').send({ settings: { categories: { orders: { enabled: false } } } }).expect(200);
      let eventId = await post('com.acme.order.shipped', { orderId: 'B-1', recipients: ['cy'] });
      expect((await notificationOf(eventId)).decisions[0].details.channels.email.source).to.deep.include({ scope: 'tenant', scopeId: tenantId });

      await call('put', '/v1/preferences/team/ops').send({ settings: { categories: { orders: { email: true } } } }).expect(200);
      eventId = await post('com.acme.order.shipped', { orderId: 'B-2', recipients: ['cy'] });
      expect((await notificationOf(eventId)).status).to.be.oneOf(['sent', 'delivered']);

      await call('put', '/v1/subscribers/cy/preferences').send({ settings: { workflows: { 'order.shipped': { enabled: false } } } }).expect(200);
      eventId = await post('com.acme.order.shipped', { orderId: 'B-3', recipients: ['cy'] });
      expect((await notificationOf(eventId)).status).to.equal('suppressed');
      expect((await outbox('email', 'cy@example.com')).map((m) => m.content.subject)).to.deep.equal(['Order B-2 shipped']);
      await call('put', '/v1/preferences/tenant/default').send({ settings: {} }).expect(200);
    });

    it('refuses invalid settings with pointers and unknown scopes', async () => {
      const res = await call('put', '/v1/preferences/team/ops').send({ settings: { channels: { fax: true }, quietHours: { start: '9am', end: '07:00' } } }).expect(422);
      expect(res.body.code).to.equal('CLARION_ERR_PREFERENCE_INVALID');
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer).join(' ')).to.include('/settings/quietHours');
      await call('put', '/v1/preferences/galaxy/x').send({ settings: {} }).expect(400);
      await call('put', '/v1/subscribers/nobody/preferences').send({ settings: {} }).expect(404);
    });
  });

  it('dedup: a repeat of the same subject inside the window is suppressed as duplicate', async () => {
    await workflow('ticket.updated', {
      trigger: 'com.acme.ticket.updated', channels: ['email'], recipients: '/data/recipients', plugins: { dedup: { windowSeconds: 600 } },
      templates: { email: { subject: 'Ticket {{ event.subject }} updated', text: 'Updated.' } },
    });
    const first = await post('com.acme.ticket.updated', { recipients: [{ id: 'dee', email: 'dee@example.com' }] }, { subject: 'T-1' });
    const second = await post('com.acme.ticket.updated', { recipients: ['dee'] }, { subject: 'T-1' });
    const other = await post('com.acme.ticket.updated', { recipients: ['dee'] }, { subject: 'T-2' });
    const firstN = await notificationOf(first);
    const secondN = await notificationOf(second);
    expect(firstN.status).to.be.oneOf(['sent', 'delivered']);
    expect(secondN.status).to.equal('suppressed');
    expect(secondN.decisions[0]).to.deep.include({ plugin: 'dedup', reason: 'duplicate' });
    expect(secondN.decisions[0].details.duplicateOf).to.equal(firstN.id);
    expect((await notificationOf(other)).status).to.be.oneOf(['sent', 'delivered']);
    clock.advance(11 * MINUTE);
    expect((await notificationOf(await post('com.acme.ticket.updated', { recipients: ['dee'] }, { subject: 'T-1' }))).status).to.be.oneOf(['sent', 'delivered']);
  });

  it('rate-limit: at most 3 SMS an hour, the fourth is suppressed', async () => {
    await workflow('alert.raised', {
      trigger: 'com.acme.alert.raised', channels: ['sms'], recipients: '/data/recipients',
      plugins: { 'rate-limit': { limits: [{ channel: 'sms', max: 3, windowSeconds: 3600 }] } },
      templates: { sms: { text: 'Alert {{ data.n }}' } },
    });
    const ids = [];
    for (let n = 1; n <= 4; n++) ids.push(await post('com.acme.alert.raised', { n, recipients: [{ id: 'eve', phone: '+14155550100' }] }));
    const sms = await outbox('sms', '+14155550100');
    expect(sms.map((m) => m.content.text).sort()).to.deep.equal(['Alert 1', 'Alert 2', 'Alert 3']);
    const fourth = await notificationOf(ids[3]);
    expect(fourth.status).to.equal('suppressed');
    // The subscribers' preferences run first (by default); then this plugin decided.
    expect(fourth.decisions.find((d: { plugin: string }) => d.plugin === 'rate-limit')).to.deep.include({ plugin: 'rate-limit', decision: 'suppress', reason: 'rate_limited' });
    expect(fourth.decisions.find((d: { plugin: string }) => d.plugin === 'rate-limit').details.caps.sms).to.include({ max: 3, sent: 3 });
    // An hour later there is room again.
    clock.advance(HOUR);
    expect((await notificationOf(await post('com.acme.alert.raised', { n: 5, recipients: ['eve'] }))).status).to.be.oneOf(['sent', 'delivered']);
  });

  it('quiet hours: deferred to the end of the local night, then delivered', async () => {
    await workflow('report.ready', {
      trigger: 'com.acme.report.ready', channels: ['email'], recipients: '/data/recipients', plugins: { 'quiet-hours': {} },
      templates: { email: { subject: 'Report ready', text: 'Ready.' } },
    });
    await call('put', '/v1/subscribers/fay').send({ email: 'fay@example.com', timezone: 'Asia/Tokyo' }).expect(201);
    // A window around the test clock's current local time, one hour long.
    const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(clock.now());
    const [h] = local.split(':').map(Number);
    const pad = (n: number) => String((n + 24) % 24).padStart(2, '0');
    await call('put', '/v1/subscribers/fay/preferences').send({ settings: { quietHours: { start: `${pad(h)}:00`, end: `${pad(h + 1)}:00` } } }).expect(200);
    const eventId = await post('com.acme.report.ready', { recipients: ['fay'] });
    const held = await notificationOf(eventId);
    expect(held.status).to.equal('scheduled');
    // The subscribers' preferences run first (by default); then this plugin decided.
    expect(held.decisions.find((d: { plugin: string }) => d.plugin === 'quiet-hours')).to.deep.include({ plugin: 'quiet-hours', decision: 'defer', reason: 'quiet_hours' });
    expect(held.decisions.find((d: { plugin: string }) => d.plugin === 'quiet-hours').details.window.timezone).to.equal('Asia/Tokyo');
    expect(await outbox('email', 'fay@example.com')).to.have.length(0);
    await advance(HOUR);
    expect(await outbox('email', 'fay@example.com')).to.have.length(1);
    expect((await notificationOf(eventId)).status).to.be.oneOf(['sent', 'delivered']);
  });

  it('digest: five low-priority events become one email listing five items', async () => {
    await workflow('issue.commented', {
      trigger: 'com.acme.issue.commented', priority: 'low', channels: ['email'], recipients: '/data/recipients', plugins: { digest: { windowSeconds: 3600 } },
      templates: { email: { subject: 'New comment on {{ data.issue }}', text: 'A comment.' } },
    });
    const ids = [];
    for (let n = 1; n <= 5; n++) {
      ids.push(await post('com.acme.issue.commented', { issue: `OPS-${n}`, recipients: [{ id: 'gus', name: 'Gus', email: 'gus@example.com' }] }));
      clock.advance(MINUTE);
    }
    const batched = await notificationOf(ids[0]);
    expect(batched.status).to.equal('batched');
    // The subscribers' preferences run first (by default); then this plugin decided.
    expect(batched.decisions.find((d: { plugin: string }) => d.plugin === 'digest')).to.deep.include({ plugin: 'digest', decision: 'batch', reason: 'digested' });
    expect(await outbox('email', 'gus@example.com')).to.have.length(0);
    const [job] = (await t.db.knex.raw(`select key, run_at from graphile_worker.jobs where task_identifier = 'send_digest'`)).rows;
    expect(new Date(job.run_at).getTime(), 'the window starts at the first item (preserve_run_at)').to.be.below(clock.now().getTime() + HOUR - 4 * MINUTE + 1000);

    await advance(HOUR);
    const mails = await outbox('email', 'gus@example.com');
    expect(mails).to.have.length(1);
    const text: string = mails[0].content.text;
    for (let n = 1; n <= 5; n++) expect(text).to.include(`New comment on OPS-${n}`);
    expect(text).to.match(/5 (items|updates|notifications)/i);
  });

  describe('escalation', () => {
    before(() =>
      workflow('incident.opened', {
        trigger: 'com.acme.incident.opened', priority: 'high', channels: ['email'], recipients: '/data/recipients',
        plugins: { escalation: { steps: [{ delaySeconds: 0, channels: ['email'] }, { delaySeconds: 300, channels: ['sms'] }, { delaySeconds: 900, channels: ['sms'], recipients: ['oncall'] }] } },
        templates: { email: { subject: 'Incident {{ data.id }}', text: 'Acknowledge: {{ notification.ackUrl }}' }, sms: { text: 'Incident {{ data.id }}: {{ notification.ackUrl }}' } },
      }),
    );

    it('reaches SMS after its delay with no acknowledgement, then the on-call list', async () => {
      await call('put', '/v1/subscribers/oncall').send({ phone: '+14155550199' }).expect(201);
      const eventId = await post('com.acme.incident.opened', { id: 'INC-1', recipients: [{ id: 'hal', email: 'hal@example.com', phone: '+14155550111' }] });
      expect(await outbox('email', 'hal@example.com')).to.have.length(1);
      expect(await outbox('sms', '+14155550111')).to.have.length(0);
      await advance(4 * MINUTE);
      expect(await outbox('sms', '+14155550111')).to.have.length(0);
      await advance(MINUTE);
      const [sms] = await outbox('sms', '+14155550111');
      expect(sms.content.text).to.match(/^Incident INC-1: https:\/\/clarion\.example\.com\/v1\/links\/ack\//);
      let notification = await notificationOf(eventId, 'hal');
      expect(notification.escalation.steps.map((s: { status: string }) => s.status)).to.deep.equal(['fired', 'fired', 'pending']);
      await advance(10 * MINUTE);
      expect(await outbox('sms', '+14155550199')).to.have.length(1);
      notification = await notificationOf(eventId, 'hal');
      expect(notification.escalation.steps[2]).to.include({ status: 'fired' });
    });

    it('stops after an acknowledgement through the API', async () => {
      const eventId = await post('com.acme.incident.opened', { id: 'INC-2', recipients: [{ id: 'ivy', email: 'ivy@example.com', phone: '+14155550122' }] });
      const { id } = await notificationOf(eventId);
      const ack = await call('post', `/v1/notifications/${id}/ack`).expect(200);
      expect(ack.body).to.include({ acknowledged: true, changed: true });
      expect((await call('post', `/v1/notifications/${id}/ack`).expect(200)).body.changed).to.equal(false);
      await advance(20 * MINUTE);
      expect(await outbox('sms', '+14155550122')).to.have.length(0);
      const notification = await notificationOf(eventId);
      expect(notification.status).to.equal('acknowledged');
      expect(notification.escalation.steps.map((s: { status: string }) => s.status)).to.deep.equal(['fired', 'cancelled', 'cancelled']);
    });

    it('stops after an acknowledgement through the signed link of the email', async () => {
      const eventId = await post('com.acme.incident.opened', { id: 'INC-3', recipients: [{ id: 'jo', email: 'jo@example.com', phone: '+14155550133' }] });
      const [mail] = await outbox('email', 'jo@example.com');
      const path = /https:\/\/clarion\.example\.com(\/v1\/links\/ack\/\S+)/.exec(mail.content.text)![1];
      await request(t.callback).get(path).expect(200).expect('content-type', /html/);
      expect((await notificationOf(eventId)).status).to.not.equal('acknowledged');
      await request(t.callback).post(path).expect(200);
      expect((await notificationOf(eventId)).acknowledgedAt).to.be.a('string');
      await advance(20 * MINUTE);
      expect(await outbox('sms', '+14155550133')).to.have.length(0);
    });

    it('skips a step `unless: read` once the in-app copy was read, and still fires the others (reading is not acknowledging)', async () => {
      await workflow('alert.raised', {
        trigger: 'com.acme.alert.raised', channels: ['in_app', 'sms'], recipients: '/data/recipients',
        plugins: { escalation: { steps: [{ delaySeconds: 0, channels: ['in_app'] }, { delaySeconds: 300, channels: ['sms'], unless: 'read' }, { delaySeconds: 600, channels: ['sms'], recipients: ['oncall'] }] } },
        templates: { in_app: { title: 'Alert {{ data.id }}', body: 'Look at it.' }, sms: { text: 'Alert {{ data.id }}' } },
      });
      const paged = (await outbox('sms', '+14155550199')).length;
      const eventId = await post('com.acme.alert.raised', { id: 'AL-1', recipients: [{ id: 'kim', phone: '+14155550144' }] });
      const token = (await call('post', '/v1/subscribers/kim/inbox-token').send({}).expect(201)).body.token;
      const inbox = (await request(t.callback).get('/v1/inbox').set('authorization', `Bearer ${token}`).expect(200)).body.items;
      expect(inbox.map((i: { title: string }) => i.title)).to.deep.equal(['Alert AL-1']);
      await request(t.callback).patch(`/v1/inbox/${inbox[0].id}`).set('authorization', `Bearer ${token}`).send({ read: true }).expect(200);
      await advance(11 * MINUTE);
      expect(await outbox('sms', '+14155550144'), 'read in time: no SMS').to.have.length(0);
      const notification = await notificationOf(eventId);
      expect(notification.escalation.steps.map((s: { status: string; reason?: string }) => [s.status, s.reason ?? null])).to.deep.equal([['fired', null], ['cancelled', 'read'], ['fired', null]]);
      expect(await outbox('sms', '+14155550199'), 'the on-call step has no unless').to.have.length(paged + 1);
    });

    it('refuses an unknown `unless`', async () => {
      const res = await call('put', '/v1/workflows/alert.bad').send({
        trigger: 'com.acme.alert.bad', channels: ['in_app'], recipients: '/data/recipients',
        plugins: { escalation: { steps: [{ delaySeconds: 0, channels: ['in_app'], unless: 'seen' }] } },
        templates: { in_app: { title: 'x', body: 'y' } },
      }).expect(422);
      expect(JSON.stringify(res.body.errors)).to.include('/plugins/escalation/steps/0/unless');
    });
  });
});
