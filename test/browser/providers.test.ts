import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { testApp, type TestApp } from '../support/clarion.ts';
import { adminUser } from '../support/admin.ts';
import { consoleRig, check, loginAs, visit, type ConsoleRig, type Served } from '../support/browser.ts';
import type { SmtpSink } from '../support/smtp.ts';

/** Providers in a real browser: an SMTP provider configured by its generated form, a test to a real SMTP server, order and enabling. */
describe('admin console in the browser: providers', function () {
  this.timeout(120_000);
  let t: TestApp;
  let served: Served;
  let browser: Browser;
  let sink: SmtpSink;
  let rig: ConsoleRig | undefined;
  let tenantId: string;
  let page: Page;

  before(async () => {
    t = await testApp();
    ({ tenantId } = await t.tenant('Acme'));
    await adminUser(t, tenantId, 'admin');
    await adminUser(t, tenantId, 'viewer');
    rig = await consoleRig(t);
    ({ sink, served, browser } = rig);
    ({ page } = await loginAs(browser, served.url, 'admin@acme.example'));
  });
  after(() => (rig ?? t)?.close());

  it('configures an SMTP provider from its schema form and sends a test to a real SMTP server', async () => {
    await visit(page, '/admin/providers', 'providers-empty');
    await page.getByLabel('Adapter').selectOption('smtp');
    await page.getByRole('button', { name: 'Continue' }).click();
    await check(page, 'provider-new-smtp');
    await page.getByLabel('Name', { exact: true }).fill('Loopback SMTP');
    await page.getByLabel('host').fill('127.0.0.1');
    await page.getByLabel('port').fill(String(sink.port));
    await page.getByLabel('from').fill('Acme <no-reply@acme.example>');
    await page.getByLabel('user', { exact: true }).fill('clarion');
    await page.getByLabel('password').fill('wrong');
    await page.getByRole('button', { name: 'Create provider' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Provider created.');
    await check(page, 'provider');
    // The secret is write-only: the page never holds it.
    expect(await page.content()).to.not.include('wrong');
    expect(await page.getByLabel('password').inputValue()).to.equal('');

    // A refused test names the error class; then the right password, and the test arrives.
    await page.getByLabel('To (email address or E.164 phone number)').fill('ops@acme.example');
    await page.getByRole('button', { name: 'Send test' }).click();
    expect(await page.getByRole('alert').textContent()).to.match(/The provider refused the test message: .*\(config/);
    await page.getByLabel('password').fill('secret');
    await page.getByRole('button', { name: 'Save' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Provider saved.');
    await page.getByLabel('To (email address or E.164 phone number)').fill('ops@acme.example');
    await page.getByRole('button', { name: 'Send test' }).click();
    expect(await page.getByRole('status').textContent()).to.match(/Test message sent \(sent, provider message id <.*@clarion>\)/);
    expect((await sink.mailTo('ops@acme.example')).subject).to.equal('Clarion test message');
    // Emptying an optional field removes it; the stored password stays.
    await page.getByLabel('user', { exact: true }).fill('clarion2');
    await page.getByRole('button', { name: 'Save' }).click();
    const [stored] = await t.services.providers.list(tenantId);
    expect(stored.config).to.include({ user: 'clarion2', password: '********', port: sink.port });
  });

  it('shows field errors from the adapter schema, keeping what was typed', async () => {
    await page.goto('/admin/providers/new?adapter=smtp');
    await page.getByLabel('host').fill('127.0.0.1');
    await page.getByLabel('port').fill('70000');
    await page.getByLabel('from').fill('Acme <no-reply@acme.example>');
    await page.getByLabel('port').evaluate((input) => input.removeAttribute('max'));
    await page.getByRole('button', { name: 'Create provider' }).click();
    expect(await page.locator('.field-error').first().textContent()).to.match(/65535/);
    expect(await page.getByLabel('host').inputValue()).to.equal('127.0.0.1');
    await check(page, 'provider-errors');
  });

  it('orders, disables and enables a channel\'s providers', async () => {
    await page.goto('/admin/providers/new?adapter=smtp');
    await page.getByLabel('Name', { exact: true }).fill('Backup SMTP');
    await page.getByLabel('host').fill('127.0.0.1');
    await page.getByLabel('from').fill('Acme <no-reply@acme.example>');
    await page.getByLabel('Priority (lower is tried first)').fill('5');
    await page.getByRole('button', { name: 'Create provider' }).click();
    await visit(page, '/admin/providers', 'providers');
    const names = async () => page.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(await names()).to.deep.equal(['Loopback SMTP', 'Backup SMTP']);
    await page.getByRole('button', { name: 'Move Backup SMTP up' }).click();
    await page.getByText('Order saved.').waitFor();
    expect(await names()).to.deep.equal(['Backup SMTP', 'Loopback SMTP']);
    const priorities = (await t.services.providers.list(tenantId)).map((p) => [p.name, p.priority]);
    expect(priorities).to.have.deep.members([['Backup SMTP', 0], ['Loopback SMTP', 10]]);
    await page.locator('tr', { hasText: 'Backup SMTP' }).getByRole('button', { name: 'Disable' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Provider disabled.');
    expect((await t.services.providers.list(tenantId)).find((p) => p.name === 'Backup SMTP')!.enabled).to.equal(false);
    await page.locator('tr', { hasText: 'Backup SMTP' }).getByRole('button', { name: 'Enable' }).click();
    expect((await t.services.providers.list(tenantId)).find((p) => p.name === 'Backup SMTP')!.enabled).to.equal(true);
  });

  it('declares a price per segment with prices by country, shows errors keeping what was typed, and clears it', async () => {
    await page.goto('/admin/providers/new?adapter=sandbox');
    await page.getByLabel('Channel').selectOption('sms');
    await page.getByLabel('Name', { exact: true }).fill('Cheap SMS');
    await page.getByLabel('Currency (ISO 4217, e.g. EUR)').fill('usd');
    await page.getByLabel('Charged').selectOption('perSegment');
    await page.getByLabel('Amount', { exact: true }).fill('0.0079');
    await page.getByLabel(/^By country/).fill('44=0.04\n+1787 = 0.002');
    await page.getByRole('button', { name: 'Create provider' }).click();
    // The API's own check names the field; nothing typed is lost.
    expect(await page.getByRole('alert').textContent()).to.include('/price/currency');
    expect(await page.getByLabel('Amount', { exact: true }).inputValue()).to.equal('0.0079');
    expect(await page.getByLabel('Charged').inputValue()).to.equal('perSegment');
    expect(await page.getByLabel(/^By country/).inputValue()).to.equal('44=0.04\n+1787 = 0.002');
    await check(page, 'provider-price-errors');
    await page.getByLabel('Currency (ISO 4217, e.g. EUR)').fill('USD');
    await page.getByRole('button', { name: 'Create provider' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Provider created.');
    await check(page, 'provider-price');
    const stored = (await t.services.providers.list(tenantId)).find((p) => p.name === 'Cheap SMS')!;
    expect(stored.price).to.deep.equal({ currency: 'USD', perSegment: 0.0079, byPrefix: { 44: 0.04, 1787: 0.002 } });
    expect(await page.getByLabel(/^By country/).inputValue()).to.equal('44=0.04\n1787=0.002');

    // A line that is no prefix=amount, then a prefix the API refuses: the stored price stays.
    await page.getByLabel(/^By country/).fill('44=cheap');
    await page.getByRole('button', { name: 'Save' }).click();
    expect(await page.getByRole('alert').textContent()).to.include('line 1: must be prefix=amount');
    await page.getByLabel(/^By country/).fill('0044=0.04');
    await page.getByRole('button', { name: 'Save' }).click();
    expect(await page.getByRole('alert').textContent()).to.include('/price/byPrefix');
    expect((await t.services.providers.get(tenantId, stored.id)).price).to.deep.equal(stored.price);

    // Emptied: no price declared.
    await page.getByLabel('Currency (ISO 4217, e.g. EUR)').fill('');
    await page.getByLabel('Amount', { exact: true }).fill('');
    await page.getByLabel(/^By country/).fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Provider saved.');
    expect((await t.services.providers.get(tenantId, stored.id)).price).to.equal(null);
  });

  it('declares a per-minute price on a voice provider and keeps it when saved again', async () => {
    await page.goto('/admin/providers/new?adapter=sandbox');
    await page.getByLabel('Channel').selectOption('voice');
    await page.getByLabel('Name', { exact: true }).fill('Paging calls');
    await page.getByLabel('Currency (ISO 4217, e.g. EUR)').fill('USD');
    await page.getByLabel('Charged').selectOption('perMinute');
    await page.getByLabel('Amount', { exact: true }).fill('0.02');
    await page.getByRole('button', { name: 'Create provider' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Provider created.');
    const stored = (await t.services.providers.list(tenantId)).find((p) => p.name === 'Paging calls')!;
    expect(stored.price).to.deep.equal({ currency: 'USD', perMinute: 0.02 });
    // The form shows it back as it is, so saving changes nothing.
    expect(await page.getByLabel('Charged').inputValue()).to.equal('perMinute');
    expect(await page.getByLabel('Amount', { exact: true }).inputValue()).to.equal('0.02');
    await page.getByRole('button', { name: 'Save' }).click();
    expect(await page.getByRole('status').textContent()).to.include('Provider saved.');
    expect((await t.services.providers.get(tenantId, stored.id)).price).to.deep.equal({ currency: 'USD', perMinute: 0.02 });
  });

  it('refuses a viewer\'s change on the server', async () => {
    const viewer = await loginAs(browser, served.url, 'viewer@acme.example');
    await visit(viewer.page, '/admin/providers', 'providers-viewer');
    const [provider] = await t.services.providers.list(tenantId);
    const csrf = await viewer.page.locator('input[name="_csrf"]').first().inputValue();
    const res = await viewer.page.request.post(`/admin/providers/${provider.id}/enabled`, { form: { _csrf: csrf, enabled: 'false' } });
    expect(res.status()).to.equal(403);
    expect((await t.services.providers.get(tenantId, provider.id)).enabled).to.equal(true);
    await viewer.context.close();
  });
});
