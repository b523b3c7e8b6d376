import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import nunjucks from 'nunjucks';
import getRawBody from 'raw-body';
import type { AdminSession } from '../core/accounts/service.ts';
import { allows, type Permission } from '../core/accounts/roles.ts';
import { ClarionError, isClarionError } from '../core/errors.ts';
import type { Services } from '../core/services.ts';
import type { TenantRow } from '../core/tenants.ts';
import { chooseLocale, isLocale, LOCALES, translator, type Locale, type Translate } from './i18n.ts';
import { clearCookie, csrfRefused, FLASH_COOKIE, Form, getCookie, LOGIN_CSRF_COOKIE, sameToken, SESSION_COOKIE, setCookie } from './http.ts';

/**
 * The admin console, served by the gateway under /admin: server-rendered pages (nunjucks) that
 * call the same services as the REST API, with small scripts that enhance them. Every request
 * goes through here: security headers, the session, the form and its CSRF token, the role
 * check of the route, and errors shown as pages.
 */

export interface Flash {
  kind: 'ok' | 'error';
  message: string;
  /** A secret to show once (a new API key, a webhook secret, an invitation link). */
  secret?: string;
}

export interface AdminState {
  session?: AdminSession;
  /** The session cookie's token (for logout and switching tenant). */
  token?: string;
  tenant?: TenantRow;
  form: Form;
  json?: unknown;
  locale: Locale;
  t: Translate;
  flash?: Flash;
}

export interface AdminDeps {
  services: Services;
  /** Cookies are Secure when the console is reached over https (CLARION_PUBLIC_URL). */
  secure: boolean;
  render(ctx: Context, view: string, data?: Record<string, unknown>): void;
  /** Called when the gateway stops (to end long-lived responses). */
  onClose(close: () => void): void;
}

type Handler = (ctx: Context, state: AdminState) => unknown;

/** Routes, each with the permission its action needs, checked before the handler runs. */
export class AdminRouter {
  readonly router = new Router();

  get(path: string, handler: Handler, options: { public?: boolean } = {}): void {
    this.router.get(path, this.#wrap(options.public ? undefined : 'read', handler));
  }

  post(path: string, permission: Permission | 'public' | 'session', handler: Handler): void {
    this.router.post(path, this.#wrap(permission === 'public' ? undefined : permission, handler, permission === 'session'));
  }

  #wrap(permission: Permission | 'session' | undefined, handler: Handler, anyTenant = false) {
    return async (ctx: Context) => {
      const state = adminState(ctx);
      if (permission) requireSession(ctx, state, { anyTenant: anyTenant || permission === 'session' });
      if (permission && permission !== 'session' && !allows(state.session!.user.role, permission)) {
        throw new ClarionError('CLARION_ERR_ADMIN_FORBIDDEN', `Your role (${state.session!.user.role}) does not allow this: it needs ${NEEDED[permission]}`);
      }
      await handler(ctx, state);
    };
  }
}

const NEEDED: Record<Permission, string> = { read: 'a viewer or more', author: 'an editor or more', manage: 'an admin or owner', own: 'an owner' };

export function adminState(ctx: Context): AdminState {
  return ctx.state.admin as AdminState;
}

function requireSession(ctx: Context, state: AdminState, options: { anyTenant: boolean }): void {
  if (!state.session) throw new ClarionError('CLARION_ERR_ADMIN_SESSION_REQUIRED', 'Log in to use the console');
  if (!options.anyTenant && !state.tenant) throw new ClarionError('CLARION_ERR_TENANT_NOT_FOUND', 'Choose a tenant to act in');
}

const VIEWS = fileURLToPath(new URL('./views/', import.meta.url));
const require = createRequire(import.meta.url);
const ASSETS: Record<string, { file: string; type: string }> = {
  'admin.css': { file: fileURLToPath(new URL('./assets/admin.css', import.meta.url)), type: 'text/css' },
  'admin.js': { file: fileURLToPath(new URL('./assets/admin.js', import.meta.url)), type: 'text/javascript' },
  'dashboard.js': { file: fileURLToPath(new URL('./assets/dashboard.js', import.meta.url)), type: 'text/javascript' },
  'editor.js': { file: fileURLToPath(new URL('./assets/editor.js', import.meta.url)), type: 'text/javascript' },
  // The chart library, served from its npm package (no CDN).
  'uplot.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript' },
  'uplot.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css' },
};

