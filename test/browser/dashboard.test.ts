import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { adminUser } from '../support/admin.ts';
import { consoleRig, check, loginAs, type ConsoleRig, type Served } from '../support/browser.ts';
import type { SmtpSink } from '../support/smtp.ts';

/** The dashboard in a real browser: an event posted appears live (server-sent events), in the charts and the explorer. */
describe('admin console in the browser: live dashboard', function () {
  this.timeout(120_000);
  let t: TestApp;
  let served: Served;
  let browser: Browser;
  let sink: SmtpSink;
  let rig: ConsoleRig | undefined;
  let apiKey: string;

  before(async () => {
    t = await testApp({ env: { CLARION_ADMIN_LIVE_MS: '100' } });
    const tenant = await t.tenant('Acme', { acceptUnvalidatedTypes: true });
    apiKey = tenant.apiKey;
    await adminUser(t, tenant.tenantId, 'viewer');
    // Another tenant's traffic never shows on this one's dashboard.
    const other = await t.tenant('Other', { acceptUnvalidatedTypes: true });
    await request(t.callback).post('/v1/events').set('authorization', `Bearer ${other.apiKey}`).set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'other-1', source: '/other', type: 'com.other.thing', data: {} })).expect(202);
    rig = await consoleRig(t);
    ({ sink, served, browser } = rig);
    const api = (method: 'post' | 'put', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${apiKey}`);
    await api('post', '/v1/providers').send({ channel: 'email', adapter: 'smtp', name: 'Loopback', config: { host: '127.0.0.1', port: sink.port, from: 'Acme <no-reply@acme.example>', user: 'u', password: 'secret' } }).expect(201);
    await api('put', '/v1/workflows/order.direct').send({
      trigger: 'com.acme.order.direct', recipients: '/data/recipients', channels: ['email'], templates: { email: { subject: 'Order {{ data.orderId }}', text: 'On its way.' } },
    }).expect(201);
  });
  after(() => (rig ?? t)?.close());

  it('shows a posted event, its notification and delivery as they happen, without a reload', async () => {
    const { context, page } = await loginAs(browser, served.url, 'viewer@acme.example');
    expect(new URL(page.url()).pathname).to.equal('/admin');
    const total = (name: string) => page.locator(`[data-total="${name}"]`).textContent();
    expect(await total('events')).to.equal('0');
    await page.locator('#chart-events canvas').waitFor();
    await check(page, 'dashboard-empty');
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));

    await request(t.callback).post('/v1/events').set('authorization', `Bearer ${apiKey}`).set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'order-1', source: '/shop', type: 'com.acme.order.direct', data: { recipients: [{ id: 'ada', email: 'ada@example.com' }] } })).expect(202);
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } } }).document.querySelector('[data-total="events"]').textContent === '1');
    await t.runJobsUntilIdle();
    await sink.mailTo('ada@example.com');
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } } }).document.querySelector('[data-total="deliveries"]').textContent === '1');
    expect(await total('notifications')).to.equal('1');
    expect(navigations, 'the page was not reloaded').to.deep.equal([]);
    // The provider table is the server-rendered one: reload for it, with the failure rate and latency.
    await page.reload();
    const row = page.locator('#providers-table tbody tr', { hasText: 'Loopback' });
    expect(await row.textContent()).to.match(/email\s*1\s*0(\.0)? %\s*\d+ ms\s*\d+ ms/);
    await check(page, 'dashboard');
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    expect(await page.locator('tbody tr').count()).to.equal(1);
    await context.close();
  });

  it('streams snapshots as server-sent events, to a session only', async () => {
    await request(t.callback).get('/admin/dashboard/stream').expect(303);
    const res = await request(t.callback).get('/admin/dashboard/stream').set('accept', 'application/json').expect(401);
    expect(res.body.code).to.equal('CLARION_ERR_ADMIN_SESSION_REQUIRED');
  });
});
