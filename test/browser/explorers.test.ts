import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { adminUser } from '../support/admin.ts';
import { consoleRig, check, loginAs, visit, type ConsoleRig, type Served } from '../support/browser.ts';
import type { SmtpSink } from '../support/smtp.ts';

/** The explorers in a real browser: an event, its notification and attempts; a dead letter requeued; a viewer refused. */
describe('admin console in the browser: explorers and dead letters', function () {
  this.timeout(120_000);
  let t: TestApp;
  let served: Served;
  let browser: Browser;
  let sink: SmtpSink;
  let rig: ConsoleRig | undefined;
  let apiKey: string;
  let seq = 0;
  const api = (method: 'get' | 'post' | 'put', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${apiKey}`);
  const post = async (email: string) => {
    const res = await api('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `order-${++seq}`, source: '/shop', type: 'com.acme.order.direct', data: { orderId: `A-${seq}`, recipients: [{ id: `r${seq}`, email }] } })).expect(202);
    return res.body.accepted[0].eventId as string;
  };

  before(async () => {
    t = await testApp({ env: { CLARION_RETRY_SCHEDULE_NORMAL: '1ms', CLARION_CIRCUIT_THRESHOLD: '100' } });
    const tenant = await t.tenant('Acme', { acceptUnvalidatedTypes: true });
    apiKey = tenant.apiKey;
    await adminUser(t, tenant.tenantId, 'owner');
    await adminUser(t, tenant.tenantId, 'viewer');
    rig = await consoleRig(t);
    ({ sink, served, browser } = rig);
    await api('post', '/v1/providers').send({ channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'Acme <no-reply@acme.example>', user: 'u', password: 'secret' } }).expect(201);
    await api('put', '/v1/workflows/order.direct').send({
      trigger: 'com.acme.order.direct', category: 'orders', priority: 'normal', recipients: '/data/recipients', channels: ['email'],
      templates: { email: { subject: 'Order {{ data.orderId }}', text: 'Your order {{ data.orderId }} is on its way.' } },
    }).expect(201);
  });
  after(() => (rig ?? t)?.close());

  it('shows a posted event, its notification, every attempt and status change', async () => {
    const eventId = await post('ada@example.com');
    await t.runJobsUntilIdle();
    await sink.mailTo('ada@example.com');
    const { context, page } = await loginAs(browser, served.url, 'owner@acme.example');
    await visit(page, '/admin/events', 'events');
    await page.getByRole('link', { name: /\d{4}-\d{2}-\d{2}/ }).first().click();
    expect(page.url()).to.match(new RegExp(`/admin/events/${eventId}$`));
    await check(page, 'event');
    expect(await page.textContent('pre')).to.include('"orderId": "A-1"');
    await page.getByRole('link', { name: 'r1' }).click();
    await check(page, 'notification');
    const attempts = page.getByRole('table', { name: 'Attempts' });
    expect(await attempts.textContent()).to.match(/smtp\s*success/);
    expect(await page.getByRole('table', { name: 'Status changes of the notification' }).textContent()).to.include('pending → sent');
    await page.getByRole('link', { name: 'email' }).click();
    await check(page, 'delivery');
    await visit(page, '/admin/notifications?status=sent', 'notifications');
    expect(await page.locator('tbody tr').count()).to.equal(1);
    await visit(page, '/admin/deliveries', 'deliveries');
    await context.close();
  });

  it('posts an event from the console like the REST API; bad data is refused, keeping what was typed', async () => {
    const { context, page } = await loginAs(browser, served.url, 'owner@acme.example');
    await page.goto('/admin/events');
    await page.getByLabel('Event type').fill('com.acme.order.direct');
    await page.getByLabel('Data (JSON)').fill('{"orderId": "C-1", "recipients": [{"id": "cleo", "email": "cleo@example.com"}');
    await page.getByRole('button', { name: 'Post event' }).click();
    expect(await page.getByRole('alert').textContent()).to.include('The data is not valid JSON');
    expect(await page.getByLabel('Data (JSON)').inputValue()).to.include('"C-1"');
    await page.getByLabel('Data (JSON)').fill('{"orderId": "C-1", "note": "\\u0000"}');
    await page.getByRole('button', { name: 'Post event' }).click();
    expect(await page.getByRole('alert').textContent()).to.include('/data/note');
    expect(await page.getByLabel('Data (JSON)').inputValue()).to.include('"note"');
    await page.getByLabel('Data (JSON)').fill('{"orderId": "C-1", "recipients": [{"id": "cleo", "email": "cleo@example.com"}]}');
    await page.getByLabel('CloudEvent id (empty: a new one)').fill('console-order-c1');
    await page.getByRole('button', { name: 'Post event' }).click();
    await page.waitForURL(/\/admin\/events\/[0-9a-f-]{36}$/);
    expect(await page.getByRole('status').textContent()).to.include('Event accepted.');
    await t.runJobsUntilIdle();
    expect((await sink.mailTo('cleo@example.com')).subject).to.equal('Order C-1');
    // The same id again is a duplicate, not a second notification.
    await page.goto('/admin/events');
    await page.getByLabel('Event type').fill('com.acme.order.direct');
    await page.getByLabel('CloudEvent id (empty: a new one)').fill('console-order-c1');
    await page.getByLabel('Data (JSON)').fill('{"orderId": "C-1", "recipients": []}');
    await page.getByRole('button', { name: 'Post event' }).click();
    expect(await page.getByRole('status').textContent()).to.include('received before');
    // A viewer is refused by the server.
    await context.close();
    const viewer = await loginAs(browser, served.url, 'viewer@acme.example');
    await viewer.page.goto('/admin/events');
    await viewer.page.evaluate("document.querySelectorAll('button[disabled]').forEach((b) => b.removeAttribute('disabled'))");
    await viewer.page.getByLabel('Event type').fill('com.acme.order.direct');
    const [refused] = await Promise.all([viewer.page.waitForResponse((r) => r.url().endsWith('/admin/events') && r.request().method() === 'POST'), viewer.page.getByRole('button', { name: 'Post event' }).click()]);
    expect(refused.status()).to.equal(403);
    await viewer.context.close();
  });

  it('refuses a bad filter with the field named', async () => {
    const { context, page } = await loginAs(browser, served.url, 'viewer@acme.example');
    const response = await page.goto('/admin/notifications?status=nope');
    expect(response?.status()).to.equal(400);
    expect(await page.textContent('main')).to.match(/\/query\/status\s*must be one of pending/);
    await check(page, 'error-400');
    await context.close();
  });

  it('requeues a dead letter chosen in the list; the email then arrives', async () => {
    for (let i = 0; i < 4; i++) sink.replies.push({ code: 421, message: 'Service not available' });
    await post('erin@example.com');
    await t.runJobsUntilIdle();
    const dead = await t.services.views.deliveries((await t.db.knex('tenants').first('id')).id, { limit: 10, status: 'dead' });
    expect(dead.items).to.have.length(1);
    sink.replies.length = 0;
    const { context, page } = await loginAs(browser, served.url, 'owner@acme.example');
    await visit(page, '/admin/dead-letters', 'dead-letters');
    await page.getByLabel(`Select delivery ${dead.items[0].id}`).check();
    await page.getByRole('button', { name: 'Requeue selected' }).click();
    await page.waitForURL('**/admin/dead-letters');
    expect(await page.getByRole('status').textContent()).to.include('1 requeued.');
    await t.runJobsUntilIdle();
    expect((await sink.mailTo('erin@example.com')).subject).to.equal('Order A-2');
    await page.goto(`/admin/deliveries/${dead.items[0].id}`);
    expect(await page.textContent('main')).to.match(/delivery\.requeued/);
    await context.close();
  });

  it('lets a viewer look but not requeue: the server refuses the form even with the button enabled', async () => {
    for (let i = 0; i < 4; i++) sink.replies.push({ code: 421, message: 'Service not available' });
    await post('finn@example.com');
    await t.runJobsUntilIdle();
    sink.replies.length = 0;
    const { context, page } = await loginAs(browser, served.url, 'viewer@acme.example');
    await visit(page, '/admin/dead-letters', 'dead-letters-viewer');
    const button = page.getByRole('button', { name: 'Requeue selected' });
    expect(await button.isDisabled()).to.equal(true);
    // As an attacker would: enable the button and send the form anyway.
    await page.evaluate("document.querySelectorAll('button[disabled]').forEach((b) => b.removeAttribute('disabled'))");
    await page.locator('input[name="id"]').first().check();
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/dead-letters/requeue')), button.click()]);
    expect(response.status()).to.equal(403);
    expect(await page.textContent('main')).to.include('Your role (viewer) does not allow this');
    const still = await t.db.knex('deliveries').where({ status: 'dead' }).count('* as n').first();
    expect(Number(still!.n)).to.equal(1);
    await context.close();
  });
});