/** Content security policy of the pages: only the console's own scripts and styles. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

export interface Admin {
  /** The gateway's middleware: handles /admin and everything under it, passes the rest on. */
  middleware: Middleware;
  router: AdminRouter;
  /** Ends the long-lived responses (live streams) so the server can close. */
  close(): void;
}

export function createAdmin(services: Services, register: Array<(routes: AdminRouter, deps: AdminDeps) => void>): Admin {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS, { noCache: false }), { autoescape: true, throwOnUndefined: false });
  env.addFilter('date', (value: unknown) => (value ? new Date(value as string).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–'));
  env.addFilter('json', (value: unknown) => JSON.stringify(value, null, 2));
  env.addFilter('urlencode', (value: unknown) => encodeURIComponent(String(value ?? '')));
  const secure = services.config.publicUrl.startsWith('https://');
  const assets = new Map<string, Buffer>();

  const render = (ctx: Context, view: string, data: Record<string, unknown> = {}) => {
    const state = adminState(ctx);
    const user = state.session?.user;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = env.render(view, {
      t: state.t,
      locale: state.locale,
      locales: LOCALES,
      user,
      tenant: state.tenant,
      csrf: state.session?.csrfToken,
      path: ctx.path,
      url: ctx.url,
      flash: state.flash,
      can: (permission: Permission) => Boolean(user && allows(user.role, permission)),
      ...data,
    });
  };
  const closers: Array<() => void> = [];
  const deps: AdminDeps = { services, secure, render, onClose: (close) => closers.push(close) };
  const routes = new AdminRouter();
  for (const add of register) add(routes, deps);
  const dispatch = routes.router.routes();

  const asset = (ctx: Context) => {
    const name = ctx.path.slice('/admin/assets/'.length);
    const entry = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!entry) throw new ClarionError('CLARION_ERR_HTTP_NOT_FOUND', `No asset ${name}`);
    let body = assets.get(name);
    if (!body) assets.set(name, (body = readFileSync(entry.file)));
    ctx.type = entry.type;
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = body;
  };

  const middleware = async (ctx: Context, next: Next) => {
    if (ctx.path !== '/admin' && !ctx.path.startsWith('/admin/')) return next();
    ctx.set('Content-Security-Policy', CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.set('X-Frame-Options', 'DENY');
    const state: AdminState = { form: new Form(new URLSearchParams()), locale: 'en', t: translator('en') };
    ctx.state.admin = state;
    try {
      if (ctx.path.startsWith('/admin/assets/')) return asset(ctx);
      ctx.set('Cache-Control', 'no-store');
      await loadSession(ctx, state, services);
      state.flash = readFlash(ctx, secure);
      if (ctx.method === 'POST') await readForm(ctx, state, services.config.maxBodyBytes);
      await dispatch(ctx as never, async () => {
        // Without a session, the console's map is not shown: every unknown page asks for a login.
        if (!state.session) throw new ClarionError('CLARION_ERR_ADMIN_SESSION_REQUIRED', 'Log in to use the console');
        throw new ClarionError('CLARION_ERR_HTTP_NOT_FOUND', `No page ${ctx.path}`);
      });
    } catch (err) {
      errorPage(ctx, state, err, render, services);
    }
  };
  return { middleware, router: routes, close: () => closers.forEach((close) => close()) };
}

async function loadSession(ctx: Context, state: AdminState, services: Services): Promise<void> {
  const token = getCookie(ctx, SESSION_COOKIE);
  const session = token ? await services.accounts.session(token) : undefined;
  if (session) {
    state.session = session;
    state.token = token;
    if (session.tenantId) {
      state.tenant = await services.tenants.find(session.tenantId);
      ctx.state.log = ctx.state.log?.child({ tenantId: session.tenantId, adminUser: session.user.id });
    }
  }
  const asked = typeof ctx.query.lang === 'string' ? ctx.query.lang : undefined;
  state.locale = chooseLocale(isLocale(asked) ? asked : session?.locale, ctx.get('accept-language'));
  state.t = translator(state.locale);
}

async function readForm(ctx: Context, state: AdminState, limit: number): Promise<void> {
  const type = ctx.get('content-type').split(';')[0].trim().toLowerCase();
  const body = await getRawBody(ctx.req, { limit, length: ctx.get('content-length') || undefined, encoding: 'utf8' });
  if (type === 'application/json') {
    try {
      state.json = JSON.parse(body);
    } catch {
      throw new ClarionError('CLARION_ERR_HTTP_MALFORMED_JSON', 'The body is not valid JSON');
    }
  } else if (type === 'application/x-www-form-urlencoded' || type === '') {
    state.form = new Form(new URLSearchParams(body));
  } else {
    throw new ClarionError('CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE', `Send forms as application/x-www-form-urlencoded (got ${type})`);
  }
  // Every form posted with a session carries that session's token; those without a session
  // (login, password reset, invitation) the one of the login cookie (double submit).
  const sent = state.form.get('_csrf') ?? ctx.get('x-csrf-token');
  // (Either secret is this browser's own and unknown to another site, so either will do.)
  const token = sent || undefined;
  if (!sameToken(token, state.session?.csrfToken) && !sameToken(token, getCookie(ctx, LOGIN_CSRF_COOKIE))) throw csrfRefused();
}

/** The token of the forms shown before a session exists (login, reset, invitation), set in a cookie. */
export function loginCsrf(ctx: Context, secure: boolean): string {
  let value = getCookie(ctx, LOGIN_CSRF_COOKIE);
  if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
    value = randomBytes(32).toString('base64url');
    setCookie(ctx, LOGIN_CSRF_COOKIE, value, { secure, maxAgeSeconds: 3600 });
  }
  return value;
}

