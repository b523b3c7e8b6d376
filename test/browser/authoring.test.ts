import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { adminUser } from '../support/admin.ts';
import { consoleRig, check, loginAs, visit, type ConsoleRig, type Served } from '../support/browser.ts';
import type { SmtpSink } from '../support/smtp.ts';

/** Workflows and templates in a real browser: a workflow with plugin options, a template edited with live preview, published, diffed, rolled back, sent as a test. */
describe('admin console in the browser: workflows and templates', function () {
  this.timeout(120_000);
  let t: TestApp;
  let served: Served;
  let browser: Browser;
  let sink: SmtpSink;
  let rig: ConsoleRig | undefined;
  let tenantId: string;
  let apiKey: string;
  let page: Page;

  before(async () => {
    t = await testApp();
    ({ tenantId, apiKey } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    await adminUser(t, tenantId, 'editor');
    await adminUser(t, tenantId, 'viewer');
    rig = await consoleRig(t);
    ({ sink, served, browser } = rig);
    await request(t.callback).post('/v1/providers').set('authorization', `Bearer ${apiKey}`)
      .send({ channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'Acme <no-reply@acme.example>', user: 'u', password: 'secret' } }).expect(201);
    ({ page } = await loginAs(browser, served.url, 'editor@acme.example'));
  });
  after(() => (rig ?? t)?.close());

  it('creates a workflow from the form, with plugin options from the plugin\'s schema', async () => {
    await visit(page, '/admin/workflows', 'workflows');
    await page.getByRole('link', { name: 'New workflow' }).click();
    await check(page, 'workflow-new');
    await page.locator('#key').fill('order.shipped');
    await page.getByLabel('Trigger (CloudEvent type)').fill('com.acme.order.shipped');
    await page.getByLabel('Category (for preferences)').fill('orders');
    await page.getByLabel('Send on email').check();
    await page.getByLabel('Fallbacks of email').fill('sms');
    await page.getByLabel('Use', { exact: true }).first().selectOption('on');
    await page.locator('#f-plugin\\.dedup\\.windowSeconds').fill('600');
    await page.getByLabel(/Inline templates/).fill(JSON.stringify({ email: { subject: 'Order {{ data.orderId }} shipped', text: 'On its way.' }, sms: { text: 'Order {{ data.orderId }} shipped' } }));
    await page.getByRole('button', { name: 'Save workflow' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Workflow created.');
    const workflow = await t.services.workflows.get(tenantId, 'order.shipped');
    expect(workflow).to.deep.include({ trigger: 'com.acme.order.shipped', channels: ['email'], fallbacks: { email: ['sms'] } });
    expect(workflow.plugins).to.deep.equal({ dedup: { windowSeconds: 600 } });
    await check(page, 'workflow');
  });

  it('names the failing field of a refused workflow', async () => {
    await page.goto('/admin/workflows/order.shipped');
    await page.getByLabel('Fallbacks of email').fill('pigeon');
    await page.getByRole('button', { name: 'Save workflow' }).click();
    expect(await page.getByRole('alert').first().textContent()).to.match(/\/fallbacks\/email\/0/);
  });

  it('edits a template with live preview in en and fr, publishes it, shows the changes, rolls back', async () => {
    // Version 1 came with the workflow (its inline template).
    await visit(page, '/admin/templates/order.shipped/sms/en', 'template-sms');
    const text = page.locator('#part-text');
    await text.fill('Order {{ data.orderId }} left: {{ 1234.5 | number }} — ça part');
    await page.getByLabel(/Sample event data/).fill('{"orderId": "A-7"}');
    // The preview follows the typing (no reload): segments and encoding in both languages.
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('.preview[data-locale="fr"] .part-text')?.textContent.includes('A-7'));
    expect(await page.locator('.preview[data-locale="en"] .part-text').textContent()).to.equal('Order A-7 left: 1,234.5 — ça part');
    expect(await page.locator('.preview[data-locale="fr"] .part-text').textContent()).to.match(/Order A-7 left: 1\s234,5 — ça part/);
    expect(await page.locator('.preview[data-locale="en"] .sms-info').textContent()).to.include('1 segment(s), UCS-2');
    await page.getByRole('button', { name: 'Save and publish' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Version 2 saved and published.');
    await check(page, 'template-sms-published');

    await page.locator('#part-text').fill('Order {{ data.orderId }} shipped');
    await page.getByRole('button', { name: 'Save draft' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Version 3 saved as a draft.');
    await page.getByRole('link', { name: 'Changes from 2' }).click();
    await check(page, 'template-diff');
    expect(await page.locator('pre.diff del').textContent()).to.include('left:');
    expect(await page.locator('pre.diff ins').textContent()).to.include('shipped');
    await page.goBack();
    await page.getByRole('button', { name: 'Publish version 3' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Version 3 published.');
    await page.getByRole('button', { name: 'Roll back to version 2' }).click();
    expect(await page.getByRole('status').textContent()).to.include('version 4 (a copy of version 2) is published');
    const published = await t.services.templates.get(tenantId, { workflow: 'order.shipped', channel: 'sms', locale: 'en' });
    expect(published).to.include({ version: 4, basedOnVersion: 2 });
    expect(published.parts.text).to.include('left:');
  });

  it('refuses a template with a syntax error, keeping the text, with line and column', async () => {
    await page.goto('/admin/templates/order.shipped/sms/en');
    await page.locator('#part-text').fill('Order {{ data.orderId ');
    await page.getByRole('button', { name: 'Save draft' }).click();
    expect(await page.getByRole('alert').first().textContent()).to.match(/line 1/i);
    expect(await page.locator('#part-text').inputValue()).to.equal('Order {{ data.orderId ');
  });

  it('previews an email in a sandboxed frame and sends a test through the tenant\'s SMTP provider', async () => {
    await visit(page, '/admin/templates/order.shipped/email/en', 'template-email');
    await page.locator('#part-subject').fill('Your order {{ data.orderId }}');
    await page.locator('#part-html').fill('<p style="color: #0b5cad">Order <strong>{{ data.orderId }}</strong> is on its way</p>');
    await page.getByLabel(/Sample event data/).fill('{"orderId": "B-9"}');
    const frame = page.frameLocator('iframe[name="frame-fr"]');
    await frame.locator('strong', { hasText: 'B-9' }).waitFor();
    expect(await page.locator('iframe[name="frame-fr"]').getAttribute('sandbox')).to.equal('');
    await page.getByLabel('To (email address or E.164 phone number)').fill('qa@acme.example');
    await page.getByRole('button', { name: 'Send test' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Test sent to qa@acme.example.');
    const mail = await sink.mailTo('qa@acme.example');
    expect(mail.subject).to.equal('Your order B-9');
    expect(mail.raw).to.include('B-9');
  });

  it('refuses a viewer\'s save on the server, even with the buttons enabled', async () => {
    const viewer = await loginAs(browser, served.url, 'viewer@acme.example');
    await viewer.page.goto('/admin/templates/order.shipped/sms/en');
    expect(await viewer.page.getByRole('button', { name: 'Save and publish' }).isDisabled()).to.equal(true);
    await viewer.page.evaluate("document.querySelectorAll('button[disabled]').forEach((b) => b.removeAttribute('disabled'))");
    await viewer.page.getByRole('button', { name: 'Save and publish' }).click();
    expect(await viewer.page.textContent('main')).to.include('Your role (viewer) does not allow this');
    const published = await t.services.templates.get(tenantId, { workflow: 'order.shipped', channel: 'sms', locale: 'en' });
    expect(published.version).to.equal(4);
    await viewer.context.close();
  });
  it('sets up an A/B test and the provider order from the form, refuses bad rows keeping them, and publishes the winner', async () => {
    await request(t.callback).put('/v1/workflows/ab.tested').set('authorization', `Bearer ${apiKey}`)
      .send({ trigger: 'com.acme.ab', channels: ['sms'], templates: { sms: { text: 'Your order shipped' } } }).expect(201);
    await visit(page, '/admin/workflows/ab.tested', 'workflow-ab');
    await page.getByLabel('Provider order').selectOption('leastCost');
    await page.getByLabel('Channel tested').selectOption('sms');
    await page.getByLabel('Variant 1 key').fill('control');
    await page.getByLabel('Variant 1 weight').fill('1');
    await page.getByLabel('Variant 2 key').fill('short');
    await page.getByLabel('Variant 2 weight').fill('lots');
    await page.getByLabel('Variant 2 template').fill('{"text": "Shipped!"');
    await page.getByRole('button', { name: 'Save workflow' }).click();
    const alert = await page.getByRole('alert').first().textContent();
    expect(alert).to.include('/abTest/variants/1/weight');
    expect(alert).to.include('is not valid JSON');
    expect(await page.getByLabel('Variant 2 weight').inputValue()).to.equal('lots');
    expect(await page.getByLabel('Variant 2 template').inputValue()).to.equal('{"text": "Shipped!"');
    expect((await t.services.workflows.get(tenantId, 'ab.tested')).abTest).to.equal(undefined);
    await check(page, 'workflow-ab-errors');

    await page.getByLabel('Variant 2 weight').fill('3');
    await page.getByLabel('Variant 2 template').fill('{"text": "Shipped!"}');
    await page.getByRole('button', { name: 'Save workflow' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Workflow saved.');
    const saved = await t.services.workflows.get(tenantId, 'ab.tested');
    expect(saved.abTest).to.deep.equal({ channel: 'sms', variants: [{ key: 'control', weight: 1 }, { key: 'short', weight: 3, template: { text: 'Shipped!' } }] });
    expect(saved.routing).to.equal('leastCost');
    expect(await page.getByLabel('Variant 2 template').inputValue()).to.equal('{"text":"Shipped!"}');
    await check(page, 'workflow-ab');

    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', { name: 'Publish short as the winner' }).click();
    expect(await page.getByRole('status').textContent()).to.include('A/B test ended: short published.');
    expect((await t.services.workflows.get(tenantId, 'ab.tested')).abTest).to.equal(undefined);
    const published = await t.services.templates.get(tenantId, { workflow: 'ab.tested', channel: 'sms', locale: 'en' });
    expect(published.parts).to.deep.equal({ text: 'Shipped!' });
    expect(await page.getByRole('button', { name: 'Publish short as the winner' }).count()).to.equal(0);
  });
});
