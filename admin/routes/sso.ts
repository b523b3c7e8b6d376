import type { Context } from 'koa';
import type { SsoPending } from '../../core/accounts/sso.ts';
import { ClarionError, isClarionError } from '../../core/errors.ts';
import { loginCsrf, redirect, type AdminDeps, type AdminRouter, type AdminState } from '../app.ts';
import { clearCookie, getCookie, SESSION_COOKIE, setCookie } from '../http.ts';

const SSO_COOKIE = 'clarion_sso';

/** Lines `claim value = role` to a map (the form's way to write the role map). */
export function parseRoleMap(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const index = line.lastIndexOf('=');
    if (index < 0) throw new ClarionError('CLARION_ERR_ADMIN_SSO_INVALID', `Write each role mapping as "claim value = role" (got ${JSON.stringify(line.trim())})`, { errors: [{ pointer: '/roleMap', message: 'each line is "claim value = role"' }] });
    map[line.slice(0, index).trim()] = line.slice(index + 1).trim();
  }
  return map;
}

/** Single sign-on with OpenID Connect: the owner's settings page, the login's start and callback. */
export function ssoRoutes(routes: AdminRouter, deps: AdminDeps): void {
  const { services } = deps;
  const redirectUri = `${services.config.publicUrl}/admin/sso/callback`;

  routes.get('/admin/sso', async (ctx, state) => {
    const settings = await services.sso.settings(state.tenant!.id);
    deps.render(ctx, 'sso.njk', { settings, redirectUri, roleMapText: Object.entries(settings?.roleMap ?? {}).map(([k, v]) => `${k} = ${v}`).join('\n') });
  });

  routes.post('/admin/sso', 'own', async (ctx, state) => {
    const form = state.form;
    try {
      await services.sso.save(state.tenant!.id, {
        issuer: form.text('issuer'), clientId: form.text('clientId'), clientSecret: form.get('clientSecret') ?? '',
        roleClaim: form.text('roleClaim'), roleMap: parseRoleMap(form.get('roleMap') ?? ''), defaultRole: form.text('defaultRole') ?? null,
        enabled: form.get('enabled') === 'on',
      }, `admin:${state.session!.user.id}`);
    } catch (err) {
      if (!isClarionError(err) || err.code !== 'CLARION_ERR_ADMIN_SSO_INVALID') throw err;
      return redirect(ctx, deps, '/admin/sso', { kind: 'error', message: err.message });
    }
    redirect(ctx, deps, '/admin/sso', { kind: 'ok', message: state.t('Single sign-on settings saved.') });
  });

  const refuse = (ctx: Context, state: AdminState, message: string, status: number) => {
    deps.render(ctx, 'login.njk', { loginCsrf: loginCsrf(ctx, deps.secure), next: '/admin', error: message });
    ctx.status = status;
  };

  routes.get('/admin/sso/start', async (ctx, state) => {
    const tenantId = typeof ctx.query.tenant === 'string' ? ctx.query.tenant.trim() : '';
    try {
      const { url, pending } = await services.sso.start(tenantId, redirectUri);
      setCookie(ctx, SSO_COOKIE, JSON.stringify(pending), { secure: deps.secure, maxAgeSeconds: 600 });
      // A page with a link rather than a redirect: the login form's form-action 'self' would stop
      // a redirect to another origin. admin.js follows the link at once.
      deps.render(ctx, 'sso-start.njk', { url });
    } catch (err) {
      if (!isClarionError(err) || err.code !== 'CLARION_ERR_ADMIN_SSO_FAILED') throw err;
      refuse(ctx, state, err.message, err.status);
    }
  }, { public: true });

  routes.get('/admin/sso/callback', async (ctx, state) => {
    const raw = getCookie(ctx, SSO_COOKIE);
    clearCookie(ctx, SSO_COOKIE, deps.secure);
    let pending: SsoPending | undefined;
    try {
      pending = raw ? (JSON.parse(raw) as SsoPending) : undefined;
    } catch {
      pending = undefined;
    }
    if (!pending || typeof pending.tenantId !== 'string' || typeof pending.state !== 'string' || typeof pending.nonce !== 'string' || typeof pending.verifier !== 'string') {
      return refuse(ctx, state, state.t('This sign-in was not started here, or took too long: start again.'), 401);
    }
    if (typeof ctx.query.error === 'string') return refuse(ctx, state, state.t('The identity provider refused the sign-in: {error}', { error: String(ctx.query.error_description ?? ctx.query.error).slice(0, 300) }), 401);
    try {
      const identity = await services.sso.finish(pending, new URL(`${redirectUri}${ctx.search}`));
      const user = await services.accounts.ssoUser(pending.tenantId, identity);
      const { token } = await services.accounts.openSession(user.id, { locale: state.locale });
      setCookie(ctx, SESSION_COOKIE, token, { secure: deps.secure, maxAgeSeconds: Math.floor(services.config.adminSessionTtlMs / 1000) });
      redirect(ctx, deps, '/admin');
    } catch (err) {
      if (!isClarionError(err) || !['CLARION_ERR_ADMIN_SSO_FAILED', 'CLARION_ERR_ADMIN_LAST_OWNER'].includes(err.code)) throw err;
      refuse(ctx, state, err.message, err.status);
    }
  }, { public: true });
}
