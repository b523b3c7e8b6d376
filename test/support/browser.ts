import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/**
 * The Debian `chromium` package's browser (installed by .ci/run), driven by playwright-core,
 * which downloads no browser of its own. CLARION_CHROMIUM names another binary.
 */
export function chromiumPath(): string {
  const candidates = [
    process.env.CLARION_CHROMIUM,
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

/** A headless Chromium; close it after the suite. */
export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
