import type { Context } from 'koa';
import { ClarionError, isClarionError } from '../../core/errors.ts';
import { loginCsrf, redirect, type AdminDeps, type AdminRouter, type AdminState } from '../app.ts';
import { clearCookie, safeNext, SESSION_COOKIE, setCookie } from '../http.ts';
import { isLocale } from '../i18n.ts';

/** Logging in and out, the operator's choice of tenant, the language, one's own account. */
export function sessionRoutes(routes: AdminRouter, deps: AdminDeps): void {
  const { services } = deps;

  const showLogin = (ctx: Context, state: AdminState, extra: Record<string, unknown> = {}) => {
    deps.render(ctx, 'login.njk', { loginCsrf: loginCsrf(ctx, deps.secure), next: safeNext(typeof ctx.query.next === 'string' ? ctx.query.next : state.form.get('next')), ...extra });
  };

  routes.get('/admin/login', (ctx, state) => {
    if (state.session) return redirect(ctx, deps, '/admin');
    showLogin(ctx, state);
  }, { public: true });

  routes.post('/admin/login', 'public', async (ctx, state) => {
    const email = state.form.text('email') ?? '';
    try {
      const { token, session } = await services.accounts.login(email, state.form.get('password') ?? '', { locale: state.locale });
      setCookie(ctx, SESSION_COOKIE, token, { secure: deps.secure, maxAgeSeconds: Math.floor(services.config.adminSessionTtlMs / 1000) });
      const next = safeNext(state.form.get('next'));
      redirect(ctx, deps, session.user.role === 'operator' && !session.tenantId ? '/admin/tenants' : next);
    } catch (err) {
      if (!isClarionError(err) || !['CLARION_ERR_ADMIN_LOGIN_FAILED', 'CLARION_ERR_ADMIN_LOCKED'].includes(err.code)) throw err;
      const lockedUntil = err.extensions.lockedUntil as string | undefined;
      showLogin(ctx, state, {
        email,
        error: lockedUntil ? state.t('Too many failed attempts: this account is locked until {time}.', { time: lockedUntil.replace('T', ' ').replace(/\.\d+Z$/, 'Z') }) : state.t('The email or password is wrong.'),
      });
      ctx.status = err.status;
    }
  });

  routes.post('/admin/logout', 'session', async (ctx, state) => {
    await services.accounts.logout(state.token);
    clearCookie(ctx, SESSION_COOKIE, deps.secure);
    redirect(ctx, deps, '/admin/login');
  });

  routes.get('/admin/tenants', async (ctx, state) => {
    if (!state.session) throw new ClarionError('CLARION_ERR_ADMIN_SESSION_REQUIRED', 'Log in to use the console');
    if (state.session.user.role !== 'operator') throw new ClarionError('CLARION_ERR_ADMIN_FORBIDDEN', 'Only operators choose a tenant');
    deps.render(ctx, 'tenants.njk', { tenants: await services.accounts.tenants() });
  }, { public: true });

  routes.post('/admin/tenants/switch', 'session', async (ctx, state) => {
    await services.accounts.actAs(state.token!, state.form.get('tenantId') ?? '');
    redirect(ctx, deps, '/admin');
  });

  routes.post('/admin/locale', 'public', async (ctx, state) => {
    const locale = state.form.get('locale');
    if (!isLocale(locale)) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Unknown language', { errors: [{ pointer: '/locale', message: 'must be en or fr' }] });
    if (state.token && state.session) await services.accounts.setLocale(state.token, locale);
    const back = safeNext(state.form.get('next'));
    redirect(ctx, deps, state.session ? back : `${back}${back.includes('?') ? '&' : '?'}lang=${locale}`);
  });

  routes.get('/admin/account', (ctx) => deps.render(ctx, 'account.njk'), { public: false });
  routes.post('/admin/account/password', 'session', async (ctx, state) => {
    try {
      await services.accounts.changePassword(state.session!.user.id, state.form.get('current') ?? '', state.form.get('password') ?? '');
    } catch (err) {
      if (isClarionError(err) && err.code === 'CLARION_ERR_ADMIN_USER_INVALID') return redirect(ctx, deps, '/admin/account', { kind: 'error', message: err.message });
      throw err;
    }
    redirect(ctx, deps, '/admin/account', { kind: 'ok', message: state.t('Password changed.') });
  });
}
