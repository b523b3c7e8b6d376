import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { adminUser, PASSWORD } from '../support/admin.ts';
import { consoleRig, check, loginAs, visit, type ConsoleRig, type Served } from '../support/browser.ts';
import type { SmtpSink } from '../support/smtp.ts';

/** Subscribers (search, detail, erasure) and console users (invitations and password resets by the tenant's own email provider), in a real browser. */
describe('admin console in the browser: subscribers and users', function () {
  this.timeout(120_000);
  let t: TestApp;
  let served: Served;
  let browser: Browser;
  let sink: SmtpSink;
  let rig: ConsoleRig | undefined;
  let apiKey: string;
  let tenantId: string;
  const api = (method: 'get' | 'post' | 'put', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${apiKey}`);
  const linkIn = (text: string) => {
    // The raw message: undo quoted-printable soft line breaks first.
    const match = /https?:\/\/\S+\/admin\/(?:invitation|password\/reset)\/[A-Za-z0-9_-]+/.exec(text.replace(/=\r?\n/g, '').replace(/=3D/g, '='));
    if (!match) throw new Error(`no link in:\n${text}`);
    return new URL(match[0]).pathname;
  };

  before(async () => {
    t = await testApp();
    const tenant = await t.tenant('Acme', { acceptUnvalidatedTypes: true });
    ({ apiKey, tenantId } = tenant);
    await adminUser(t, tenantId, 'owner');
    await adminUser(t, tenantId, 'viewer');
    rig = await consoleRig(t);
    ({ sink, served, browser } = rig);
    await api('post', '/v1/providers').send({ channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'Acme <no-reply@acme.example>', user: 'u', password: 'secret' } }).expect(201);
    await api('put', '/v1/workflows/order.direct').send({
      trigger: 'com.acme.order.direct', category: 'orders', recipients: '/data/recipients', channels: ['email'],
      templates: { email: { subject: 'Order {{ data.orderId }}', text: 'On its way.' } },
    }).expect(201);
    await api('put', '/v1/subscribers/ada').send({ name: 'Ada Lovelace', email: 'ada@example.com', teams: ['ops'] }).expect((r) => expect(r.status).to.be.oneOf([200, 201]));
    await api('put', '/v1/subscribers/bob').send({ name: 'Bob Stone', email: 'bob@example.com' }).expect((r) => expect(r.status).to.be.oneOf([200, 201]));
    await api('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'o-1', source: '/shop', type: 'com.acme.order.direct', data: { orderId: 'A-1', recipients: ['ada'] } })).expect(202);
    await t.runJobsUntilIdle();
    await sink.mailTo('ada@example.com');
  });
  after(() => (rig ?? t)?.close());

  it('searches subscribers and shows one with their inbox and preferences', async () => {
    const { context, page } = await loginAs(browser, served.url, 'viewer@acme.example');
    await visit(page, '/admin/subscribers', 'subscribers');
    expect(await page.locator('tbody tr').count()).to.equal(2);
    await page.getByLabel('Id, email or name').fill('lovelace');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL('**/admin/subscribers?q=lovelace**');
    expect(await page.locator('tbody tr').count()).to.equal(1);
    // A LIKE wildcard is only a character.
    await page.goto('/admin/subscribers?q=%25');
    expect(await page.textContent('tbody')).to.include('No subscribers.');
    await page.goto('/admin/subscribers?q=ada');
    await page.getByRole('link', { name: 'ada' }).click();
    await check(page, 'subscriber');
    expect(await page.getByRole('table', { name: 'Their notifications' }).textContent()).to.match(/order\.direct.*email/s);
    expect(await page.getByRole('table', { name: 'What applies per workflow' }).textContent()).to.include('order.direct');
    await context.close();
  });

  it('erases a subscriber only once the id is typed, and never for a viewer', async () => {
    const viewer = await loginAs(browser, served.url, 'viewer@acme.example');
    await viewer.page.goto('/admin/subscribers/bob');
    await viewer.page.evaluate("document.querySelectorAll('button[disabled]').forEach((b) => b.removeAttribute('disabled'))");
    await viewer.page.getByLabel('Type bob to confirm').fill('bob');
    viewer.page.once('dialog', (d) => d.accept());
    const [refused] = await Promise.all([viewer.page.waitForResponse((r) => r.url().endsWith('/admin/subscribers/bob/erase')), viewer.page.getByRole('button', { name: 'Erase subscriber' }).click()]);
    expect(refused.status()).to.equal(403);
    await viewer.context.close();

    const { context, page } = await loginAs(browser, served.url, 'owner@acme.example');
    await page.goto('/admin/subscribers/bob');
    page.on('dialog', (d) => d.accept());
    await page.getByLabel('Type bob to confirm').fill('bo');
    await page.getByRole('button', { name: 'Erase subscriber' }).click();
    await page.waitForURL('**/admin/subscribers/bob');
    expect(await page.getByRole('alert').textContent()).to.include('Type the subscriber id (bob) to confirm');
    expect((await api('get', '/v1/subscribers/bob').expect(200)).body.email).to.equal('bob@example.com');

    await page.getByLabel('Type bob to confirm').fill('bob');
    await page.getByRole('button', { name: 'Erase subscriber' }).click();
    await page.waitForURL('**/admin/subscribers');
    expect(await page.getByRole('status').textContent()).to.include('Subscriber bob erased');
    expect(await page.textContent('tbody')).not.to.include('bob@example.com');
    await api('get', '/v1/subscribers/bob').expect(404);
    const row = await t.db.knex('subscribers').where({ tenant_id: tenantId, email: 'bob@example.com' }).first();
    expect(row).to.equal(undefined);
    await context.close();
  });

  it('invites a user by the tenant\'s email provider; the link sets a password and logs in', async () => {
    const { context, page } = await loginAs(browser, served.url, 'owner@acme.example');
    await visit(page, '/admin/users', 'users');
    await page.getByLabel('Email', { exact: true }).fill('new.editor@acme.example');
    await page.getByLabel('Role', { exact: true }).selectOption('editor');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.waitForURL('**/admin/users');
    expect(await page.getByRole('status').textContent()).to.include('Invitation emailed to new.editor@acme.example');
    expect(await page.textContent('tbody')).to.match(/new\.editor@acme\.example.*invited/s);
    const mail = await sink.mailTo('new.editor@acme.example');
    const link = linkIn(mail.text ?? '');
    await context.close();

    const guest = await browser.newContext({ baseURL: served.url });
    const invited = await guest.newPage();
    await visit(invited, link, 'invitation');
    await invited.getByLabel('New password').fill('short');
    await invited.evaluate("document.querySelector('#password').removeAttribute('minlength')");
    await invited.getByRole('button', { name: 'Set password and log in' }).click();
    expect(await invited.getByRole('alert').textContent()).to.match(/password.*12/);
    await invited.getByLabel('New password').fill('a long enough passphrase');
    await invited.getByRole('button', { name: 'Set password and log in' }).click();
    await invited.waitForURL((url) => url.pathname === '/admin');
    expect(await invited.textContent('header')).to.include('new.editor@acme.example · editor');
    // The link works once.
    const again = await invited.goto(link);
    expect(again?.status()).to.equal(410);
    await guest.close();
  });

  it('lets an owner change a role, refuses a viewer on the server', async () => {
    const editor = await t.db.knex('admin_users').where({ email: 'new.editor@acme.example' }).first('id');
    const viewer = await loginAs(browser, served.url, 'viewer@acme.example');
    await viewer.page.goto('/admin/users');
    await viewer.page.evaluate("document.querySelectorAll('button[disabled]').forEach((b) => b.removeAttribute('disabled'))");
    await viewer.page.getByLabel('Role of new.editor@acme.example', { exact: true }).selectOption('owner');
    const [refused] = await Promise.all([viewer.page.waitForResponse((r) => r.url().endsWith(`/admin/users/${editor.id}/role`)), viewer.page.getByRole('button', { name: 'Change the role of new.editor@acme.example' }).click()]);
    expect(refused.status()).to.equal(403);
    await viewer.context.close();
    expect((await t.db.knex('admin_users').where({ id: editor.id }).first('role')).role).to.equal('editor');

    const { context, page } = await loginAs(browser, served.url, 'owner@acme.example');
    await page.goto('/admin/users');
    await page.getByLabel('Role of new.editor@acme.example', { exact: true }).selectOption('admin');
    await page.getByRole('button', { name: 'Change the role of new.editor@acme.example' }).click();
    await page.waitForURL('**/admin/users');
    expect(await page.getByRole('status').textContent()).to.include('new.editor@acme.example is now admin.');
    await context.close();
  });

  it('resets a forgotten password by email, answering the same for an unknown account', async () => {
    const context = await browser.newContext({ baseURL: served.url });
    const page = await context.newPage();
    await page.goto('/admin/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await check(page, 'forgot');
    await page.getByLabel('Email').fill('nobody@acme.example');
    await page.getByLabel('Organisation id').fill(tenantId);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    const unknown = await page.getByRole('status').textContent();
    const before = sink.received.length;

    await page.getByLabel('Email').fill('viewer@acme.example');
    await page.getByLabel('Organisation id').fill(tenantId);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    expect(await page.getByRole('status').textContent()).to.equal(unknown);
    const mail = await sink.mailTo('viewer@acme.example');
    expect(sink.received.length).to.equal(before + 1);
    await page.goto(linkIn(mail.text ?? ''));
    await page.getByLabel('New password').fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Set password and log in' }).click();
    await page.waitForURL((url) => url.pathname === '/admin');
    await context.close();

    // The old password no longer opens the console; the new one does.
    const old = await request(t.callback).get('/admin/login');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(old.text)![1];
    const cookie = old.headers['set-cookie'];
    await request(t.callback).post('/admin/login').set('cookie', cookie).type('form').send({ _csrf: csrf, email: 'viewer@acme.example', password: PASSWORD }).expect(401);
    (await loginAs(browser, served.url, 'viewer@acme.example', 'a brand new passphrase')).context.close();
  });
});
