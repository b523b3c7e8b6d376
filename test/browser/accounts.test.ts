import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { adminUser, PASSWORD } from '../support/admin.ts';
import { check, launch, loginAs, serve, type Served } from '../support/browser.ts';

/** Logging in, the lockout, CSRF refusals, and every console page at a phone's width in English and French, in a real browser. */
describe('admin console in the browser: login, lockout, CSRF, every page', function () {
  this.timeout(180_000);
  let t: TestApp;
  let served: Served;
  let browser: Browser;
  let tenantId: string;

  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true' } });
    const tenant = await t.tenant('Acme', { acceptUnvalidatedTypes: true });
    tenantId = tenant.tenantId;
    await adminUser(t, tenantId, 'owner');
    await adminUser(t, tenantId, 'admin');
    await adminUser(t, null, 'operator', 'ops@clarion.example');
    const api = (method: 'post' | 'put', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${tenant.apiKey}`);
    await api('put', '/v1/workflows/order.direct').send({
      trigger: 'com.acme.order.direct', category: 'orders', recipients: '/data/recipients', channels: ['email'],
      templates: { email: { subject: 'Order {{ data.orderId }}', text: 'On its way.' } },
    }).expect(201);
    await api('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'o-1', source: '/shop', type: 'com.acme.order.direct', data: { orderId: 'A-1', recipients: [{ id: 'ada', email: 'ada@example.com' }] } })).expect(202);
    await t.runJobsUntilIdle();
    served = await serve(t);
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await served?.close();
    await t?.close();
  });

  it('locks an account after five failed logins, even for the right password', async () => {
    const context = await browser.newContext({ baseURL: served.url });
    const page = await context.newPage();
    await page.goto('/admin/login');
    await check(page, 'login');
    const attempt = async (password: string) => {
      await page.getByLabel('Email').fill('admin@acme.example');
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in', exact: true }).click();
      await page.waitForLoadState();
      return (await page.getByRole('alert').textContent())?.trim();
    };
    for (let i = 0; i < 4; i++) expect(await attempt('wrong password!')).to.equal('The email or password is wrong.');
    expect(await attempt('wrong password!')).to.match(/locked until \d{4}-\d{2}-\d{2} /);
    expect(await attempt(PASSWORD)).to.match(/locked until/);
    await check(page, 'login-locked');
    expect(new URL(page.url()).pathname).to.equal('/admin/login');
    await context.close();
  });

  it('refuses a form posted without its CSRF token, or with another session\'s, changing nothing', async () => {
    const { context, page } = await loginAs(browser, served.url, 'owner@acme.example');
    const other = await loginAs(browser, served.url, 'owner@acme.example');
    const othersToken = await other.page.locator('input[name="_csrf"]').first().inputValue();
    await other.context.close();
    for (const tamper of ["document.querySelectorAll('input[name=_csrf]').forEach((i) => i.remove())", `document.querySelectorAll('input[name=_csrf]').forEach((i) => { i.value = ${JSON.stringify(othersToken)}; })`]) {
      await page.goto('/admin/api-keys');
      await page.evaluate(tamper);
      await page.getByLabel('Name').fill('forged');
      const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/api-keys') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Create key' }).click()]);
      expect(response.status()).to.equal(403);
      expect(await page.textContent('main')).to.include('sent without its security token');
    }
    await check(page, 'error-csrf');
    expect(await t.db.knex('api_keys').where({ name: 'forged' }).first()).to.equal(undefined);
    await context.close();
  });

  const PAGES = [
    '/admin', '/admin/events', '/admin/notifications', '/admin/deliveries', '/admin/dead-letters', '/admin/subscribers', '/admin/subscribers/ada',
    '/admin/workflows', '/admin/workflows/order.direct', '/admin/workflows/new', '/admin/templates', '/admin/templates/order.direct/email/en',
    '/admin/providers', '/admin/providers/new?channel=email&adapter=smtp', '/admin/preferences', '/admin/webhooks', '/admin/api-keys', '/admin/audit',
    '/admin/outbox', '/admin/users', '/admin/sso', '/admin/account',
  ];

  /** No serious axe violation, and nothing wider than the screen (tables scroll inside their box). */
  const tour = async (page: Page, suffix: string) => {
    const first = await t.db.knex('events').where({ tenant_id: tenantId }).first('id');
    const notification = await t.db.knex('notifications').where({ tenant_id: tenantId }).first('id');
    const delivery = await t.db.knex('deliveries').where({ tenant_id: tenantId }).first('id');
    for (const path of [...PAGES, `/admin/events/${first.id}`, `/admin/notifications/${notification.id}`, `/admin/deliveries/${delivery.id}`]) {
      const response = await page.goto(path);
      expect(response?.status(), path).to.equal(200);
      const name = `${path.replace(/^\/admin\/?/, '').replace(/[^a-z0-9]+/gi, '-').replace(/-[0-9a-f]{8}-[0-9a-f-]{27}/, '-id') || 'dashboard'}${suffix}`;
      await check(page, name);
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
      expect(overflow, `${path} is ${overflow}px wider than the screen`).to.be.at.most(0);
    }
  };

  it('shows every page at a phone\'s width without serious axe violations', async () => {
    const { context, page } = await loginAs(browser, served.url, 'owner@acme.example', PASSWORD, { viewport: { width: 375, height: 740 } });
    await tour(page, '-phone');
    await context.close();
  });

  it('speaks French to a browser that asks for it, on every page', async () => {
    const context = await browser.newContext({ baseURL: served.url, locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto('/admin/login');
    await page.getByLabel('E-mail').fill('owner@acme.example');
    await page.getByLabel('Mot de passe').fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/admin/login'));
    expect(await page.getAttribute('html', 'lang')).to.equal('fr');
    expect(await page.getByRole('navigation').textContent()).to.include('Tableau de bord');
    await tour(page, '-fr');
    await context.close();
  });

  it('shows the invitation link itself when the tenant has no email provider, and answers a reset request the same', async () => {
    const { context, page } = await loginAs(browser, served.url, 'owner@acme.example');
    await page.goto('/admin/users');
    await page.getByLabel('Email', { exact: true }).fill('no.mail@acme.example');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    expect(await page.getByRole('status').textContent()).to.include('The tenant has no email provider: send them this link yourself');
    const link = new URL((await page.locator('code.secret').textContent())!.trim());
    await context.close();

    const guest = await browser.newContext({ baseURL: served.url });
    const invited = await guest.newPage();
    await invited.goto(link.pathname);
    await invited.getByLabel('New password').fill('a long enough passphrase');
    await invited.getByRole('button', { name: 'Set password and log in' }).click();
    await invited.waitForURL((url) => url.pathname === '/admin');
    expect(await invited.textContent('header')).to.include('no.mail@acme.example · viewer');
    await invited.context().clearCookies();
    await invited.goto('/admin/password/forgot');
    await invited.getByLabel('Email').fill('no.mail@acme.example');
    await invited.getByLabel('Organisation id').fill(tenantId);
    await invited.getByRole('button', { name: 'Send me a link' }).click();
    expect(await invited.getByRole('status').textContent()).to.include('If this account exists');
    await guest.close();
  });

  it('lets an operator choose the tenant to act in', async () => {
    const { context, page } = await loginAs(browser, served.url, 'ops@clarion.example');
    expect(new URL(page.url()).pathname).to.equal('/admin/tenants');
    await check(page, 'tenants');
    await page.getByRole('button', { name: /Acme/ }).click();
    await page.waitForURL((url) => url.pathname === '/admin');
    expect(await page.textContent('header')).to.include('Acme');
    await context.close();
  });
});
