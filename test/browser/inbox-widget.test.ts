import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { testApp, type TestApp } from '../support/clarion.ts';
import { check, launchChromium } from '../support/browser.ts';
import { clients, inAppWorkflow } from '../support/inbox.ts';
import { serve } from '../support/stream.ts';

const require = createRequire(import.meta.url);

// The functions handed to page.evaluate and waitForFunction run in the page (Playwright
// serialises them): the page's globals, typed loosely for this module only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any, window: any;

/**
 * `<clarion-inbox>` in a real browser (Debian chromium through playwright-core) against a real
 * gateway on loopback: the demo page's badge follows events and reads live, across tabs; the
 * two-line embed works from a page of another origin; axe-core finds no serious violation.
 * Waits are for conditions in the page (Playwright polls them), never for time.
 */
describe('<clarion-inbox> in Chromium', function () {
  this.timeout(60_000);
  let t: TestApp;
  let server: Awaited<ReturnType<typeof serve>>;
  let browser: Browser;
  let c: ReturnType<typeof clients>;
  const contexts: BrowserContext[] = [];

  before(async () => {
    t = await testApp({ env: { CLARION_INBOX_HEARTBEAT_MS: '5000' } });
    server = await serve(t, t.db.url);
    const { apiKey } = await t.tenant('Acme', { acceptUnvalidatedTypes: true });
    c = clients(t, apiKey);
    await c.api.put('/v1/workflows/order.shipped').send(inAppWorkflow('com.acme.order.shipped')).expect(201);
    await c.api.put('/v1/workflows/billing.due').send(inAppWorkflow('com.acme.billing.due', { category: 'billing', templates: { in_app: { title: 'Invoice {{ data.orderId }} due', body: 'Pay soon.' } } })).expect(201);
    browser = await launchChromium();
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.close();
    await t?.close();
  });

  const context = async (options: Parameters<Browser['newContext']>[0] = {}) => {
    const ctx = await browser.newContext(options);
    contexts.push(ctx);
    // Tests reach loopback only: anything else (the items' shop.example links) is answered here.
    await ctx.route(/^(?!https?:\/\/(127\.0\.0\.1|localhost)[:/])/, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<title>elsewhere</title>' }));
    return ctx;
  };
  const unread = (page: Page) => page.evaluate(() => document.querySelector('clarion-inbox')!.shadowRoot!.querySelector('.bell')!.getAttribute('data-unread'));
  const untilUnread = (page: Page, n: number) =>
    page.waitForFunction((want) => document.querySelector('clarion-inbox')?.shadowRoot?.querySelector('.bell')?.getAttribute('data-unread') === String(want), n, { timeout: 10_000 });
  const untilLive = (page: Page) => page.waitForFunction(() => document.querySelector('clarion-inbox')?.dataset.status === 'live', undefined, { timeout: 10_000 });
  const post = (type: string, subscriber: string) => c.post(type, [subscriber]);

  it('raises the demo page badge live when an event is posted, and lowers it in every tab when read in one', async () => {
    const token = await c.token('ada');
    const ctx = await context();
    const laptop = await ctx.newPage();
    const errors: string[] = [];
    laptop.on('pageerror', (e) => errors.push(String(e)));
    laptop.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await laptop.goto(`${server.url}/demo/inbox#token=${token}`);
    await untilLive(laptop);
    expect(await unread(laptop)).to.equal('0');
    const other = await ctx.newPage();
    await other.goto(`${server.url}/demo/inbox#token=${token}`);
    await untilLive(other);

    const started = performance.now();
    await post('com.acme.order.shipped', 'ada');
    await Promise.all([untilUnread(laptop, 1), untilUnread(other, 1)]);
    console.log(`      badge raised ${Math.round(performance.now() - started)} ms after the event was posted (worker run included)`);
    expect(await laptop.locator('clarion-inbox .bell').getAttribute('aria-label')).to.equal('Notifications, 1 unread');

    // Read in the second tab: the first follows without a reload.
    await other.locator('clarion-inbox .bell').click();
    const item = other.locator('clarion-inbox li.item').first();
    await expect(await item.locator('.title').textContent()).to.match(/Order \d+ shipped/);
    await item.getByRole('button', { name: 'Mark as read' }).click();
    await Promise.all([untilUnread(laptop, 0), untilUnread(other, 0)]);
    expect(await laptop.locator('clarion-inbox .bell').getAttribute('aria-label')).to.equal('Notifications, none unread');
    expect(errors, 'no errors in the page (CSP included)').to.deep.equal([]);
  });

  it('takes actions, archives, snoozes and marks all read, and keeps following after its stream drops', async () => {
    const token = await c.token('bob');
    const page = await (await context()).newPage();
    await page.goto(`${server.url}/demo/inbox#token=${token}`);
    await untilLive(page);
    await post('com.acme.order.shipped', 'bob');
    await post('com.acme.order.shipped', 'bob');
    await post('com.acme.billing.due', 'bob');
    await untilUnread(page, 3);
    await page.locator('clarion-inbox .bell').click();
    const items = page.locator('clarion-inbox li.item');
    await items.nth(2).waitFor();
    expect(await items.count()).to.equal(3);

    // The action button: recorded, the item read.
    const [popup] = await Promise.all([page.waitForEvent('popup'), items.nth(1).getByRole('button', { name: 'Track' }).click()]);
    expect(popup.url()).to.equal('https://shop.example/track');
    await popup.close();
    await untilUnread(page, 2);
    const { body: feed } = await c.as(token).get('/v1/inbox?status=all').expect(200);
    expect(feed.items.filter((i: { action: { key: string } | null }) => i.action?.key === 'track')).to.have.length(1);

    await items.first().getByRole('button', { name: 'Archive' }).click();
    await page.waitForFunction(() => document.querySelector('clarion-inbox')!.shadowRoot!.querySelectorAll('li.item').length === 2);
    await items.first().getByRole('combobox', { name: 'Snooze' }).selectOption('1h');
    await page.waitForFunction(() => document.querySelector('clarion-inbox')!.shadowRoot!.querySelectorAll('li.item').length === 1);
    expect((await c.as(token).get('/v1/inbox?status=snoozed').expect(200)).body.items).to.have.length(1);

    // The gateway drops every stream: the widget comes back with its cursor and misses nothing.
    await t.services.inbox.stop();
    await page.waitForFunction(() => document.querySelector('clarion-inbox')?.dataset.status === 'reconnecting', undefined, { timeout: 10_000 });
    await t.services.inbox.start(t.db.url);
    await post('com.acme.order.shipped', 'bob');
    await untilLive(page);
    // The unread one left, and the one posted while the stream was down.
    await untilUnread(page, 2);
    await page.waitForFunction(() => document.querySelector('clarion-inbox')!.shadowRoot!.querySelectorAll('li.item').length === 2);

    await page.locator('clarion-inbox').getByRole('button', { name: 'Mark all as read' }).click();
    await untilUnread(page, 0);
    expect((await c.as(token).get('/v1/inbox/counts').expect(200)).body.unread).to.equal(0);
  });

  it('switches the subscriber\'s own channels per category in its preferences panel, in French', async () => {
    await c.api.put('/v1/workflows/billing.due').send(inAppWorkflow('com.acme.billing.due', { category: 'billing', channels: ['in_app', 'email'], templates: { in_app: { title: 'Invoice due', body: 'Pay soon.' }, email: { subject: 'Invoice due', text: 'Pay soon.' } } })).expect(200);
    const token = await c.token('carol');
    const page = await (await context({ locale: 'fr-FR' })).newPage();
    await page.goto(`${server.url}/demo/inbox#token=${token}&lang=fr`);
    await untilLive(page);
    expect(await page.locator('clarion-inbox .bell').getAttribute('aria-label')).to.equal('Notifications, aucune non lue');
    await page.locator('clarion-inbox .bell').click();
    expect(await page.locator('clarion-inbox [part=empty]').textContent()).to.equal('Vous êtes à jour.');
    await page.locator('clarion-inbox').getByRole('button', { name: 'Préférences' }).click();
    const email = page.locator('clarion-inbox fieldset', { hasText: 'Billing' }).getByRole('checkbox', { name: 'E-mail' });
    await email.waitFor();
    expect(await email.isChecked()).to.equal(true);
    await email.uncheck();
    await page.locator('clarion-inbox [role=status]', { hasText: 'Enregistré.' }).waitFor();
    const { body } = await c.api.get('/v1/subscribers/carol/preferences').expect(200);
    expect(body.settings).to.deep.equal({ categories: { billing: { email: false } } });
  });

  it('speaks German and Spanish', async () => {
    const token = await c.token('dora');
    for (const [lang, bell, empty, prefs] of [['de', 'Benachrichtigungen, keine ungelesen', 'Sie sind auf dem neuesten Stand.', 'Einstellungen'], ['es', 'Notificaciones, ninguna sin leer', 'Estás al día.', 'Preferencias']]) {
      const page = await (await context({ locale: lang })).newPage();
      await page.goto(`${server.url}/demo/inbox#token=${token}&lang=${lang}`);
      await untilLive(page);
      expect(await page.locator('clarion-inbox .bell').getAttribute('aria-label'), lang).to.equal(bell);
      await page.locator('clarion-inbox .bell').click();
      expect(await page.locator('clarion-inbox [part=empty]').textContent(), lang).to.equal(empty);
      await page.locator('clarion-inbox').getByRole('button', { name: prefs }).waitFor();
      await check(page, `inbox-widget-open-${lang}`);
    }
  });

  it('embeds in a plain page of another origin with two lines of HTML', async () => {
    const token = await c.token('dan');
    const page = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><html lang="en"><head><title>Shop</title></head><body>
<script type="module" src="${server.url}/v1/inbox/widget.js"></script>
<clarion-inbox token="${token}"></clarion-inbox>
</body></html>`);
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    try {
      // localhost and 127.0.0.1: two origins, so the widget's calls are cross-origin (CORS).
      const tab = await (await context()).newPage();
      await tab.goto(`http://localhost:${(page.address() as AddressInfo).port}/`);
      await untilLive(tab);
      await post('com.acme.order.shipped', 'dan');
      await untilUnread(tab, 1);
      await tab.locator('clarion-inbox .bell').click();
      await tab.locator('clarion-inbox li.item').first().waitFor();
      expect(await tab.locator('clarion-inbox li.item .title a').first().getAttribute('href')).to.match(/^https:\/\/shop\.example\/orders\/\d+$/);
    } finally {
      page.closeAllConnections();
      await new Promise<void>((resolve) => page.close(() => resolve()));
    }
  });

  it('streams over Server-Sent Events where WebSockets do not get through', async () => {
    const token = await c.token('fay');
    // A second door to the same gateway that drops every WebSocket upgrade, as some proxies do.
    const proxy = http.createServer(t.callback);
    proxy.on('upgrade', (_req, socket) => socket.destroy());
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const tab = await (await context()).newPage();
      await tab.goto(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/demo/inbox#token=${token}`);
      await untilLive(tab);
      expect(await tab.locator('clarion-inbox').getAttribute('data-transport')).to.equal('sse');
      await post('com.acme.order.shipped', 'fay');
      await untilUnread(tab, 1);
      await c.as(token).post('/v1/inbox/mark').send({ action: 'read' }).expect(200);
      await untilUnread(tab, 0);
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('passes axe-core without serious violations: closed, open with items, preferences, dark', async () => {
    const token = await c.token('erin');
    await post('com.acme.order.shipped', 'erin');
    await post('com.acme.billing.due', 'erin');
    // Injecting axe needs the page's CSP bypassed; the widget's own runs were checked under it above.
    const page = await (await context({ bypassCSP: true })).newPage();
    const check = async (what: string) => {
      await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(context: unknown, options: object): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: unknown }> }> }> } }).axe;
        const result = await axe.run(document, { resultTypes: ['violations'] });
        return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`);
      });
      expect(violations, what).to.deep.equal([]);
    };
    await page.goto(`${server.url}/demo/inbox#token=${token}&tabs=categories`);
    await untilLive(page);
    await untilUnread(page, 2);
    await check('closed');
    await page.locator('clarion-inbox .bell').click();
    await page.locator('clarion-inbox li.item').nth(1).waitFor();
    // Keyboard: focus went into the dialog; Escape closes it and gives the focus back to the bell.
    expect(await page.evaluate(() => document.querySelector('clarion-inbox')!.shadowRoot!.activeElement?.id)).to.equal('heading');
    await check('open');
    await page.locator('clarion-inbox').getByRole('tab', { name: /Unread/ }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('clarion-inbox [role=tab][aria-selected=true]').textContent()).to.match(/^Billing/);
    await page.locator('clarion-inbox li.item').first().waitFor();
    expect(await page.locator('clarion-inbox li.item').count()).to.equal(1);
    await page.keyboard.press('Escape');
    expect(await page.locator('clarion-inbox [part=panel]').isHidden()).to.equal(true);
    expect(await page.evaluate(() => document.querySelector('clarion-inbox')!.shadowRoot!.activeElement?.getAttribute('part'))).to.equal('bell');
    await page.locator('clarion-inbox .bell').click();
    await page.locator('clarion-inbox').getByRole('button', { name: 'Preferences' }).click();
    await page.locator('clarion-inbox fieldset').first().waitFor();
    await check('preferences');
    await page.goto(`${server.url}/demo/inbox#token=${token}&theme=dark`);
    await page.reload();
    await untilLive(page);
    await page.locator('clarion-inbox .bell').click();
    await page.locator('clarion-inbox li.item').first().waitFor();
    expect(await page.locator('clarion-inbox').getAttribute('theme')).to.equal('dark');
    await check('dark');
  });
});
