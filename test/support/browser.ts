import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { TestApp } from './clarion.ts';
import { PASSWORD } from './admin.ts';
import { SmtpSink } from './smtp.ts';

/**
 * Browser tests: Debian's chromium (installed by .ci/run) driven by playwright-core, against the
 * gateway of a TestApp listening on loopback. One browser per test file; a context per user.
 * Every page a test visits is screenshotted to artifacts/screenshots/ and checked with axe-core.
 */
export const SCREENSHOTS = fileURLToPath(new URL('../../artifacts/screenshots/', import.meta.url));
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface Served {
  url: string;
  close(): Promise<void>;
}

/** The TestApp's gateway on a real socket, for the browser to reach. */
export async function serve(t: TestApp, listenPort = 0): Promise<Served> {
  const server = http.createServer(t.callback);
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a console test runs against: a real SMTP sink, the TestApp's gateway on loopback, a browser. */
export interface ConsoleRig {
  sink: SmtpSink;
  served: Served;
  browser: Browser;
  /** Ends the browser, the server, the app's SMTP pools, the sink, then the app. */
  close(): Promise<void>;
}

export async function consoleRig(t: TestApp): Promise<ConsoleRig> {
  const sink = new SmtpSink();
  await sink.start();
  const served = await serve(t);
  const browser = await launch();
  return {
    sink,
    served,
    browser,
    close: async () => {
      await browser.close();
      await served.close();
      await t.services.delivery.close();
      await sink.stop();
      await t.close();
    },
  };
}

/** A free loopback port, for a server whose URL must be known before it starts (CLARION_PUBLIC_URL). */
export async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export async function launch(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

/** A browser context (its own cookies) logged in as `email`. */
export async function loginAs(browser: Browser, base: string, email: string, password = PASSWORD, options: { locale?: string; viewport?: { width: number; height: number } } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: base, locale: options.locale ?? 'en-GB', viewport: options.viewport ?? { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto('/admin/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/admin/login'));
  return { context, page };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary?: string }>;
}

/** axe-core on the page as it is now: the serious and critical violations (none expected). */
export async function axe(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, so the page's own CSP does not stop the script.
  await page.evaluate(AXE);
  const result = (await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })`)) as { violations: AxeViolation[] };
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Screenshot to the CI artifacts and the axe check; fails the test on a serious violation. */
export async function check(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
  const violations = await axe(page);
  if (violations.length > 0) {
    throw new Error(`axe-core found serious violations on ${name} (${page.url()}):\n${violations.map((v) => `- ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} ${n.failureSummary ?? ''}`).join('\n    ')}`).join('\n')}`);
  }
}

/** Goes to a console page, expects it to answer 200, and checks it. */
export async function visit(page: Page, path: string, name: string): Promise<void> {
  const response = await page.goto(path);
  if (response?.status() !== 200) throw new Error(`${path} answered ${response?.status()}: ${(await page.textContent('main'))?.slice(0, 500)}`);
  await check(page, name);
}

/**
 * The Debian `chromium` package's browser (installed by .ci/run), driven by playwright-core,
 * which downloads no browser of its own. CLARION_CHROMIUM (or CHROMIUM_PATH) names another binary.
 */
export function chromiumPath(): string {
  const candidates = [
    process.env.CLARION_CHROMIUM,
    process.env.CHROMIUM_PATH,
    // The binary itself, without the Debian wrapper script around it.
    '/usr/lib/chromium/chromium',
    ...['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'].flatMap((name) => (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name))),
  ].filter((c): c is string => Boolean(c));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next one
    }
  }
  throw new Error(`No Chromium found (tried ${candidates.join(', ')}): apt-get install -y chromium, or set CLARION_CHROMIUM`);
}

/** A headless Chromium without the console's screenshots directory; close it after the suite. */
export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
