import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { testApp, type TestApp } from '../support/clarion.ts';
import { adminUser } from '../support/admin.ts';
import { consoleRig, check, loginAs, type ConsoleRig, type Served } from '../support/browser.ts';
import type { SmtpSink } from '../support/smtp.ts';

/**
 * The README's console tour, step by step, in a real browser and nothing else: provider, workflow,
 * template, event, then a failure, a dead letter and its requeue.
 */
describe('admin console in the browser: the README tour without curl', function () {
  this.timeout(120_000);
  let t: TestApp;
  let served: Served;
  let browser: Browser;
  let sink: SmtpSink;
  let rig: ConsoleRig | undefined;
  let tenantId: string;

  before(async () => {
    t = await testApp({ env: { CLARION_RETRY_SCHEDULE_NORMAL: '1ms,1ms', CLARION_CIRCUIT_THRESHOLD: '100' } });
    ({ tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    await adminUser(t, tenantId, 'owner', 'you@acme.example');
    rig = await consoleRig(t);
    ({ sink, served, browser } = rig);
  });
  after(() => (rig ?? t)?.close());

  it('configures, authors, posts, fails and requeues from the pages alone', async () => {
    const { context, page } = await loginAs(browser, served.url, 'you@acme.example');
    page.on('dialog', (d) => d.accept());

    // 1. Providers: smtp, and a test to your own address.
    await page.getByRole('link', { name: 'Providers' }).click();
    await page.getByLabel('Adapter').selectOption('smtp');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('host').fill('127.0.0.1');
    await page.getByLabel('port').fill(String(sink.port));
    await page.getByLabel('from').fill('Acme <no-reply@acme.example>');
    await page.getByLabel('user', { exact: true }).fill('u');
    await page.getByLabel('password').fill('secret');
    await page.getByRole('button', { name: 'Create provider' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Provider created.');
    const providerPage = page.url();
    await page.getByLabel('To (email address or E.164 phone number)').fill('you@acme.example');
    await page.getByRole('button', { name: 'Send test' }).click();
    expect((await sink.mailTo('you@acme.example')).subject).to.equal('Clarion test message');

    // 2. Workflows: a new one, with a first template inline.
    await page.getByRole('link', { name: 'Workflows' }).click();
    await page.getByRole('link', { name: 'New workflow' }).click();
    await page.locator('#key').fill('order.shipped');
    await page.getByLabel('Trigger (CloudEvent type)').fill('com.acme.order.shipped');
    await page.getByLabel('Send on email').check();
    await page.getByLabel('Recipients (JSON Pointer into the event)').fill('/data/recipients');
    await page.getByLabel(/Inline templates/).fill('{"email": {"subject": "Order {{ data.orderId }}", "text": "On its way."}}');
    await page.getByRole('button', { name: 'Save workflow' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Workflow created.');

    // 3. Templates: open order.shipped / email / en, edit it, publish.
    await page.getByRole('link', { name: 'Templates', exact: true }).click();
    await page.getByLabel('Workflow key').fill('order.shipped');
    await page.locator('form[action="/admin/templates/open"] select[name="channel"]').selectOption('email');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('#part-subject').fill('Order {{ data.orderId }} shipped');
    await page.locator('#part-text').fill('Your order {{ data.orderId }} is on its way.');
    await page.getByRole('button', { name: 'Save and publish' }).click();
    expect(await page.getByRole('status').textContent()).to.match(/Version 2 saved and published\./);

    // 4. Events: post one; it is delivered, and its page shows the attempts.
    const post = async (orderId: string, email: string) => {
      await page.getByRole('link', { name: 'Events', exact: true }).click();
      await page.getByLabel('Event type').fill('com.acme.order.shipped');
      await page.getByLabel('Data (JSON)').fill(JSON.stringify({ orderId, recipients: [{ id: email.split('@')[0], email }] }));
      await page.getByRole('button', { name: 'Post event' }).click();
      expect(await page.getByRole('status').textContent()).to.include('Event accepted.');
      await t.runJobsUntilIdle();
    };
    await post('1001', 'ada@example.com');
    expect((await sink.mailTo('ada@example.com')).subject).to.equal('Order 1001 shipped');
    await page.reload();
    await page.getByRole('link', { name: 'ada' }).click();
    expect(await page.getByRole('table', { name: 'Attempts' }).textContent()).to.match(/smtp\s*success/);
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await check(page, 'tour-dashboard');

    // 5. Failure and requeue: the mail server refuses, the delivery ends as a dead letter; requeued, it goes out.
    for (let i = 0; i < 3; i++) sink.replies.push({ code: 421, message: 'Service not available' });
    await post('1002', 'bob@example.com');
    await page.getByRole('link', { name: 'Dead letters' }).click();
    const box = page.getByLabel(/^Select delivery /);
    expect(await box.count()).to.equal(1);
    sink.replies.length = 0;
    await box.check();
    await page.getByRole('button', { name: 'Requeue selected' }).click();
    expect(await page.getByRole('status').textContent()).to.include('1 requeued.');
    await t.runJobsUntilIdle();
    expect((await sink.mailTo('bob@example.com')).subject).to.equal('Order 1002 shipped');
    expect(providerPage).to.match(/\/admin\/providers\/[0-9a-f-]{36}$/);
    await context.close();
  });
});