export function flash(ctx: Context, secure: boolean, value: Flash): void {
  setCookie(ctx, FLASH_COOKIE, JSON.stringify(value), { secure, maxAgeSeconds: 60 });
}

function readFlash(ctx: Context, secure: boolean): Flash | undefined {
  const raw = getCookie(ctx, FLASH_COOKIE);
  if (raw === undefined || ctx.method !== 'GET') return undefined;
  clearCookie(ctx, FLASH_COOKIE, secure);
  try {
    const parsed = JSON.parse(raw) as Flash;
    return (parsed.kind === 'ok' || parsed.kind === 'error') && typeof parsed.message === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Back to a console page with a message (Post/Redirect/Get). */
export function redirect(ctx: Context, deps: AdminDeps, to: string, message?: Flash): void {
  if (message) flash(ctx, deps.secure, message);
  ctx.status = 303;
  ctx.redirect(to);
}

function errorPage(ctx: Context, state: AdminState, err: unknown, render: AdminDeps['render'], services: Services): void {
  const error = isClarionError(err) ? err : toError(err);
  if (error.status >= 500) (ctx.state.log ?? services.log).error({ err, reqId: ctx.state.reqId }, 'console request failed');
  if (!ctx.req.readableEnded) ctx.set('Connection', 'close');
  const wantsJson = ctx.get('accept').includes('application/json') && !ctx.get('accept').includes('text/html');
  if (error.code === 'CLARION_ERR_ADMIN_SESSION_REQUIRED' && ctx.method === 'GET' && !wantsJson) {
    ctx.status = 303;
    ctx.redirect(`/admin/login?next=${encodeURIComponent(ctx.url)}`);
    return;
  }
  if (error.code === 'CLARION_ERR_TENANT_NOT_FOUND' && state.session?.user.role === 'operator' && !state.tenant && ctx.method === 'GET') {
    ctx.status = 303;
    ctx.redirect('/admin/tenants');
    return;
  }
  ctx.status = error.status;
  const detail = error.status < 500 ? error.message : state.t('The server could not complete the request (request id {id}).', { id: ctx.state.reqId });
  if (wantsJson) {
    ctx.type = 'application/problem+json';
    ctx.body = { type: `urn:clarion:error:${error.code}`, title: error.title, status: error.status, detail, code: error.code, errors: error.status < 500 ? error.errors : undefined };
    return;
  }
  try {
    render(ctx, 'error.njk', { error: { status: error.status, title: state.t(error.title), detail, code: error.code, errors: error.status < 500 ? error.errors : [] } });
    ctx.status = error.status;
  } catch (renderError) {
    (ctx.state.log ?? services.log).error({ err: renderError }, 'console error page failed');
    ctx.type = 'text/plain';
    ctx.body = `${error.status} ${error.title}`;
  }
}

function toError(err: unknown): ClarionError {
  const e = err as { status?: number; type?: string };
  if (e?.type === 'entity.too.large' || e?.status === 413) return new ClarionError('CLARION_ERR_HTTP_BODY_TOO_LARGE', 'The form is too large (CLARION_MAX_BODY_BYTES)');
  if (e?.type === 'request.aborted' || e?.type === 'request.size.invalid') return new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'The request body was cut short');
  return new ClarionError('CLARION_ERR_SERVER_INTERNAL', 'Internal error', { cause: err });
}
