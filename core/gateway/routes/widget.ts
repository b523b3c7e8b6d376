import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type Router from '@koa/router';
import type { Context, Next } from 'koa';

/**
 * The `<clarion-inbox>` web component (widget/clarion-inbox.js) as the gateway serves it, the
 * demo page that embeds it, and the CORS answers that let a page of another origin use the
 * inbox routes. Subscribers' credentials are bearer tokens, never cookies: any origin may call
 * (`Access-Control-Allow-Origin: *`), which gives a page nothing its token does not.
 */

const source = readFileSync(new URL('../../../widget/clarion-inbox.js', import.meta.url), 'utf8');
const packageVersion = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const digest = createHash('sha256').update(source).digest('hex');

/** `<package version>-<content hash>`: changes with every change of the file. */
export const WIDGET_VERSION = `${packageVersion}-${digest.slice(0, 10)}`;
const widget = Buffer.from(source.replace('__CLARION_WIDGET_VERSION__', WIDGET_VERSION));
const widgetGzip = gzipSync(widget, { level: 9 });
const etag = `"${WIDGET_VERSION}"`;

/** The size budget (issue 14): under 25 KB gzipped. A test holds the file to it. */
export const WIDGET_GZIP_BYTES = widgetGzip.length;

/** `/v1/inbox/*` may be called from any origin (preflights answered here, before any route). */
export async function inboxCors(ctx: Context, next: Next): Promise<void> {
  if (!/^\/v1\/inbox(\/|$)/.test(ctx.path)) return next();
  ctx.set('Access-Control-Allow-Origin', '*');
  if (ctx.method === 'OPTIONS' && ctx.get('access-control-request-method')) {
    ctx.set('Access-Control-Allow-Methods', 'GET, POST, PATCH');
    ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, Last-Event-ID');
    ctx.set('Access-Control-Max-Age', '600');
    ctx.status = 204;
    return;
  }
  ctx.set('Access-Control-Expose-Headers', 'X-Request-Id, X-Clarion-Widget-Version');
  return next();
}

const DEMO_STYLE = `body{font-family:system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
nav{display:flex;align-items:center;justify-content:space-between;padding:8px 24px;background:#fff;border-bottom:1px solid #d0d7de}
main{max-width:46rem;margin:2rem auto;padding:0 1rem}code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px;overflow-x:auto}
@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}nav,pre{background:#161b22;border-color:#30363d}}`;

// The page's own script: the credentials come in the fragment, which no server sees or logs.
const DEMO_SCRIPT = `const p = new URLSearchParams(location.hash.slice(1));
const inbox = document.querySelector('clarion-inbox');
for (const name of ['theme', 'lang', 'tabs', 'transport', 'tenant-id', 'subscriber-id', 'subscriber-hash', 'token']) if (p.get(name)) inbox.setAttribute(name, p.get(name));
if (p.get('lang')) document.documentElement.lang = p.get('lang');
document.getElementById('who').textContent = p.get('token') || p.get('subscriber-hash') ? 'Signed in from the page address.' : 'No credentials in the address: see below.';
inbox.addEventListener('clarion-inbox:token-expired', () => { document.getElementById('who').textContent = 'The token expired: mint a new one and reload with it.'; });`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
const DEMO_CSP = [
  "default-src 'none'",
  `script-src 'self' ${sha256(DEMO_SCRIPT)}`,
  `style-src 'self' ${sha256(DEMO_STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const DEMO_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Clarion inbox demo</title><link rel="icon" href="data:,"><style>${DEMO_STYLE}</style>
<script type="module" src="/v1/inbox/widget.js?v=${WIDGET_VERSION}"></script></head>
<body><nav aria-label="Demo"><strong>Acme app</strong><clarion-inbox placement="right"></clarion-inbox></nav>
<main><h1>The inbox, live</h1><p id="who" role="status"></p>
<p>This page embeds the <code>&lt;clarion-inbox&gt;</code> bell with two lines of HTML:</p>
<pre>&lt;script type="module" src="https://clarion.example/v1/inbox/widget.js"&gt;&lt;/script&gt;
&lt;clarion-inbox token="cin_..."&gt;&lt;/clarion-inbox&gt;</pre>
<p>Open it with a subscriber's token in the address (the fragment never reaches a server):</p>
<pre>TOKEN=$(curl -s -X POST http://127.0.0.1:8080/v1/subscribers/ada/inbox-token \\
  -H "Authorization: Bearer $CLARION_API_KEY" | sed 's/.*"token":"\\([^"]*\\)".*/\\1/')
echo "http://127.0.0.1:8080/demo/inbox#token=$TOKEN"</pre>
<p>or with a subscriber hash: <code>#tenant-id=…&amp;subscriber-id=ada&amp;subscriber-hash=…</code>. Add
<code>&amp;lang=fr</code>, <code>&amp;theme=dark</code> or <code>&amp;tabs=categories</code> to try them.
Post an event for <code>ada</code> and watch the bell; open the page in a second tab and mark the item read there.</p>
</main><script>${DEMO_SCRIPT}</script></body></html>`;

export function widgetRoutes(router: Router): void {
  router.get('/v1/inbox/widget.js', (ctx) => {
    ctx.set('X-Clarion-Widget-Version', WIDGET_VERSION);
    ctx.set('ETag', etag);
    ctx.set('Vary', 'Accept-Encoding');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
    // The versioned address never changes content: cached for good. The bare one: revalidated.
    ctx.set('Cache-Control', ctx.query.v === WIDGET_VERSION ? 'public, max-age=31536000, immutable' : 'public, max-age=300, must-revalidate');
    ctx.type = 'text/javascript; charset=utf-8';
    if (ctx.get('if-none-match').split(',').map((t) => t.trim().replace(/^W\//, '')).includes(etag)) {
      ctx.status = 304;
      return;
    }
    if (ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = widgetGzip;
    } else {
      ctx.body = widget;
    }
  });
  router.get('/demo/inbox', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('Content-Security-Policy', DEMO_CSP);
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = DEMO_PAGE;
  });
}
