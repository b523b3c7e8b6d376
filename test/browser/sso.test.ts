import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import Provider from 'oidc-provider';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { adminUser } from '../support/admin.ts';
import { check, freePort, launch, loginAs, serve, visit, type Served } from '../support/browser.ts';

/** Single sign-on with OpenID Connect against a real identity provider on loopback (oidc-provider), in a real browser. */
describe('admin console in the browser: single sign-on (OpenID Connect)', function () {
  this.timeout(120_000);
  let t: TestApp;
  let served: Served;
  let browser: Browser;
  let idp: http.Server;
  let issuer: string;
  let tenantId: string;
  const CLIENT_SECRET = 'a client secret long enough for HS256 signing';
  const people: Record<string, Record<string, unknown>> = {
    ada: { sub: 'ada', email: 'ada@acme.example', email_verified: true, name: 'Ada Lovelace', groups: ['staff', 'clarion-admins'] },
    eve: { sub: 'eve', email: 'eve@acme.example', email_verified: true, name: 'Eve', groups: ['staff'] },
  };

  before(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    t = await testApp({ env: { CLARION_PUBLIC_URL: base } });
    ({ tenantId } = await t.tenant('Acme'));
    await adminUser(t, tenantId, 'owner');
    await adminUser(t, tenantId, 'admin');

    idp = http.createServer();
    idp.listen(0, '127.0.0.1');
    await once(idp, 'listening');
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    const provider = new Provider(issuer, {
      clients: [{ client_id: 'clarion', client_secret: CLIENT_SECRET, redirect_uris: [`${base}/admin/sso/callback`], grant_types: ['authorization_code'], response_types: ['code'] }],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
      findAccount: (_ctx: unknown, sub: string) => (people[sub] ? { accountId: sub, claims: () => people[sub] } : undefined),
      cookies: { keys: ['test cookie key'] },
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    } as never);
    idp.on('request', provider.callback());
    served = await serve(t, port);
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await served?.close();
    idp?.closeAllConnections();
    await new Promise((resolve) => idp?.close(resolve));
    await t?.close();
  });

  const signIn = async (page: Page, login: string) => {
    await page.goto('/admin/login');
    await page.getByLabel('Organisation id').fill(tenantId);
    await page.getByRole('button', { name: 'Sign in with single sign-on' }).click();
    await page.waitForURL((url) => url.origin === issuer);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    // The provider's consent page, the first time.
    await page.waitForURL((url) => url.origin !== issuer || url.pathname.includes('/interaction/'));
    if (new URL(page.url()).origin === issuer) await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.origin === served.url);
  };

  it('refuses an issuer the outbound policy forbids, and plain http to a public host', async () => {
    const { context, page } = await loginAs(browser, served.url, 'owner@acme.example');
    await visit(page, '/admin/sso', 'sso-empty');
    for (const [url, message] of [['http://169.254.169.254/', /metadata/], ['http://login.example.com/', /must be an https URL/]] as const) {
      await page.getByLabel('Issuer URL').fill(url);
      await page.getByLabel('Client id').fill('clarion');
      await page.getByLabel('Client secret').fill('x');
      await page.getByRole('button', { name: 'Save' }).click();
      expect(await page.getByRole('alert').textContent()).to.match(message);
    }
    expect(await t.db.knex('admin_sso').first()).to.equal(undefined);
    await context.close();
  });

  it('lets only an owner set it up, with the client secret never shown again', async () => {
    const admin = await loginAs(browser, served.url, 'admin@acme.example');
    await admin.page.goto('/admin/sso');
    await admin.page.evaluate("document.querySelectorAll('button[disabled]').forEach((b) => b.removeAttribute('disabled'))");
    await admin.page.getByLabel('Issuer URL').fill(issuer);
    await admin.page.getByLabel('Client id').fill('clarion');
    await admin.page.getByLabel('Client secret').fill(CLIENT_SECRET);
    const [refused] = await Promise.all([admin.page.waitForResponse((r) => r.url().endsWith('/admin/sso') && r.request().method() === 'POST'), admin.page.getByRole('button', { name: 'Save' }).click()]);
    expect(refused.status()).to.equal(403);
    await admin.context.close();

    const { context, page } = await loginAs(browser, served.url, 'owner@acme.example');
    await page.goto('/admin/sso');
    await page.getByLabel('Issuer URL').fill(issuer);
    await page.getByLabel('Client id').fill('clarion');
    await page.getByLabel('Client secret').fill(CLIENT_SECRET);
    await page.getByLabel('Role claim').fill('groups');
    await page.getByLabel(/^Roles by claim value/).fill('clarion-admins = admin\nclarion-editors = editor');
    await page.getByRole('button', { name: 'Save' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Single sign-on settings saved.');
    await check(page, 'sso');
    expect(await page.content()).to.not.include(CLIENT_SECRET);
    const row = await t.db.knex('admin_sso').where({ tenant_id: tenantId }).first();
    expect(JSON.stringify(row.client_secret)).to.not.include(CLIENT_SECRET);
    await context.close();
  });

  it('signs a person in through the identity provider with the role their claim maps to', async () => {
    const context = await browser.newContext({ baseURL: served.url });
    const page = await context.newPage();
    await signIn(page, 'ada');
    expect(new URL(page.url()).pathname).to.equal('/admin');
    expect(await page.textContent('header')).to.include('ada@acme.example · admin');
    const user = await t.db.knex('admin_users').where({ tenant_id: tenantId, email: 'ada@acme.example' }).first();
    expect(user).to.include({ role: 'admin', oidc_subject: 'ada', password_hash: null });
    await context.close();
  });

  it('refuses a person whose claim maps to no role, and a callback this browser did not start', async () => {
    const context = await browser.newContext({ baseURL: served.url });
    const page = await context.newPage();
    await signIn(page, 'eve');
    expect(new URL(page.url()).pathname).to.equal('/admin/sso/callback');
    expect(await page.getByRole('alert').textContent()).to.include('No console role for this identity');
    expect(await t.db.knex('admin_users').where({ email: 'eve@acme.example' }).first()).to.equal(undefined);
    await context.close();

    // A code and state from elsewhere, without this browser's pending sign-in.
    const forged = await request(t.callback).get('/admin/sso/callback?code=abc&state=def').expect(401);
    expect(forged.text).to.include('This sign-in was not started here');
    // An unknown organisation.
    const unknown = await request(t.callback).get('/admin/sso/start?tenant=00000000-0000-4000-8000-000000000000').expect(401);
    expect(unknown.text).to.include('Single sign-on is not set up for this organisation');
  });
});
