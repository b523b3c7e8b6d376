import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { adminUser } from '../support/admin.ts';
import { check, launch, loginAs, serve, visit, type Served } from '../support/browser.ts';
import { Receiver } from '../integration/webhooks-receiver.ts';

/** Webhook endpoints, API keys, the audit log, the sandbox outbox and preferences, in a real browser. */
describe('admin console in the browser: webhooks, API keys, audit, outbox, preferences', function () {
  this.timeout(120_000);
  let t: TestApp;
  let served: Served;
  let browser: Browser;
  let receiver: Receiver;
  let apiKey: string;
  let context: BrowserContext;
  let page: Page;
  let seq = 0;
  const api = (method: 'get' | 'post' | 'put', url: string, key = apiKey) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const post = async () => {
    await api('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `o-${++seq}`, source: '/shop', type: 'com.acme.order.direct', data: { orderId: `A-${seq}`, recipients: [{ id: `r${seq}`, email: `r${seq}@example.com` }] } })).expect(202);
    await t.runJobsUntilIdle();
  };
  const secretShown = async () => (await page.locator('code.secret').textContent())!.trim();

  before(async () => {
    // No email provider: the sandbox records the messages in the outbox.
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true' } });
    const tenant = await t.tenant('Acme', { acceptUnvalidatedTypes: true });
    apiKey = tenant.apiKey;
    await adminUser(t, tenant.tenantId, 'owner');
    await adminUser(t, tenant.tenantId, 'viewer');
    await api('put', '/v1/workflows/order.direct').send({
      trigger: 'com.acme.order.direct', category: 'orders', recipients: '/data/recipients', channels: ['email'],
      templates: { email: { subject: 'Order {{ data.orderId }}', text: 'Your order {{ data.orderId }} is on its way.' } },
    }).expect(201);
    receiver = await Receiver.start();
    served = await serve(t);
    browser = await launch();
    ({ context, page } = await loginAs(browser, served.url, 'owner@acme.example'));
    page.on('dialog', (d) => d.accept());
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await served?.close();
    await receiver?.close();
    await t.services.delivery.close();
    await t?.close();
  });

  it('creates a webhook endpoint (secret shown once) that receives signed events; replays, disables, rotates, deletes', async () => {
    await visit(page, '/admin/webhooks', 'webhooks-empty');
    await page.getByLabel('URL').fill('http://169.254.169.254/latest/meta-data');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.waitForURL('**/admin/webhooks');
    expect(await page.getByRole('alert').textContent()).to.match(/not allowed|private|metadata|refused/i);

    await page.getByLabel('URL').fill(receiver.url());
    await page.getByLabel('Description').fill('Order system');
    await page.getByLabel(/^Event types/).fill('io.clarion.notification.*');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.waitForURL(/\/admin\/webhooks\/[0-9a-f-]{36}$/);
    const secret = await secretShown();
    expect(secret).to.match(/^whsec_/);
    await check(page, 'webhook');
    await page.reload();
    expect(await page.locator('code.secret').count()).to.equal(0);

    await post();
    expect(receiver.requests.length).to.be.greaterThan(0);
    const first = Receiver.verify(secret, receiver.requests[0]);
    expect(first.type).to.match(/^io\.clarion\.notification\./);
    await page.reload();
    const messages = page.getByRole('table', { name: 'Messages' });
    expect(await messages.textContent()).to.include('delivered');
    expect(await page.getByRole('table', { name: 'Attempts' }).textContent()).to.include('200');

    const count = receiver.requests.length;
    await messages.getByRole('button', { name: /^Replay message/ }).first().click();
    await page.waitForURL(/\/admin\/webhooks\/[0-9a-f-]{36}$/);
    expect(await page.getByRole('status').textContent()).to.match(/Message .* replayed\./);
    await t.runJobsUntilIdle();
    expect(receiver.requests.length).to.equal(count + 1);

    await page.getByLabel('Send again every failed message since').fill('not a date');
    await page.getByRole('button', { name: 'Recover' }).click();
    expect(await page.getByRole('alert').textContent()).to.match(/since/);

    await page.getByRole('button', { name: 'Disable' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Endpoint disabled.');
    await post();
    expect(receiver.requests.length).to.equal(count + 1);
    await page.getByRole('button', { name: 'Enable' }).click();

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = await secretShown();
    expect(rotated).to.match(/^whsec_/).and.not.equal(secret);

    await page.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.waitForURL('**/admin/webhooks');
    expect(await page.textContent('tbody')).to.include('No endpoints.');
  });

  it('creates an API key shown once, which works until it is revoked', async () => {
    await visit(page, '/admin/api-keys', 'api-keys');
    await page.getByLabel('Name').fill('ci');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.waitForURL('**/admin/api-keys');
    const key = await secretShown();
    await api('get', '/v1/workflows', key).expect(200);
    expect(await page.textContent('tbody')).to.include(key.slice(0, 8));
    expect(await page.textContent('tbody')).to.not.include(key);
    await page.getByRole('button', { name: 'Revoke ci' }).click();
    expect(await page.getByRole('status').textContent()).to.include('API key ci revoked.');
    await api('get', '/v1/workflows', key).expect(401);
  });

  it('shows the audit log with filters', async () => {
    await visit(page, '/admin/audit?action=api_key.revoked', 'audit');
    const rows = page.locator('tbody tr');
    expect(await rows.count()).to.equal(1);
    expect(await rows.first().textContent()).to.match(/admin:[0-9a-f-]{36}.*api_key\.revoked/s);
    await page.goto('/admin/audit?action=nothing.like.this');
    expect(await page.textContent('tbody')).to.include('Nothing recorded.');
  });

  it('shows what the sandbox recorded in the outbox', async () => {
    await visit(page, '/admin/outbox', 'outbox');
    expect(await page.textContent('main')).to.include('Your order A-1 is on its way.');
    await page.goto('/admin/outbox?to=r2%40example.com');
    expect(await page.locator('section.card').count()).to.equal(1);
    expect(await page.textContent('main')).to.include('Order A-2');
  });

  it('saves preferences at a scope, refusing bad JSON and bad settings without losing the stored ones', async () => {
    await visit(page, '/admin/preferences', 'preferences');
    await page.getByLabel(/^Settings/).fill('{"categories": {"orders": {"sms": false}}}');
    await page.getByRole('button', { name: 'Save preferences' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Preferences saved.');
    expect((await api('get', `/v1/preferences/tenant/${(await t.db.knex('tenants').first('id')).id}`).expect(200)).body.settings).to.deep.equal({ categories: { orders: { sms: false } } });

    await page.getByLabel(/^Settings/).fill('{"categories": ');
    await page.getByRole('button', { name: 'Save preferences' }).click();
    expect(await page.getByRole('alert').textContent()).to.include('The settings are not valid JSON');
    await page.getByLabel(/^Settings/).fill('{"quietHours": {"start": "25:00"}}');
    await page.getByRole('button', { name: 'Save preferences' }).click();
    expect(await page.getByRole('alert').textContent()).to.match(/quietHours/);
    expect(await page.getByLabel(/^Settings/).inputValue()).to.include('"sms": false');

    await page.locator('select#scope').selectOption('subscriber');
    await page.getByLabel('Team, project or subscriber id').fill('r1');
    await page.getByRole('button', { name: 'Show' }).click();
    await check(page, 'preferences-subscriber');
    await page.getByLabel(/^Settings/).fill('{"channels": {"email": false}}');
    await page.getByRole('button', { name: 'Save preferences' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Preferences saved.');
  });

  it('lets a viewer see every page but change nothing: the server refuses', async () => {
    const viewer = await loginAs(browser, served.url, 'viewer@acme.example');
    for (const [path, name] of [['/admin/webhooks', 'webhooks-viewer'], ['/admin/api-keys', 'api-keys-viewer'], ['/admin/preferences', 'preferences-viewer']]) {
      await visit(viewer.page, path, name);
      expect(await viewer.page.locator('main button[type="submit"]:not([disabled])').filter({ hasNotText: /Filter|Show/ }).count(), path).to.equal(0);
    }
    await viewer.page.goto('/admin/api-keys');
    await viewer.page.evaluate("document.querySelectorAll('button[disabled]').forEach((b) => b.removeAttribute('disabled'))");
    await viewer.page.getByLabel('Name').fill('sneaky');
    const [refused] = await Promise.all([viewer.page.waitForResponse((r) => r.url().endsWith('/admin/api-keys')), viewer.page.getByRole('button', { name: 'Create key' }).click()]);
    expect(refused.status()).to.equal(403);
    expect(await t.db.knex('api_keys').where({ name: 'sneaky' }).first()).to.equal(undefined);
    await viewer.context.close();
  });
});
