import type { Context } from 'koa';
import { isClarionError } from '../../core/errors.ts';
import { loginCsrf, redirect, type AdminDeps, type AdminRouter, type AdminState } from '../app.ts';
import { SESSION_COOKIE, setCookie } from '../http.ts';
import { query } from './explorers.ts';

const actor = (state: AdminState) => `admin:${state.session!.user.id}`;

/** Subscribers (search, detail with inbox and preferences, erasure) and the console's users (invitations, roles, password resets). */
export function peopleRoutes(routes: AdminRouter, deps: AdminDeps): void {
  const { services } = deps;

  // ---- subscribers
  routes.get('/admin/subscribers', async (ctx, state) => {
    const filters = { search: query(ctx, 'q'), team: query(ctx, 'team'), project: query(ctx, 'project') };
    const page = await services.subscribers.list(state.tenant!.id, { limit: 50, after: query(ctx, 'cursor'), ...filters });
    const params = new URLSearchParams(ctx.querystring);
    params.delete('cursor');
    deps.render(ctx, 'subscribers.njk', { page, filters, base: `${ctx.path}?${params}` });
  });

  routes.get('/admin/subscribers/:id', async (ctx, state) => {
    const tenantId = state.tenant!.id;
    const subscriber = await services.subscribers.get(tenantId, ctx.params.id);
    const [preferences, inbox] = await Promise.all([
      services.preferences.forSubscriber(tenantId, subscriber.subscriberId),
      services.views.list(tenantId, { limit: 50, subscriber: subscriber.subscriberId }),
    ]);
    deps.render(ctx, 'subscriber.njk', { s: subscriber, preferences, inbox: inbox.items });
  });

  routes.post('/admin/subscribers/:id/erase', 'manage', async (ctx, state) => {
    const id = ctx.params.id;
    if (state.form.get('confirm') !== id) {
      return redirect(ctx, deps, `/admin/subscribers/${encodeURIComponent(id)}`, { kind: 'error', message: state.t('Type the subscriber id ({id}) to confirm the erasure.', { id }) });
    }
    const counts = await services.subscribers.erase(state.tenant!.id, id, actor(state));
    redirect(ctx, deps, '/admin/subscribers', { kind: 'ok', message: state.t('Subscriber {id} erased ({n} notifications anonymised).', { id, n: counts.redacted.notifications }) });
  });

  // ---- console users
  routes.get('/admin/users', async (ctx, state) => {
    deps.render(ctx, 'users.njk', { users: await services.accounts.listUsers(state.tenant!.id) });
  });

  routes.post('/admin/users/invite', 'manage', async (ctx, state) => {
    const tenant = state.tenant!;
    let invited;
    try {
      invited = await services.accounts.invite(tenant.id, { email: state.form.text('email') ?? '', role: state.form.text('role') ?? 'viewer', name: state.form.text('name') }, state.session!.user);
    } catch (err) {
      if (!isClarionError(err) || err.status >= 500 || err.code === 'CLARION_ERR_ADMIN_FORBIDDEN') throw err;
      return redirect(ctx, deps, '/admin/users', { kind: 'error', message: err.message });
    }
    const link = `${services.config.publicUrl}/admin/invitation/${invited.token}`;
    const sent = await sendLink(state, tenant.id, invited.user.email, {
      subject: state.t('You are invited to the Clarion console of {tenant}', { tenant: tenant.name }),
      text: state.t('You are invited to the Clarion console of {tenant} as {role}. Choose your password here (the link works for 7 days):\n\n{link}', { tenant: tenant.name, role: invited.user.role, link }),
    }, 'admin_user.invitation_sent');
    redirect(ctx, deps, '/admin/users', {
      kind: 'ok',
      message: sent ? state.t('Invitation emailed to {email}. The link, if you want to share it yourself:', { email: invited.user.email }) : state.t('{email} is invited. The tenant has no email provider: send them this link yourself (shown once):', { email: invited.user.email }),
      secret: link,
    });
  });

  routes.post('/admin/users/:id/role', 'manage', async (ctx, state) => {
    const user = await services.accounts.setRole(state.tenant!.id, ctx.params.id, state.form.text('role') ?? '', state.session!.user);
    redirect(ctx, deps, '/admin/users', { kind: 'ok', message: state.t('{email} is now {role}.', { email: user.email, role: state.t(user.role) }) });
  });

  routes.post('/admin/users/:id/remove', 'manage', async (ctx, state) => {
    await services.accounts.removeUser(state.tenant!.id, ctx.params.id, state.session!.user);
    redirect(ctx, deps, '/admin/users', { kind: 'ok', message: state.t('User removed.') });
  });

  /** Sends a link by the tenant's own email provider; false when the tenant has none. */
  const sendLink = async (state: AdminState, tenantId: string, email: string, content: { subject: string; text: string }, action: string): Promise<boolean> => {
    try {
      await services.delivery.sendDirect(tenantId, 'email', { id: 'console', email, locale: state.locale }, content, 'system', action);
      return true;
    } catch (err) {
      if (isClarionError(err) && err.code === 'CLARION_ERR_ADMIN_NO_EMAIL_PROVIDER') return false;
      if (isClarionError(err) && err.code === 'CLARION_ERR_PROVIDER_TEST_FAILED') {
        services.log.warn({ err: err.message, tenantId }, 'console email not sent');
        return false;
      }
      throw err;
    }
  };

  // ---- invitations and password resets (before a session)
  const showToken = async (ctx: Context, state: AdminState, view: string, error?: string) => {
    const token = ctx.params.token;
    let info;
    try {
      info = await services.accounts.inspectToken(token);
    } catch (err) {
      if (!isClarionError(err) || err.code !== 'CLARION_ERR_ADMIN_TOKEN_INVALID') throw err;
    }
    deps.render(ctx, view, { loginCsrf: loginCsrf(ctx, deps.secure), token, info, error });
    if (!info) ctx.status = 410;
  };
  const redeem = async (ctx: Context, state: AdminState, view: string) => {
    try {
      const { token } = await services.accounts.redeem(ctx.params.token, state.form.get('password') ?? '');
      setCookie(ctx, SESSION_COOKIE, token, { secure: deps.secure, maxAgeSeconds: Math.floor(services.config.adminSessionTtlMs / 1000) });
      redirect(ctx, deps, '/admin', { kind: 'ok', message: state.t('Your password is set. Welcome.') });
    } catch (err) {
      if (!isClarionError(err) || !['CLARION_ERR_ADMIN_USER_INVALID', 'CLARION_ERR_ADMIN_TOKEN_INVALID'].includes(err.code)) throw err;
      await showToken(ctx, state, view, err.message);
      ctx.status = err.status;
    }
  };
  routes.get('/admin/invitation/:token', (ctx, state) => showToken(ctx, state, 'set-password.njk'), { public: true });
  routes.post('/admin/invitation/:token', 'public', (ctx, state) => redeem(ctx, state, 'set-password.njk'));
  routes.get('/admin/password/reset/:token', (ctx, state) => showToken(ctx, state, 'set-password.njk'), { public: true });
  routes.post('/admin/password/reset/:token', 'public', (ctx, state) => redeem(ctx, state, 'set-password.njk'));

  routes.get('/admin/password/forgot', (ctx) => deps.render(ctx, 'forgot.njk', { loginCsrf: loginCsrf(ctx, deps.secure) }), { public: true });
  routes.post('/admin/password/forgot', 'public', async (ctx, state) => {
    const email = state.form.text('email') ?? '';
    const tenantId = state.form.text('tenant') ?? '';
    // The same answer whether or not the account exists (and whether the email could go out).
    for (const { user, token } of await services.accounts.requestReset(email, tenantId)) {
      const link = `${services.config.publicUrl}/admin/password/reset/${token}`;
      await sendLink(state, user.tenantId!, user.email, {
        subject: state.t('Reset your Clarion console password'),
        text: state.t('Someone asked to reset the password of {email} on the Clarion console. If it was you, choose a new one here (the link works for an hour):\n\n{link}\n\nIf not, ignore this email.', { email: user.email, link }),
      }, 'admin_user.password_reset_sent');
    }
    deps.render(ctx, 'forgot.njk', { loginCsrf: loginCsrf(ctx, deps.secure), sent: true });
  });

}
